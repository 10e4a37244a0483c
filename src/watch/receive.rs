//! OTLP/HTTP `POST /v1/traces`: protobuf or JSON, gzip or not, told apart by the headers. Every
//! body becomes OTLP JSON text, the form the span model of `import otel` reads. OTLP/gRPC
//! (`super::grpc`) takes the same path from the decoded request on: [`from_request`],
//! [`accept`], [`enqueue`].

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::import::Input;

/// The largest body taken, compressed or not, and the largest a gzip body may inflate to: far
/// above what an SDK's batch exporter sends (512 spans a batch), far below what would hurt.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What the handler hands to the view: one export request, as OTLP JSON.
pub type Batch = Value;

/// How the body is written, from `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wire {
    Protobuf,
    Json,
}

impl Wire {
    fn content_type(self) -> &'static str {
        match self {
            Wire::Protobuf => "application/x-protobuf",
            Wire::Json => "application/json",
        }
    }
}

/// A refused request: the status and what to tell the client.
#[derive(Debug)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        message: message.into(),
    }
}

/// The wire format of a request, from its `Content-Type` (parameters such as `charset` ignored).
pub fn wire_of(headers: &HeaderMap) -> Result<Wire, Refusal> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Wire::Protobuf),
        "application/json" => Ok(Wire::Json),
        _ => Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!(
                "Content-Type `{}` is neither application/x-protobuf nor application/json (OTLP/HTTP)",
                crate::text::escape_control(ct)
            ),
        }),
    }
}

/// The body as OTLP JSON text: inflated when `Content-Encoding: gzip`, decoded from protobuf.
pub fn decode(headers: &HeaderMap, body: &[u8], wire: Wire) -> Result<String, Refusal> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let inflated;
    let body = match encoding.as_str() {
        "" | "identity" => body,
        "gzip" => {
            inflated = gunzip(body)?;
            &inflated[..]
        }
        other => {
            return Err(Refusal {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: format!(
                    "Content-Encoding `{}` is not supported: send gzip or no encoding",
                    crate::text::escape_control(other)
                ),
            });
        }
    };
    match wire {
        Wire::Json => std::str::from_utf8(body)
            .map(str::to_string)
            .map_err(|e| bad(format!("the JSON body is not UTF-8: {e}"))),
        Wire::Protobuf => {
            let req = ExportTraceServiceRequest::decode(body).map_err(|e| {
                bad(format!(
                    "the body is not an OTLP ExportTraceServiceRequest in protobuf: {e}"
                ))
            })?;
            from_request(&req)
        }
    }
}

/// A decoded export request (HTTP protobuf or gRPC) as OTLP JSON text.
pub fn from_request(req: &ExportTraceServiceRequest) -> Result<String, Refusal> {
    serde_json::to_string(req).map_err(|e| bad(format!("cannot read the decoded request: {e}")))
}

/// Where an accepted request went: both transports' one backpressure rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Queued {
    /// Taken: the view will read it.
    Taken,
    /// [`super::serve`]'s queue is full: the client should retry in [`RETRY_AFTER_SECS`].
    Behind,
    /// watch is stopping: nothing more is read.
    Stopping,
}

/// How long a client told [`Queued::Behind`] should wait before it retries.
pub const RETRY_AFTER_SECS: u64 = 1;

/// What a client told [`Queued::Behind`] or [`Queued::Stopping`] reads.
pub const BEHIND: &str = "fanout watch is behind; retry in a second";
pub const STOPPING: &str = "fanout watch is stopping";

/// Hands `batch` to the view unless its queue is full or closed.
pub fn enqueue(tx: &mpsc::Sender<Batch>, batch: Batch) -> Queued {
    match tx.try_send(batch) {
        Ok(()) => Queued::Taken,
        Err(mpsc::error::TrySendError::Full(_)) => Queued::Behind,
        Err(mpsc::error::TrySendError::Closed(_)) => Queued::Stopping,
    }
}

/// Inflates gzip, refusing more than [`MAX_BODY_BYTES`] out (a small bomb inflates to
/// gigabytes).
fn gunzip(body: &[u8]) -> Result<Vec<u8>, Refusal> {
    use std::io::Read as _;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| bad(format!("the body is not valid gzip: {e}")))?;
    if out.len() > MAX_BODY_BYTES {
        return Err(Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!(
                "the body inflates to more than {} MiB",
                MAX_BODY_BYTES / 1024 / 1024
            ),
        });
    }
    Ok(out)
}

/// Checks an export request with the importer's own reader (every span's shape, the times of
/// those that become calls), then parses it for the view.
pub fn accept(text: &str) -> Result<Batch, Refusal> {
    let input = Input {
        label: "the request body",
        name: "request",
        text,
    };
    crate::import::otel::check(&input).map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(text).map_err(|e| bad(format!("the body is not JSON: {e}")))
}

/// `google.rpc.Status`, the body OTLP/HTTP gives a refused request in protobuf.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    /// `google.protobuf.Any`s: gRPC's retry hint (`google.rpc.RetryInfo`) goes here.
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<RpcAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct RpcAny {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// A response in the request's format: `body` for success, a status message for a refusal.
fn respond(wire: Wire, status: StatusCode, message: Option<&str>) -> Response {
    let body: Vec<u8> = match (wire, message) {
        // An empty ExportTraceServiceResponse: no partial success to report.
        (Wire::Protobuf, None) => Vec::new(),
        (Wire::Json, None) => b"{}".to_vec(),
        (Wire::Protobuf, Some(m)) => RpcStatus {
            // INVALID_ARGUMENT, RESOURCE_EXHAUSTED, …: the gRPC code that matches.
            code: rpc_code(status),
            message: m.to_string(),
            details: Vec::new(),
        }
        .encode_to_vec(),
        (Wire::Json, Some(m)) => serde_json::json!({"code": rpc_code(status), "message": m})
            .to_string()
            .into_bytes(),
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(wire.content_type()),
    );
    response
}

/// The gRPC status code that matches a refusal's HTTP status.
pub fn rpc_code(status: StatusCode) -> i32 {
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::PAYLOAD_TOO_LARGE => 8, // RESOURCE_EXHAUSTED
        StatusCode::UNSUPPORTED_MEDIA_TYPE => 12,                           // UNIMPLEMENTED
        _ => 3,                                                             // INVALID_ARGUMENT
    }
}

/// `POST /v1/traces`.
async fn traces(
    State(tx): State<mpsc::Sender<Batch>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let wire = match wire_of(&headers) {
        Ok(w) => w,
        Err(r) => return respond(Wire::Json, r.status, Some(&r.message)),
    };
    let batch = decode(&headers, &body, wire).and_then(|text| accept(&text));
    let batch = match batch {
        Ok(b) => b,
        Err(r) => return respond(wire, r.status, Some(&r.message)),
    };
    match enqueue(&tx, batch) {
        Queued::Taken => respond(wire, StatusCode::OK, None),
        Queued::Behind => {
            let mut r = respond(wire, StatusCode::TOO_MANY_REQUESTS, Some(BEHIND));
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
            r
        }
        Queued::Stopping => respond(wire, StatusCode::SERVICE_UNAVAILABLE, Some(STOPPING)),
    }
}

/// The OTLP/HTTP routes, handing each accepted request to `tx`.
pub fn router(tx: mpsc::Sender<Batch>) -> axum::Router {
    axum::Router::new()
        .route("/v1/traces", post(traces))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(tx)
}
