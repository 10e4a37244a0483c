//! The live view of a watched trace: the trace's record so far, drawn by the UI's own view (the
//! `recorded` lane beside sequential and parallel on the virtual clock), redrawn as spans
//! arrive. While the trace runs, its lane's "now" moves with the wall clock, tools announced by
//! a start marker draw as running, and the lesson panel lists its turns newest first (open,
//! possibly hung, or what each left on the table). Only the UI's public API is used
//! (`ViewModel::from_record`, `view::render`, the picker overlay, the terminal and input).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::traces::{Follow, TraceSummary, picker_lines};
use crate::engine::{Plan, Record};
use crate::ui::chrome::{Chrome, Overlay, OverlayKind, Picker, PickerFor};
use crate::ui::keys::{Action, Context};
use crate::ui::model::ViewModel;
use crate::ui::theme::Theme;
use crate::ui::view;

/// What the live view shows of the trace on screen.
pub struct Shown<'a> {
    /// Its record so far (start-marked spans still running included, as calls).
    pub record: &'a Record,
    pub plan: &'a Plan,
    /// Its calls still running, by index.
    pub running: &'a [usize],
    /// The trace's time now (ms from its first call) while it runs; `None` once its root has
    /// arrived.
    pub now_ms: Option<f64>,
    /// The root (agent) span's name, or what stands for it.
    pub name: String,
    /// Its turn lines, newest first (the lesson panel).
    pub lines: Vec<String>,
}

/// The view model of `shown`: the record's, with the recorded lane still running at `now_ms`
/// (its wall unknown, its running calls unfinished) while the trace runs.
pub fn model_of(shown: &Shown<'_>) -> ViewModel {
    let mut model = ViewModel::from_record(shown.record, shown.plan);
    model.title = format!("watch · {}", shown.name);
    model.description = None;
    model.lesson = Some(shown.lines.join("\n"));
    if let Some(now) = shown.now_ms {
        if let Some(k) = shown.record.lanes.iter().position(|l| l.is_recorded()) {
            let lane = &mut model.lanes[k];
            lane.wall_ms = None;
            for &i in shown.running {
                if let Some(c) = lane.calls.get_mut(i) {
                    c.end = None;
                }
            }
        }
        // The figures of a run still going would be a guess: they come when the root ends.
        model.headline = None;
        model.now_ms = now;
    }
    model
}

/// One frame of the live view into `buf`: the trace on screen, or a waiting screen before any
/// model or tool span has arrived.
pub fn render(
    shown: Option<&Shown<'_>>,
    chrome: &Chrome,
    listening: &str,
    theme: Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    match shown {
        Some(shown) => view::render(&model_of(shown), chrome, theme, area, buf),
        None => {
            Paragraph::new(format!(
                " fanout watch · listening on {listening}\n\n Waiting for spans: point the agent at it with\n   OTEL_EXPORTER_OTLP_ENDPOINT={listening}\n   OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf\n\n {} · q quit",
                chrome.watch.as_deref().unwrap_or("no trace yet")
            ))
            .wrap(Wrap { trim: false })
            .render(area, buf);
            if let Some(picker) = &chrome.picker {
                crate::ui::widgets::overlay::draw_picker(picker, theme, area, buf);
            }
        }
    }
}

/// The terminal while the live view is up: raw mode and the alternate screen, restored when
/// dropped (the input thread stops first).
pub struct Screen {
    _input: crate::ui::InputThread,
    /// Keys and resizes.
    pub events: tokio::sync::mpsc::UnboundedReceiver<ratatui::crossterm::event::Event>,
    terminal: crate::ui::terminal::Tui,
    _guard: crate::ui::terminal::Guard,
    theme: Theme,
}

impl Screen {
    pub fn start() -> std::io::Result<Screen> {
        let (terminal, guard) = crate::ui::terminal::init()?;
        let (input, events) = crate::ui::InputThread::start();
        Ok(Screen {
            _input: input,
            events,
            terminal,
            _guard: guard,
            theme: Theme::from_env(),
        })
    }

    /// Draws one frame with `paint` (the area, the buffer, the theme).
    pub fn draw(&mut self, paint: impl FnOnce(Rect, &mut Buffer, Theme)) -> std::io::Result<()> {
        let theme = self.theme;
        self.terminal
            .draw(|f| {
                let area = f.area();
                paint(area, f.buffer_mut(), theme);
            })
            .map(|_| ())
    }
}

/// The live view's own state: which trace is on screen, the picker, overlays and marks.
#[derive(Default)]
pub struct LiveState {
    pub follow: Follow,
    /// The trace the picker highlights, while it is open.
    picker_at: Option<usize>,
    pub chrome: Chrome,
}

impl LiveState {
    /// The key context: watch's keys, and the overlay or picker when open.
    pub fn keys(&self) -> Context {
        Context {
            overlay: self.chrome.overlay.is_some(),
            picker: self.picker_at.is_some(),
            watch: true,
            ..Context::default()
        }
    }

    /// Carries out `action` among `n` traces; `true` to leave. Changing the trace on screen
    /// scrolls back to what matters.
    pub fn on_action(&mut self, action: Action, n: usize) -> bool {
        let before = self.follow.shown(n);
        match action {
            Action::Quit => return true,
            Action::TracePicker => self.picker_at = self.follow.shown(n),
            Action::PickerMove(by) => {
                if let Some(at) = self.picker_at {
                    // Entries are newest first: down is older.
                    let at = (at as i64 - i64::from(by)).clamp(0, n as i64 - 1);
                    self.picker_at = Some(at as usize);
                }
            }
            Action::PickerChoose => {
                if let Some(at) = self.picker_at.take() {
                    self.follow.pin(at);
                }
            }
            Action::Pin => self.follow.toggle(n),
            Action::TraceStep(by) => self.follow.step(by, n),
            Action::Help | Action::Lesson => {
                self.chrome.overlay = Some(Overlay {
                    kind: if action == Action::Help {
                        OverlayKind::Help
                    } else {
                        OverlayKind::Lesson
                    },
                    scroll: 0,
                })
            }
            Action::Close => {
                self.chrome.overlay = None;
                self.picker_at = None;
            }
            Action::ToggleCritical => self.chrome.critical = !self.chrome.critical,
            Action::Scroll(by) => match &mut self.chrome.overlay {
                // The overlay clamps it to its end when drawn.
                Some(o) => o.scroll = (o.scroll as i64 + i64::from(by)).clamp(0, 10_000) as usize,
                None => {
                    let from = self.chrome.scroll.unwrap_or(0) as i64;
                    self.chrome.scroll = Some((from + i64::from(by)).max(0) as usize);
                }
            },
            _ => {}
        }
        if self.follow.shown(n) != before {
            self.chrome.scroll = None;
        }
        false
    }

    /// The chrome for a frame among `summaries` (every trace, in the order first seen): the
    /// footer's status and the picker, when open, newest first.
    pub fn frame(&mut self, summaries: &[TraceSummary]) -> &Chrome {
        let n = summaries.len();
        self.chrome.watch = Some(self.follow.status(n));
        self.chrome.picker = self.picker_at.filter(|_| n > 0).map(|at| {
            let (entries, selected) = picker_lines(summaries, at.min(n - 1));
            Picker {
                entries,
                selected,
                purpose: PickerFor::Trace,
                title: " traces, newest first · Enter shows and pins one · Esc closes ".into(),
            }
        });
        &self.chrome
    }
}
