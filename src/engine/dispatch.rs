//! The scheduling state of one lane, shared by the real-clock driver ([`super::lane`]) and the
//! virtual clock ([`super::virtual_clock`]): which call may start now, and what a finished call
//! releases. Strategies differ only in their limit (calls in flight), their readiness rule
//! (eager, or wave by wave) and their priority (file order, or longest remaining path).
//!
//! Each call and each dependency edge is handled a constant number of times: O(V + E) plus the
//! ready heap's log V, never a rescan of pending calls.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::plan::{Plan, PlanCall, RateLimit, attempt_plan};
use super::record::{Attempt, CallRecord, CallStatus, Turn};
use super::strategy::Strategy;

/// Which call may start next, for one lane.
pub struct Dispatcher<'p> {
    plan: &'p Plan,
    limit: usize,
    waves: bool,
    /// Priority rank of each call (lower first): its file index, or its place by remaining path.
    rank: Vec<u32>,
    waiting_on: Vec<u32>,
    outcome: Vec<Option<CallRecord>>,
    ready: BinaryHeap<Reverse<(u32, u32)>>,
    next_wave: usize,
    wave_left: usize,
    in_flight: usize,
    stopped: bool,
    /// Whether calls start only when a model turn releases them (the turn strategies).
    turns: bool,
    /// Calls one turn releases at most (`one-per-turn`: 1); every ready call when `None`.
    per_turn: Option<usize>,
    /// Calls the last turn released that have not started yet.
    release_left: usize,
    /// A turn is under way (between [`Dispatcher::start_turn`] and [`Dispatcher::end_turn`]).
    in_turn: bool,
    /// The final turn (after the last call) was taken.
    final_turn: bool,
    /// Turns taken so far.
    turns_taken: usize,
    /// Calls a failed model call skipped in [`Dispatcher::new`].
    skipped_at_start: Vec<(usize, String)>,
    /// The model calls in file order, in a turn lane (empty otherwise): turn k's is the k-th.
    models: Vec<u32>,
    /// How many times a call was taken from or put on the ready heap (a measure of work).
    pub steps: u64,
}

