//! What opens over the screen: the help (every key that works here and every mark, in full), the
//! whole lesson, the scenario picker, and the too-small notice. Overlays wrap their text and
//! scroll; they never cut a line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::Ctx;
use crate::report::sweep::{Family, Sweep};
use crate::ui::chrome::{OverlayKind, Picker};
use crate::ui::keys;
use crate::ui::model::Playback;
use crate::ui::text::{ellipsize, width, wrap};
use crate::ui::theme::Theme;
use crate::ui::tour::{Phase, STEPS, TourView};

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
        OverlayKind::Sweep => Vec::new(),
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
            for b in keys::help_bindings(ctx.keys()) {
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
    if kind == OverlayKind::Sweep {
        if let Some(sweep) = &ctx.chrome.sweep {
            draw_sweep(sweep, ctx.theme, area, buf);
        }
        return;
    }
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
        (OverlayKind::Sweep, _) => "",
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
        .block(Block::bordered().title(picker.title.as_str()))
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

/// The worker sweep of the batch on screen: wall against N for `pool:N` and `pool:N:cp`, with
/// sequential and parallel as reference lines and the knee named.
fn draw_sweep(sweep: &Sweep, theme: Theme, area: Rect, buf: &mut Buffer) {
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(96),
        area.height.saturating_sub(2).min(26),
    );
    Clear.render(rect, buf);
    let secs = |ms: f64| ms / 1000.0;
    let curves: Vec<(Family, Vec<(f64, f64)>)> = [Family::Pool, Family::PoolCp]
        .into_iter()
        .map(|f| {
            let pts = sweep
                .curve(f)
                .map(|p| (p.workers as f64, secs(p.wall_ms)))
                .collect();
            (f, pts)
        })
        .collect();
    let n1 = sweep
        .points
        .iter()
        .map(|p| p.workers)
        .max()
        .unwrap_or(1)
        .max(2) as f64;
    let top = secs(sweep.sequential_ms).max(1e-9) * 1.05;
    let seq = [
        (1.0, secs(sweep.sequential_ms)),
        (n1, secs(sweep.sequential_ms)),
    ];
    let par = [
        (1.0, secs(sweep.parallel_ms)),
        (n1, secs(sweep.parallel_ms)),
    ];
    let styles = [theme.accent(), theme.failed()];
    let mut datasets: Vec<Dataset> = curves
        .iter()
        .zip(styles)
        .map(|((f, pts), style)| {
            Dataset::default()
                .name(f.name())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(style)
                .data(pts)
        })
        .collect();
    // The two flat reference lines: sequential and parallel walls across the whole x range.
    for (label, ms, style, pts) in [
        ("sequential", sweep.sequential_ms, theme.dim(), &seq),
        ("parallel", sweep.parallel_ms, theme.done(), &par),
    ] {
        datasets.push(
            Dataset::default()
                .name(format!("{label} {}", crate::report::figures::duration(ms)))
                .marker(Marker::Dot)
                .graph_type(GraphType::Line)
                .style(style)
                .data(pts),
        );
    }
    let knees: Vec<String> = [Family::Pool, Family::PoolCp]
        .into_iter()
        .filter_map(|f| sweep.knees.iter().find(|k| k.strategy == f))
        .map(|k| format!("{} knee N = {}", k.strategy.name(), k.workers))
        .collect();
    let title = format!(
        " workers sweep (virtual clock) · {} · any key closes ",
        knees.join(" · ")
    );
    let x_labels: Vec<Line> = [
        "1".to_string(),
        format!("{}", (n1 / 2.0).round()),
        format!("{n1}"),
    ]
    .into_iter()
    .map(Line::raw)
    .collect();
    let y_labels: Vec<Line> = [
        "0 s".to_string(),
        format!("{:.1} s", top / 2.0),
        format!("{top:.1} s"),
    ]
    .into_iter()
    .map(Line::raw)
    .collect();
    Chart::new(datasets)
        .block(Block::bordered().title(title))
        .x_axis(
            Axis::default()
                .title("workers N")
                .bounds([1.0, n1])
                .labels(x_labels),
        )
        .y_axis(
            Axis::default()
                .title("wall")
                .bounds([0.0, top])
                .labels(y_labels),
        )
        .render(rect, buf);
}

