//! Drawing: a pure function of the view model, the chrome (overlays, scroll) and the theme.
//!
//! Every lane shares one time axis, so the parallel lane's short bars sit under the sequential
//! lane's staircase. Bars end with eighth blocks, so a short call is never rounded away.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Widget, Wrap};

use super::model::{CallState, LaneView, Playback, ViewModel};
use super::theme::Theme;
use crate::engine::Strategy;
use crate::engine::record::{efficiency, speedup};
use crate::engine::tools::fmt_num;

/// The narrowest terminal fanout draws in.
pub const MIN_WIDTH: u16 = 60;

/// Calls a headless frame shows per lane before it says "+K more".
pub const HEADLESS_ROWS: usize = 40;

/// UI state that is not the run: overlays, scroll, the speed of the next run, a notice.
#[derive(Debug, Clone, PartialEq)]
pub struct Chrome {
    /// The help overlay is open.
    pub help: bool,
    /// The lesson panel is shown.
    pub lesson: bool,
    /// The scenario picker, when open.
    pub picker: Option<Picker>,
    /// First call row shown when a lane has more calls than rows; `None` follows each lane's
    /// progress.
    pub scroll: Option<usize>,
    /// The speed the next run will use.
    pub next_speed: f64,
    /// A one-line message for the footer.
    pub notice: Option<String>,
    /// A final frame for a log: no footer, no comparison table, no overlays.
    pub headless: bool,
}

impl Default for Chrome {
    fn default() -> Self {
        Chrome {
            help: false,
            lesson: true,
            picker: None,
            scroll: None,
            next_speed: 1.0,
            notice: None,
            headless: false,
        }
    }
}

/// The scenario picker's entries and selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// One line per scenario.
    pub entries: Vec<String>,
    /// The highlighted entry.
    pub selected: usize,
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, model: &ViewModel, chrome: &Chrome, theme: Theme) {
    let area = frame.area();
    render(model, chrome, theme, area, frame.buffer_mut());
}

/// The height a screen needs to show every lane with `rows` call rows each.
pub fn height_for(model: &ViewModel, chrome: &Chrome, rows: usize) -> u16 {
    let n = model.lanes.len();
    let fixed = fixed_rows(model, chrome, 200, true);
    (fixed + n * (rows + 2)) as u16
}

/// Rows used by everything but the lanes: header, axis, table, footer. `cramped` keeps the
/// lesson to the table's height so the lanes get the rows.
fn fixed_rows(model: &ViewModel, chrome: &Chrome, width: u16, cramped: bool) -> usize {
    let header = 2;
    let axis = 1;
    let footer = usize::from(!chrome.headless);
    header + axis + footer + bottom_rows(model, chrome, width, cramped)
}

fn bottom_rows(model: &ViewModel, chrome: &Chrome, width: u16, cramped: bool) -> usize {
    if chrome.headless {
        return 0;
    }
    let table = model.lanes.len() + 1;
    let lesson = match (&model.lesson, chrome.lesson) {
        (Some(text), true) if !cramped => {
            let w = width.saturating_sub(TABLE_WIDTH + 3) as usize;
            if w >= 20 {
                wrap(text, w).len().min(6)
            } else {
                0
            }
        }
        _ => 0,
    };
    table.max(lesson)
}

