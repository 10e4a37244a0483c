//! Terminal set-up and restore. The terminal is restored exactly once, on every exit path: a
//! normal quit, an error (the guard's drop), a panic on the UI thread (the hook) and a signal
//! (SIGINT, SIGTERM, SIGHUP, SIGQUIT: restore, then exit 128 + the signal, as a shell expects).
//! A panic on an engine thread does not restore under the running UI: the run reports it on
//! screen.

use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::{
    cursor, execute,
    terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
};

static RESTORED: AtomicBool = AtomicBool::new(true);

/// The live terminal type.
pub type Tui = Terminal<CrosstermBackend<Stdout>>;

/// Restores the terminal when dropped.
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Enters raw mode and the alternate screen, and installs the panic hook and the signal
/// handlers.
pub fn init() -> io::Result<(Tui, Guard)> {
    install_panic_hook();
    install_signal_handlers()?;
    enable_raw_mode()?;
    RESTORED.store(false, Ordering::SeqCst);
    let guard = Guard(());
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((terminal, guard))
}

/// Leaves the alternate screen and raw mode; does nothing the second time.
pub fn restore() {
    if RESTORED.swap(true, Ordering::SeqCst) {
        return;
    }
    let _ = execute!(io::stdout(), LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
}

/// The signals that end fanout, each restoring the terminal first. In raw mode Ctrl-C is a key,
/// so SIGINT comes from `kill`; SIGHUP when the terminal closes.
pub const SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
    signal_hook::consts::SIGQUIT,
];

/// Waits for [`SIGNALS`] on a thread of its own, once per process: the first one restores the
/// terminal and exits with 128 + its number (130, 143, 129, 131). A thread rather than a flag the
/// event loop polls, so that a signal still works when the loop is busy or stuck; the exit does
/// not wait for running lanes, as a quit does not.
fn install_signal_handlers() -> io::Result<()> {
    static INSTALLED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let mut signals = signal_hook::iterator::Signals::new(SIGNALS)?;
    std::thread::Builder::new()
        .name("fanout-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the exit, so the UI thread cannot draw a frame after the restore.
                let _stdout = io::stdout().lock();
                restore();
                std::process::exit(128 + signal);
            }
        })?;
    let _ = INSTALLED.set(());
    Ok(())
}

fn install_panic_hook() {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore();
            previous(info);
        }
        // Elsewhere (an engine task) the task's JoinError carries the message to the screen;
        // printing it now would scribble over the UI.
    }));
}
