//! Headless renderings of a [`Record`]: a plain table, Markdown and JSON.

use crate::engine::record::{CallStatus, LaneRecord, Mode, Record};
use crate::engine::tools::fmt_num;

/// The output formats of `fanout report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned plain-text table.
    Table,
    /// A Markdown table, for issues and docs.
    Markdown,
    /// The record itself, pretty-printed.
    Json,
}

/// Renders a record in the given format.
pub fn render(record: &Record, format: Format) -> String {
    match format {
        Format::Table => table(record),
        Format::Markdown => markdown(record),
        Format::Json => json(record),
    }
}

/// A duration for people: `2.503 s`, `501.2 ms`.
pub fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.3} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// `5.00×`.
pub fn speedup(x: f64) -> String {
    format!("{x:.2}×")
}

/// `99.8 %`.
pub fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// `5 ok, 1 error, 2 skipped`.
pub fn outcome_counts(lane: &LaneRecord) -> String {
    let count = |s| lane.calls.iter().filter(|c| c.status == s).count();
    let mut parts = vec![format!("{} ok", count(CallStatus::Ok))];
    for (s, name) in [
        (CallStatus::Error, "error"),
        (CallStatus::Skipped, "skipped"),
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
    format!(
        "{} · {} calls · speed {}× · {mode}\nsum of work {} · critical path {}",
        record.scenario.name,
        record.scenario.calls.len(),
        fmt_num(record.speed),
        duration(record.bounds.sum_ms),
        duration(record.bounds.critical_path_ms),
    )
}

/// The fastest lane against the sequential one (or the slowest), as a benchmarking tool says it.
pub fn verdict(record: &Record) -> Option<String> {
    let fastest = record
        .lanes
        .iter()
        .min_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms))?;
    let baseline = record
        .lanes
        .iter()
        .find(|l| l.strategy == "sequential")
        .or_else(|| {
            record
                .lanes
                .iter()
                .max_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms))
        })?;
    // With no nominal work at all, any ratio of walls is scheduler noise, not a result.
    if std::ptr::eq(fastest, baseline) || fastest.wall_ms <= 0.0 || record.bounds.sum_ms <= 0.0 {
        return None;
    }
    Some(format!(
        "{} ran {} faster than {}",
        fastest.strategy,
        speedup(baseline.wall_ms / fastest.wall_ms),
        baseline.strategy
    ))
}

fn rows(record: &Record) -> Vec<[String; 6]> {
    record
        .lanes
        .iter()
        .map(|l| {
            [
                l.strategy.clone(),
                duration(l.wall_ms),
                speedup(l.speedup),
                duration(l.lower_bound_ms),
                percent(l.efficiency()),
                outcome_counts(l),
            ]
        })
        .collect()
}

const HEADER: [&str; 6] = [
    "lane",
    "wall",
    "speedup",
    "lower bound",
    "efficiency",
    "calls",
];

/// The comparison table with a headline and a verdict.
pub fn table(record: &Record) -> String {
    let rows = rows(record);
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                s.push_str("   ");
            }
            let pad = w - cell.chars().count();
            // Names and counts read left to right; numbers line up on the right.
            if i == 0 || i == 5 {
                s.push_str(cell);
                s.extend(std::iter::repeat_n(' ', pad));
            } else {
                s.extend(std::iter::repeat_n(' ', pad));
                s.push_str(cell);
            }
        }
        s.trim_end().to_string()
    };
    let mut out = headline(record);
    out.push_str("\n\n");
    out.push_str(&line(&HEADER.map(String::from)));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    if let Some(v) = verdict(record) {
        out.push('\n');
        out.push_str(&v);
        out.push('\n');
    }
    out
}

/// The comparison as a Markdown table.
pub fn markdown(record: &Record) -> String {
    let mut out = format!("### {}\n\n", record.scenario.name);
    for l in headline(record).lines().skip(1) {
        out.push_str(l);
        out.push_str("\n\n");
    }
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str("|---|---:|---:|---:|---:|---|\n");
    for row in rows(record) {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    if let Some(v) = verdict(record) {
        out.push_str(&format!("\n{v}\n"));
    }
    out
}

/// The record as pretty JSON (what `--record` writes).
pub fn json(record: &Record) -> String {
    let mut s = serde_json::to_string_pretty(record).expect("a record always serializes");
    s.push('\n');
    s
}