impl<'p> Dispatcher<'p> {
    /// A lane of `plan` under `strategy`, before anything started.
    pub fn new(plan: &'p Plan, strategy: Strategy) -> Dispatcher<'p> {
        let n = plan.calls.len();
        let rank: Vec<u32> = if strategy.critical_path_first() {
            let mut by_path: Vec<u32> = (0..n as u32).collect();
            by_path.sort_by(|&a, &b| {
                plan.remaining_ms[b as usize]
                    .total_cmp(&plan.remaining_ms[a as usize])
                    .then(a.cmp(&b))
            });
            let mut rank = vec![0u32; n];
            for (r, &i) in by_path.iter().enumerate() {
                rank[i as usize] = r as u32;
            }
            rank
        } else {
            (0..n as u32).collect()
        };
        let waves = strategy == Strategy::Waves;
        let waiting_on: Vec<u32> = (0..n).map(|i| plan.deps[i].len() as u32).collect();
        let mut d = Dispatcher {
            plan,
            limit: strategy.limit().unwrap_or(usize::MAX),
            waves,
            rank,
            waiting_on,
            outcome: vec![None; n],
            ready: BinaryHeap::new(),
            next_wave: 0,
            wave_left: 0,
            in_flight: 0,
            stopped: false,
            turns: strategy.uses_turns(),
            per_turn: (strategy == Strategy::OnePerTurn).then_some(1),
            release_left: 0,
            in_turn: false,
            final_turn: false,
            turns_taken: 0,
            skipped_at_start: Vec::new(),
            models: if strategy.uses_turns() {
                (0..n as u32)
                    .filter(|&i| plan.calls[i as usize].model)
                    .collect()
            } else {
                Vec::new()
            },
            steps: 0,
        };
        if !waves {
            // The roots first, all of them: a model call among them releases its dependents
            // as it resolves.
            let roots: Vec<usize> = (0..n).filter(|&i| d.waiting_on[i] == 0).collect();
            for i in roots {
                if d.outcome[i].is_none() {
                    let skipped = d.ready(i);
                    d.skipped_at_start.extend(skipped);
                }
            }
        }
        d
    }

    /// The model call turn `k` (0-based) takes its duration from, in a turn lane: the k-th
    /// model call in file order.
    pub fn model_of_turn(&self, k: usize) -> Option<usize> {
        self.models.get(k).map(|&i| i as usize)
    }

    /// The model call of turn `k` if it fails (`fail`): the lane's failure at the end of that
    /// turn, which `on_error: cancel` stops the lane at. A model call not yet ready (one-per-
    /// turn takes the turns in order) fails here, its dependents skipped: they are returned.
    pub fn failed_turn(&mut self, k: usize) -> Option<(usize, Vec<(usize, String)>)> {
        let m = self.model_of_turn(k)?;
        let message = self.plan.calls[m].fail.clone()?;
        let mut skipped = Vec::new();
        if self.outcome[m].is_none() {
            let mut record = CallRecord::ran(&self.plan.calls[m].id, 0.0, 0.0, None, Vec::new());
            record.status = CallStatus::Error;
            record.more_mut().error = Some(message);
            self.outcome[m] = Some(record);
            skipped = self.skip_downstream(m);
        }
        Some((m, skipped))
    }

    /// The calls a failed model call skipped before anything started (turn lanes only), for
    /// the caller to emit as it emits [`Dispatcher::finish`]'s; empty the second time.
    pub fn take_skipped_at_start(&mut self) -> Vec<(usize, String)> {
        std::mem::take(&mut self.skipped_at_start)
    }

    /// Call `i` may start: it goes on the ready heap. In a turn lane a model call instead
    /// resolves at once — its latency is one of the lane's turns, not a call — and releases its
    /// dependents, which then wait for the next turn like any call. Returns the calls a failed
    /// model call skipped.
    fn ready(&mut self, i: usize) -> Vec<(usize, String)> {
        if !(self.turns && self.plan.calls[i].model) {
            self.push(i);
            return Vec::new();
        }
        let mut skipped = Vec::new();
        let mut models = vec![i];
        while let Some(m) = models.pop() {
            let call = &self.plan.calls[m];
            // Times come from the lane's turns, in `into_records`.
            let mut record = CallRecord::ran(&call.id, 0.0, 0.0, None, Vec::new());
            if let Some(message) = &call.fail {
                record.status = CallStatus::Error;
                record.more_mut().error = Some(message.clone());
                self.outcome[m] = Some(record);
                skipped.extend(self.skip_downstream(m));
            } else {
                self.outcome[m] = Some(record);
            }
            for k in 0..self.plan.successors[m].len() {
                let s = self.plan.successors[m][k] as usize;
                self.waiting_on[s] -= 1;
                if self.waiting_on[s] == 0 && self.outcome[s].is_none() {
                    if self.plan.calls[s].model {
                        models.push(s);
                    } else {
                        self.push(s);
                    }
                }
            }
        }
        skipped
    }

    fn push(&mut self, i: usize) {
        self.steps += 1;
        self.ready.push(Reverse((self.rank[i], i as u32)));
    }

    /// The next call to start now, if the strategy allows one; the caller must start it.
    pub fn next_call(&mut self) -> Option<usize> {
        if self.stopped {
            return None;
        }
        if self.waves && self.wave_left == 0 {
            // Skipped calls are already resolved, so a wave may turn out empty: move past it.
            while self.wave_left == 0 && self.next_wave < self.plan.levels.len() {
                for k in 0..self.plan.levels[self.next_wave].len() {
                    let i = self.plan.levels[self.next_wave][k];
                    if self.outcome[i].is_none() {
                        self.push(i);
                        self.wave_left += 1;
                    }
                }
                self.next_wave += 1;
            }
        }
        if self.in_flight >= self.limit || (self.turns && self.release_left == 0) {
            return None;
        }
        let Reverse((_, i)) = self.ready.pop()?;
        self.release_left = self.release_left.saturating_sub(1);
        self.steps += 1;
        self.in_flight += 1;
        Some(i as usize)
    }

    /// Whether the model takes a turn now (turn strategies only): nothing is in flight, the
    /// last turn's calls have all started and finished, and the final turn is not yet taken.
    /// The caller then waits the turn out between [`Dispatcher::start_turn`] and
    /// [`Dispatcher::end_turn`].
    pub fn turn_due(&self) -> bool {
        self.turns
            && !self.stopped
            && !self.in_turn
            && !self.final_turn
            && self.in_flight == 0
            && self.release_left == 0
    }

    /// Starts the turn that is due; returns its index (0-based), which picks its duration.
    /// With no call ready it is the final turn, the one that reads the last results.
    pub fn start_turn(&mut self) -> usize {
        self.in_turn = true;
        if self.ready.is_empty() {
            self.final_turn = true;
        }
        self.turns_taken
    }

    /// Ends the turn under way: it releases the calls it asks for (one, or every ready call).
    pub fn end_turn(&mut self) {
        self.in_turn = false;
        self.turns_taken += 1;
        let ready = self.ready.len();
        self.release_left = if self.final_turn {
            0
        } else {
            self.per_turn.map_or(ready, |n| n.min(ready))
        };
    }

    /// Calls started and not yet finished.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Records a finished call. Returns the calls skipped because it failed, each with the
    /// reason, already recorded as skipped (their time is the caller's to emit).
    pub fn finish(&mut self, i: usize, record: CallRecord) -> Vec<(usize, String)> {
        self.in_flight = self.in_flight.saturating_sub(1);
        let failed = record.status == CallStatus::Error;
        self.outcome[i] = Some(record);
        if self.waves {
            self.wave_left = self.wave_left.saturating_sub(1);
        }
        let mut skipped = if failed {
            self.skip_downstream(i)
        } else {
            Vec::new()
        };
        for k in 0..self.plan.successors[i].len() {
            let s = self.plan.successors[i][k] as usize;
            self.waiting_on[s] -= 1;
            if self.waiting_on[s] == 0 && !self.waves && self.outcome[s].is_none() {
                skipped.extend(self.ready(s));
            }
        }
        skipped
    }

    /// Every call downstream of the failed call `failed`, recorded as skipped, naming it.
    fn skip_downstream(&mut self, failed: usize) -> Vec<(usize, String)> {
        let plan = self.plan;
        let root = &plan.calls[failed].id;
        let mut out = Vec::new();
        let mut stack: Vec<(usize, usize)> = plan.successors[failed]
            .iter()
            .map(|&s| (s as usize, failed))
            .collect();
        while let Some((s, via)) = stack.pop() {
            if self.outcome[s].is_some() {
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
            self.outcome[s] = Some(CallRecord::skipped(&plan.calls[s].id, reason.clone()));
            // A turn lane's model call is a turn, which the model still takes: not skipped.
            if !(self.turns && plan.calls[s].model) {
                out.push((s, reason));
            }
            stack.extend(plan.successors[s].iter().map(|&t| (t as usize, s)));
        }
        out
    }

    /// Stops dispatching (`on_error: cancel`); the caller records what is left as cancelled.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Records a call the lane stopped.
    pub fn cancel(&mut self, i: usize, record: CallRecord) {
        self.outcome[i] = Some(record);
    }

    /// Calls with no outcome yet.
    pub fn unresolved(&self) -> Vec<usize> {
        (0..self.outcome.len())
            .filter(|&i| self.outcome[i].is_none())
            .collect()
    }

    /// The records, in file order. A call left unresolved (which a plan without cycles never
    /// leaves) is recorded as skipped rather than crash a run. In a turn lane the k-th model
    /// call (file order) is the lane's k-th turn, whose duration it gave, even where a failure
    /// skipped the calls around it (the model still reads the failure and answers); one beyond
    /// the turns the lane took is skipped, saying so.
    pub fn into_records(self, turns: &[Turn]) -> Vec<CallRecord> {
        let plan = self.plan;
        let mut model_rank = 0;
        self.outcome
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let call = &plan.calls[i];
                if self.turns && call.model {
                    let k = model_rank;
                    model_rank += 1;
                    if let Some(r) = o.as_ref().filter(|r| r.status == CallStatus::Cancelled) {
                        return r.clone();
                    }
                    return match turns.get(k) {
                        Some(t) => {
                            let mut r =
                                CallRecord::ran(&call.id, t.start_ms, t.end_ms, None, Vec::new());
                            if let Some(message) = &call.fail {
                                r.status = CallStatus::Error;
                                r.more_mut().error = Some(message.clone());
                            }
                            r
                        }
                        None => CallRecord::skipped(
                            &call.id,
                            format!(
                                "model call {}: this lane took only {}",
                                k + 1,
                                crate::text::plural(turns.len(), "model turn")
                            ),
                        ),
                    };
                }
                o.unwrap_or_else(|| {
                    CallRecord::skipped(&call.id, "never became ready (engine bug)".into())
                })
            })
            .collect()
    }
}

