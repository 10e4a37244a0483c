//! The app: state plus actions. It never touches the terminal and never awaits the engine;
//! the event loop (`ui::run`) feeds it engine events, key actions and the clock, and carries
//! out the [`Command`]s it returns.

use std::sync::Arc;

use tokio::time::Instant;

use super::chrome::{Chrome, Overlay, OverlayKind, Picker, PickerFor};
use super::keys::{Action, Context};
use super::model::{Playback, ViewModel};
use super::theme::Theme;
use super::whatif::{Edit, WhatIf};

mod edits;
mod entries;
mod playback;
mod switch;
mod tour;

use crate::engine::options::Mode;
use crate::engine::units::millis;
use crate::engine::{Event, Plan, Record, RunOptions, Strategy};
pub use entries::{Entry, entries};

/// Speeds `+` and `-` step through.
pub const SPEEDS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0];

/// Something the event loop must do for the app.
#[derive(Debug, Clone)]
pub enum Command {
    /// Start a run of this plan (stopping any run in progress).
    Start(Arc<Plan>, RunOptions),
    /// Save this record and its SVG picture next to each other.
    Export(Box<Record>),
    /// Leave.
    Quit,
}

/// Where the run's timings come from.
#[derive(Debug)]
enum Source {
    /// Live runs of scenarios the user can switch between.
    Live {
        entries: Vec<Entry>,
        current: usize,
        /// Lanes given on the command line, kept across scenarios.
        strategies: Option<Vec<Strategy>>,
        /// How lanes run when the command line said (`--race`, `--one-at-a-time`); else each
        /// scenario's own `"mode"`.
        forced_mode: Option<Mode>,
        /// What `{local}` stands for (fanout's own server), when it runs.
        local: Option<String>,
        /// When the run in progress started; `None` once it has finished.
        started: Option<Instant>,
    },
    /// A saved record played back.
    Replay {
        /// Playback rate (2 plays twice as fast as recorded).
        rate: f64,
        /// While playing: the instant and position playback last resumed from.
        anchor: Option<(Instant, f64)>,
    },
}

/// The whole interactive state.
#[derive(Debug)]
pub struct App {
    /// What the screen shows of the run.
    pub model: ViewModel,
    /// Overlays, scroll and notices.
    pub chrome: Chrome,
    /// Colours or not.
    pub theme: Theme,
    /// The last run that finished (printed on quit, exported with `e`); in a replay, the
    /// record replayed.
    pub last_record: Option<Record>,
    /// The batch as changed at the keyboard, once a change was made.
    pub whatif: Option<WhatIf>,
    /// The lanes asked for on the command line, if any (what a new scenario runs under).
    asked: Option<Vec<Strategy>>,
    /// A tour's speed factor on top of each step's own speed.
    pace: f64,
    plan: Arc<Plan>,
    source: Source,
}

impl App {
    /// An app that will run `plan` live. `entries` are the scenarios to switch between;
    /// `current` is the one `plan` came from (if it is among them).
    pub fn live(
        plan: Arc<Plan>,
        opts: &RunOptions,
        strategies: Option<Vec<Strategy>>,
        entries: Vec<Entry>,
        current: usize,
        theme: Theme,
    ) -> App {
        let model = ViewModel::new(&plan, &opts.strategies, opts.speed);
        App {
            model,
            chrome: Chrome {
                next_speed: opts.speed,
                ..Chrome::default()
            },
            theme,
            last_record: None,
            whatif: None,
            asked: strategies.clone(),
            pace: 1.0,
            plan,
            source: Source::Live {
                entries,
                current,
                strategies,
                forced_mode: None,
                local: opts.local.clone(),
                started: None,
            },
        }
    }

    /// Keeps `mode` for every scenario the user switches to (a flag on the command line), rather
    /// than each scenario's own `"mode"`.
    pub fn with_forced_mode(mut self, mode: Option<Mode>) -> App {
        if let Source::Live { forced_mode, .. } = &mut self.source {
            *forced_mode = mode;
        }
        self
    }

    /// An app that plays back `record` at `rate`, starting at the beginning, playing.
    pub fn replay(record: &Record, plan: Arc<Plan>, rate: f64, theme: Theme) -> App {
        let mut model = ViewModel::from_record(record, &plan);
        model.now_ms = 0.0;
        model.playback = Playback::Replay {
            paused: false,
            rate,
        };
        App {
            model,
            chrome: Chrome {
                next_speed: rate,
                ..Chrome::default()
            },
            theme,
            last_record: Some(record.clone()),
            whatif: None,
            asked: None,
            pace: 1.0,
            plan,
            source: Source::Replay { rate, anchor: None },
        }
    }

    /// The command to begin with: a live app starts its first run.
    pub fn first_command(&self) -> Option<Command> {
        if self.chrome.tour.is_some() {
            return None;
        }
        match self.source {
            Source::Live { .. } => Some(Command::Start(self.plan.clone(), self.run_options())),
            Source::Replay { .. } => None,
        }
    }

