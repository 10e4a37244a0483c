//! The app's what-if actions: a lane selected, workers, lanes, latencies and dependencies
//! changed, each change predicted at once on the virtual clock; the sweep chart.

use std::sync::Arc;

use super::{App, Source};
use crate::engine::{Plan, Strategy};
use crate::ui::chrome::{Overlay, OverlayKind, Picker, PickerFor};
use crate::ui::keys::Action;
use crate::ui::model::ViewModel;
use crate::ui::whatif::{self, Edit, WhatIf};

/// The most calls the sweep chart (`g`) predicts at a key press.
const SWEEP_CHART_MAX_CALLS: usize = 5_000;

impl App {
    /// Carries out a what-if action.
    pub(super) fn on_whatif(&mut self, action: Action) {
        match action {
            Action::SelectNext | Action::SelectPrev => {
                let n = self.model.lanes.len();
                let forward = action == Action::SelectNext;
                self.chrome.selected = match (self.chrome.selected, forward) {
                    (None, true) => Some(0),
                    (None, false) => n.checked_sub(1),
                    (Some(k), true) if k + 1 < n => Some(k + 1),
                    (Some(k), false) if k > 0 => Some(k - 1),
                    _ => None,
                };
                self.chrome.cursor = self
                    .chrome
                    .cursor
                    .min(self.model.calls.len().saturating_sub(1));
                if let Some(k) = self.chrome.selected {
                    self.chrome.notice = Some(format!(
                        "what if: {} selected · [ ] workers · ↑/↓ a call · < > latency · d deps · x remove · Tab next",
                        self.model.lanes[k].label
                    ));
                }
            }
            Action::Workers(by) => {
                if let Some(lane) = self.chrome.selected {
                    self.edit(&Edit::Workers {
                        lane,
                        by: i64::from(by),
                    });
                }
            }
            Action::AddLane => {
                let choices = whatif::addable(&self.current_strategies(), self.plan.has_turns());
                self.chrome.picker = Some(Picker {
                    entries: choices.iter().map(|s| s.to_string()).collect(),
                    selected: 0,
                    purpose: PickerFor::Lane(choices),
                    title: " add a lane · ↑/↓ Enter · Esc closes ".into(),
                });
            }
            Action::RemoveLane => {
                if let Some(lane) = self.chrome.selected {
                    self.edit(&Edit::RemoveLane(lane));
                    let n = self.model.lanes.len();
                    self.chrome.selected = Some(lane.min(n.saturating_sub(1)));
                }
            }
            Action::Cursor(by) => {
                let max = self.model.calls.len().saturating_sub(1) as i64;
                self.chrome.cursor =
                    (self.chrome.cursor as i64 + i64::from(by)).clamp(0, max) as usize;
                let c = &self.model.calls[self.chrome.cursor.min(max as usize)];
                self.chrome.notice = Some(format!("call {} · < > latency · d deps", c.id));
                self.chrome.scroll = None;
            }
            Action::Latency(double) => {
                let factor = if double { 2.0 } else { 0.5 };
                self.edit(&Edit::Latency {
                    call: self.chrome.cursor,
                    factor,
                });
            }
            Action::Deps => self.open_deps(self.chrome.cursor, 0),
            Action::Undo => match self.whatif.as_mut().and_then(WhatIf::undo) {
                Some(plan) => {
                    self.show_prediction(plan);
                    self.chrome.notice = Some("undone".into());
                }
                None => self.chrome.notice = Some("nothing to undo".into()),
            },
            Action::WriteScenario => self.write_scenario(),
            Action::SweepChart => {
                let plan = self.plan.clone();
                // Two dozen exact runs are instant for a batch of tools, not for a huge plan:
                // the key must not freeze the screen.
                if plan.calls.len() > SWEEP_CHART_MAX_CALLS {
                    self.chrome.notice = Some(format!(
                        "{} calls: too many for an instant chart; `fanout sweep` prints it",
                        plan.calls.len()
                    ));
                    return;
                }
                let speed = self.model.speed;
                let most = plan.calls.len().clamp(1, 12);
                let name = plan.scenario.name.clone();
                self.chrome.sweep = Some(crate::report::sweep::sweep(
                    &name,
                    "virtual",
                    speed,
                    1..=most,
                    &[
                        crate::report::sweep::Family::Pool,
                        crate::report::sweep::Family::PoolCp,
                    ],
                    |s| crate::engine::virtual_clock::predicted_walls(&plan, &[s], speed)[0],
                ));
                self.chrome.overlay = Some(Overlay {
                    kind: OverlayKind::Sweep,
                    scroll: 0,
                });
            }
            _ => {}
        }
    }

    /// The lanes of the batch on screen.
    pub(super) fn current_strategies(&self) -> Vec<Strategy> {
        match &self.whatif {
            Some(w) => w.current().strategies.clone(),
            None => self.model.lanes.iter().map(|l| l.strategy).collect(),
        }
    }

    /// Every call but `call`, in file order.
    pub(super) fn other_calls(&self, call: usize) -> Vec<usize> {
        (0..self.model.calls.len()).filter(|&i| i != call).collect()
    }