/// The tour's card (a step's title and question, or the whole tour at its end) over the whole
/// screen, or its headline box over the finished race.
pub fn draw_tour(ctx: &Ctx<'_>, tour: &TourView, area: Rect, buf: &mut Buffer) {
    let theme = ctx.theme;
    let step = tour.current();
    let n = STEPS.len();
    match tour.phase {
        Phase::Race => {}
        Phase::Card => {
            Clear.render(area, buf);
            let w = area.width.saturating_sub(8).min(80);
            let mut lines = vec![
                Line::styled(format!("step {} of {n}", tour.step + 1), theme.dim()),
                Line::raw(""),
                Line::styled(step.title.to_string(), theme.accent()),
                Line::raw(""),
            ];
            lines.extend(
                wrap(step.question, w.saturating_sub(4) as usize)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.bold())),
            );
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "built-in {} · speed {}×",
                    step.scenario,
                    crate::engine::units::fmt_num(ctx.chrome.next_speed)
                ),
                theme.dim(),
            ));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "space runs it · ← back · q quits",
                theme.dim(),
            ));
            let h = (lines.len() as u16 + 2).min(area.height);
            let rect = centered(area, w, h);
            Paragraph::new(lines)
                .centered()
                .block(Block::bordered().title(" fanout tour "))
                .render(rect, buf);
        }
        Phase::Headline => {
            let w = area.width.saturating_sub(8).min(90);
            let inner = w.saturating_sub(4) as usize;
            let big = tour.results[tour.step].clone().unwrap_or_default();
            let mut lines: Vec<Line> = wrap(&big, inner)
                .into_iter()
                .map(|l| Line::styled(l, theme.accent()))
                .collect();
            lines.push(Line::raw(""));
            lines.extend(wrap(step.takeaway, inner).into_iter().map(Line::raw));
            lines.push(Line::raw(""));
            let next = if tour.step + 1 < n {
                "space: next step"
            } else {
                "space: the whole tour"
            };
            lines.push(Line::styled(
                format!("{next} · ← this step's card · q quits"),
                theme.dim(),
            ));
            let h = (lines.len() as u16 + 2).min(area.height);
            // Low on the screen, so the race stays in view above it.
            let rect = Rect::new(
                area.x + (area.width.saturating_sub(w)) / 2,
                area.y + area.height.saturating_sub(h + 1),
                w.min(area.width),
                h,
            );
            Clear.render(rect, buf);
            Paragraph::new(lines)
                .centered()
                .block(Block::bordered().title(format!(
                    " {} · step {} of {n} ",
                    step.title,
                    tour.step + 1
                )))
                .render(rect, buf);
        }
        Phase::End => {
            Clear.render(area, buf);
            let mut lines = vec![
                Line::styled("the whole tour", theme.accent()),
                Line::raw(""),
            ];
            for (i, (s, r)) in STEPS.iter().zip(&tour.results).enumerate() {
                let r = r.as_deref().unwrap_or("(not raced)");
                let text = ellipsize(
                    &format!("{:>2}. {} — {r}", i + 1, s.title),
                    area.width.saturating_sub(6) as usize,
                );
                lines.push(Line::raw(text));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "space or q: quit and print this table",
                theme.dim(),
            ));
            let h = (lines.len() as u16 + 2).min(area.height);
            let rect = centered(area, area.width.saturating_sub(2), h);
            Paragraph::new(lines)
                .block(Block::bordered().title(" fanout tour "))
                .render(rect, buf);
        }
    }
}
