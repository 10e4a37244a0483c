//! Seeded latency distributions: a call's `"latency": {"dist": ...}` and the draws a run makes
//! from it.
//!
//! Draws must be the same run to run and across fanout versions, so that a recorded run can be
//! compared with a new one and a scenario's numbers in a README stay true. That is why this
//! module carries its own generator (SplitMix64 seeding xoshiro256**, both fixed published
//! algorithms) and its own Box–Muller transform instead of the `rand` crate, whose algorithms
//! and sampling methods may change between its versions. Integer outputs and uniform draws are
//! bit-for-bit identical everywhere; normal and lognormal draws go through `ln`, `cos` and `exp`,
//! which the platform's math library may round differently in the last bit.

use serde::{Deserialize, Serialize};

use super::limits::MAX_LATENCY_MS;
use super::units::fmt_num;

/// The seed of a scenario that does not give one: fixed, so that a scenario without a `seed`
/// still draws the same latencies every run. (The bytes spell `fanout`.)
pub const DEFAULT_SEED: u64 = 0x6661_6e6f_7574;

/// [`DEFAULT_SEED`] as a function, for `#[serde(default = "...")]`, which needs a path to one.
pub fn default_seed() -> u64 {
    DEFAULT_SEED
}

/// The standard normal quantile of 0.99: a lognormal's p99 is `exp(mu + Z_99 * sigma)`.
const Z_99: f64 = 2.326_347_874_040_841;

/// 2^64 / φ, the increment of SplitMix64; odd, so multiplying call indices by it is a bijection
/// and distinct calls of one seed never share a stream.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The latency of a call, as written in a scenario: `{"dist": "lognormal", "median_ms": 200,
/// "p99_ms": 2000}`. Values are nominal milliseconds, before the run's speed divides them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    remote = "Self",
    tag = "dist",
    rename_all = "lowercase",
    deny_unknown_fields
)]
// `expecting` replaces serde's "expected internally tagged enum Distribution" in type errors.
#[serde(expecting = "a latency object such as {\"dist\": \"fixed\", \"ms\": 500}")]
pub enum Distribution {
    /// Always the same latency.
    Fixed {
        /// The latency.
        ms: f64,
    },
    /// Any latency between two bounds, all equally likely.
    Uniform {
        /// The shortest latency.
        min_ms: f64,
        /// The longest latency.
        max_ms: f64,
    },
    /// A bell curve around a mean, clamped to 0..=3 600 000 ms since a latency cannot be negative.
    Normal {
        /// The mean (and median) latency.
        mean_ms: f64,
        /// The standard deviation; 0 is a fixed latency.
        sd_ms: f64,
    },
    /// The long-tailed shape real services have, given by the two numbers people quote: the
    /// median and the 99th percentile.
    Lognormal {
        /// Half the calls finish faster than this.
        median_ms: f64,
        /// 99% of the calls finish faster than this.
        p99_ms: f64,
    },
}

// Only the object form: serde's internally tagged enums also read `["fixed", 500]`.
super::json::object_only! {
    Distribution => "a latency object such as {\"dist\": \"fixed\", \"ms\": 500}",
}

impl Distribution {
    /// Checks what serde cannot: every value a finite number of milliseconds from 0 to
    /// 3 600 000, `min_ms <= max_ms`, a lognormal median above 0 and a p99 not below it.
    /// The message names the field and says how to fix it.
    pub fn validate(&self) -> Result<(), String> {
        for (field, value) in self.fields() {
            check_ms(field, value)?;
        }
        match *self {
            Distribution::Uniform { min_ms, max_ms } if min_ms > max_ms => Err(format!(
                "min_ms must be at most max_ms, but min_ms is {} and max_ms is {}; swap them: \
                 \"min_ms\": {}, \"max_ms\": {}",
                fmt_num(min_ms),
                fmt_num(max_ms),
                fmt_num(max_ms),
                fmt_num(min_ms),
            )),
            // A lognormal lives on logarithms: ln 0 is minus infinity.
            Distribution::Lognormal { median_ms: 0.0, .. } => Err(
                "median_ms must be greater than 0 for a lognormal latency; for a call that \
                 takes no time use {\"dist\": \"fixed\", \"ms\": 0}"
                    .to_string(),
            ),
            Distribution::Lognormal { median_ms, p99_ms } if p99_ms < median_ms => Err(format!(
                "p99_ms must be at least median_ms, but p99_ms is {} and median_ms is {}: 99% of \
                 calls finish within p99_ms, so it cannot be below the median; if they are \
                 swapped, write \"median_ms\": {}, \"p99_ms\": {}",
                fmt_num(p99_ms),
                fmt_num(median_ms),
                fmt_num(p99_ms),
                fmt_num(median_ms),
            )),
            _ => Ok(()),
        }
    }

