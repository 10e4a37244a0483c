//! A watched capture as a fanout record: what happened (the `recorded` lane) beside what
//! sequential and parallel would have done with the same calls on the virtual clock — the
//! record `fanout import otel --record` writes, so `replay` and `report` read both alike.

use std::sync::Arc;

use crate::engine::clock::run_virtual;
use crate::engine::record::{RECORDED_LANE, speedup};
use crate::engine::scenario::Source;
use crate::engine::{InputError, Mode, Plan, Record, RunOptions, Strategy};
use crate::import::Imported;

/// The record of `imported` and its plan: its recorded lane first, then the what-if lanes,
/// every speedup against what happened.
pub fn of(imported: &Imported) -> Result<(Record, Arc<Plan>), InputError> {
    let source = Source::from_text("the watched spans (imported)", imported.scenario_json());
    let plan = Arc::new(Plan::new(imported.scenario.clone(), &source)?);
    let opts = RunOptions {
        strategies: vec![Strategy::Sequential, Strategy::Parallel],
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    let mut record = run_virtual(&plan, &opts);
    if let Some(recorded) = &imported.recorded
        && let Some(lane) = recorded.lanes.first()
    {
        let mut lane = lane.clone();
        lane.strategy = RECORDED_LANE.to_string();
        lane.speedup = 1.0;
        for what_if in &mut record.lanes {
            what_if.speedup = speedup(lane.wall_ms, what_if.wall_ms);
        }
        record.started_at = recorded.started_at.clone();
        record.lanes.insert(0, lane);
    }
    Ok((record, plan))
}
