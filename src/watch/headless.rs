//! The headless output of `fanout watch`: a line per finished turn, hang warnings, and the
//! summary when it stops.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::capture::{Analysis, Capture, Trace, short};
use super::traces::{hang_text, hung, label};
use super::turns::{Turn, left_on_table, line, secs};
use crate::text::{escape_output, plural};

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
        let text = format!("{} · {}", label(&t.trace), line(t));
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

    /// Says once of each turn of `trace` that may be hung at `now`.
    pub(super) fn hangs(&mut self, a: &Analysis, trace: &Trace, after: Duration, now: Instant) {
        let quiet = now.saturating_duration_since(trace.last);
        for t in a.turns.iter().filter(|t| hung(t, quiet, after)) {
            if self.hung.insert((t.trace.clone(), t.key.clone())) {
                out(&format!("{} · {}", label(&t.trace), hang_text(t, after)));
            }
        }
    }

    /// The turns not printed yet (still open when watch stopped), then the summary; `traces`
    /// holds each trace's reading and record, in the order first seen.
    pub(super) fn finish(
        &mut self,
        traces: &[(Option<&Analysis>, Option<&crate::engine::Record>)],
        capture: &Capture,
    ) {
        // Closed turns whose last spans arrived as watch stopped, then the open ones.
        for t in traces.iter().filter_map(|(a, _)| *a).flat_map(|a| &a.turns) {
            self.print(
                t,
                if t.closed {
                    ""
                } else {
                    " (still open when watch stopped)"
                },
            );
        }
        let markers = match capture.markers {
            0 => String::new(),
            n => format!(" (and {})", plural(n, "start marker")),
        };
        out(&format!(
            "fanout watch: {}{markers} in {}, {}",
            plural(capture.spans, "span"),
            plural(capture.requests, "request"),
            plural(capture.traces.len(), "trace")
        ));
        let turns: Vec<Turn> = traces
            .iter()
            .filter_map(|(a, _)| *a)
            .flat_map(|a| a.turns.iter().cloned())
            .collect();
        if traces.iter().all(|(a, _)| a.is_none()) {
            out("no model or tool spans arrived: nothing to measure");
            return;
        }
        out(&summary(&turns));
        for (trace, (_, record)) in capture.traces.iter().zip(traces) {
            if let Some(r) = record
                && let (Some(rec), Some(par)) = (
                    r.lanes.iter().find(|l| l.is_recorded()),
                    r.lanes.iter().find(|l| l.strategy == "parallel"),
                )
            {
                out(&format!(
                    "{} · recorded wall {}; parallel on the virtual clock {} (the calls alone, without the agent's own time between them)",
                    label(&trace.id),
                    secs(rec.wall_ms),
                    secs(par.wall_ms)
                ));
            }
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
    let saved = super::turns::left_in_all(turns);
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
