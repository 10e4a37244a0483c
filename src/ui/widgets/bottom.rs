//! Under the axis: the headline, why a lane is above its bound, the comparison table (when it is
//! not folded into the lane titles), the lesson panel, and the footer.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Padding, Paragraph, Widget};

use super::Ctx;
use crate::report::figures::{duration, percent, saved_text, speedup};
use crate::ui::keys;
use crate::ui::layout::{Arrangement, TABLE_WIDTH, lesson_width, notes};
use crate::ui::text::{ellipsize, width, wrap};

/// Rows the headline and the why lines take.
pub fn notes_height(ctx: &Ctx<'_>, width: u16) -> u16 {
    notes(ctx.model, width).len() as u16
}

/// The headline, then one line per lane above its bound, wrapped, never cut.
pub fn draw_notes(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let theme = ctx.theme;
    for (row, (text, headline)) in notes(ctx.model, area.width).into_iter().enumerate() {
        if row as u16 >= area.height {
            break;
        }
        let style = if headline {
            theme.accent()
        } else {
            theme.dim()
        };
        let w = area.width as usize;
        buf.set_stringn(area.x, area.y + row as u16, format!(" {text}"), w, style);
    }
}

/// The table (if the arrangement has it) and the lesson, in `area`.
pub fn draw_table_and_lesson(ctx: &Ctx<'_>, arr: &Arrangement, area: Rect, buf: &mut Buffer) {
    let lesson_area = if arr.table {
        let [table, lesson] = Layout::horizontal([
            Constraint::Length(TABLE_WIDTH.min(area.width)),
            Constraint::Fill(1),
        ])
        .areas(area);
        draw_table(ctx, table, buf);
        lesson
    } else {
        area
    };
    draw_lesson(ctx, arr.lesson_rows, lesson_area, buf);
}

fn draw_table(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let model = ctx.model;
    let widths = [12usize, 11, 9, 20, 11, 12];
    let row = |cells: [String; 6]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| {
                let c = ellipsize(c, w - 1);
                let pad = w.saturating_sub(width(&c));
                format!("{c}{}", " ".repeat(pad))
            })
            .collect::<String>()
    };
    let mut lines = vec![Line::styled(
        format!(
            " {}",
            row(["lane", "wall", "speedup", "saved", "bound", "efficiency"].map(String::from))
        ),
        ctx.theme.bold(),
    )];
    for (k, lane) in model.lanes.iter().enumerate() {
        let bound = duration(lane.lower_bound_ms);
        let cells = match (lane.time_at(model.now_ms), model.title_figures(k)) {
            (None, _) => ["—", "—", "—", "—"].map(String::from),
            (Some(t), None) => [
                format!("{}…", duration(t)),
                "—".into(),
                "—".into(),
                "—".into(),
            ],
            (Some(_), Some(f)) => [
                duration(f.wall_ms),
                if f.is_baseline {
                    "—".into()
                } else if f.exact {
                    speedup(f.speedup)
                } else {
                    format!("≥ {}", speedup(f.speedup))
                },
                if f.exact {
                    saved_text(f.saved)
                } else {
                    "—".into()
                },
                percent(f.efficiency),
            ],
        };
        let [wall, x, saved, eff] = cells;
        lines.push(Line::raw(format!(
            " {}",
            row([lane.label.to_string(), wall, x, saved, bound, eff])
        )));
    }
    Paragraph::new(lines).render(area, buf);
}

/// The lesson at the run's speed, wrapped to its room; cut lines end in `… (l)`, which opens
/// the whole lesson.
fn draw_lesson(ctx: &Ctx<'_>, rows: usize, area: Rect, buf: &mut Buffer) {
    let Some(text) = ctx.model.lesson_text() else {
        return;
    };
    if rows == 0 || area.width < 12 {
        return;
    }
    let w = lesson_width(area.width);
    let all = wrap(&text, w);
    let rows = rows.min(area.height as usize);
    let mut lines: Vec<String> = all.iter().take(rows).cloned().collect();
    if all.len() > rows
        && let Some(last) = lines.last_mut()
    {
        let keep = w.saturating_sub(6);
        let cut: String = ellipsize(last, keep).trim_end_matches('…').to_string();
        *last = format!("{cut} … (l)");
    }
    let lines: Vec<Line> = lines.into_iter().map(Line::raw).collect();
    Paragraph::new(lines)
        .block(
            Block::new()
                .borders(Borders::LEFT)
                .border_style(ctx.theme.dim())
                .padding(Padding::left(1)),
        )
        .render(area, buf);
}

/// The footer: a notice, or the keys that work here (from the one key table), dropping keys
/// from the middle until the line fits; quit and help always stay.
pub fn draw_footer(ctx: &Ctx<'_>, area: Rect, buf: &mut Buffer) {
    let theme = ctx.theme;
    if let Some(notice) = &ctx.chrome.notice {
        let text = ellipsize(&format!(" {notice}"), area.width as usize);
        buf.set_stringn(area.x, area.y, &text, area.width as usize, theme.notice());
        return;
    }
    let mut shown = keys::footer(ctx.keys());
    // Watch says first which trace is on screen; it stays with quit and help.
    let keep = if let Some(status) = &ctx.chrome.watch {
        shown.insert(0, status);
        3
    } else {
        2
    };
    let line = |shown: &[&str]| format!(" {}", shown.join(" · "));
    while width(&line(&shown)) > area.width as usize && shown.len() > keep {
        shown.remove(shown.len() - 2);
    }
    buf.set_stringn(
        area.x,
        area.y,
        line(&shown),
        area.width as usize,
        theme.dim(),
    );
}
