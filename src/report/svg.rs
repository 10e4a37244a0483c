//! A record as a standalone SVG Gantt chart: every lane on one shared time axis, one row per
//! call, an in-flight strip under each lane, the comparison table and a legend. For a browser,
//! a bug report or a slide.

use std::fmt::Write as _;

use crate::engine::options::Clock;
use crate::engine::options::Mode;
use crate::engine::record::{CallRecord, CallStatus, LaneRecord, Record};
use crate::engine::units::fmt_num;
use crate::text::ellipsize;

use super::{duration, outcome_counts, percent, speedup, verdict};
use crate::engine::queries::{in_flight_steps, skipped_at, tool_of};

/// The picture's width in pixels.
pub const WIDTH: f64 = 1000.0;
/// At most this many calls are drawn per lane; a "+K more" line stands for the rest.
pub const MAX_ROWS: usize = 60;

const PAD: f64 = 20.0;
/// Where the time axis starts and ends.
const X0: f64 = 190.0;
const X1: f64 = 930.0;
/// The right edge of any text.
const TEXT_RIGHT: f64 = WIDTH - PAD;
const LANE_HEAD: f64 = 26.0;
const ROW: f64 = 18.0;
const BAR: f64 = 12.0;
const STRIP: f64 = 22.0;
const LANE_GAP: f64 = 12.0;
/// Estimated advance of a character: 12 px monospace, and 11 px sans-serif on average.
const MONO_12: f64 = 7.3;
const SANS_11: f64 = 6.4;
/// The id column holds this many characters.
const ID_CHARS: usize = ((X0 - PAD - 14.0) / MONO_12) as usize;

const OK: &str = "#2f9e44";
const ERROR: &str = "#d6336c";
const FAILED_ATTEMPT: &str = "#f4a3b8";
const WAIT: &str = "#9775fa";
const GREY: &str = "#868e96";
const TEXT: &str = "#212529";
const MUTED: &str = "#5c636a";
const IN_FLIGHT: &str = "#4c6ef5";
const GRID: &str = "#dee2e6";
const LANE_BG: &str = "#f8f9fa";

/// Escapes text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // C0 controls are not allowed in XML 1.0, and C0, DEL and C1 act on a terminal that
            // shows the file: written as `\u{1b}`, as every writer does (crate::text).
            c if crate::text::is_control(c) && c != '\n' => {
                out.push_str(&crate::text::escape_control(c.encode_utf8(&mut [0; 4])))
            }
            c => out.push(c),
        }
    }
    out
}

/// The smallest 1, 2 or 5 × 10ⁿ step that cuts `span` into at most `most` intervals: the one
/// rule of the SVG's axis and the live view's (`ui::widgets::axis::tick_step`).
pub fn nice_step(span: f64, most: f64) -> f64 {
    let raw = (span / most).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| span / s <= most + 1e-9)
        .unwrap_or(10.0 * mag)
}

/// The time axis: its end (a whole number of steps) and labelled ticks.
pub fn ticks(max_ms: f64) -> (f64, Vec<(f64, String)>) {
    let span = if max_ms > 0.0 { max_ms } else { 1.0 };
    let step = nice_step(span, 10.0);
    let n = (span / step - 1e-9).ceil().max(1.0) as usize;
    let end = n as f64 * step;
    let seconds = end >= 1000.0;
    let unit_step = if seconds { step / 1000.0 } else { step };
    let decimals = if unit_step >= 1.0 {
        0
    } else {
        (-unit_step.log10() - 1e-9).ceil() as usize
    };
    let ticks = (0..=n)
        .map(|i| {
            let t = i as f64 * step;
            let label = if seconds {
                format!("{:.*} s", decimals, t / 1000.0)
            } else {
                format!("{t:.decimals$} ms")
            };
            (t, label)
        })
        .collect();
    (end, ticks)
}

/// Builds SVG text.
struct Svg {
    out: String,
}

