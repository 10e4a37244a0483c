//! The time axis: a nice step and the labelled ticks.

/// The smallest 1, 2 or 5 × 10ⁿ step that cuts `span` into at most `most` intervals: the one
/// rule of the SVG's axis and the live view's (`ui::widgets::axis::tick_step`).
pub fn nice_step(span: f64, most: f64) -> f64 {
    let raw = (span / most).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|&s| span / s <= most + 1e-9)
        .unwrap_or(10.0 * mag)
}

/// The time axis: its end (a whole number of steps) and labelled ticks.
pub fn ticks(max_ms: f64) -> (f64, Vec<(f64, String)>) {
    let span = if max_ms > 0.0 { max_ms } else { 1.0 };
    let step = nice_step(span, 10.0);
    let n = (span / step - 1e-9).ceil().max(1.0) as usize;
    let end = n as f64 * step;
    let seconds = end >= 1000.0;
    let ticks = (0..=n)
        .map(|i| {
            let t = i as f64 * step;
            (t, tick_label(t, step, seconds))
        })
        .collect();
    (end, ticks)
}

/// The label of the tick at `t_ms` on an axis whose ticks are `step_ms` apart, in seconds or in
/// milliseconds, with as many decimals as the step needs (`0.5 s`, `250 ms`, `0.25 ms`): the one
/// rule of the SVG's axis and the live view's.
pub fn tick_label(t_ms: f64, step_ms: f64, seconds: bool) -> String {
    let unit_step = if seconds { step_ms / 1000.0 } else { step_ms };
    let decimals = if unit_step >= 1.0 {
        0
    } else {
        (-unit_step.log10() - 1e-9).ceil() as usize
    };
    if seconds {
        format!("{:.*} s", decimals, t_ms / 1000.0)
    } else {
        format!("{t_ms:.decimals$} ms")
    }
}
