//! What a call does: its effect. Strategies decide *when* a call runs; this module decides
//! *what* running it means, so new effects never touch the strategies.
//!
//! Simulated effects (`latency_ms`, `latency`) take their nominal time divided by the run's
//! speed, and the clocks time them themselves (the real lane on its timer heap, see
//! `lane/timed.rs`; the virtual clock by arithmetic), so in a run [`Effect::perform`] only ever
//! performs real effects: HTTP, file and CPU, measured as they are and never scaled.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::dist::Distribution;
use super::units::fmt_num;

/// The work one call performs.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A simulated call: waits this many (nominal) milliseconds.
    Latency {
        /// Nominal latency in milliseconds, before the run's speed divides it.
        ms: f64,
    },
    /// A simulated call whose latency was drawn from a distribution with the scenario's seed.
    Drawn {
        /// The distribution it came from (boxed: a plan holds an effect per call, most of them
        /// a plain latency).
        dist: Box<Distribution>,
        /// The draw, nominal milliseconds.
        ms: f64,
    },
    /// A real HTTP request (boxed, like the distribution).
    Http(Box<HttpRequest>),
    /// A real file read; only the size is kept.
    File {
        /// The file, resolved against the scenario's folder.
        path: Box<Path>,
    },
    /// CPU-bound work: this many milliseconds of one thread's CPU time, on the blocking pool.
    Cpu {
        /// CPU milliseconds.
        ms: f64,
    },
}

/// What an HTTP effect asks.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpRequest {
    /// The URL, possibly with `{local}`.
    pub url: String,
    /// An uppercase method name.
    pub method: String,
    /// The request's own timeout.
    pub timeout_ms: Option<f64>,
}

/// What a run gives its effects: the speed, the lane's HTTP client, the local server.
#[derive(Debug, Clone)]
pub struct EffectContext {
    /// Divides simulated time.
    pub speed: f64,
    /// One client per lane: connection reuse is part of the real cost.
    pub http: reqwest::Client,
    /// The same for fanout's own loopback server, which no proxy must stand in front of.
    pub local_http: reqwest::Client,
    /// What `{local}` in a URL stands for, when fanout's local server runs.
    pub local: Option<String>,
}

impl EffectContext {
    /// A context with a fresh HTTP client.
    pub fn new(speed: f64, local: Option<String>) -> EffectContext {
        EffectContext {
            speed,
            http: reqwest::Client::new(),
            local_http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            local,
        }
    }
}

/// What a real effect observed besides success or failure.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Detail {
    /// The HTTP status code.
    pub http_status: Option<u16>,
    /// Bytes received or read.
    pub bytes: Option<u64>,
}

impl Effect {
    /// Milliseconds this effect is expected to take at speed 1, when known before running:
    /// simulated latencies and CPU work; `None` for real I/O.
    pub fn nominal_ms(&self) -> Option<f64> {
        match self {
            Effect::Latency { ms } | Effect::Drawn { ms, .. } | Effect::Cpu { ms } => Some(*ms),
            Effect::Http(_) | Effect::File { .. } => None,
        }
    }

    /// Whether the run's speed factor scales this effect (simulated time does; real work won't).
    pub fn is_simulated(&self) -> bool {
        matches!(self, Effect::Latency { .. } | Effect::Drawn { .. })
    }

    /// A short human description, e.g. `latency 5000 ms`.
    pub fn describe(&self) -> String {
        match self {
            Effect::Latency { ms } => format!("latency {} ms", fmt_num(*ms)),
            Effect::Drawn { dist, ms } => format!(
                "{} → drew {} ms",
                dist.describe(),
                fmt_num((ms * 10.0).round() / 10.0)
            ),
            Effect::Http(h) => match h.timeout_ms {
                Some(t) => format!("http {} {} (timeout {} ms)", h.method, h.url, fmt_num(t)),
                None => format!("http {} {}", h.method, h.url),
            },
            Effect::File { path } => format!("file {}", path.display()),
            Effect::Cpu { ms } => format!("cpu {} ms", fmt_num(*ms)),
        }
    }

    /// Performs the effect. Never panics; a failure is an `Err` with a message for people. A
    /// simulated effect sleeps its scaled time on tokio's clock: no lane calls this for one
    /// (they time simulated calls themselves), only tests of the effect alone do.
    pub async fn perform(&self, ctx: &EffectContext) -> (Result<(), String>, Detail) {
        match self {
            Effect::Latency { ms } | Effect::Drawn { ms, .. } => {
                sleep_ms(ms / ctx.speed).await;
                (Ok(()), Detail::default())
            }
            Effect::Http(h) => http(ctx, &h.url, &h.method, h.timeout_ms).await,
            Effect::File { path } => read_file(path).await,
            Effect::Cpu { ms } => (burn(*ms).await, Detail::default()),
        }
    }
}

