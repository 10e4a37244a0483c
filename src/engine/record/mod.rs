//! The run record: every lane's measured timings, self-contained (it carries the scenario as
//! run), so it can be reported and replayed without the scenario file and without re-running.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod call;
mod fields;
mod ids;
mod lane_text;
mod load;
mod read;

pub use call::{Attempt, CallMore, CallRecord, CallStatus, boxed_unless_empty};

use crate::engine::effects::Effect;
use crate::engine::options::{Clock, Mode};
use crate::engine::plan::Plan;
use crate::engine::scenario::Scenario;
use crate::engine::strategy::{Bounds, Strategy, cores};

// Objects only: serde's derive also reads a struct from a list, fields by position.
crate::engine::json::object_only! {
    LaneRecord => "an object {…}",
    Record => "an object {…}",
    Turn => "an object {…}",
}

/// One model turn of a lane that counts them (`one-per-turn`, `turn-batched`): the model
/// reading results and asking for the next calls, while no call runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Turn {
    /// When the turn started (ms from the lane's start).
    pub start_ms: f64,
    /// When it ended.
    pub end_ms: f64,
}

/// What one lane measured, on either clock: what [`LaneRecord`] is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneResult {
    /// The strategy the lane ran.
    pub strategy: Strategy,
    /// Wall-clock milliseconds from the lane's start to its last call's end.
    pub wall_ms: f64,
    /// One record per call, in file order.
    pub calls: Vec<CallRecord>,
    /// The model's turns, in order (empty for strategies that do not count them).
    pub turns: Vec<Turn>,
}

/// One strategy's run of the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct LaneRecord {
    /// The strategy, as written on the command line (`pool:3`), or `recorded`.
    pub strategy: LaneLabel,
    /// Measured wall-clock milliseconds.
    pub wall_ms: f64,
    /// What no run of this strategy can beat (nominal ÷ speed).
    pub lower_bound_ms: f64,
    /// The sequential lane's wall (or `sum_ms` without one) ÷ this lane's wall; 1.0 when either
    /// is 0 (no work to speed up, or nothing measured), since JSON has no NaN or infinity.
    pub speedup: f64,
    /// The wall the virtual clock predicts for this lane (the simulated part of the batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_ms: Option<f64>,
    /// One entry per call, in file order.
    #[serde(deserialize_with = "ids::calls")]
    pub calls: Vec<CallRecord>,
    /// The model's turns, in order (`one-per-turn` and `turn-batched` lanes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub turns: Vec<Turn>,
}

impl LaneRecord {
    /// Whether this is the recorded lane of an imported trace, not a strategy's run.
    pub fn is_recorded(&self) -> bool {
        self.strategy == LaneLabel::Recorded
    }

    /// Lower bound ÷ wall: 1.0 means the lane did as well as any run of its strategy can.
    ///
    /// When the lower bound is 0 (every call has latency 0, or every call that costs time was
    /// skipped) no run could have done better than the nominal bound, so this is 1.0 rather than
    /// 0 / wall = 0 %; likewise for a wall of 0.
    pub fn efficiency(&self) -> f64 {
        efficiency(self.lower_bound_ms, self.wall_ms)
    }
}

/// A lane's lower bound given its prediction: under `on_error: cancel` a lane may stop before
/// doing all its work, so the strategy's bound is lowered to what an exact clock achieves.
pub fn lower_bound_under(lower_bound_ms: f64, predicted_ms: f64, cancels: bool) -> f64 {
    if cancels {
        lower_bound_ms.min(predicted_ms)
    } else {
        lower_bound_ms
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

/// The lane name of what really happened, in a record made from an imported trace.
pub const RECORDED_LANE: &str = "recorded";

/// What a lane is: a strategy's run, or the recorded timeline of an imported trace (or of a
/// watched agent). In JSON it is one string: `"recorded"` or the strategy as written on the
/// command line (`"pool:3"`); an unknown strategy is refused where it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaneLabel {
    /// What really happened ([`RECORDED_LANE`]).
    Recorded,
    /// A strategy's run.
    Strategy(Strategy),
}

impl LaneLabel {
    /// The strategy, unless this is the recorded lane.
    pub fn strategy(self) -> Option<Strategy> {
        match self {
            LaneLabel::Recorded => None,
            LaneLabel::Strategy(s) => Some(s),
        }
    }
}

impl From<Strategy> for LaneLabel {
    fn from(s: Strategy) -> Self {
        LaneLabel::Strategy(s)
    }
}

impl std::fmt::Display for LaneLabel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaneLabel::Recorded => f.write_str(RECORDED_LANE),
            LaneLabel::Strategy(s) => s.fmt(f),
        }
    }
}

impl std::str::FromStr for LaneLabel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == RECORDED_LANE {
            Ok(LaneLabel::Recorded)
        } else {
            s.parse().map(LaneLabel::Strategy)
        }
    }
}

/// A label equals the text that names it (`"recorded"`, `"pool:3"`).
impl PartialEq<str> for LaneLabel {
    fn eq(&self, other: &str) -> bool {
        other.parse::<LaneLabel>().is_ok_and(|o| o == *self)
    }
}

impl PartialEq<&str> for LaneLabel {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl Serialize for LaneLabel {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How a lane label's parse error starts, for [`Record::load`] to recognise and place it.
pub(crate) const UNKNOWN_LANE: &str = "a lane's strategy: ";

impl<'de> Deserialize<'de> for LaneLabel {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Label;
        impl serde::de::Visitor<'_> for Label {
            type Value = LaneLabel;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a strategy such as \"parallel\" or \"pool:3\", or \"recorded\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<LaneLabel, E> {
                // `Record::load` finds the lane by the error's place and says which it is.
                v.parse()
                    .map_err(|m: String| E::custom(format!("{UNKNOWN_LANE}{m}")))
            }
        }
        deserializer.deserialize_str(Label)
    }
}

