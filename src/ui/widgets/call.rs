//! One row of calls: a call's bar with its end mark and what it waits for or why it failed, or
//! two calls sharing a row in half blocks.

use ratatui::buffer::Buffer;
use ratatui::style::Style;

use super::Ctx;
use super::lane::{Geometry, RowAt};
use crate::engine::Strategy;
use crate::ui::model::{CallState, CallTiming};
use crate::ui::text::{ellipsize, width};

/// Left-aligned eighth blocks: index k draws k/8 of a cell.
const EIGHTHS: [&str; 9] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];

/// Draws a bar from `s` to `e` (cells from the bar area's start) on row `y`; returns the first
/// column after it.
fn draw_bar(buf: &mut Buffer, geo: &Geometry, y: u16, s: f64, e: f64, style: Style) -> u16 {
    let first = s.floor();
    let last = e.ceil().max(first + 1.0);
    let mut after = geo.bar_x + first as u16;
    let mut x = first;
    while x < last {
        let col = geo.bar_x + x as u16;
        if col >= geo.bar_x + geo.bar_w {
            break;
        }
        let from = s.max(x) - x;
        let to = (e.min(x + 1.0) - x).max(from);
        let is_first = x == first;
        let is_last = x + 1.0 >= e;
        let symbol = if is_first && is_last {
            // A call shorter than a cell still shows as a sliver.
            EIGHTHS[(((to - from) * 8.0).round() as usize).clamp(1, 8)]
        } else if is_first {
            // The start falls inside the cell: a right-aligned block marks where.
            if from <= 0.25 {
                "█"
            } else if from <= 0.75 {
                "▐"
            } else {
                "▕"
            }
        } else if is_last {
            EIGHTHS[((to * 8.0).round() as usize).min(8)]
        } else {
            "█"
        };
        if symbol != " " {
            buf.set_string(col, y, symbol, style);
            after = col + 1;
        }
        x += 1.0;
    }
    after
}

/// Lane `k`'s `model` row at `y` (a lane that counts turns): each model turn that has ended as a
/// bar of `▒` (its own mark and colour).
pub(super) fn draw_turns(ctx: &Ctx<'_>, k: usize, y: u16, geo: &Geometry, buf: &mut Buffer) {
    let lane = &ctx.model.lanes[k];
    let style = ctx.theme.model_turn();
    buf.set_string(
        geo.label_x,
        y,
        ellipsize("model", geo.label_w as usize),
        style,
    );
    let shown = lane.time_at(ctx.model.now_ms);
    for &(start, end) in &lane.turns {
        if shown.is_some_and(|t| start >= t) {
            continue;
        }
        // A turn under way in a replay is drawn up to the lane's time.
        let end = shown.map_or(end, |t| end.min(t));
        let (s, e) = (geo.cells(start), geo.cells(end));
        let last = e.ceil().max(s.floor() + 1.0);
        let mut x = s.floor();
        while x < last && geo.bar_x + (x as u16) < geo.bar_x + geo.bar_w {
            buf.set_string(geo.bar_x + x as u16, y, "▒", style);
            x += 1.0;
        }
    }
}

/// An id as the label column shows it: `*` marks the critical path when asked.
fn label(ctx: &Ctx<'_>, i: usize, max: usize) -> String {
    let id = &ctx.model.calls[i].id;
    let critical = ctx.chrome.critical && ctx.model.critical.get(i).copied().unwrap_or(false);
    if critical {
        format!("{}*", ellipsize(id, max.saturating_sub(1)))
    } else {
        ellipsize(id, max)
    }
}

/// Two ids for one row in `max` columns: `a1/a2`; where ids share a prefix the second drops it
/// (`search_07/08`), so long ids of one family stay readable; each is cut only when both still
/// do not fit.
fn pair_label(ctx: &Ctx<'_>, a: usize, b: usize, max: usize) -> String {
    let (ia, ib) = (&ctx.model.calls[a].id, &ctx.model.calls[b].id);
    // The shared prefix up to its last separator: `search_` of `search_07` and `search_08`.
    let common = ia
        .chars()
        .zip(ib.chars())
        .take_while(|(x, y)| x == y)
        .enumerate()
        .filter(|(_, (c, _))| !c.is_alphanumeric())
        .map(|(k, _)| k + 1)
        .last()
        .unwrap_or(0);
    let star = |i: usize| {
        if ctx.chrome.critical && ctx.model.critical.get(i).copied().unwrap_or(false) {
            "*"
        } else {
            ""
        }
    };
    let tail: String = if common >= 3 && common < ib.chars().count() {
        ib.chars().skip(common).collect()
    } else {
        ib.to_string()
    };
    let whole = format!("{ia}{}/{tail}{}", star(a), star(b));
    if width(&whole) <= max {
        return whole;
    }
    let half = max.saturating_sub(1) / 2;
    let cut = |id: &str, i: usize| {
        let s = star(i);
        format!("{}{s}", ellipsize(id, half.saturating_sub(s.len())))
    };
    format!("{}/{}", cut(ia, a), cut(&tail, b))
}

