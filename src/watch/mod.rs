//! `fanout watch`: an OTLP/HTTP and OTLP/gRPC receiver for a live agent's spans. Spans are kept
//! per trace (one trace is one agent run, one scenario), each read by the span model of
//! `import otel` (one mapping from spans to calls and turns); each finished model turn is
//! printed with the parallelism it left on the table, and each trace is kept as a fanout record
//! (`--record`) that `replay` and `report` read.
mod capture;
pub mod grpc;
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
    /// The port for OTLP/gRPC (`TraceService/Export`), 4317 unless given; 0 picks a free one.
    /// Left at 4317 and busy (another collector running), watch goes on without gRPC and says
    /// so; given and busy, it stops (exit 2).
    #[arg(long, value_name = "PORT")]
    pub grpc_port: Option<u16>,
    /// No OTLP/gRPC listener: OTLP/HTTP only.
    #[arg(long, conflicts_with = "grpc_port")]
    pub no_grpc: bool,
    /// The address to listen on (both ports); 127.0.0.1 unless given (anything else is reachable from
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
    /// The what-if lanes beside `recorded`, comma-separated: sequential, parallel, waves,
    /// pool:N, pool:N:cp, one-per-turn, turn-batched (default: parallel and turn-batched for a
    /// trace with model calls, else sequential and parallel). The turn lanes are left out for
    /// a trace without model calls.
    #[arg(long, value_delimiter = ',', value_parser = parse_lane)]
    pub strategies: Option<Vec<crate::engine::Strategy>>,
}

fn parse_lane(s: &str) -> Result<crate::engine::Strategy, String> {
    s.trim().parse()
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
