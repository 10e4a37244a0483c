//! Calls with a simulated effect on the real clock. Each step waits from the *measured* time of
//! the step before it (the start from the token, an attempt's end from its start, a retry from
//! the failed attempt's end), so no recorded span is shorter than planned, however late the
//! lane is.

use std::sync::atomic::Ordering;

use super::{Finished, Shared};
use crate::engine::event::EventKind;
use crate::engine::plan::PlannedAttempt;
use crate::engine::record::{Attempt, CallRecord};

/// A call whose durations are known in advance (a simulated effect), driven by the lane's
/// timer heap rather than a task of its own. Each step waits from the *measured* time of the step before
/// it (the start from the token, an attempt's end from its start, a retry from the failed
/// attempt's end), so no recorded span is shorter than planned, however late the lane is.
pub(super) struct TimedCall {
    index: usize,
    planned: Vec<PlannedAttempt>,
    /// What is next: for attempt k, `2k` its start (k = 0: the call's) and `2k + 1` its end.
    step: usize,
    /// Lane time of the next step.
    pub(super) deadline: f64,
    dispatched: f64,
    token_at: f64,
    start: f64,
    attempt_start: f64,
    measured: Vec<Attempt>,
}

impl TimedCall {
    pub(super) fn new(
        index: usize,
        planned: Vec<PlannedAttempt>,
        dispatched: f64,
        token_at: f64,
    ) -> TimedCall {
        TimedCall {
            index,
            planned,
            step: 0,
            deadline: token_at,
            dispatched,
            token_at,
            start: 0.0,
            attempt_start: 0.0,
            measured: Vec::new(),
        }
    }

    /// Takes every step that is due, measuring each; the call's result once its last attempt
    /// has ended.
    pub(super) fn run_until(&mut self, shared: &Shared) -> Option<Finished> {
        loop {
            let now = shared.now_ms();
            if self.deadline > now {
                return None;
            }
            let i = self.index;
            let k = self.step / 2;
            if self.step.is_multiple_of(2) {
                self.attempt_start = now;
                if k == 0 {
                    self.start = now;
                    shared.starts[i].store(now.to_bits(), Ordering::Relaxed);
                    shared.emitter.emit(EventKind::Started {
                        call: i,
                        at_ms: now,
                        // Measured, as in the record: what the token and the lane made it wait.
                        waited_ms: if self.token_at > self.dispatched {
                            now - self.dispatched
                        } else {
                            0.0
                        },
                    });
                } else {
                    shared.emitter.emit(EventKind::AttemptStarted {
                        call: i,
                        at_ms: now,
                    });
                }
                self.deadline = now + self.planned[k].duration_ms;
            } else {
                let due = self.deadline;
                let error = self.planned[k].error.clone();
                self.measured.push(Attempt {
                    start_ms: self.attempt_start,
                    end_ms: now,
                    error: error.clone(),
                });
                if k + 1 == self.planned.len() {
                    return Some(self.finish(shared, now, due));
                }
                if let Some(e) = error {
                    shared.emitter.emit(EventKind::AttemptFailed {
                        call: i,
                        at_ms: now,
                        error: e,
                    });
                }
                self.deadline = now + self.planned[k + 1].backoff_ms;
            }
            self.step += 1;
        }
    }

    pub(super) fn finish(&mut self, shared: &Shared, end: f64, due: f64) -> Finished {
        let i = self.index;
        let call = &shared.plan.calls[i];
        shared.emitter.emit(EventKind::Finished {
            call: i,
            at_ms: end,
            error: self.measured.last().and_then(|a| a.error.clone()),
        });
        let wait_ms = (self.token_at > self.dispatched).then_some(self.start - self.dispatched);
        Finished {
            index: i,
            record: CallRecord::ran(
                &call.id,
                self.start,
                end,
                wait_ms,
                std::mem::take(&mut self.measured),
            ),
            due,
        }
    }
}
