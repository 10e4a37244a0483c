//! A small local HTTP test server (`fanout serve`): routes that answer after a delay, with a
//! chosen status, with a chosen number of bytes, or through a rate limit, so that scenarios
//! can make real HTTP calls against loopback.
//!
//! Routes (every method is accepted on each, so scenarios may `POST` as well as `GET`):
//!
//! - `/` — a plain-text index of the routes;
//! - `/delay/{ms}` — sleeps `ms` milliseconds (at most [`MAX_DELAY_MS`], else `400`), then
//!   `200`;
//! - `/status/{code}?delay_ms=N` — sleeps `N` ms (optional, at most the same, else `400`), then answers
//!   with status `code` (`100..=599`, else `400`; hyper cannot send a `1xx` as a final
//!   answer, so `100` and `102..=199` reach the client as `500`, and `101` arrives bare);
//! - `/bytes/{n}` — `200` with exactly `n` bytes (capped at [`MAX_BYTES`], else `400`) of
//!   deterministic content, `Content-Length` set, streamed in chunks of [`CHUNK`] bytes (one
//!   shared buffer: a slow reader of 100 MB costs no memory);
//! - `/limited/{ms}` — at most [`ServeOptions::limit_per_second`] requests are admitted per
//!   fixed one-second window shared by all clients (a window opens with the first request
//!   that finds none open); an admitted request sleeps `ms` and answers `200`, any other
//!   answers `429 Too Many Requests` at once with `Retry-After: 1`.
//!
//! A client has [`HEADER_READ_TIMEOUT`] to send a request's headers; one that sends half a
//! header is disconnected then.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde::Deserialize;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::engine::InputError;

/// Binds `ip:port` for a server command (`fanout serve`, `fanout watch`): a refusal is an
/// [`InputError`] on `--port` naming the address; each caller adds its own hint.
pub async fn bind(ip: IpAddr, port: u16) -> Result<TcpListener, InputError> {
    TcpListener::bind(SocketAddr::new(ip, port))
        .await
        .map_err(|e| {
            InputError::new(
                format!("--port {port}"),
                format!("cannot listen on {ip}:{port}: {e}"),
            )
        })
}

/// The longest sleep any route will do, in milliseconds (10 minutes); a longer ask is a `400`.
pub const MAX_DELAY_MS: u64 = 600_000;

/// How long a client may take to send a request's headers before it is disconnected.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The size of each piece of a `/bytes/{n}` body: a whole number of alphabets (26 × 2 520), so
/// every piece starts at `a`.
pub const CHUNK: usize = 26 * 2_520;

/// The largest body `/bytes/{n}` will send (100 MB); a larger `n` is answered with `400`.
pub const MAX_BYTES: usize = 100_000_000;

/// Settings of the test server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// How many `/limited/{ms}` requests are admitted per one-second window, across all
    /// clients; the rest get `429`. Default 5.
    pub limit_per_second: u32,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            limit_per_second: 5,
        }
    }
}

/// A fixed-window counter shared by all clients: a window is one second long and opens with
/// the first request that finds no window open, so a burst that arrives within a second of
/// its first request falls in one window, however long the client took to get going.
#[derive(Debug)]
struct RateLimiter {
    limit: u32,
    /// (when the current window opened, requests admitted in it); `None` before the first.
    window: Mutex<Option<(Instant, u32)>>,
}

impl RateLimiter {
    const WINDOW: Duration = Duration::from_secs(1);

    fn new(limit: u32) -> Self {
        RateLimiter {
            limit,
            window: Mutex::new(None),
        }
    }

    /// Admits one request if the current window still has room, and counts it.
    fn try_admit(&self) -> bool {
        let now = Instant::now();
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        let (opened, admitted) = window.get_or_insert((now, 0));
        if now.duration_since(*opened) >= Self::WINDOW {
            (*opened, *admitted) = (now, 0);
        }
        if *admitted < self.limit {
            *admitted += 1;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Clone)]
struct AppState {
    limiter: Arc<RateLimiter>,
}

/// The optional query of `/status/{code}`.
#[derive(Debug, Deserialize)]
struct StatusQuery {
    delay_ms: Option<u64>,
}

const INDEX: &str = "\
fanout test server

Every route accepts any method (GET, POST, ...).

GET /                        this index
GET /delay/{ms}              sleep ms milliseconds (at most 600000, else 400), then 200
GET /status/{code}           answer with status code (100..=599, else 400)
    ?delay_ms=N              ... after sleeping N milliseconds
GET /bytes/{n}               200 with exactly n bytes (at most 100000000)
GET /limited/{ms}            at most limit_per_second requests per 1 s window across all
                             clients sleep ms then 200; the rest get 429 with Retry-After: 1
";

/// Builds the router with its routes and state.
fn router(opts: &ServeOptions) -> Router {
    let state = AppState {
        limiter: Arc::new(RateLimiter::new(opts.limit_per_second)),
    };
    Router::new()
        .route("/", any(index))
        .route("/delay/{ms}", any(delay))
        .route("/status/{code}", any(status))
        .route("/bytes/{n}", any(bytes))
        .route("/limited/{ms}", any(limited))
        .with_state(state)
}

async fn sleep_ms(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_DELAY_MS))).await;
    }
}

