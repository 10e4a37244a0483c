//! Headless renderings of a [`Record`]: a plain table, Markdown and JSON.

use crate::engine::record::{CallStatus, LaneRecord, Mode, RECORDED_LANE, Record};
use crate::engine::tools::fmt_num;
use crate::text::{escape_control, escape_markdown_cell};

pub mod chrome_trace;
pub mod csv;
pub mod svg;

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

/// `5 ok, 1 error, 2 skipped, 3 cancelled`.
pub fn outcome_counts(lane: &LaneRecord) -> String {
    let count = |s| lane.calls.iter().filter(|c| c.status == s).count();
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
        crate::engine::clock::Clock::Real => String::new(),
        crate::engine::clock::Clock::Virtual => " · virtual clock".to_string(),
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

/// The fastest lane against the sequential one (or the slowest), as a benchmarking tool says
/// it: `parallel ran 4.97 ± 0.03× faster than sequential` over repeated runs.
pub fn verdict(record: &Record) -> Option<String> {
    let stats = lane_stats(record);
    let fastest =
        (0..record.lanes.len()).min_by(|&a, &b| stats[a].mean.total_cmp(&stats[b].mean))?;
    let baseline = baseline_index(record)?;
    // With no nominal work at all, any ratio of walls is scheduler noise, not a result.
    if fastest == baseline || stats[fastest].mean <= 0.0 || record.bounds.sum_ms <= 0.0 {
        return None;
    }
    let (r, sd) = ratio(stats[baseline], stats[fastest]);
    let x = if record.runs.len() > 1 {
        format!("{r:.2} ± {sd:.2}×")
    } else {
        speedup(r)
    };
    Some(format!(
        "{} ran {x} faster than {}",
        record.lanes[fastest].strategy, record.lanes[baseline].strategy
    ))
}

/// Mean, standard deviation (sample), min and max of some walls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// The statistics of `xs`.
    pub fn of(xs: &[f64]) -> Stats {
        let n = xs.len().max(1) as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = if xs.len() > 1 {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Stats {
            mean,
            sd: var.sqrt(),
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// `a ÷ b` with the standard deviation of the ratio, propagated as a benchmarking tool does:
/// σ(a/b) = (a/b)·√((σa/a)² + (σb/b)²).
pub fn ratio(a: Stats, b: Stats) -> (f64, f64) {
    if a.mean <= 0.0 || b.mean <= 0.0 {
        return (1.0, 0.0);
    }
    let r = a.mean / b.mean;
    (
        r,
        r * ((a.sd / a.mean).powi(2) + (b.sd / b.mean).powi(2)).sqrt(),
    )
}

/// Each lane's walls over every run (one run when the record has no repeats).
pub fn lane_stats(record: &Record) -> Vec<Stats> {
    (0..record.lanes.len())
        .map(|k| {
            let walls: Vec<f64> = if record.runs.len() > 1 {
                record
                    .runs
                    .iter()
                    .filter_map(|r| r.get(k).map(|l| l.wall_ms))
                    .collect()
            } else {
                vec![record.lanes[k].wall_ms]
            };
            Stats::of(&walls)
        })
        .collect()
}

/// The index of the baseline lane: sequential, else the slowest.
fn baseline_index(record: &Record) -> Option<usize> {
    record
        .lanes
        .iter()
        .position(|l| l.strategy == RECORDED_LANE)
        .or_else(|| record.lanes.iter().position(|l| l.strategy == "sequential"))
        .or_else(|| {
            (0..record.lanes.len())
                .max_by(|&a, &b| record.lanes[a].wall_ms.total_cmp(&record.lanes[b].wall_ms))
        })
}

/// The comparison: a header and one row per lane; which columns read left to right.
fn rows(record: &Record) -> (Vec<&'static str>, Vec<Vec<String>>, Vec<bool>) {
    let repeated = record.runs.len() > 1;
    let predicted = record.lanes.iter().any(|l| l.predicted_ms.is_some())
        && record.clock == crate::engine::clock::Clock::Real;
    let stats = lane_stats(record);
    let base = baseline_index(record).map(|b| stats[b]);
    let mut header = vec!["lane", "wall"];
    if repeated {
        header.push("min … max");
    }
    header.extend(["speedup", "lower bound"]);
    if predicted {
        header.extend(["predicted", "vs predicted"]);
    }
    header.extend(["efficiency", "calls"]);
    let left: Vec<bool> = header
        .iter()
        .map(|h| *h == "lane" || *h == "calls")
        .collect();
    let rows = record
        .lanes
        .iter()
        .zip(&stats)
        .map(|(l, st)| {
            let mut row = vec![escape_control(&l.strategy).into_owned()];
            if repeated {
                row.push(format!("{} ± {}", duration(st.mean), duration(st.sd)));
                row.push(format!("{} … {}", duration(st.min), duration(st.max)));
                let (r, sd) = base.map_or((1.0, 0.0), |b| ratio(b, *st));
                row.push(format!("{r:.2} ± {sd:.2}×"));
            } else {
                row.push(duration(l.wall_ms));
                row.push(speedup(l.speedup));
            }
            row.push(duration(l.lower_bound_ms));
            if predicted {
                match l.predicted_ms {
                    Some(p) if p > 0.0 => {
                        row.push(duration(p));
                        row.push(format!("{:+.1} %", (st.mean / p - 1.0) * 100.0));
                    }
                    // Nothing simulated to predict (all real I/O): no prediction to show.
                    _ => row.extend(["—".to_string(), "—".to_string()]),
                }
            }
            row.push(percent(crate::engine::record::efficiency(
                l.lower_bound_ms,
                st.mean,
            )));
            row.push(outcome_counts(l));
            row
        })
        .collect();
    (header, rows, left)
}

/// The failed calls and their messages, one line each (lanes that agree share a line).
pub fn failures(record: &Record) -> Vec<String> {
    let mut out: Vec<(String, String, Vec<&str>)> = Vec::new();
    for lane in &record.lanes {
        for c in &lane.calls {
            if c.status != CallStatus::Error {
                continue;
            }
            let message = c.error.clone().unwrap_or_default();
            match out
                .iter_mut()
                .find(|(id, m, _)| *id == c.id && *m == message)
            {
                Some(entry) => entry.2.push(&lane.strategy),
                None => out.push((c.id.clone(), message, vec![&lane.strategy])),
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
    let (header, rows, left) = rows(record);
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("   ");
            }
            let pad = w - cell.chars().count();
            // Names and counts read left to right; numbers line up on the right.
            if left[i] {
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
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    out.push_str(&line(&header));
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row));
        out.push('\n');
    }
    let failed = failures(record);
    if !failed.is_empty() {
        out.push('\n');
        for f in failed {
            out.push_str(&f);
            out.push('\n');
        }
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
    let mut out = format!("### {}\n\n", escape_control(&record.scenario.name));
    for l in headline(record).lines().skip(1) {
        out.push_str(l);
        out.push_str("\n\n");
    }
    let (header, rows, left) = rows(record);
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
    let failed = failures(record);
    if !failed.is_empty() {
        out.push('\n');
        for f in failed {
            out.push_str(&format!("- {f}\n"));
        }
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
