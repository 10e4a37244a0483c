//! The legend: which swatches the record needs, how they wrap, and each swatch.

use crate::engine::record::{CallStatus, Record};

use super::writer::Svg;
use super::*;

/// Draws the legend's items from `legend_top` down.
pub(super) fn draw(s: &mut Svg, legend: &[(Swatch, &str)], legend_top: f64) {
    for ((row, lx), (kind, label)) in legend_layout(legend).into_iter().zip(legend) {
        let ly = legend_top + row as f64 * 20.0;
        draw_swatch(s, *kind, PAD + lx, ly - 10.0);
        s.text(
            PAD + lx + 22.0,
            ly,
            &format!(r#"font-size="11" fill="{MUTED}""#),
            label,
        );
    }
}

/// What the legend explains.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    Ok,
    Error,
    FailedAttempt,
    Backoff,
    Wait,
    Cancelled,
    Skipped,
    InFlight,
    Wall,
}

/// The legend's items: the ones the record shows, and always ok, in flight and wall.
pub(super) fn legend_items(record: &Record) -> Vec<(Swatch, &'static str)> {
    let calls = || record.lanes.iter().flat_map(|l| &l.calls);
    let any = |s: CallStatus| calls().any(|c| c.status == s);
    let retried = calls().any(|c| !c.attempts().is_empty());
    let waited = calls().any(|c| c.wait_ms().is_some_and(|w| w > 0.0));
    let failed_attempts = calls().any(|c| c.attempts().iter().any(|a| a.error.is_some()));
    let shown = |kind: &Swatch| match kind {
        Swatch::Error => any(CallStatus::Error),
        Swatch::FailedAttempt => failed_attempts,
        Swatch::Backoff => retried,
        Swatch::Wait => waited,
        Swatch::Cancelled => any(CallStatus::Cancelled),
        Swatch::Skipped => any(CallStatus::Skipped),
        Swatch::Ok | Swatch::InFlight | Swatch::Wall => true,
    };
    let all = vec![
        (Swatch::Ok, "ok ✓"),
        (Swatch::Error, "error ✗ (hover for the message)"),
        (Swatch::FailedAttempt, "failed attempt, retried"),
        (Swatch::Backoff, "backoff between attempts"),
        (Swatch::Wait, "waiting for a rate-limit token"),
        (Swatch::Cancelled, "cancelled"),
        (Swatch::Skipped, "skipped (a dependency failed)"),
        (Swatch::InFlight, "calls in flight"),
        (Swatch::Wall, "lane's wall"),
    ];
    all.into_iter().filter(|(k, _)| shown(k)).collect()
}

/// Each legend item's row and x offset, wrapping at the picture's width.
pub(super) fn legend_layout(items: &[(Swatch, &str)]) -> Vec<(usize, f64)> {
    let mut out = Vec::new();
    let (mut row, mut lx) = (0, 0.0);
    for (_, label) in items {
        let w = 22.0 + label.chars().count() as f64 * SANS_11 + 18.0;
        if lx > 0.0 && lx + w > WIDTH - 2.0 * PAD {
            row += 1;
            lx = 0.0;
        }
        out.push((row, lx));
        lx += w;
    }
    out
}

fn draw_swatch(s: &mut Svg, kind: Swatch, sx: f64, sy: f64) {
    let (w, h) = (16.0, 10.0);
    match kind {
        Swatch::Ok => s.rect(sx, sy, w, h, &format!(r#"fill="{OK}" rx="1.5""#), None),
        Swatch::Error => s.rect(sx, sy, w, h, &format!(r#"fill="{ERROR}" rx="1.5""#), None),
        Swatch::FailedAttempt => s.rect(
            sx,
            sy,
            w,
            h,
            &format!(r#"fill="{FAILED_ATTEMPT}" stroke="{ERROR}" stroke-width="1" rx="1.5""#),
            None,
        ),
        Swatch::Backoff => s.line(
            sx,
            sy + h / 2.0,
            sx + w,
            sy + h / 2.0,
            &format!(r#"stroke="{GREY}" stroke-width="1.5" stroke-dasharray="2,2""#),
        ),
        Swatch::Wait => s.rect(
            sx,
            sy + h / 2.0 - 2.0,
            w,
            4.0,
            &format!(r#"fill="{WAIT}" fill-opacity="0.7""#),
            None,
        ),
        Swatch::Cancelled => s.rect(
            sx,
            sy,
            w,
            h,
            &format!(r#"fill="url(#hatch)" stroke="{GREY}" stroke-width="1""#),
            None,
        ),
        Swatch::Skipped => s.text(
            sx + 2.0,
            sy + h,
            &format!(r#"font-size="12" fill="{GREY}""#),
            "⊘",
        ),
        Swatch::InFlight => s.rect(
            sx,
            sy + 3.0,
            w,
            h - 3.0,
            &format!(r#"fill="{IN_FLIGHT}" fill-opacity="0.75""#),
            None,
        ),
        Swatch::Wall => s.line(
            sx + w / 2.0,
            sy - 2.0,
            sx + w / 2.0,
            sy + h + 2.0,
            &format!(r#"stroke="{TEXT}" stroke-dasharray="3,3" opacity="0.6""#),
        ),
    }
}
