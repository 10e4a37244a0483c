//! The run record: every lane's measured timings, self-contained (it carries the scenario as
//! run), so it can be reported and replayed without the scenario file and without re-running.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::error::InputError;
use super::lane::LaneResult;
use super::plan::{Bounds, Plan};
use super::scenario::{
    FileKind, JsonFile, Scenario, Step, line_col, locate, parse_json, read_file,
};
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
    /// The sequential lane's wall (or `sum_ms` without one) ÷ this lane's wall; 1.0 when either
    /// is 0 (no work to speed up, or nothing measured), since JSON has no NaN or infinity.
    pub speedup: f64,
    /// One entry per call, in file order.
    pub calls: Vec<CallRecord>,
}

impl LaneRecord {
    /// Lower bound ÷ wall: 1.0 means the lane did as well as any run of its strategy can.
    ///
    /// When the lower bound is 0 (every call has latency 0, or every call that costs time was
    /// skipped) no run could have done better than the nominal bound, so this is 1.0 rather than
    /// 0 / wall = 0 %; likewise for a wall of 0.
    pub fn efficiency(&self) -> f64 {
        efficiency(self.lower_bound_ms, self.wall_ms)
    }
}

/// `lower bound ÷ wall`, or 1.0 when either is 0 (see [`LaneRecord::efficiency`]).
pub fn efficiency(lower_bound_ms: f64, wall_ms: f64) -> f64 {
    if lower_bound_ms > 0.0 && wall_ms > 0.0 {
        lower_bound_ms / wall_ms
    } else {
        1.0
    }
}

