//! The end-to-end target: a 100,000-call scenario with 299,994 dependency edges (each
//! call depends on 3 random earlier calls within the last 1000; fixed seed). One sample is
//! `Plan::from_source` (parse + validate + plan) of the JSON text, then `run_virtual` with the
//! four lanes sequential, parallel, waves and pool:8: target under 1 s on 2 cores. The parts
//! are timed separately too. The JSON text is generated once, outside the timings. Peak memory
//! is measured by `examples/bench_scenario.rs` and `/usr/bin/time -v` (see BENCHMARKS.md).
//!
//! `cargo bench --bench end_to_end`

mod common;

use std::sync::{Arc, LazyLock};

use common::{FOUR, Latency, Shape, plan, strategy};
use divan::Bencher;
use fanout::engine::scenario::ScenarioSource;
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{Mode, Plan, RunOptions};

fn main() {
    divan::main();
}

/// Latencies drawn from 1..=1000 ms, so the virtual clock's event queue does real work.
static JSON: LazyLock<String> =
    LazyLock::new(|| Shape::dag(100_000, Latency::Uniform(1, 1000)).json());
/// The same graph with every latency 0 (everything ends at the same instant).
static JSON_ZERO: LazyLock<String> = LazyLock::new(|| Shape::dag(100_000, Latency::Zero).json());
static PLAN: LazyLock<Arc<Plan>> = LazyLock::new(|| Arc::new(plan(&JSON)));

fn four_lanes() -> RunOptions {
    RunOptions {
        strategies: FOUR.iter().map(|s| strategy(s)).collect(),
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    }
}

/// JSON text → validated plan → the four lanes' record, as `fanout run` makes it.
fn plan_and_run(json: &str, opts: &RunOptions) -> (Arc<Plan>, fanout::engine::Record) {
    let source = ScenarioSource::from_text("bench.json", divan::black_box(json));
    let plan = Arc::new(Plan::from_source(&source).expect("valid"));
    let record = run_virtual(&plan, opts);
    (plan, record)
}

/// The target: JSON text → validated plan → record of all four lanes on the virtual clock, with
/// latencies 1..=1000 ms (target: < 1 s) and with every latency 0.
#[divan::bench(args = ["1..=1000 ms", "zero"], sample_count = 5, sample_size = 1)]
fn validate_plan_run_4_lanes(bencher: Bencher, latencies: &str) {
    let json: &str = if latencies == "zero" {
        &JSON_ZERO
    } else {
        &JSON
    };
    let opts = four_lanes();
    bencher.bench(|| {
        let (_, record) = plan_and_run(json, &opts);
        assert_eq!(record.lanes.len(), 4);
        record.lanes[0].wall_ms
    });
}

/// Part 1: `ScenarioSource::parse` alone (JSON text → `Scenario`, with placed errors on failure).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn part_parse(bencher: Bencher) {
    let source = ScenarioSource::from_text("bench.json", JSON.as_str());
    bencher.bench(|| source.parse().expect("valid").calls.len());
}

/// Part 2: `Plan::new` alone (validation, graph, levels, bounds) from a parsed scenario.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn part_plan(bencher: Bencher) {
    let source = ScenarioSource::from_text("bench.json", JSON.as_str());
    let scenario = source.parse().expect("valid");
    bencher
        .with_inputs(|| scenario.clone())
        .bench_local_values(|s| Plan::new(s, &source).expect("valid").calls.len());
}

/// Part 3: `run_virtual` alone, four lanes, on the plan built once.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn part_run_virtual_4_lanes(bencher: Bencher) {
    let plan = &*PLAN;
    let opts = four_lanes();
    bencher.bench(|| run_virtual(plan, &opts).lanes.len());
}

/// A million calls, 2,999,994 edges (the second size): the whole headless run in
/// process, as `fanout run FILE --clock virtual --headless` does it: parse + plan, four lanes,
/// the final frame's view model, the frame and the table. Target through the CLI: < 4 s, < 1 GB.
static JSON_1M: LazyLock<String> =
    LazyLock::new(|| Shape::dag(1_000_000, Latency::Uniform(1, 1000)).json());

/// The headless run (the CLI's work without reading the file or printing) at 100,000 and at
/// 1,000,000 calls.
#[divan::bench(args = ["100k", "1m"], sample_count = 3, sample_size = 1)]
fn headless(bencher: Bencher, calls: &str) {
    let json: &str = if calls == "1m" { &JSON_1M } else { &JSON };
    let opts = four_lanes();
    bencher.bench(|| {
        let (plan, record) = plan_and_run(json, &opts);
        let model = fanout::ui::model::ViewModel::for_final_frame(&record, &plan);
        let frame = fanout::ui::view::final_frame(&model, 100);
        frame.len() + fanout::report::table(&record).len()
    });
}
