//! What the view model holds of each call and each lane: a call's timings in one lane, its
//! state at any instant, and a lane's clock.

use crate::engine::Strategy;
use crate::engine::record::LaneLabel;

/// A call as every lane shares it: who it is and what it waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct CallInfo {
    /// The call's id (the plan's, shared).
    pub id: std::sync::Arc<str>,
    /// The tool's display name.
    pub tool: std::sync::Arc<str>,
    /// Indices of the calls it depends on.
    pub deps: Vec<usize>,
}

/// What one lane knows of one call, in milliseconds from the lane's start. A model holds one per
/// call and lane (4 million at a million calls), so what only failed, retried, skipped or
/// cancelled calls have is boxed in [`TimingMore`]: a plain call is 48 bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallTiming {
    /// When it started.
    pub start: Option<f64>,
    /// When it ended.
    pub end: Option<f64>,
    /// How long it waited for a rate-limit token before `start`.
    pub waited_ms: f64,
    /// The rest, when there is any.
    pub more: Option<Box<TimingMore>>,
}

/// What only some calls' timings have (see [`CallTiming`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimingMore {
    /// Its failure message.
    pub error: Option<String>,
    /// When and why the lane skipped it.
    pub skipped: Option<(f64, String)>,
    /// Attempts that failed and were retried: start, end, error.
    pub failed_attempts: Vec<(f64, f64, String)>,
    /// When the current (or last) attempt started, when it is not the first.
    pub attempt_start: Option<f64>,
    /// When the lane cancelled it (`on_error: cancel`).
    pub cancelled: Option<f64>,
}

impl CallTiming {
    /// Its failure message.
    pub fn error(&self) -> Option<&str> {
        self.more.as_ref()?.error.as_deref()
    }

    /// When and why the lane skipped it.
    pub fn skipped(&self) -> Option<&(f64, String)> {
        self.more.as_ref()?.skipped.as_ref()
    }

    /// Attempts that failed and were retried: start, end, error.
    pub fn failed_attempts(&self) -> &[(f64, f64, String)] {
        self.more.as_ref().map_or(&[], |m| &m.failed_attempts)
    }

    /// When the current (or last) attempt started, when it is not the first.
    pub fn attempt_start(&self) -> Option<f64> {
        self.more.as_ref()?.attempt_start
    }

    /// When the lane cancelled it (`on_error: cancel`).
    pub fn cancelled(&self) -> Option<f64> {
        self.more.as_ref()?.cancelled
    }

    /// The rare fields, to change them (made empty if there were none).
    pub fn more_mut(&mut self) -> &mut TimingMore {
        self.more.get_or_insert_with(Box::default)
    }

    /// Sets the rare fields, boxing them only when there is something to hold.
    pub fn set_more(&mut self, more: TimingMore) {
        self.more = crate::engine::record::boxed_unless_empty(more);
    }
}

/// A call's state at one instant of its lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CallState<'a> {
    /// Not started: its dependencies are not done, or the strategy holds it back.
    Waiting,
    /// Started at `start` and still running.
    Running {
        /// When it started.
        start: f64,
    },
    /// Completed.
    Done {
        /// When it started.
        start: f64,
        /// When it ended.
        end: f64,
    },
    /// Failed with a message.
    Failed {
        /// When it started.
        start: f64,
        /// When it ended.
        end: f64,
        /// The failure.
        error: &'a str,
    },
    /// Will never run.
    Skipped {
        /// Which dependency failed.
        reason: &'a str,
    },
    /// Stopped by the lane after another call failed (`on_error: cancel`).
    Cancelled {
        /// When it had started, if it had.
        start: Option<f64>,
        /// When it was stopped.
        at: f64,
    },
}

impl CallTiming {
    /// The call's state at lane time `t`.
    pub fn state_at(&self, t: f64) -> CallState<'_> {
        if let Some((at, reason)) = &self.skipped()
            && *at <= t
        {
            return CallState::Skipped { reason };
        }
        if let Some(at) = self.cancelled()
            && at <= t
        {
            return CallState::Cancelled {
                start: self.start.filter(|&s| s <= at),
                at,
            };
        }
        // A retry in progress runs from its own start; earlier attempts are drawn apart.
        // Between attempts (a backoff, or an earlier attempt of a replay) the current attempt
        // has not begun: it shows as just starting, and the view draws the earlier ones.
        let current = match self.attempt_start() {
            Some(a) if a <= t => Some(a),
            Some(_) => self.start.map(|s| s.max(t)),
            None => self.start,
        };
        match (current, self.end) {
            (Some(start), Some(end)) if start <= t && end <= t => match &self.error() {
                Some(error) => CallState::Failed { start, end, error },
                None => CallState::Done { start, end },
            },
            (Some(start), _) if start <= t => CallState::Running { start },
            _ => CallState::Waiting,
        }
    }
}

/// One strategy's lane on screen.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneView {
    /// The strategy it runs.
    pub strategy: Strategy,
    /// Its name on screen: the strategy, or `recorded` for an imported trace's own timeline.
    pub label: LaneLabel,
    /// Its lower bound, ms at the run's speed.
    pub lower_bound_ms: f64,
    /// The wall it cannot exceed on an exact clock, ms at the run's speed (for the axis).
    pub upper_bound_ms: f64,
    /// The wall the virtual clock predicts, ms at the run's speed (drawn as a marker).
    pub predicted_ms: Option<f64>,
    /// When the lane started, ms from the run's start; `None` while it waits its turn.
    pub offset_ms: Option<f64>,
    /// Its wall, once done.
    pub wall_ms: Option<f64>,
    /// One timing per call, in file order.
    pub calls: Vec<CallTiming>,
    /// The model's turns that have ended, `(start, end)` in lane ms (turn strategies only).
    pub turns: Vec<(f64, f64)>,
}

impl LaneView {
    /// The lane's own clock at run time `now`: `None` before it starts, its wall once done.
    pub fn time_at(&self, now: f64) -> Option<f64> {
        let offset = self.offset_ms?;
        let t = (now - offset).max(0.0);
        Some(match self.wall_ms {
            Some(wall) => t.min(wall),
            None => t,
        })
    }

    /// Whether the lane has finished by run time `now`.
    pub fn is_done_at(&self, now: f64) -> bool {
        match (self.offset_ms, self.wall_ms) {
            (Some(offset), Some(wall)) => now - offset >= wall,
            _ => false,
        }
    }
}
