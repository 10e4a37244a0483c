//! `fanout watch`: an OTLP/HTTP receiver for a live agent's spans. Every request joins one
//! capture, read by the span model of `import otel` (one mapping from spans to calls and turns);
//! each finished model turn is printed with the parallelism it left on the table, and the
//! capture is kept as a fanout record (`--record`) that `replay` and `report` read.

pub mod live;
pub mod receive;
pub mod record;
pub mod turns;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{mpsc, watch as signal};

use crate::engine::InputError;
use crate::import::otel::{CallMeta, decode_id};
use crate::import::{Imported, Input};
use crate::text::escape_output;
use turns::{Turn, left_on_table, line, secs};

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
    /// Keep what was received as a fanout record (what happened, and what-if lanes on the
    /// virtual clock), written when watch stops; `fanout replay` and `fanout report` read it.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Print one line per finished turn and a summary when stopped (Ctrl-C, SIGTERM) instead of
    /// the live view (the default when stdout is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Flag a turn as possibly hung when its trace has sent nothing for this long since its
    /// last tool arrived.
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

/// How many export requests may wait for the view before the receiver answers 429.
const QUEUE: usize = 256;

/// The least time between two re-reads of the capture.
const MIN_REREAD: Duration = Duration::from_millis(50);

/// Everything received so far.
#[derive(Default)]
pub struct Capture {
    /// The `resourceSpans` entries of every request, in order of arrival.
    chunks: Vec<Value>,
    /// Per trace (lowercase hex): when its last span arrived, and whether its root has.
    traces: HashMap<String, TraceSeen>,
    /// (trace, span id) of every span kept.
    seen: HashSet<(String, String)>,
    spans: usize,
    requests: usize,
}

struct TraceSeen {
    last: Instant,
    root: bool,
}

impl Capture {
    /// Adds one accepted export request.
    pub fn add(&mut self, batch: Value) {
        let now = Instant::now();
        self.requests += 1;
        let Value::Object(mut top) = batch else {
            return;
        };
        let Some(Value::Array(list)) = top.remove("resourceSpans") else {
            return;
        };
        for mut rs in list {
            for key in ["scopeSpans", "instrumentationLibrarySpans"] {
                let Some(scopes) = rs.get_mut(key).and_then(Value::as_array_mut) else {
                    continue;
                };
                for ss in scopes {
                    let Some(spans) = ss.get_mut("spans").and_then(Value::as_array_mut) else {
                        continue;
                    };
                    // An exporter that lost a response sends the batch again: each span once.
                    spans.retain(|span| {
                        let text = |k: &str| span.get(k).and_then(Value::as_str).unwrap_or("");
                        let id = |k: &str, n: usize| {
                            let raw = text(k);
                            decode_id(raw, n).unwrap_or_else(|| raw.to_string())
                        };
                        let trace = id("traceId", 16);
                        let span_id = id("spanId", 8);
                        if !span_id.is_empty() && !self.seen.insert((trace.clone(), span_id)) {
                            return false;
                        }
                        self.spans += 1;
                        let seen = self.traces.entry(trace).or_insert(TraceSeen {
                            last: now,
                            root: false,
                        });
                        seen.last = now;
                        seen.root |= text("parentSpanId").is_empty();
                        true
                    });
                }
            }
            self.chunks.push(rs);
        }
    }

    /// The spans received so far.
    pub fn spans(&self) -> usize {
        self.spans
    }

    /// Whether the root span of `trace` has arrived (roots end last: the run is over).
    pub fn trace_done(&self, trace: &str) -> bool {
        self.traces.get(trace).is_some_and(|t| t.root)
    }

    /// The whole capture through the span model of `import otel`; `None` before any span.
    pub fn import(&self) -> Option<Result<(Imported, Vec<CallMeta>), InputError>> {
        if self.spans == 0 {
            return None;
        }
        let text = serde_json::json!({ "resourceSpans": self.chunks }).to_string();
        let input = Input {
            label: "the watched spans",
            name: "fanout watch",
            text: &text,
        };
        Some(crate::import::otel::import_with_meta(
            &input,
            &Default::default(),
        ))
    }
}