/// A token bucket as a generic cell rate algorithm, in lane milliseconds: each call reserves
/// the earliest time it may start, in dispatch order, so waits are exact and first come,
/// first served. Our own rather than a rate-limiting crate's: it runs on lane time (tokio's
/// paused clock in tests, the virtual clock's numbers), not on the wall clock those read.
#[derive(Debug, Clone)]
pub struct Gcra {
    /// Time between tokens.
    interval: f64,
    /// How far ahead of its turn a call may start: `burst - 1` intervals.
    tolerance: f64,
    /// Theoretical arrival time of the next call.
    tat: Option<f64>,
    /// Only calls of this tool take tokens.
    tool: Option<String>,
}

impl Gcra {
    /// A bucket for `limit`, with simulated time running `speed` times faster.
    pub fn new(limit: &RateLimit, speed: f64) -> Gcra {
        let interval = 1000.0 / (limit.per_second * speed);
        Gcra {
            interval,
            tolerance: interval * f64::from(limit.burst.max(1) - 1),
            tat: None,
            tool: limit.tool.clone(),
        }
    }

    /// Whether calls of `tool` take tokens from this bucket.
    pub fn applies_to(&self, tool: &str) -> bool {
        self.tool.as_deref().is_none_or(|t| t == tool)
    }

    /// The time a call asking at `now` may start.
    pub fn reserve(&mut self, now: f64) -> f64 {
        let t = self.tat.map_or(now, |x| x.max(now));
        let allowed = if t - now <= self.tolerance {
            now
        } else {
            t - self.tolerance
        };
        self.tat = Some(t + self.interval);
        allowed
    }
}

/// [`crate::engine::plan::attempt_plan`] laid out from `start` on an exact clock (the virtual clock's times). The
/// sums are the ones the real lane makes from its measured times, so the two clocks agree to
/// the microsecond when nothing is late.
pub fn planned_attempts(call: &PlanCall, start: f64, base_ms: f64, scale: f64) -> Vec<Attempt> {
    let mut at = start;
    attempt_plan(call, base_ms, scale)
        .into_iter()
        .map(|a| {
            let begin = at + a.backoff_ms;
            let end = begin + a.duration_ms;
            at = end;
            Attempt {
                start_ms: begin,
                end_ms: end,
                error: a.error,
            }
        })
        .collect()
}
