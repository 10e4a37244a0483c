//! `--runs`: repeated runs of one race gathered into one record.

use crate::engine::Record;

/// The first run, with every run's lanes in `runs` (what `mean ± σ` is computed from); a single
/// run as it is (its `runs` stays empty). `None` for no runs.
pub fn gather(runs: impl IntoIterator<Item = Record>) -> Option<Record> {
    let mut runs = runs.into_iter();
    let mut first = runs.next()?;
    for this in runs {
        if first.runs.is_empty() {
            first.runs.push(first.lanes.clone());
        }
        first.runs.push(this.lanes);
    }
    Some(first)
}
