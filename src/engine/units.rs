//! Milliseconds, the engine's unit of time: converting, ordering and printing them.

use std::time::Duration;

/// Milliseconds with microsecond precision.
pub fn millis(d: Duration) -> f64 {
    (d.as_nanos() / 1_000) as f64 / 1_000.0
}

/// Milliseconds that order totally (`f64::total_cmp`): the key of both clocks' heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ms(pub f64);

impl Eq for Ms {}

impl PartialOrd for Ms {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ms {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// A number without a trailing `.0` when it is whole.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}
