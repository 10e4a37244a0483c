//! Drives one plan under one strategy: a single dispatcher for every strategy, which differ only
//! in their limit (calls in flight) and their readiness rule (eager or wave by wave).
//!
//! Each call and each dependency edge is handled a constant number of times, so a lane costs
//! O((V + E) log V) for the ready heap, never a rescan of pending calls.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::event::{Event, EventKind};
use super::plan::{Plan, RateLimit};
use super::record::{Attempt, CallRecord, CallStatus};
use super::scenario::OnError;
use super::strategy::Strategy;
use super::tools::{Context, Detail, fmt_num, sleep_ms};

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

/// Runs every call of `plan` under `strategy`. `ctx` carries the speed (which divides
/// simulated time), the lane's HTTP client and the local server. Events, if a sender is given,
/// carry `lane` as their lane index.
pub async fn run_lane(
    plan: Arc<Plan>,
    strategy: Strategy,
    ctx: Context,
    lane: usize,
    events: Option<UnboundedSender<Event>>,
) -> Result<LaneResult, EngineError> {
    check_speed(ctx.speed)?;
    let emitter = Emitter { lane, tx: events };
    let t0 = Instant::now();
    emitter.emit(EventKind::LaneStarted { at: t0 });

    let n = plan.calls.len();
    let limit = strategy.limit().unwrap_or(usize::MAX);
    let waves = strategy == Strategy::Waves;
    // Rate limits are in simulated seconds: at speed 10 tokens come 10 times as often.
    let limiter = plan.rate_limit.as_ref().map(|r| Limiter::new(r, ctx.speed));
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        ctx,
        t0,
        emitter: emitter.clone(),
        limiter,
        starts: (0..n).map(|_| AtomicU64::new(NOT_STARTED)).collect(),
    });
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
            // Tokens are reserved here, in dispatch order, not inside the tasks, which the
            // runtime may start in any order: first ready, first served.
            let token = shared
                .limiter
                .as_ref()
                .filter(|l| l.applies_to(&plan.calls[i].tool))
                .map(|l| {
                    let asked = Instant::now();
                    (asked, l.reserve(asked))
                });
            running.spawn(perform_call(shared.clone(), i, token));
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
        if failed && plan.on_error == OnError::Cancel {
            cancel_the_rest(&shared, i, &mut running, &mut outcome).await;
            break;
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

/// `starts` value of a call that has not started.
const NOT_STARTED: u64 = u64::MAX;

/// What every call task of a lane shares.
struct Shared {
    plan: Arc<Plan>,
    ctx: Context,
    t0: Instant,
    emitter: Emitter,
    limiter: Option<Limiter>,
    /// Each call's start (ms, as f64 bits), so a cancel knows which calls were running.
    starts: Vec<AtomicU64>,
}

impl Shared {
    fn now_ms(&self) -> f64 {
        millis(self.t0.elapsed())
    }
}

/// A token bucket as a generic cell rate algorithm: each call reserves the earliest instant it
/// may start, in dispatch order, so waits are exact and first come, first served.
struct Limiter {
    /// Time between tokens.
    interval: Duration,
    /// How far ahead of its turn a call may start: `burst - 1` intervals.
    tolerance: Duration,
    /// Theoretical arrival time of the next call.
    tat: Mutex<Option<Instant>>,
    /// Only calls of this tool take tokens.
    tool: Option<String>,
}

impl Limiter {
    fn new(r: &RateLimit, speed: f64) -> Limiter {
        let interval = Duration::try_from_secs_f64(1.0 / (r.per_second * speed))
            .unwrap_or(Duration::from_secs(3600));
        Limiter {
            interval,
            tolerance: interval * (r.burst.max(1) - 1),
            tat: Mutex::new(None),
            tool: r.tool.clone(),
        }
    }

    fn applies_to(&self, tool: &str) -> bool {
        self.tool.as_deref().is_none_or(|t| t == tool)
    }

    /// The instant a call asking `now` may start.
    fn reserve(&self, now: Instant) -> Instant {
        let mut tat = self.tat.lock().unwrap_or_else(|e| e.into_inner());
        let t = tat.map_or(now, |x| x.max(now));
        let allowed = if t.duration_since(now) <= self.tolerance {
            now
        } else {
            t - self.tolerance
        };
        *tat = Some(t + self.interval);
        allowed
    }
}

/// Runs one call: waits for its rate-limit `token` (when it was asked for, when it may start),
/// then makes every attempt its retries allow.
async fn perform_call(
    shared: Arc<Shared>,
    i: usize,
    token: Option<(Instant, Instant)>,
) -> (usize, CallRecord) {
    let call = &shared.plan.calls[i];
    let ctx = &shared.ctx;
    let mut wait_ms = None;
    if let Some((asked, at)) = token {
        tokio::time::sleep_until(at).await;
        wait_ms = Some(millis(at.duration_since(asked)));
    }
    let start = shared.now_ms();
    shared.starts[i].store(start.to_bits(), Ordering::Relaxed);
    shared.emitter.emit(EventKind::Started {
        call: i,
        at_ms: start,
        waited_ms: wait_ms.unwrap_or(0.0),
    });
    // Timeouts and backoffs of a simulated call are simulated time too.
    let scale = if call.effect.is_simulated() {
        1.0 / ctx.speed
    } else {
        1.0
    };
    let mut attempts = Vec::new();
    let mut detail = Detail::default();
    let mut error = None;
    let tries = call.retries.max + 1;
    for n in 1..=tries {
        if n > 1 {
            sleep_ms(call.retries.backoff_before(n) * scale).await;
            shared.emitter.emit(EventKind::AttemptStarted {
                call: i,
                at_ms: shared.now_ms(),
            });
        }
        let attempt_start = shared.now_ms();
        let (result, d) = match call
            .timeout_ms
            .map(|t| (t, Duration::try_from_secs_f64(t * scale / 1000.0)))
        {
            Some((t, Ok(limit))) => {
                match tokio::time::timeout(limit, call.effect.perform(ctx)).await {
                    Ok(outcome) => outcome,
                    Err(_) => (
                        Err(format!("timed out after {} ms", fmt_num(t))),
                        Detail::default(),
                    ),
                }
            }
            _ => call.effect.perform(ctx).await,
        };
        detail = d;
        let result = result.and_then(|()| match &call.fail {
            Some(message) if call.fails_attempt(n) => Err(message.clone()),
            _ => Ok(()),
        });
        let attempt_end = shared.now_ms();
        error = result.err();
        attempts.push(Attempt {
            start_ms: attempt_start,
            end_ms: attempt_end,
            error: error.clone(),
        });
        match &error {
            None => break,
            Some(e) if n < tries => shared.emitter.emit(EventKind::AttemptFailed {
                call: i,
                at_ms: attempt_end,
                error: e.clone(),
            }),
            Some(_) => {}
        }
    }
    let end = shared.now_ms();
    shared.emitter.emit(EventKind::Finished {
        call: i,
        at_ms: end,
        error: error.clone(),
    });
    let status = if error.is_some() {
        CallStatus::Error
    } else {
        CallStatus::Ok
    };
    if attempts.len() == 1 {
        attempts.clear();
    }
    (
        i,
        CallRecord {
            id: call.id.clone(),
            status,
            start_ms: Some(start),
            end_ms: Some(end),
            error,
            wait_ms,
            attempts,
            bytes: detail.bytes,
            http_status: detail.http_status,
        },
    )
}

/// Task-group semantics: the call `failed` failed, so every call still running is stopped and
/// every call not yet started never will be; both are recorded as cancelled at this instant.
async fn cancel_the_rest(
    shared: &Shared,
    failed: usize,
    running: &mut JoinSet<(usize, CallRecord)>,
    outcome: &mut [Option<CallRecord>],
) {
    let at_ms = shared.now_ms();
    running.abort_all();
    // A call may have finished between the failure and the abort: keep what it did.
    while let Some(joined) = running.join_next().await {
        if let Ok((i, record)) = joined {
            outcome[i] = Some(record);
        }
    }
    let root = &shared.plan.calls[failed].id;
    for (i, slot) in outcome.iter_mut().enumerate() {
        if slot.is_some() {
            continue;
        }
        let bits = shared.starts[i].load(Ordering::Relaxed);
        let start = (bits != NOT_STARTED).then(|| f64::from_bits(bits));
        shared.emitter.emit(EventKind::Cancelled {
            call: i,
            at_ms,
            started: start.is_some(),
        });
        let mut record = CallRecord::skipped(
            &shared.plan.calls[i].id,
            format!("cancelled: `{root}` failed (on_error: cancel)"),
        );
        record.status = CallStatus::Cancelled;
        record.start_ms = start;
        record.end_ms = Some(at_ms);
        *slot = Some(record);
    }
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
