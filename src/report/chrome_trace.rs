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
//! The helpers [`skipped_at`], [`in_flight_steps`] and [`tool_of`] are shared with the SVG.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::engine::record::{CallStatus, LaneRecord, Record};

/// The tool of a lane's call `i`: the scenario's `tool`, else the id.
pub fn tool_of(record: &Record, i: usize, id: &str) -> String {
    let spec = match record.scenario.calls.get(i) {
        Some(s) if s.id == id => Some(s),
        _ => record.scenario.calls.iter().find(|s| s.id == id),
    };
    spec.and_then(|s| s.tool.clone())
        .unwrap_or_else(|| id.to_string())
}

/// For each call of `lane`: when it was skipped, if it was and the time can be inferred.
///
/// A call is skipped the moment its first dependency fails (or is itself skipped or
/// cancelled), so its time is the earliest such moment among its dependencies. `None` for calls
/// that were not skipped, and for skipped calls with no failed dependency in the record.
pub fn skipped_at(record: &Record, lane: &LaneRecord) -> Vec<Option<f64>> {
    let index: HashMap<&str, usize> = lane
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let deps: Vec<Vec<usize>> = lane
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let spec = match record.scenario.calls.get(i) {
                Some(s) if s.id == c.id => Some(s),
                _ => record.scenario.calls.iter().find(|s| s.id == c.id),
            };
            spec.map_or_else(Vec::new, |s| {
                s.depends_on
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .collect()
            })
        })
        .collect();
    let n = lane.calls.len();
    // 0 unvisited, 1 on the stack, 2 done; an explicit stack, so a long chain cannot overflow.
    let mut state = vec![0u8; n];
    let mut at: Vec<Option<f64>> = vec![None; n];
    for root in 0..n {
        if state[root] != 0 || lane.calls[root].status != CallStatus::Skipped {
            continue;
        }
        let mut stack = vec![(root, false)];
        while let Some((i, expanded)) = stack.pop() {
            if expanded {
                at[i] = deps[i]
                    .iter()
                    .filter_map(|&d| {
                        let c = &lane.calls[d];
                        match c.status {
                            CallStatus::Ok => None,
                            CallStatus::Error | CallStatus::Cancelled => c.end_ms,
                            CallStatus::Skipped => at[d],
                        }
                    })
                    .min_by(f64::total_cmp);
                state[i] = 2;
                continue;
            }
            if state[i] != 0 {
                continue;
            }
            state[i] = 1;
            stack.push((i, true));
            for &d in &deps[i] {
                // A cycle (an edited record) is cut where it closes.
                if state[d] == 0 && lane.calls[d].status == CallStatus::Skipped {
                    stack.push((d, false));
                }
            }
        }
    }
    at
}

/// The calls in flight in `lane` over time: `(time_ms, count)` at time 0 and at every distinct
/// start and end, the count holding until the next step. A call is in flight while one of its
/// attempts runs: waits for a rate-limit token and backoffs between retries are not counted (the
/// one definition the live view's strip and peak use too).
pub fn in_flight_steps(lane: &LaneRecord) -> Vec<(f64, usize)> {
    steps(attempt_spans(lane))
}

/// The intervals during which a lane's calls ran: each attempt of a retried call, else the call.
fn attempt_spans(lane: &LaneRecord) -> Vec<(f64, f64)> {
    let mut spans = Vec::new();
    for c in &lane.calls {
        if c.attempts.len() > 1 {
            spans.extend(c.attempts.iter().map(|a| (a.start_ms, a.end_ms)));
        } else if let (Some(s), Some(e)) = (c.start_ms, c.end_ms) {
            spans.push((s, e));
        }
    }
    spans
}

/// The step function of how many `spans` overlap: ends before starts at one instant, so calls
/// back to back do not overlap.
pub fn steps(spans: impl IntoIterator<Item = (f64, f64)>) -> Vec<(f64, usize)> {
    let mut deltas: Vec<(f64, i64)> = Vec::new();
    for (s, e) in spans {
        deltas.push((s, 1));
        deltas.push((e, -1));
    }
    deltas.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut steps = vec![(0.0, 0usize)];
    let mut n: i64 = 0;
    let mut k = 0;
    while k < deltas.len() {
        let t = deltas[k].0;
        while k < deltas.len() && deltas[k].0 == t {
            n += deltas[k].1;
            k += 1;
        }
        let count = n.max(0) as usize;
        match steps.last_mut() {
            Some(last) if last.0 == t => last.1 = count,
            _ => steps.push((t, count)),
        }
    }
    steps
}

/// The most `spans` that overlap at once.
pub fn peak(spans: impl IntoIterator<Item = (f64, f64)>) -> usize {
    steps(spans).into_iter().map(|(_, n)| n).max().unwrap_or(0)
}

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
            .map(|(c, _)| c.id.as_str())
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
                "error": c.error,
                "bytes": c.bytes,
                "http_status": c.http_status,
                "wait_ms": c.wait_ms,
            });
            match (c.start_ms, c.end_ms) {
                (Some(start), Some(end)) => {
                    if let Some(w) = c.wait_ms.filter(|&w| w > 0.0) {
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
                    let total = c.attempts.len();
                    for (n, a) in c.attempts.iter().enumerate() {
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