/// `400` for a delay beyond [`MAX_DELAY_MS`].
fn too_long(ms: u64) -> Option<Response> {
    (ms > MAX_DELAY_MS).then(|| {
        (
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_DELAY_MS} ms of delay, asked for {ms}\n"),
        )
            .into_response()
    })
}

async fn index() -> &'static str {
    INDEX
}

async fn delay(Path(ms): Path<u64>) -> Response {
    if let Some(r) = too_long(ms) {
        return r;
    }
    sleep_ms(ms).await;
    format!("delayed {ms} ms\n").into_response()
}

async fn status(Path(code): Path<u16>, Query(query): Query<StatusQuery>) -> Response {
    let status = match StatusCode::from_u16(code) {
        Ok(status) if (100..=599).contains(&code) => status,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                format!("status must be in 100..=599, got {code}\n"),
            )
                .into_response();
        }
    };
    let delay = query.delay_ms.unwrap_or(0);
    if let Some(r) = too_long(delay) {
        return r;
    }
    sleep_ms(delay).await;
    (status, format!("status {code}\n")).into_response()
}

async fn bytes(Path(n): Path<usize>) -> Response {
    if n > MAX_BYTES {
        return (
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_BYTES} bytes, asked for {n}\n"),
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        axum::body::Body::new(Alphabet { left: n as u64 }),
    )
        .into_response()
}

/// A body of `left` more bytes of the repeating alphabet, sent as slices of one shared buffer:
/// memory per request is constant however large the body and however slow the reader.
struct Alphabet {
    left: u64,
}

fn alphabet_chunk() -> &'static bytes::Bytes {
    static CHUNK_BYTES: std::sync::OnceLock<bytes::Bytes> = std::sync::OnceLock::new();
    CHUNK_BYTES.get_or_init(|| (0..CHUNK).map(|i| b'a' + (i % 26) as u8).collect())
}

impl http_body::Body for Alphabet {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let take = self.left.min(CHUNK as u64) as usize;
        self.left -= take as u64;
        let piece = alphabet_chunk().slice(..take);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

async fn limited(State(state): State<AppState>, Path(ms): Path<u64>) -> Response {
    if !state.limiter.try_admit() {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "rate limited, retry after 1 s\n",
        )
            .into_response();
    }
    if let Some(r) = too_long(ms) {
        return r;
    }
    sleep_ms(ms).await;
    format!("admitted, delayed {ms} ms\n").into_response()
}

/// Serves the test routes on `listener` until the process ends or an I/O error stops it.
///
/// The caller chooses the address; `fanout serve` binds `127.0.0.1` only.
pub async fn serve(listener: TcpListener, opts: ServeOptions) -> std::io::Result<()> {
    serve_until(listener, router(&opts), std::future::pending()).await
}

/// Accepts connections until `stop` completes, then stops accepting and waits for the
/// connections' requests under way to be answered. Each connection is HTTP/1 with a
/// [`HEADER_READ_TIMEOUT`] (axum's own `serve` sets none, so a client sending half a header
/// would hold its connection forever).
async fn serve_until(
    listener: TcpListener,
    app: Router,
    stop: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors, a connection reset before it was accepted: wait a
                // moment and go on, as a server must.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that goes away or times out is its own business.
            let _ = conn.await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A test server running on the current tokio runtime, on a free port of `127.0.0.1`.
///
/// Dropping it shuts the server down gracefully: it stops accepting connections at once and
/// its task ends once requests under way have been answered.
#[derive(Debug)]
pub struct LocalServer {
    addr: std::net::SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl LocalServer {
    /// The server's address, `127.0.0.1:PORT`.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The base URL to prefix routes with, like `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shuts the server down and waits until its task has ended (requests under way are
    /// answered first); returns the server's own result.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // The task is left to finish its graceful shutdown on its own.
    }
}

/// Binds `127.0.0.1:0` (a free port), spawns the server there on the current tokio runtime
/// and returns its handle. Must be called from within a tokio runtime.
pub async fn start_local(opts: ServeOptions) -> std::io::Result<LocalServer> {
    let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(&opts);
    let task = tokio::spawn(serve_until(listener, app, async move {
        // A dropped sender also means "stop".
        let _ = rx.await;
    }));
    Ok(LocalServer {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A taken port is an error on `--port` that names the address, with no hint of its own.
    #[tokio::test]
    async fn bind_names_the_port_and_address_it_could_not_take() {
        let busy = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = busy.local_addr().unwrap().port();
        let err = bind(std::net::Ipv4Addr::LOCALHOST.into(), port)
            .await
            .unwrap_err();
        assert_eq!(err.file, format!("--port {port}"));
        assert!(
            err.message
                .starts_with(&format!("cannot listen on 127.0.0.1:{port}: ")),
            "{}",
            err.message
        );
        assert_eq!(err.hint, None);
    }
}
