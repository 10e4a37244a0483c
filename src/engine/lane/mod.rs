//! Drives one plan under one strategy on the real clock (tokio's, which tests pause): the
//! [`Dispatcher`] decides which call starts when; this module runs the calls and measures them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;
use tokio::time::Instant;

mod timed;
mod timer;

use timed::TimedCall;
pub use timer::use_precise_timer;
use timer::{PRECISE, Timer};

use super::dispatch::{Dispatcher, Gcra};
use super::effects::{Detail, EffectContext};
use super::event::{Event, EventKind};
use super::plan::Plan;
use super::plan::{attempt_plan, timed_out};
use super::record::{Attempt, CallRecord, CallStatus, LaneResult, Turn};
use super::scenario::OnError;
use super::strategy::Strategy;
use super::units::{Ms, millis};

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
/// Every time in the record is measured: a simulated call starts when the lane gets round to
/// it and ends no earlier than that start plus its latency, so a late start stays late and the
/// delay shows as a gap before the call (fanout's own overhead), never as a shorter call.
/// Retries, backoffs and rate-limit tokens count from measured times too.
pub async fn run_lane(
    plan: Arc<Plan>,
    strategy: Strategy,
    ctx: EffectContext,
    lane: usize,
    events: Option<UnboundedSender<Event>>,
) -> Result<LaneResult, EngineError> {
    let precise = PRECISE.load(Ordering::Relaxed);
    run_lane_with(plan, strategy, ctx, lane, events, None, precise).await
}

/// Awaited before a call starts (tests: to make the lane late by hand).
type DelayHook = Arc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

