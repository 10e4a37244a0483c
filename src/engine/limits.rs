//! The sane ranges of every number a scenario, a record or the command line gives, in one place
//! so that each reader checks the same thing and every error states the same range.
//!
//! Why bounds at all: a speed of 1e-306 makes a 5 s call last 1e300 s, and a rate of 1e-300
//! tokens a second a run that never ends; such values can only be mistakes, and drawing or
//! running them cannot terminate in any useful time.

/// The largest simulated latency a call may ask for: one hour.
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;
/// The most CPU work one call may ask for: a minute.
pub const MAX_CPU_MS: f64 = 60_000.0;
/// The most retries a call may ask for.
pub const MAX_RETRIES: u32 = 10;

/// The slowest speed: 100 × slower than real time.
pub const SPEED_MIN: f64 = 0.01;
/// The fastest speed: a 1 h call in 3.6 ms.
pub const SPEED_MAX: f64 = 1_000_000.0;
/// The fewest rate-limit tokens a second: one every 1000 s.
pub const RATE_MIN: f64 = 0.001;
/// The most rate-limit tokens a second.
pub const RATE_MAX: f64 = 1_000_000.0;
/// The most simulated time one call may take in all, its attempts, timeouts and backoffs
/// together: a day.
pub const CALL_TOTAL_MAX_MS: f64 = 24.0 * 3_600_000.0;

/// The timeout of a real call (`http`, `file`) that gives none (neither `timeout_ms` nor
/// `http.timeout_ms`): a minute, so a read of a FIFO or a server that never answers ends.
pub const DEFAULT_REAL_TIMEOUT_MS: f64 = 60_000.0;

/// `x` when it is a speed in [`SPEED_MIN`]..=[`SPEED_MAX`], else the message saying the range.
pub fn check_speed(x: f64) -> Result<f64, String> {
    if x.is_finite() && (SPEED_MIN..=SPEED_MAX).contains(&x) {
        Ok(x)
    } else {
        Err(format!(
            "speed {} is out of range: use 0.01 to 1000000 (1 is real time, 10 ten times faster)",
            short(x)
        ))
    }
}

/// `x` as people write it: `0.5`, `-1`, and `1e-306` rather than 306 zeros.
pub fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() || (1e-4..1e15).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Whether `x` is a rate in [`RATE_MIN`]..=[`RATE_MAX`] tokens a second.
pub fn rate_in_range(x: f64) -> bool {
    x.is_finite() && (RATE_MIN..=RATE_MAX).contains(&x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_outside_the_range_are_refused_with_it() {
        assert_eq!(check_speed(1.0), Ok(1.0));
        assert_eq!(check_speed(0.01), Ok(0.01));
        assert_eq!(check_speed(1e6), Ok(1e6));
        for bad in [1e-306, 0.0099, 0.0, -1.0, 1.5e6, f64::NAN, f64::INFINITY] {
            let e = check_speed(bad).unwrap_err();
            assert!(e.contains("use 0.01 to 1000000"), "{bad}: {e}");
        }
        assert!(
            check_speed(1e-306)
                .unwrap_err()
                .starts_with("speed 1e-306 is out")
        );
        assert!(
            check_speed(-1.0)
                .unwrap_err()
                .starts_with("speed -1 is out")
        );
    }

    #[test]
    fn rates_outside_the_range_are_refused() {
        assert!(rate_in_range(0.001) && rate_in_range(2.0) && rate_in_range(1e6));
        assert!(
            ![1e-300, 0.0009, 0.0, -2.0, 1e7, f64::NAN]
                .into_iter()
                .any(rate_in_range)
        );
    }
}
