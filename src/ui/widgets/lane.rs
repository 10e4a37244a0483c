//! One lane: its title (the figures), its calls as bars on the shared axis (one call per row, or
//! two with half blocks when rows are short), and its "in flight" strip.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::Ctx;
use crate::engine::Strategy;
use crate::report::figures::{duration, percent, saved_text, speedup};
use crate::ui::layout::Arrangement;
use crate::ui::model::{CallState, CallTiming, ViewModel};
use crate::ui::text::{ellipsize, width};

/// Where the bars go: the id column and the bar area, and the axis scale.
#[derive(Debug, Clone, Copy)]
pub struct Geometry {
    /// First column of the ids.
    pub label_x: u16,
    /// Width of the id column.
    pub label_w: u16,
    /// First column of the bars.
    pub bar_x: u16,
    /// Width of the bar area in cells.
    pub bar_w: u16,
    /// Lane milliseconds the bar area spans.
    pub axis_ms: f64,
}

impl Geometry {
    /// The geometry for lanes drawn in `area`.
    pub fn new(model: &ViewModel, area: Rect, pair: bool) -> Geometry {
        let longest = model
            .calls
            .iter()
            .map(|c| width(&c.id) + 1)
            .max()
            .unwrap_or(0);
        let longest = if pair { longest * 2 + 1 } else { longest };
        let label_w = (longest.max("in flight".len()) as u16)
            .clamp(6, if pair { 25 } else { 16 })
            .min(area.width / 4);
        let label_x = area.x + 2;
        let bar_x = label_x + label_w + 1;
        // Room on the right for the border and a status glyph or count after the bars.
        let bar_w = (area.x + area.width).saturating_sub(bar_x + 5).max(1);
        let axis_ms = model.axis_ms();
        Geometry {
            label_x,
            label_w,
            bar_x,
            bar_w,
            axis_ms: if axis_ms.is_finite() && axis_ms > 0.0 {
                axis_ms
            } else {
                1.0
            },
        }
    }

    /// Lane milliseconds to cells from the bar area's start (fractional).
    pub fn cells(&self, ms: f64) -> f64 {
        let c = ms / self.axis_ms * f64::from(self.bar_w);
        if c.is_nan() {
            0.0
        } else {
            c.clamp(0.0, f64::from(self.bar_w))
        }
    }

    /// The column for a lane time.
    pub fn column(&self, ms: f64) -> u16 {
        self.bar_x + (self.cells(ms) as u16).min(self.bar_w - 1)
    }
}

/// Where a row of calls is drawn: its screen row, the lane's time, and the last column.
#[derive(Clone, Copy)]
struct RowAt {
    y: u16,
    t: Option<f64>,
    right: u16,
}