/// A saved run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
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
    /// Real (measured) or virtual (exact, simulated) time.
    #[serde(default)]
    pub clock: Clock,
    /// The scenario as run (the plan's own, shared).
    #[serde(deserialize_with = "ids::scenario")]
    pub scenario: Arc<Scenario>,
    /// Sum of work and critical path: nominal ÷ speed for simulated calls, measured (the median
    /// over lanes) for real I/O.
    pub bounds: Bounds,
    /// The cores of the machine that ran it (CPU-bound work is bounded by them).
    #[serde(default = "one_core")]
    pub cores: usize,
    /// The latencies drawn from `latency` distributions, by call id (the same in every lane).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub draws: BTreeMap<Arc<str>, f64>,
    /// One per strategy, in the order run.
    pub lanes: Vec<LaneRecord>,
    /// With `--runs N`: every run's lanes, the first of which is `lanes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Vec<LaneRecord>>,
}

fn one_core() -> usize {
    1
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
        let cores = cores();
        // At speed 1 with nothing measured the bounds are the plan's own (the same function of
        // the same durations). Otherwise simulated and CPU calls count what they are known to
        // take, and real I/O the least it took in any lane, so that no lane can beat the bound
        // with a lucky fast call.
        let measured = plan.calls.iter().any(|c| c.effect.nominal_ms().is_none());
        let bounds = if speed == 1.0 && !measured {
            plan.bounds
        } else {
            let durations: Vec<f64> = plan
                .calls
                .iter()
                .enumerate()
                .map(|(i, c)| match c.effect.nominal_ms() {
                    Some(_) => c.expected(speed).0,
                    None => lanes
                        .iter()
                        .filter_map(|l| l.calls.get(i)?.duration_ms())
                        .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.min(d))))
                        .unwrap_or(0.0),
                })
                .collect();
            plan.bounds_from(&durations, speed)
        };
        let draws = plan
            .calls
            .iter()
            .filter_map(|c| match c.effect {
                Effect::Drawn { ms, .. } => Some((c.id.clone(), ms)),
                _ => None,
            })
            .collect();
        let baseline = lanes
            .iter()
            .find(|l| l.strategy == Strategy::Sequential)
            .map_or(bounds.sum_ms, |l| l.wall_ms);
        let lanes = lanes
            .into_iter()
            .map(|l| LaneRecord {
                strategy: LaneLabel::Strategy(l.strategy),
                wall_ms: l.wall_ms,
                lower_bound_ms: l.strategy.lower_bound_ms(&bounds, cores),
                speedup: speedup(baseline, l.wall_ms),
                predicted_ms: None,
                calls: l.calls,
                turns: l.turns,
            })
            .collect();
        Record {
            fanout_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at,
            speed,
            mode,
            clock: Clock::Real,
            scenario: plan.scenario.clone(),
            bounds,
            cores,
            draws,
            lanes,
            runs: Vec::new(),
        }
    }

    /// Gives each lane the wall the virtual clock predicts for it. Under `on_error: cancel` a
    /// lane may stop before doing all its work, so its lower bound is no bound: it is lowered
    /// to the prediction, which an exact clock achieves. (Elsewhere the prediction is not a cap:
    /// real I/O counts 0 in it.)
    pub fn set_predicted(&mut self, walls: &[f64], cancels: bool) {
        for (lane, &p) in self.lanes.iter_mut().zip(walls) {
            lane.predicted_ms = Some(p);
            lane.lower_bound_ms = lower_bound_under(lane.lower_bound_ms, p, cancels);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speedup_and_efficiency_are_numbers_when_nothing_takes_time() {
        assert_eq!(speedup(0.0, 2.5), 1.0);
        assert_eq!(speedup(10.0, 0.0), 1.0);
        assert_eq!(speedup(10.0, 4.0), 2.5);
        let lane = |lower_bound_ms, wall_ms| LaneRecord {
            strategy: LaneLabel::Strategy(Strategy::Parallel),
            wall_ms,
            lower_bound_ms,
            speedup: 1.0,
            predicted_ms: None,
            calls: vec![],
            turns: vec![],
        };
        assert_eq!(lane(0.0, 3.0).efficiency(), 1.0);
        assert_eq!(lane(2.0, 0.0).efficiency(), 1.0);
        assert_eq!(lane(2.0, 4.0).efficiency(), 0.5);
    }

    #[test]
    fn a_lane_label_is_one_string_in_json() {
        for (label, json) in [
            (LaneLabel::Recorded, r#""recorded""#),
            (LaneLabel::Strategy(Strategy::Pool(3)), r#""pool:3""#),
            (LaneLabel::Strategy(Strategy::PoolCp(2)), r#""pool:2:cp""#),
        ] {
            assert_eq!(serde_json::to_string(&label).unwrap(), json);
            assert_eq!(serde_json::from_str::<LaneLabel>(json).unwrap(), label);
        }
        let err = serde_json::from_str::<LaneLabel>(r#""paralel""#).unwrap_err();
        assert!(err.to_string().starts_with(UNKNOWN_LANE), "{err}");
        assert!(
            err.to_string().contains("did you mean `parallel`?"),
            "{err}"
        );
        assert!(LaneLabel::Recorded == "recorded");
        assert!(LaneLabel::Strategy(Strategy::Waves) != "recorded");
    }
}