async fn run_lane_with(
    plan: Arc<Plan>,
    strategy: Strategy,
    ctx: EffectContext,
    lane: usize,
    events: Option<UnboundedSender<Event>>,
    before_start: Option<DelayHook>,
    precise: bool,
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
        timer: if precise { Timer::new() } else { None },
    });
    let mut dispatcher = Dispatcher::new(&plan, strategy);
    for (s, reason) in dispatcher.take_skipped_at_start() {
        emitter.emit(EventKind::Skipped {
            call: s,
            at_ms: shared.now_ms(),
            reason,
        });
    }
    let mut running: JoinSet<Finished> = JoinSet::new();
    // Simulated calls need no task: the lane wakes them itself, all those due at one instant on
    // one timer tick, so a thousand calls ending together cost one wake-up, not a thousand.
    let mut sims: Vec<Option<TimedCall>> = (0..plan.calls.len()).map(|_| None).collect();
    let mut timers: BinaryHeap<Reverse<(Ms, usize)>> = BinaryHeap::new();
    let mut done: Vec<Finished> = Vec::new();
    let mut turns: Vec<Turn> = Vec::new();

    loop {
        while let Some(i) = dispatcher.next_call() {
            if let Some(hook) = &before_start {
                hook(i).await;
            }
            let call = &plan.calls[i];
            let dispatched = shared.now_ms();
            let token_at = match limiter.as_mut().filter(|l| l.applies_to(&call.tool)) {
                // Reserved here, in dispatch order, not inside the tasks, which the runtime may
                // start in any order: first ready, first served; and at the measured time the
                // call asked, so a late lane does not spend tokens in the past.
                Some(l) => l.reserve(dispatched),
                None => dispatched,
            };
            if call.effect.is_simulated() {
                let base = call.effect.nominal_ms().unwrap_or(0.0);
                let planned = attempt_plan(call, base, 1.0 / shared.ctx.speed);
                let mut sim = TimedCall::new(i, planned, dispatched, token_at);
                match sim.run_until(&shared) {
                    Some(f) => done.push(f),
                    None => timers.push(Reverse((Ms(sim.deadline), i))),
                }
                sims[i] = Some(sim);
            } else {
                running.spawn(perform_call(shared.clone(), i, dispatched, token_at));
            }
        }
        // A model turn is a simulated wait, alone in the lane: after every result is in, before
        // the calls it asks for start.
        if done.is_empty() && timers.is_empty() && running.is_empty() && dispatcher.turn_due() {
            let k = dispatcher.start_turn();
            let start = shared.now_ms();
            // The model call whose duration this turn is, drawn there as the record has it.
            let model = dispatcher.model_of_turn(k);
            if let Some(call) = model {
                emitter.emit(EventKind::Started {
                    call,
                    at_ms: start,
                    waited_ms: 0.0,
                });
            }
            shared
                .sleep_until_ms(start + plan.turn_nominal_ms(k) / shared.ctx.speed)
                .await;
            let end = shared.now_ms();
            turns.push(Turn {
                start_ms: start,
                end_ms: end,
            });
            if let Some(call) = model {
                emitter.emit(EventKind::Finished {
                    call,
                    at_ms: end,
                    error: plan.calls[call].fail.clone(),
                });
            }
            emitter.emit(EventKind::Turn {
                start_ms: start,
                end_ms: end,
            });
            dispatcher.end_turn();
            // As the virtual clock: a failed model call under `on_error: cancel` stops the lane.
            if plan.on_error == OnError::Cancel
                && let Some((failed, skipped)) = dispatcher.failed_turn(k)
            {
                for (s, reason) in skipped {
                    emitter.emit(EventKind::Skipped {
                        call: s,
                        at_ms: end,
                        reason,
                    });
                }
                cancel_the_rest(&shared, failed, &mut running, &mut dispatcher).await;
                break;
            }
            continue;
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
        // Everything due by now, simulated or real, is handled together, in the order of the
        // deadlines, before anything new starts: the virtual clock does the same, so on an exact
        // clock both pick the same calls.
        let due = shared.now_ms();
        while let Some(Reverse((Ms(t), i))) = timers.peek().copied() {
            if t > due {
                break;
            }
            timers.pop();
            if let Some(sim) = sims[i].as_mut() {
                match sim.run_until(&shared) {
                    Some(f) => {
                        sims[i] = None;
                        done.push(f);
                    }
                    None => timers.push(Reverse((Ms(sim.deadline), i))),
                }
            }
        }
        while let Some(more) = running.try_join_next() {
            done.push(more.map_err(|e| task_error(strategy, &e))?);
        }
        done.sort_by(|a, b| a.due.total_cmp(&b.due).then(a.index.cmp(&b.index)));
        let mut cancel = None;
        for f in done.drain(..) {
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
    let calls = dispatcher.into_records(&turns);
    let wall_ms = calls
        .iter()
        .filter_map(|c| c.end_ms)
        .chain(turns.iter().map(|t| t.end_ms))
        .fold(None, |m: Option<f64>, e| Some(m.map_or(e, |m| m.max(e))))
        .unwrap_or_else(|| millis(t0.elapsed()));
    emitter.emit(EventKind::LaneDone { wall_ms });
    Ok(LaneResult {
        strategy,
        wall_ms,
        calls,
        turns,
    })
}

/// `starts` value of a call that has not started.
const NOT_STARTED: u64 = u64::MAX;

/// What every call task of a lane shares.
struct Shared {
    plan: Arc<Plan>,
    ctx: EffectContext,
    t0: Instant,
    emitter: Emitter,
    /// Each call's start (ms, as f64 bits), so a cancel knows which calls were running.
    starts: Vec<AtomicU64>,
    /// The lane's precise timer, when [`use_precise_timer`] is on and the platform has one;
    /// else tokio's timer.
    timer: Option<Timer>,
}

impl Shared {
    fn now_ms(&self) -> f64 {
        millis(self.t0.elapsed())
    }

    /// Sleeps until lane time `ms`: an absolute deadline, so waits do not add up roundings.
    async fn sleep_until_ms(&self, ms: f64) {
        let deadline = Duration::try_from_secs_f64(ms.max(0.0) / 1000.0)
            .map(|d| self.t0 + d)
            .unwrap_or_else(|_| self.t0 + Duration::from_secs(86_400 * 365));
        if deadline <= Instant::now() {
            // Already late (or a zero latency): no timer tick to wait for.
            tokio::task::yield_now().await;
        } else if let Some(timer) = &self.timer {
            timer.sleep_until(deadline).await;
        } else {
            tokio::time::sleep_until(deadline).await;
        }
    }

    /// [`Shared::sleep_until_ms`] for a call's own task (a token wait, a backoff before a
    /// retry). A timerfd holds one deadline: shared with the lane's loop, whichever armed it
    /// last would take the other's wake-up away and leave it waiting for good. So a task that
    /// waits gets a timer of its own.
    async fn task_sleep_until_ms(&self, ms: f64) {
        if self.timer.is_none() {
            return self.sleep_until_ms(ms).await;
        }
        let deadline = Duration::try_from_secs_f64(ms.max(0.0) / 1000.0)
            .map(|d| self.t0 + d)
            .unwrap_or_else(|_| self.t0 + Duration::from_secs(86_400 * 365));
        if deadline <= Instant::now() {
            tokio::task::yield_now().await;
            return;
        }
        match Timer::new() {
            Some(own) => own.sleep_until(deadline).await,
            None => tokio::time::sleep_until(deadline).await,
        }
    }
}

/// A call's task result.
struct Finished {
    index: usize,
    record: CallRecord,
    /// When it was due to end (a simulated call's deadline, a real call's measured end): the
    /// order in which calls handled together finish.
    due: f64,
}

/// Runs one call: waits for its rate-limit token (`token_at` later than `dispatched`), then
/// makes every attempt its retries allow.
async fn perform_call(shared: Arc<Shared>, i: usize, dispatched: f64, token_at: f64) -> Finished {
    let call = &shared.plan.calls[i];
    if token_at > dispatched {
        shared.task_sleep_until_ms(token_at).await;
    }
    let start = shared.now_ms();
    let wait_ms = (token_at > dispatched).then_some(start - dispatched);
    shared.starts[i].store(start.to_bits(), Ordering::Relaxed);
    shared.emitter.emit(EventKind::Started {
        call: i,
        at_ms: start,
        waited_ms: wait_ms.unwrap_or(0.0),
    });
    let (attempts, detail) = real_attempts(&shared, i).await;
    let end = shared.now_ms();
    shared.emitter.emit(EventKind::Finished {
        call: i,
        at_ms: end,
        error: attempts.last().and_then(|a| a.error.clone()),
    });
    let mut record = CallRecord::ran(&call.id, start, end, wait_ms, attempts);
    if detail.bytes.is_some() || detail.http_status.is_some() {
        let more = record.more_mut();
        more.bytes = detail.bytes;
        more.http_status = detail.http_status;
    }
    Finished {
        index: i,
        record,
        due: end,
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

/// A real call (HTTP, file, CPU): each attempt takes what it takes; a retry waits its backoff
/// from the failed attempt's measured end.
async fn real_attempts(shared: &Shared, i: usize) -> (Vec<Attempt>, Detail) {
    let call = &shared.plan.calls[i];
    let ctx = &shared.ctx;
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut detail = Detail::default();
    let tries = call.retries.max + 1;
    for n in 1..=tries {
        if let Some(prev) = attempts.last() {
            shared
                .task_sleep_until_ms(prev.end_ms + call.retries.backoff_before(n))
                .await;
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
    (attempts, detail)
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
        dispatcher.cancel(
            i,
            CallRecord::cancelled(&shared.plan.calls[i].id, root, start, at_ms),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::scenario::ScenarioSource;
    use crate::engine::virtual_clock::simulate_lane;

    fn plan(json: &str) -> Arc<Plan> {
        Arc::new(Plan::from_source(&ScenarioSource::from_text("test.json", json)).unwrap())
    }

    /// A hook that makes the lane `ms` late, on the paused clock, before call `late` starts.
    fn late_before(late: usize, ms: u64) -> DelayHook {
        Arc::new(move |i| {
            Box::pin(async move {
                if i == late {
                    tokio::time::advance(Duration::from_millis(ms)).await;
                }
            })
        })
    }

    async fn run_late(p: &Arc<Plan>, strategy: Strategy, hook: DelayHook) -> LaneResult {
        let ctx = EffectContext::new(1.0, None);
        run_lane_with(p.clone(), strategy, ctx, 0, None, Some(hook), false)
            .await
            .unwrap()
    }

    fn spans(lane: &LaneResult) -> Vec<(f64, f64)> {
        lane.calls
            .iter()
            .map(|c| (c.start_ms.unwrap(), c.end_ms.unwrap()))
            .collect()
    }

    /// Every call's span and every attempt's covers what was planned for it.
    fn assert_no_span_shrank(p: &Plan, lane: &LaneResult) {
        // A precise timer ends a call within nanoseconds of its deadline, where milliseconds
        // in an f64 and a deadline in whole nanoseconds round apart: a nanosecond is the
        // timer's precision.
        const NS: f64 = 1e-6;
        for (call, rec) in p.calls.iter().zip(&lane.calls) {
            let planned = planned_attempts(call, 0.0, call.effect.nominal_ms().unwrap(), 1.0);
            let span = rec.end_ms.unwrap() - rec.start_ms.unwrap();
            assert!(
                span >= planned.last().unwrap().end_ms - NS,
                "{}: {span}",
                rec.id
            );
            for (a, want) in rec.attempts().iter().zip(&planned) {
                assert!(
                    a.end_ms - a.start_ms >= want.end_ms - want.start_ms - NS,
                    "{}",
                    rec.id
                );
            }
        }
    }

    use crate::engine::dispatch::planned_attempts;

    #[tokio::test(start_paused = true)]
    async fn a_late_start_ends_late_by_as_much_retries_included() {
        let p = plan(
            r#"{"name": "t", "calls": [
                {"id": "a", "latency_ms": 100},
                {"id": "b", "latency_ms": 50, "fail": "HTTP 503", "fail_attempts": 1,
                 "retries": {"max": 1, "backoff_ms": 20}},
                {"id": "c", "latency_ms": 30}
            ]}"#,
        );
        let on_time = simulate_lane(&p, Strategy::Sequential, 1.0).lane;
        assert_eq!(
            spans(&on_time),
            [(0.0, 100.0), (100.0, 220.0), (220.0, 250.0)]
        );
        // The lane gets to `b` 7 ms late: b, its retry and c all move by 7 ms.
        let late = run_late(&p, Strategy::Sequential, late_before(1, 7)).await;
        assert_eq!(spans(&late), [(0.0, 100.0), (107.0, 227.0), (227.0, 257.0)]);
        let b: Vec<(f64, f64)> = late.calls[1]
            .attempts()
            .iter()
            .map(|a| (a.start_ms, a.end_ms))
            .collect();
        assert_eq!(b, [(107.0, 157.0), (177.0, 227.0)]);
        assert_eq!(late.wall_ms, 257.0);
        assert_no_span_shrank(&p, &late);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_lane_reserves_its_tokens_when_it_asks() {
        // One token every 100 ms, no burst. The lane is 250 ms late to dispatch: the first
        // token is then, not at 0, and the others follow it.
        let p = plan(
            r#"{"name": "t", "rate_limit": {"per_second": 10, "burst": 1}, "calls": [
                {"id": "a", "latency_ms": 10},
                {"id": "b", "latency_ms": 10},
                {"id": "c", "latency_ms": 10}
            ]}"#,
        );
        let late = run_late(&p, Strategy::Parallel, late_before(0, 250)).await;
        assert_eq!(
            spans(&late),
            [(250.0, 260.0), (350.0, 360.0), (450.0, 460.0)]
        );
        let waits: Vec<Option<f64>> = late.calls.iter().map(|c| c.wait_ms()).collect();
        assert_eq!(waits, [None, Some(100.0), Some(200.0)]);
        assert_no_span_shrank(&p, &late);
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_parallel_call_moves_alone() {
        let p = plan(
            r#"{"name": "t", "calls": [
                {"id": "a", "latency_ms": 100},
                {"id": "b", "latency_ms": 100},
                {"id": "c", "latency_ms": 40, "depends_on": ["b"]}
            ]}"#,
        );
        // `a` is dispatched on time; the lane is 5 ms late for `b`, and so for c after it.
        let late = run_late(&p, Strategy::Parallel, late_before(1, 5)).await;
        assert_eq!(spans(&late), [(0.0, 100.0), (5.0, 105.0), (105.0, 145.0)]);
        assert_no_span_shrank(&p, &late);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_precise_timer_never_ends_early() {
        let timer = Timer::new().expect("a timerfd");
        for micros in [0u64, 30, 250, 999, 1_000, 1_300, 2_750, 10_001] {
            let deadline = Instant::now() + Duration::from_micros(micros);
            timer.sleep_until(deadline).await;
            let now = Instant::now();
            assert!(
                now >= deadline,
                "{micros} µs: woke {:?} early",
                deadline - now
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_lane_on_the_precise_timer_records_no_call_shorter_than_its_latency() {
        // Fractional latencies, which tokio's timer would round up to whole milliseconds.
        let calls: Vec<String> = (0..40)
            .map(|i| {
                format!(
                    r#"{{"id": "c{i}", "latency_ms": {}}}"#,
                    0.25 + f64::from(i) * 0.37
                )
            })
            .collect();
        let p = plan(&format!(
            r#"{{"name": "t", "calls": [{}]}}"#,
            calls.join(",")
        ));
        for s in [Strategy::Sequential, Strategy::Pool(4)] {
            let ctx = EffectContext::new(1.0, None);
            let lane = run_lane_with(p.clone(), s, ctx, 0, None, None, true)
                .await
                .unwrap();
            assert_no_span_shrank(&p, &lane);
        }
    }
}
