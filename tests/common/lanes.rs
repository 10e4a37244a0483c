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
