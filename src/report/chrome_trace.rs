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

use serde_json::{Value, json};

use crate::engine::queries::{in_flight_steps, skipped_at, tool_of};
use crate::engine::record::{CallStatus, Record};

/// Milliseconds to trace microseconds, to the nanosecond.
fn us(ms: f64) -> f64 {
    (ms * 1_000_000.0).round() / 1000.0
}

/// The record as a Chrome trace JSON object.
pub fn trace(record: &Record) -> Value {
    let mut events: Vec<Value> = Vec::new();
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
        events.push(json!({
            "name": "process_name", "ph": "M", "pid": pid, "tid": 0,
            "args": {"name": lane.strategy},
        }));
        events.push(json!({
            "name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
            "args": {"sort_index": k},
        }));
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
        events.push(json!({
            "name": "process_labels", "ph": "M", "pid": pid, "tid": 0,
            "args": {"labels": labels, "skipped_at_unknown_time": unplaced},
        }));
        for (i, c) in lane.calls.iter().enumerate() {
            let tid = i + 1;
            let tool = tool_of(record, i, &c.id);
            events.push(json!({
                "name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                "args": {"name": c.id},
            }));
            events.push(json!({
                "name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                "args": {"sort_index": i},
            }));
            let args = json!({
                "tool": tool,
                "status": c.status,
                "error": c.error(),
                "bytes": c.bytes(),
                "http_status": c.http_status(),
                "wait_ms": c.wait_ms(),
            });
            match (c.start_ms, c.end_ms) {
                (Some(start), Some(end)) => {
                    if let Some(w) = c.wait_ms().filter(|&w| w > 0.0) {
                        let from = (start - w).max(0.0);
                        events.push(json!({
                            "name": format!("{} (waiting for a token)", c.id),
                            "cat": "rate_limit", "ph": "X", "pid": pid, "tid": tid,
                            "ts": us(from), "dur": us(start - from),
                            "args": {"tool": tool, "wait_ms": w},
                        }));
                    }
                    events.push(json!({
                        "name": c.id, "cat": tool, "ph": "X", "pid": pid, "tid": tid,
                        "ts": us(start), "dur": us(end - start), "args": args,
                    }));
                    let total = c.attempts().len();
                    for (n, a) in c.attempts().iter().enumerate() {
                        // Clamped into the call, so the attempts nest in it on its thread.
                        let a_start = a.start_ms.clamp(start, end);
                        let a_end = a.end_ms.clamp(a_start, end);
                        events.push(json!({
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
                        }));
                    }
                }
                (None, Some(end)) => events.push(json!({
                    "name": format!("{} (cancelled)", c.id), "cat": tool,
                    "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": us(end), "args": args,
                })),
                _ => {
                    if let Some(at) = skipped[i] {
                        events.push(json!({
                            "name": format!("{} (skipped)", c.id), "cat": tool,
                            "ph": "i", "s": "t", "pid": pid, "tid": tid, "ts": us(at),
                            "args": args,
                        }));
                    }
                }
            }
        }
        for (t, n) in in_flight_steps(lane) {
            events.push(json!({
                "name": "in flight", "ph": "C", "pid": pid, "tid": 0, "ts": us(t),
                "args": {"calls": n},
            }));
        }
    }
    json!({
        "traceEvents": events,
        "displayTimeUnit": "ms",
        "otherData": {
            "scenario": record.scenario.name,
            "speed": record.speed,
            "clock": record.clock,
            "mode": record.mode,
            "started_at": record.started_at,
            "fanout_version": record.fanout_version,
        },
    })
}

/// The trace as text: one event per line, so it diffs and greps well.
pub fn chrome_trace(record: &Record) -> String {
    let value = trace(record);
    let mut out = String::from("{\"traceEvents\": [\n");
    if let Some(events) = value["traceEvents"].as_array() {
        for (i, e) in events.iter().enumerate() {
            out.push_str("  ");
            out.push_str(&e.to_string());
            out.push_str(if i + 1 < events.len() { ",\n" } else { "\n" });
        }
    }
    out.push_str("],\n\"displayTimeUnit\": \"ms\",\n\"otherData\": ");
    out.push_str(&value["otherData"].to_string());
    out.push_str("}\n");
    out
}
