//! Which trace (agent run) the live view shows, and what is said of each: the picker's lines,
//! the open turns and the possibly hung ones.

use std::time::Duration;

use super::capture::short;
use super::turns::{Turn, left_in_all, left_on_table, line, secs};

/// The trace on screen: the newest unless one is pinned. Traces are counted in the order
/// first seen (trace 1 is the oldest), the order the capture keeps them in.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Follow {
    /// The pinned trace's index, if any.
    pinned: Option<usize>,
}

impl Follow {
    /// The index of the trace shown among `n`, `None` before any.
    pub fn shown(&self, n: usize) -> Option<usize> {
        self.pinned.filter(|&i| i < n).or(n.checked_sub(1))
    }

    /// Pins the trace on screen, or follows the newest again.
    pub fn toggle(&mut self, n: usize) {
        self.pinned = match self.pinned {
            Some(_) => None,
            None => self.shown(n),
        };
    }

    /// Pins trace `i`.
    pub fn pin(&mut self, i: usize) {
        self.pinned = Some(i);
    }

    /// Shows the trace `by` places newer (negative: older) than the one on screen, pinned; past
    /// either end it stays at the end.
    pub fn step(&mut self, by: i32, n: usize) {
        if let Some(i) = self.shown(n) {
            self.pinned = Some((i as i64 + i64::from(by)).clamp(0, n as i64 - 1) as usize);
        }
    }

    /// What the footer says: `following newest · trace 5 of 5` or `pinned: trace 3 of 5`.
    pub fn status(&self, n: usize) -> String {
        match (self.pinned.filter(|&i| i < n), self.shown(n)) {
            (_, None) => "no trace yet".into(),
            (Some(i), _) => format!("pinned: trace {} of {n}", i + 1),
            (None, Some(i)) => format!("following newest · trace {} of {n}", i + 1),
        }
    }
}

/// What the picker says of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceSummary {
    /// 1-based, in the order first seen.
    pub number: usize,
    /// The root (agent) span's name, or what stands for it.
    pub name: String,
    pub spans: usize,
    /// Its model turns.
    pub turns: usize,
    /// What parallel would have saved in it so far.
    pub left_ms: f64,
    /// Its root span has arrived.
    pub done: bool,
}

impl TraceSummary {
    /// The figures of a trace's turns.
    pub fn of(number: usize, name: String, spans: usize, turns: &[Turn], done: bool) -> Self {
        TraceSummary {
            number,
            name,
            spans,
            turns: turns.iter().filter(|t| t.model.is_some()).count(),
            left_ms: left_in_all(turns),
            done,
        }
    }

    /// `trace 2 · done · travel-planner · 3 turns · 9 spans · 500 ms left on the table`: what
    /// tells traces apart first, as a narrow picker cuts the end.
    pub fn line(&self) -> String {
        format!(
            "trace {} · {} · {} · {} · {} · {} left on the table",
            self.number,
            if self.done { "done" } else { "running" },
            self.name,
            crate::text::plural(self.turns, "turn"),
            crate::text::plural(self.spans, "span"),
            secs(self.left_ms),
        )
    }
}

/// The picker's lines, newest first, and the entry of the trace at index `shown`.
pub fn picker_lines(traces: &[TraceSummary], shown: usize) -> (Vec<String>, usize) {
    let lines = traces.iter().rev().map(TraceSummary::line).collect();
    (lines, traces.len().saturating_sub(1).saturating_sub(shown))
}

/// The trace index of picker entry `entry` among `n` (entries are newest first).
pub fn picked(entry: usize, n: usize) -> usize {
    n.saturating_sub(1).saturating_sub(entry)
}

/// Whether turn `t` may be hung: the model asked for tools, at least one has arrived or is
/// known to run, no later model call has come, and its trace has been `quiet` for `after`.
pub fn hung(t: &Turn, quiet: Duration, after: Duration) -> bool {
    t.waiting_for_tools() && (!t.tools.is_empty() || !t.running.is_empty()) && quiet >= after
}

/// What is said of a possibly hung turn (headless prints it with its trace, the live view
/// lists it with the turns).
pub fn hang_text(t: &Turn, after: Duration) -> String {
    let quiet = secs(after.as_millis() as f64);
    match t.running.as_slice() {
        [] => {
            let last = t.tools.last().map(|t| t.id.as_str()).unwrap_or("");
            format!(
                "turn {}: nothing for {quiet} since `{last}` arrived, and no model call has read the results: a tool may be hung (spans arrive only when they end)",
                t.number
            )
        }
        running => format!(
            "turn {}: nothing for {quiet} from `{}`, started and not ended: possibly hung",
            t.number,
            running.join("`, `")
        ),
    }
}

