//! UI state that is not the run: overlays, the picker, scroll, marks, the next run's speed, a
//! notice, the what-if cursor, the sweep chart's data and the tour. The app changes it; drawing
//! reads it.

/// Which overlay is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayKind {
    /// Every key and every mark.
    Help,
    /// The scenario's whole lesson.
    Lesson,
    /// The worker sweep chart of the batch.
    Sweep,
}

/// An open overlay and how far it is scrolled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlay {
    /// Which one.
    pub kind: OverlayKind,
    /// First line shown.
    pub scroll: usize,
}

/// What a picker picks.
#[derive(Debug, Clone, PartialEq)]
pub enum PickerFor {
    /// A scenario to run.
    Scenario,
    /// A lane to add.
    Lane(Vec<crate::engine::Strategy>),
    /// The dependencies of this call (Enter toggles one; the picker stays open).
    Deps(usize),
    /// A trace of `fanout watch` (its entries newest first).
    Trace,
}

/// A picker's entries and selection.
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// One line per entry.
    pub entries: Vec<String>,
    /// The highlighted entry.
    pub selected: usize,
    /// What it picks.
    pub purpose: PickerFor,
    /// Its title.
    pub title: String,
}

/// Overlays, scroll, marks, the speed of the next run, a notice, the what-if cursor, the tour.
#[derive(Debug, Clone, PartialEq)]
pub struct Chrome {
    /// The help, lesson or sweep overlay, when open.
    pub overlay: Option<Overlay>,
    /// The picker (of a scenario, a lane to add or a call's dependencies), when open.
    pub picker: Option<Picker>,
    /// Mark the critical path's calls with `*`.
    pub critical: bool,
    /// First call shown when a lane has more calls than rows; `None` picks what matters.
    pub scroll: Option<usize>,
    /// The speed the next run will use (a replay: the playback rate).
    pub next_speed: f64,
    /// A one-line message for the footer.
    pub notice: Option<String>,
    /// A final frame for a log: no footer, no comparison table, no overlays.
    pub headless: bool,
    /// The lane selected for what-if changes.
    pub selected: Option<usize>,
    /// The call under the cursor in the selected lane.
    pub cursor: usize,
    /// The sweep the chart overlay shows.
    pub sweep: Option<crate::report::sweep::Sweep>,
    /// The tour, when fanout presents one.
    pub tour: Option<crate::ui::tour::TourView>,
    /// `fanout watch`: which trace is on screen (`following newest · trace 2 of 2`), said first
    /// in the footer before the watch keys.
    pub watch: Option<String>,
}

impl Default for Chrome {
    fn default() -> Self {
        Chrome {
            overlay: None,
            picker: None,
            critical: true,
            scroll: None,
            next_speed: 1.0,
            notice: None,
            headless: false,
            selected: None,
            cursor: 0,
            sweep: None,
            tour: None,
            watch: None,
        }
    }
}

impl Chrome {
    /// Whether this overlay is open.
    pub fn shows(&self, kind: OverlayKind) -> bool {
        self.overlay.is_some_and(|o| o.kind == kind)
    }
}
