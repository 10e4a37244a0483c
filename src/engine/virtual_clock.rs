//! The virtual clock: a lane simulated as discrete events, exact and instant. It runs the same
//! [`Dispatcher`] as the real clock, so it answers "what *should* this take?": `fanout check`
//! prints its walls, `--clock virtual` records them, and a real run's lanes carry them as
//! `predicted_ms` to show the tool's own overhead.
//!
//! Simulated calls take their latency, CPU calls their CPU time on one of the machine's cores
//! (queued when all are busy), and real I/O (HTTP, files) takes 0: the prediction is for the
//! simulated part of a batch.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::dispatch::{Dispatcher, Gcra, planned_attempts};
use super::effects::Effect;
use super::options::{Clock, Mode, RunOptions};
use super::plan::Plan;
use super::plan::plain_duration;
use super::record::{Attempt, CallRecord, CallStatus, LaneResult, Record, Turn};
use super::scenario::OnError;
use super::strategy::{Strategy, cores};
use super::units::Ms;

/// The outcome of one lane on the virtual clock, with how much scheduling work it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Simulated {
    /// The lane as a real run would record it on an exact clock.
    pub lane: LaneResult,
    /// Ready-heap operations: linear in the calls (a measure that the scheduler scales).
    pub steps: u64,
}

/// Runs one lane of `plan` under `strategy` on the virtual clock at `speed`.
pub fn simulate_lane(plan: &Plan, strategy: Strategy, speed: f64) -> Simulated {
    let mut dispatcher = Dispatcher::new(plan, strategy);
    let mut limiter = plan.rate_limit.as_ref().map(|r| Gcra::new(r, speed));
    let mut queue: BinaryHeap<Reverse<(Ms, usize)>> = BinaryHeap::new();
    // A started call's times, kept small (a full record is built once, when it ends): start,
    // end and when it asked (NaN: not started). Failures and retries, which are rare, keep
    // their attempts aside.
    let mut pending: Vec<[f64; 3]> = vec![[f64::NAN; 3]; plan.calls.len()];
    let mut retried: HashMap<usize, Vec<Attempt>> = HashMap::new();
    // CPU calls need a core: each takes the earliest free one (the machine's cores, as the
    // real clock has them), so 8 × 200 ms on 2 cores are predicted at 800 ms, not 200 ms.
    let mut cores: BinaryHeap<Reverse<(Ms, usize)>> =
        (0..cores()).map(|k| Reverse((Ms(0.0), k))).collect();
    let mut now = 0.0f64;
    let mut turns: Vec<Turn> = Vec::new();
    // Reused for every instant: an allocation per event would be most of the lane's.
    let mut batch: Vec<usize> = Vec::new();
    // Records are named at the end, in file order: naming each as it ends touched a million
    // ids' reference counts in event order, scattered over memory (and shared with the lanes
    // on other threads), which was an eighth of a million-call run.
    let unnamed: Arc<str> = Arc::from("");
    loop {
        while let Some(i) = dispatcher.next_call() {
            let call = &plan.calls[i];
            let mut start = match limiter.as_mut().filter(|l| l.applies_to(&call.tool)) {
                Some(l) => l.reserve(now),
                None => now,
            };
            let core = matches!(call.effect, Effect::Cpu { .. })
                .then(|| cores.pop())
                .flatten()
                .map(|Reverse((Ms(end), index))| {
                    start = start.max(end);
                    index
                });
            let scale = if call.effect.is_simulated() {
                1.0 / speed
            } else {
                1.0
            };
            let base = call.effect.nominal_ms().unwrap_or(0.0);
            // Most calls have one attempt that succeeds: no plan to build for them.
            let end = match plain_duration(call, base, scale) {
                Some(d) => start + d,
                None => {
                    let attempts = planned_attempts(call, start, base, scale);
                    let end = attempts.last().map_or(start, |a| a.end_ms);
                    retried.insert(i, attempts);
                    end
                }
            };
            if let Some(index) = core {
                cores.push(Reverse((Ms(end), index)));
            }
            pending[i] = [start, end, now];
            queue.push(Reverse((Ms(end), i)));
        }
        // A model turn runs alone: after the last result is in, before the next calls start.
        if queue.is_empty() && dispatcher.turn_due() {
            let k = dispatcher.start_turn();
            let end = now + plan.turn_nominal_ms(k) / speed;
            turns.push(Turn {
                start_ms: now,
                end_ms: end,
            });
            now = end;
            dispatcher.end_turn();
            // A failed model call fails as its turn ends, and under `on_error: cancel` stops
            // the lane there like any failed call.
            if plan.on_error == OnError::Cancel
                && let Some((failed, _)) = dispatcher.failed_turn(k)
            {
                cancel_the_rest(plan, &mut dispatcher, &pending, failed, now);
                break;
            }
            continue;
        }
        let Some(Reverse((Ms(first), first_index))) = queue.pop() else {
            break;
        };
        now = now.max(first);
        // Everything ending at this instant is handled before anything new starts.
        batch.clear();
        batch.push(first_index);
        while let Some(&Reverse((Ms(end), index))) = queue.peek()
            && end <= now
        {
            batch.push(index);
            queue.pop();
        }
        let mut failed_first = None;
        for &index in &batch {
            // A lookup per call only when some call was retried or failed.
            let attempts = if retried.is_empty() {
                None
            } else {
                retried.remove(&index)
            };
            let record = finished(&unnamed, pending[index], attempts);
            let failed = record.status == CallStatus::Error;
            dispatcher.finish(index, record);
            if failed && plan.on_error == OnError::Cancel && failed_first.is_none() {
                failed_first = Some(index);
            }
        }
        if let Some(failed) = failed_first {
            cancel_the_rest(plan, &mut dispatcher, &pending, failed, now);
            queue.clear();
            break;
        }
    }
    let steps = dispatcher.steps;
    let mut calls = dispatcher.into_records(&turns);
    for (record, call) in calls.iter_mut().zip(&plan.calls) {
        if Arc::ptr_eq(&record.id, &unnamed) {
            record.id = call.id.clone();
        }
    }
    Simulated {
        lane: LaneResult {
            strategy,
            wall_ms: now,
            calls,
            turns,
        },
        steps,
    }
}