/// Sleeps `ms` real milliseconds on tokio's clock: the test server's delays, and a simulated
/// effect performed on its own (lanes time simulated calls on their own timer instead).
///
/// A zero wait does not touch the timer at all: tokio's timer has a 1 ms granularity, so even
/// `sleep(0)` would cost a tick. It yields once instead, so a long run of instant waits still
/// lets other tasks progress. Never panics.
pub async fn sleep_ms(ms: f64) {
    let secs = ms / 1000.0;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if d.is_zero() => tokio::task::yield_now().await,
        Ok(d) => tokio::time::sleep(d).await,
        // Longer than a Duration can hold (a tiny speed): as good as forever, which tokio turns
        // into its far future instead of overflowing.
        Err(_) if secs > 0.0 => tokio::time::sleep(Duration::MAX).await,
        // NaN or negative: a validated plan and speed never give one; do not panic.
        Err(_) => tokio::task::yield_now().await,
    }
}

/// What `{local}` is replaced with for validation, before any server runs.
pub const LOCAL_PLACEHOLDER: &str = "{local}";

async fn http(
    ctx: &EffectContext,
    url: &str,
    method: &str,
    timeout_ms: Option<f64>,
) -> (Result<(), String>, Detail) {
    let mut detail = Detail::default();
    let client = if url.contains(LOCAL_PLACEHOLDER) {
        &ctx.local_http
    } else {
        &ctx.http
    };
    let url = if url.contains(LOCAL_PLACEHOLDER) {
        match &ctx.local {
            Some(base) => url.replace(LOCAL_PLACEHOLDER, base),
            None => {
                return (
                    Err("`{local}` needs fanout's local server, and this run has none".into()),
                    detail,
                );
            }
        }
    } else {
        url.to_string()
    };
    let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
        return (Err(format!("`{method}` is not an HTTP method")), detail);
    };
    let mut request = client.request(method, &url);
    if let Some(t) = timeout_ms
        && let Ok(d) = Duration::try_from_secs_f64(t / 1000.0)
    {
        request = request.timeout(d);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return (Err(http_error(&e, timeout_ms)), detail),
    };
    let status = response.status();
    detail.http_status = Some(status.as_u16());
    let mut bytes = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes += chunk.len() as u64,
            Ok(None) => break,
            Err(e) => {
                detail.bytes = Some(bytes);
                return (Err(http_error(&e, timeout_ms)), detail);
            }
        }
    }
    detail.bytes = Some(bytes);
    if status.is_success() {
        (Ok(()), detail)
    } else {
        let reason = status.canonical_reason().unwrap_or("");
        (
            Err(format!("HTTP {} {reason}", status.as_u16())
                .trim_end()
                .to_string()),
            detail,
        )
    }
}

/// reqwest's error and its causes, without the URL it repeats (the scenario shows it).
fn http_error(e: &reqwest::Error, timeout_ms: Option<f64>) -> String {
    if e.is_timeout() {
        return match timeout_ms {
            Some(t) => format!("timed out after {} ms", fmt_num(t)),
            None => "timed out".into(),
        };
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else if e.is_builder() {
        "bad request"
    } else {
        "request failed"
    };
    match causes.last() {
        Some(root) => format!("{kind}: {root}"),
        None => kind.to_string(),
    }
}

async fn read_file(path: &std::path::Path) -> (Result<(), String>, Detail) {
    let mut detail = Detail::default();
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => return (Err(format!("cannot open {}: {e}", path.display())), detail),
    };
    // Count the bytes without keeping them: contents are never stored or shown.
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        match file.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => bytes += n as u64,
            Err(e) => {
                detail.bytes = Some(bytes);
                return (Err(format!("cannot read {}: {e}", path.display())), detail);
            }
        }
    }
    detail.bytes = Some(bytes);
    (Ok(()), detail)
}

/// Sets the flag when dropped, so a cancelled or timed-out call stops its blocking thread.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Burns `ms` of this thread's CPU time on tokio's blocking pool.
async fn burn(ms: f64) -> Result<(), String> {
    let stop = Arc::new(AtomicBool::new(false));
    let guard = StopOnDrop(stop.clone());
    let result = tokio::task::spawn_blocking(move || burn_cpu(ms, &stop)).await;
    drop(guard);
    result.map_err(|e| format!("the CPU work stopped: {e}"))
}

/// Busy work until this thread has used `ms` of CPU time (not wall time: with more threads
/// than cores each one gets a share, which is the lesson), or until told to stop.
fn burn_cpu(ms: f64, stop: &AtomicBool) {
    let start = thread_cpu_ms();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while thread_cpu_ms() - start < ms && !stop.load(Ordering::Relaxed) {
        for _ in 0..2_000 {
            // xorshift: cheap work the optimiser cannot remove (black_box below).
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        std::hint::black_box(x);
    }
}

/// CPU time of the calling thread in milliseconds.
#[cfg(unix)]
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant libc defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::INFINITY; // no clock: stop at once rather than spin forever
    }
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

/// Without a per-thread CPU clock, wall time since the process began stands in (an
/// approximation: under contention a call then uses less CPU than asked).
#[cfg(not(unix))]
fn thread_cpu_ms() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}
