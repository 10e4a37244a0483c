//! Drawing: a pure function of the view model, the chrome and the theme. The rows are shared out
//! by [`arrange`] from the terminal's size; the widgets in [`super::widgets`] draw each part.
//!
//! Every lane shares one time axis, so the parallel lane's short bars sit under the sequential
//! lane's staircase. Bars end with eighth blocks, so a short call is never rounded away.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::chrome::Chrome;
use super::layout::{Arrangement, arrange};
use super::model::ViewModel;
use super::theme::Theme;
use super::widgets::lane::Geometry;
use super::widgets::{Ctx, axis, bottom, header, lane, overlay};

/// The narrowest terminal fanout draws in.
pub const MIN_WIDTH: u16 = 60;

/// Calls a headless frame shows per lane before it picks what matters.
pub const HEADLESS_ROWS: usize = 40;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, model: &ViewModel, chrome: &Chrome, theme: Theme) {
    let area = frame.area();
    render(model, chrome, theme, area, frame.buffer_mut());
}

/// The height a headless frame needs to show every lane with `rows` call rows each.
pub fn height_for(model: &ViewModel, rows: usize) -> u16 {
    let n = model.lanes.len();
    (3 + n * (rows + 2) + model.turn_rows()) as u16
}

/// Renders the screen into a buffer.
pub fn render(model: &ViewModel, chrome: &Chrome, theme: Theme, area: Rect, buf: &mut Buffer) {
    let ctx = Ctx {
        model,
        chrome,
        theme,
    };
    let arr = (area.width >= MIN_WIDTH)
        .then(|| arrange(model, chrome, area.width, area.height))
        .flatten();
    let Some(arr) = arr else {
        let need = 5 + model.lanes.len().max(1) * 2;
        overlay::too_small(area, buf, theme, MIN_WIDTH, need as u16);
        return;
    };
    let mut y = area.y;
    let header_h = 1 + u16::from(arr.desc || model.error.is_some());
    header::draw(&ctx, Rect::new(area.x, y, area.width, header_h), buf);
    y += header_h;

    let lane_h = |k: usize| arr.lane_height(model.turn_row(k)) as u16;
    let lanes_h: u16 = (0..model.lanes.len()).map(lane_h).sum();
    let lanes_area = Rect::new(area.x, y, area.width, lanes_h);
    let geo = Geometry::new(model, lanes_area, arr.pair);
    let peak = if arr.strip {
        (0..model.lanes.len())
            .map(|k| {
                model
                    .flight_counts(k, geo.bar_w as usize, geo.axis_ms)
                    .into_iter()
                    .fold(0.0, f64::max)
            })
            .fold(0.0, f64::max)
    } else {
        0.0
    };
    for k in 0..model.lanes.len() {
        let lane_area = Rect::new(area.x, y, area.width, lane_h(k));
        lane::draw(&ctx, k, lane_area, &geo, &arr, peak, buf);
        y += lane_h(k);
    }
    axis::draw(&geo, Rect::new(area.x, y, area.width, 1), theme, buf);
    y += 1;
    if chrome.headless {
        return;
    }
    let bottom_end = area.y + area.height - 1;
    let notes_h = bottom::notes_height(&ctx, area.width).min(bottom_end.saturating_sub(y));
    bottom::draw_notes(&ctx, Rect::new(area.x, y, area.width, notes_h), buf);
    y += notes_h;
    let rest = bottom_end.saturating_sub(y);
    bottom::draw_table_and_lesson(&ctx, &arr, Rect::new(area.x, y, area.width, rest), buf);
    bottom::draw_footer(&ctx, Rect::new(area.x, bottom_end, area.width, 1), buf);
    if let Some(picker) = &chrome.picker {
        overlay::draw_picker(picker, theme, area, buf);
    }
    if let Some(tour) = &chrome.tour {
        overlay::draw_tour(&ctx, tour, area, buf);
    }
    if let Some(o) = chrome.overlay {
        overlay::draw(&ctx, o.kind, o.scroll, area, buf);
    }
}

/// The arrangement the screen uses at this size (for tests and tools).
pub fn arrangement(
    model: &ViewModel,
    chrome: &Chrome,
    width: u16,
    height: u16,
) -> Option<Arrangement> {
    arrange(model, chrome, width, height)
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
        critical: false,
        ..Chrome::default()
    };
    let rows = model.call_count.min(HEADLESS_ROWS);
    let area = Rect::new(0, 0, width.max(MIN_WIDTH), height_for(model, rows));
    let mut buf = Buffer::empty(area);
    render(model, &chrome, Theme { color: false }, area, &mut buf);
    buffer_text(&buf)
}
