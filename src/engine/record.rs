//! The run record: every lane's measured timings, self-contained (it carries the scenario as
//! run), so it can be reported and replayed without the scenario file and without re-running.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::InputError;
use super::lane::LaneResult;
use super::plan::{Bounds, Plan};
use super::scenario::{Scenario, parse_json};
use super::strategy::Strategy;

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// The call completed.
    Ok,
    /// The call failed; its message is in `error`.
    Error,
    /// The call never ran because a dependency failed; the reason is in `error`.
    Skipped,
}

/// One call's timings in one lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallRecord {
    /// The call's id.
    pub id: String,
    /// How it ended.
    pub status: CallStatus,
    /// Milliseconds from the lane's start to the call's start; `null` when skipped.
    pub start_ms: Option<f64>,
    /// Milliseconds from the lane's start to the call's end; `null` when skipped.
    pub end_ms: Option<f64>,
    /// The failure message, or why the call was skipped.
    pub error: Option<String>,
}

impl CallRecord {
    /// A call that never ran.
    pub fn skipped(id: &str, reason: String) -> Self {
        CallRecord {
            id: id.to_string(),
            status: CallStatus::Skipped,
            start_ms: None,
            end_ms: None,
            error: Some(reason),
        }
    }
}

/// One strategy's run of the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneRecord {
    /// The strategy, as written on the command line (`pool:3`).
    pub strategy: String,
    /// Measured wall-clock milliseconds.
    pub wall_ms: f64,
    /// What no run of this strategy can beat (nominal ÷ speed).
    pub lower_bound_ms: f64,
    /// The sequential lane's wall (or `sum_ms` without one) ÷ this lane's wall.
    pub speedup: f64,
    /// One entry per call, in file order.
    pub calls: Vec<CallRecord>,
}

impl LaneRecord {
    /// Lower bound ÷ wall: 1.0 means the lane did as well as any run of its strategy can.
    pub fn efficiency(&self) -> f64 {
        if self.wall_ms > 0.0 {
            self.lower_bound_ms / self.wall_ms
        } else {
            1.0
        }
    }
}

/// How the lanes of a run were started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// All lanes at once.
    Race,
    /// One lane after another.
    OneAtATime,
}

/// A saved run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The fanout version that made it.
    pub fanout_version: String,
    /// Wall-clock time the run started (RFC 3339, UTC, milliseconds).
    pub started_at: String,
    /// The divisor applied to simulated latencies.
    pub speed: f64,
    /// Whether the lanes raced or ran one at a time.
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// The scenario as run.
    pub scenario: Scenario,
    /// Sum of work and critical path, nominal ÷ speed.
    pub bounds: Bounds,
    /// One per strategy, in the order run.
    pub lanes: Vec<LaneRecord>,
}

fn default_mode() -> Mode {
    Mode::Race
}

impl Record {
    /// Assembles a record from measured lanes, computing speedups and lower bounds.
    pub fn new(
        plan: &Plan,
        speed: f64,
        mode: Mode,
        started_at: String,
        lanes: Vec<LaneResult>,
    ) -> Record {
        let bounds = plan.bounds.at_speed(speed);
        let baseline = lanes
            .iter()
            .find(|l| l.strategy == Strategy::Sequential)
            .map_or(bounds.sum_ms, |l| l.wall_ms);
        let lanes = lanes
            .into_iter()
            .map(|l| LaneRecord {
                strategy: l.strategy.to_string(),
                wall_ms: l.wall_ms,
                lower_bound_ms: l.strategy.lower_bound_ms(&bounds),
                speedup: if l.wall_ms > 0.0 {
                    baseline / l.wall_ms
                } else {
                    1.0
                },
                calls: l.calls,
            })
            .collect();
        Record {
            fanout_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at,
            speed,
            mode,
            scenario: plan.scenario.clone(),
            bounds,
            lanes,
        }
    }

    /// Reads and checks a record file: valid JSON of the right shape, a valid scenario, and
    /// lanes whose calls match the scenario's.
    pub fn load(path: &Path) -> Result<(Record, Arc<Plan>), InputError> {
        let mut source = super::scenario::read_file(path)?;
        let record: Record = parse_json(&source.label, &source.text)?;
        let label = source.label.clone();
        // The embedded scenario's errors should still name the record file.
        source.label = format!("{label} (embedded scenario)");
        let plan = Plan::new(record.scenario.clone(), &source)?;
        if !(record.speed.is_finite() && record.speed > 0.0) {
            return Err(InputError::new(
                &label,
                format!("speed {} is not a positive number", record.speed),
            ));
        }
        for lane in &record.lanes {
            lane.strategy
                .parse::<Strategy>()
                .map_err(|m| InputError::new(&label, format!("lane: {m}")))?;
            let ids: Vec<&str> = lane.calls.iter().map(|c| c.id.as_str()).collect();
            let expected: Vec<&str> = plan.calls.iter().map(|c| c.id.as_str()).collect();
            if ids != expected {
                return Err(InputError::new(
                    &label,
                    format!(
                        "lane `{}` does not list the scenario's calls in file order",
                        lane.strategy
                    ),
                )
                .hint("the record was edited or truncated; record the run again with --record"));
            }
        }
        Ok((record, Arc::new(plan)))
    }
}