    /// Opens the dependency picker of `call`, with `selected` highlighted.
    pub(super) fn open_deps(&mut self, call: usize, selected: usize) {
        let Some(info) = self.model.calls.get(call) else {
            return;
        };
        let entries = self
            .other_calls(call)
            .into_iter()
            .map(|i| {
                let mark = if info.deps.contains(&i) { "[x]" } else { "[ ]" };
                format!("{mark} {}", self.model.calls[i].id)
            })
            .collect();
        self.chrome.picker = Some(Picker {
            entries,
            selected,
            purpose: PickerFor::Deps(call),
            title: format!(" {} depends on · Enter toggles · Esc closes ", info.id),
        });
    }

    /// Applies a what-if change and shows its prediction, or says why it was refused.
    pub(super) fn edit(&mut self, edit: &Edit) {
        if !matches!(self.source, Source::Live { .. }) {
            return;
        }
        // The screen shows the run's events as they come: a prediction drawn over it now would
        // mix the two.
        if matches!(
            self.source,
            Source::Live {
                started: Some(_),
                ..
            }
        ) {
            self.chrome.notice =
                Some("the run is still going: change the batch once it has finished".into());
            return;
        }
        let strategies = self.current_strategies();
        let w = self
            .whatif
            .get_or_insert_with(|| WhatIf::new(self.plan.clone(), strategies));
        match w.apply(edit) {
            Ok(plan) => {
                self.show_prediction(plan);
                self.chrome.notice = Some(
                    "what-if: predicted on the virtual clock · r runs it · u undoes · w writes it"
                        .into(),
                );
            }
            Err(e) => self.chrome.notice = Some(format!("refused: {e}")),
        }
    }

    /// Shows what the virtual clock predicts for the edited batch, marked what-if.
    pub(super) fn show_prediction(&mut self, plan: Arc<Plan>) {
        let Some(w) = &self.whatif else {
            return;
        };
        let strategies = w.current().strategies.clone();
        let record = whatif::predict(&plan, &strategies, self.chrome.next_speed);
        let mut model = ViewModel::from_record(&record, &plan);
        model.what_if = true;
        self.model = model;
        self.plan = plan;
        if let Source::Live {
            strategies: lanes, ..
        } = &mut self.source
        {
            *lanes = Some(strategies);
        }
        if let Some(k) = self.chrome.selected {
            self.chrome.selected = Some(k.min(self.model.lanes.len().saturating_sub(1)));
        }
    }

    /// Writes the edited scenario next to where fanout runs and says where.
    pub(super) fn write_scenario(&mut self) {
        let Some(w) = &self.whatif else {
            self.chrome.notice = Some("nothing changed yet: Tab selects a lane to change".into());
            return;
        };
        let path = format!(
            "{}.json",
            crate::ui::file_stem("fanout-whatif", &self.plan.scenario.name)
        );
        let written = crate::engine::input::write_output(
            std::path::Path::new(&path),
            w.scenario_json().as_bytes(),
            "scenario",
            &[],
        );
        self.chrome.notice = Some(match written {
            Ok(()) => format!("wrote {path} (fanout run {path} runs it)"),
            Err(e) => format!("cannot write {path}: {}", e.message),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ratatui::{Terminal, backend::TestBackend};

    use crate::engine::{Plan, RunOptions};
    use crate::ui::app::App;
    use crate::ui::keys::Action;
    use crate::ui::theme::Theme;

    fn app(name: &str) -> App {
        let plan = Arc::new(Plan::load(name).unwrap());
        let opts = RunOptions::for_plan(&plan);
        App::live(plan, &opts, None, Vec::new(), 0, Theme { color: false })
    }

    fn screen(app: &App) -> String {
        let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
        terminal
            .draw(|f| crate::ui::view::draw(f, &app.model, &app.chrome, app.theme))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn picker(app: &App) -> Vec<String> {
        app.chrome.picker.as_ref().unwrap().entries.clone()
    }

    #[tokio::test(start_paused = true)]
    async fn the_lane_picker_offers_the_turn_lanes_where_the_scenario_has_turns() {
        let now = tokio::time::Instant::now();
        // agent-research sets model_turn_ms: with its one-per-turn lane removed, `a` offers it.
        let mut a = app("agent-research");
        a.on_action(Action::SelectNext, now);
        assert_eq!(a.model.lanes[0].label, "one-per-turn");
        a.on_action(Action::RemoveLane, now);
        a.on_action(Action::AddLane, now);
        let entries = picker(&a);
        assert!(entries.contains(&"one-per-turn".to_string()), "{entries:?}");
        assert!(
            !entries.contains(&"turn-batched".to_string()),
            "already a lane"
        );
        assert!(screen(&a).contains("one-per-turn"));
        let k = entries.iter().position(|e| e == "one-per-turn").unwrap();
        a.on_action(Action::PickerMove(k as i32), now);
        a.on_action(Action::PickerChoose, now);
        let lane = a.model.lanes.last().unwrap();
        assert_eq!(
            (lane.label.to_string().as_str(), lane.wall_ms),
            ("one-per-turn", Some(34_000.0))
        );
        assert!(a.model.what_if);

        // fetch-5-urls has no turns: the picker does not offer lanes it would refuse.
        let mut b = app("fetch-5-urls");
        b.on_action(Action::AddLane, now);
        let entries = picker(&b);
        assert!(!entries.iter().any(|e| e.contains("turn")), "{entries:?}");
        assert!(entries.contains(&"pool:2".to_string()), "{entries:?}");
    }
}
