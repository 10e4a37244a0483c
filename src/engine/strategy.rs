//! Execution strategies: the rule that decides when a call may start. Each strategy is one lane.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The numbers that bound every lane, computed from the scenario (and, for real I/O, from
/// what a run measured).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Bounds {
    /// Sum of the durations of the calls that run: what a sequential lane waits.
    pub sum_ms: f64,
    /// Longest dependency chain: what no lane can beat.
    pub critical_path_ms: f64,
    /// CPU-bound work among them: no lane finishes it faster than this ÷ the cores.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cpu_ms: f64,
    /// With a rate limit: the earliest the last limited call can finish, whatever the strategy
    /// (the bucket lets `burst` calls start at once, then one per interval).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rate_ms: f64,
    /// With model turns: the time `one-per-turn` spends in them (a turn before each call that
    /// runs, and a final one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub one_per_turn_turns_ms: f64,
    /// With model turns: the time `turn-batched` spends in them (a turn before each batch, and
    /// a final one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub turn_batched_turns_ms: f64,
    /// With model calls (which the turn strategies take as turns, not calls): the sum of the
    /// other calls, what `one-per-turn` runs between its turns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_sum_ms: Option<f64>,
    /// With model calls: the longest chain of the other calls, a model call counting 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_path_ms: Option<f64>,
}

impl Bounds {
    /// The sum of the calls a turn lane runs: all but the model calls.
    pub fn turn_sum(&self) -> f64 {
        self.turn_sum_ms.unwrap_or(self.sum_ms)
    }

    /// The longest chain of the calls a turn lane runs.
    pub fn turn_path(&self) -> f64 {
        self.turn_path_ms.unwrap_or(self.critical_path_ms)
    }
}

// Objects only, as every struct of a fanout file (see `json::object_only!`).
super::json::object_only! { Bounds => "an object {…}" }

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// How a lane schedules the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// One call at a time, in file order (topological, stable by file order).
    Sequential,
    /// Every call starts the instant its dependencies have finished; no limit.
    Parallel,
    /// Level by level: a wave starts only when the whole previous wave has finished.
    Waves,
    /// Eager with at most N calls in flight; among ready calls, file order first.
    Pool(usize),
    /// Eager with at most N calls in flight; among ready calls, the one with the longest
    /// remaining path (its own duration plus the longest chain after it) first.
    PoolCp(usize),
    /// The agent that asks for one tool per model turn: a turn, one call (file order among the
    /// ready), the next turn, …, and a final turn. Needs the scenario's model turns.
    OnePerTurn,
    /// Each model turn asks for every ready call and the batch runs at once; its dependents
    /// wait for the next turn; a final turn. Needs the scenario's model turns.
    TurnBatched,
}

impl Strategy {
    /// The names accepted on the command line and in scenario files.
    pub const NAMES: &'static [&'static str] = &[
        "sequential",
        "parallel",
        "waves",
        "pool:N",
        "pool:N:cp",
        "one-per-turn",
        "turn-batched",
    ];

    /// Whether the lane counts the model's turns (and needs a scenario that sets them).
    pub fn uses_turns(self) -> bool {
        matches!(self, Strategy::OnePerTurn | Strategy::TurnBatched)
    }

    /// At most this many calls in flight (`None`: no limit).
    pub fn limit(self) -> Option<usize> {
        match self {
            Strategy::Sequential | Strategy::OnePerTurn => Some(1),
            Strategy::Parallel | Strategy::Waves | Strategy::TurnBatched => None,
            Strategy::Pool(n) | Strategy::PoolCp(n) => Some(n),
        }
    }

    /// The wall a run of this strategy should not exceed on an exact clock (for the time axis):
    /// the sum for sequential, the critical path for parallel, each level's slowest call summed
    /// for waves (`waves_ms`), and Graham's bound `sum / N + (1 - 1/N) · critical path` for any
    /// greedy pool of N; never less than the lower bound (CPU work shares the cores).
    pub fn upper_bound_ms(self, bounds: &Bounds, waves_ms: f64, cores: usize) -> f64 {
        let b = bounds;
        let upper = match self {
            Strategy::Sequential => b.sum_ms,
            Strategy::Parallel => b.critical_path_ms,
            Strategy::Waves => waves_ms,
            Strategy::OnePerTurn => b.turn_sum() + b.one_per_turn_turns_ms,
            // With model calls `waves_ms` counts them as calls: the sum of the others bounds
            // the batches instead (loosely; it is for the time axis).
            Strategy::TurnBatched => match b.turn_sum_ms {
                Some(sum) => sum + b.turn_batched_turns_ms,
                None => waves_ms + b.turn_batched_turns_ms,
            },
            Strategy::Pool(n) | Strategy::PoolCp(n) => {
                let n = n as f64;
                b.sum_ms
                    .min(b.sum_ms / n + (1.0 - 1.0 / n) * b.critical_path_ms)
            }
        };
        upper.max(self.lower_bound_ms(bounds, cores))
    }

    /// Whether ready calls are taken by longest remaining path rather than file order.
    pub fn critical_path_first(self) -> bool {
        matches!(self, Strategy::PoolCp(_))
    }

    /// The wall no run of this strategy can beat, in the units of `bounds`: the sum for
    /// sequential; the critical path for the others, and the pool's share of the work
    /// (`sum / N`). CPU-bound work cannot go faster than the cores allow: `cpu_ms / cores`.
    /// The turn strategies add their model turns, which no call overlaps.
    pub fn lower_bound_ms(self, bounds: &Bounds, cores: usize) -> f64 {
        let cores = cores.max(1) as f64;
        let bound = match self {
            Strategy::Sequential => bounds.sum_ms,
            Strategy::OnePerTurn => bounds.turn_sum() + bounds.one_per_turn_turns_ms,
            Strategy::TurnBatched => {
                bounds.turn_path().max(bounds.cpu_ms / cores) + bounds.turn_batched_turns_ms
            }
            Strategy::Parallel | Strategy::Waves => {
                bounds.critical_path_ms.max(bounds.cpu_ms / cores)
            }
            Strategy::Pool(n) | Strategy::PoolCp(n) => {
                let n = n as f64;
                bounds
                    .critical_path_ms
                    .max(bounds.sum_ms / n)
                    .max(bounds.cpu_ms / n.min(cores))
            }
        };
        bound.max(bounds.rate_ms)
    }
}

