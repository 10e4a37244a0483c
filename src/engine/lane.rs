//! Drives one plan under one strategy on the real clock (tokio's, which tests pause): the
//! [`Dispatcher`] decides which call starts when; this module runs the calls and measures them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::dispatch::{Dispatcher, Gcra, planned_attempts, timed_out};
use super::event::{Event, EventKind};
use super::plan::Plan;
use super::record::{Attempt, CallRecord, CallStatus};
use super::scenario::OnError;
use super::strategy::Strategy;
use super::tools::{Context, Detail};

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
///
/// Simulated calls sleep until absolute deadlines on the lane's *ideal* timeline (what an exact
/// clock would give, with real calls counted at what they measured), not for relative
/// durations: tokio's timer rounds every sleep up to the next millisecond, and chained
/// relative sleeps would add those roundings up along a chain; deadlines do not.
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

    // Rate limits are in simulated seconds: at speed 10 tokens come 10 times as often.
    let mut limiter = plan.rate_limit.as_ref().map(|r| Gcra::new(r, ctx.speed));
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        ctx,
        t0,
        emitter: emitter.clone(),
        starts: (0..plan.calls.len())
            .map(|_| AtomicU64::new(NOT_STARTED))
            .collect(),
    });
    let mut dispatcher = Dispatcher::new(&plan, strategy);
    let mut running: JoinSet<Finished> = JoinSet::new();
    // Simulated calls need no task: the lane wakes them itself, all those due at one instant on
    // one timer tick, so a thousand calls ending together cost one wake-up, not a thousand.
    let mut sims: Vec<Option<Sim>> = (0..plan.calls.len()).map(|_| None).collect();
    let mut timers: BinaryHeap<Reverse<(Ms, usize)>> = BinaryHeap::new();
    let mut done: Vec<Finished> = Vec::new();
    // The ideal time of the completions being handled: what newly started calls count from.
    let mut ideal_now = 0.0;

    loop {
        while let Some(i) = dispatcher.next_call() {
            let call = &plan.calls[i];
            let ideal_start = match limiter.as_mut().filter(|l| l.applies_to(&call.tool)) {
                // Reserved here, in dispatch order, not inside the tasks, which the runtime may
                // start in any order: first ready, first served.
                Some(l) => l.reserve(ideal_now),
                None => ideal_now,
            };
            if call.effect.is_simulated() {
                let base = call.effect.nominal_ms().unwrap_or(0.0);
                let planned = planned_attempts(call, ideal_start, base, 1.0 / shared.ctx.speed);
                let mut sim = Sim::new(i, planned, ideal_now, ideal_start);
                match sim.run_until(ideal_now, &shared) {
                    Some(f) => done.push(f),
                    None => timers.push(Reverse((Ms(sim.next_deadline()), i))),
                }
                sims[i] = Some(sim);
            } else {
                running.spawn(perform_call(shared.clone(), i, ideal_now, ideal_start));
            }
        }
        if done.is_empty() {
            let next_timer = timers.peek().map(|Reverse((Ms(t), _))| *t);
            if next_timer.is_none() && running.is_empty() {
                break;
            }
            tokio::select! {
                () = sleep_until_opt(&shared, next_timer) => {}
                joined = running.join_next(), if !running.is_empty() => {
                    if let Some(joined) = joined {
                        done.push(joined.map_err(|e| task_error(strategy, &e))?);
                    }
                }
            }
        }
        // Everything due by now, simulated or real, is handled together, in ideal order, before
        // anything new starts: the virtual clock does the same, so both pick the same calls.
        let due = shared.now_ms();
        while let Some(Reverse((Ms(t), i))) = timers.peek().copied() {
            if t > due {
                break;
            }
            timers.pop();
            if let Some(sim) = sims[i].as_mut() {
                match sim.run_until(t, &shared) {
                    Some(f) => {
                        sims[i] = None;
                        done.push(f);
                    }
                    None => timers.push(Reverse((Ms(sim.next_deadline()), i))),
                }
            }
        }
        while let Some(more) = running.try_join_next() {
            done.push(more.map_err(|e| task_error(strategy, &e))?);
        }
        done.sort_by(|a, b| {
            a.ideal_end
                .total_cmp(&b.ideal_end)
                .then(a.index.cmp(&b.index))
        });
        let mut cancel = None;
        for f in done.drain(..) {
            ideal_now = f.ideal_end.max(ideal_now);
            let failed = f.record.status == CallStatus::Error;
            let i = f.index;
            for (s, reason) in dispatcher.finish(i, f.record) {
                emitter.emit(EventKind::Skipped {
                    call: s,
                    at_ms: shared.now_ms(),
                    reason,
                });
            }
            if failed && plan.on_error == OnError::Cancel && cancel.is_none() {
                cancel = Some(i);
            }
        }
        if let Some(failed) = cancel {
            cancel_the_rest(&shared, failed, &mut running, &mut dispatcher).await;
            break;
        }
    }

    // The wall is when the last call ended (or the lane stopped), not when the dispatcher got
    // round to noticing: collecting a thousand results is the runtime's time, not the calls'.
    let calls = dispatcher.into_records();
    let wall_ms = calls
        .iter()
        .filter_map(|c| c.end_ms)
        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))))
        .unwrap_or_else(|| millis(t0.elapsed()));
    emitter.emit(EventKind::LaneDone { wall_ms });
    Ok(LaneResult {
        strategy,
        wall_ms,
        calls,
    })
}