impl Svg {
    fn text(&mut self, x: f64, y: f64, attrs: &str, content: &str) {
        let _ = writeln!(
            self.out,
            r#"<text x="{x:.1}" y="{y:.1}" {attrs}>{}</text>"#,
            // Drawn text is one line: XML would silently drop the line breaks.
            escape(&content.replace(['\n', '\r', '\t'], " "))
        );
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str, tip: Option<&str>) {
        let body = format!(r#"x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" {attrs}"#);
        match tip {
            Some(t) => {
                let _ = writeln!(self.out, "<rect {body}><title>{}</title></rect>", escape(t));
            }
            None => {
                let _ = writeln!(self.out, "<rect {body}/>");
            }
        }
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {attrs}/>"#
        );
    }
}

/// How tall a lane's block is.
fn lane_height(lane: &LaneRecord) -> f64 {
    let rows = lane.calls.len().min(MAX_ROWS);
    let more = if lane.calls.len() > MAX_ROWS {
        ROW
    } else {
        0.0
    };
    LANE_HEAD + rows as f64 * ROW + more + STRIP + 10.0
}

/// The latest moment anything in the record happens.
fn latest(record: &Record) -> f64 {
    let mut t: f64 = 0.0;
    for lane in &record.lanes {
        t = t.max(lane.wall_ms);
        for c in &lane.calls {
            t = t.max(c.end_ms.unwrap_or(0.0));
            for a in &c.attempts {
                t = t.max(a.end_ms);
            }
        }
        for at in skipped_at(record, lane).into_iter().flatten() {
            t = t.max(at);
        }
    }
    t
}

/// Places a message beside a bar: after it when it fits or there is more room there, else
/// before it (right-aligned). Returns the x, the anchor and the text cut to fit.
fn beside(from: f64, to: f64, message: &str) -> (f64, &'static str, String) {
    let need = message.chars().count() as f64 * SANS_11;
    let right = TEXT_RIGHT - to;
    let left = from - X0 - 6.0;
    if need <= right || right >= left {
        (
            to,
            "start",
            ellipsize(message, (right / SANS_11).max(0.0) as usize),
        )
    } else {
        (
            from - 6.0,
            "end",
            ellipsize(message, (left / SANS_11).max(0.0) as usize),
        )
    }
}

/// `fetch_1 (http_get): ok, 0.0 ms → 101.7 ms (101.7 ms)`.
fn tip(c: &CallRecord, tool: &str) -> String {
    let status = match c.status {
        CallStatus::Ok => "ok",
        CallStatus::Error => "error",
        CallStatus::Skipped => "skipped",
        CallStatus::Cancelled => "cancelled",
    };
    let mut s = format!("{} ({tool}): {status}", c.id);
    if let (Some(a), Some(b)) = (c.start_ms, c.end_ms) {
        let _ = write!(
            s,
            ", {} → {} ({})",
            duration(a),
            duration(b),
            duration(b - a)
        );
    }
    if let Some(w) = c.wait_ms.filter(|&w| w > 0.0) {
        let _ = write!(s, ", waited {} for a token", duration(w));
    }
    if c.attempts.len() > 1 {
        let _ = write!(s, ", {} attempts", c.attempts.len());
    }
    if let Some(code) = c.http_status {
        let _ = write!(s, ", HTTP {code}");
    }
    if let Some(b) = c.bytes {
        let _ = write!(s, ", {b} bytes");
    }
    if let Some(e) = &c.error {
        let _ = write!(s, "\n{e}");
    }
    s
}

