//! A record as a Chrome trace (the JSON "Trace Event Format"), for Perfetto and
//! `chrome://tracing`.
//!
//! - one process per lane: `pid` = lane index + 1, named by a `process_name` metadata event with
//!   the strategy and ordered by `process_sort_index`;
//! - one thread per call: `tid` = call index + 1, named by `thread_name` = the call's id, so
//!   overlapping calls never share a thread;
//! - `ph: "X"` complete events (`ts`, `dur` in microseconds): the call itself (`name` = id,
//!   `cat` = tool), each retry attempt nested in it (`id (attempt n)`), and the rate-limit wait
//!   before it (`id (waiting for a token)`);
//! - skipped calls as thread-scoped instant events at the time their dependency failed (calls
//!   whose time cannot be inferred are listed in the lane's `process_labels` instead), and calls
//!   cancelled before they started as instant events at the time they were stopped;
//! - a counter per lane, `in flight`, with `args: {"calls": n}` at every start and end.
//!
//! What it reads of the record (skip times, in-flight counts, tools) comes from
//! [`crate::engine::queries`], which the SVG, the CSV and the live view share.

use serde::Serialize;
use serde_json::{Value, json};

use crate::engine::queries::{in_flight_steps, skipped_at, tool_of};
use crate::engine::record::{CallStatus, Record};

/// Milliseconds to trace microseconds, to the nanosecond.
fn us(ms: f64) -> f64 {
    (ms * 1_000_000.0).round() / 1000.0
}

/// One trace event. The many (two or three a call) are typed, so that writing one builds no
/// JSON value; their fields are in the order a JSON value's sorted keys print, so the text is
/// the same either way.
#[derive(Serialize)]
#[serde(untagged)]
enum Event<'a> {
    Json(Value),
    Meta(Meta<'a>),
    Span(Span<'a>),
    Counter(Counter),
}

#[derive(Serialize)]
struct Meta<'a> {
    args: MetaArgs<'a>,
    name: &'static str,
    ph: &'static str,
    pid: usize,
    tid: usize,
}

#[derive(Serialize)]
#[serde(untagged)]
enum MetaArgs<'a> {
    Name { name: &'a str },
    SortIndex { sort_index: usize },
}

#[derive(Serialize)]
struct Span<'a> {
    args: CallArgs<'a>,
    cat: &'a str,
    dur: f64,
    name: &'a str,
    ph: &'static str,
    pid: usize,
    tid: usize,
    ts: f64,
}

#[derive(Serialize)]
struct CallArgs<'a> {
    bytes: Option<u64>,
    error: Option<&'a str>,
    http_status: Option<u16>,
    status: CallStatus,
    tool: &'a str,
    wait_ms: Option<f64>,
}

#[derive(Serialize)]
struct Counter {
    args: Calls,
    name: &'static str,
    ph: &'static str,
    pid: usize,
    tid: usize,
    ts: f64,
}

#[derive(Serialize)]
struct Calls {
    calls: usize,
}

/// The record as a Chrome trace JSON object.
pub fn trace(record: &Record) -> Value {
    let mut events: Vec<Value> = Vec::new();
    each_event(record, &mut |e| {
        events.push(serde_json::to_value(e).expect("an event is JSON"));
    });
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": other_data(record),
    })
}

/// What the trace says of the run besides its events.
fn other_data(record: &Record) -> Value {
    json!({
        "scenario": record.scenario.name,
        "speed": record.speed,
        "clock": record.clock,
        "mode": record.mode,
        "started_at": record.started_at,
        "fanout_version": record.fanout_version,
    })
}

