//! How to run a plan: the options of a run and the value types they are made of. A leaf, so
//! that the clocks, the run and the record all read them without depending on each other.

use serde::{Deserialize, Serialize};

use super::strategy::Strategy;

/// How the lanes of a run were started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// All lanes at once.
    Race,
    /// One lane after another.
    OneAtATime,
}

/// Which clock a run used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// Real time: calls really wait, fetch, read and compute; every time is measured.
    #[default]
    Real,
    /// Virtual time: simulated calls finish instantly with exact times.
    Virtual,
}

/// How to run a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOptions {
    /// One lane per strategy, in this order.
    pub strategies: Vec<Strategy>,
    /// Divides simulated latencies (10 runs a 25 s scenario in 2.5 s).
    pub speed: f64,
    /// Race all lanes together, or run them one after another.
    pub mode: Mode,
    /// What `{local}` in an HTTP call stands for (fanout's own server), when one runs.
    pub local: Option<String>,
}
