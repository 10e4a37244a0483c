//! The server loop of `fanout watch`: the OTLP/HTTP receiver, the re-reads of the capture, and
//! the record written when it stops.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch as signal};

use super::capture::{Analysis, Capture, analyse};
use super::headless::Printer;
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
