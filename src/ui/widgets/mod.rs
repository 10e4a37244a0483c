//! The screen's widgets, each drawing one part from the view model: the header, a lane, the
//! axis, the bottom (headline, why, table, lesson), the footer and the overlays.

pub mod axis;
pub mod bottom;
mod call;
pub mod header;
pub mod lane;
pub mod overlay;
mod strip;

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

impl Ctx<'_> {
    /// The key context the screen shows (what the footer and help list).
    pub fn keys(&self) -> crate::ui::keys::Context {
        crate::ui::keys::Context {
            overlay: self.chrome.overlay.is_some(),
            picker: self.chrome.picker.is_some(),
            replay: matches!(
                self.model.playback,
                crate::ui::model::Playback::Replay { .. }
            ),
            selected: self.chrome.selected.is_some(),
            tour: self.chrome.tour.is_some(),
            watch: self.chrome.watch.is_some(),
        }
    }
}
