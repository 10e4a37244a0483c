//! A record as a standalone SVG Gantt chart: every lane on one shared time axis, one row per
//! call, an in-flight strip under each lane, the comparison table and a legend. For a browser,
//! a bug report or a slide. The layout and the palette live here; each part is drawn by its own
//! module, all through one writer (`writer`), which the sweep chart uses too.

mod axis;
mod lanes;
mod legend;
mod table;
mod writer;

use std::fmt::Write as _;

use crate::engine::options::Clock;
use crate::engine::options::Mode;
use crate::engine::queries::{in_flight_steps, skipped_at};
use crate::engine::record::Record;
use crate::engine::units::fmt_num;
use crate::text::ellipsize;

use super::{duration, verdict};
pub use axis::{nice_step, tick_label, ticks};
use lanes::lane_height;
use legend::{legend_items, legend_layout};
use writer::Svg;
pub use writer::{escape, open_tag};

/// The picture's width in pixels.
pub const WIDTH: f64 = 1000.0;
/// At most this many calls are drawn per lane; a "+K more" line stands for the rest.
pub const MAX_ROWS: usize = 60;

const PAD: f64 = 20.0;
/// Where the time axis starts and ends.
const X0: f64 = 190.0;
const X1: f64 = 930.0;
/// The right edge of any text.
const TEXT_RIGHT: f64 = WIDTH - PAD;
const LANE_GAP: f64 = 12.0;
/// Estimated advance of a character: 12 px monospace, and 11 px sans-serif on average.
const MONO_12: f64 = 7.3;
const SANS_11: f64 = 6.4;
/// The id column holds this many characters.
const ID_CHARS: usize = ((X0 - PAD - 14.0) / MONO_12) as usize;

const OK: &str = "#2f9e44";
const ERROR: &str = "#d6336c";
const FAILED_ATTEMPT: &str = "#f4a3b8";
const WAIT: &str = "#9775fa";
const GREY: &str = "#868e96";
const TEXT: &str = "#212529";
const MUTED: &str = "#5c636a";
const IN_FLIGHT: &str = "#4c6ef5";
const GRID: &str = "#dee2e6";
const LANE_BG: &str = "#f8f9fa";

/// The latest moment anything in the record happens.
fn latest(record: &Record) -> f64 {
    let mut t: f64 = 0.0;
    for lane in &record.lanes {
        t = t.max(lane.wall_ms);
        for c in &lane.calls {
            t = t.max(c.end_ms.unwrap_or(0.0));
            for a in c.attempts() {
                t = t.max(a.end_ms);
            }
        }
        for at in skipped_at(record, lane).into_iter().flatten() {
            t = t.max(at);
        }
    }
    t
}