/// Renders the screen into a buffer.
pub fn render(model: &ViewModel, chrome: &Chrome, theme: Theme, area: Rect, buf: &mut Buffer) {
    let n = model.lanes.len().max(1);
    let rows_left = |cramped| {
        let fixed = fixed_rows(model, chrome, area.width, cramped);
        (fixed, (area.height as usize).saturating_sub(fixed) / n)
    };
    let (mut fixed, mut lane_rows) = rows_left(false);
    let cramped = lane_rows < model.calls.len() + 2;
    if cramped {
        (fixed, lane_rows) = rows_left(true);
    }
    if area.width < MIN_WIDTH || lane_rows < 3 {
        let need = fixed + n * 3;
        too_small(area, buf, theme, need as u16);
        return;
    }
    let rows = lane_rows - 2;

    let [header, body] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(area);
    draw_header(model, chrome, theme, header, buf);

    let shown = model.calls.len().min(rows);
    let lanes_h = (n * (shown + 2)) as u16;
    let bottom_h = bottom_rows(model, chrome, area.width, cramped) as u16;
    let footer_h = u16::from(!chrome.headless);
    // The table sits under the axis, one blank row apart when there is room; spare rows go
    // above the footer.
    let spare = body
        .height
        .saturating_sub(lanes_h + 1 + bottom_h + footer_h);
    let [lanes_area, axis_area, _gap, bottom, _rest, footer] = Layout::vertical([
        Constraint::Length(lanes_h),
        Constraint::Length(1),
        Constraint::Length(spare.min(1)),
        Constraint::Length(bottom_h),
        Constraint::Fill(1),
        Constraint::Length(footer_h),
    ])
    .areas(body);

    let geo = Geometry::new(model, lanes_area);
    let peak = model
        .lanes
        .iter()
        .enumerate()
        .map(|(k, _)| {
            flight_counts(model, k, &geo)
                .into_iter()
                .fold(0.0, f64::max)
        })
        .fold(0.0, f64::max);
    for (k, lane) in model.lanes.iter().enumerate() {
        let y = lanes_area.y + (k * (shown + 2)) as u16;
        let lane_area = Rect::new(lanes_area.x, y, lanes_area.width, (shown + 2) as u16);
        draw_lane(
            model, chrome, theme, k, lane, lane_area, &geo, peak, rows, buf,
        );
    }
    draw_axis(&geo, axis_area, theme, buf);
    if !chrome.headless {
        draw_bottom(model, chrome, theme, bottom, buf);
        draw_footer(model, chrome, theme, footer, buf);
        if let Some(picker) = &chrome.picker {
            draw_picker(picker, theme, area, buf);
        }
        if chrome.help {
            draw_help(model, theme, area, buf);
        }
    }
}

fn too_small(area: Rect, buf: &mut Buffer, theme: Theme, need_h: u16) {
    let text = vec![
        Line::styled("terminal too small", theme.bold()),
        Line::raw(format!(
            "{}×{} here; fanout needs at least {}×{}",
            area.width,
            area.height,
            MIN_WIDTH,
            need_h.max(10)
        )),
        Line::styled("enlarge the window, or press q", theme.dim()),
    ];
    let y = area.y + area.height.saturating_sub(3) / 2;
    let h = area.height.min(3);
    Paragraph::new(text)
        .centered()
        .wrap(Wrap { trim: true })
        .render(Rect::new(area.x, y, area.width, h), buf);
}

/// Where the bars go: the id column and the bar area, and the axis scale.
struct Geometry {
    /// First column of the ids.
    label_x: u16,
    /// Width of the id column.
    label_w: u16,
    /// First column of the bars.
    bar_x: u16,
    /// Width of the bar area in cells.
    bar_w: u16,
    /// Lane milliseconds the bar area spans.
    axis_ms: f64,
}

impl Geometry {
    fn new(model: &ViewModel, area: Rect) -> Geometry {
        let longest = model
            .calls
            .iter()
            .map(|c| c.id.chars().count())
            .max()
            .unwrap_or(0)
            .max("in flight".len());
        let label_w = (longest as u16).clamp(6, 16).min(area.width / 4);
        let label_x = area.x + 2;
        let bar_x = label_x + label_w + 1;
        // Leave room on the right for the border and a status glyph or count after the bars.
        let bar_w = (area.x + area.width).saturating_sub(bar_x + 5).max(1);
        Geometry {
            label_x,
            label_w,
            bar_x,
            bar_w,
            axis_ms: model.axis_ms(),
        }
    }

    /// Lane milliseconds to cells from the bar area's start (fractional).
    fn cells(&self, ms: f64) -> f64 {
        (ms / self.axis_ms * f64::from(self.bar_w)).clamp(0.0, f64::from(self.bar_w))
    }

    /// The column for a lane time.
    fn column(&self, ms: f64) -> u16 {
        self.bar_x + (self.cells(ms) as u16).min(self.bar_w - 1)
    }
}

