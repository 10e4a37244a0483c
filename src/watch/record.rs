//! A watched capture as a fanout record: what happened (the `recorded` lane) beside what
//! sequential and parallel would have done with the same calls on the virtual clock — the
//! record `fanout import otel --record` writes, so `replay` and `report` read both alike.

use std::path::{Path, PathBuf};
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
    // Two what-ifs, not the turn lanes `import otel` adds for a trace with model calls: with
    // four lanes the list of turns (what watch is for) has no room left at 100 × 30.
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
    fn the_first_trace_keeps_the_name_and_the_others_are_numbered() {
        let f = Path::new("/tmp/x/run.record.json");
        assert_eq!(path_for(f, 1), f);
        assert_eq!(path_for(f, 2), Path::new("/tmp/x/run-2.record.json"));
        assert_eq!(path_for(Path::new("cap"), 12), Path::new("cap-12"));
        assert_eq!(path_for(Path::new(".hidden"), 3), Path::new(".hidden-3"));
    }
}
