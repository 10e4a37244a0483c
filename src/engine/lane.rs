//! Drives one plan under one strategy: a single dispatcher for every strategy, which differ only
//! in their limit (calls in flight) and their readiness rule (eager or wave by wave).
//!
//! Each call and each dependency edge is handled a constant number of times, so a lane costs
//! O((V + E) log V) for the ready heap, never a rescan of pending calls.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::event::{Event, EventKind};
use super::plan::Plan;
use super::record::{CallRecord, CallStatus};
use super::strategy::Strategy;

/// An error inside the engine itself (not bad input, not a failed call).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A call's task panicked or was cancelled.
    #[error("a call task of lane `{lane}` did not complete: {message}")]
    Task {
        /// The lane's strategy.
        lane: String,
        /// What the runtime said.
        message: String,
    },
    /// The speed factor is not a positive finite number, so simulated time cannot be divided by it.
    #[error("speed {speed} is not a positive number")]
    Speed {
        /// The speed asked for.
        speed: f64,
    },
}

/// Checks a speed factor before any time is divided by it.
pub(crate) fn check_speed(speed: f64) -> Result<(), EngineError> {
    if speed.is_finite() && speed > 0.0 {
        Ok(())
    } else {
        Err(EngineError::Speed { speed })
    }
}

/// What one lane measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneResult {
    /// The strategy the lane ran.
    pub strategy: Strategy,
    /// Wall-clock milliseconds from the lane's start to its last call's end.
    pub wall_ms: f64,
    /// One record per call, in file order.
    pub calls: Vec<CallRecord>,
}

/// Milliseconds with microsecond precision.
pub fn millis(d: Duration) -> f64 {
    (d.as_nanos() / 1_000) as f64 / 1_000.0
}

/// Sends lane events, if anyone listens.
#[derive(Clone)]
struct Emitter {
    lane: usize,
    tx: Option<UnboundedSender<Event>>,
}

impl Emitter {
    fn emit(&self, kind: EventKind) {
        if let Some(tx) = &self.tx {
            // A closed receiver means nobody watches any more; the lane still completes.
            let _ = tx.send(Event {
                lane: self.lane,
                kind,
            });
        }
    }
}

/// Runs every call of `plan` under `strategy`. `speed` divides simulated time. Events, if a
/// sender is given, carry `lane` as their lane index.
pub async fn run_lane(
    plan: Arc<Plan>,
    strategy: Strategy,
    speed: f64,
    lane: usize,
    events: Option<UnboundedSender<Event>>,
) -> Result<LaneResult, EngineError> {
    check_speed(speed)?;
    let emitter = Emitter { lane, tx: events };
    let t0 = Instant::now();
    emitter.emit(EventKind::LaneStarted { at: t0 });

    let n = plan.calls.len();
    let limit = strategy.limit().unwrap_or(usize::MAX);
    let waves = strategy == Strategy::Waves;
    let mut waiting_on: Vec<usize> = plan.calls.iter().map(|c| c.deps.len()).collect();
    let mut outcome: Vec<Option<CallRecord>> = vec![None; n];
    let mut ready: BinaryHeap<Reverse<usize>> = BinaryHeap::new();
    if !waves {
        ready.extend((0..n).filter(|&i| waiting_on[i] == 0).map(Reverse));
    }
    let mut next_wave = 0;
    let mut wave_left = 0usize;
    let mut running: JoinSet<(usize, CallRecord)> = JoinSet::new();

    loop {
        if waves && wave_left == 0 {
            // Skipped calls are already resolved, so a wave may turn out empty: move past it.
            while wave_left == 0 && next_wave < plan.levels.len() {
                for &i in &plan.levels[next_wave] {
                    if outcome[i].is_none() {
                        ready.push(Reverse(i));
                        wave_left += 1;
                    }
                }
                next_wave += 1;
            }
        }
        while running.len() < limit {
            let Some(Reverse(i)) = ready.pop() else { break };
            running.spawn(perform_call(plan.clone(), i, speed, t0, emitter.clone()));
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (i, record) = joined.map_err(|e| EngineError::Task {
            lane: strategy.to_string(),
            message: e.to_string(),
        })?;
        let failed = record.status == CallStatus::Error;
        outcome[i] = Some(record);
        if waves {
            wave_left -= 1;
        }
        if failed {
            skip_downstream(&plan, i, &mut outcome, t0, &emitter);
        }
        for &s in &plan.successors[i] {
            waiting_on[s] -= 1;
            if waiting_on[s] == 0 && !waves && outcome[s].is_none() {
                ready.push(Reverse(s));
            }
        }
    }

    let wall_ms = millis(t0.elapsed());
    emitter.emit(EventKind::LaneDone { wall_ms });
    let calls = outcome
        .into_iter()
        .enumerate()
        .map(|(i, o)| o.unwrap_or_else(|| unreachable_call(&plan, i)))
        .collect();
    Ok(LaneResult {
        strategy,
        wall_ms,
        calls,
    })
}

/// Every call is resolved when the dispatcher stops (the plan has no cycles); should that ever
/// break, record the call as skipped rather than crash a run.
fn unreachable_call(plan: &Plan, i: usize) -> CallRecord {
    CallRecord::skipped(&plan.calls[i].id, "never became ready (engine bug)".into())
}

async fn perform_call(
    plan: Arc<Plan>,
    i: usize,
    speed: f64,
    t0: Instant,
    emitter: Emitter,
) -> (usize, CallRecord) {
    let call = &plan.calls[i];
    let start = millis(t0.elapsed());
    emitter.emit(EventKind::Started {
        call: i,
        at_ms: start,
    });
    let result = call.effect.perform(speed).await;
    let error = match (result, &call.fail) {
        (Err(e), _) => Some(e),
        (Ok(()), Some(message)) => Some(message.clone()),
        (Ok(()), None) => None,
    };
    let end = millis(t0.elapsed());
    emitter.emit(EventKind::Finished {
        call: i,
        at_ms: end,
        error: error.clone(),
    });
    let status = if error.is_some() {
        CallStatus::Error
    } else {
        CallStatus::Ok
    };
    (
        i,
        CallRecord {
            id: call.id.clone(),
            status,
            start_ms: Some(start),
            end_ms: Some(end),
            error,
        },
    )
}

/// Marks every call downstream of the failed call `failed` as skipped, naming the failure.
fn skip_downstream(
    plan: &Plan,
    failed: usize,
    outcome: &mut [Option<CallRecord>],
    t0: Instant,
    emitter: &Emitter,
) {
    let at_ms = millis(t0.elapsed());
    let root = &plan.calls[failed].id;
    let mut stack: Vec<(usize, usize)> = plan.successors[failed]
        .iter()
        .map(|&s| (s, failed))
        .collect();
    while let Some((s, via)) = stack.pop() {
        if outcome[s].is_some() {
            continue;
        }
        let reason = if via == failed {
            format!("dependency `{root}` failed")
        } else {
            format!(
                "dependency `{}` was skipped (`{root}` failed)",
                plan.calls[via].id
            )
        };
        emitter.emit(EventKind::Skipped {
            call: s,
            at_ms,
            reason: reason.clone(),
        });
        outcome[s] = Some(CallRecord::skipped(&plan.calls[s].id, reason));
        stack.extend(plan.successors[s].iter().map(|&t| (t, s)));
    }
}