    /// The latency half the draws fall below, for display and for nominal bounds: `ms`, the
    /// midpoint, the mean, or the median. For a normal this holds even with the clamp, since
    /// clamping does not move a median that is already inside 0..=3 600 000.
    pub fn median_ms(&self) -> f64 {
        match *self {
            Distribution::Fixed { ms } => ms,
            Distribution::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) / 2.0,
            Distribution::Normal { mean_ms, .. } => mean_ms,
            Distribution::Lognormal { median_ms, .. } => median_ms,
        }
    }

    /// A short human description, e.g. `lognormal median 200 ms, p99 2000 ms`.
    pub fn describe(&self) -> String {
        match *self {
            Distribution::Fixed { ms } => format!("fixed {} ms", fmt_num(ms)),
            Distribution::Uniform { min_ms, max_ms } => {
                format!("uniform {} to {} ms", fmt_num(min_ms), fmt_num(max_ms))
            }
            Distribution::Normal { mean_ms, sd_ms } => {
                format!(
                    "normal mean {} ms, sd {} ms",
                    fmt_num(mean_ms),
                    fmt_num(sd_ms)
                )
            }
            Distribution::Lognormal { median_ms, p99_ms } => {
                format!(
                    "lognormal median {} ms, p99 {} ms",
                    fmt_num(median_ms),
                    fmt_num(p99_ms)
                )
            }
        }
    }

    /// One latency in milliseconds, always in 0..=3 600 000 and never NaN, whatever the values
    /// (a validated distribution never needs the clamp except for the normal's and lognormal's
    /// tails). A fixed latency takes nothing from `rng`, a uniform one draw, the others two.
    pub fn draw(&self, rng: &mut Rng) -> f64 {
        let ms = match *self {
            Distribution::Fixed { ms } => ms,
            Distribution::Uniform { min_ms, max_ms } => min_ms + (max_ms - min_ms) * rng.next_f64(),
            Distribution::Normal { mean_ms, sd_ms } => mean_ms + sd_ms * rng.standard_normal(),
            Distribution::Lognormal { median_ms, p99_ms } => {
                // median = exp(mu) and p99 = exp(mu + Z_99 * sigma), solved for mu and sigma.
                let mu = median_ms.ln();
                let sigma = (p99_ms.ln() - mu) / Z_99;
                (mu + sigma * rng.standard_normal()).exp()
            }
        };
        clamp_ms(ms)
    }

    /// The fields and their values, in declaration order, for the checks every value shares.
    fn fields(&self) -> Vec<(&'static str, f64)> {
        match *self {
            Distribution::Fixed { ms } => vec![("ms", ms)],
            Distribution::Uniform { min_ms, max_ms } => {
                vec![("min_ms", min_ms), ("max_ms", max_ms)]
            }
            Distribution::Normal { mean_ms, sd_ms } => vec![("mean_ms", mean_ms), ("sd_ms", sd_ms)],
            Distribution::Lognormal { median_ms, p99_ms } => {
                vec![("median_ms", median_ms), ("p99_ms", p99_ms)]
            }
        }
    }
}