/// The record as a standalone SVG document.
pub fn svg(record: &Record) -> String {
    let (axis_end, ticks) = ticks(latest(record));
    let x = |t: f64| X0 + (t / axis_end).clamp(0.0, 1.0) * (X1 - X0);
    let steps: Vec<Vec<(f64, usize)>> = record.lanes.iter().map(in_flight_steps).collect();
    let peak_all = steps
        .iter()
        .flat_map(|s| s.iter().map(|&(_, n)| n))
        .max()
        .unwrap_or(0)
        .max(1);

    // Layout, top to bottom.
    let title_y = PAD + 16.0;
    let subtitle_y = title_y + 22.0;
    let description = record.scenario.description.as_deref().unwrap_or("");
    let description_y = subtitle_y + 18.0;
    let axis_y = if description.is_empty() {
        subtitle_y + 28.0
    } else {
        description_y + 28.0
    };
    let lanes_top = axis_y + 12.0;
    let mut lane_tops = Vec::new();
    let mut y = lanes_top;
    for lane in &record.lanes {
        lane_tops.push(y);
        y += lane_height(lane) + LANE_GAP;
    }
    let lanes_bottom = y - LANE_GAP;
    let bottom_axis_y = lanes_bottom + 18.0;
    let table_top = bottom_axis_y + 46.0;
    let table_rows = record.lanes.len() as f64;
    let verdict = verdict(record);
    let table_bottom =
        table_top + 20.0 + table_rows * 18.0 + if verdict.is_some() { 24.0 } else { 0.0 };
    let legend_top = table_bottom + 18.0;
    let legend = legend_items(record);
    let legend_rows = legend_layout(&legend).last().map_or(1, |&(row, _)| row + 1);
    let height = (legend_top + legend_rows as f64 * 20.0 + PAD).ceil();

    let mut s = Svg { out: String::new() };
    let _ = writeln!(
        s.out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        open_tag(WIDTH, height, &format!(r#" fill="{TEXT}""#))
    );
    let _ = writeln!(
        s.out,
        r##"<defs>
<pattern id="hatch" patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#f1f3f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="{GREY}" stroke-width="2"/></pattern>
</defs>"##
    );
    s.rect(0.0, 0.0, WIDTH, height, r#"fill="white""#, None);

    // Title.
    s.text(
        PAD,
        title_y,
        r#"font-size="20" font-weight="bold""#,
        &ellipsize(&record.scenario.name, 80),
    );
    let clock = match record.clock {
        Clock::Real => "real clock (measured)",
        Clock::Virtual => "virtual clock (exact)",
    };
    let mode = match record.mode {
        Mode::Race => "lanes raced",
        Mode::OneAtATime => "lanes one at a time",
    };
    let mut subtitle = format!(
        "speed {}× · {clock} · {mode} · {} calls · sum of work {} · critical path {}",
        fmt_num(record.speed),
        record.scenario.calls.len(),
        duration(record.bounds.sum_ms),
        duration(record.bounds.critical_path_ms),
    );
    if record.runs.len() > 1 {
        let _ = write!(subtitle, " · run 1 of {}", record.runs.len());
    }
    s.text(
        PAD,
        subtitle_y,
        &format!(r#"font-size="13" fill="{MUTED}""#),
        &subtitle,
    );
    if !description.is_empty() {
        s.text(
            PAD,
            description_y,
            &format!(r#"font-size="12" font-style="italic" fill="{MUTED}""#),
            &ellipsize(description, 150),
        );
    }

    // Lane backgrounds, then the grid over them, then the bars.
    for (lane, &top) in record.lanes.iter().zip(&lane_tops) {
        s.rect(
            PAD,
            top,
            WIDTH - 2.0 * PAD,
            lane_height(lane),
            &format!(r#"fill="{LANE_BG}" stroke="{GRID}" rx="4""#),
            None,
        );
    }
    for (t, label) in &ticks {
        let tx = x(*t);
        s.line(
            tx,
            axis_y + 4.0,
            tx,
            lanes_bottom + 4.0,
            &format!(r#"stroke="{GRID}" stroke-width="1""#),
        );
        for ly in [axis_y, bottom_axis_y] {
            s.text(
                tx,
                ly,
                &format!(r#"font-size="11" text-anchor="middle" fill="{MUTED}""#),
                label,
            );
        }
    }
    s.text(
        (X0 + X1) / 2.0,
        bottom_axis_y + 16.0,
        &format!(r#"font-size="11" text-anchor="middle" fill="{MUTED}""#),
        "time since each lane started (one axis for every lane)",
    );

    let figures = super::figures::lanes(record);
    for (k, (lane, &top)) in record.lanes.iter().zip(&lane_tops).enumerate() {
        lanes::draw_lane(
            &mut s,
            record,
            lane,
            &figures[k],
            &steps[k],
            peak_all,
            top,
            &x,
        );
    }

    table::draw(&mut s, record, &figures, table_top, verdict.as_deref());
    legend::draw(&mut s, &legend, legend_top);

    s.out.push_str("</svg>\n");
    s.out
}