    fn run_options(&self) -> RunOptions {
        match &self.source {
            Source::Live {
                strategies,
                forced_mode,
                local,
                ..
            } => RunOptions {
                strategies: strategies
                    .clone()
                    .unwrap_or_else(|| self.plan.strategies.clone()),
                speed: self.chrome.next_speed,
                mode: forced_mode.or(self.plan.mode).unwrap_or(Mode::Race),
                local: local.clone(),
            },
            Source::Replay { .. } => RunOptions::for_plan(&self.plan),
        }
    }

    /// A run has just been started at `at` with these options: show it from zero.
    pub fn run_started(&mut self, opts: &RunOptions, at: Instant) {
        self.model = ViewModel::new(&self.plan, &opts.strategies, opts.speed);
        if let Source::Live { started, .. } = &mut self.source {
            *started = Some(at);
        }
    }

    /// Applies an engine event.
    pub fn on_event(&mut self, event: Event) {
        if let Source::Live {
            started: Some(at), ..
        } = self.source
        {
            self.model.apply(event.lane, event.kind, at);
        }
    }

    /// The run finished: keep its record, or show why it failed.
    pub fn run_finished(&mut self, result: Result<Record, String>, now: Instant) {
        self.tick(now);
        match result {
            Ok(record) => {
                // From now on the screen prints the record's figures, as every other view does.
                self.model.adopt(&record);
                self.model.now_ms = self.model.now_ms.max(self.model.end_ms());
                if let Some(t) = &mut self.chrome.tour {
                    t.results[t.step] = Some(crate::ui::tour::big_headline(&record));
                    t.phase = crate::ui::tour::Phase::Headline;
                }
                self.last_record = Some(record);
            }
            Err(e) => self.model.error = Some(e),
        }
        if let Source::Live { started, .. } = &mut self.source {
            *started = None;
        }
    }

    /// Whether the screen changes by itself (a run or a replay in progress).
    pub fn animating(&self) -> bool {
        match &self.source {
            Source::Live { started, .. } => started.is_some(),
            Source::Replay { anchor, .. } => anchor.is_some(),
        }
    }

    /// Moves the clock the screen shows to `now`.
    pub fn tick(&mut self, now: Instant) {
        match &mut self.source {
            Source::Live {
                started: Some(at), ..
            } => self.model.now_ms = millis(now.saturating_duration_since(*at)),
            Source::Live { started: None, .. } => {}
            Source::Replay { rate, anchor } => {
                let end = self.model.end_ms();
                match *anchor {
                    Some((since, from)) => {
                        let pos = from + millis(now.saturating_duration_since(since)) * *rate;
                        self.model.now_ms = pos.min(end);
                        if pos >= end {
                            *anchor = None;
                            self.model.playback = Playback::Replay {
                                paused: true,
                                rate: *rate,
                            };
                        }
                    }
                    None if !matches!(
                        self.model.playback,
                        Playback::Replay { paused: true, .. }
                    ) =>
                    {
                        // Playing but not anchored yet: the first tick starts the clock.
                        *anchor = Some((now, self.model.now_ms));
                    }
                    None => {}
                }
            }
        }
    }

    /// What keys mean right now.
    pub fn key_context(&self) -> Context {
        Context {
            overlay: self.chrome.overlay.is_some(),
            picker: self.chrome.picker.is_some(),
            replay: matches!(self.source, Source::Replay { .. }),
            selected: self.chrome.selected.is_some(),
            tour: self.chrome.tour.is_some(),
            watch: false,
        }
    }

    /// Says where an export went (or why it failed).
    pub fn exported(&mut self, result: Result<(String, String), String>) {
        self.chrome.notice = Some(match result {
            Ok((record, svg)) => format!("exported {record} and {svg}"),
            Err(e) => format!("export failed: {e}"),
        });
    }

