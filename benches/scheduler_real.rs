//! Scheduler throughput on the real clock: `run_lane` with 10,000 independent zero-latency calls
//! on tokio's multi-thread runtime (2 workers on this machine), per strategy. Each call is a
//! spawned task that yields once (its deadline has already passed), so this is the dispatcher,
//! the `JoinSet` and the task round trip, with no timer involved. The `EffectContext` (two HTTP
//! clients) is made outside the timing.
//!
//! `cargo bench --bench scheduler_real`

mod common;

use std::sync::{Arc, LazyLock};

use common::{STRATEGIES, Shape, plan, strategy};
use divan::Bencher;
use fanout::engine::effects::EffectContext;
use fanout::engine::{Plan, run_lane};

fn main() {
    divan::main();
}

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
});

static INDEPENDENT_10K: LazyLock<Arc<Plan>> =
    LazyLock::new(|| Arc::new(plan(&Shape::independent(10_000).json())));

/// One lane of 10,000 independent zero-latency calls on the real clock: time per lane, and
/// calls per second.
#[divan::bench(args = STRATEGIES, sample_count = 20, sample_size = 1)]
fn independent_10k(bencher: Bencher, name: &str) {
    let s = strategy(name);
    let plan = &*INDEPENDENT_10K;
    let calls = plan.calls.len();
    bencher
        .counter(divan::counter::ItemsCount::new(calls))
        .with_inputs(|| (plan.clone(), EffectContext::new(1.0, None)))
        .bench_local_values(|(plan, ctx)| {
            let lane = RUNTIME
                .block_on(run_lane(plan, s, ctx, 0, None))
                .expect("the lane runs");
            assert_eq!(lane.calls.len(), calls);
            lane.wall_ms
        });
}
