//! Record serialization at scale: the virtual-clock record of a 100,000-call, 299,994-edge graph
//! (latencies 1..=1000 ms) with four lanes (sequential, parallel, waves, pool:8), so 400,000
//! call records. Timed: `serde_json::to_string`, the pretty JSON `--record` writes
//! (`report::json`), and parsing each back with `serde_json::from_str::<Record>`.
//!
//! `cargo bench --bench record_serde`

mod common;

use std::sync::LazyLock;

use divan::Bencher;
use fanout::engine::Record;

fn main() {
    divan::main();
}

static RECORD: LazyLock<Record> = LazyLock::new(|| common::big_record().0);
static COMPACT: LazyLock<String> =
    LazyLock::new(|| serde_json::to_string(&*RECORD).expect("serializes"));
static PRETTY: LazyLock<String> = LazyLock::new(|| fanout::report::json(&RECORD));

/// `serde_json::to_string` of the 4 × 100,000-call record (throughput: bytes written).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn to_string_compact(bencher: Bencher) {
    let record = &*RECORD;
    bencher
        .counter(divan::counter::BytesCount::of_str(&*COMPACT))
        .bench(|| serde_json::to_string(record).expect("serializes").len());
}

/// `report::json` (pretty JSON, what `--record FILE` and `--json` write) of the same record.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn to_string_pretty(bencher: Bencher) {
    let record = &*RECORD;
    bencher
        .counter(divan::counter::BytesCount::of_str(&*PRETTY))
        .bench(|| fanout::report::json(record).len());
}

/// `serde_json::from_str::<Record>` of the compact and of the pretty JSON (no validation against
/// the scenario).
#[divan::bench(sample_count = 5, sample_size = 1, args = ["compact", "pretty"])]
fn from_str(bencher: Bencher, form: &str) {
    let text: &str = match form {
        "compact" => &COMPACT,
        "pretty" => &PRETTY,
        _ => unreachable!("the args above"),
    };
    bencher
        .counter(divan::counter::BytesCount::of_str(text))
        .bench(|| {
            serde_json::from_str::<Record>(text)
                .expect("parses")
                .lanes
                .len()
        });
}

/// `Record::load` of the pretty file (what `fanout report` and `replay` do): read, parse, plan
/// the embedded scenario again and check every lane against it.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn load_validated(bencher: Bencher) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("record.json");
    std::fs::write(&path, PRETTY.as_bytes()).expect("written");
    bencher
        .counter(divan::counter::BytesCount::of_str(&*PRETTY))
        .bench(|| Record::load(&path).expect("loads").0.lanes.len());
}

/// `report --format chrome-trace` of the 4 × 100,000-call record, streamed (to a sink here).
/// Target through the CLI, file read included: < 2 s, < 500 MB.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn chrome_trace_streamed(bencher: Bencher) {
    bencher.bench(|| {
        let mut out = std::io::sink();
        fanout::report::chrome_trace::write(&RECORD, &mut out).expect("written");
    });
}
