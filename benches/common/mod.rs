//! Generated scenarios for the benchmarks and for `examples/bench_scenario.rs`: plain scenario
//! JSON (the file format users write), built from a fixed seed so every run benchmarks the same
//! graph.
//!
//! Not every bench uses every helper.
#![allow(dead_code)]

use fanout::engine::Plan;
use fanout::engine::Strategy;
use fanout::engine::scenario::ScenarioSource;

/// The strategies the scheduler benches race: every kind, pools of 8.
pub const STRATEGIES: &[&str] = &["sequential", "parallel", "waves", "pool:8", "pool:8:cp"];

/// The four end-to-end lanes.
pub const FOUR: &[&str] = &["sequential", "parallel", "waves", "pool:8"];

/// The seed of every generated graph.
pub const SEED: u64 = 0x5eed_fa40;

/// splitmix64: a tiny deterministic generator, so the graphs never change with a crate's version.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// How long each generated call takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Latency {
    /// Every call takes 0 ms: pure scheduling work.
    Zero,
    /// Every call takes this many milliseconds.
    Fixed(u64),
    /// Each call takes a whole number of milliseconds drawn uniformly from `lo..=hi`.
    Uniform(u64, u64),
}

impl Latency {
    /// `zero`, `fixed:MS` or `uniform:LO:HI`.
    pub fn parse(s: &str) -> Option<Latency> {
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            ["zero"] => Some(Latency::Zero),
            ["fixed", ms] => Some(Latency::Fixed(ms.parse().ok()?)),
            ["uniform", lo, hi] => {
                let (lo, hi) = (lo.parse().ok()?, hi.parse().ok()?);
                (lo <= hi).then_some(Latency::Uniform(lo, hi))
            }
            _ => None,
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// Number of calls.
    pub calls: usize,
    /// Each call depends on this many distinct earlier calls (fewer near the start).
    pub deps: usize,
    /// ... drawn from the last `window` calls before it.
    pub window: usize,
    /// The calls' latencies.
    pub latency: Latency,
    /// The scenario's default lanes.
    pub strategies: Vec<String>,
    /// The generator's seed.
    pub seed: u64,
}

impl Shape {
    /// `calls` independent calls of zero latency.
    pub fn independent(calls: usize) -> Shape {
        Shape {
            calls,
            deps: 0,
            window: 0,
            latency: Latency::Zero,
            strategies: vec!["sequential".into(), "parallel".into()],
            seed: SEED,
        }
    }

    /// The graph: each call depends on 3 random earlier calls within the last 1000.
    pub fn dag(calls: usize, latency: Latency) -> Shape {
        Shape {
            calls,
            deps: 3,
            window: 1000,
            latency,
            strategies: FOUR.iter().map(|s| s.to_string()).collect(),
            seed: SEED,
        }
    }

    /// The scenario as JSON text, one call per line.
    pub fn json(&self) -> String {
        let mut rng = Rng::new(self.seed);
        let mut out = String::with_capacity(self.calls * 80 + 256);
        let lanes: Vec<String> = self.strategies.iter().map(|s| format!("\"{s}\"")).collect();
        out.push_str(&format!(
            "{{\n  \"name\": \"Generated: {} calls, {} deps each within {}, latency {:?}\",\n  \
             \"strategies\": [{}],\n  \"calls\": [\n",
            self.calls,
            self.deps,
            self.window,
            self.latency,
            lanes.join(", ")
        ));
        let mut picked: Vec<usize> = Vec::with_capacity(self.deps);
        for i in 0..self.calls {
            let ms = match self.latency {
                Latency::Zero => 0,
                Latency::Fixed(ms) => ms,
                Latency::Uniform(lo, hi) => lo + rng.below(hi - lo + 1),
            };
            out.push_str(&format!("    {{\"id\": \"c{i}\", \"latency_ms\": {ms}"));
            let lo = i.saturating_sub(self.window);
            let span = i - lo;
            picked.clear();
            while picked.len() < self.deps.min(span) {
                let d = lo + rng.below(span as u64) as usize;
                if !picked.contains(&d) {
                    picked.push(d);
                }
            }
            if !picked.is_empty() {
                let deps: Vec<String> = picked.iter().map(|d| format!("\"c{d}\"")).collect();
                out.push_str(&format!(", \"depends_on\": [{}]", deps.join(", ")));
            }
            out.push('}');
            if i + 1 < self.calls {
                out.push(',');
            }
            out.push('\n');
        }
        out.push_str("  ]\n}\n");
        out
    }

    /// Dependency edges in the generated graph.
    pub fn edges(&self) -> usize {
        (0..self.calls)
            .map(|i| self.deps.min(i.min(self.window)))
            .sum()
    }
}

/// Parses and validates generated JSON the way `fanout run FILE` does.
/// The four-lane ([`FOUR`]) virtual-clock record of the 100,000-call, 299,994-edge graph
/// (latencies 1..=1000 ms), and its plan: what the record and render benches measure.
#[allow(dead_code)] // not every bench uses it
pub fn big_record() -> (fanout::engine::Record, std::sync::Arc<Plan>) {
    let plan = std::sync::Arc::new(plan(&Shape::dag(100_000, Latency::Uniform(1, 1000)).json()));
    let opts = fanout::engine::RunOptions {
        strategies: FOUR.iter().map(|s| strategy(s)).collect(),
        speed: 1.0,
        mode: fanout::engine::Mode::Race,
        local: None,
    };
    (
        fanout::engine::virtual_clock::run_virtual(&plan, &opts),
        plan,
    )
}

pub fn plan(json: &str) -> Plan {
    Plan::from_source(&ScenarioSource::from_text("bench.json", json))
        .expect("a generated scenario is valid")
}

/// A strategy by its command-line name.
pub fn strategy(name: &str) -> Strategy {
    name.parse().expect("a known strategy")
}

/// Peak resident set size of this process so far, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