/// The cores this machine offers (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Each strategy once, at its first place in `list`: lanes are named by their strategy, so a
/// strategy asked for twice is one lane. Quadratic, for the few strategies a run has.
pub fn distinct(list: impl IntoIterator<Item = Strategy>) -> Vec<Strategy> {
    let mut out = Vec::new();
    for s in list {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Sequential => f.write_str("sequential"),
            Strategy::Parallel => f.write_str("parallel"),
            Strategy::Waves => f.write_str("waves"),
            Strategy::Pool(n) => write!(f, "pool:{n}"),
            Strategy::PoolCp(n) => write!(f, "pool:{n}:cp"),
            Strategy::OnePerTurn => f.write_str("one-per-turn"),
            Strategy::TurnBatched => f.write_str("turn-batched"),
        }
    }
}

impl FromStr for Strategy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "sequential" => Ok(Strategy::Sequential),
            "parallel" => Ok(Strategy::Parallel),
            "waves" => Ok(Strategy::Waves),
            "one-per-turn" => Ok(Strategy::OnePerTurn),
            "turn-batched" => Ok(Strategy::TurnBatched),
            _ => {
                if let Some(rest) = s.strip_prefix("pool:") {
                    let (n, cp) = match rest.strip_suffix(":cp") {
                        Some(n) => (n, true),
                        None => (rest, false),
                    };
                    return match n.parse::<usize>() {
                        Ok(0) => Err(format!(
                            "`{s}`: a pool needs at least one worker; use pool:1 or more"
                        )),
                        Ok(n) if cp => Ok(Strategy::PoolCp(n)),
                        Ok(n) => Ok(Strategy::Pool(n)),
                        Err(_) => Err(format!(
                            "`{s}`: the pool size must be a whole number, e.g. pool:3 (or pool:3:cp for critical-path priority)"
                        )),
                    };
                }
                let hint = match super::error::nearest(
                    s,
                    [
                        "sequential",
                        "parallel",
                        "waves",
                        "pool",
                        "one-per-turn",
                        "turn-batched",
                    ],
                ) {
                    Some("pool") => " (did you mean `pool:N`, e.g. pool:3?)".to_string(),
                    Some(n) => format!(" (did you mean `{n}`?)"),
                    None => String::new(),
                };
                Err(format!(
                    "unknown strategy `{s}`{hint}; known: {}",
                    Strategy::NAMES.join(", ")
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_every_strategy() {
        for s in [
            "sequential",
            "parallel",
            "waves",
            "pool:3",
            "pool:2:cp",
            "one-per-turn",
            "turn-batched",
        ] {
            assert_eq!(s.parse::<Strategy>().unwrap().to_string(), s);
        }
        assert!(
            "pool:0"
                .parse::<Strategy>()
                .unwrap_err()
                .contains("at least one")
        );
        assert!(
            "paralel"
                .parse::<Strategy>()
                .unwrap_err()
                .contains("`parallel`")
        );
        assert!("pool".parse::<Strategy>().unwrap_err().contains("pool:N"));
    }

    /// Bounds with no rate limit.
    fn bounds(sum_ms: f64, critical_path_ms: f64, cpu_ms: f64) -> Bounds {
        Bounds {
            sum_ms,
            critical_path_ms,
            cpu_ms,
            rate_ms: 0.0,
            ..Bounds::default()
        }
    }

    #[test]
    fn lower_bounds() {
        let b = bounds(10.0, 2.0, 0.0);
        assert_eq!(Strategy::Sequential.lower_bound_ms(&b, 2), 10.0);
        assert_eq!(Strategy::Waves.lower_bound_ms(&b, 2), 2.0);
        assert_eq!(Strategy::Pool(3).lower_bound_ms(&b, 2), 10.0 / 3.0);
        assert_eq!(Strategy::Pool(10).lower_bound_ms(&b, 2), 2.0);
    }

    #[test]
    fn cpu_work_is_bounded_by_the_cores() {
        // Eight calls of 200 ms of CPU: on 2 cores no lane beats 800 ms.
        let b = bounds(1600.0, 200.0, 1600.0);
        assert_eq!(Strategy::Parallel.lower_bound_ms(&b, 2), 800.0);
        assert_eq!(Strategy::Pool(4).lower_bound_ms(&b, 2), 800.0);
        assert_eq!(Strategy::Pool(1).lower_bound_ms(&b, 2), 1600.0);
        assert_eq!(Strategy::Parallel.upper_bound_ms(&b, 200.0, 2), 800.0);
    }
}
