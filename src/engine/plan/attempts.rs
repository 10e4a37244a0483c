//! A call's attempts when their durations are known in advance (simulated and CPU effects, and
//! every real call's timeouts, failures and backoffs): the one rule both clocks and the plan's
//! bounds follow.

use super::PlanCall;
use crate::engine::units::fmt_num;

/// One attempt of a call whose duration is known in advance, relative to what came before it:
/// the wait after the previous attempt's end (0 for the first), how long it takes, and how it
/// fails. The real clock waits these from the *measured* end of the step before, the virtual
/// clock adds them up from the start: on an exact clock both give the same times.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedAttempt {
    /// Backoff before the attempt starts.
    pub backoff_ms: f64,
    /// The attempt's duration.
    pub duration_ms: f64,
    /// Why it fails; `None` for the attempt that succeeds.
    pub error: Option<String>,
}

/// The attempts of a call whose duration is known in advance (`base_ms` per attempt, at
/// `scale`): timeouts, deliberate failures, backoffs.
pub fn attempt_plan(call: &PlanCall, base_ms: f64, scale: f64) -> Vec<PlannedAttempt> {
    let tries = call.retries.max + 1;
    let mut out = Vec::with_capacity(1);
    for n in 1..=tries {
        let (duration_ms, error) = match call.timeout_ms {
            Some(t) if base_ms > t => (t * scale, Some(timed_out(t))),
            _ => (
                base_ms * scale,
                call.fail.clone().filter(|_| call.fails_attempt(n)),
            ),
        };
        let last = error.is_none();
        out.push(PlannedAttempt {
            backoff_ms: call.retries.backoff_before(n) * scale,
            duration_ms,
            error,
        });
        if last {
            break;
        }
    }
    out
}

/// The duration of a call whose only attempt succeeds (no retries, no failure, no timeout that
/// bites): the common case, which needs no plan. `None` for any other call.
pub fn plain_duration(call: &PlanCall, base_ms: f64, scale: f64) -> Option<f64> {
    let plain = call.retries.max == 0
        && call.fail.is_none()
        && call.timeout_ms.is_none_or(|t| base_ms <= t);
    // The same sum as planned_attempts: start + 0 backoff + duration.
    plain.then_some(base_ms * scale)
}

/// The message of a timed-out attempt.
pub fn timed_out(timeout_ms: f64) -> String {
    format!("timed out after {} ms", fmt_num(timeout_ms))
}
