//! The app's tour: a card, the race, the headline, step after step.

use std::sync::Arc;

use super::{App, Command, Entry, Source};
use crate::engine::{Plan, RunOptions};
use crate::ui::model::ViewModel;
use crate::ui::theme::Theme;

impl App {
    /// A tour of the built-ins, at its first card. `pace` multiplies every step's speed.
    pub fn tour(pace: f64, theme: Theme) -> Result<App, crate::engine::InputError> {
        use crate::ui::tour::{STEPS, TourView};
        let entries: Vec<Entry> = STEPS
            .iter()
            .map(|s| Entry {
                arg: s.scenario.to_string(),
                about: s.title.to_string(),
            })
            .collect();
        let plan = Arc::new(Plan::load(STEPS[0].scenario)?);
        let mut opts = RunOptions::for_plan(&plan);
        opts.speed = STEPS[0].speed * pace;
        let mut app = App::live(plan, &opts, None, entries, 0, theme);
        app.pace = pace;
        app.chrome.tour = Some(TourView::new());
        Ok(app)
    }

    /// What `{local}` stands for in the runs this app starts (fanout's own server).
    pub fn set_local(&mut self, url: String) {
        if let Source::Live { local, .. } = &mut self.source {
            *local = Some(url);
        }
    }

    /// The tour's closing table, if this is a tour.
    pub fn tour_summary(&self) -> Option<String> {
        self.chrome.tour.as_ref().map(crate::ui::tour::summary)
    }

    pub(super) fn tour_next(&mut self) -> Option<Command> {
        use crate::ui::tour::{Phase, STEPS};
        let t = self.chrome.tour.as_mut()?;
        match t.phase {
            Phase::Card => {
                t.phase = Phase::Race;
                self.chrome.next_speed = t.current().speed * self.pace;
                Some(Command::Start(self.plan.clone(), self.run_options()))
            }
            // The race is still going: space waits for it.
            Phase::Race => None,
            Phase::Headline if t.step + 1 < STEPS.len() => {
                let next = t.step + 1;
                self.tour_card(next);
                None
            }
            Phase::Headline => {
                t.phase = Phase::End;
                None
            }
            Phase::End => Some(Command::Quit),
        }
    }

    pub(super) fn tour_back(&mut self) {
        use crate::ui::tour::Phase;
        let Some(t) = self.chrome.tour.as_ref() else {
            return;
        };
        let step = match t.phase {
            Phase::Card => t.step.saturating_sub(1),
            Phase::End => t.step,
            _ => t.step,
        };
        self.tour_card(step);
    }

    /// Shows step `step`'s card, its scenario loaded and waiting.
    pub(super) fn tour_card(&mut self, step: usize) {
        use crate::ui::tour::{Phase, STEPS};
        let Some(s) = STEPS.get(step) else {
            return;
        };
        if let Ok(plan) = Plan::load(s.scenario) {
            self.plan = Arc::new(plan);
            if let Source::Live {
                current, started, ..
            } = &mut self.source
            {
                *current = step;
                *started = None;
            }
            self.chrome.next_speed = s.speed * self.pace;
            let opts = self.run_options();
            self.model = ViewModel::new(&self.plan, &opts.strategies, opts.speed);
        }
        if let Some(t) = &mut self.chrome.tour {
            t.step = step;
            t.phase = Phase::Card;
        }
    }
}
