//! What a call does: its effect. Strategies decide *when* a call runs; this module decides
//! *what* running it means, so new effects never touch the strategies.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The work one call performs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A simulated call: waits this many (nominal) milliseconds.
    Latency {
        /// Nominal latency in milliseconds, before the run's speed divides it.
        ms: f64,
    },
}

impl Effect {
    /// Nominal milliseconds this effect is expected to take (used for bounds).
    pub fn nominal_ms(&self) -> f64 {
        match self {
            Effect::Latency { ms } => *ms,
        }
    }

    /// Whether the run's speed factor scales this effect (simulated time does; real I/O won't).
    pub fn is_simulated(&self) -> bool {
        matches!(self, Effect::Latency { .. })
    }

    /// A short human description, e.g. `latency 5000 ms`.
    pub fn describe(&self) -> String {
        match self {
            Effect::Latency { ms } => format!("latency {} ms", fmt_num(*ms)),
        }
    }

    /// Performs the effect. `speed` divides simulated time.
    ///
    /// A zero latency does not touch the timer at all: tokio's timer has a 1 ms granularity, so
    /// even `sleep(0)` would cost a tick per call (100 000 calls in a pool of 4 took 30 s). It
    /// yields once instead, so a long run of instant calls still lets other tasks progress.
    /// Never panics, whatever `ms` and `speed` are.
    pub async fn perform(&self, speed: f64) -> Result<(), String> {
        match self {
            Effect::Latency { ms } => {
                let secs = ms / speed / 1000.0;
                match Duration::try_from_secs_f64(secs) {
                    Ok(d) if d.is_zero() => tokio::task::yield_now().await,
                    Ok(d) => tokio::time::sleep(d).await,
                    // Longer than a Duration can hold (a tiny speed): as good as forever, which
                    // tokio turns into its far future instead of overflowing.
                    Err(_) if secs > 0.0 => tokio::time::sleep(Duration::MAX).await,
                    // NaN or negative: a validated plan and speed never give one; do not panic.
                    Err(_) => tokio::task::yield_now().await,
                }
                Ok(())
            }
        }
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
