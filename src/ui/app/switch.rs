//! Switching scenarios in a live run: the next, the previous, or the one picked; a new scenario
//! starts from its own batch.

use std::sync::Arc;

use super::{App, Command, Source};
use crate::engine::Plan;

impl App {
    pub(super) fn switch(&mut self, by: i64) -> Option<Command> {
        let Source::Live {
            entries, current, ..
        } = &self.source
        else {
            return None;
        };
        if entries.is_empty() {
            return None;
        }
        let n = entries.len() as i64;
        let next = ((*current as i64 + by) % n + n) % n;
        self.load(next as usize)
    }

    pub(super) fn load(&mut self, index: usize) -> Option<Command> {
        let Source::Live {
            entries,
            current,
            strategies,
            ..
        } = &mut self.source
        else {
            return None;
        };
        let entry = entries.get(index)?.clone();
        match Plan::load(&entry.arg) {
            Ok(plan) => {
                *current = index;
                self.plan = Arc::new(plan);
                self.chrome.scroll = None;
                // A new scenario starts from its own batch: the what-if edits stay behind.
                if self.whatif.take().is_some() {
                    *strategies = self.asked.clone();
                }
                self.chrome.selected = None;
                self.chrome.cursor = 0;
                Some(Command::Start(self.plan.clone(), self.run_options()))
            }
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default();
                self.chrome.notice = Some(format!("cannot load {}: {first}", entry.arg));
                None
            }
        }
    }
}
