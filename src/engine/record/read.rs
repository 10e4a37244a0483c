//! Reading a record file as a stream, for [`Record::load`]: a good record's text is never held.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CallRecord, Record};
use crate::engine::input::{DEFAULT_MAX_RECORD_BYTES, InputKind, open_input, read_input_capped};
use crate::engine::plan::Plan;
use crate::engine::scenario::ScenarioSource;

/// What a record file is, for the messages of [`crate::engine::input`].
pub(super) const RECORD_INPUT: InputKind<'static> = InputKind {
    what: "a record file",
    missing_hint: "check the path; `fanout run SCENARIO --record FILE` writes a record",
    dir_hint: "give the file `fanout run SCENARIO --record FILE` wrote",
    utf8_hint: "a record is a JSON text file; save it as UTF-8",
};

impl Record {
    /// The fast read of [`Record::load`], for a record of one run: the text is read whole, the
    /// record parsed without its lanes' call lists, which are then parsed each on a thread of
    /// its own while the scenario is planned on another. A million-call record's lanes are
    /// most of its text, and parsing them on one core was most of `report`'s time. `None` on
    /// any failure (or a record of several runs), for the streamed read to try.
    pub(super) fn load_cut(path: &Path) -> Option<(Record, Arc<Plan>)> {
        let text = read_input_capped(path, RECORD_INPUT, DEFAULT_MAX_RECORD_BYTES).ok()?;
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        super::ids::plan_aside(source(path, String::new()));
        super::ids::cut_from(body);
        let parsed = serde_json::from_str::<Record>(body);
        let (ranges, ids) = super::ids::cut_lists()?;
        let mut record = parsed.ok()?;
        if !record.runs.is_empty() || ranges.len() != record.lanes.len() {
            return None;
        }
        let lists: Vec<Option<Vec<CallRecord>>> = std::thread::scope(|s| {
            let readers: Vec<_> = ranges
                .iter()
                .map(|&(from, to)| {
                    let ids = &ids;
                    let part = &body[from..to];
                    s.spawn(move || super::lane_text::read(part, ids))
                })
                .collect();
            readers
                .into_iter()
                .map(|r| r.join().ok().flatten())
                .collect()
        });
        drop(text);
        for (lane, calls) in record.lanes.iter_mut().zip(lists) {
            lane.calls = calls?;
        }
        Record::finish(record, source(path, String::new()), super::ids::planned()).ok()
    }

    /// The streamed read of [`Record::load`]: `None` on any failure, which the read of the
    /// whole text then explains.
    pub(super) fn load_streamed(path: &Path) -> Option<(Record, Arc<Plan>)> {
        let input = open_input(path, RECORD_INPUT, DEFAULT_MAX_RECORD_BYTES).ok()?;
        let mut reader = BufReader::with_capacity(1 << 16, input);
        // RFC 8259 lets a parser ignore a byte-order mark, as `parse_json` does.
        if reader.fill_buf().ok()?.starts_with("\u{feff}".as_bytes()) {
            reader.consume(3);
        }
        // By value: `io::Bytes` reads a `BufReader` byte by byte from its buffer, but through a
        // `&mut` it makes a `read` call for every byte (`report` of a million calls took 1.5×
        // as long).
        super::ids::plan_aside(source(path, String::new()));
        let record: Record = serde_json::from_reader(reader).ok()?;
        Record::finish(record, source(path, String::new()), super::ids::planned()).ok()
    }
}

/// The embedded scenario's source: the record file, whose folder relative paths resolve
/// against (as a scenario file's do); its errors name the record file and place themselves in
/// it.
pub(super) fn source(path: &Path, text: String) -> ScenarioSource {
    ScenarioSource {
        label: path.display().to_string(),
        base_dir: path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        text,
        embedded: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunOptions;
    use crate::engine::json::parse_json;
    use crate::engine::virtual_clock::run_virtual;

    fn record() -> Record {
        let plan = Arc::new(Plan::load("one-failing-call").unwrap());
        run_virtual(&plan, &RunOptions::for_plan(&plan))
    }

    /// Every layout a record may have: this fanout's, fully pretty (earlier versions),
    /// compact, after a byte-order mark.
    fn layouts(r: &Record) -> [String; 4] {
        [
            crate::report::json(r),
            serde_json::to_string_pretty(r).unwrap(),
            serde_json::to_string(r).unwrap(),
            format!("\u{feff}{}", serde_json::to_string(r).unwrap()),
        ]
    }

    /// The streamed read gives what parsing the whole text gives, in every layout.
    #[test]
    fn a_streamed_record_is_the_record_its_text_holds() {
        let r = record();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        for text in layouts(&r) {
            std::fs::write(&path, &text).unwrap();
            let (streamed, plan) = Record::load_streamed(&path).expect("a good record streams");
            let parsed: Record = parse_json("r.json", &text).unwrap();
            let (whole, _) = Record::finish(parsed, source(&path, text), None).unwrap();
            assert_eq!(streamed, whole);
            assert_eq!(streamed, r);
            assert_eq!(plan.calls.len(), r.scenario.calls.len());
        }
    }

    /// The read that parses each lane on a thread of its own gives the same record in every
    /// layout; a record of several runs is left to the streamed read, and loads as before.
    #[test]
    fn a_record_read_lane_by_lane_is_the_record_its_text_holds() {
        let r = record();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        for text in layouts(&r) {
            std::fs::write(&path, &text).unwrap();
            let _lending = super::super::ids::Lending::start();
            let (cut, plan) = Record::load_cut(&path).expect("a one-run record is cut");
            assert_eq!(cut, r);
            assert_eq!(plan.calls.len(), r.scenario.calls.len());
            assert!(cut.lanes.iter().all(|l| {
                l.calls
                    .iter()
                    .zip(&plan.calls)
                    .all(|(c, p)| Arc::ptr_eq(&c.id, &p.id))
            }));
        }
        let runs = crate::report::runs::gather(vec![r.clone(), r.clone()]).unwrap();
        std::fs::write(&path, crate::report::json(&runs)).unwrap();
        {
            let _lending = super::super::ids::Lending::start();
            assert!(Record::load_cut(&path).is_none());
        }
        let (loaded, _) = Record::load(&path).unwrap();
        assert_eq!(loaded, runs);
        // A damaged lane is not cut: the streamed read, then the text, say what is wrong.
        let text = crate::report::json(&r).replacen(r#""status": "ok""#, r#""status": "fine""#, 1);
        std::fs::write(&path, text).unwrap();
        {
            let _lending = super::super::ids::Lending::start();
            assert!(Record::load_cut(&path).is_none());
        }
        assert!(Record::load(&path).is_err());
    }

    /// A damaged record does not stream; its error is found again in the text and placed.
    #[test]
    fn a_damaged_record_is_placed_from_its_text() {
        let text =
            crate::report::json(&record()).replacen(r#""status": "ok""#, r#""status": "okay""#, 1);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, &text).unwrap();
        assert!(Record::load_streamed(&path).is_none());
        let e = Record::load(&path).unwrap_err();
        let line = text.lines().position(|l| l.contains("okay")).unwrap() + 1;
        assert_eq!(e.line_col.map(|(l, _)| l), Some(line), "{e}");
    }
}
