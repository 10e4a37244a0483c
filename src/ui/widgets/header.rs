//! The header: the scenario's name, the speed (a replay: playback and recorded speed apart), the
//! clock; under it the description or an engine error.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::Ctx;
use crate::engine::units::fmt_num;
use crate::report::figures::duration;
use crate::ui::model::Playback;
use crate::ui::text::{ellipsize, width};

/// Draws the header in `area` (one or two rows).
pub fn draw(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let model = ctx.model;
    let theme = ctx.theme;
    let mut right = Vec::new();
    match model.playback {
        Playback::Replay { paused, rate } => {
            right.push(Span::styled(
                if paused { "REPLAY ⏸ " } else { "REPLAY ▶ " },
                theme.notice(),
            ));
            right.push(Span::raw(format!(
                "playback {}× · recorded at speed {}×",
                fmt_num(rate),
                fmt_num(model.speed)
            )));
        }
        Playback::Live => right.push(Span::raw(format!("speed {}×", fmt_num(model.speed)))),
    }
    if !ctx.chrome.headless {
        // A fixed width, so nothing moves as the clock grows.
        right.push(Span::raw(format!("   ⏱ {:>9} ", duration(model.now_ms))));
    }
    let right = Line::from(right);
    let rw = right.width() as u16;
    let room = area.width.saturating_sub(rw + 1) as usize;
    let title = ellipsize(&format!(" fanout · {}", model.title), room);
    buf.set_stringn(area.x, area.y, &title, room, theme.bold());
    let rx = area.x + area.width.saturating_sub(rw);
    right.render(Rect::new(rx, area.y, rw.min(area.width), 1), buf);
    if area.height < 2 {
        return;
    }
    let (text, style) = match (&model.error, &model.description) {
        (Some(e), _) => (format!(" error: {e}"), theme.failed()),
        (None, Some(d)) => (format!(" {d}"), theme.dim()),
        (None, None) => (String::new(), theme.dim()),
    };
    let text = ellipsize(&text, area.width as usize);
    buf.set_stringn(area.x, area.y + 1, &text, width(&text), style);
}
