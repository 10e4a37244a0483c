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
    pub async fn perform(&self, speed: f64) -> Result<(), String> {
        match self {
            Effect::Latency { ms } => {
                tokio::time::sleep(Duration::from_secs_f64(ms / speed / 1000.0)).await;
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
