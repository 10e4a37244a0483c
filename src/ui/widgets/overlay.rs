//! What opens over the screen: the help (every key that works here and every mark, in full), the
//! whole lesson, the scenario picker, and the too-small notice. Overlays wrap their text and
//! scroll; they never cut a line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::Ctx;
use crate::ui::chrome::{OverlayKind, Picker};
use crate::ui::keys;
use crate::ui::model::Playback;
use crate::ui::text::{ellipsize, width, wrap};
use crate::ui::theme::Theme;

/// What every mark on screen means, in full.
pub const LEGEND: &[&str] = &[
    "█ a call's bar on the shared time axis: ✓ done; red with ✗ and its message, failed; ⊘ skipped because a call it depends on failed; ⊗ cancelled by on_error: cancel.",
    "· a waiting call, and why: waits for its dependencies, queued (one at a time, or the pool is full), next wave.",
    "▀ ▄ when rows are short two calls share a row: ▀ the upper (first) call, ▄ the lower, █ both; their end marks follow, upper first.",
    "░ time spent waiting for a rate-limit token. Red segments before a bar: attempts that failed and were retried.",
    "┊ now, in a running lane. * a call on the critical path, the chain no schedule can shorten (c toggles it).",
    "in flight: how many calls run at each moment (the average over a cell), on one scale for every lane; then the exact peak.",
    "◇ where an exact clock (the virtual clock) would finish the lane: the gap to the strip's end is fanout's own overhead.",
    "bound: what no run of the lane's strategy can beat; % is bound ÷ wall. saved: time and share saved against the baseline (recorded, else sequential, else the sum of work). Lessons state speed-1 times; at another speed the screen's figure follows in brackets.",
];

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The lines of an overlay at inner width `w`.
pub fn lines(ctx: &Ctx<'_>, kind: OverlayKind, w: usize) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    match kind {
        OverlayKind::Lesson => {
            let text = ctx
                .model
                .lesson_text()
                .unwrap_or_else(|| "This scenario has no lesson.".into());
            wrap(&text, w.saturating_sub(1))
                .into_iter()
                .map(|l| Line::raw(format!(" {l}")))
                .collect()
        }
        OverlayKind::Help => {
            let replay = matches!(ctx.model.playback, Playback::Replay { .. });
            let key_w = 16;
            let mut out = Vec::new();
            for b in keys::bindings(replay) {
                let help = wrap(b.help, w.saturating_sub(key_w + 2));
                for (i, h) in help.into_iter().enumerate() {
                    let k = if i == 0 { b.keys } else { "" };
                    let pad = key_w.saturating_sub(width(k));
                    out.push(Line::from(vec![
                        Span::styled(format!(" {k}{}", " ".repeat(pad)), theme.bold()),
                        Span::raw(h),
                    ]));
                }
            }
            out.push(Line::raw(""));
            let mut legend: Vec<&str> = LEGEND.to_vec();
            if replay {
                legend.push("A replay draws the recorded timings; nothing re-runs.");
            }
            for item in legend {
                for l in wrap(item, w.saturating_sub(2)) {
                    out.push(Line::styled(format!(" {l}"), theme.dim()));
                }
            }
            out
        }
    }
}

/// Draws the open overlay, scrolled to `scroll` (clamped to its end).
pub fn draw(ctx: &Ctx<'_>, kind: OverlayKind, scroll: usize, area: Rect, buf: &mut Buffer) {
    let w = area.width.saturating_sub(4).min(96);
    let inner = w.saturating_sub(2) as usize;
    let all = lines(ctx, kind, inner);
    let h = (all.len() as u16 + 2)
        .min(area.height.saturating_sub(1))
        .max(3);
    let rows = h.saturating_sub(2) as usize;
    let first = scroll.min(all.len().saturating_sub(rows));
    let more = all.len() > rows;
    let title = match (kind, more) {
        (OverlayKind::Help, true) => " keys · ↑/↓ scroll · any other key closes ",
        (OverlayKind::Help, false) => " keys · any key closes ",
        (OverlayKind::Lesson, true) => " lesson · ↑/↓ scroll · any other key closes ",
        (OverlayKind::Lesson, false) => " lesson · any key closes ",
    };
    let rect = centered(area, w, h);
    Clear.render(rect, buf);
    let shown: Vec<Line> = all.into_iter().skip(first).take(rows).collect();
    let mut block = Block::bordered().title(title);
    if more {
        block = block.title_bottom(format!(" {}–{} ", first + 1, first + shown.len()));
    }
    Paragraph::new(shown).block(block).render(rect, buf);
}

/// The scenario picker.
pub fn draw_picker(picker: &Picker, theme: Theme, area: Rect, buf: &mut Buffer) {
    let h = (picker.entries.len() as u16 + 2).min(area.height.saturating_sub(2));
    let rect = centered(area, 76, h);
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
                Line::styled(text, theme.bold().add_modifier(Modifier::REVERSED))
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

/// The screen when not even one row per lane fits.
pub fn too_small(area: Rect, buf: &mut Buffer, theme: Theme, min_w: u16, need_h: u16) {
    let text = vec![
        Line::styled("terminal too small", theme.bold()),
        Line::raw(format!(
            "{}×{} here; fanout needs at least {}×{}",
            area.width,
            area.height,
            min_w,
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