/// Task-group semantics: `failed` failed at `now`, so the lane stops and every call not yet
/// resolved is recorded as cancelled (started, if it was in the queue and past its token wait).
fn cancel_the_rest(
    plan: &Plan,
    dispatcher: &mut Dispatcher<'_>,
    pending: &[[f64; 3]],
    failed: usize,
    now: f64,
) {
    dispatcher.stop();
    let root = &plan.calls[failed].id;
    for i in dispatcher.unresolved() {
        let start = Some(pending[i][0]).filter(|&s| s <= now);
        dispatcher.cancel(
            i,
            CallRecord::cancelled(&plan.calls[i].id, root, start, now),
        );
    }
}

/// The record of a call (named `id` for now) which started at `start`, ended at `end` and asked
/// at `asked`; `attempts` when it was not a single successful attempt.
fn finished(
    id: &Arc<str>,
    [start, end, asked]: [f64; 3],
    attempts: Option<Vec<Attempt>>,
) -> CallRecord {
    CallRecord::ran(
        id,
        start,
        end,
        (start > asked).then_some(start - asked),
        attempts.unwrap_or_default(),
    )
}

/// One [`simulate_lane`] per strategy, in order. Lanes are independent, so they run on up to
/// one thread per core: at a million calls each lane is most of a second.
pub fn simulate_lanes(plan: &Plan, strategies: &[Strategy], speed: f64) -> Vec<Simulated> {
    let threads = cores().min(strategies.len());
    if threads <= 1 {
        return strategies
            .iter()
            .map(|&s| simulate_lane(plan, s, speed))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<Simulated>> = (0..strategies.len()).map(|_| None).collect();
    let done: Vec<(usize, Simulated)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&s) = strategies.get(k) else {
                            break mine;
                        };
                        mine.push((k, simulate_lane(plan, s, speed)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            // A lane that panicked is an engine bug: let the panic through, as on one thread.
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for (k, sim) in done {
        out[k] = Some(sim);
    }
    out.into_iter().flatten().collect()
}

/// The wall each strategy would take on an exact clock.
pub fn predicted_walls(plan: &Plan, strategies: &[Strategy], speed: f64) -> Vec<f64> {
    simulate_lanes(plan, strategies, speed)
        .into_iter()
        .map(|s| s.lane.wall_ms)
        .collect()
}

/// A whole run on the virtual clock: the same record a real run makes, flagged `virtual`.
pub fn run_virtual(plan: &Arc<Plan>, opts: &RunOptions) -> Record {
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let lanes: Vec<LaneResult> = simulate_lanes(plan, &opts.strategies, opts.speed)
        .into_iter()
        .map(|s| s.lane)
        .collect();
    let walls: Vec<f64> = lanes.iter().map(|l: &LaneResult| l.wall_ms).collect();
    let mut record = Record::new(plan, opts.speed, Mode::Race, started_at, lanes);
    record.clock = Clock::Virtual;
    record.set_predicted(&walls, plan.on_error == OnError::Cancel);
    record
}
