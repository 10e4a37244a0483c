//! One lane: its title (the figures), its calls as bars on the shared axis (one call per row, or
//! two with half blocks when rows are short), and its "in flight" strip.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Widget};

use super::Ctx;
use crate::report::figures::{duration, percent, saved_phrase, speedup};
use crate::ui::layout::Arrangement;
use crate::ui::model::ViewModel;
use crate::ui::text::width;

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
        let longest = model.id_columns;
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
pub(super) struct RowAt {
    pub(super) y: u16,
    pub(super) t: Option<f64>,
    pub(super) right: u16,
}

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
    // A `model` row above the calls where the lane counts the model's turns.
    let per_row = if arr.pair { 2 } else { 1 };
    let model_row = usize::from(model.turn_row(k));
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
            model.call_count
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
    if model_row == 1 {
        super::call::draw_turns(ctx, k, area.y + 1, geo, buf);
    }
    let at = |row: usize| RowAt {
        y: area.y + 1 + (model_row + row) as u16,
        t,
        right,
    };
    if arr.pair {
        for (row, pair) in shown.chunks(2).enumerate() {
            super::call::draw_pair(ctx, k, pair, at(row), geo, buf);
        }
    } else {
        for (row, &i) in shown.iter().enumerate() {
            super::call::draw_call(ctx, k, i, at(row), geo, buf);
        }
    }
    if selected {
        // The call under the cursor: its row's label in reverse.
        if let Some(pos) = shown.iter().position(|&i| i == ctx.chrome.cursor) {
            let y = area.y + 1 + (model_row + pos / per_row) as u16;
            for x in geo.label_x..geo.label_x + geo.label_w {
                let cell = &mut buf[(x, y)];
                cell.set_style(cell.style().add_modifier(Modifier::REVERSED));
            }
        }
    }
    if arr.strip {
        super::strip::draw_strip(ctx, k, area.y + area.height - 1, geo, peak, right, buf);
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
    // A final frame's model may hold only some of the calls: those left out are hidden too.
    let left_out = model.call_count.saturating_sub(total);
    if total <= capacity {
        return ((0..total).collect(), left_out);
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
    let hidden = total - shown.len() + left_out;
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
            parts.push((saved_phrase(f.saved), Style::new()));
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