/// Left-aligned eighth blocks: index k draws k/8 of a cell.
const EIGHTHS: [&str; 9] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];
/// Concurrency levels, bottom-aligned.
const LEVELS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Draws lane `k` in `area`: title, the calls in `shown`, strip.
pub fn draw(
    ctx: &Ctx<'_>,
    k: usize,
    area: Rect,
    geo: &Geometry,
    arr: &Arrangement,
    peak: f64,
    buf: &mut Buffer,
) {
    let model = ctx.model;
    let lane = &model.lanes[k];
    let set = if k == 0 {
        border::PLAIN
    } else {
        border::Set {
            top_left: "├",
            top_right: "┤",
            ..border::PLAIN
        }
    };
    let (shown, hidden) = shown_calls(ctx, k, arr.capacity());
    let selected = ctx.chrome.selected == Some(k);
    let what_if = if model.what_if { " · what-if" } else { "" };
    let mut name = format!(" {}{what_if} ", lane.label);
    if hidden > 0 {
        let more = if ctx.chrome.headless { "" } else { ", ↑/↓" };
        name = format!(
            " {}{what_if} · {} of {} calls{more} ",
            lane.label,
            shown.len(),
            model.calls.len()
        );
    }
    let room = area.width.saturating_sub(width(&name) as u16 + 4) as usize;
    let name_style = if selected {
        ctx.theme.notice().add_modifier(Modifier::REVERSED)
    } else {
        ctx.theme.bold()
    };
    let mut block = Block::new()
        .borders(Borders::TOP | Borders::LEFT | Borders::RIGHT)
        .border_set(set)
        .title(Line::from(Span::styled(name, name_style)))
        .title(status(ctx, k, room).right_aligned());
    if selected {
        block = block.border_style(ctx.theme.notice());
    }
    block.render(area, buf);

    let t = lane.time_at(model.now_ms);
    let right = area.x + area.width - 1;
    let at = |row: usize| RowAt {
        y: area.y + 1 + row as u16,
        t,
        right,
    };
    if arr.pair {
        for (row, pair) in shown.chunks(2).enumerate() {
            draw_pair(ctx, k, pair, at(row), geo, buf);
        }
    } else {
        for (row, &i) in shown.iter().enumerate() {
            draw_call(ctx, k, i, at(row), geo, buf);
        }
    }
    if selected {
        // The call under the cursor: its row's label in reverse.
        let per_row = if arr.pair { 2 } else { 1 };
        if let Some(pos) = shown.iter().position(|&i| i == ctx.chrome.cursor) {
            let y = area.y + 1 + (pos / per_row) as u16;
            for x in geo.label_x..geo.label_x + geo.label_w {
                let cell = &mut buf[(x, y)];
                cell.set_style(cell.style().add_modifier(Modifier::REVERSED));
            }
        }
    }
    if arr.strip {
        draw_strip(ctx, k, area.y + area.height - 1, geo, peak, right, buf);
    }
    if model.what_if {
        // A prediction, not a run: every bar dimmed.
        for y in area.y + 1..area.y + area.height {
            for x in geo.bar_x..(geo.bar_x + geo.bar_w).min(right) {
                let cell = &mut buf[(x, y)];
                cell.set_style(cell.style().add_modifier(Modifier::DIM));
            }
        }
    }
}

/// Which calls lane `k` shows with room for `capacity`, in file order, and how many it leaves
/// out. Every call when they fit; else the user's scroll, or a running lane's progress, or what
/// matters: the critical path and the call the lane's wall waited for.
pub fn shown_calls(ctx: &Ctx<'_>, k: usize, capacity: usize) -> (Vec<usize>, usize) {
    let model = ctx.model;
    let total = model.calls.len();
    if total <= capacity {
        return ((0..total).collect(), 0);
    }
    let lane = &model.lanes[k];
    let window = |from: usize| {
        let from = from.min(total - capacity);
        ((from..from + capacity).collect(), total - capacity)
    };
    if ctx.chrome.selected == Some(k) {
        // The cursor's call stays in view.
        return window(ctx.chrome.cursor.saturating_sub(capacity / 2));
    }
    if let Some(scroll) = ctx.chrome.scroll {
        return window(scroll);
    }
    if let Some(t) = lane.time_at(model.now_ms)
        && !lane.is_done_at(model.now_ms)
    {
        let first = model.first_unfinished(k, t).unwrap_or(0);
        return window(first.saturating_sub(1));
    }
    let mut keep = vec![false; total];
    let mut kept = 0;
    let mut take = |i: usize, keep: &mut Vec<bool>| {
        if kept < capacity && !keep[i] {
            keep[i] = true;
            kept += 1;
        }
    };
    if let Some(last) = model.last_to_finish(k) {
        take(last, &mut keep);
    }
    for i in 0..total {
        if model.critical.get(i).copied().unwrap_or(false) {
            take(i, &mut keep);
        }
    }
    for i in 0..total {
        take(i, &mut keep);
    }
    let shown: Vec<usize> = (0..total).filter(|&i| keep[i]).collect();
    let hidden = total - shown.len();
    (shown, hidden)
}

