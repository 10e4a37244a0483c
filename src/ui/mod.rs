//! The live terminal UI: an event loop over engine events, key presses and a frame clock.
//!
//! The engine runs in its own tasks and reports over a channel; the UI owns a view model built
//! from those events and draws it at a steady rate while anything moves, and not at all when
//! nothing does.

pub mod app;
pub mod chrome;
pub mod keys;
pub mod layout;
pub mod model;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod tour;
pub mod view;
pub mod whatif;
pub mod widgets;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{self as term_event, Event as TermEvent};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use crate::engine::{EngineError, Event, Plan, Record, RunOptions};
use app::{App, Command};

/// Frames per second while something moves.
pub const FPS: u64 = 30;

/// A run in progress: its events and its task.
struct Running {
    events: Option<UnboundedReceiver<Event>>,
    task: JoinHandle<Result<Record, EngineError>>,
}

fn start(plan: Arc<Plan>, opts: RunOptions) -> Running {
    let (tx, rx) = unbounded_channel();
    let task = tokio::spawn(async move { crate::engine::run(plan, &opts, Some(tx)).await });
    Running {
        events: Some(rx),
        task,
    }
}

/// Runs the app until the user quits. `input` delivers terminal events (keys, resizes).
pub async fn run<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut input: UnboundedReceiver<TermEvent>,
) -> Result<(), String>
where
    B::Error: std::fmt::Display,
{
    let mut frame = tokio::time::interval(Duration::from_millis(1000 / FPS));
    frame.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut running: Option<Running> = None;
    let mut command = app.first_command();
    loop {
        match command.take() {
            Some(Command::Quit) => break,
            Some(Command::Export(record)) => app.exported(export(&record)),
            Some(Command::Start(plan, opts)) => {
                if let Some(old) = running.take() {
                    old.task.abort();
                }
                let at = Instant::now();
                app.run_started(&opts, at);
                running = Some(start(plan, opts));
            }
            None => {}
        }
        app.tick(Instant::now());
        terminal
            .draw(|f| view::draw(f, &app.model, &app.chrome, app.theme))
            .map_err(|e| format!("cannot draw: {e}"))?;

        let animating = app.animating();
        let (events, task) = match &mut running {
            Some(r) => (r.events.as_mut(), Some(&mut r.task)),
            None => (None, None),
        };
        tokio::select! {
            _ = frame.tick(), if animating => {}
            event = recv(events) => match event {
                Some(e) => {
                    app.on_event(e);
                    drain(&mut running, app);
                }
                None => {
                    if let Some(r) = &mut running {
                        r.events = None;
                    }
                }
            },
            joined = join(task) => {
                drain(&mut running, app);
                running = None;
                let result = match joined {
                    Ok(Ok(record)) => Ok(record),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) if e.is_panic() => Err(format!("the engine crashed: {e}")),
                    Err(e) => Err(format!("the run stopped: {e}")),
                };
                app.run_finished(result, Instant::now());
            }
            term = input.recv() => match term {
                Some(TermEvent::Key(key)) => {
                    if let Some(action) = keys::action(key, app.key_context()) {
                        command = app.on_action(action, Instant::now());
                    }
                }
                Some(_) => {} // a resize or focus change: redraw
                None => break,
            },
        }
    }
    if let Some(r) = running {
        r.task.abort();
    }
    Ok(())
}

/// Writes `record` as `fanout-NAME-TIME.record.json` and the same name `.svg` in the current
/// folder; returns both names.
fn export(record: &Record) -> Result<(String, String), String> {
    let base = file_stem("fanout", &record.scenario.name);
    let json = format!("{base}.record.json");
    let svg = format!("{base}.svg");
    // Atomic, like every output (`engine::input::write_output`).
    let write = |path: &str, text: String, what: &str| {
        crate::engine::input::write_output(std::path::Path::new(path), text.as_bytes(), what, &[])
            .map_err(|e| e.to_string())
    };
    write(&json, crate::report::json(record), "record")?;
    write(&svg, crate::report::svg::svg(record), "SVG")?;
    Ok((json, svg))
}

/// `PREFIX-the-scenario-name-YYYYMMDD-HHMMSS`: a file name in the current folder for something
/// fanout writes at a key press (an export, an edited scenario).
pub fn file_stem(prefix: &str, scenario_name: &str) -> String {
    let slug = scenario_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("-");
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    format!("{prefix}-{slug}-{stamp}")
}

fn drain(running: &mut Option<Running>, app: &mut App) {
    if let Some(rx) = running.as_mut().and_then(|r| r.events.as_mut()) {
        while let Ok(e) = rx.try_recv() {
            app.on_event(e);
        }
    }
}

async fn recv(rx: Option<&mut UnboundedReceiver<Event>>) -> Option<Event> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn join<T>(task: Option<&mut JoinHandle<T>>) -> Result<T, tokio::task::JoinError> {
    match task {
        Some(t) => t.await,
        None => std::future::pending().await,
    }
}

/// Reads terminal events on a thread of its own (crossterm's read blocks) until stopped.
pub struct InputThread {
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl InputThread {
    /// Starts reading; events go to the returned receiver.
    pub fn start() -> (InputThread, UnboundedReceiver<TermEvent>) {
        let (tx, rx) = unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || read_input(&tx, &flag));
        (
            InputThread {
                stop,
                handle: Some(handle),
            },
            rx,
        )
    }
}

fn read_input(tx: &UnboundedSender<TermEvent>, stop: &AtomicBool) {
    // Polling with a timeout lets the thread notice `stop` and end before the terminal is
    // restored, so it never eats a key typed at the shell afterwards.
    while !stop.load(Ordering::Relaxed) {
        match term_event::poll(Duration::from_millis(100)) {
            Ok(true) => match term_event::read() {
                Ok(e) => {
                    if tx.send(e).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            },
            Ok(false) => {}
            Err(_) => return,
        }
    }
}

impl Drop for InputThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
