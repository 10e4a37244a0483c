//! Headless renderings of a [`Record`]: a plain table, Markdown and JSON here; CSV, SVG and the
//! Chrome trace in the submodules, with the figures they all print ([`figures`]), the one table
//! aligner ([`columns`]), `check`'s report of a plan ([`check`]), `--runs` gathered into one
//! record ([`runs`]) and the pool sweep ([`sweep`]). What they ask of a record (skip times,
//! in-flight counts) is answered by [`crate::engine::queries`].

use crate::engine::options::Mode;
use crate::engine::record::{CallStatus, LaneRecord, Record};
use crate::engine::units::fmt_num;
use crate::text::{escape_control, escape_markdown_cell};

pub mod check;
pub mod chrome_trace;
pub mod columns;
pub mod csv;
pub mod figures;
pub mod json_layout;
pub mod runs;
pub mod svg;
pub mod sweep;

/// The output formats of `fanout report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned plain-text table.
    Table,
    /// A Markdown table, for issues and docs.
    Markdown,
    /// The record itself, pretty-printed.
    Json,
    /// A Chrome trace (JSON) for Perfetto or chrome://tracing.
    ChromeTrace,
    /// A standalone SVG Gantt chart of every lane on one time axis.
    Svg,
    /// One CSV row per call per lane.
    Csv,
}

/// Renders a record in the given format.
pub fn render(record: &Record, format: Format) -> String {
    match format {
        Format::Table => table(record),
        Format::Markdown => markdown(record),
        Format::Json => json(record),
        Format::ChromeTrace => chrome_trace::chrome_trace(record),
        Format::Svg => svg::svg(record),
        Format::Csv => csv::csv(record),
    }
}

pub use figures::{Stats, duration, lane_stats, percent, ratio, speedup};

/// `5 ok, 1 error, 2 skipped, 3 cancelled`.
pub fn outcome_counts(lane: &LaneRecord) -> String {
    // One pass, not one per status: a lane may hold a million calls.
    let mut counts = [0usize; 4];
    for c in &lane.calls {
        counts[c.status as usize] += 1;
    }
    let count = |s: CallStatus| counts[s as usize];
    let mut parts = vec![format!("{} ok", count(CallStatus::Ok))];
    for (s, name) in [
        (CallStatus::Error, "error"),
        (CallStatus::Skipped, "skipped"),
        (CallStatus::Cancelled, "cancelled"),
    ] {
        let n = count(s);
        if n > 0 {
            parts.push(format!("{n} {name}"));
        }
    }
    parts.join(", ")
}

fn headline(record: &Record) -> String {
    let mode = match record.mode {
        Mode::Race => "lanes raced",
        Mode::OneAtATime => "lanes one at a time",
    };
    let clock = match record.clock {
        crate::engine::options::Clock::Real => String::new(),
        crate::engine::options::Clock::Virtual => " · virtual clock".to_string(),
    };
    let runs = if record.runs.len() > 1 {
        format!(" · {} runs", record.runs.len())
    } else {
        String::new()
    };
    format!(
        "{} · {} calls · speed {}× · {mode}{clock}{runs}\nsum of work {} · critical path {}",
        escape_control(&record.scenario.name),
        record.scenario.calls.len(),
        fmt_num(record.speed),
        duration(record.bounds.sum_ms),
        duration(record.bounds.critical_path_ms),
    )
}

/// The run's headline (see [`figures::headline`]): what every view prints under its table.
pub fn verdict(record: &Record) -> Option<String> {
    figures::headline(record)
}

/// The comparison: a header and one row per lane (of the record's `figures`); which columns
/// read left to right.
fn rows(
    record: &Record,
    figures: &[figures::LaneFigures],
) -> (Vec<&'static str>, Vec<Vec<String>>, Vec<bool>) {
    let repeated = record.runs.len() > 1;
    let predicted = figures.iter().any(|f| f.overhead_ms.is_some());
    let mut header = vec!["lane", "wall"];
    if repeated {
        header.push("min … max");
    }
    header.extend(["speedup", "saved", "lower bound"]);
    if predicted {
        header.extend(["predicted", "overhead"]);
    }
    header.extend(["efficiency", "calls"]);
    let left: Vec<bool> = header
        .iter()
        .map(|h| *h == "lane" || *h == "calls")
        .collect();
    let rows = record
        .lanes
        .iter()
        .zip(figures)
        .map(|(l, f)| {
            let st = f.wall;
            let mut row = vec![escape_control(&l.strategy.to_string()).into_owned()];
            if repeated {
                row.push(format!("{} ± {}", duration(st.mean), duration(st.sd)));
                row.push(format!("{} … {}", duration(st.min), duration(st.max)));
                row.push(format!("{:.2} ± {:.2}×", f.speedup.0, f.speedup.1));
            } else {
                row.push(duration(st.mean));
                row.push(speedup(f.speedup.0));
            }
            row.push(figures::saved_text(f.saved));
            row.push(duration(l.lower_bound_ms));
            if predicted {
                match (f.predicted_ms, f.overhead_ms) {
                    (Some(p), Some(o)) => {
                        row.push(duration(p));
                        row.push(format!(
                            "{}{}",
                            if o >= 0.0 { "+" } else { "" },
                            duration(o)
                        ));
                    }
                    // Nothing simulated to predict (all real I/O): no prediction to show.
                    _ => row.extend(["—".to_string(), "—".to_string()]),
                }
            }
            row.push(percent(f.efficiency));
            row.push(outcome_counts(l));
            row
        })
        .collect();
    (header, rows, left)
}