fn label_style(ctx: &Ctx<'_>, state: CallState<'_>) -> Style {
    let theme = ctx.theme;
    match state {
        CallState::Waiting => theme.dim(),
        CallState::Running { .. } => theme.running(),
        CallState::Done { .. } => Style::new(),
        CallState::Failed { .. } => theme.failed(),
        CallState::Skipped { .. } | CallState::Cancelled { .. } => theme.skipped(),
    }
}

/// One call on its own row: bar, end mark and, where there is room, what it waits for or why it
/// failed.
pub(super) fn draw_call(
    ctx: &Ctx<'_>,
    k: usize,
    i: usize,
    at: RowAt,
    geo: &Geometry,
    buf: &mut Buffer,
) {
    let RowAt { y, t, right } = at;
    let model = ctx.model;
    let theme = ctx.theme;
    let lane = &model.lanes[k];
    let info = &model.calls[i];
    let timing = &lane.calls[i];
    let state = t.map_or(CallState::Waiting, |t| timing.state_at(t));
    buf.set_string(
        geo.label_x,
        y,
        label(ctx, i, geo.label_w as usize),
        label_style(ctx, state),
    );
    let text_at = |buf: &mut Buffer, x: u16, text: &str, style: Style| {
        if x < right {
            buf.set_stringn(x, y, text, (right - x) as usize, style);
        }
    };
    // Text that marks a moment (waiting, skipped) slides left to stay whole when it can.
    let bar_start = geo.bar_x;
    let fit_at = |buf: &mut Buffer, x: u16, text: &str, style: Style| {
        let w = width(text) as u16;
        let x = x.min(right.saturating_sub(w)).max(bar_start);
        text_at(buf, x, text, style);
    };
    // What happened before the current attempt: the wait for a rate-limit token (dim) and
    // attempts that failed and were retried (red, each its own segment).
    if let (Some(start), Some(now)) = (timing.start, t)
        && timing.waited_ms > 0.0
        && start <= now
    {
        let from = geo.cells(start - timing.waited_ms);
        let to = geo.cells(start);
        let (a, b) = (from.round() as u16, to.round() as u16);
        for x in a..b.min(geo.bar_w) {
            buf.set_string(geo.bar_x + x, y, "░", theme.dim());
        }
    }
    if let Some(now) = t {
        for (start, end, _) in timing.failed_attempts() {
            if *start <= now {
                let end = end.min(now);
                draw_bar(
                    buf,
                    geo,
                    y,
                    geo.cells(*start),
                    geo.cells(end),
                    theme.failed(),
                );
            }
        }
    }
    match state {
        CallState::Cancelled { start, at } => {
            let x = match start {
                Some(s) => draw_bar(buf, geo, y, geo.cells(s), geo.cells(at), theme.skipped()),
                None => geo.column(at),
            };
            fit_at(buf, x, "⊗ cancelled", theme.skipped());
        }
        CallState::Waiting => {
            let now = t.unwrap_or(0.0);
            let waits: Vec<&str> = info
                .deps
                .iter()
                .filter(|&&d| !matches!(lane.calls[d].state_at(now), CallState::Done { .. }))
                .map(|&d| &*model.calls[d].id)
                .collect();
            let text = if t.is_none() {
                "· lane not started".to_string()
            } else if !waits.is_empty() {
                format!("· waits for {}", waits.join(", "))
            } else if lane.strategy == Strategy::Waves {
                "· next wave".to_string()
            } else {
                "· queued".to_string()
            };
            fit_at(buf, geo.column(now), &text, theme.dim());
        }
        CallState::Running { start } => {
            let now = t.unwrap_or(start);
            draw_bar(
                buf,
                geo,
                y,
                geo.cells(start),
                geo.cells(now),
                theme.running(),
            );
        }
        CallState::Done { start, end } => {
            let x = draw_bar(buf, geo, y, geo.cells(start), geo.cells(end), theme.done());
            text_at(buf, x, "✓", theme.done());
        }
        CallState::Failed { start, end, error } => {
            let x = draw_bar(
                buf,
                geo,
                y,
                geo.cells(start),
                geo.cells(end),
                theme.failed(),
            );
            let text = format!("✗ {error}");
            let w = width(&text) as u16;
            let bar_from = geo.bar_x + geo.cells(start) as u16;
            if x + w > right && bar_from > geo.bar_x + w {
                // No room after the bar but room before it: keep the message whole.
                text_at(buf, bar_from - w - 1, &text, theme.failed());
            } else {
                text_at(buf, x, &text, theme.failed());
            }
        }
        CallState::Skipped { reason } => {
            let at = timing.skipped().map_or(0.0, |s| s.0);
            fit_at(
                buf,
                geo.column(at),
                &format!("⊘ skipped: {reason}"),
                theme.skipped(),
            );
        }
    }
    now_marker(ctx, k, t, y, geo, buf);
}

