//! The field lists and type hints of the record format, for "did you mean" and for fixes of
//! values of the wrong type: what [`JsonFile`] asks of a record.

use super::Record;
use crate::engine::json::locate::Step;
use crate::engine::json::{FileKind, JsonFile};
use crate::engine::scenario::Scenario;

/// Field names of the record's objects, for "did you mean" hints.
const RECORD_FIELDS: &[&str] = &[
    "fanout_version",
    "started_at",
    "speed",
    "mode",
    "clock",
    "scenario",
    "bounds",
    "cores",
    "draws",
    "lanes",
    "runs",
];
const BOUNDS_FIELDS: &[&str] = &[
    "sum_ms",
    "critical_path_ms",
    "cpu_ms",
    "rate_ms",
    "one_per_turn_turns_ms",
    "turn_batched_turns_ms",
    "turn_sum_ms",
    "turn_path_ms",
];
const LANE_FIELDS: &[&str] = &[
    "strategy",
    "wall_ms",
    "lower_bound_ms",
    "speedup",
    "predicted_ms",
    "calls",
    "turns",
];
const TURN_FIELDS: &[&str] = &["start_ms", "end_ms"];
const CALL_RECORD_FIELDS: &[&str] = &[
    "id",
    "status",
    "start_ms",
    "end_ms",
    "error",
    "wait_ms",
    "attempts",
    "bytes",
    "http_status",
];
const ATTEMPT_FIELDS: &[&str] = &["start_ms", "end_ms", "error"];

impl JsonFile for Record {
    const KIND: FileKind = FileKind::Record;

    fn fields_at(path: &[Step<'_>]) -> Option<&'static [&'static str]> {
        use Step::{Index, Key};
        match path {
            [] => Some(RECORD_FIELDS),
            [Key("bounds")] => Some(BOUNDS_FIELDS),
            [Key("lanes"), Index(_)] => Some(LANE_FIELDS),
            [Key("lanes"), Index(_), Key("calls"), Index(_)] => Some(CALL_RECORD_FIELDS),
            [
                Key("lanes"),
                Index(_),
                Key("calls"),
                Index(_),
                Key("attempts"),
                Index(_),
            ] => Some(ATTEMPT_FIELDS),
            [Key("lanes"), Index(_), Key("turns"), Index(_)] => Some(TURN_FIELDS),
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
    use crate::engine::json::same_fields;
    use crate::engine::options::Mode;
    use crate::engine::plan::Plan;
    use crate::engine::record::{Attempt, CallRecord, CallStatus, LaneRecord, Turn};
    use crate::engine::strategy::Bounds;

    #[test]
    fn field_lists_match_the_types() {
        let attempt = Attempt {
            start_ms: 0.0,
            end_ms: 1.0,
            error: None,
        };
        let call = CallRecord {
            id: "a".into(),
            status: CallStatus::Ok,
            start_ms: Some(0.0),
            end_ms: Some(1.0),
            more: Some(Box::new(crate::engine::record::CallMore {
                error: None,
                wait_ms: Some(0.0),
                attempts: vec![attempt.clone()],
                bytes: Some(1),
                http_status: Some(200),
            })),
        };
        same_fields(serde_json::to_value(&attempt).unwrap(), ATTEMPT_FIELDS);
        let lane = LaneRecord {
            strategy: crate::engine::record::LaneLabel::Strategy(
                crate::engine::strategy::Strategy::Parallel,
            ),
            wall_ms: 1.0,
            lower_bound_ms: 1.0,
            speedup: 1.0,
            predicted_ms: Some(1.0),
            calls: vec![call.clone()],
            turns: vec![Turn {
                start_ms: 0.0,
                end_ms: 1.0,
            }],
        };
        same_fields(serde_json::to_value(lane.turns[0]).unwrap(), TURN_FIELDS);
        same_fields(serde_json::to_value(&call).unwrap(), CALL_RECORD_FIELDS);
        same_fields(serde_json::to_value(&lane).unwrap(), LANE_FIELDS);
        let bounds = Bounds {
            sum_ms: 1.0,
            critical_path_ms: 1.0,
            cpu_ms: 1.0,
            rate_ms: 1.0,
            one_per_turn_turns_ms: 1.0,
            turn_batched_turns_ms: 1.0,
            turn_sum_ms: Some(1.0),
            turn_path_ms: Some(1.0),
        };
        same_fields(serde_json::to_value(bounds).unwrap(), BOUNDS_FIELDS);
        let plan = Plan::load("fetch-5-urls").unwrap();
        let mut record = Record::new(&plan, 1.0, Mode::Race, "now".into(), vec![]);
        record.draws.insert("a".into(), 1.0);
        record.runs.push(Vec::new());
        same_fields(serde_json::to_value(&record).unwrap(), RECORD_FIELDS);
    }
}