/// One value of a distribution: finite and within 0..=[`MAX_LATENCY_MS`].
fn check_ms(field: &str, value: f64) -> Result<(), String> {
    if !value.is_finite() {
        Err(format!(
            "{field} must be a number of milliseconds from 0 to 3600000, not {value}"
        ))
    } else if value < 0.0 {
        Err(format!(
            "{field} must not be negative, but it is {}; use a number of milliseconds from 0 \
             to 3600000",
            fmt_num(value)
        ))
    } else if value > MAX_LATENCY_MS {
        Err(format!(
            "{field} must be at most 3600000 (one hour), but it is {}",
            fmt_num(value)
        ))
    } else {
        Ok(())
    }
}

/// A draw made safe for the timer: NaN (only from unvalidated values) becomes 0, and the
/// normal's left tail and both long tails stop at 0 and one hour.
fn clamp_ms(ms: f64) -> f64 {
    if ms.is_nan() {
        0.0
    } else {
        ms.clamp(0.0, MAX_LATENCY_MS)
    }
}

/// Draws one latency per call, in order: `None` for a call without a distribution.
///
/// Each call index gets its own stream, derived from `(seed, index)`, so a draw depends only on
/// the seed, the call's position and its own distribution: adding a call at the end, or
/// changing another call's distribution, leaves every other draw as it was. Draw once per run
/// and give every lane the same numbers, so that lanes race on equal terms.
pub fn draw_all(seed: u64, dists: &[Option<&Distribution>]) -> Vec<Option<f64>> {
    dists
        .iter()
        .enumerate()
        .map(|(index, dist)| dist.map(|d| d.draw(&mut call_rng(seed, index))))
        .collect()
}

/// `n` model turns drawn from `dist` under `seed`, in turn order: one stream of its own (not a
/// call's), so adding model turns leaves every call's draw as it was.
pub fn draw_turns(seed: u64, dist: &Distribution, n: usize) -> Vec<f64> {
    // "turns" in ASCII: a salt that keeps this stream apart from every call index's.
    let mut rng = call_rng(seed ^ 0x0074_7572_6e73, usize::MAX);
    (0..n).map(|_| dist.draw(&mut rng)).collect()
}

/// The stream of call `index` under `seed`. The index is spread by [`GOLDEN`] before mixing so
/// that neighbouring indices (and neighbouring seeds) start far apart.
fn call_rng(seed: u64, index: usize) -> Rng {
    Rng::new(splitmix64(seed ^ (index as u64).wrapping_mul(GOLDEN)))
}