/// The "now" marker, in an empty cell of a running lane.
fn now_marker(ctx: &Ctx<'_>, k: usize, t: Option<f64>, y: u16, geo: &Geometry, buf: &mut Buffer) {
    if let Some(now) = t
        && !ctx.model.lanes[k].is_done_at(ctx.model.now_ms)
    {
        let x = geo.column(now);
        if buf[(x, y)].symbol() == " " {
            buf.set_string(x, y, "┊", ctx.theme.dim());
        }
    }
}

/// The spans one call covers at lane time `t`, in cells, each with its style.
fn spans(ctx: &Ctx<'_>, c: &CallTiming, t: f64, geo: &Geometry) -> Vec<(f64, f64, Style)> {
    let theme = ctx.theme;
    let mut out: Vec<(f64, f64, Style)> = c
        .failed_attempts()
        .iter()
        .filter(|a| a.0 <= t)
        .map(|a| (geo.cells(a.0), geo.cells(a.1.min(t)), theme.failed()))
        .collect();
    match c.state_at(t) {
        CallState::Running { start } => out.push((geo.cells(start), geo.cells(t), theme.running())),
        CallState::Done { start, end } => {
            out.push((geo.cells(start), geo.cells(end), theme.done()))
        }
        CallState::Failed { start, end, .. } => {
            out.push((geo.cells(start), geo.cells(end), theme.failed()))
        }
        CallState::Cancelled { start: Some(s), at } => {
            out.push((geo.cells(s), geo.cells(at), theme.skipped()))
        }
        _ => {}
    }
    out
}

/// The style covering cell `x` (cells `[x, x + 1)`), if any: a span shorter than a cell still
/// covers the cell it falls in.
fn covering(spans: &[(f64, f64, Style)], x: f64) -> Option<Style> {
    spans
        .iter()
        .rev()
        .find(|(s, e, _)| (*s < x + 1.0 && *e > x) || (s.floor() == x && *e <= *s + 1e-9))
        .map(|s| s.2)
}

/// A call's end mark: `✓` done, `✗` failed, `⊘` skipped, `⊗` cancelled, `·` waiting, none while
/// it runs.
fn mark(state: CallState<'_>) -> &'static str {
    match state {
        CallState::Done { .. } => "✓",
        CallState::Failed { .. } => "✗",
        CallState::Skipped { .. } => "⊘",
        CallState::Cancelled { .. } => "⊗",
        CallState::Waiting => "·",
        CallState::Running { .. } => "",
    }
}

/// Two calls on one row: `▀` where only the upper (first) call runs, `▄` only the lower, `█`
/// both, so the row reads without colour; then both end marks, upper first.
pub(super) fn draw_pair(
    ctx: &Ctx<'_>,
    k: usize,
    pair: &[usize],
    at: RowAt,
    geo: &Geometry,
    buf: &mut Buffer,
) {
    let RowAt { y, t, right } = at;
    let model = ctx.model;
    let lane = &model.lanes[k];
    let (a, b) = (pair[0], pair.get(1).copied());
    let text = match b {
        Some(b) => pair_label(ctx, a, b, geo.label_w as usize),
        None => label(ctx, a, geo.label_w as usize),
    };
    let state_a = t.map_or(CallState::Waiting, |t| lane.calls[a].state_at(t));
    buf.set_string(
        geo.label_x,
        y,
        ellipsize(&text, geo.label_w as usize),
        label_style(ctx, state_a),
    );
    let Some(now) = t else {
        return;
    };
    let top = spans(ctx, &lane.calls[a], now, geo);
    let bottom = b
        .map(|b| spans(ctx, &lane.calls[b], now, geo))
        .unwrap_or_default();
    let mut after = None;
    for x in 0..geo.bar_w {
        let cell = f64::from(x);
        let (symbol, style) = match (covering(&top, cell), covering(&bottom, cell)) {
            (None, None) => continue,
            (Some(s), None) => ("▀", s),
            (None, Some(s)) => ("▄", s),
            (Some(u), Some(l)) if u.fg == l.fg || !ctx.theme.color => ("█", u),
            (Some(u), Some(l)) => ("▀", u.bg(l.fg.unwrap_or_default())),
        };
        buf.set_string(geo.bar_x + x, y, symbol, style);
        after = Some(geo.bar_x + x + 1);
    }
    let mut x = after.unwrap_or_else(|| geo.column(now));
    for i in std::iter::once(a).chain(b) {
        let state = lane.calls[i].state_at(now);
        let m = mark(state);
        if !m.is_empty() && x < right {
            buf.set_string(x, y, m, label_style(ctx, state));
            x += 1;
        }
    }
    now_marker(ctx, k, t, y, geo, buf);
}