/// What the capture says now: its calls and turns.
pub struct Analysis {
    pub imported: Imported,
    pub turns: Vec<Turn>,
}

/// The capture's calls and turns, when it holds any model or tool call.
pub fn analyse(capture: &Capture) -> Option<Analysis> {
    let (imported, meta) = capture.import()?.ok()?;
    let recorded = imported.recorded.as_ref()?.lanes.first()?.calls.clone();
    let turns = turns::turns(&imported.scenario.calls, &recorded, &meta, |t| {
        capture.trace_done(t)
    });
    Some(Analysis { imported, turns })
}

/// A trace's short name in lines: its first 8 hex digits.
fn short(trace: &str) -> &str {
    trace.get(..8).unwrap_or(trace)
}

/// The headless printer: each turn when it closes, and again if spans that arrive late change
/// it (an exporter that retries, or several processes exporting one trace).
#[derive(Default)]
struct Printer {
    /// (trace, turn key) → the line printed for it.
    printed: HashMap<(String, String), String>,
    hung: HashSet<(String, String)>,
}

impl Printer {
    /// Prints `t` unless its line is already out; `Some(note)` marks a reprint.
    fn print(&mut self, t: &Turn, note: &str) {
        let text = format!("trace {} · {}", short(&t.trace), line(t));
        match self
            .printed
            .insert((t.trace.clone(), t.key.clone()), text.clone())
        {
            None => out(&format!("{text}{note}")),
            Some(old) if old != text => out(&format!("{text} (revised: spans arrived late)")),
            Some(_) => {}
        }
    }

    fn closed_turns(&mut self, a: &Analysis) {
        for t in a.turns.iter().filter(|t| t.closed) {
            self.print(t, "");
        }
    }

    fn hangs(&mut self, a: &Analysis, capture: &Capture, after: Duration) {
        for t in a.turns.iter().filter(|t| !t.closed && !t.tools.is_empty()) {
            let quiet = capture
                .traces
                .get(&t.trace)
                .is_some_and(|s| s.last.elapsed() >= after);
            if quiet && self.hung.insert((t.trace.clone(), t.key.clone())) {
                let last = t.tools.last().map(|t| t.id.as_str()).unwrap_or("");
                out(&format!(
                    "trace {} · turn {}: nothing for {} since `{last}` arrived, and no model call has read the results: a tool may be hung (spans arrive only when they end)",
                    short(&t.trace),
                    t.number,
                    secs(after.as_millis() as f64)
                ));
            }
        }
    }

    /// The turns not printed yet (still open when watch stopped), then the summary.
    fn finish(
        &mut self,
        a: Option<&Analysis>,
        capture: &Capture,
        record: Option<&crate::engine::Record>,
    ) {
        // Closed turns whose last spans arrived as watch stopped, then the open ones.
        for t in a.iter().flat_map(|a| &a.turns) {
            self.print(
                t,
                if t.closed {
                    ""
                } else {
                    " (still open when watch stopped)"
                },
            );
        }
        out(&format!(
            "fanout watch: {} span{} in {} request{}, {} trace{}",
            capture.spans,
            plural(capture.spans),
            capture.requests,
            plural(capture.requests),
            capture.traces.len(),
            plural(capture.traces.len())
        ));
        let Some(a) = a else {
            out("no model or tool spans arrived: nothing to measure");
            return;
        };
        out(&summary(&a.turns));
        if let Some(r) = record
            && let (Some(rec), Some(par)) = (
                r.lanes
                    .iter()
                    .find(|l| l.strategy == crate::engine::record::RECORDED_LANE),
                r.lanes.iter().find(|l| l.strategy == "parallel"),
            )
        {
            out(&format!(
                "recorded wall {}; parallel on the virtual clock {} (the calls alone, without the agent's own time between them)",
                secs(rec.wall_ms),
                secs(par.wall_ms)
            ));
        }
    }
}