/// Hands every event of the trace to `events`, in order, one at a time: the text is written
/// event by event (a record of 4 × 100k calls has about two million events, far too many to
/// hold as JSON values at once).
fn each_event(record: &Record, events: &mut dyn FnMut(Event<'_>)) {
    for (k, lane) in record.lanes.iter().enumerate() {
        let pid = k + 1;
        let skipped = skipped_at(record, lane);
        let unplaced: Vec<&str> = lane
            .calls
            .iter()
            .zip(&skipped)
            .filter(|(c, at)| c.status == CallStatus::Skipped && at.is_none())
            .map(|(c, _)| &*c.id)
            .collect();
        events(Event::Json(json!({
            "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
            "args": {"name": lane.strategy},
        })));
        events(Event::Json(json!({
            "name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
            "args": {"sort_index": k},
        })));
        let mut labels = format!(
            "wall {} · speedup {} · bound {} · efficiency {}",
            super::duration(lane.wall_ms),
            super::speedup(lane.speedup),
            super::duration(lane.lower_bound_ms),
            super::percent(lane.efficiency()),
        );
        if !unplaced.is_empty() {
            labels.push_str(&format!(
                " · skipped at an unknown time: {}",
                unplaced.join(", ")
            ));
        }
        events(Event::Json(json!({
            "name": "process_labels", "ph": "M", "pid": pid, "tid": 0,
            "args": {"labels": labels, "skipped_at_unknown_time": unplaced},
        })));
        for (i, c) in lane.calls.iter().enumerate() {
            let tid = i + 1;
            let tool = tool_of(record, i, &c.id);
            events(Event::Meta(Meta {
                args: MetaArgs::Name { name: &c.id },
                name: "thread_name",
                ph: "M",
                pid,
                tid,
            }));
            events(Event::Meta(Meta {
                args: MetaArgs::SortIndex { sort_index: i },
                name: "thread_sort_index",
                ph: "M",
                pid,
                tid,
            }));
            let args = || CallArgs {
                bytes: c.bytes(),
                error: c.error(),
                http_status: c.http_status(),
                status: c.status,
                tool: &tool,
                wait_ms: c.wait_ms(),
            };
            match (c.start_ms, c.end_ms) {
                (Some(start), Some(end)) => {
                    if let Some(w) = c.wait_ms().filter(|&w| w > 0.0) {
                        let from = (start - w).max(0.0);
                        events(Event::Json(json!({
                            "name": format!("{} (waiting for a token)", c.id),
                            "cat": "rate_limit", "ph": "X", "pid": pid, "tid": tid,
                            "ts": us(from), "dur": us(start - from),
                            "args": {"tool": tool, "wait_ms": w},
                        })));
                    }
                    events(Event::Span(Span {
                        args: args(),
                        cat: &tool,
                        dur: us(end - start),
                        name: &c.id,
                        ph: "X",
                        pid,
                        tid,
                        ts: us(start),
                    }));
                    let total = c.attempts().len();
                    for (n, a) in c.attempts().iter().enumerate() {
                        // Clamped into the call, so the attempts nest in it on its thread.
                        let a_start = a.start_ms.clamp(start, end);
                        let a_end = a.end_ms.clamp(a_start, end);
                        events(Event::Json(json!({
                            "name": format!("{} (attempt {})", c.id, n + 1),
                            "cat": tool, "ph": "X", "pid": pid, "tid": tid,
                            "ts": us(a_start), "dur": us(a_end - a_start),
                            "args": {
                                "tool": tool,
                                "attempt": n + 1,
                                "of": total,
                                "status": if a.error.is_some() { "error" } else { "ok" },
                                "error": a.error,
                            },
                        })));
                    }
                }
                (None, Some(end)) => events(Event::Json(json!({
                    "name": format!("{} (cancelled)", c.id), "cat": tool,
                    "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": us(end), "args": args(),
                }))),
                _ => {
                    if let Some(at) = skipped[i] {
                        events(Event::Json(json!({
                            "name": format!("{} (skipped)", c.id), "cat": tool,
                            "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": us(at),
                            "args": args(),
                        })));
                    }
                }
            }
        }
        for (t, n) in in_flight_steps(lane) {
            events(Event::Counter(Counter {
                args: Calls { calls: n },
                name: "in flight",
                ph: "C",
                pid,
                tid: 0,
                ts: us(t),
            }));
        }
    }
}

/// The trace as text: one event per line, so it diffs and greps well.
pub fn chrome_trace(record: &Record) -> String {
    let mut out = Vec::new();
    write(record, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`chrome_trace`] streamed to `out`, event by event.
pub fn write(record: &Record, out: &mut impl std::io::Write) -> std::io::Result<()> {
    out.write_all(b"{\"traceEvents\": [\n")?;
    let mut first = true;
    let mut failed = Ok(());
    each_event(record, &mut |e| {
        if failed.is_ok() {
            let sep: &[u8] = if first { b"  " } else { b",\n  " };
            first = false;
            failed = out
                .write_all(sep)
                .and_then(|()| serde_json::to_writer(&mut *out, &e).map_err(Into::into));
        }
    });
    failed?;
    if !first {
        out.write_all(b"\n")?;
    }
    out.write_all(b"],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": ")?;
    serde_json::to_writer(&mut *out, &other_data(record))?;
    out.write_all(b"}\n")
}
