//! A watched capture as a fanout record: what happened (the `recorded` lane) beside what
//! sequential and parallel would have done with the same calls on the virtual clock — the
//! record `fanout import otel --record` writes, so `replay` and `report` read both alike.

use std::sync::Arc;

use crate::engine::scenario::ScenarioSource;
use crate::engine::virtual_clock::run_virtual;
use crate::engine::{InputError, Mode, Plan, Record, RunOptions, Strategy};
use crate::import::Imported;

/// The record of `imported` and its plan: its recorded lane first, then the what-if lanes,
/// every speedup against what happened.
pub fn of(imported: &Imported) -> Result<(Record, Arc<Plan>), InputError> {
    let source =
        ScenarioSource::from_text("the watched spans (imported)", imported.scenario_json());
    let plan = Arc::new(Plan::new(imported.scenario.clone(), &source)?);
    let opts = RunOptions {
        strategies: vec![Strategy::Sequential, Strategy::Parallel],
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    let record =
        crate::import::beside_recorded(imported.recorded.as_ref(), run_virtual(&plan, &opts));
    Ok((record, plan))
}