/// `baseline ÷ wall`, or 1.0 when either is 0: with no work to speed up (a baseline of 0) there
/// is no speedup, and a record holds numbers only (JSON has no NaN or infinity).
pub fn speedup(baseline_ms: f64, wall_ms: f64) -> f64 {
    if baseline_ms > 0.0 && wall_ms > 0.0 {
        baseline_ms / wall_ms
    } else {
        1.0
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
                speedup: speedup(baseline, l.wall_ms),
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
    /// lanes whose calls match the scenario's. Every error names the record file and, where it
    /// can, the line:column; errors in the embedded scenario say so after the place.
    pub fn load(path: &Path) -> Result<(Record, Arc<Plan>), InputError> {
        let mut source = read_file(path, FileKind::Record)?;
        let record: Record = parse_json(&source.label, &source.text)?;
        // The embedded scenario's errors name the record file and place themselves in it.
        source.embedded = true;
        let plan = Plan::new(record.scenario.clone(), &source)?;
        record.check(&source.label, &source.text, &plan)?;
        Ok((record, Arc::new(plan)))
    }

    /// What JSON cannot say about a record: a positive speed, known lane strategies, timings that
    /// are not negative, and each lane listing the scenario's calls in file order.
    fn check(&self, label: &str, text: &str, plan: &Plan) -> Result<(), InputError> {
        use Step::{Index, Key};
        let at = |path: &[Step<'_>]| locate(text, path).map(|i| line_col(text, i));
        if !(self.speed.is_finite() && self.speed > 0.0) {
            return Err(InputError::new(
                label,
                format!("speed {} is not a positive number", self.speed),
            )
            .at(at(&[Key("speed")]))
            .hint("speed is the divisor the run used, above 0 (1 for real time)"));
        }
        for (name, value) in [
            ("sum_ms", self.bounds.sum_ms),
            ("critical_path_ms", self.bounds.critical_path_ms),
        ] {
            if value < 0.0 {
                return Err(
                    InputError::new(label, format!("bounds.{name} {value} is negative"))
                        .at(at(&[Key("bounds"), Key(name)])),
                );
            }
        }
        let expected: Vec<&str> = plan.calls.iter().map(|c| c.id.as_str()).collect();
        for (k, lane) in self.lanes.iter().enumerate() {
            let lane_at = |rest: &[Step<'_>]| {
                let mut path = vec![Key("lanes"), Index(k)];
                path.extend_from_slice(rest);
                at(&path).or_else(|| at(&[Key("lanes"), Index(k)]))
            };
            let name = &lane.strategy;
            if let Err(m) = lane.strategy.parse::<Strategy>() {
                return Err(InputError::new(label, format!("lane {}: {m}", k + 1))
                    .at(lane_at(&[Key("strategy")])));
            }
            for (field, value) in [
                ("wall_ms", lane.wall_ms),
                ("lower_bound_ms", lane.lower_bound_ms),
                ("speedup", lane.speedup),
            ] {
                if value < 0.0 {
                    return Err(InputError::new(
                        label,
                        format!("lane `{name}`: {field} {value} is negative"),
                    )
                    .at(lane_at(&[Key(field)]))
                    .hint("record the run again with --record"));
                }
            }
            let ids: Vec<&str> = lane.calls.iter().map(|c| c.id.as_str()).collect();
            if ids != expected {
                let (detail, place) = match ids.iter().zip(&expected).position(|(a, b)| a != b) {
                    Some(j) => (
                        format!(
                            "its call {} is `{}` where the scenario has `{}`",
                            j + 1,
                            ids[j],
                            expected[j]
                        ),
                        lane_at(&[Key("calls"), Index(j), Key("id")]),
                    ),
                    None => (
                        format!(
                            "it lists {} calls, the scenario has {}",
                            ids.len(),
                            expected.len()
                        ),
                        lane_at(&[Key("calls")]),
                    ),
                };
                return Err(InputError::new(
                    label,
                    format!(
                        "lane `{name}` does not list the scenario's calls in file order: {detail}"
                    ),
                )
                .at(place)
                .hint("the record was edited or truncated; record the run again with --record"));
            }
            for (j, call) in lane.calls.iter().enumerate() {
                let ran = call.status != CallStatus::Skipped;
                let times_ok = match (call.start_ms, call.end_ms) {
                    (Some(s), Some(e)) => ran && 0.0 <= s && s <= e,
                    (None, None) => !ran,
                    _ => false,
                };
                if !times_ok {
                    let want = if ran {
                        "a call that ran has start_ms <= end_ms, both 0 or more"
                    } else {
                        "a skipped call has null start_ms and end_ms"
                    };
                    return Err(InputError::new(
                        label,
                        format!("lane `{name}`: call `{}` has impossible timings", call.id),
                    )
                    .at(lane_at(&[Key("calls"), Index(j)]))
                    .hint(format!("{want}; record the run again with --record")));
                }
            }
        }
        Ok(())
    }
}

/// Field names of the record's objects, for "did you mean" hints.
const RECORD_FIELDS: &[&str] = &[
    "fanout_version",
    "started_at",
    "speed",
    "mode",
    "scenario",
    "bounds",
    "lanes",
];
const BOUNDS_FIELDS: &[&str] = &["sum_ms", "critical_path_ms"];
const LANE_FIELDS: &[&str] = &["strategy", "wall_ms", "lower_bound_ms", "speedup", "calls"];
const CALL_RECORD_FIELDS: &[&str] = &["id", "status", "start_ms", "end_ms", "error"];

impl JsonFile for Record {
    const KIND: FileKind = FileKind::Record;

    fn fields_at(path: &[Step<'_>]) -> Option<&'static [&'static str]> {
        use Step::{Index, Key};
        match path {
            [] => Some(RECORD_FIELDS),
            [Key("bounds")] => Some(BOUNDS_FIELDS),
            [Key("lanes"), Index(_)] => Some(LANE_FIELDS),
            [Key("lanes"), Index(_), Key("calls"), Index(_)] => Some(CALL_RECORD_FIELDS),
            [Key("scenario"), rest @ ..] => Scenario::fields_at(rest),
            _ => None,
        }
    }

    fn type_hint(path: &[Step<'_>], found: &str) -> Option<String> {
        match path {
            [Step::Key("scenario"), rest @ ..] => Scenario::type_hint(rest, found),
            _ => Some(format!(
                "see the README, section \"{}\"; or record the run again with --record",
                FileKind::Record.readme_section()
            )),
        }
    }

    fn embedded(path: &[Step<'_>]) -> bool {
        path.first() == Some(&Step::Key("scenario"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &serde_json::Value) -> Vec<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    #[test]
    fn field_lists_match_the_types() {
        let call = CallRecord {
            id: "a".into(),
            status: CallStatus::Ok,
            start_ms: Some(0.0),
            end_ms: Some(1.0),
            error: None,
        };
        let lane = LaneRecord {
            strategy: "parallel".into(),
            wall_ms: 1.0,
            lower_bound_ms: 1.0,
            speedup: 1.0,
            calls: vec![call.clone()],
        };
        let sorted = |v: serde_json::Value, list: &[&str]| {
            let mut a = keys(&v);
            let mut b: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            a.sort();
            b.sort();
            assert_eq!(a, b);
        };
        sorted(serde_json::to_value(&call).unwrap(), CALL_RECORD_FIELDS);
        sorted(serde_json::to_value(&lane).unwrap(), LANE_FIELDS);
        let bounds = Bounds {
            sum_ms: 1.0,
            critical_path_ms: 1.0,
        };
        sorted(serde_json::to_value(bounds).unwrap(), BOUNDS_FIELDS);
        let plan = Plan::load("fetch-5-urls").unwrap();
        let record = Record::new(&plan, 1.0, Mode::Race, "now".into(), vec![]);
        sorted(serde_json::to_value(&record).unwrap(), RECORD_FIELDS);
    }

    #[test]
    fn speedup_and_efficiency_are_numbers_when_nothing_takes_time() {
        assert_eq!(speedup(0.0, 2.5), 1.0);
        assert_eq!(speedup(10.0, 0.0), 1.0);
        assert_eq!(speedup(10.0, 4.0), 2.5);
        let lane = |lower_bound_ms, wall_ms| LaneRecord {
            strategy: "parallel".into(),
            wall_ms,
            lower_bound_ms,
            speedup: 1.0,
            calls: vec![],
        };
        assert_eq!(lane(0.0, 3.0).efficiency(), 1.0);
        assert_eq!(lane(2.0, 0.0).efficiency(), 1.0);
        assert_eq!(lane(2.0, 4.0).efficiency(), 0.5);
    }
}