/// The record as a standalone SVG document.
pub fn svg(record: &Record) -> String {
    let (axis_end, ticks) = ticks(latest(record));
    let x = |t: f64| X0 + (t / axis_end).clamp(0.0, 1.0) * (X1 - X0);
    let steps: Vec<Vec<(f64, usize)>> = record.lanes.iter().map(in_flight_steps).collect();
    let peak_all = steps
        .iter()
        .flat_map(|s| s.iter().map(|&(_, n)| n))
        .max()
        .unwrap_or(0)
        .max(1);

    // Layout, top to bottom.
    let title_y = PAD + 16.0;
    let subtitle_y = title_y + 22.0;
    let description = record.scenario.description.as_deref().unwrap_or("");
    let description_y = subtitle_y + 18.0;
    let axis_y = if description.is_empty() {
        subtitle_y + 28.0
    } else {
        description_y + 28.0
    };
    let lanes_top = axis_y + 12.0;
    let mut lane_tops = Vec::new();
    let mut y = lanes_top;
    for lane in &record.lanes {
        lane_tops.push(y);
        y += lane_height(lane) + LANE_GAP;
    }
    let lanes_bottom = y - LANE_GAP;
    let bottom_axis_y = lanes_bottom + 18.0;
    let table_top = bottom_axis_y + 46.0;
    let table_rows = record.lanes.len() as f64;
    let verdict = verdict(record);
    let table_bottom =
        table_top + 20.0 + table_rows * 18.0 + if verdict.is_some() { 24.0 } else { 0.0 };
    let legend_top = table_bottom + 18.0;
    let legend = legend_items(record);
    let legend_rows = legend_layout(&legend).last().map_or(1, |&(row, _)| row + 1);
    let height = (legend_top + legend_rows as f64 * 20.0 + PAD).ceil();

    let mut s = Svg { out: String::new() };
    let _ = writeln!(
        s.out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12" fill="{TEXT}">"#
    );
    let _ = writeln!(
        s.out,
        r##"<defs>
<pattern id="hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f1f3f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="{GREY}" stroke-width="2"/></pattern>
</defs>"##
    );
    s.rect(0.0, 0.0, WIDTH, height, r#"fill="white""#, None);

    // Title.
    s.text(
        PAD,
        title_y,
        r#"font-size="20" font-weight="bold""#,
        &ellipsize(&record.scenario.name, 80),
    );
    let clock = match record.clock {
        Clock::Real => "real clock (measured)",
        Clock::Virtual => "virtual clock (exact)",
    };
    let mode = match record.mode {
        Mode::Race => "lanes raced",
        Mode::OneAtATime => "lanes one at a time",
    };
    let mut subtitle = format!(
        "speed {}× · {clock} · {mode} · {} calls · sum of work {} · critical path {}",
        fmt_num(record.speed),
        record.scenario.calls.len(),
        duration(record.bounds.sum_ms),
        duration(record.bounds.critical_path_ms),
    );
    if record.runs.len() > 1 {
        let _ = write!(subtitle, " · run 1 of {}", record.runs.len());
    }
    s.text(
        PAD,
        subtitle_y,
        &format!(r#"font-size="13" fill="{MUTED}""#),
        &subtitle,
    );
    if !description.is_empty() {
        s.text(
            PAD,
            description_y,
            &format!(r#"font-size="12" font-style="italic" fill="{MUTED}""#),
            &ellipsize(description, 150),
        );
    }

    // Lane backgrounds, then the grid over them, then the bars.
    for (lane, &top) in record.lanes.iter().zip(&lane_tops) {
        s.rect(
            PAD,
            top,
            WIDTH - 2.0 * PAD,
            lane_height(lane),
            &format!(r#"fill="{LANE_BG}" stroke="{GRID}" rx="4""#),
            None,
        );
    }
    for (t, label) in &ticks {
        let tx = x(*t);
        s.line(
            tx,
            axis_y + 4.0,
            tx,
            lanes_bottom + 4.0,
            &format!(r#"stroke="{GRID}" stroke-width="1""#),
        );
        for ly in [axis_y, bottom_axis_y] {
            s.text(
                tx,
                ly,
                &format!(r#"font-size="11" text-anchor="middle" fill="{MUTED}""#),
                label,
            );
        }
    }
    s.text(
        (X0 + X1) / 2.0,
        bottom_axis_y + 16.0,
        &format!(r#"font-size="11" text-anchor="middle" fill="{MUTED}""#),
        "time since each lane started (one axis for every lane)",
    );

    let figures = super::figures::lanes(record);
    for (k, (lane, &top)) in record.lanes.iter().zip(&lane_tops).enumerate() {
        draw_lane(
            &mut s,
            record,
            lane,
            &figures[k],
            &steps[k],
            peak_all,
            top,
            &x,
        );
    }

    // The comparison table.
    let cols: [(&str, f64, &str); 7] = [
        ("lane", PAD + 6.0, "start"),
        ("wall", 300.0, "end"),
        ("speedup", 380.0, "end"),
        ("saved", 530.0, "end"),
        ("lower bound", 630.0, "end"),
        ("efficiency", 720.0, "end"),
        ("calls", 745.0, "start"),
    ];
    for (name, cx, anchor) in cols {
        s.text(
            cx,
            table_top,
            &format!(r#"font-weight="bold" text-anchor="{anchor}""#),
            name,
        );
    }
    s.line(
        PAD,
        table_top + 6.0,
        WIDTH - PAD,
        table_top + 6.0,
        &format!(r#"stroke="{GRID}""#),
    );
    for (k, (lane, f)) in record.lanes.iter().zip(&figures).enumerate() {
        let ry = table_top + 22.0 + k as f64 * 18.0;
        let cells = [
            ellipsize(&lane.strategy, 20),
            duration(f.wall.mean),
            speedup(f.speedup.0),
            super::figures::saved_text(f.saved),
            duration(f.lower_bound_ms),
            percent(f.efficiency),
            outcome_counts(lane),
        ];
        for ((_, cx, anchor), cell) in cols.iter().zip(&cells) {
            let font = if *cx == PAD + 6.0 {
                r#" font-family="monospace""#
            } else {
                ""
            };
            s.text(*cx, ry, &format!(r#"text-anchor="{anchor}"{font}"#), cell);
        }
    }
    if let Some(v) = &verdict {
        s.text(
            PAD + 6.0,
            table_top + 22.0 + table_rows * 18.0 + 10.0,
            r#"font-size="13" font-weight="bold""#,
            v,
        );
    }

    // The legend.
    for ((row, lx), (kind, label)) in legend_layout(&legend).into_iter().zip(&legend) {
        let ly = legend_top + row as f64 * 20.0;
        draw_swatch(&mut s, *kind, PAD + lx, ly - 10.0);
        s.text(
            PAD + lx + 22.0,
            ly,
            &format!(r#"font-size="11" fill="{MUTED}""#),
            label,
        );
    }

    s.out.push_str("</svg>\n");
    s.out
}

/// Draws one lane's block: its header, a row per call and the in-flight strip.
#[allow(clippy::too_many_arguments)]
fn draw_lane(
    s: &mut Svg,
    record: &Record,
    lane: &LaneRecord,
    f: &super::figures::LaneFigures,
    steps: &[(f64, usize)],
    peak_all: usize,
    top: f64,
    x: &dyn Fn(f64) -> f64,
) {
    let skipped = skipped_at(record, lane);
    s.text(
        PAD + 8.0,
        top + 18.0,
        r#"font-size="14" font-weight="bold""#,
        &ellipsize(&lane.strategy, 22),
    );
    s.text(
        X0,
        top + 18.0,
        &format!(r#"font-size="12" fill="{MUTED}""#),
        &format!(
            "wall {} · {} · saved {} · bound {} · efficiency {} · {}{}",
            duration(f.wall.mean),
            speedup(f.speedup.0),
            super::figures::saved_text(f.saved),
            duration(f.lower_bound_ms),
            percent(f.efficiency),
            outcome_counts(lane),
            f.why
                .as_ref()
                .map(|w| format!(" · {w}"))
                .unwrap_or_default(),
        ),
    );
    let rows_top = top + LANE_HEAD;
    // Where the lane's wall ends, under the bars and text.
    let wx = x(lane.wall_ms);
    s.line(
        wx,
        rows_top - 2.0,
        wx,
        top + lane_height(lane) - 6.0,
        &format!(r#"stroke="{TEXT}" stroke-width="1" stroke-dasharray="3,3" opacity="0.6""#),
    );
    for (i, c) in lane.calls.iter().enumerate().take(MAX_ROWS) {
        let ry = rows_top + i as f64 * ROW;
        let tool = tool_of(record, i, &c.id);
        let _ = writeln!(s.out, "<g>");
        let _ = writeln!(s.out, "<title>{}</title>", escape(&tip(c, &tool)));
        s.text(
            PAD + 8.0,
            ry + 13.0,
            r#"font-family="monospace" font-size="12""#,
            &ellipsize(&c.id, ID_CHARS),
        );
        draw_call(s, c, skipped[i], ry, x);
        let _ = writeln!(s.out, "</g>");
    }
    let shown = lane.calls.len().min(MAX_ROWS);
    let mut y = rows_top + shown as f64 * ROW;
    if lane.calls.len() > MAX_ROWS {
        s.text(
            PAD + 8.0,
            y + 13.0,
            &format!(r#"font-size="12" font-style="italic" fill="{MUTED}""#),
            &format!(
                "+{} more calls (the first {MAX_ROWS} are drawn)",
                lane.calls.len() - MAX_ROWS
            ),
        );
        y += ROW;
    }

    // The in-flight strip, on one scale for every lane.
    let base = y + STRIP - 3.0;
    let h = STRIP - 7.0;
    s.text(
        PAD + 8.0,
        base,
        &format!(r#"font-size="11" fill="{MUTED}""#),
        "in flight",
    );
    s.line(X0, base, X1, base, &format!(r#"stroke="{GRID}""#));
    let mut d = format!("M{:.1},{base:.1}", x(0.0));
    let mut level = base;
    for &(t, n) in steps {
        let ny = base - n as f64 / peak_all as f64 * h;
        let _ = write!(d, " H{:.1} V{ny:.1}", x(t));
        level = ny;
    }
    if level != base {
        let _ = write!(d, " V{base:.1}");
    }
    d.push_str(" Z");
    let _ = writeln!(
        s.out,
        r#"<path d="{d}" fill="{IN_FLIGHT}" fill-opacity="0.75" stroke="none"/>"#
    );
    let peak = steps.iter().map(|&(_, n)| n).max().unwrap_or(0);
    let end = steps.last().map_or(0.0, |&(t, _)| t);
    s.text(
        x(end) + 6.0,
        base,
        &format!(r#"font-size="11" fill="{MUTED}""#),
        &format!("peak {peak}"),
    );
}

/// Draws one call's row: its bar or bars, its mark and its message.
fn draw_call(
    s: &mut Svg,
    c: &CallRecord,
    skipped_at: Option<f64>,
    ry: f64,
    x: &dyn Fn(f64) -> f64,
) {
    let by = ry + (ROW - BAR) / 2.0;
    let mid = by + BAR / 2.0;
    let small = |colour: &str| format!(r#"font-size="11" fill="{colour}""#);
    match (c.status, c.start_ms, c.end_ms) {
        (CallStatus::Skipped, _, _) | (_, None, None) => {
            // ⊘ where the call was skipped (the start of the axis when that is unknown), the
            // reason beside it.
            let at = x(skipped_at.unwrap_or(0.0));
            s.text(
                at,
                ry + 13.0,
                &format!(r#"font-size="12" fill="{GREY}" text-anchor="middle""#),
                "⊘",
            );
            let reason = c.error.as_deref().unwrap_or("a dependency failed");
            let (tx, anchor, text) = beside(at - 4.0, at + 8.0, &format!("skipped: {reason}"));
            s.text(
                tx,
                ry + 13.0,
                &format!(
                    r#"font-size="11" font-style="italic" fill="{GREY}" text-anchor="{anchor}""#
                ),
                &text,
            );
        }
        (CallStatus::Cancelled, None, Some(end)) => {
            let ex = x(end);
            s.line(
                ex,
                by,
                ex,
                by + BAR,
                &format!(r#"stroke="{GREY}" stroke-width="2""#),
            );
            let (tx, anchor, text) = beside(ex, ex + 4.0, "cancelled before it started");
            s.text(
                tx,
                ry + 13.0,
                &format!(
                    r#"font-size="11" font-style="italic" fill="{GREY}" text-anchor="{anchor}""#
                ),
                &text,
            );
        }
        (status, start, Some(end)) => {
            let start = start.unwrap_or(end);
            if let Some(w) = c.wait_ms.filter(|&w| w > 0.0) {
                let wx = x((start - w).max(0.0));
                s.rect(
                    wx,
                    mid - 2.0,
                    (x(start) - wx).max(1.0),
                    4.0,
                    &format!(r#"fill="{WAIT}" fill-opacity="0.7""#),
                    None,
                );
            }
            let segment = |s: &mut Svg, a: f64, b: f64, attrs: &str| {
                let xa = x(a);
                let w = (x(b) - xa).max(2.0);
                s.rect(xa, by, w, BAR, attrs, None);
            };
            if status == CallStatus::Cancelled {
                segment(
                    s,
                    start,
                    end,
                    &format!(r#"fill="url(#hatch)" stroke="{GREY}" stroke-width="1""#),
                );
            } else if c.attempts.is_empty() {
                let colour = if status == CallStatus::Ok { OK } else { ERROR };
                segment(s, start, end, &format!(r#"fill="{colour}" rx="1.5""#));
            } else {
                // Backoffs between attempts as a thin line, each attempt its own segment.
                s.line(
                    x(start),
                    mid,
                    x(end),
                    mid,
                    &format!(r#"stroke="{GREY}" stroke-width="1.5" stroke-dasharray="2,2""#),
                );
                let last = c.attempts.len() - 1;
                for (n, a) in c.attempts.iter().enumerate() {
                    let attrs = match (&a.error, status) {
                        (None, _) => format!(r#"fill="{OK}" rx="1.5""#),
                        (Some(_), CallStatus::Error) if n == last => {
                            format!(r#"fill="{ERROR}" rx="1.5""#)
                        }
                        (Some(_), _) => {
                            format!(
                                r#"fill="{FAILED_ATTEMPT}" stroke="{ERROR}" stroke-width="1" rx="1.5""#
                            )
                        }
                    };
                    segment(s, a.start_ms.max(start), a.end_ms.min(end), &attrs);
                }
            }
            let from = x(start);
            let to = x(end).max(from + 2.0);
            match status {
                CallStatus::Ok => {
                    s.text(
                        to + 3.0,
                        ry + 13.5,
                        &format!(r#"font-size="12" fill="{OK}" font-weight="bold""#),
                        "✓",
                    );
                    if c.attempts.len() > 1 {
                        s.text(
                            to + 16.0,
                            ry + 13.0,
                            &small(MUTED),
                            &format!("after {} attempts", c.attempts.len()),
                        );
                    }
                }
                CallStatus::Error => {
                    s.text(
                        to + 3.0,
                        ry + 13.5,
                        &format!(r#"font-size="12" fill="{ERROR}" font-weight="bold""#),
                        "✗",
                    );
                    let mut message = c.error.clone().unwrap_or_else(|| "failed".into());
                    if c.attempts.len() > 1 {
                        message = format!("{message} ({} attempts)", c.attempts.len());
                    }
                    let (tx, anchor, text) = beside(from, to + 16.0, &message);
                    s.text(
                        tx,
                        ry + 13.0,
                        &format!(r#"font-size="11" fill="{ERROR}" text-anchor="{anchor}""#),
                        &text,
                    );
                }
                _ => {
                    let (tx, anchor, text) = beside(from, to + 4.0, "cancelled");
                    s.text(
                        tx,
                        ry + 13.0,
                        &format!(r#"font-size="11" font-style="italic" fill="{GREY}" text-anchor="{anchor}""#),
                        &text,
                    );
                }
            }
        }
        // A start without an end is not a valid record; nothing to draw.
        (_, Some(_), None) => {}
    }
}

/// What the legend explains.
#[derive(Debug, Clone, Copy)]
enum Swatch {
    Ok,
    Error,
    FailedAttempt,
    Backoff,
    Wait,
    Cancelled,
    Skipped,
    InFlight,
    Wall,
}

/// The legend's items: the ones the record shows, and always ok, in flight and wall.
fn legend_items(record: &Record) -> Vec<(Swatch, &'static str)> {
    let calls = || record.lanes.iter().flat_map(|l| &l.calls);
    let any = |s: CallStatus| calls().any(|c| c.status == s);
    let retried = calls().any(|c| !c.attempts.is_empty());
    let waited = calls().any(|c| c.wait_ms.is_some_and(|w| w > 0.0));
    let failed_attempts = calls().any(|c| c.attempts.iter().any(|a| a.error.is_some()));
    let shown = |kind: &Swatch| match kind {
        Swatch::Error => any(CallStatus::Error),
        Swatch::FailedAttempt => failed_attempts,
        Swatch::Backoff => retried,
        Swatch::Wait => waited,
        Swatch::Cancelled => any(CallStatus::Cancelled),
        Swatch::Skipped => any(CallStatus::Skipped),
        Swatch::Ok | Swatch::InFlight | Swatch::Wall => true,
    };
    let all = vec![
        (Swatch::Ok, "ok ✓"),
        (Swatch::Error, "error ✗ (hover for the message)"),
        (Swatch::FailedAttempt, "failed attempt, retried"),
        (Swatch::Backoff, "backoff between attempts"),
        (Swatch::Wait, "waiting for a rate-limit token"),
        (Swatch::Cancelled, "cancelled"),
        (Swatch::Skipped, "skipped (a dependency failed)"),
        (Swatch::InFlight, "calls in flight"),
        (Swatch::Wall, "lane's wall"),
    ];
    all.into_iter().filter(|(k, _)| shown(k)).collect()
}

/// Each legend item's row and x offset, wrapping at the picture's width.
fn legend_layout(items: &[(Swatch, &str)]) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let (mut row, mut lx) = (0, 0.0);
    for (_, label) in items {
        let w = 22.0 + label.chars().count() as f64 * SANS_11 + 18.0;
        if lx > 0.0 && lx + w > WIDTH - 2.0 * PAD {
            row += 1;
            lx = 0.0;
        }
        out.push((row, lx));
        lx += w;
    }
    out
}

fn draw_swatch(s: &mut Svg, kind: Swatch, sx: f64, sy: f64) {
    let (w, h) = (16.0, 10.0);
    match kind {
        Swatch::Ok => s.rect(sx, sy, w, h, &format!(r#"fill="{OK}" rx="1.5""#), None),
        Swatch::Error => s.rect(sx, sy, w, h, &format!(r#"fill="{ERROR}" rx="1.5""#), None),
        Swatch::FailedAttempt => s.rect(
            sx,
            sy,
            w,
            h,
            &format!(r#"fill="{FAILED_ATTEMPT}" stroke="{ERROR}" stroke-width="1" rx="1.5""#),
            None,
        ),
        Swatch::Backoff => s.line(
            sx,
            sy + h / 2.0,
            sx + w,
            sy + h / 2.0,
            &format!(r#"stroke="{GREY}" stroke-width="1.5" stroke-dasharray="2,2""#),
        ),
        Swatch::Wait => s.rect(
            sx,
            sy + h / 2.0 - 2.0,
            w,
            4.0,
            &format!(r#"fill="{WAIT}" fill-opacity="0.7""#),
            None,
        ),
        Swatch::Cancelled => s.rect(
            sx,
            sy,
            w,
            h,
            &format!(r#"fill="url(#hatch)" stroke="{GREY}" stroke-width="1""#),
            None,
        ),
        Swatch::Skipped => s.text(
            sx + 2.0,
            sy + h,
            &format!(r#"font-size="12" fill="{GREY}""#),
            "⊘",
        ),
        Swatch::InFlight => s.rect(
            sx,
            sy + 3.0,
            w,
            h - 3.0,
            &format!(r#"fill="{IN_FLIGHT}" fill-opacity="0.75""#),
            None,
        ),
        Swatch::Wall => s.line(
            sx + w / 2.0,
            sy - 2.0,
            sx + w / 2.0,
            sy + h + 2.0,
            &format!(r#"stroke="{TEXT}" stroke-dasharray="3,3" opacity="0.6""#),
        ),
    }
}