/// One line per turn of the trace on screen, what matters first: open turns (waiting for tools,
/// how long since the model answered at `now_ms` of the trace; or possibly hung), then the
/// turns that left parallelism on the table, then the rest, each group newest first. The first
/// line sums the trace up.
pub fn turn_lines(turns: &[Turn], now_ms: f64, quiet: Duration, after: Duration) -> Vec<String> {
    let models = turns.iter().filter(|t| t.model.is_some()).count();
    let tools: usize = turns.iter().map(|t| t.tools.len()).sum();
    let mut out = vec![format!(
        "{}, {}: {} left on the table",
        crate::text::plural(models, "model turn"),
        crate::text::plural(tools, "tool call"),
        secs(left_in_all(turns))
    )];
    let rank = |t: &Turn| match (t.waiting_for_tools(), left_on_table(&t.tools)) {
        (true, _) => 0,
        (false, Some(_)) => 1,
        (false, None) => 2,
    };
    let mut order: Vec<&Turn> = turns.iter().rev().collect();
    order.sort_by_key(|t| rank(t));
    for t in order {
        out.push(if hung(t, quiet, after) {
            format!("⚠ {}", hang_text(t, after))
        } else if t.waiting_for_tools() {
            let mut s = format!(
                "turn {}: waiting for tools · the model answered {} ago",
                t.number,
                secs((now_ms - t.model_end_ms.unwrap_or(now_ms)).max(0.0))
            );
            if !t.tools.is_empty() {
                let ids: Vec<&str> = t.tools.iter().map(|t| t.id.as_str()).collect();
                s += &format!(" · {} in ({})", t.tools.len(), ids.join(", "));
            }
            if !t.running.is_empty() {
                s += &format!(" · running: {}", t.running.join(", "));
            }
            s
        } else {
            line(t)
        });
    }
    out
}

/// A trace's name in a headless line.
pub fn label(trace: &str) -> String {
    format!("trace {}", short(trace))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::turns::ToolRun;

    #[test]
    fn the_view_follows_the_newest_until_a_trace_is_pinned() {
        let mut f = Follow::default();
        assert_eq!((f.shown(0), f.status(0).as_str()), (None, "no trace yet"));
        assert_eq!(f.shown(3), Some(2));
        assert_eq!(f.status(3), "following newest · trace 3 of 3");
        // A newer trace arrives: still following.
        assert_eq!(f.shown(4), Some(3));
        f.toggle(4);
        assert_eq!(f.shown(5), Some(3), "pinned stays put as traces arrive");
        assert_eq!(f.status(5), "pinned: trace 4 of 5");
        f.step(-1, 5);
        assert_eq!(f.shown(5), Some(2));
        f.step(-10, 5);
        assert_eq!(f.shown(5), Some(0));
        f.step(10, 5);
        assert_eq!(f.shown(5), Some(4));
        f.toggle(5);
        assert_eq!(f.shown(6), Some(5));
        f.pin(1);
        assert_eq!(f.status(6), "pinned: trace 2 of 6");
    }

    #[test]
    fn the_picker_lists_traces_newest_first() {
        let sum = |n: usize, name: &str, done: bool| TraceSummary {
            number: n,
            name: name.into(),
            spans: 9,
            turns: 3,
            left_ms: 500.0 * n as f64,
            done,
        };
        let traces = [sum(1, "planner", true), sum(2, "writer", false)];
        let (lines, at) = picker_lines(&traces, 0);
        assert_eq!(
            lines,
            [
                "trace 2 · running · writer · 3 turns · 9 spans · 1.0 s left on the table",
                "trace 1 · done · planner · 3 turns · 9 spans · 500 ms left on the table",
            ]
        );
        assert_eq!(at, 1);
        assert_eq!((picked(0, 2), picked(1, 2)), (1, 0));
    }

    fn turn(number: usize, tools: &[(&str, f64, f64)], running: &[&str], closed: bool) -> Turn {
        Turn {
            trace: "t".into(),
            number,
            model: Some("chat".into()),
            key: format!("{number}"),
            tools: tools
                .iter()
                .map(|&(id, start_ms, end_ms)| ToolRun {
                    id: id.into(),
                    start_ms,
                    end_ms,
                })
                .collect(),
            running: running.iter().map(|s| s.to_string()).collect(),
            model_end_ms: Some(100.0),
            closed,
        }
    }

    #[test]
    fn an_open_turn_waits_for_tools_and_a_quiet_one_may_be_hung() {
        let after = Duration::from_millis(30_000);
        let done = turn(1, &[("a", 0.0, 50.0)], &[], true);
        let open = turn(2, &[("b", 100.0, 400.0)], &["c"], false);
        let turns = [done.clone(), open.clone()];
        let lines = turn_lines(&turns, 2_600.0, Duration::from_millis(29_999), after);
        assert_eq!(
            lines[1],
            "turn 2: waiting for tools · the model answered 2.5 s ago · 1 in (b) · running: c"
        );
        assert_eq!(
            lines[0],
            "2 model turns, 2 tool calls: 0 ms left on the table"
        );
        assert_eq!(lines[2], "turn 1: 1 tool, 50 ms (a)");
        assert!(!hung(&open, Duration::from_millis(29_999), after));
        assert!(hung(&open, after, after));
        assert!(!hung(&done, after * 2, after), "closed turns never hang");
        let no_tools = turn(3, &[], &[], false);
        assert!(
            !hung(&no_tools, after * 2, after),
            "nothing arrived to be after"
        );
        let lines = turn_lines(&turns, 40_000.0, after, after);
        assert_eq!(
            lines[1],
            "⚠ turn 2: nothing for 30.0 s from `c`, started and not ended: possibly hung"
        );
        let quiet = turn(2, &[("b", 100.0, 400.0)], &[], false);
        assert_eq!(
            hang_text(&quiet, after),
            "turn 2: nothing for 30.0 s since `b` arrived, and no model call has read the results: a tool may be hung (spans arrive only when they end)"
        );
    }
}
