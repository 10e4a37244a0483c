//! What the clocks' differentials share: one lane on the real engine under a paused clock, so
//! its times are as exact as the virtual clock's, the check that both clocks agree, and the
//! JSON of a random dependency graph for the proptest ones.

use std::fmt::Display;
use std::sync::Arc;

use fanout::engine::effects::EffectContext;
use fanout::engine::{LaneResult, Plan, Strategy, run_lane};
use proptest::test_runner::TestCaseError;

/// `plan` under `strategy` on the real engine at speed 1 (inside a paused-clock test).
pub async fn real_lane(plan: &Arc<Plan>, strategy: Strategy) -> LaneResult {
    run_lane(
        plan.clone(),
        strategy,
        EffectContext::new(1.0, None),
        0,
        None,
    )
    .await
    .unwrap()
}

/// [`real_lane`] on a fresh current-thread runtime whose clock starts paused (each proptest
/// case needs its own: they run outside any runtime).
pub fn on_paused_clock(plan: &Arc<Plan>, strategy: Strategy) -> LaneResult {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(real_lane(plan, strategy))
}

/// `real` has the wall, the model turns and, call by call, the status, start and end that
/// `virt` has; a failure names `case` (and the call).
pub fn clocks_agree(
    real: &LaneResult,
    virt: &LaneResult,
    case: impl Display,
) -> Result<(), TestCaseError> {
    proptest::prop_assert_eq!(real.wall_ms, virt.wall_ms, "wall of {}", case);
    proptest::prop_assert_eq!(&real.turns, &virt.turns, "turns of {}", case);
    for (r, v) in real.calls.iter().zip(&virt.calls) {
        proptest::prop_assert_eq!(
            (r.status, r.start_ms, r.end_ms),
            (v.status, v.start_ms, v.end_ms),
            "{}: call {}",
            case,
            &r.id
        );
    }
    Ok(())
}

/// [`clocks_agree`] outside proptest: panics with what differs.
pub fn assert_clocks_agree(real: &LaneResult, virt: &LaneResult, case: impl Display) {
    if let Err(e) = clocks_agree(real, virt, case) {
        panic!("{e}");
    }
}

/// Runs `test` on `cases` values of `strategy` from fixed seeds (`seed` for the config,
/// `rng_bytes` for the generator) and no failure files, so a differential runs the same cases
/// everywhere; panics with proptest's minimal failing case.
pub fn check_fixed<S: proptest::strategy::Strategy>(
    cases: u32,
    seed: u64,
    rng_bytes: u8,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRng, TestRunner};
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[rng_bytes; 32]);
    if let Err(e) = TestRunner::new_with_rng(config, rng).run(strategy, test) {
        panic!("{e}");
    }
}

/// The calls of a random graph as a scenario's JSON list: call `i` takes `units` × 100 ms,
/// depends on the earlier calls whose bits are set in `mask`, and ends with `extra(i)` (more
/// fields, or nothing).
pub fn random_calls(
    graph: impl IntoIterator<Item = (u32, u16)>,
    extra: impl Fn(usize) -> &'static str,
) -> String {
    graph
        .into_iter()
        .enumerate()
        .map(|(i, (units, mask))| {
            let deps: Vec<String> = (0..i)
                .filter(|j| mask & (1 << j) != 0)
                .map(|j| format!("\"c{j}\""))
                .collect();
            format!(
                r#"{{"id": "c{i}", "latency_ms": {}, "depends_on": [{}]{}}}"#,
                units * 100,
                deps.join(","),
                extra(i)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}