/// One line per lane above its bound, saying why: `waves +3.500 s: wave barriers`.
pub fn why_lines(record: &Record) -> Vec<String> {
    why_lines_of(&figures::lanes(record))
}

/// [`why_lines`] of figures already worked out.
fn why_lines_of(figures: &[figures::LaneFigures]) -> Vec<String> {
    figures
        .iter()
        .filter_map(|f| Some(format!("{} {}", f.label, f.why.as_ref()?)))
        .collect()
}

/// The failed calls and their messages, one line each (lanes that agree share a line).
pub fn failures(record: &Record) -> Vec<String> {
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for lane in &record.lanes {
        for c in &lane.calls {
            if c.status != CallStatus::Error {
                continue;
            }
            let message = c.error().map(str::to_string).unwrap_or_default();
            match out
                .iter_mut()
                .find(|(id, m, _)| *id == *c.id && *m == message)
            {
                Some(entry) => entry.2.push(lane.strategy.to_string()),
                None => out.push((c.id.to_string(), message, vec![lane.strategy.to_string()])),
            }
        }
    }
    let all = record.lanes.len();
    out.into_iter()
        .map(|(id, message, lanes)| {
            let which = if lanes.len() == all && all > 1 {
                "every lane".to_string()
            } else {
                lanes.join(", ")
            };
            format!(
                "✗ {}: {} ({})",
                escape_control(&id),
                escape_control(&message),
                escape_control(&which)
            )
        })
        .collect()
}

/// The comparison table with a headline, the failures and a verdict.
pub fn table(record: &Record) -> String {
    // Worked out once for the rows, the reasons and the verdict: each pass reads every call of
    // every lane.
    let figures = figures::lanes(record);
    let (header, rows, left) = rows(record, &figures);
    let mut out = headline(record);
    out.push_str("\n\n");
    let mut all = vec![header.iter().map(|h| h.to_string()).collect::<Vec<_>>()];
    all.extend(rows);
    out.push_str(&columns::columns(&all, &left, "", 3, true));
    for block in [failures(record), why_lines_of(&figures)] {
        if !block.is_empty() {
            out.push('\n');
            for f in block {
                out.push_str(&f);
                out.push('\n');
            }
        }
    }
    if let Some(v) = figures::headline_of(record, &figures) {
        out.push('\n');
        out.push_str(&v);
        out.push('\n');
    }
    out
}

/// The comparison as a Markdown table.
pub fn markdown(record: &Record) -> String {
    let mut out = format!("### {}\n\n", escape_control(&record.scenario.name));
    for l in headline(record).lines().skip(1) {
        out.push_str(l);
        out.push_str("\n\n");
    }
    let figures = figures::lanes(record);
    let (header, rows, left) = rows(record, &figures);
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    let align: Vec<&str> = left
        .iter()
        .map(|&l| if l { "---" } else { "---:" })
        .collect();
    out.push_str(&format!("|{}|\n", align.join("|")));
    for row in rows {
        let row: Vec<_> = row.iter().map(|c| escape_markdown_cell(c)).collect();
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    for block in [failures(record), why_lines_of(&figures)] {
        if !block.is_empty() {
            out.push('\n');
            for f in block {
                out.push_str(&format!("- {f}\n"));
            }
        }
    }
    if let Some(v) = figures::headline_of(record, &figures) {
        out.push_str(&format!("\n{v}\n"));
    }
    out
}

/// The record as JSON (what `--record` writes): pretty, one call per line ([`json_layout`]).
pub fn json(record: &Record) -> String {
    let mut out = Vec::new();
    write_json(record, &mut out).expect("a record always serializes");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`json`] streamed to `out`, for records too big to hold twice (`--record`, `--json`).
pub fn write_json(record: &Record, out: &mut impl std::io::Write) -> std::io::Result<()> {
    json_layout::to_writer(&mut *out, record)?;
    out.write_all(b"\n")
}
