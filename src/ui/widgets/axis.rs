//! The shared time axis under the lanes, with round ticks. Total: a non-finite or absurd axis
//! draws no ticks rather than looping.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::lane::Geometry;
use crate::report::svg::tick_label;
use crate::ui::text::width;
use crate::ui::theme::Theme;

/// Draws the axis row (the lanes' bottom border) in `area`.
pub fn draw(geo: &Geometry, area: Rect, theme: Theme, buf: &mut Buffer) {
    let y = area.y;
    let last = area.x + area.width - 1;
    buf.set_string(area.x, y, "└", Style::new());
    for x in area.x + 1..last {
        buf.set_string(x, y, "─", Style::new());
    }
    buf.set_string(last, y, "┘", Style::new());
    let Some(step) = tick_step(geo.axis_ms, geo.bar_w) else {
        return;
    };
    let mut next_free = area.x + 1;
    // At most one tick per cell: the loop is bounded whatever the scale.
    for n in 0..=u32::from(geo.bar_w) {
        let t = f64::from(n) * step;
        if t > geo.axis_ms + 1e-9 {
            break;
        }
        let label = format!(" {} ", tick_label(t, step, geo.axis_ms >= 1000.0));
        let w = width(&label) as u16;
        let center = geo.bar_x + geo.cells(t).round() as u16;
        let x = center.saturating_sub(w / 2).max(next_free);
        if x + w < last {
            buf.set_string(x, y, &label, theme.dim());
            next_free = x + w + 1;
        }
    }
}

/// A round tick interval (1, 2 or 5 × 10^k ms) leaving about ten cells per label; `None` for an
/// axis that is not a positive finite span.
pub fn tick_step(axis_ms: f64, width: u16) -> Option<f64> {
    if !(axis_ms.is_finite() && axis_ms > 0.0) {
        return None;
    }
    let max_ticks = (f64::from(width) / 10.0).max(1.0);
    Some(crate::report::svg::nice_step(axis_ms, max_ticks)).filter(|s| s.is_finite() && *s > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_have_the_decimals_their_step_needs() {
        assert_eq!(tick_label(2_000.0, 1_000.0, true), "2 s");
        assert_eq!(tick_label(1_500.0, 500.0, true), "1.5 s");
        assert_eq!(tick_label(1_050.0, 50.0, true), "1.05 s");
        assert_eq!(tick_label(250.0, 250.0, false), "250 ms");
        assert_eq!(tick_label(0.5, 0.5, false), "0.5 ms");
    }

    #[test]
    fn ticks_are_round_and_total() {
        assert_eq!(tick_step(25_000.0, 80), Some(5000.0));
        assert_eq!(tick_step(2_500.0, 80), Some(500.0));
        assert_eq!(tick_step(1_000.0, 100), Some(100.0));
        assert_eq!(tick_step(f64::INFINITY, 100), None);
        assert_eq!(tick_step(f64::NAN, 100), None);
        assert_eq!(tick_step(0.0, 100), None);
        assert!(tick_step(1e300, 100).is_some());
    }
}
