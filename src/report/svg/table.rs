//! The comparison table under the lanes.

use crate::engine::record::Record;
use crate::report::figures::{LaneFigures, saved_text};
use crate::report::{duration, outcome_counts, percent, speedup};
use crate::text::ellipsize;

use super::writer::Svg;
use super::{GRID, PAD, WIDTH};

/// Draws the table's header, a row per lane and the verdict under them.
pub(super) fn draw(
    s: &mut Svg,
    record: &Record,
    figures: &[LaneFigures],
    table_top: f64,
    verdict: Option<&str>,
) {
    let table_rows = record.lanes.len() as f64;
    let cols: [(&str, f64, &str); 7] = [
        ("lane", PAD + 6.0, "start"),
        ("wall", 300.0, "end"),
        ("speedup", 380.0, "end"),
        ("saved", 530.0, "end"),
        ("lower bound", 630.0, "end"),
        ("efficiency", 720.0, "end"),
        ("calls", 745.0, "start"),
    ];
    for (name, cx, anchor) in cols {
        s.text(
            cx,
            table_top,
            &format!(r#"font-weight="bold" text-anchor="{anchor}""#),
            name,
        );
    }
    s.line(
        PAD,
        table_top + 6.0,
        WIDTH - PAD,
        table_top + 6.0,
        &format!(r#"stroke="{GRID}""#),
    );
    for (k, (lane, f)) in record.lanes.iter().zip(figures).enumerate() {
        let ry = table_top + 22.0 + k as f64 * 18.0;
        let cells = [
            ellipsize(&lane.strategy.to_string(), 20),
            duration(f.wall.mean),
            speedup(f.speedup.0),
            saved_text(f.saved),
            duration(f.lower_bound_ms),
            percent(f.efficiency),
            outcome_counts(lane),
        ];
        for ((_, cx, anchor), cell) in cols.iter().zip(&cells) {
            let font = if *cx == PAD + 6.0 {
                r#" font-family="monospace""#
            } else {
                ""
            };
            s.text(*cx, ry, &format!(r#"text-anchor="{anchor}"{font}"#), cell);
        }
    }
    if let Some(v) = verdict {
        s.text(
            PAD + 6.0,
            table_top + 22.0 + table_rows * 18.0 + 10.0,
            r#"font-size="13" font-weight="bold""#,
            v,
        );
    }
}