/// Left-aligned eighth blocks: index k draws k/8 of a cell.
const EIGHTHS: [&str; 9] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];
/// Concurrency levels, bottom-aligned.
const LEVELS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

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

/// Calls in flight in lane `k` at the middle of each cell, up to the lane's current time.
fn flight_counts(model: &ViewModel, k: usize, geo: &Geometry) -> Vec<f64> {
    let lane = &model.lanes[k];
    let Some(t) = lane.time_at(model.now_ms) else {
        return Vec::new();
    };
    let cells = geo.bar_w as usize;
    let upto = (geo.cells(t).ceil() as usize).min(cells);
    // How many calls ran, on average over each cell: a sequential lane reads 1 everywhere (also
    // where one call hands over to the next), and a call shorter than a cell still shows.
    let mut part = vec![0f64; cells + 1];
    let mut full = vec![0f64; cells + 1];
    let mut add = |start: f64, end: f64| {
        let (xs, xe) = (geo.cells(start), geo.cells(end).max(geo.cells(start)));
        let (a, b) = (xs.floor() as usize, xe.floor() as usize);
        if a >= cells {
            return;
        }
        if a == b {
            part[a] += xe - xs;
            return;
        }
        part[a] += (a + 1) as f64 - xs;
        full[a + 1] += 1.0;
        full[b.min(cells)] -= 1.0;
        if b < cells {
            part[b] += xe - b as f64;
        }
    };
    for c in &lane.calls {
        // Attempts that failed and were retried ran too.
        for &(start, end, _) in &c.failed_attempts {
            if start <= t {
                add(start, end.min(t));
            }
        }
        match c.state_at(t) {
            CallState::Running { start } => add(start, t),
            CallState::Done { start, end } | CallState::Failed { start, end, .. } => {
                add(start, end)
            }
            CallState::Cancelled {
                start: Some(start),
                at,
            } => add(start, at),
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(upto);
    let mut running = 0f64;
    for i in 0..upto {
        running += full[i];
        out.push((running + part[i]).max(0.0));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn draw_lane(
    model: &ViewModel,
    chrome: &Chrome,
    theme: Theme,
    k: usize,
    lane: &LaneView,
    area: Rect,
    geo: &Geometry,
    peak: f64,
    rows: usize,
    buf: &mut Buffer,
) {
    let set = if k == 0 {
        border::PLAIN
    } else {
        border::Set {
            top_left: "├",
            top_right: "┤",
            ..border::PLAIN
        }
    };
    let block = Block::new()
        .borders(Borders::TOP | Borders::LEFT | Borders::RIGHT)
        .border_set(set)
        .title(Line::from(Span::styled(
            format!(" {} ", lane.label),
            theme.bold(),
        )))
        .title(lane_status(model, lane, theme).right_aligned());
    block.render(area, buf);

    let t = lane.time_at(model.now_ms);
    let total = model.calls.len();
    let (first, visible, hidden) = if total <= rows {
        (0, total, 0)
    } else {
        let visible = rows - 1;
        let wanted = match (chrome.scroll, t) {
            (Some(scroll), _) => scroll,
            // Follow the lane's progress: keep its first unfinished call in view.
            (None, Some(t)) => first_unfinished(lane, t).map_or(0, |i| i.saturating_sub(1)),
            (None, None) => 0,
        };
        (wanted.min(total - visible), visible, total - visible)
    };
    let right = area.x + area.width - 1;
    for (row, i) in (first..first + visible).enumerate() {
        let y = area.y + 1 + row as u16;
        draw_call(model, theme, lane, i, t, y, geo, right, buf);
    }
    if hidden > 0 {
        let y = area.y + 1 + visible as u16;
        let above = first;
        let below = total - first - visible;
        let text = match (above, below) {
            (0, b) => format!("+{b} more below"),
            (a, 0) => format!("+{a} more above"),
            (a, b) => format!("+{a} above, +{b} below"),
        };
        let hint = if chrome.headless {
            ""
        } else {
            " (↑/↓ scroll)"
        };
        buf.set_stringn(
            geo.label_x,
            y,
            format!("{text}{hint}"),
            (right - geo.label_x) as usize,
            theme.dim(),
        );
    }
    // The "in flight" strip, on one scale for every lane so their heights compare.
    let y = area.y + area.height - 1;
    buf.set_stringn(
        geo.label_x,
        y,
        "in flight",
        geo.label_w as usize,
        theme.dim(),
    );
    let counts = flight_counts(model, k, geo);
    for (i, &c) in counts.iter().enumerate() {
        let level = if c < 1e-6 || peak <= 0.0 {
            0
        } else {
            ((c / peak * 8.0).round() as usize).clamp(1, 8)
        };
        buf.set_string(geo.bar_x + i as u16, y, LEVELS[level], theme.strip());
    }
    // Where an exact clock would finish this lane (◇, on the strip's row): the distance to the
    // strip's end is the tool's own overhead (and, for real calls, the world's).
    let mut after = geo.bar_x + counts.len() as u16 + 1;
    if let Some(p) = lane.predicted_ms {
        let x = geo.column(p);
        if x < right && buf[(x, y)].symbol() == " " {
            buf.set_string(x, y, "◇", theme.accent());
            // The count or peak goes right after the strip, unless the marker is in its way.
            if x >= after && x < after + 8 {
                after = x + 2;
            }
        }
    }
    if let Some(t) = t {
        let x = after;
        let label = if lane.is_done_at(model.now_ms) {
            let peak = peak_in_flight(lane);
            if x + 7 < right {
                format!("peak {peak}")
            } else {
                peak.to_string()
            }
        } else {
            model.in_flight(k, t).to_string()
        };
        if x < right {
            buf.set_stringn(x, y, label, (right - x) as usize, theme.dim());
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_call(
    model: &ViewModel,
    theme: Theme,
    lane: &LaneView,
    i: usize,
    t: Option<f64>,
    y: u16,
    geo: &Geometry,
    right: u16,
    buf: &mut Buffer,
) {
    let info = &model.calls[i];
    let timing = &lane.calls[i];
    let state = t.map_or(CallState::Waiting, |t| timing.state_at(t));
    let label_style = match state {
        CallState::Waiting => theme.dim(),
        CallState::Running { .. } => theme.running(),
        CallState::Done { .. } => Style::new(),
        CallState::Failed { .. } => theme.failed(),
        CallState::Skipped { .. } | CallState::Cancelled { .. } => theme.skipped(),
    };
    buf.set_string(
        geo.label_x,
        y,
        ellipsize(&info.id, geo.label_w as usize),
        label_style,
    );
    let text_at = |buf: &mut Buffer, x: u16, text: &str, style: Style| {
        if x < right {
            buf.set_stringn(x, y, text, (right - x) as usize, style);
        }
    };
    // Text that marks a moment (waiting, skipped) slides left to stay whole when it can.
    let bar_start = geo.bar_x;
    let fit_at = |buf: &mut Buffer, x: u16, text: &str, style: Style| {
        let width = text.chars().count() as u16;
        let x = x.min(right.saturating_sub(width)).max(bar_start);
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
            let width = text.chars().count() as u16;
            let bar_from = geo.bar_x + geo.cells(start) as u16;
            if x + width > right && bar_from > geo.bar_x + width {
                // No room after the bar but room before it: keep the message whole.
                text_at(buf, bar_from - width - 1, &text, theme.failed());
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
    // The "now" marker, in empty cells of a running lane.
    if let Some(now) = t
        && !lane.is_done_at(model.now_ms)
    {
        let x = geo.column(now);
        if buf[(x, y)].symbol() == " " {
            buf.set_string(x, y, "┊", theme.dim());
        }
    }
}

/// The first call of the lane that is running, or else waiting, at lane time `t`.
fn first_unfinished(lane: &LaneView, t: f64) -> Option<usize> {
    let running = lane
        .calls
        .iter()
        .position(|c| matches!(c.state_at(t), CallState::Running { .. }));
    running.or_else(|| {
        lane.calls
            .iter()
            .position(|c| matches!(c.state_at(t), CallState::Waiting))
    })
}

/// The most calls that ran at once in a lane, exactly (the strip's cells can only show it to
/// their width).
fn peak_in_flight(lane: &LaneView) -> usize {
    let mut edges: Vec<(f64, i32)> = Vec::new();
    for c in &lane.calls {
        for &(s, e, _) in &c.failed_attempts {
            edges.extend([(s, 1), (e, -1)]);
        }
        let start = c.attempt_start.filter(|a| a.is_finite()).or(c.start);
        if let (Some(s), Some(e)) = (start, c.end.or(c.cancelled)) {
            edges.extend([(s, 1), (e, -1)]);
        }
    }
    // Ends before starts at the same instant: back-to-back calls do not overlap.
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut now = 0i32;
    let mut peak = 0i32;
    for (_, d) in edges {
        now += d;
        peak = peak.max(now);
    }
    peak.max(0) as usize
}

/// A lane's headline: queued, running with elapsed, or done with wall, speedup and efficiency.
fn lane_status(model: &ViewModel, lane: &LaneView, theme: Theme) -> Line<'static> {
    let bound = format!("bound {}", secs(lane.lower_bound_ms));
    let Some(t) = lane.time_at(model.now_ms) else {
        return Line::styled(format!(" queued · {bound} "), theme.dim());
    };
    if !lane.is_done_at(model.now_ms) {
        return Line::from(vec![
            Span::styled(format!(" running {}", secs(t)), theme.running()),
            Span::raw(format!(" · {bound} ")),
        ]);
    }
    let mut spans = vec![Span::styled(format!(" done {}", secs(t)), theme.done())];
    if let Some(x) = speedup_text(model, lane) {
        spans.push(Span::raw(" · "));
        spans.push(Span::styled(x, theme.accent()));
    }
    spans.push(Span::raw(format!(
        " · {bound} · {} ",
        percent(efficiency(lane.lower_bound_ms, t))
    )));
    Line::from(spans)
}

/// `5.00×`, or `≥ 1.46×` while the sequential lane still runs; `None` until the lane is done.
fn speedup_text(model: &ViewModel, lane: &LaneView) -> Option<String> {
    let wall = lane.wall_ms.filter(|_| lane.is_done_at(model.now_ms))?;
    let (base, exact) = model.baseline_ms()?;
    let x = speedup(base, wall);
    Some(if exact {
        format!("{x:.2}×")
    } else {
        format!("≥ {x:.2}×")
    })
}

/// Seconds with one decimal, or milliseconds under a second.
pub fn secs(ms: f64) -> String {
    if ms >= 100_000.0 {
        format!("{:.0} s", ms / 1000.0)
    } else if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Truncates to `width` characters with an ellipsis.
pub fn ellipsize(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn draw_header(model: &ViewModel, chrome: &Chrome, theme: Theme, area: Rect, buf: &mut Buffer) {
    let mut right = Vec::new();
    if let Playback::Replay { paused } = model.playback {
        right.push(Span::styled(
            if paused { "REPLAY ⏸ " } else { "REPLAY ▶ " },
            theme.notice(),
        ));
    }
    right.push(Span::raw(format!("speed {}×", fmt_num(model.speed))));
    if !chrome.headless {
        right.push(Span::raw(format!("   ⏱ {} ", secs(model.now_ms))));
    }
    let right = Line::from(right);
    let rw = right.width() as u16;
    let room = area.width.saturating_sub(rw + 1) as usize;
    let title = ellipsize(&format!(" fanout · {}", model.title), room);
    buf.set_stringn(area.x, area.y, &title, room, theme.bold());
    right.render(
        Rect::new(
            area.x + area.width.saturating_sub(rw),
            area.y,
            rw.min(area.width),
            1,
        ),
        buf,
    );
    let (text, style) = match (&model.error, &model.description) {
        (Some(e), _) => (format!(" error: {e}"), theme.failed()),
        (None, Some(d)) => (
            format!(" {}", ellipsize(d, area.width.saturating_sub(2) as usize)),
            theme.dim(),
        ),
        (None, None) => (String::new(), theme.dim()),
    };
    buf.set_stringn(area.x, area.y + 1, text, area.width as usize, style);
}

fn draw_axis(geo: &Geometry, area: Rect, theme: Theme, buf: &mut Buffer) {
    let y = area.y;
    let last = area.x + area.width - 1;
    buf.set_string(area.x, y, "└", Style::new());
    for x in area.x + 1..last {
        buf.set_string(x, y, "─", Style::new());
    }
    buf.set_string(last, y, "┘", Style::new());
    let step = tick_step(geo.axis_ms, geo.bar_w);
    let mut next_free = area.x + 1;
    let mut t = 0.0;
    while t <= geo.axis_ms + 1e-9 {
        let label = format!(" {} ", tick_label(t, step, geo.axis_ms));
        let w = label.chars().count() as u16;
        let center = geo.bar_x + geo.cells(t).round() as u16;
        let x = center.saturating_sub(w / 2).max(next_free);
        if x + w < last {
            buf.set_string(x, y, &label, theme.dim());
            next_free = x + w + 1;
        }
        t += step;
    }
}

/// A round tick interval (1, 2 or 5 × 10^k ms) leaving about ten cells per label.
fn tick_step(axis_ms: f64, width: u16) -> f64 {
    let max_ticks = (f64::from(width) / 10.0).max(1.0);
    let raw = axis_ms / max_ticks;
    let mut p = 10f64.powf(raw.log10().floor());
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * p >= raw {
                return m * p;
            }
        }
        p *= 10.0;
    }
}

fn tick_label(ms: f64, step: f64, axis_ms: f64) -> String {
    if axis_ms >= 1000.0 {
        let decimals = if step >= 1000.0 {
            0
        } else if step >= 100.0 {
            1
        } else {
            2
        };
        format!("{:.*} s", decimals, ms / 1000.0)
    } else if step >= 1.0 {
        format!("{} ms", fmt_num(ms.round()))
    } else {
        format!("{ms:.2} ms")
    }
}

/// Width of the comparison table.
const TABLE_WIDTH: u16 = 57;

fn draw_bottom(model: &ViewModel, chrome: &Chrome, theme: Theme, area: Rect, buf: &mut Buffer) {
    let [table, lesson] = Layout::horizontal([
        Constraint::Length(TABLE_WIDTH.min(area.width)),
        Constraint::Fill(1),
    ])
    .areas(area);
    let widths = [12usize, 10, 10, 10, 11];
    let row = |cells: [String; 5]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{:<w$}", ellipsize(c, w - 1)))
            .collect::<String>()
    };
    let mut lines = vec![Line::styled(
        format!(
            " {}",
            row(["lane", "wall", "speedup", "bound", "efficiency"].map(String::from))
        ),
        theme.bold(),
    )];
    for lane in &model.lanes {
        let (wall, eff) = match lane.time_at(model.now_ms) {
            None => ("—".to_string(), "—".to_string()),
            Some(t) if lane.is_done_at(model.now_ms) => {
                (secs(t), percent(efficiency(lane.lower_bound_ms, t)))
            }
            Some(t) => (format!("{}…", secs(t)), "—".to_string()),
        };
        let speed = speedup_text(model, lane).unwrap_or_else(|| "—".into());
        lines.push(Line::raw(format!(
            " {}",
            row([
                lane.label.clone(),
                wall,
                speed,
                secs(lane.lower_bound_ms),
                eff
            ])
        )));
    }
    Paragraph::new(lines).render(table, buf);
    if let (Some(text), true) = (&model.lesson, chrome.lesson)
        && lesson.width >= 23
    {
        let w = (lesson.width - 3) as usize;
        let lines: Vec<Line> = wrap(text, w)
            .into_iter()
            .take(area.height as usize)
            .map(Line::raw)
            .collect();
        Paragraph::new(lines)
            .block(
                Block::new()
                    .borders(Borders::LEFT)
                    .border_style(theme.dim())
                    .padding(ratatui::widgets::Padding::left(1)),
            )
            .render(lesson, buf);
    }
}

/// Word-wraps text to `width` columns.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn draw_footer(model: &ViewModel, chrome: &Chrome, theme: Theme, area: Rect, buf: &mut Buffer) {
    if let Some(notice) = &chrome.notice {
        buf.set_stringn(
            area.x,
            area.y,
            format!(" {notice}"),
            area.width as usize,
            theme.notice(),
        );
        return;
    }
    let keys: &[&str] = match model.playback {
        Playback::Live => &[
            "q quit",
            "r re-run",
            "n/p scenario",
            "s pick",
            "+/- speed",
            "l lesson",
            "e export",
            "? help",
        ],
        Playback::Replay { .. } => &[
            "q quit",
            "space pause",
            "←/→ step",
            "Home/End",
            "r restart",
            "e export",
            "? help",
        ],
    };
    // Drop keys from the middle until the line fits; quit and help always stay.
    let mut shown: Vec<&str> = keys.to_vec();
    let line = |shown: &[&str]| format!(" {}", shown.join(" · "));
    while line(&shown).chars().count() > area.width as usize && shown.len() > 2 {
        shown.remove(shown.len() - 2);
    }
    let keys = line(&shown);
    buf.set_stringn(area.x, area.y, &keys, area.width as usize, theme.dim());
}

/// Every key, for the help overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("q  Esc  Ctrl-C", "quit"),
    ("r", "re-run (restart a replay)"),
    ("n  p  →  ←", "next / previous scenario"),
    ("s", "pick a scenario"),
    ("+  -", "speed of the next run"),
    ("l", "show / hide the lesson"),
    ("e", "export the finished run: record + SVG"),
    ("↑  ↓  PgUp  PgDn", "scroll the calls"),
    ("?", "this help"),
    ("space", "replay: pause / resume"),
    ("←  →", "replay: step back / forward"),
    ("Home  End", "replay: jump to start / end"),
];

fn overlay(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn draw_help(model: &ViewModel, theme: Theme, area: Rect, buf: &mut Buffer) {
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<18}"), theme.bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " █…✓ done  █ running  █…✗ failed  ⊘ skipped  · waiting  ░ rate wait",
        theme.dim(),
    ));
    lines.push(Line::styled(
        " ◇ where an exact clock would finish the lane (the virtual clock)",
        theme.dim(),
    ));
    if matches!(model.playback, Playback::Replay { .. }) {
        lines.push(Line::styled(
            " replaying recorded timings, not a re-run",
            theme.dim(),
        ));
    }
    let rect = overlay(area, 66, lines.len() as u16 + 2);
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .block(Block::bordered().title(" keys · any key closes "))
        .render(rect, buf);
}

fn draw_picker(picker: &Picker, theme: Theme, area: Rect, buf: &mut Buffer) {
    let h = (picker.entries.len() as u16 + 2).min(area.height.saturating_sub(2));
    let rect = overlay(area, 76, h);
    let rows = h.saturating_sub(2) as usize;
    let first = picker.selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = picker
        .entries
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .map(|(i, e)| {
            let text = format!(" {}", ellipsize(e, rect.width.saturating_sub(3) as usize));
            if i == picker.selected {
                Line::styled(
                    text,
                    theme
                        .bold()
                        .add_modifier(ratatui::style::Modifier::REVERSED),
                )
            } else {
                Line::raw(text)
            }
        })
        .collect();
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .block(Block::bordered().title(" scenario · ↑/↓ Enter · Esc closes "))
        .render(rect, buf);
}

/// The buffer as plain text lines, trailing spaces trimmed.
pub fn buffer_text(buf: &Buffer) -> String {
    let width = buf.area.width as usize;
    let mut out = String::new();
    for row in buf.content.chunks(width) {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The final frame of a finished run as plain text: every lane's Gantt chart on one axis.
pub fn final_frame(model: &ViewModel, width: u16) -> String {
    let chrome = Chrome {
        headless: true,
        lesson: false,
        ..Chrome::default()
    };
    let rows = model.calls.len().min(HEADLESS_ROWS);
    let area = Rect::new(0, 0, width.max(MIN_WIDTH), height_for(model, &chrome, rows));
    let mut buf = Buffer::empty(area);
    render(model, &chrome, Theme { color: false }, area, &mut buf);
    buffer_text(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(25_000.0, 80), 5000.0);
        assert_eq!(tick_step(2_500.0, 80), 500.0);
        assert_eq!(tick_step(1_000.0, 100), 100.0);
    }

    #[test]
    fn wraps_words() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(ellipsize("abcdefgh", 5), "abcd…");
    }
}
