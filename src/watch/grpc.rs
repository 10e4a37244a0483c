//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export` on opentelemetry-proto's
//! generated tonic server. tonic decodes the request (gzip or not, at most
//! [`receive::MAX_BODY_BYTES`]); from there it takes OTLP/HTTP's path: [`receive::from_request`],
//! [`receive::accept`], [`receive::enqueue`].

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message as _;
use tokio::sync::mpsc;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataValue;
use tonic::{Code, Request, Response, Status};

use super::receive::{self, Batch, Queued, RpcAny, RpcStatus};

/// `TraceService` handing each accepted request to the view's queue.
struct Receiver {
    tx: mpsc::Sender<Batch>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let batch = receive::from_request(request.get_ref())
            .and_then(|text| receive::accept(&text))
            .map_err(|r| Status::new(Code::from_i32(receive::rpc_code(r.status)), r.message))?;
        match receive::enqueue(&self.tx, batch) {
            // No partial success to report.
            Queued::Taken => Ok(Response::new(ExportTraceServiceResponse::default())),
            Queued::Behind => Err(behind()),
            Queued::Stopping => Err(Status::unavailable(receive::STOPPING)),
        }
    }
}

/// `google.rpc.RetryInfo { retry_delay: google.protobuf.Duration }`.
#[derive(Clone, PartialEq, prost::Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

/// The queue is full: `RESOURCE_EXHAUSTED` with a `RetryInfo`, which the OTLP spec makes the
/// sign that the client should retry after its delay (without one, RESOURCE_EXHAUSTED is final,
/// as for a request over the size cap). The hint goes in the status details
/// (`grpc-status-details-bin`, read by Go's and Java's exporters) and in
/// `google.rpc.retryinfo-bin` (read by Python's).
fn behind() -> Status {
    let delay = Duration::from_secs(receive::RETRY_AFTER_SECS);
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: delay.as_secs() as i64,
            nanos: 0,
        }),
    }
    .encode_to_vec();
    let details = RpcStatus {
        code: Code::ResourceExhausted as i32,
        message: receive::BEHIND.to_string(),
        details: vec![RpcAny {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".to_string(),
            value: info.clone(),
        }],
    }
    .encode_to_vec();
    let mut metadata = tonic::metadata::MetadataMap::new();
    metadata.insert_bin("google.rpc.retryinfo-bin", MetadataValue::from_bytes(&info));
    Status::with_details_and_metadata(
        Code::ResourceExhausted,
        receive::BEHIND,
        details.into(),
        metadata,
    )
}

/// tonic refuses a message over the cap with `OUT_OF_RANGE`, which OTLP clients retry; the same
/// body would be refused again, so it is answered `RESOURCE_EXHAUSTED` without a `RetryInfo`
/// (final, as OTLP/HTTP's 413). The handler never answers OUT_OF_RANGE itself.
fn final_over_the_cap<B>(mut response: axum::http::Response<B>) -> axum::http::Response<B> {
    let headers = response.headers_mut();
    if headers.get("grpc-status").is_some_and(|v| v == "11") {
        let code = axum::http::HeaderValue::from(Code::ResourceExhausted as i32);
        headers.insert("grpc-status", code);
    }
    response
}

/// Serves OTLP/gRPC on `listener` until `stop` resolves, handing requests to `tx`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tx: mpsc::Sender<Batch>,
    stop: impl Future<Output = ()>,
) -> Result<(), tonic::transport::Error> {
    let service = TraceServiceServer::new(Receiver { tx })
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(receive::MAX_BODY_BYTES);
    tonic::transport::Server::builder()
        .layer(tower::util::MapResponseLayer::new(final_over_the_cap))
        .add_service(service)
        .serve_with_incoming_shutdown(tonic::transport::server::TcpIncoming::from(listener), stop)
        .await
}