/// `starts` value of a call that has not started.
const NOT_STARTED: u64 = u64::MAX;

/// What every call task of a lane shares.
struct Shared {
    plan: Arc<Plan>,
    ctx: Context,
    t0: Instant,
    emitter: Emitter,
    /// Each call's start (ms, as f64 bits), so a cancel knows which calls were running.
    starts: Vec<AtomicU64>,
}

impl Shared {
    fn now_ms(&self) -> f64 {
        millis(self.t0.elapsed())
    }

    /// Sleeps until lane time `ms` on the ideal timeline.
    async fn sleep_until_ms(&self, ms: f64) {
        let deadline = Duration::try_from_secs_f64(ms.max(0.0) / 1000.0)
            .map(|d| self.t0 + d)
            .unwrap_or_else(|_| self.t0 + Duration::from_secs(86_400 * 365));
        if deadline <= Instant::now() {
            // Already late (or a zero latency): no timer tick to wait for.
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A call's task result.
struct Finished {
    index: usize,
    record: CallRecord,
    /// When it ended on the ideal timeline.
    ideal_end: f64,
}

/// Runs one call: waits for its rate-limit token (`ideal_start` later than `dispatched`), then
/// makes every attempt its retries allow.
async fn perform_call(
    shared: Arc<Shared>,
    i: usize,
    dispatched: f64,
    ideal_start: f64,
) -> Finished {
    let call = &shared.plan.calls[i];
    let wait_ms = (ideal_start > dispatched).then_some(ideal_start - dispatched);
    if wait_ms.is_some() {
        shared.sleep_until_ms(ideal_start).await;
    }
    let start = shared.now_ms();
    shared.starts[i].store(start.to_bits(), Ordering::Relaxed);
    shared.emitter.emit(EventKind::Started {
        call: i,
        at_ms: start,
        waited_ms: wait_ms.unwrap_or(0.0),
    });
    let (attempts, detail, ideal_end) = real_attempts(&shared, i, ideal_start).await;
    let end = shared.now_ms();
    let error = attempts.last().and_then(|a| a.error.clone());
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
    let attempts = if attempts.len() > 1 {
        attempts
    } else {
        Vec::new()
    };
    Finished {
        index: i,
        record: CallRecord {
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
        ideal_end,
    }
}

/// Milliseconds that order totally (the timer heap's key).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ms(f64);

impl Eq for Ms {}

impl PartialOrd for Ms {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ms {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn task_error(strategy: Strategy, e: &tokio::task::JoinError) -> EngineError {
    EngineError::Task {
        lane: strategy.to_string(),
        message: e.to_string(),
    }
}

/// Sleeps until lane time `ms`, or forever when there is nothing to wake for.
async fn sleep_until_opt(shared: &Shared, ms: Option<f64>) {
    match ms {
        Some(ms) => shared.sleep_until_ms(ms).await,
        None => std::future::pending().await,
    }
}

/// A simulated call in progress. Its attempts are planned on the ideal timeline; the lane
/// wakes it at each planned instant and measures when that really was.
struct Sim {
    index: usize,
    planned: Vec<Attempt>,
    /// What is next: 0 start; then for attempt k, `2k + 1` its end and `2k + 2` the next start.
    step: usize,
    dispatched: f64,
    ideal_start: f64,
    start: f64,
    attempt_start: f64,
    measured: Vec<Attempt>,
}

impl Sim {
    fn new(index: usize, planned: Vec<Attempt>, dispatched: f64, ideal_start: f64) -> Sim {
        Sim {
            index,
            planned,
            step: 0,
            dispatched,
            ideal_start,
            start: 0.0,
            attempt_start: 0.0,
            measured: Vec::new(),
        }
    }

    /// The ideal time of the next step.
    fn next_deadline(&self) -> f64 {
        match self.step {
            0 => self.ideal_start,
            s if s % 2 == 1 => self.planned[s / 2].end_ms,
            s => self.planned[s / 2].start_ms,
        }
    }

    /// Takes every step due by ideal time `t`, measuring each now; the call's result once its
    /// last attempt has ended.
    fn run_until(&mut self, t: f64, shared: &Shared) -> Option<Finished> {
        while self.next_deadline() <= t {
            let now = shared.now_ms();
            let i = self.index;
            match self.step {
                0 => {
                    self.start = now;
                    self.attempt_start = now;
                    shared.starts[i].store(now.to_bits(), Ordering::Relaxed);
                    shared.emitter.emit(EventKind::Started {
                        call: i,
                        at_ms: now,
                        waited_ms: self.ideal_start - self.dispatched,
                    });
                }
                s if s % 2 == 1 => {
                    let k = s / 2;
                    let error = self.planned[k].error.clone();
                    self.measured.push(Attempt {
                        start_ms: self.attempt_start,
                        end_ms: now,
                        error: error.clone(),
                    });
                    if k + 1 == self.planned.len() {
                        return Some(self.finish(shared, now));
                    }
                    if let Some(e) = error {
                        shared.emitter.emit(EventKind::AttemptFailed {
                            call: i,
                            at_ms: now,
                            error: e,
                        });
                    }
                }
                _ => {
                    self.attempt_start = now;
                    shared.emitter.emit(EventKind::AttemptStarted {
                        call: i,
                        at_ms: now,
                    });
                }
            }
            self.step += 1;
        }
        None
    }

    fn finish(&mut self, shared: &Shared, end: f64) -> Finished {
        let i = self.index;
        let call = &shared.plan.calls[i];
        let error = self.measured.last().and_then(|a| a.error.clone());
        shared.emitter.emit(EventKind::Finished {
            call: i,
            at_ms: end,
            error: error.clone(),
        });
        let attempts = if self.measured.len() > 1 {
            std::mem::take(&mut self.measured)
        } else {
            Vec::new()
        };
        Finished {
            index: i,
            record: CallRecord {
                id: call.id.clone(),
                status: if error.is_some() {
                    CallStatus::Error
                } else {
                    CallStatus::Ok
                },
                start_ms: Some(self.start),
                end_ms: Some(end),
                error,
                wait_ms: (self.ideal_start > self.dispatched)
                    .then_some(self.ideal_start - self.dispatched),
                attempts,
                bytes: None,
                http_status: None,
            },
            ideal_end: self.planned.last().map_or(self.ideal_start, |a| a.end_ms),
        }
    }
}

/// A real call (HTTP, file, CPU): each attempt takes what it takes; the ideal timeline moves on
/// by what was measured.
async fn real_attempts(shared: &Shared, i: usize, ideal_start: f64) -> (Vec<Attempt>, Detail, f64) {
    let call = &shared.plan.calls[i];
    let ctx = &shared.ctx;
    let mut ideal = ideal_start;
    let mut attempts = Vec::new();
    let mut detail = Detail::default();
    let tries = call.retries.max + 1;
    for n in 1..=tries {
        if n > 1 {
            ideal += call.retries.backoff_before(n);
            shared.sleep_until_ms(ideal).await;
            shared.emitter.emit(EventKind::AttemptStarted {
                call: i,
                at_ms: shared.now_ms(),
            });
        }
        let start = shared.now_ms();
        let limit = call
            .timeout_ms
            .and_then(|t| Duration::try_from_secs_f64(t / 1000.0).ok().map(|d| (t, d)));
        let (result, d) = match limit {
            Some((t, d)) => match tokio::time::timeout(d, call.effect.perform(ctx)).await {
                Ok(outcome) => outcome,
                Err(_) => (Err(timed_out(t)), Detail::default()),
            },
            None => call.effect.perform(ctx).await,
        };
        detail = d;
        let result = result.and_then(|()| match &call.fail {
            Some(message) if call.fails_attempt(n) => Err(message.clone()),
            _ => Ok(()),
        });
        let end = shared.now_ms();
        ideal += end - start;
        let error = result.err();
        attempts.push(Attempt {
            start_ms: start,
            end_ms: end,
            error: error.clone(),
        });
        match error {
            None => break,
            Some(e) if n < tries => shared.emitter.emit(EventKind::AttemptFailed {
                call: i,
                at_ms: end,
                error: e,
            }),
            Some(_) => {}
        }
    }
    (attempts, detail, ideal)
}

/// Task-group semantics: the call `failed` failed, so every call still running is stopped and
/// every call not yet started never will be; both are recorded as cancelled at this instant.
async fn cancel_the_rest(
    shared: &Shared,
    failed: usize,
    running: &mut JoinSet<Finished>,
    dispatcher: &mut Dispatcher<'_>,
) {
    dispatcher.stop();
    let at_ms = shared.now_ms();
    running.abort_all();
    // A call may have finished between the failure and the abort: keep what it did.
    while let Some(joined) = running.join_next().await {
        if let Ok(f) = joined {
            dispatcher.finish(f.index, f.record);
        }
    }
    let root = &shared.plan.calls[failed].id;
    for i in dispatcher.unresolved() {
        let bits = shared.starts[i].load(Ordering::Relaxed);
        let start = (bits != NOT_STARTED).then(|| f64::from_bits(bits));
        shared.emitter.emit(EventKind::Cancelled {
            call: i,
            at_ms,
            started: start.is_some(),
        });
        dispatcher.cancel(i, cancelled(&shared.plan.calls[i].id, root, start, at_ms));
    }
}

/// The record of a call the lane stopped at `at_ms` after `root` failed.
pub(crate) fn cancelled(id: &str, root: &str, start: Option<f64>, at_ms: f64) -> CallRecord {
    let mut record =
        CallRecord::skipped(id, format!("cancelled: `{root}` failed (on_error: cancel)"));
    record.status = CallStatus::Cancelled;
    record.start_ms = start;
    record.end_ms = Some(at_ms);
    record
}
