//! One call's record: its status, attempts and times, compact in memory and flat in JSON.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

// Objects only: serde's derive also reads a struct from a list, fields by position.
crate::engine::json::object_only! {
    Attempt => "an object {…}",
    CallRecordIn => "an object {…}",
}

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// The call completed.
    Ok,
    /// The call failed; its message is in `error`.
    Error,
    /// The call never ran because a dependency failed; the reason is in `error`.
    Skipped,
    /// The lane stopped the call (`on_error: cancel`) after another call failed.
    Cancelled,
}

/// One attempt of a call that was tried more than once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Attempt {
    /// When the attempt started (ms from the lane's start).
    pub start_ms: f64,
    /// When it ended.
    pub end_ms: f64,
    /// Why it failed; `null` for the attempt that succeeded.
    pub error: Option<String>,
}

/// One call's timings in one lane. Compact, since a run of a million calls holds one per call
/// and lane: a plain successful call is an id shared with the plan, a status and two times (64
/// bytes); what only some calls have (a message, retries, a token wait, HTTP details) is boxed
/// in [`CallMore`]. The JSON is flat: `more`'s fields sit beside `id` as they always have.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRecord {
    /// The call's id (the plan's, shared).
    pub id: Arc<str>,
    /// How it ended.
    pub status: CallStatus,
    /// Milliseconds from the lane's start to the call's start; `null` when skipped.
    pub start_ms: Option<f64>,
    /// Milliseconds from the lane's start to the call's end; `null` when skipped.
    pub end_ms: Option<f64>,
    /// The rest, when there is any.
    pub more: Option<Box<CallMore>>,
}

/// What only some call records have (see [`CallRecord`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallMore {
    /// The failure message, or why the call was skipped or cancelled.
    pub error: Option<String>,
    /// Milliseconds it waited for a rate-limit token before `start_ms`.
    pub wait_ms: Option<f64>,
    /// Every attempt, when there was more than one (retries).
    pub attempts: Vec<Attempt>,
    /// Bytes received (HTTP) or read (file).
    pub bytes: Option<u64>,
    /// The HTTP status code.
    pub http_status: Option<u16>,
}

/// Fields that only some of millions of values have, boxed, or `None` when all are empty: what
/// keeps [`CallRecord`] and the view model's `CallTiming` small.
pub fn boxed_unless_empty<T: Default + PartialEq>(more: T) -> Option<Box<T>> {
    (more != T::default()).then(|| Box::new(more))
}

/// A call record as JSON has it, flat (the record format, unchanged), as read. (`Serialize` only
/// because [`crate::engine::json::object_only`] implements both; records are written through
/// [`CallRecordOut`], which copies nothing.)
#[derive(Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct CallRecordIn {
    #[serde(deserialize_with = "super::ids::id")]
    id: Arc<str>,
    status: CallStatus,
    start_ms: Option<f64>,
    end_ms: Option<f64>,
    error: Option<String>,
    #[serde(default)]
    wait_ms: Option<f64>,
    #[serde(default)]
    attempts: Vec<Attempt>,
    #[serde(default)]
    bytes: Option<u64>,
    #[serde(default)]
    http_status: Option<u16>,
}

/// The same, as written (borrowed: writing a record copies nothing).
#[derive(Serialize)]
struct CallRecordOut<'a> {
    id: &'a str,
    status: CallStatus,
    start_ms: Option<f64>,
    end_ms: Option<f64>,
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_ms: Option<f64>,
    #[serde(skip_serializing_if = "<[Attempt]>::is_empty")]
    attempts: &'a [Attempt],
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
}

impl<'de> Deserialize<'de> for CallRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = <CallRecordIn as Deserialize>::deserialize(d)?;
        let mut record = CallRecord {
            id: c.id,
            status: c.status,
            start_ms: c.start_ms,
            end_ms: c.end_ms,
            more: None,
        };
        record.set_more(CallMore {
            error: c.error,
            wait_ms: c.wait_ms,
            attempts: c.attempts,
            bytes: c.bytes,
            http_status: c.http_status,
        });
        Ok(record)
    }
}

impl Serialize for CallRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        CallRecordOut {
            id: &self.id,
            status: self.status,
            start_ms: self.start_ms,
            end_ms: self.end_ms,
            error: self.error(),
            wait_ms: self.wait_ms(),
            attempts: self.attempts(),
            bytes: self.bytes(),
            http_status: self.http_status(),
        }
        .serialize(s)
    }
}

impl CallRecord {
    /// A call that never ran.
    pub fn skipped(id: &Arc<str>, reason: String) -> Self {
        CallRecord {
            id: id.clone(),
            status: CallStatus::Skipped,
            start_ms: None,
            end_ms: None,
            more: Some(Box::new(CallMore {
                error: Some(reason),
                ..CallMore::default()
            })),
        }
    }

    /// The failure message, or why the call was skipped or cancelled.
    pub fn error(&self) -> Option<&str> {
        self.more.as_ref()?.error.as_deref()
    }

    /// Milliseconds it waited for a rate-limit token before `start_ms`.
    pub fn wait_ms(&self) -> Option<f64> {
        self.more.as_ref()?.wait_ms
    }

    /// Every attempt, when there was more than one (retries); empty otherwise.
    pub fn attempts(&self) -> &[Attempt] {
        self.more.as_ref().map_or(&[], |m| &m.attempts)
    }

    /// Bytes received (HTTP) or read (file).
    pub fn bytes(&self) -> Option<u64> {
        self.more.as_ref()?.bytes
    }

    /// The HTTP status code.
    pub fn http_status(&self) -> Option<u16> {
        self.more.as_ref()?.http_status
    }

    /// The rarely set fields, to change them (made empty if there were none).
    pub fn more_mut(&mut self) -> &mut CallMore {
        self.more.get_or_insert_with(Box::default)
    }

    /// Sets the rarely set fields, boxing them only when there is something to hold.
    pub fn set_more(&mut self, more: CallMore) {
        self.more = boxed_unless_empty(more);
    }

    /// A call the lane stopped at `at_ms` after `root` failed (`on_error: cancel`).
    pub fn cancelled(id: &Arc<str>, root: &str, start: Option<f64>, at_ms: f64) -> Self {
        let mut record =
            CallRecord::skipped(id, format!("cancelled: `{root}` failed (on_error: cancel)"));
        record.status = CallStatus::Cancelled;
        record.start_ms = start;
        record.end_ms = Some(at_ms);
        record
    }

    /// A call that ran from `start` to `end` through `attempts` (the last one decides how it
    /// ended; a single attempt is not listed), after waiting `wait_ms` for a rate-limit token.
    /// Both clocks build their records here, so they follow one rule.
    pub fn ran(
        id: &Arc<str>,
        start: f64,
        end: f64,
        wait_ms: Option<f64>,
        attempts: Vec<Attempt>,
    ) -> Self {
        let error = attempts.last().and_then(|a| a.error.clone());
        let mut record = CallRecord {
            id: id.clone(),
            status: if error.is_some() {
                CallStatus::Error
            } else {
                CallStatus::Ok
            },
            start_ms: Some(start),
            end_ms: Some(end),
            more: None,
        };
        record.set_more(CallMore {
            error,
            wait_ms,
            attempts: if attempts.len() > 1 {
                attempts
            } else {
                Vec::new()
            },
            bytes: None,
            http_status: None,
        });
        record
    }

    /// How long the call ran, if it ran.
    pub fn duration_ms(&self) -> Option<f64> {
        Some(self.end_ms? - self.start_ms?)
    }
}
