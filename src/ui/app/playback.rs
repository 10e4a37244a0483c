//! A replay's playback: pause, resume, seek.

use tokio::time::Instant;

use super::{App, Source};
use crate::ui::model::Playback;

impl App {
    pub(super) fn toggle_pause(&mut self, now: Instant) {
        let Source::Replay { anchor, .. } = &mut self.source else {
            return;
        };
        if anchor.take().is_some() {
            self.set_paused(true);
        } else {
            let at_end = self.model.now_ms >= self.model.end_ms();
            let from = if at_end { 0.0 } else { self.model.now_ms };
            self.model.now_ms = from;
            *anchor = Some((now, from));
            self.set_paused(false);
        }
    }

    pub(super) fn set_paused(&mut self, paused: bool) {
        if let Playback::Replay { paused: p, .. } = &mut self.model.playback {
            *p = paused;
        }
    }

    pub(super) fn seek(&mut self, to: f64, now: Instant) {
        let to = to.clamp(0.0, self.model.end_ms());
        self.model.now_ms = to;
        if let Source::Replay { anchor, .. } = &mut self.source
            && anchor.is_some()
        {
            *anchor = Some((now, to));
        }
    }
}
