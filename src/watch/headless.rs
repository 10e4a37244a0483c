//! The headless output of `fanout watch`: a line per finished turn, hang warnings, and the
//! summary when it stops.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::capture::{Analysis, Capture};
use super::turns::{Turn, left_on_table, line, secs};
use crate::text::{escape_output, plural};

/// A trace's short name in lines: its first 8 hex digits.
fn short(trace: &str) -> &str {
    trace.get(..8).unwrap_or(trace)
}

/// The headless printer: each turn when it closes, and again if spans that arrive late change
/// it (an exporter that retries, or several processes exporting one trace).
#[derive(Default)]
pub(super) struct Printer {
    /// (trace, turn key) → the line printed for it.
    printed: HashMap<(String, String), String>,
    hung: HashSet<(String, String)>,
}

impl Printer {
    /// Prints `t` unless its line is already out; `Some(note)` marks a reprint.
    pub(super) fn print(&mut self, t: &Turn, note: &str) {
        let text = format!("trace {} · {}", short(&t.trace), line(t));
        match self
            .printed
            .insert((t.trace.clone(), t.key.clone()), text.clone())
        {
            None => out(&format!("{text}{note}")),
            Some(old) if old != text => out(&format!("{text} (revised: spans arrived late)")),
            Some(_) => {}
        }
    }

    pub(super) fn closed_turns(&mut self, a: &Analysis) {
        for t in a.turns.iter().filter(|t| t.closed) {
            self.print(t, "");
        }
    }

    pub(super) fn hangs(&mut self, a: &Analysis, capture: &Capture, after: Duration) {
        for t in a.turns.iter().filter(|t| !t.closed && !t.tools.is_empty()) {
            let quiet = capture
                .traces
                .get(&t.trace)
                .is_some_and(|s| s.last.elapsed() >= after);
            if quiet && self.hung.insert((t.trace.clone(), t.key.clone())) {
                let last = t.tools.last().map(|t| t.id.as_str()).unwrap_or("");
                out(&format!(
                    "trace {} · turn {}: nothing for {} since `{last}` arrived, and no model call has read the results: a tool may be hung (spans arrive only when they end)",
                    short(&t.trace),
                    t.number,
                    secs(after.as_millis() as f64)
                ));
            }
        }
    }

    /// The turns not printed yet (still open when watch stopped), then the summary.
    pub(super) fn finish(
        &mut self,
        a: Option<&Analysis>,
        capture: &Capture,
        record: Option<&crate::engine::Record>,
    ) {
        // Closed turns whose last spans arrived as watch stopped, then the open ones.
        for t in a.iter().flat_map(|a| &a.turns) {
            self.print(
                t,
                if t.closed {
                    ""
                } else {
                    " (still open when watch stopped)"
                },
            );
        }
        out(&format!(
            "fanout watch: {} in {}, {}",
            plural(capture.spans, "span"),
            plural(capture.requests, "request"),
            plural(capture.traces.len(), "trace")
        ));
        let Some(a) = a else {
            out("no model or tool spans arrived: nothing to measure");
            return;
        };
        out(&summary(&a.turns));
        if let Some(r) = record
            && let (Some(rec), Some(par)) = (
                r.lanes.iter().find(|l| l.is_recorded()),
                r.lanes.iter().find(|l| l.strategy == "parallel"),
            )
        {
            out(&format!(
                "recorded wall {}; parallel on the virtual clock {} (the calls alone, without the agent's own time between them)",
                secs(rec.wall_ms),
                secs(par.wall_ms)
            ));
        }
    }
}

/// `3 turns, 5 tool calls; parallel would have saved 2.6 s (turn 1 of 4bf92f35)`.
pub fn summary(turns: &[Turn]) -> String {
    let tools: usize = turns.iter().map(|t| t.tools.len()).sum();
    let models = turns.iter().filter(|t| t.model.is_some()).count();
    let flagged: Vec<(&Turn, f64)> = turns
        .iter()
        .filter_map(|t| left_on_table(&t.tools).map(|l| (t, l.saved_ms)))
        .collect();
    let saved: f64 = flagged.iter().map(|(_, s)| s).sum();
    let head = format!(
        "{}, {}",
        plural(models, "model turn"),
        plural(tools, "tool call")
    );
    if flagged.is_empty() {
        return format!("{head}: no parallelism left on the table");
    }
    // The five turns that left the most, in order of saving (a flood has thousands).
    let mut worst = flagged.clone();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    let which: Vec<String> = worst
        .iter()
        .take(5)
        .map(|(t, s)| format!("turn {} of {}: {}", t.number, short(&t.trace), secs(*s)))
        .collect();
    let more = match flagged.len() {
        n if n > 5 => format!(", and {} more turns", n - 5),
        _ => String::new(),
    };
    format!(
        "{head}: {} left on the table in all ({}{more})",
        secs(saved),
        which.join(", ")
    )
}

/// One line to stdout, control characters from span names escaped.
fn out(s: &str) {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{}", escape_output(s));
    let _ = o.flush();
}
