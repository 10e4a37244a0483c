//! `fanout watch`: an OTLP/HTTP receiver for a live agent's spans. Spans are kept per trace (one
//! trace is one agent run, one scenario), each read by the span model of `import otel` (one
//! mapping from spans to calls and turns); each finished model turn is printed with the
//! parallelism it left on the table, and each trace is kept as a fanout record (`--record`)
//! that `replay` and `report` read.
mod capture;
mod headless;
pub mod live;
pub mod receive;
pub mod record;
mod serve;
pub mod traces;
pub mod turns;

use std::net::IpAddr;
use std::path::PathBuf;

use tokio::sync::watch as signal;

use crate::engine::InputError;
pub use capture::{Analysis, Capture, analyse};
pub use headless::summary;

/// `fanout watch`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct WatchArgs {
    /// The port for OTLP/HTTP (`POST /v1/traces`); 0 picks a free one (printed on stderr).
    #[arg(long, default_value_t = 4318)]
    pub port: u16,
    /// The address to listen on; 127.0.0.1 unless given (anything else is reachable from
    /// other machines: a warning says so).
    #[arg(long)]
    pub bind: Option<IpAddr>,
    /// Keep what was received as fanout records, one per trace (what happened, and what-if
    /// lanes on the virtual clock): the first trace at FILE, the others numbered
    /// (`run.json`, `run-2.json`, …); each is written when its root span arrives and when watch
    /// stops. `fanout replay` and `fanout report` read them.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Print one line per finished turn and a summary when stopped (Ctrl-C, SIGTERM) instead of
    /// the live view (the default when stdout is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Flag a turn as possibly hung (on screen and headless) when its trace has sent nothing
    /// for this long since its last tool arrived (or a start-marked tool began).
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub hang_after: u64,
}

/// Why `watch` stopped early: bad input (exit 2) or a failure of its own (exit 1).
#[derive(Debug)]
pub enum WatchError {
    Input(InputError),
    Internal(String),
}

impl From<InputError> for WatchError {
    fn from(e: InputError) -> Self {
        WatchError::Input(e)
    }
}

/// Runs `fanout watch` until SIGINT, SIGTERM or SIGHUP.
pub fn run(args: WatchArgs) -> Result<(), WatchError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| WatchError::Internal(format!("cannot start the async runtime: {e}")))?;
    let (stop_tx, stop_rx) = signal::channel(false);
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ])
    .map_err(|e| WatchError::Internal(format!("cannot wait for signals: {e}")))?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = stop_tx.send(true);
        }
    });
    let result = rt.block_on(serve::serve(args, stop_rx));
    handle.close();
    result
}
