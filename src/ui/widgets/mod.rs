//! The screen's widgets, each drawing one part from the view model: the header, a lane, the
//! axis, the bottom (headline, why, table, lesson), the footer and the overlays.

pub mod axis;
pub mod bottom;
pub mod header;
pub mod lane;
pub mod overlay;

use super::chrome::Chrome;
use super::model::ViewModel;
use super::theme::Theme;

/// What every widget reads.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The run.
    pub model: &'a ViewModel,
    /// Overlays, scroll, marks.
    pub chrome: &'a Chrome,
    /// Colours or not.
    pub theme: Theme,
}