/// The first output of SplitMix64 started at `x`: a bijective mix of all 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small, fast, reproducible generator: xoshiro256** (Blackman and Vigna), seeded by
/// SplitMix64 as its authors recommend. Not for anything secret. Our own, not `rand`'s, so that
/// a seed draws the same latencies in every fanout version (see the module's header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole sequence is fixed by `seed`. Any seed is fine, 0 included: the
    /// four state words are four consecutive SplitMix64 outputs, which are distinct, so the
    /// state is never all zero (the one state xoshiro cannot leave).
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            let out = splitmix64(x);
            x = x.wrapping_add(GOLDEN);
            out
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A number in [0, 1): the top 53 bits, so every value is an exact multiple of 2^-53 and the
    /// conversion involves no rounding.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal number by Box–Muller, using the cosine half only: one normal per two
    /// uniforms keeps the stream simple (no cached second value to carry between draws).
    fn standard_normal(&mut self) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lognormal(median_ms: f64, p99_ms: f64) -> Distribution {
        Distribution::Lognormal { median_ms, p99_ms }
    }

    fn normal(mean_ms: f64, sd_ms: f64) -> Distribution {
        Distribution::Normal { mean_ms, sd_ms }
    }

    /// `n` draws from one stream, sorted.
    fn sorted_draws(d: &Distribution, seed: u64, n: usize) -> Vec<f64> {
        let mut rng = Rng::new(seed);
        let mut v: Vec<f64> = (0..n).map(|_| d.draw(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        v
    }

    fn mean_sd(v: &[f64]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt())
    }

    fn close(got: f64, want: f64, rel: f64) -> bool {
        (got - want).abs() <= rel * want.abs()
    }

    fn parse(json: &str) -> Result<Distribution, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    // ---- the generator ----

    #[test]
    fn splitmix64_matches_the_published_outputs_from_0() {
        // SplitMix64 started at 0 yields these; our seeding must be the published algorithm.
        let want = [
            0xe220_a839_7b1d_cdaf,
            0x6e78_9e6a_a1b9_65f4,
            0x06c4_5d18_8009_454f,
        ];
        let got: Vec<u64> = (0..3u64)
            .map(|i| splitmix64(i.wrapping_mul(GOLDEN)))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn xoshiro_matches_the_reference_vector_from_state_1_2_3_4() {
        // The reference implementation's first ten outputs (as in rand_xoshiro's tests).
        let mut rng = Rng { s: [1, 2, 3, 4] };
        let got: Vec<u64> = (0..10).map(|_| rng.next_u64()).collect();
        let want = [
            11520,
            0,
            1509978240,
            1215971899390074240,
            1216172134540287360,
            607988272756665600,
            16172922978634559625,
            8476171486693032832,
            10595114339597558777,
            2904607092377533576,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn the_default_seed_stream_is_golden() {
        // Pins seeding + generator + [0,1) conversion: if this changes, every recorded run's
        // draws change. Integers and next_f64 are exact on every platform. The values here and
        // in draw_all_is_golden were checked against an independent transcription in Python.
        let mut rng = Rng::new(DEFAULT_SEED);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(got, GOLDEN_U64);
        let mut rng = Rng::new(0);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(got, GOLDEN_U64_SEED_0);
    }

    const GOLDEN_U64: [u64; 3] = [
        4455408158486707398,
        11649171182549662948,
        791739827710088359,
    ];
    const GOLDEN_U64_SEED_0: [u64; 3] = [
        11091344671253066420,
        13793997310169335082,
        1900383378846508768,
    ];

    #[test]
    fn draw_all_is_golden() {
        // Pins the per-call streams and the transforms. Uniform draws are exact everywhere;
        // normal and lognormal pass through ln/cos/exp, so allow last-bit differences.
        let dists = [
            Distribution::Fixed { ms: 250.0 },
            Distribution::Uniform {
                min_ms: 100.0,
                max_ms: 500.0,
            },
            normal(1000.0, 100.0),
            lognormal(200.0, 2000.0),
        ];
        let refs: Vec<Option<&Distribution>> = dists.iter().map(Some).collect();
        let got: Vec<f64> = draw_all(DEFAULT_SEED, &refs)
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(got[0], 250.0);
        assert_eq!(got[1], GOLDEN_DRAWS[1]);
        for i in 2..4 {
            assert!(
                close(got[i], GOLDEN_DRAWS[i], 1e-12),
                "draw {i}: {}",
                got[i]
            );
        }
    }

    const GOLDEN_DRAWS: [f64; 4] = [
        250.0,
        376.21747703135725,
        1201.5196849032204,
        318.7803588078542,
    ];

    #[test]
    fn next_f64_is_in_0_1() {
        let mut rng = Rng::new(7);
        for _ in 0..100_000 {
            let x = rng.next_f64();
            assert!((0.0..1.0).contains(&x), "{x}");
        }
    }

    // ---- reproducibility ----

    fn mixed() -> Vec<Distribution> {
        vec![
            lognormal(200.0, 2000.0),
            Distribution::Uniform {
                min_ms: 10.0,
                max_ms: 90.0,
            },
            normal(500.0, 50.0),
            lognormal(50.0, 60.0),
        ]
    }

    #[test]
    fn same_seed_same_draws() {
        let dists = mixed();
        let refs: Vec<Option<&Distribution>> = dists.iter().map(Some).collect();
        assert_eq!(draw_all(42, &refs), draw_all(42, &refs));
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for _ in 0..1000 {
            assert_eq!(dists[0].draw(&mut a), dists[0].draw(&mut b));
        }
    }

    #[test]
    fn different_seeds_different_draws() {
        let dists = mixed();
        let refs: Vec<Option<&Distribution>> = dists.iter().map(Some).collect();
        let a = draw_all(1, &refs);
        let b = draw_all(2, &refs);
        for (x, y) in a.iter().zip(&b) {
            assert_ne!(x, y);
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn calls_draw_from_different_streams() {
        // The same distribution at two indices must not draw the same number.
        let d = lognormal(200.0, 2000.0);
        let got = draw_all(DEFAULT_SEED, &[Some(&d), Some(&d), Some(&d)]);
        assert_ne!(got[0], got[1]);
        assert_ne!(got[1], got[2]);
    }

    #[test]
    fn adding_a_call_at_the_end_keeps_earlier_draws() {
        let dists = mixed();
        let refs: Vec<Option<&Distribution>> = dists.iter().map(Some).collect();
        let short = draw_all(9, &refs[..2]);
        let long = draw_all(9, &refs);
        assert_eq!(short[..], long[..2]);
    }

    #[test]
    fn changing_one_call_keeps_the_others() {
        let dists = mixed();
        let mut refs: Vec<Option<&Distribution>> = dists.iter().map(Some).collect();
        let before = draw_all(9, &refs);
        let fixed = Distribution::Fixed { ms: 1.0 };
        refs[1] = Some(&fixed);
        let after = draw_all(9, &refs);
        assert_eq!(before[0], after[0]);
        assert_eq!(before[2..], after[2..]);
    }

    #[test]
    fn calls_without_a_distribution_draw_none_and_keep_their_index() {
        let d = lognormal(200.0, 2000.0);
        let with_gap = draw_all(5, &[None, Some(&d), None]);
        assert_eq!(with_gap[0], None);
        assert_eq!(with_gap[2], None);
        assert_eq!(with_gap[1], draw_all(5, &[Some(&d), Some(&d)])[1]);
        assert!(draw_all(5, &[]).is_empty());
    }

    // ---- shapes ----

    #[test]
    fn fixed_is_fixed_and_takes_no_randomness() {
        let mut rng = Rng::new(3);
        let before = rng.clone();
        assert_eq!(Distribution::Fixed { ms: 123.5 }.draw(&mut rng), 123.5);
        assert_eq!(rng, before);
    }

    #[test]
    fn lognormal_median_and_p99_match_what_was_asked() {
        for (median, p99) in [(200.0, 2000.0), (100.0, 150.0), (1000.0, 30_000.0)] {
            let v = sorted_draws(&lognormal(median, p99), 11, 200_000);
            let got_median = v[v.len() / 2];
            let got_p99 = v[v.len() * 99 / 100];
            assert!(
                close(got_median, median, 0.03),
                "median {got_median} vs {median}"
            );
            assert!(close(got_p99, p99, 0.03), "p99 {got_p99} vs {p99}");
        }
    }

    #[test]
    fn lognormal_with_p99_equal_to_median_is_fixed() {
        let d = lognormal(300.0, 300.0);
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            assert!(close(d.draw(&mut rng), 300.0, 1e-12));
        }
    }

    #[test]
    fn normal_mean_and_sd_match_what_was_asked() {
        let d = normal(1000.0, 100.0);
        let v = sorted_draws(&d, 12, 200_000);
        let (mean, sd) = mean_sd(&v);
        assert!(close(mean, 1000.0, 0.02), "mean {mean}");
        assert!(close(sd, 100.0, 0.02), "sd {sd}");
    }

    #[test]
    fn normal_is_clamped_to_0_and_one_hour() {
        let low = normal(0.0, 100.0);
        let v = sorted_draws(&low, 13, 10_000);
        assert_eq!(v[0], 0.0);
        // About half the draws would be negative: they all become 0.
        let zeros = v.iter().filter(|&&x| x == 0.0).count();
        assert!((4000..6000).contains(&zeros), "{zeros}");
        let high = normal(MAX_LATENCY_MS, 1000.0);
        let v = sorted_draws(&high, 14, 10_000);
        assert_eq!(v[v.len() - 1], MAX_LATENCY_MS);
    }

    #[test]
    fn lognormal_is_clamped_to_one_hour() {
        // A huge spread: many draws would pass an hour (or overflow to infinity).
        let d = lognormal(1_000_000.0, MAX_LATENCY_MS);
        let v = sorted_draws(&d, 15, 10_000);
        assert!(v.iter().all(|x| (0.0..=MAX_LATENCY_MS).contains(x)));
        let d = lognormal(1.0, 1e300);
        let v = sorted_draws(&d, 15, 10_000);
        assert_eq!(v[v.len() - 1], MAX_LATENCY_MS);
    }

    #[test]
    fn uniform_stays_within_bounds_and_centres_on_the_midpoint() {
        let d = Distribution::Uniform {
            min_ms: 100.0,
            max_ms: 500.0,
        };
        let v = sorted_draws(&d, 16, 200_000);
        assert!(v[0] >= 100.0 && v[v.len() - 1] <= 500.0);
        let (mean, _) = mean_sd(&v);
        assert!(close(mean, 300.0, 0.01), "mean {mean}");
        // min == max is a fixed latency.
        let d = Distribution::Uniform {
            min_ms: 7.0,
            max_ms: 7.0,
        };
        assert_eq!(d.draw(&mut Rng::new(1)), 7.0);
    }

    #[test]
    fn unvalidated_values_never_draw_nan_or_out_of_range() {
        let mut rng = Rng::new(1);
        for d in [
            Distribution::Fixed { ms: f64::NAN },
            Distribution::Fixed { ms: -5.0 },
            normal(f64::INFINITY, 1.0),
            lognormal(0.0, 10.0),
            lognormal(-1.0, 10.0),
        ] {
            let x = d.draw(&mut rng);
            assert!((0.0..=MAX_LATENCY_MS).contains(&x), "{d:?} drew {x}");
        }
    }

    // ---- validation, display ----

    #[test]
    fn valid_distributions_pass() {
        for d in [
            Distribution::Fixed { ms: 0.0 },
            Distribution::Fixed { ms: MAX_LATENCY_MS },
            Distribution::Uniform {
                min_ms: 5.0,
                max_ms: 5.0,
            },
            normal(100.0, 0.0),
            lognormal(0.5, 0.5),
            lognormal(200.0, 2000.0),
        ] {
            assert_eq!(d.validate(), Ok(()), "{d:?}");
        }
    }

    #[test]
    fn validate_names_the_field_and_the_fix() {
        let err = |d: Distribution| d.validate().unwrap_err();

        let e = err(Distribution::Fixed { ms: f64::NAN });
        assert!(e.starts_with("ms must be a number of milliseconds"), "{e}");
        let e = err(Distribution::Fixed { ms: -1.0 });
        assert!(
            e.starts_with("ms must not be negative, but it is -1"),
            "{e}"
        );
        let e = err(Distribution::Uniform {
            min_ms: 0.0,
            max_ms: 3_600_001.0,
        });
        assert_eq!(
            e,
            "max_ms must be at most 3600000 (one hour), but it is 3600001"
        );
        let e = err(normal(100.0, -5.0));
        assert!(e.starts_with("sd_ms must not be negative"), "{e}");
        let e = err(normal(f64::INFINITY, 5.0));
        assert!(e.starts_with("mean_ms must be a number"), "{e}");

        let e = err(Distribution::Uniform {
            min_ms: 500.0,
            max_ms: 100.0,
        });
        assert_eq!(
            e,
            "min_ms must be at most max_ms, but min_ms is 500 and max_ms is 100; swap them: \
             \"min_ms\": 100, \"max_ms\": 500"
        );

        let e = err(lognormal(0.0, 100.0));
        assert!(e.starts_with("median_ms must be greater than 0"), "{e}");
        assert!(e.contains("\"fixed\""), "{e}");

        let e = err(lognormal(2000.0, 200.0));
        assert!(e.starts_with("p99_ms must be at least median_ms"), "{e}");
        assert!(e.contains("\"median_ms\": 200, \"p99_ms\": 2000"), "{e}");
        let e = err(lognormal(200.0, 1e9));
        assert!(e.starts_with("p99_ms must be at most 3600000"), "{e}");
    }

    #[test]
    fn median_and_describe() {
        let cases = [
            (Distribution::Fixed { ms: 500.0 }, 500.0, "fixed 500 ms"),
            (
                Distribution::Uniform {
                    min_ms: 100.0,
                    max_ms: 400.0,
                },
                250.0,
                "uniform 100 to 400 ms",
            ),
            (normal(300.0, 12.5), 300.0, "normal mean 300 ms, sd 12.5 ms"),
            (
                lognormal(200.0, 2000.0),
                200.0,
                "lognormal median 200 ms, p99 2000 ms",
            ),
        ];
        for (d, median, text) in cases {
            assert_eq!(d.median_ms(), median);
            assert_eq!(d.describe(), text);
        }
    }

    // ---- serde ----

    #[test]
    fn serde_round_trips_every_variant() {
        for d in mixed().into_iter().chain([Distribution::Fixed { ms: 0.5 }]) {
            let json = serde_json::to_string(&d).unwrap();
            assert_eq!(parse(&json), Ok(d));
        }
        assert_eq!(
            serde_json::to_string(&lognormal(200.0, 2000.0)).unwrap(),
            r#"{"dist":"lognormal","median_ms":200.0,"p99_ms":2000.0}"#
        );
    }

    #[test]
    fn serde_reads_integers_and_any_key_order() {
        assert_eq!(
            parse(r#"{"p99_ms": 2000, "median_ms": 200, "dist": "lognormal"}"#),
            Ok(lognormal(200.0, 2000.0))
        );
        assert_eq!(
            parse(r#"{"dist": "fixed", "ms": 5}"#),
            Ok(Distribution::Fixed { ms: 5.0 })
        );
    }

    #[test]
    fn serde_rejects_unknown_fields() {
        let e = parse(r#"{"dist":"lognormal","median_ms":100,"p99":500}"#).unwrap_err();
        assert!(e.contains("unknown field `p99`"), "{e}");
        assert!(e.contains("`median_ms`") && e.contains("`p99_ms`"), "{e}");
        // A field of another variant is unknown too.
        let e = parse(r#"{"dist":"fixed","ms":5,"sd_ms":1}"#).unwrap_err();
        assert!(e.contains("unknown field `sd_ms`"), "{e}");
    }

    #[test]
    fn serde_rejects_unknown_dist_naming_the_variants() {
        let e = parse(r#"{"dist":"pareto"}"#).unwrap_err();
        assert!(e.contains("unknown variant `pareto`"), "{e}");
        for name in ["fixed", "uniform", "normal", "lognormal"] {
            assert!(e.contains(&format!("`{name}`")), "{e}");
        }
        // Names are lowercase only.
        assert!(parse(r#"{"dist":"Lognormal","median_ms":1,"p99_ms":2}"#).is_err());
    }

    #[test]
    fn serde_rejects_missing_fields() {
        let e = parse(r#"{"median_ms":100,"p99_ms":500}"#).unwrap_err();
        assert!(e.contains("missing field `dist`"), "{e}");
        let e = parse(r#"{"dist":"lognormal","median_ms":100}"#).unwrap_err();
        assert!(e.contains("missing field `p99_ms`"), "{e}");
        let e = parse(r#"{"dist":"fixed","ms":"5"}"#).unwrap_err();
        assert!(e.contains("invalid type"), "{e}");
    }

    #[test]
    fn serde_says_what_a_latency_looks_like_instead_of_naming_the_rust_type() {
        // Without `expecting`, serde says "expected internally tagged enum Distribution".
        let e = parse("500").unwrap_err();
        assert!(
            e.contains(r#"expected a latency object such as {"dist": "fixed", "ms": 500}"#),
            "{e}"
        );
    }
}
