//! A run: the same plan under several strategies, raced together or one after another, gathered
//! into a [`Record`].

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::effects::EffectContext;
use super::event::Event;
use super::lane::{EngineError, check_speed, run_lane};
use super::options::{Mode, RunOptions};
use super::plan::Plan;
use super::record::{LaneResult, Record};
use super::scenario::OnError;
use super::virtual_clock::predicted_walls;

/// Runs every lane and returns the record. Lane `k` of the events is `opts.strategies[k]`.
pub async fn run(
    plan: Arc<Plan>,
    opts: &RunOptions,
    events: Option<UnboundedSender<Event>>,
) -> Result<Record, EngineError> {
    // Checked before any lane starts, so a bad speed fails the run instead of one lane of it.
    check_speed(opts.speed)?;
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut lanes = Vec::with_capacity(opts.strategies.len());
    match opts.mode {
        Mode::Race => {
            // A JoinSet, so that dropping the run (a re-run in the TUI) aborts every lane.
            let mut set = tokio::task::JoinSet::new();
            let mut lane_of = std::collections::HashMap::new();
            for (k, &s) in opts.strategies.iter().enumerate() {
                let ctx = EffectContext::new(opts.speed, opts.local.clone());
                let handle = set.spawn(run_lane(plan.clone(), s, ctx, k, events.clone()));
                lane_of.insert(handle.id(), k);
            }
            let mut done: Vec<Option<LaneResult>> = vec![None; opts.strategies.len()];
            while let Some(joined) = set.join_next_with_id().await {
                let (id, lane) = joined.map_err(|e| EngineError::Task {
                    lane: opts.strategies[lane_of[&e.id()]].to_string(),
                    message: e.to_string(),
                })?;
                done[lane_of[&id]] = Some(lane?);
            }
            lanes.extend(done.into_iter().flatten());
        }
        Mode::OneAtATime => {
            for (k, &s) in opts.strategies.iter().enumerate() {
                let ctx = EffectContext::new(opts.speed, opts.local.clone());
                lanes.push(run_lane(plan.clone(), s, ctx, k, events.clone()).await?);
            }
        }
    }
    let mut record = Record::new(&plan, opts.speed, opts.mode, started_at, lanes);
    record.set_predicted(
        &predicted_walls(&plan, &opts.strategies, opts.speed),
        plan.on_error == OnError::Cancel,
    );
    Ok(record)
}
