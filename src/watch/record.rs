//! A watched capture as a fanout record: what happened (the `recorded` lane) beside what other
//! strategies would have done with the same calls on the virtual clock — the
//! record `fanout import otel --record` writes, so `replay` and `report` read both alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::scenario::ScenarioSource;
use crate::engine::virtual_clock::run_virtual;
use crate::engine::{InputError, Mode, Plan, Record, RunOptions, Strategy};
use crate::import::Imported;

/// The record of `imported` and its plan: its recorded lane first, then the what-if lanes
/// ([`what_ifs`]), every speedup against what happened.
pub fn of(
    imported: &Imported,
    asked: Option<&[Strategy]>,
) -> Result<(Record, Arc<Plan>), InputError> {
    let source =
        ScenarioSource::from_text("the watched spans (imported)", imported.scenario_json());
    let plan = Arc::new(Plan::new(imported.scenario.clone(), &source)?);
    let opts = RunOptions {
        strategies: what_ifs(&plan, asked),
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    let record =
        crate::import::beside_recorded(imported.recorded.as_ref(), run_virtual(&plan, &opts));
    Ok((record, plan))
}

/// The what-if lanes of a watched trace: `--strategies` as asked, without the turn lanes where
/// the trace has no model calls; by default parallel and turn-batched (the card's fix: every
/// ready tool in one model turn) for a trace with model calls, else sequential and parallel.
/// Two lanes, not `import otel`'s three: with four lanes the list of turns (what watch is for)
/// has no room left at 100 × 30.
pub fn what_ifs(plan: &Plan, asked: Option<&[Strategy]>) -> Vec<Strategy> {
    match asked {
        Some(asked) => asked
            .iter()
            .copied()
            .filter(|s| plan.has_turns() || !s.uses_turns())
            .collect(),
        None if plan.has_turns() => vec![Strategy::Parallel, Strategy::TurnBatched],
        None => vec![Strategy::Sequential, Strategy::Parallel],
    }
}

/// Where `--record FILE` keeps trace `number` (1-based, in the order first seen): the first at
/// FILE, the others numbered before the first dot of its name (`run.record.json`,
/// `run-2.record.json`, …), the numbers the live view's footer and picker give them.
pub fn path_for(file: &Path, number: usize) -> PathBuf {
    if number <= 1 {
        return file.to_path_buf();
    }
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, rest) = match name.find('.').filter(|&i| i > 0) {
        Some(i) => name.split_at(i),
        None => (name.as_str(), ""),
    };
    file.with_file_name(format!("{stem}-{number}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_lanes_are_what_ifs_only_where_the_trace_has_model_calls() {
        use Strategy::*;
        let turns = Plan::load("agent-research").unwrap();
        let tools = Plan::load("fetch-5-urls").unwrap();
        assert_eq!(what_ifs(&turns, None), [Parallel, TurnBatched]);
        assert_eq!(what_ifs(&tools, None), [Sequential, Parallel]);
        let asked = [Pool(2), OnePerTurn, TurnBatched];
        assert_eq!(what_ifs(&turns, Some(&asked)), asked);
        assert_eq!(what_ifs(&tools, Some(&asked)), [Pool(2)]);
    }

    #[test]
    fn the_first_trace_keeps_the_name_and_the_others_are_numbered() {
        let f = Path::new("/tmp/x/run.record.json");
        assert_eq!(path_for(f, 1), f);
        assert_eq!(path_for(f, 2), Path::new("/tmp/x/run-2.record.json"));
        assert_eq!(path_for(Path::new("cap"), 12), Path::new("cap-12"));
        assert_eq!(path_for(Path::new(".hidden"), 3), Path::new(".hidden-3"));
    }
}
