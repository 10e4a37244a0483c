//! The lanes: a block per lane with a row per call, its bars, marks and messages, and the
//! in-flight strip.

use std::fmt::Write as _;

use crate::engine::queries::{skipped_at, tool_of};
use crate::engine::record::{CallRecord, CallStatus, LaneRecord, Record};
use crate::report::{duration, outcome_counts, percent, speedup};
use crate::text::ellipsize;

use super::writer::{Svg, escape};
use super::*;

/// A lane's block: its header, a row per call (a bar in each) and the in-flight strip.
const LANE_HEAD: f64 = 26.0;
const ROW: f64 = 18.0;
const BAR: f64 = 12.0;
const STRIP: f64 = 22.0;

/// How tall a lane's block is.
pub(super) fn lane_height(lane: &LaneRecord) -> f64 {
    let rows = lane.calls.len().min(MAX_ROWS);
    let more = if lane.calls.len() > MAX_ROWS {
        ROW
    } else {
        0.0
    };
    LANE_HEAD + rows as f64 * ROW + more + STRIP + 10.0
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

/// A grey italic note beside a bar (skipped, cancelled), placed by [`beside`].
fn grey_note(s: &mut Svg, ry: f64, from: f64, to: f64, message: &str) {
    let (tx, anchor, text) = beside(from, to, message);
    s.text(
        tx,
        ry + 13.0,
        &format!(r#"font-size="11" font-style="italic" fill="{GREY}" text-anchor="{anchor}""#),
        &text,
    );
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
    if let Some(w) = c.wait_ms().filter(|&w| w > 0.0) {
        let _ = write!(s, ", waited {} for a token", duration(w));
    }
    if c.attempts().len() > 1 {
        let _ = write!(s, ", {} attempts", c.attempts().len());
    }
    if let Some(code) = c.http_status() {
        let _ = write!(s, ", HTTP {code}");
    }
    if let Some(b) = c.bytes() {
        let _ = write!(s, ", {b} bytes");
    }
    if let Some(e) = &c.error() {
        let _ = write!(s, "\n{e}");
    }
    s
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_lane(
    s: &mut Svg,
    record: &Record,
    lane: &LaneRecord,
    f: &crate::report::figures::LaneFigures,
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
        &ellipsize(&lane.strategy.to_string(), 22),
    );
    s.text(
        X0,
        top + 18.0,
        &format!(r#"font-size="12" fill="{MUTED}""#),
        &format!(
            "wall {} · {} · {} · bound {} · efficiency {} · {}{}",
            duration(f.wall.mean),
            speedup(f.speedup.0),
            crate::report::figures::saved_phrase(f.saved),
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
            let reason = c.error().unwrap_or("a dependency failed");
            grey_note(s, ry, at - 4.0, at + 8.0, &format!("skipped: {reason}"));
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
            grey_note(s, ry, ex, ex + 4.0, "cancelled before it started");
        }
        (status, start, Some(end)) => {
            let start = start.unwrap_or(end);
            if let Some(w) = c.wait_ms().filter(|&w| w > 0.0) {
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
            } else if c.attempts().is_empty() {
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
                let last = c.attempts().len() - 1;
                for (n, a) in c.attempts().iter().enumerate() {
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
                    if c.attempts().len() > 1 {
                        s.text(
                            to + 16.0,
                            ry + 13.0,
                            &small(MUTED),
                            &format!("after {} attempts", c.attempts().len()),
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
                    let mut message = c
                        .error()
                        .map(str::to_string)
                        .unwrap_or_else(|| "failed".into());
                    if c.attempts().len() > 1 {
                        message = format!("{message} ({} attempts)", c.attempts().len());
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
                    grey_note(s, ry, from, to + 4.0, "cancelled");
                }
            }
        }
        // A start without an end is not a valid record; nothing to draw.
        (_, Some(_), None) => {}
    }
}
