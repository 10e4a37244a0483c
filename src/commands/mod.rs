//! The bodies of the subcommands, and what they share: how a command fails, how it prints, the
//! async runtime, writing outputs, and the terminal UI's set-up. `main.rs` only dispatches here.

mod check;
mod import;
mod run;
mod serve;
mod sweep;

use std::io::{IsTerminal, Write};
use std::path::Path;

use fanout::engine::input::{refuse_overwriting, write_output, write_output_with};
use fanout::engine::json::parse_json;
use fanout::engine::scenario::BUILTINS;
use fanout::engine::{InputError, Plan, Record, Scenario};
use fanout::report;
use fanout::text::{escape_control as esc, escape_output};
use fanout::ui::{self, app::App, model::ViewModel, theme::Theme, view};

use crate::cli::{ReplayArgs, ReportArgs, TourArgs};

pub use check::check;
pub use import::import;
pub use run::run;
pub use serve::serve;
pub use sweep::sweep;

/// Why a command stopped: bad input (exit 2) or a failure of fanout itself (exit 1).
pub enum Failure {
    Input(InputError),
    Internal(String),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

/// Writes plain text to stdout with every control character but the line breaks escaped (see
/// [`fanout::text`]): the last guard before text from files reaches a terminal.
fn print(text: &str) -> Result<(), Failure> {
    print_raw(&escape_output(text))
}

/// Writes to stdout as is (JSON, CSV, SVG: formats that escape their own text); a closed pipe
/// (`fanout list | head`) is not an error.
fn print_raw(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Internal(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// The record as JSON on stdout, streamed (a million-call record is never one string).
fn print_json(record: &Record) -> Result<(), Failure> {
    print_streamed(|out| report::write_json(record, out))
}

/// Writes to stdout through a buffer what `write` writes (formats that escape their own text),
/// for outputs too big to build as one string; a closed pipe is not an error.
fn print_streamed(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<(), Failure> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Internal(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// The async runtime, shut down without waiting when dropped: a call that timed out may leave
/// a blocking read behind (a `file` effect on a FIFO), and waiting for it would keep the process
/// from ever exiting. Everything the command needed has finished by then.
struct Runtime(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for Runtime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("the runtime lives until dropped")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(|rt| Runtime(Some(rt)))
        .map_err(|e| Failure::Internal(format!("cannot start the async runtime: {e}")))
}

/// fanout's own server for `{local}` URLs, on a free loopback port.
fn local_server(rt: &Runtime) -> Result<fanout::serve::LocalServer, Failure> {
    rt.block_on(fanout::serve::start_local(
        fanout::serve::ServeOptions::default(),
    ))
    .map_err(|e| Failure::Internal(format!("cannot start the local server: {e}")))
}

/// The final frame (every lane's chart on one axis) and the comparison table, as plain text.
fn headless_text(record: &Record, plan: &Plan) -> String {
    let model = ViewModel::for_final_frame(record, plan);
    let width = terminal_width().unwrap_or(100);
    let text = format!(
        "{}\n{}",
        view::final_frame(&model, width),
        report::table(record)
    );
    left_to_exit(model);
    text
}

/// Leaves `value` for the process's exit to take back, instead of freeing it piece by piece:
/// for a million-call plan, record or view model that is about a tenth of the run's time (issue
/// 10), and the command is done with it. Only for values whose drop does nothing else (not the
/// runtime, a server or a file).
fn left_to_exit<T>(value: T) {
    std::mem::forget(value);
}

/// The terminal's width when stdout or stderr is one; `None` when piped to a file.
fn terminal_width() -> Option<u16> {
    if std::io::stdout().is_terminal() || std::io::stderr().is_terminal() {
        ratatui::crossterm::terminal::size()
            .ok()
            .map(|(w, _)| w.clamp(60, 200))
    } else {
        None
    }
}

/// Writes the record atomically, never over one of `inputs` (see [`write_output`]). Refusing
/// is bad input (exit 2); a failure to write is fanout's own I/O failing, exit 1 (as the README
/// says).
fn write_record(record: &Record, path: &Path, inputs: &[&Path]) -> Result<(), Failure> {
    refuse_overwriting(path, "record", inputs)?;
    write_output_with(path, "record", inputs, |out| {
        report::write_json(record, out)
    })
    .map_err(|e| Failure::Internal(e.to_string()))?;
    eprintln!("record written to {}", esc(&path.display().to_string()));
    Ok(())
}

/// Writes an output with [`write_output`]: a refusal to replace an input is bad input (exit 2),
/// a failed write an internal error (exit 1).
fn write_file(path: &Path, contents: &[u8], what: &str, inputs: &[&Path]) -> Result<(), Failure> {
    refuse_overwriting(path, what, inputs)?;
    write_output(path, contents, what, inputs).map_err(|e| Failure::Internal(e.to_string()))
}

/// Sets up the terminal, runs the app, and restores the terminal on every path.
fn tui(rt: Runtime, mut app: App) -> Result<App, Failure> {
    let (mut terminal, guard) = ui::terminal::init()
        .map_err(|e| Failure::Internal(format!("cannot set up the terminal: {e}")))?;
    let (input_thread, input) = ui::InputThread::start();
    let result = rt.block_on(ui::run(&mut terminal, &mut app, input));
    drop(input_thread);
    drop(guard);
    // Lanes still running (a quit mid-run) are cancelled, not waited for.
    drop(rt);
    result.map_err(Failure::Internal)?;
    Ok(app)
}

/// Runs `app` (a replay of `record`) in the live view, then prints the table so that it stays
/// in the scrollback.
fn show(record: &Record, app: App) -> Result<(), Failure> {
    tui(runtime()?, app)?;
    print(&report::table(record))
}

pub fn replay(args: ReplayArgs) -> Result<(), Failure> {
    let (record, plan) = Record::load(&args.record)?;
    if !std::io::stdout().is_terminal() {
        let done = print(&headless_text(&record, &plan));
        left_to_exit((record, plan));
        return done;
    }
    show(
        &record,
        App::replay(&record, plan, args.speed, Theme::from_env()),
    )
}

pub fn list() -> Result<(), Failure> {
    let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, text) in BUILTINS {
        let s: Scenario = parse_json(name, text)?;
        let about = s.description.unwrap_or(s.name);
        out.push_str(&format!("{name:width$}  {}\n", esc(&about)));
    }
    print(&out)
}

pub fn report(args: ReportArgs) -> Result<(), Failure> {
    let (record, plan): (Record, _) = Record::load(&args.record)?;
    let done = if args.format == report::Format::ChromeTrace {
        print_streamed(|out| report::chrome_trace::write(&record, out))
    } else {
        let text = report::render(&record, args.format);
        match args.format {
            report::Format::Table | report::Format::Markdown => print(&text),
            // JSON and SVG escape their own text; CSV escapes its fields (report::csv).
            _ => print_raw(&text),
        }
    };
    left_to_exit((record, plan));
    done
}

pub fn tour(args: TourArgs) -> Result<(), Failure> {
    if !std::io::stdout().is_terminal() {
        return Err(Failure::Input(
            InputError::new("fanout tour", "the tour needs a terminal to draw in")
                .hint("run it in a terminal; `fanout run NAME --headless` prints one race"),
        ));
    }
    let rt = runtime()?;
    // Some steps fetch from fanout's own server.
    let server = local_server(&rt)?;
    let mut app = App::tour(args.pace, Theme::from_env())?;
    app.set_local(server.base_url());
    let app = tui(rt, app)?;
    drop(server);
    print(&app.tour_summary().unwrap_or_default())
}

/// `fanout watch`: the receiver runs on its own; its failures are ours.
pub fn watch(args: fanout::watch::WatchArgs) -> Result<(), Failure> {
    fanout::watch::run(args).map_err(|e| match e {
        fanout::watch::WatchError::Input(e) => Failure::Input(e),
        fanout::watch::WatchError::Internal(e) => Failure::Internal(e),
    })
}

/// The lanes asked for on the command line (each once, in order), or the scenario's own.
fn lanes(
    asked: Option<Vec<fanout::engine::Strategy>>,
    plan: &Plan,
) -> Vec<fanout::engine::Strategy> {
    match asked {
        Some(list) => list
            .iter()
            .enumerate()
            .filter(|(i, s)| !list[..*i].contains(s))
            .map(|(_, s)| *s)
            .collect(),
        None => plan.strategies.clone(),
    }
}
