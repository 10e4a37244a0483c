//! What the clocks' differentials share: one lane on the real engine under a paused clock, so
//! its times are as exact as the virtual clock's.

use std::sync::Arc;

use fanout::engine::effects::EffectContext;
use fanout::engine::{LaneResult, Plan, Strategy, run_lane};

/// `plan` under `strategy` on a fresh current-thread runtime whose clock starts paused (each
/// proptest case needs its own: they run outside any runtime).
pub fn on_paused_clock(plan: &Arc<Plan>, strategy: Strategy) -> LaneResult {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(run_lane(
            plan.clone(),
            strategy,
            EffectContext::new(1.0, None),
            0,
            None,
        ))
        .unwrap()
}

/// Each call of `real` has the status, start and end it has in `virt`; a failure names the
/// strategy, the call and the proptest case (`calls`).
pub fn same_calls(
    real: &LaneResult,
    virt: &LaneResult,
    strategy: Strategy,
    calls: &impl std::fmt::Debug,
) -> Result<(), proptest::test_runner::TestCaseError> {
    for (r, v) in real.calls.iter().zip(&virt.calls) {
        proptest::prop_assert_eq!(
            (r.status, r.start_ms, r.end_ms),
            (v.status, v.start_ms, v.end_ms),
            "{} {} on {:?}",
            strategy,
            &r.id,
            calls
        );
    }
    Ok(())
}

/// Runs `test` on `cases` values of `strategy` from fixed seeds (`seed` for the config,
/// `rng_bytes` for the generator) and no failure files, so a differential runs the same cases
/// everywhere; panics with proptest's minimal failing case.
pub fn check_fixed<S: proptest::strategy::Strategy>(
    cases: u32,
    seed: u64,
    rng_bytes: u8,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
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
