//! A lane's "in flight" strip: how many calls run at each moment, on one scale for every lane.

use ratatui::buffer::Buffer;

use super::Ctx;
use super::lane::Geometry;

/// Concurrency levels, bottom-aligned.
const LEVELS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// The "in flight" strip, on one scale (`peak`) for every lane so their heights compare; `◇`
/// where an exact clock would finish the lane; the count now, or the exact peak once done.
pub(super) fn draw_strip(
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