/// `3 turns, 5 tool calls; parallel would have saved 2.6 s (turn 1 of 4bf92f35)`.
pub fn summary(turns: &[Turn]) -> String {
    let tools: usize = turns.iter().map(|t| t.tools.len()).sum();
    let models = turns.iter().filter(|t| t.model.is_some()).count();
    let flagged: Vec<(&Turn, f64)> = turns
        .iter()
        .filter_map(|t| left_on_table(&t.tools).map(|l| (t, l.saved_ms)))
        .collect();
    let saved: f64 = flagged.iter().map(|(_, s)| s).sum();
    let head = format!(
        "{models} model turn{}, {tools} tool call{}",
        plural(models),
        plural(tools)
    );
    if flagged.is_empty() {
        return format!("{head}: no parallelism left on the table");
    }
    // The five turns that left the most, in order of saving (a flood has thousands).
    let mut worst = flagged.clone();
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    let which: Vec<String> = worst
        .iter()
        .take(5)
        .map(|(t, s)| format!("turn {} of {}: {}", t.number, short(&t.trace), secs(*s)))
        .collect();
    let more = match flagged.len() {
        n if n > 5 => format!(", and {} more turns", n - 5),
        _ => String::new(),
    };
    format!(
        "{head}: {} left on the table in all ({}{more})",
        secs(saved),
        which.join(", ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One line to stdout, control characters from span names escaped.
fn out(s: &str) {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    let _ = writeln!(o, "{}", escape_output(s));
    let _ = o.flush();
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
    let result = rt.block_on(serve(args, stop_rx));
    handle.close();
    result
}

/// Refuses a `--record` path that cannot be written, before any span is taken rather than
/// after a whole capture.
fn check_record_path(path: &std::path::Path) -> Result<(), InputError> {
    let label = path.display().to_string();
    if path.is_dir() {
        return Err(
            InputError::new(&label, "cannot write the record: is a directory")
                .hint("give a file name for the record"),
        );
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent
        && !dir.is_dir()
    {
        return Err(InputError::new(
            &label,
            format!("cannot write the record: no folder {}", dir.display()),
        )
        .hint("create the folder first, or give another path"));
    }
    Ok(())
}

async fn serve(args: WatchArgs, mut stop: signal::Receiver<bool>) -> Result<(), WatchError> {
    if let Some(path) = &args.record {
        check_record_path(path)?;
    }
    let ip = args.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, args.port))
        .await
        .map_err(|e| {
            InputError::new(
                format!("--port {}", args.port),
                format!("cannot listen on {ip}:{}: {e}", args.port),
            )
            .hint("pick another port (--port), or 0 for any free one")
        })?;
    let addr = listener
        .local_addr()
        .map_err(|e| WatchError::Internal(e.to_string()))?;
    if !ip.is_loopback() {
        eprintln!(
            "warning: listening on {ip}, not loopback: anyone who can reach this machine can send spans"
        );
    }
    eprintln!(
        "fanout watch: listening on http://{addr} (OTLP/HTTP POST /v1/traces, protobuf or JSON, gzip or not); Ctrl-C stops it and prints the summary"
    );
    let (tx, mut rx) = mpsc::channel::<receive::Batch>(QUEUE);
    // The server stops when the loop below ends: on a signal, or a quit key in the live view.
    let (stop_tx_local, mut server_stop) = signal::channel(false);
    let server = tokio::spawn(async move {
        axum::serve(listener, receive::router(tx))
            .with_graceful_shutdown(async move {
                let _ = server_stop.wait_for(|s| *s).await;
            })
            .await
    });

    let mut capture = Capture::default();
    let mut printer = Printer::default();
    let hang_after = Duration::from_millis(args.hang_after);
    // The capture is re-read whole (one span model for the file importer and the receiver),
    // so a re-read waits at least as long as the last one took: under a flood of spans the
    // view spends at most half its time reading, and requests keep being taken.
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut last: Option<Analysis> = None;
    let mut dirty = false;
    let mut read_at = Instant::now();
    let mut read_took = Duration::ZERO;
    use std::io::IsTerminal as _;
    let mut screen = if !args.headless && std::io::stdout().is_terminal() {
        let mut s = live::Screen::start()
            .map_err(|e| WatchError::Internal(format!("cannot set up the terminal: {e}")))?;
        let _ = s.draw(None, &format!("http://{addr}"));
        Some(s)
    } else {
        None
    };
    let listening = format!("http://{addr}");
    let record_path = args.record.clone();
    let reread = |capture: &Capture,
                  printer: &mut Printer,
                  last: &mut Option<Analysis>,
                  screen: &mut Option<live::Screen>| {
        let t = Instant::now();
        *last = analyse(capture);
        match (screen.as_mut(), last.as_ref()) {
            (None, Some(a)) => printer.closed_turns(a),
            (Some(s), Some(a)) => {
                if let Ok((r, plan)) = record::of(&a.imported) {
                    let _ = s.draw(Some((&r, &plan, &a.turns)), &listening);
                    // Kept on disk as it grows: a signal ends the live view without a summary.
                    if let Some(path) = &record_path {
                        let _ = crate::engine::input::write_output(
                            path,
                            crate::report::json(&r).as_bytes(),
                            "record",
                            &[],
                        );
                    }
                }
            }
            _ => {}
        }
        (t, t.elapsed().max(MIN_REREAD))
    };
    loop {
        tokio::select! {
            batch = rx.recv() => {
                let Some(batch) = batch else { break };
                capture.add(batch);
                // Whatever else is waiting joins the same update.
                while let Ok(b) = rx.try_recv() {
                    capture.add(b);
                }
                dirty = true;
            }
            _ = tick.tick() => {
                if let (Some(a), None) = (&last, &screen) {
                    printer.hangs(a, &capture, hang_after);
                }
            }
            event = async {
                match screen.as_mut() {
                    Some(s) => s.events.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                match event {
                    Some(e) if live::is_quit(&e) => break,
                    // A resize or any other key: draw again.
                    Some(_) => dirty = true,
                    None => break,
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
        if dirty && read_at.elapsed() >= read_took {
            (read_at, read_took) = reread(&capture, &mut printer, &mut last, &mut screen);
            dirty = false;
        }
    }
    // The terminal back to the shell before the summary is printed into its scrollback.
    drop(screen);
    let _ = stop_tx_local.send(true);
    // The server drains its open requests, then what they queued joins the capture.
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("warning: the receiver stopped: {e}"),
        Err(e) => eprintln!("warning: the receiver stopped: {e}"),
    }
    while let Ok(b) = rx.try_recv() {
        capture.add(b);
    }
    let analysis = match capture.import() {
        Some(Err(e)) if capture.spans() > 0 => {
            eprintln!("note: {e}");
            None
        }
        _ => analyse(&capture),
    };
    let record = analysis
        .as_ref()
        .map(|a| record::of(&a.imported).map(|(r, _)| r))
        .transpose()?;
    printer.finish(analysis.as_ref(), &capture, record.as_ref());
    if let Some(path) = &args.record {
        match &record {
            Some(r) => {
                crate::engine::input::write_output(
                    path,
                    crate::report::json(r).as_bytes(),
                    "record",
                    &[],
                )?;
                eprintln!(
                    "record written to {}",
                    crate::text::escape_control(&path.display().to_string())
                );
            }
            None => eprintln!("no record written: no model or tool spans arrived"),
        }
    }
    Ok(())
}
