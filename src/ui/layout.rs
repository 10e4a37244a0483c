//! How the screen's rows are shared out, from the terminal's size: the most spacious arrangement
//! that shows every call of every lane, else the one that shows the most. A pure function of the
//! view model, the chrome and the size.

use super::chrome::Chrome;
use super::model::ViewModel;
use super::text::wrap;

/// Width of the comparison table (when it is not folded into the lane titles).
pub const TABLE_WIDTH: u16 = 76;
/// The narrowest the lesson may be beside the table.
const LESSON_BESIDE: u16 = 30;

/// Where everything goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrangement {
    /// The description line under the title.
    pub desc: bool,
    /// Two calls per text row (`▀` upper, `▄` lower, `█` both).
    pub pair: bool,
    /// Each lane's "in flight" strip.
    pub strip: bool,
    /// The comparison table under the axis (else its figures are only in the lane titles).
    pub table: bool,
    /// Text rows of calls per lane (a lane's `model` row comes on top).
    pub rows: usize,
    /// Rows of the lesson panel.
    pub lesson_rows: usize,
    /// Whether every call fits.
    pub all: bool,
}

impl Arrangement {
    /// Calls a lane shows.
    pub fn capacity(&self) -> usize {
        self.rows * if self.pair { 2 } else { 1 }
    }

    /// Rows a lane takes: its title, its `model` row if it has one, its calls, its strip.
    pub fn lane_height(&self, turn_row: bool) -> usize {
        1 + usize::from(turn_row) + self.rows + usize::from(self.strip)
    }
}

/// Lines under the axis that explain a lane above its bound.
pub fn why_lines(model: &ViewModel) -> Vec<(String, String)> {
    (0..model.lanes.len())
        .filter_map(|k| {
            let why = model.title_figures(k)?.why?;
            Some((model.lanes[k].label.to_string(), why))
        })
        .collect()
}

/// The columns of lesson text in a panel `width` wide (a border and a space before it).
pub fn lesson_width(width: u16) -> usize {
    width.saturating_sub(3) as usize
}

/// The lesson's lines in a panel `width` wide.
pub fn lesson_lines(model: &ViewModel, width: u16) -> usize {
    match model.lesson_text() {
        Some(text) => wrap(&text, lesson_width(width)).len(),
        None => 0,
    }
}

/// What is said under the axis, wrapped to `width`: the headline (or that the run is going),
/// then why each lane above its bound is there. `true` marks the headline's lines.
pub fn notes(model: &ViewModel, width: u16) -> Vec<(String, bool)> {
    let w = (width as usize).saturating_sub(2);
    let mut out: Vec<(String, bool)> = match &model.headline {
        Some(h) => wrap(h, w).into_iter().map(|l| (l, true)).collect(),
        None if model.all_done() => vec![(String::new(), false)],
        None => vec![(
            "running… the figures fill in as lanes finish".to_string(),
            false,
        )],
    };
    for (label, why) in why_lines(model) {
        out.extend(
            wrap(&format!("{label} {why}"), w)
                .into_iter()
                .map(|l| (l, false)),
        );
    }
    out
}

/// The arrangement for a `width` × `height` screen, or `None` when nothing useful fits.
pub fn arrange(model: &ViewModel, chrome: &Chrome, width: u16, height: u16) -> Option<Arrangement> {
    let n = model.lanes.len().max(1);
    let calls = model.call_count.max(1);
    let turn_rows = model.turn_rows();
    let height = height as usize;
    let live = !chrome.headless;
    let footer = usize::from(live);
    let notes = if live { notes(model, width).len() } else { 0 };
    let full_lesson = if live { lesson_lines(model, width) } else { 0 };
    let beside = width.saturating_sub(TABLE_WIDTH);
    // (description, pair, strip, table), most spacious first.
    const CONFIGS: [(bool, bool, bool, bool); 6] = [
        (true, false, true, true),
        (true, false, true, false),
        (false, false, true, false),
        (false, true, true, false),
        (false, false, false, false),
        (false, true, false, false),
    ];
    for (desc, pair, strip, table) in CONFIGS {
        if pair && calls < 2 {
            continue;
        }
        let table = table && live;
        if table && beside < LESSON_BESIDE && model.lesson.is_some() {
            continue;
        }
        let rows = if pair { calls.div_ceil(2) } else { calls };
        let lesson = if table {
            lesson_lines(model, beside)
        } else {
            full_lesson
        };
        let lesson_min = lesson.min(2);
        let bottom = if table {
            (n + 1).max(lesson_min)
        } else {
            lesson_min
        };
        let fixed = 1 + usize::from(desc) + 1 + footer + notes + bottom;
        let need = fixed + n * (1 + rows + usize::from(strip)) + turn_rows;
        if need <= height {
            let spare = height - need;
            let lesson_rows = if table {
                lesson.min(bottom + spare)
            } else {
                lesson.min(lesson_min + spare)
            };
            return Some(Arrangement {
                desc,
                pair,
                strip,
                table,
                rows,
                lesson_rows,
                all: true,
            });
        }
    }
    // Nothing shows every call: two per row, as many rows as there are, what matters first.
    let lesson_min = full_lesson.min(1);
    let fixed = 1 + 1 + footer + notes + lesson_min + turn_rows;
    let rows = (height.saturating_sub(fixed) / n).checked_sub(1)?;
    // Fewer than three rows a lane shows too little to read as a race: say the screen is small.
    if rows + usize::from(turn_rows > 0) < 3 {
        return None;
    }
    let left = height.saturating_sub(fixed + n * (rows + 1));
    Some(Arrangement {
        desc: false,
        pair: calls >= 2,
        strip: false,
        table: false,
        rows,
        lesson_rows: full_lesson.min(lesson_min + left),
        all: false,
    })
}
