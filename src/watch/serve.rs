//! The server loop of `fanout watch`: the OTLP/HTTP receiver, the re-reads of the capture, and
//! the record written when it stops.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use tokio::sync::{mpsc, watch as signal};

use crate::ui::theme::Theme;

use super::capture::{Analysis, Capture, analyse};
use super::headless::Printer;
use super::traces::{TraceSummary, hung, turn_lines};
use super::{WatchArgs, WatchError, live, receive, record};
use crate::engine::InputError;

/// How many export requests may wait for the view before the receiver answers 429.
const QUEUE: usize = 256;

/// The least time between two re-reads of the capture.
const MIN_REREAD: Duration = Duration::from_millis(50);

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

/// OTLP/gRPC's default port, as SDKs expect it.
pub const GRPC_PORT: u16 = 4317;

/// The gRPC listener: none with `--no-grpc`; the default port, when busy, is given up with a
/// warning (the agent may export over HTTP); a port given and busy is bad input.
async fn bind_grpc(
    args: &WatchArgs,
    ip: IpAddr,
) -> Result<Option<tokio::net::TcpListener>, WatchError> {
    if args.no_grpc {
        return Ok(None);
    }
    let port = args.grpc_port.unwrap_or(GRPC_PORT);
    match tokio::net::TcpListener::bind((ip, port)).await {
        Ok(l) => Ok(Some(l)),
        Err(e) if args.grpc_port.is_none() => {
            eprintln!(
                "warning: no OTLP/gRPC: cannot listen on {ip}:{port} ({e}); OTLP/HTTP only (--grpc-port picks another port, --no-grpc says this is meant)"
            );
            Ok(None)
        }
        Err(e) => Err(InputError::new(
            format!("--grpc-port {port}"),
            format!("cannot listen on {ip}:{port}: {e}"),
        )
        .hint("pick another port (--grpc-port), 0 for any free one, or --no-grpc")
        .into()),
    }
}

