//! Questions asked of a record by everything that draws or exports it (the live view, the SVG,
//! the CSV and the Chrome trace): when a skipped call was skipped, how many calls were in flight
//! when, and a call's tool. Derived from the record alone, so a replayed record answers as a
//! fresh one does.

use std::collections::HashMap;

use super::record::{CallStatus, LaneRecord, Record};

/// The tool of a lane's call `i`: the scenario's `tool`, else the id.
pub fn tool_of(record: &Record, i: usize, id: &str) -> String {
    let spec = match record.scenario.calls.get(i) {
        Some(s) if *s.id == *id => Some(s),
        _ => record.scenario.calls.iter().find(|s| *s.id == *id),
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
        .map(|(i, c)| (&*c.id, i))
        .collect();
    let deps: Vec<Vec<usize>> = lane
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let spec = match record.scenario.calls.get(i) {
                Some(s) if *s.id == *c.id => Some(s),
                _ => record.scenario.calls.iter().find(|s| *s.id == *c.id),
            };
            spec.map_or_else(Vec::new, |s| {
                s.depends_on
                    .iter()
                    .filter_map(|d| index.get(&**d).copied())
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
        if c.attempts().len() > 1 {
            spans.extend(c.attempts().iter().map(|a| (a.start_ms, a.end_ms)));
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