    /// Carries out an action; returns what the event loop must do.
    pub fn on_action(&mut self, action: Action, now: Instant) -> Option<Command> {
        self.chrome.notice = None;
        match action {
            Action::Quit => return Some(Command::Quit),
            Action::Export => {
                let running = matches!(
                    self.source,
                    Source::Live {
                        started: Some(_),
                        ..
                    }
                );
                match &self.last_record {
                    // The record held is the previous run's: never export it for this one.
                    _ if running => {
                        self.chrome.notice = Some(
                            "the run is still going: e exports it once it has finished".into(),
                        );
                    }
                    Some(record) => return Some(Command::Export(Box::new(record.clone()))),
                    None => {
                        self.chrome.notice =
                            Some("nothing to export yet: the run has not finished".into());
                    }
                }
            }
            Action::Help => {
                self.chrome.overlay = Some(Overlay {
                    kind: OverlayKind::Help,
                    scroll: 0,
                })
            }
            Action::Lesson => {
                if self.model.lesson.is_none() {
                    self.chrome.notice = Some("this scenario has no lesson".into());
                } else {
                    self.chrome.overlay = Some(Overlay {
                        kind: OverlayKind::Lesson,
                        scroll: 0,
                    });
                }
            }
            Action::ToggleCritical => {
                self.chrome.critical = !self.chrome.critical;
                self.chrome.notice = Some(if self.chrome.critical {
                    "* marks the calls on the critical path".into()
                } else {
                    "critical path marks off (c shows them)".into()
                });
            }
            Action::Close => {
                self.chrome.overlay = None;
                self.chrome.picker = None;
            }
            Action::Scroll(by) => {
                if let Some(o) = &mut self.chrome.overlay {
                    // The overlay clamps it to its end when drawn.
                    o.scroll = (o.scroll as i64 + i64::from(by)).clamp(0, 10_000) as usize;
                } else {
                    let max = self.model.calls.len().saturating_sub(1) as i64;
                    let from = self.chrome.scroll.unwrap_or(0) as i64;
                    self.chrome.scroll = Some((from + i64::from(by)).clamp(0, max) as usize);
                }
            }
            Action::SpeedUp | Action::SpeedDown => {
                let cur = self.chrome.next_speed;
                let next = if action == Action::SpeedUp {
                    SPEEDS.iter().copied().find(|&s| s > cur + 1e-9)
                } else {
                    SPEEDS.iter().rev().copied().find(|&s| s < cur - 1e-9)
                };
                if let Some(s) = next {
                    self.chrome.next_speed = s;
                }
                let s = crate::engine::units::fmt_num(self.chrome.next_speed);
                self.chrome.notice = Some(match &mut self.source {
                    Source::Replay { rate, anchor } => {
                        // Re-anchor so the position does not jump when the rate changes.
                        if anchor.is_some() {
                            *anchor = Some((now, self.model.now_ms));
                        }
                        *rate = self.chrome.next_speed;
                        if let Playback::Replay { rate: shown, .. } = &mut self.model.playback {
                            *shown = *rate;
                        }
                        format!("playback {s}×")
                    }
                    Source::Live { .. } => format!("speed {s}× from the next run (r re-runs now)"),
                });
            }
            Action::Rerun => return self.rerun(now),
            Action::NextScenario => return self.switch(1),
            Action::PrevScenario => return self.switch(-1),
            Action::OpenPicker => {
                if let Source::Live {
                    entries, current, ..
                } = &self.source
                {
                    self.chrome.picker = Some(Picker {
                        entries: entries.iter().map(Entry::line).collect(),
                        selected: *current,
                        purpose: PickerFor::Scenario,
                        title: " scenario · ↑/↓ Enter · Esc closes ".into(),
                    });
                }
            }
            Action::PickerMove(by) => {
                if let Some(p) = &mut self.chrome.picker {
                    let max = p.entries.len().saturating_sub(1) as i64;
                    p.selected = (p.selected as i64 + i64::from(by)).clamp(0, max) as usize;
                }
            }
            Action::PickerChoose => {
                if let Some(p) = self.chrome.picker.take() {
                    match p.purpose {
                        PickerFor::Scenario => return self.load(p.selected),
                        PickerFor::Lane(choices) => {
                            if let Some(&s) = choices.get(p.selected) {
                                self.edit(&Edit::AddLane(s));
                            }
                        }
                        // Watch's own loop picks traces.
                        PickerFor::Trace => {}
                        PickerFor::Deps(call) => {
                            let others = self.other_calls(call);
                            if let Some(&on) = others.get(p.selected) {
                                self.edit(&Edit::ToggleDep { call, on });
                            }
                            // Stays open, showing the new marks, until Esc.
                            let selected = p.selected;
                            self.open_deps(call, selected);
                        }
                    }
                }
            }
            Action::SelectNext
            | Action::SelectPrev
            | Action::Workers(_)
            | Action::AddLane
            | Action::RemoveLane
            | Action::Cursor(_)
            | Action::Latency(_)
            | Action::Deps
            | Action::Undo
            | Action::WriteScenario
            | Action::SweepChart => self.on_whatif(action),
            Action::TourNext => return self.tour_next(),
            Action::TourBack => self.tour_back(),
            // Watch's keys: its own loop handles them; the table never maps them here.
            Action::TracePicker | Action::Pin | Action::TraceStep(_) => {}
            Action::Pause => self.toggle_pause(now),
            Action::StepBack | Action::StepForward => {
                let step = self.model.end_ms() / 20.0;
                let by = if action == Action::StepBack {
                    -step
                } else {
                    step
                };
                self.seek(self.model.now_ms + by, now);
            }
            Action::Home => self.seek(0.0, now),
            Action::End => self.seek(self.model.end_ms(), now),
        }
        None
    }

    fn rerun(&mut self, now: Instant) -> Option<Command> {
        if let Some(t) = &mut self.chrome.tour {
            t.phase = crate::ui::tour::Phase::Race;
        }
        match self.source {
            Source::Live { .. } => Some(Command::Start(self.plan.clone(), self.run_options())),
            Source::Replay { .. } => {
                self.seek(0.0, now);
                if let Source::Replay { anchor, .. } = &mut self.source {
                    *anchor = Some((now, 0.0));
                }
                self.set_paused(false);
                None
            }
        }
    }
}