pub(super) async fn serve(
    args: WatchArgs,
    mut stop: signal::Receiver<bool>,
) -> Result<(), WatchError> {
    if let Some(path) = &args.record {
        check_record_path(path)?;
    }
    let ip = args.bind.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let listener = crate::serve::bind(ip, args.port)
        .await
        .map_err(|e| e.hint("pick another port (--port), or 0 for any free one"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| WatchError::Internal(e.to_string()))?;
    if !ip.is_loopback() {
        eprintln!(
            "warning: listening on {ip}, not loopback: anyone who can reach this machine can send spans"
        );
    }
    let grpc_listener = bind_grpc(&args, ip).await?;
    let grpc_addr = match &grpc_listener {
        Some(l) => Some(
            l.local_addr()
                .map_err(|e| WatchError::Internal(e.to_string()))?,
        ),
        None => None,
    };
    let grpc_said = match grpc_addr {
        Some(a) => format!(" and http://{a} (OTLP/gRPC TraceService/Export, gzip or not)"),
        None => String::new(),
    };
    eprintln!(
        "fanout watch: listening on http://{addr} (OTLP/HTTP POST /v1/traces, protobuf or JSON, gzip or not){grpc_said}; Ctrl-C stops it and prints the summary"
    );
    let (tx, mut rx) = mpsc::channel::<receive::Batch>(QUEUE);
    // The servers stop when the loop below ends: on a signal, or a quit key in the live view.
    let (stop_tx_local, server_stop) = signal::channel(false);
    let stopped = |mut stop: signal::Receiver<bool>| async move {
        let _ = stop.wait_for(|s| *s).await;
    };
    let grpc = grpc_listener.map(|l| {
        tokio::spawn(super::grpc::serve(
            l,
            tx.clone(),
            stopped(server_stop.clone()),
        ))
    });
    let http_stop = stopped(server_stop);
    let server = tokio::spawn(async move {
        axum::serve(listener, receive::router(tx))
            .with_graceful_shutdown(http_stop)
            .await
    });

    let mut capture = Capture::default();
    let mut printer = Printer::default();
    let hang_after = Duration::from_millis(args.hang_after);
    // Each trace is re-read whole when it changed (one span model for the file importer and
    // the receiver), so a re-read waits at least as long as the last one took: under a flood
    // of spans the view spends at most half its time reading, and requests keep being taken.
    let mut cache: Vec<Cached> = Vec::new();
    let mut dirty = false;
    let mut read_at = Instant::now();
    let mut read_took = Duration::ZERO;
    let listening = live::Listening {
        http: format!("http://{addr}"),
        grpc: grpc_addr.map(|a| format!("http://{a}")),
    };
    use std::io::IsTerminal as _;
    let mut screen = if !args.headless && std::io::stdout().is_terminal() {
        let s = live::Screen::start()
            .map_err(|e| WatchError::Internal(format!("cannot set up the terminal: {e}")))?;
        Some(s)
    } else {
        None
    };
    let mut state = live::LiveState::default();
    let mut redraw = true;
    loop {
        if dirty && read_at.elapsed() >= read_took {
            let t = Instant::now();
            reread(&capture, &mut cache, t);
            for (c, trace) in cache.iter_mut().zip(&capture.traces) {
                if let (None, Some(a)) = (&screen, &c.analysis) {
                    printer.closed_turns(a);
                }
                // A finished run is kept on disk at once: a later crash cannot lose it.
                if let Some(path) = &args.record
                    && trace.done()
                    && c.written != trace.version
                {
                    c.written = trace.version;
                    let _ = write_record(path, trace, args.strategies.as_deref());
                }
            }
            (read_at, read_took) = (t, t.elapsed().max(MIN_REREAD));
            dirty = false;
            redraw = true;
        }
        let now = Instant::now();
        if screen.is_none() {
            for (c, trace) in cache.iter().zip(&capture.traces) {
                if let Some(a) = &c.analysis {
                    printer.hangs(a, trace, hang_after, now);
                }
            }
        }
        if let Some(s) = screen.as_mut()
            && redraw
        {
            let _ = s.draw(|area, buf, theme| {
                paint(
                    &mut state,
                    &capture,
                    &mut cache,
                    &listening,
                    &args,
                    now,
                    (area, buf, theme),
                )
            });
            redraw = false;
        }
        // Woken only for something to show: the "now" of a running trace on screen, a hang
        // to flag, or a re-read held back; idle, the loop sleeps.
        let wake = next_wake(&capture, &cache, &state, screen.is_some(), hang_after, now)
            .into_iter()
            .chain(dirty.then(|| read_at + read_took))
            .min();
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
            _ = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            } => redraw = true,
            event = async {
                match screen.as_mut() {
                    Some(s) => s.events.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                use ratatui::crossterm::event::Event;
                match event {
                    Some(Event::Key(k)) => {
                        let action = crate::ui::keys::action(k, state.keys());
                        if let Some(a) = action
                            && state.on_action(a, capture.traces.len())
                        {
                            break;
                        }
                        redraw = true;
                    }
                    // A resize or anything else: draw again.
                    Some(_) => redraw = true,
                    None => break,
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    // The terminal back to the shell before the summary is printed into its scrollback.
    drop(screen);
    let _ = stop_tx_local.send(true);
    // The servers drain their open requests, then what they queued joins the capture.
    match server.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("warning: the receiver stopped: {e}"),
        Err(e) => eprintln!("warning: the receiver stopped: {e}"),
    }
    if let Some(grpc) = grpc {
        match grpc.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: the gRPC receiver stopped: {e}"),
            Err(e) => eprintln!("warning: the gRPC receiver stopped: {e}"),
        }
    }
    while let Ok(b) = rx.try_recv() {
        capture.add(b);
    }
    // What arrived, without start markers: markers never become calls of a record.
    let now = Instant::now();
    let mut finals = Vec::new();
    cache.resize_with(capture.traces.len(), Cached::default);
    for (trace, c) in capture.traces.iter().zip(&mut cache) {
        // Read already, and nothing was running: that reading is the one without markers.
        let fresh = c.version == trace.version && trace.running().is_empty();
        let analysis = match (fresh, c.analysis.take()) {
            (true, Some(a)) => Some(a),
            _ => match super::capture::read(trace, false, now) {
                Some(Err(e)) if trace.spans > 0 => {
                    eprintln!("note: trace {}: {e}", super::capture::short(&trace.id));
                    None
                }
                Some(Ok(a)) => a,
                _ => None,
            },
        };
        let record = analysis
            .as_ref()
            .map(|a| record::of(&a.imported, args.strategies.as_deref()).map(|(r, _)| r))
            .transpose()?;
        finals.push((analysis, record));
    }
    let views: Vec<_> = finals
        .iter()
        .map(|(a, r)| (a.as_ref(), r.as_ref()))
        .collect();
    printer.finish(&views, &capture);
    if let Some(path) = &args.record {
        let mut written = 0;
        for (trace, (_, record)) in capture.traces.iter().zip(&finals) {
            if let Some(r) = record {
                let at = record::path_for(path, trace.number);
                crate::engine::input::write_output(
                    &at,
                    crate::report::json(r).as_bytes(),
                    "record",
                    &[],
                )?;
                written += 1;
                eprintln!(
                    "record of trace {} ({}) written to {}",
                    trace.number,
                    crate::text::escape_control(&trace.name()),
                    crate::text::escape_control(&at.display().to_string())
                );
            }
        }
        if written == 0 {
            eprintln!("no record written: no model or tool spans arrived");
        }
    }
    Ok(())
}

/// What the loop knows of one trace since it last read it.
struct Cached {
    /// The trace's version when read (`u64::MAX`: never).
    version: u64,
    /// Its calls and turns, start-marked spans included as running calls.
    analysis: Option<Analysis>,
    /// Its record and plan for the screen, made when first drawn after a read.
    drawn: Option<(crate::engine::Record, std::sync::Arc<crate::engine::Plan>)>,
    /// The latest end among its calls when read: where its "now" was as its last span came.
    anchor_ms: f64,
    /// The "now" last drawn: it never goes back when a late span moves the anchor.
    shown_now: f64,
    /// The trace's version whose record is on disk.
    written: u64,
}

impl Default for Cached {
    fn default() -> Self {
        Cached {
            version: u64::MAX,
            analysis: None,
            drawn: None,
            anchor_ms: 0.0,
            shown_now: 0.0,
            written: u64::MAX,
        }
    }
}

/// Re-reads every trace that changed.
fn reread(capture: &Capture, cache: &mut Vec<Cached>, now: Instant) {
    cache.resize_with(capture.traces.len(), Cached::default);
    for (c, trace) in cache.iter_mut().zip(&capture.traces) {
        if c.version == trace.version {
            continue;
        }
        c.version = trace.version;
        c.analysis = analyse(trace, true, now);
        c.drawn = None;
        // A running call's end is only the time it was read at: its start is what arrived.
        c.anchor_ms = c
            .analysis
            .as_ref()
            .and_then(|a| Some((a, a.imported.recorded.as_ref()?.lanes.first()?)))
            .map(|(a, lane)| {
                lane.calls
                    .iter()
                    .enumerate()
                    .filter_map(|(i, call)| match a.running.contains(&i) {
                        true => call.start_ms,
                        false => call.end_ms,
                    })
                    .fold(0.0, f64::max)
            })
            .unwrap_or(0.0);
    }
}

/// The trace's time now, ms from its first call: its latest end moved on by the wall-clock time
/// since its last span arrived, never back; `None` once its root has arrived.
fn trace_now(c: &mut Cached, trace: &super::capture::Trace, now: Instant) -> Option<f64> {
    if trace.done() {
        return None;
    }
    let since = now.saturating_duration_since(trace.last).as_secs_f64() * 1000.0;
    c.shown_now = c.shown_now.max(c.anchor_ms + since);
    Some(c.shown_now)
}

/// Paints the trace on screen (or the waiting screen) at `now`.
#[allow(clippy::too_many_arguments)]
fn paint(
    state: &mut live::LiveState,
    capture: &Capture,
    cache: &mut [Cached],
    listening: &live::Listening,
    args: &WatchArgs,
    now: Instant,
    (area, buf, theme): (Rect, &mut Buffer, Theme),
) {
    let hang_after = Duration::from_millis(args.hang_after);
    let summaries: Vec<TraceSummary> = capture
        .traces
        .iter()
        .zip(cache.iter())
        .map(|(t, c)| {
            let turns = c.analysis.as_ref().map(|a| &a.turns[..]).unwrap_or(&[]);
            TraceSummary::of(t.number, t.name(), t.spans, turns, t.done())
        })
        .collect();
    let shown_at = state.follow.shown(capture.traces.len());
    let chrome = state.frame(&summaries);
    let Some(i) = shown_at.filter(|&i| i < cache.len()) else {
        return live::render(None, chrome, listening, theme, area, buf);
    };
    let trace = &capture.traces[i];
    let c = &mut cache[i];
    let now_ms = trace_now(c, trace, now);
    if c.drawn.is_none()
        && let Some(a) = &c.analysis
    {
        c.drawn = record::of(&a.imported, args.strategies.as_deref()).ok();
    }
    let (Some(a), Some((record, plan))) = (&c.analysis, &c.drawn) else {
        return live::render(None, chrome, listening, theme, area, buf);
    };
    let quiet = now.saturating_duration_since(trace.last);
    let end = record.lanes.first().map(|l| l.wall_ms).unwrap_or(0.0);
    let shown = live::Shown {
        record,
        plan,
        running: &a.running,
        now_ms,
        name: trace.name(),
        lines: turn_lines(&a.turns, now_ms.unwrap_or(end), quiet, hang_after),
    };
    live::render(Some(&shown), chrome, listening, theme, area, buf);
}

/// How often the "now" of a running trace on screen moves.
const FRAME: Duration = Duration::from_millis(100);

/// When the loop must wake with nothing arriving: the next frame while the trace on screen
/// runs; headless, when a quiet turn would become possibly hung.
fn next_wake(
    capture: &Capture,
    cache: &[Cached],
    state: &live::LiveState,
    live: bool,
    hang_after: Duration,
    now: Instant,
) -> Option<Instant> {
    if live {
        let i = state.follow.shown(capture.traces.len())?;
        return (!capture.traces[i].done()).then(|| now + FRAME);
    }
    capture
        .traces
        .iter()
        .zip(cache)
        .filter(|(t, c)| {
            c.analysis.as_ref().is_some_and(|a| {
                a.turns
                    .iter()
                    .any(|turn| hung(turn, hang_after, hang_after) && !t.done())
            })
        })
        .map(|(t, _)| t.last + hang_after)
        .filter(|&at| at > now)
        .min()
}

/// Writes the record of one finished trace (start markers left out).
fn write_record(
    path: &std::path::Path,
    trace: &super::capture::Trace,
    lanes: Option<&[crate::engine::Strategy]>,
) -> Result<(), WatchError> {
    let Some(a) = analyse(trace, false, Instant::now()) else {
        return Ok(());
    };
    let (r, _) = record::of(&a.imported, lanes)?;
    crate::engine::input::write_output(
        &record::path_for(path, trace.number),
        crate::report::json(&r).as_bytes(),
        "record",
        &[],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::keys::Action;
    use serde_json::{Value, json};

    const T0: u64 = 1_767_225_600_000_000_000;

    /// A span of trace `trace`, ms from T0; `marker` makes it the start marker of span `id`.
    fn span(
        trace: u8,
        id: u32,
        parent: u32,
        name: &str,
        op: &str,
        ms: (u64, u64),
        marker: bool,
    ) -> Value {
        let mut attrs = vec![json!({"key": "gen_ai.operation.name", "value": {"stringValue": op}})];
        if marker {
            attrs.push(json!({"key": "fanout.start", "value": {"boolValue": true}}));
            attrs.push(
                json!({"key": "fanout.span_id", "value": {"stringValue": format!("{id:016x}")}}),
            );
        }
        json!({
            "traceId": format!("{trace:032x}"),
            "spanId": format!("{:016x}", if marker { id + 100 } else { id }),
            "parentSpanId": if parent == 0 { String::new() } else { format!("{parent:016x}") },
            "name": name,
            "startTimeUnixNano": (T0 + ms.0 * 1_000_000).to_string(),
            "endTimeUnixNano": (T0 + ms.1 * 1_000_000).to_string(),
            "attributes": attrs,
        })
    }

    /// A tool span (`execute_tool NAME`) under span 1 of trace `trace`.
    fn tool(trace: u8, id: u32, name: &str, ms: (u64, u64), marker: bool) -> Value {
        let name = format!("execute_tool {name}");
        span(trace, id, 1, &name, "execute_tool", ms, marker)
    }

    fn batch(spans: Vec<Value>) -> Value {
        json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "planner"}}]}, "scopeSpans": [{"spans": spans}]}]})
    }

    /// Trace 1: a whole agent run (three tools one after another, then two together). Trace 2,
    /// still running: its model answered at 100 ms, `get_weather` came back at 400 ms and
    /// `search_flights` has started (a start marker) and not ended.
    fn two_traces(t0: Instant) -> Capture {
        let mut c = Capture::default();
        c.add_at(
            batch(vec![
                span(1, 2, 1, "chat gpt-4o", "chat", (0, 100), false),
                tool(1, 3, "get_weather", (100, 400), false),
                tool(1, 4, "search_flights", (400, 600), false),
                tool(1, 5, "search_hotels", (600, 1000), false),
                span(1, 6, 1, "chat gpt-4o", "chat", (1000, 1100), false),
                tool(1, 7, "book_flight", (1100, 1350), false),
                tool(1, 8, "book_hotel", (1100, 1400), false),
                span(1, 9, 1, "chat gpt-4o", "chat", (1400, 1500), false),
                span(
                    1,
                    1,
                    0,
                    "invoke_agent travel-planner",
                    "invoke_agent",
                    (0, 1500),
                    false,
                ),
            ]),
            t0,
        );
        c.add_at(
            batch(vec![
                span(
                    2,
                    1,
                    0,
                    "invoke_agent researcher",
                    "invoke_agent",
                    (0, 0),
                    true,
                ),
                span(2, 2, 1, "chat gpt-4o", "chat", (0, 100), false),
                tool(2, 3, "get_weather", (100, 400), false),
                tool(2, 4, "search_flights", (400, 400), true),
            ]),
            t0,
        );
        c
    }

    fn screen(
        state: &mut live::LiveState,
        c: &Capture,
        cache: &mut Vec<Cached>,
        now: Instant,
        (w, h): (u16, u16),
    ) -> String {
        reread(c, cache, now);
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        let theme = Theme { color: false };
        let args = WatchArgs {
            port: 4318,
            grpc_port: None,
            no_grpc: false,
            bind: None,
            record: None,
            headless: false,
            hang_after: 30_000,
            strategies: None,
        };
        paint(
            state,
            c,
            cache,
            &live::Listening {
                http: "http://127.0.0.1:4318".to_string(),
                grpc: Some("http://127.0.0.1:4317".to_string()),
            },
            &args,
            now,
            (area, &mut buf, theme),
        );
        crate::ui::view::buffer_text(&buf)
    }

    #[test]
    fn two_traces_at_100x30_and_80x24() {
        let t0 = Instant::now();
        let c = two_traces(t0);
        for size in [(100, 30), (80, 24)] {
            let mut state = live::LiveState::default();
            let mut cache = Vec::new();
            // 1.5 s after the last span: the running trace's now is 400 ms + 1.5 s.
            let now = t0 + Duration::from_millis(1500);
            let running = screen(&mut state, &c, &mut cache, now, size);
            insta::assert_snapshot!(format!("running_{}x{}", size.0, size.1), running);
            assert!(
                running.contains("following newest · trace 2 of 2"),
                "{running}"
            );
            assert!(
                running.contains("watch · invoke_agent researcher"),
                "{running}"
            );
            assert!(running.contains("1.900 s"), "{running}");
            state.on_action(Action::TraceStep(-1), 2);
            let done = screen(&mut state, &c, &mut cache, now, size);
            insta::assert_snapshot!(format!("done_{}x{}", size.0, size.1), done);
            assert!(done.contains("pinned: trace 1 of 2"), "{done}");
            state.on_action(Action::TracePicker, 2);
            let picker = screen(&mut state, &c, &mut cache, now, size);
            insta::assert_snapshot!(format!("picker_{}x{}", size.0, size.1), picker);
        }
    }

    #[test]
    fn the_running_trace_s_now_moves_with_the_clock_and_stops_at_its_root() {
        let t0 = Instant::now();
        let mut c = two_traces(t0);
        let mut cache = Vec::new();
        reread(&c, &mut cache, t0);
        let now_at = |cache: &mut Vec<Cached>, c: &Capture, ms: u64| {
            trace_now(&mut cache[1], &c.traces[1], t0 + Duration::from_millis(ms))
        };
        // The latest end is the running marker's (400 ms, read at t0) and get_weather's.
        assert_eq!(now_at(&mut cache, &c, 0), Some(400.0));
        assert_eq!(now_at(&mut cache, &c, 250), Some(650.0));
        assert_eq!(now_at(&mut cache, &c, 1000), Some(1400.0));
        // A span that ended earlier than the "now" drawn does not move it back.
        let later = t0 + Duration::from_millis(1000);
        c.add_at(
            batch(vec![tool(2, 4, "search_flights", (400, 900), false)]),
            later,
        );
        reread(&c, &mut cache, later);
        assert_eq!(now_at(&mut cache, &c, 1000), Some(1400.0));
        assert_eq!(now_at(&mut cache, &c, 1100), Some(1400.0));
        assert_eq!(now_at(&mut cache, &c, 2000), Some(1900.0));
        // The root ends: the trace is done and its now stops.
        c.add_at(
            batch(vec![span(
                2,
                1,
                0,
                "invoke_agent researcher",
                "invoke_agent",
                (0, 950),
                false,
            )]),
            later,
        );
        reread(&c, &mut cache, later);
        assert_eq!(now_at(&mut cache, &c, 5000), None);
        assert_eq!(trace_now(&mut cache[0], &c.traces[0], later), None);
    }

    #[test]
    fn idle_with_every_trace_done_the_loop_never_wakes() {
        let t0 = Instant::now();
        let c = two_traces(t0);
        let mut cache = Vec::new();
        reread(&c, &mut cache, t0);
        let mut state = live::LiveState::default();
        let hang = Duration::from_millis(300);
        // Live: the running trace on screen needs frames; the finished one none.
        assert_eq!(
            next_wake(&c, &cache, &state, true, hang, t0),
            Some(t0 + FRAME)
        );
        state.on_action(Action::TraceStep(-1), 2);
        assert_eq!(next_wake(&c, &cache, &state, true, hang, t0), None);
        // Headless: a wake when the running trace's open turn would become possibly hung, none
        // once that moment has passed (it was said then).
        assert_eq!(
            next_wake(&c, &cache, &state, false, hang, t0),
            Some(t0 + hang)
        );
        assert_eq!(next_wake(&c, &cache, &state, false, hang, t0 + hang), None);
        let idle = Capture::default();
        assert_eq!(
            next_wake(&idle, &[], &live::LiveState::default(), true, hang, t0),
            None
        );
    }
}
