//! What a running lane reports, as it happens. The UI builds its view model from these; the
//! headless CLI ignores them and reads the final record.

use tokio::time::Instant;

/// One thing that happened in one lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Index of the lane in the run.
    pub lane: usize,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of lane events. Times are milliseconds from the lane's start.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// The lane started at this instant; every `at_ms` of the lane counts from it.
    LaneStarted {
        /// The lane's time zero.
        at: Instant,
    },
    /// A call began its effect (its first attempt).
    Started {
        /// Index of the call in the plan.
        call: usize,
        /// When it started.
        at_ms: f64,
        /// How long it waited for a rate-limit token before that.
        waited_ms: f64,
    },
    /// An attempt failed and the call will be retried after its backoff.
    AttemptFailed {
        /// Index of the call in the plan.
        call: usize,
        /// When the attempt ended.
        at_ms: f64,
        /// Why it failed.
        error: String,
    },
    /// A retry began.
    AttemptStarted {
        /// Index of the call in the plan.
        call: usize,
        /// When it started.
        at_ms: f64,
    },
    /// The lane cancelled the call (`on_error: cancel`).
    Cancelled {
        /// Index of the call in the plan.
        call: usize,
        /// When.
        at_ms: f64,
        /// Whether it was running (else it never started).
        started: bool,
    },
    /// A call ended, successfully (`error: None`) or not.
    Finished {
        /// Index of the call in the plan.
        call: usize,
        /// When it ended.
        at_ms: f64,
        /// The failure message, if it failed.
        error: Option<String>,
    },
    /// A call will not run because a dependency failed.
    Skipped {
        /// Index of the call in the plan.
        call: usize,
        /// When the lane decided to skip it.
        at_ms: f64,
        /// Which dependency failed.
        reason: String,
    },
    /// A model turn ended (turn strategies only).
    Turn {
        /// When it started, ms from the lane's start.
        start_ms: f64,
        /// When it ended.
        end_ms: f64,
    },
    /// Every call of the lane is resolved.
    LaneDone {
        /// The lane's wall-clock time.
        wall_ms: f64,
    },
}
