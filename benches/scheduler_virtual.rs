//! Scheduler throughput on the virtual clock: `simulate_lane` (the same `Dispatcher` the real
//! clock uses, driven by a discrete-event queue) on generated plans, per strategy. Plans are
//! built once, outside the timings; each sample runs one whole lane.
//!
//! `cargo bench --bench scheduler_virtual`

mod common;

use std::sync::LazyLock;

use common::{Latency, STRATEGIES, Shape, plan, strategy};
use divan::Bencher;
use fanout::engine::Plan;
use fanout::engine::virtual_clock::simulate_lane;

fn main() {
    divan::main();
}

static INDEPENDENT_10K: LazyLock<Plan> = LazyLock::new(|| plan(&Shape::independent(10_000).json()));
static INDEPENDENT_100K: LazyLock<Plan> =
    LazyLock::new(|| plan(&Shape::independent(100_000).json()));
static DAG_100K: LazyLock<Plan> =
    LazyLock::new(|| plan(&Shape::dag(100_000, Latency::Zero).json()));

fn lane(bencher: Bencher, plan: &Plan, name: &str) {
    let s = strategy(name);
    let calls = plan.calls.len();
    bencher
        .counter(divan::counter::ItemsCount::new(calls))
        .bench(|| {
            let sim = simulate_lane(divan::black_box(plan), s, 1.0);
            assert_eq!(sim.lane.calls.len(), calls);
            sim.steps
        });
}

/// One lane of 10,000 independent zero-latency calls: time per lane, and calls per second.
#[divan::bench(args = STRATEGIES, sample_count = 20, sample_size = 1)]
fn independent_10k(bencher: Bencher, name: &str) {
    lane(bencher, &INDEPENDENT_10K, name);
}

/// One lane of 100,000 independent zero-latency calls.
#[divan::bench(args = STRATEGIES, sample_count = 10, sample_size = 1)]
fn independent_100k(bencher: Bencher, name: &str) {
    lane(bencher, &INDEPENDENT_100K, name);
}

/// One lane of a 100,000-call, 299,994-edge DAG of zero-latency calls (each call depends on 3
/// random earlier calls within the last 1000; fixed seed).
#[divan::bench(args = STRATEGIES, sample_count = 10, sample_size = 1)]
fn dag_100k(bencher: Bencher, name: &str) {
    lane(bencher, &DAG_100K, name);
}