/// A lane's title: queued, running with elapsed, or done with its figures (the same the table,
/// `report` and the SVG print), cut from the end to fit `room` columns.
fn status(ctx: &Ctx<'_>, k: usize, room: usize) -> Line<'static> {
    let model = ctx.model;
    let theme = ctx.theme;
    let lane = &model.lanes[k];
    let bound = format!("bound {}", duration(lane.lower_bound_ms));
    let Some(t) = lane.time_at(model.now_ms) else {
        return Line::styled(format!(" queued · {bound} "), theme.dim());
    };
    let Some(f) = model.title_figures(k) else {
        // A fixed width, so the title does not move as the timer grows.
        return Line::from(vec![
            Span::styled(format!(" running {:>9}", duration(t)), theme.running()),
            Span::raw(format!(" · {bound} ")),
        ]);
    };
    let mut parts: Vec<(String, Style)> =
        vec![(format!("done {}", duration(f.wall_ms)), theme.done())];
    if f.is_baseline {
        parts.push(("baseline".into(), theme.dim()));
    } else {
        let ge = if f.exact { "" } else { "≥ " };
        parts.push((format!("{ge}{}", speedup(f.speedup)), theme.accent()));
        if f.exact {
            parts.push((format!("saved {}", saved_text(f.saved)), Style::new()));
        }
    }
    parts.push((bound, Style::new()));
    parts.push((percent(f.efficiency), Style::new()));
    let len =
        |parts: &[(String, Style)]| parts.iter().map(|(p, _)| width(p) + 3).sum::<usize>() + 1;
    while parts.len() > 1 && len(&parts) > room {
        parts.pop();
    }
    let mut spans = Vec::new();
    for (i, (text, style)) in parts.into_iter().enumerate() {
        spans.push(Span::raw(if i == 0 { " " } else { " · " }));
        spans.push(Span::styled(text, style));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

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
fn draw_call(ctx: &Ctx<'_>, k: usize, i: usize, at: RowAt, geo: &Geometry, buf: &mut Buffer) {
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
        for (start, end, _) in &timing.failed_attempts {
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
                .map(|&d| model.calls[d].id.as_str())
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
            let at = timing.skipped.as_ref().map_or(0.0, |s| s.0);
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
        .failed_attempts
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
fn draw_pair(ctx: &Ctx<'_>, k: usize, pair: &[usize], at: RowAt, geo: &Geometry, buf: &mut Buffer) {
    let RowAt { y, t, right } = at;
    let model = ctx.model;
    let lane = &model.lanes[k];
    let (a, b) = (pair[0], pair.get(1).copied());
    let half = (geo.label_w as usize).saturating_sub(1) / 2;
    let text = match b {
        Some(b) => format!("{}/{}", label(ctx, a, half), label(ctx, b, half)),
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

/// The "in flight" strip, on one scale (`peak`) for every lane so their heights compare; `◇`
/// where an exact clock would finish the lane; the count now, or the exact peak once done.
fn draw_strip(
    ctx: &Ctx<'_>,
    k: usize,
    y: u16,
    geo: &Geometry,
    peak: f64,
    right: u16,
    buf: &mut Buffer,
) {
    let model = ctx.model;
    let theme = ctx.theme;
    let lane = &model.lanes[k];
    buf.set_stringn(
        geo.label_x,
        y,
        "in flight",
        geo.label_w as usize,
        theme.dim(),
    );
    let counts = model.flight_counts(k, geo.bar_w as usize, geo.axis_ms);
    for (i, &c) in counts.iter().enumerate() {
        let level = if c < 1e-6 || peak <= 0.0 {
            0
        } else {
            ((c / peak * 8.0).round() as usize).clamp(1, 8)
        };
        buf.set_string(geo.bar_x + i as u16, y, LEVELS[level], theme.strip());
    }
    let mut after = geo.bar_x + counts.len() as u16 + 1;
    if let Some(p) = lane.predicted_ms.filter(|p| p.is_finite()) {
        let x = geo.column(p);
        if x < right && buf[(x, y)].symbol() == " " {
            buf.set_string(x, y, "◇", theme.accent());
            // The count or peak goes right after the strip, unless the marker is in its way.
            if x >= after && x < after + 8 {
                after = x + 2;
            }
        }
    }
    if let Some(t) = lane.time_at(model.now_ms) {
        let label = if lane.is_done_at(model.now_ms) {
            let peak = model.peak_in_flight(k);
            if after + 7 < right {
                format!("peak {peak}")
            } else {
                peak.to_string()
            }
        } else {
            model.in_flight(k, t).to_string()
        };
        if after < right {
            buf.set_stringn(after, y, label, (right - after) as usize, theme.dim());
        }
    }
}
