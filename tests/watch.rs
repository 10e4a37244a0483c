//! `fanout watch` as an agent's exporter sees it: a process on a port, OTLP/HTTP requests in
//! protobuf or JSON (gzip or not), and, once stopped with SIGINT, its lines and its record.

#[path = "common/skip.rs"]
mod skip;
#[path = "common/tmux.rs"]
mod tmux;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message as _;
use tmux::Tmux;

/// A running `fanout watch --port 0 --headless`.
struct Watch {
    child: Child,
    port: u16,
    /// OTLP/gRPC's port (`--grpc-port 0`: a free one).
    grpc_port: u16,
    stderr: mpsc::Receiver<String>,
}

impl Watch {
    fn start(record: Option<&Path>) -> Watch {
        Watch::start_with(record, &[])
    }

    fn start_with(record: Option<&Path>, extra: &[&str]) -> Watch {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fanout"));
        cmd.args(["watch", "--port", "0", "--grpc-port", "0", "--headless"])
            .args(extra);
        if let Some(r) = record {
            cmd.arg("--record").arg(r);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(20)).unwrap();
        // `listening on http://127.0.0.1:H (OTLP/HTTP …) and http://127.0.0.1:G (OTLP/gRPC …)`
        let port_at = |n| {
            first
                .split("http://127.0.0.1:")
                .nth(n)
                .and_then(|s| s.split(' ').next())
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("no port {n} in {first:?}"))
        };
        assert!(first.contains("(OTLP/gRPC TraceService/Export"), "{first}");
        Watch {
            child,
            port: port_at(1),
            grpc_port: port_at(2),
            stderr: rx,
        }
    }

    /// `POST /v1/traces`: the status, the Content-Type and the body of the response.
    fn post(&self, content_type: &str, gzip: bool, body: &[u8]) -> (u16, String, Vec<u8>) {
        post(self.port, content_type, gzip, body)
    }

    /// SIGINT, then what it printed: stdout, stderr.
    fn stop(mut self) -> (String, String) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let mut out = String::new();
        self.child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let status = self.child.wait().unwrap();
        // Every line: the reader thread ends at the closed pipe.
        let err: Vec<String> = self.stderr.iter().collect();
        assert!(status.success(), "watch exited {status}: {err:?}");
        (out, err.join("\n"))
    }

    /// With `--hang-after 300` and only `get_weather` of turn 1 in: waits past the hang, stops,
    /// and checks the first line printed is `flag` and turn 1 is still open with that one tool;
    /// returns stdout.
    fn stop_hung(self, flag: &str) -> String {
        std::thread::sleep(Duration::from_millis(1200));
        let (out, _) = self.stop();
        assert_eq!(out.lines().next(), Some(flag), "{out}");
        assert!(
            out.contains(
                "trace 4bf92f35 · turn 1: 1 tool, 300 ms (get_weather) (still open when watch stopped)"
            ),
            "{out}"
        );
        out
    }
}

fn post(port: u16, content_type: &str, gzip: bool, body: &[u8]) -> (u16, String, Vec<u8>) {
    let (head, body) = exchange(port, content_type, gzip, body);
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    let ct = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_string)
        })
        .unwrap_or_default();
    (status, ct, body)
}

/// One request on its own connection: the response's head and body.
fn exchange(port: u16, content_type: &str, gzip: bool, body: &[u8]) -> (String, Vec<u8>) {
    let body = if gzip {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(body).unwrap();
        e.finish().unwrap()
    } else {
        body.to_vec()
    };
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{}Content-Length: {}\r\nConnection: close\r\n\r\n",
        if gzip {
            "Content-Encoding: gzip\r\n"
        } else {
            ""
        },
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before it has read everything: a failed write is fine.
    let _ = s.write_all(&body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    (
        String::from_utf8_lossy(&raw[..split]).to_string(),
        raw[split + 4..].to_vec(),
    )
}

/// One span of the agent-shaped trace.
struct S {
    name: &'static str,
    id: u64,
    parent: u64,
    start_ms: u64,
    end_ms: u64,
    op: &'static str,
}

const T0: u64 = 1_767_225_600_000_000_000;
const TRACE: u128 = 0x4bf92f3577b34da6a3ce929d0e0e4736;

/// `invoke_agent` → `chat` → three tools one after another → `chat` → two tools in parallel →
/// `chat`, the python script's trace.
fn agent() -> Vec<S> {
    let s = |name, id, parent, start_ms, end_ms, op| S {
        name,
        id,
        parent,
        start_ms,
        end_ms,
        op,
    };
    vec![
        s("chat gpt-4o", 2, 1, 0, 100, "chat"),
        s("execute_tool get_weather", 3, 1, 100, 400, "execute_tool"),
        s(
            "execute_tool search_flights",
            4,
            1,
            400,
            600,
            "execute_tool",
        ),
        s(
            "execute_tool search_hotels",
            5,
            1,
            600,
            1000,
            "execute_tool",
        ),
        s("chat gpt-4o", 6, 1, 1000, 1100, "chat"),
        s("execute_tool book_flight", 7, 1, 1100, 1350, "execute_tool"),
        s("execute_tool book_hotel", 8, 1, 1100, 1400, "execute_tool"),
        s("chat gpt-4o", 9, 1, 1400, 1500, "chat"),
        s("invoke_agent travel-planner", 1, 0, 0, 1500, "invoke_agent"),
    ]
}

#[derive(Clone, Copy)]
enum Ids {
    Hex,
    Base64,
}

fn json(spans: &[S], ids: Ids) -> Vec<u8> {
    let id = |bytes: &[u8]| match ids {
        Ids::Hex => bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        Ids::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
    };
    let list: Vec<serde_json::Value> = spans
        .iter()
        .map(|s| {
            let mut attrs = vec![serde_json::json!({"key": "gen_ai.operation.name", "value": {"stringValue": s.op}})];
            if let Some(tool) = s.name.strip_prefix("execute_tool ") {
                attrs.push(serde_json::json!({"key": "gen_ai.tool.name", "value": {"stringValue": tool}}));
            }
            serde_json::json!({
                "traceId": id(&TRACE.to_be_bytes()),
                "spanId": id(&s.id.to_be_bytes()),
                "parentSpanId": if s.parent == 0 { String::new() } else { id(&s.parent.to_be_bytes()) },
                "name": s.name,
                "kind": 1,
                "startTimeUnixNano": (T0 + s.start_ms * 1_000_000).to_string(),
                "endTimeUnixNano": (T0 + s.end_ms * 1_000_000).to_string(),
                "attributes": attrs,
            })
        })
        .collect();
    serde_json::json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "travel-planner"}}]}, "scopeSpans": [{"spans": list}]}]})
        .to_string()
        .into_bytes()
}

fn protobuf(spans: &[S]) -> Vec<u8> {
    request(spans).encode_to_vec()
}

/// The spans as one decoded export request (protobuf's and gRPC's).
fn request(spans: &[S]) -> ExportTraceServiceRequest {
    let kv = |k: &str, v: &str| KeyValue {
        key: k.into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        }),
        ..Default::default()
    };
    let list = spans
        .iter()
        .map(|s| {
            let mut attributes = vec![kv("gen_ai.operation.name", s.op)];
            if let Some(tool) = s.name.strip_prefix("execute_tool ") {
                attributes.push(kv("gen_ai.tool.name", tool));
            }
            Span {
                trace_id: TRACE.to_be_bytes().to_vec(),
                span_id: s.id.to_be_bytes().to_vec(),
                parent_span_id: if s.parent == 0 {
                    Vec::new()
                } else {
                    s.parent.to_be_bytes().to_vec()
                },
                name: s.name.into(),
                start_time_unix_nano: T0 + s.start_ms * 1_000_000,
                end_time_unix_nano: T0 + s.end_ms * 1_000_000,
                attributes,
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: list,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

const FLAGGED: &str = "turn 1: 3 tools ran one after another, 900 ms; together 400 ms — 500 ms left on the table (get_weather, search_flights, search_hotels)";

fn record_path(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// A record's lane labels, in order.
fn lane_names(record: &fanout::engine::Record) -> Vec<String> {
    record
        .lanes
        .iter()
        .map(|l| l.strategy.to_string())
        .collect()
}

/// The record holds the agent's 8 calls with their recorded times, and a parallel lane that
/// runs the first turn's three tools together.
fn check_record(path: &Path) {
    let (record, _plan) = fanout::engine::Record::load(path).expect("replay and report read it");
    assert_eq!(
        lane_names(&record),
        ["recorded", "parallel", "turn-batched"]
    );
    let recorded = &record.lanes[0];
    let calls: Vec<(&str, f64, f64)> = recorded
        .calls
        .iter()
        .map(|c| (&*c.id, c.start_ms.unwrap(), c.end_ms.unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            ("chat", 0.0, 100.0),
            ("get_weather", 100.0, 400.0),
            ("search_flights", 400.0, 600.0),
            ("search_hotels", 600.0, 1000.0),
            ("chat_2", 1000.0, 1100.0),
            ("book_flight", 1100.0, 1350.0),
            ("book_hotel", 1100.0, 1400.0),
            ("chat_3", 1400.0, 1500.0),
        ]
    );
    assert_eq!(recorded.wall_ms, 1500.0);
    // Parallel: 100 + 400 (the longest of the three) + 100 + 300 + 100.
    assert_eq!(record.lanes[1].wall_ms, 1000.0);
    // Turn-batched: the chats as the turns (0–100, 500–600, 900–1000), each turn's tools at once.
    let turns: Vec<(f64, f64)> = record.lanes[2]
        .turns
        .iter()
        .map(|t| (t.start_ms, t.end_ms))
        .collect();
    assert_eq!(turns, [(0.0, 100.0), (500.0, 600.0), (900.0, 1000.0)]);
    assert_eq!(record.lanes[2].wall_ms, 1000.0);
    let deps: Vec<Vec<String>> = record
        .scenario
        .calls
        .iter()
        .map(|c| c.depends_on.iter().map(|d| d.to_string()).collect())
        .collect();
    assert_eq!(deps[1], ["chat"]);
    assert_eq!(deps[4], ["get_weather", "search_flights", "search_hotels"]);
}

fn check_lines(out: &str) {
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("trace 4bf92f35 · {FLAGGED}"), "{out}");
    assert_eq!(
        lines[1],
        "trace 4bf92f35 · turn 2: 2 tools ran together, 300 ms (book_flight, book_hotel)"
    );
    assert_eq!(
        lines[2],
        "trace 4bf92f35 · turn 3: the model answered without tools"
    );
    assert!(
        out.contains(
            "3 model turns, 5 tool calls: 500 ms left on the table in all (turn 1 of 4bf92f35: 500 ms)"
        ),
        "{out}"
    );
}

#[test]
fn json_protobuf_and_gzip_bodies_make_one_capture_and_its_record() {
    let (_dir, path) = record_path("live.record.json");
    let w = Watch::start(Some(&path));
    let spans = agent();
    // Children first, each batch in a different encoding, ids in hex and in base64.
    let (a, rest) = spans.split_at(3);
    let (b, rest) = rest.split_at(2);
    let (c, rest) = rest.split_at(2);
    let (d, root) = rest.split_at(1);
    let (st, ct, body) = w.post("application/json", false, &json(a, Ids::Hex));
    assert_eq!(
        (st, ct.as_str(), body.as_slice()),
        (200, "application/json", &b"{}"[..])
    );
    let (st, ct, body) = w.post("application/x-protobuf", false, &protobuf(b));
    assert_eq!(
        (st, ct.as_str(), body.len()),
        (200, "application/x-protobuf", 0)
    );
    assert_eq!(w.post("application/x-protobuf", true, &protobuf(c)).0, 200);
    assert_eq!(
        w.post(
            "application/json; charset=utf-8",
            true,
            &json(d, Ids::Base64)
        )
        .0,
        200
    );
    // A retried batch is not counted twice.
    assert_eq!(w.post("application/json", false, &json(d, Ids::Hex)).0, 200);
    assert_eq!(
        w.post("application/json", false, &json(root, Ids::Base64))
            .0,
        200
    );
    let (out, err) = w.stop();
    check_lines(&out);
    assert!(
        out.contains("fanout watch: 9 spans in 6 requests, 1 trace"),
        "{out}"
    );
    assert!(
        err.contains("record of trace 1 (invoke_agent travel-planner) written to"),
        "{err}"
    );
    check_record(&path);
}

#[test]
fn spans_out_of_order_give_the_same_turns() {
    let (_dir, path) = record_path("reversed.record.json");
    let w = Watch::start(Some(&path));
    let mut spans = agent();
    spans.reverse();
    // The root first, then the rest from the last span back: one request each. The root
    // closes every turn, so turns print early and again as their spans arrive.
    for s in spans {
        assert_eq!(
            w.post("application/x-protobuf", false, &protobuf(&[s])).0,
            200
        );
        // One request at a time through the view, so that each arrives late.
        std::thread::sleep(Duration::from_millis(20));
    }
    let (out, _) = w.stop();
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("trace 4bf92f35 · {FLAGGED}"))),
        "{out}"
    );
    // How many lines were printed early and revised depends on how the view batched the
    // requests; what it ends with does not.
    assert!(
        out.contains(
            "3 model turns, 5 tool calls: 500 ms left on the table in all (turn 1 of 4bf92f35: 500 ms)"
        ),
        "{out}"
    );
    check_record(&path);
}

#[test]
fn bad_bodies_get_400_with_a_message_and_the_server_keeps_going() {
    let w = Watch::start(None);
    let (st, ct, body) = w.post("application/x-protobuf", false, b"\xff\xff\xff\xff");
    assert_eq!((st, ct.as_str()), (400, "application/x-protobuf"));
    assert!(String::from_utf8_lossy(&body).contains("not an OTLP ExportTraceServiceRequest"));
    let (st, ct, body) = w.post("application/json", false, b"{\"resourceSpans\": [");
    assert_eq!((st, ct.as_str()), (400, "application/json"));
    let msg: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(msg["code"], 3);
    assert!(
        msg["message"]
            .as_str()
            .unwrap()
            .contains("the request body")
    );
    // A span that ends before it starts: the importer's own message, naming the span.
    let mut swapped = agent();
    swapped.truncate(2);
    swapped[1].end_ms = 50;
    let (st, _, body) = w.post("application/json", false, &json(&swapped, Ids::Hex));
    assert_eq!(st, 400);
    let msg = String::from_utf8_lossy(&body).to_string();
    assert!(
        msg.contains("execute_tool get_weather") && msg.contains("ends before it starts"),
        "{msg}"
    );
    assert_eq!(w.post("text/plain", false, b"hello").0, 415);
    assert_eq!(w.post("application/json", false, b"not gzip at all").0, 400);
    // An empty export is no error (OTLP allows it).
    assert_eq!(
        w.post("application/json", true, b"{\"resourceSpans\": []}")
            .0,
        200
    );
    still_reads_a_whole_trace(w);
}

#[test]
fn bodies_over_the_cap_are_refused_with_413() {
    let w = Watch::start(None);
    let cap = fanout::watch::receive::MAX_BODY_BYTES;
    let big = vec![b' '; cap + 1];
    assert_eq!(w.post("application/json", false, &big).0, 413);
    // Small on the wire, over the cap once inflated.
    assert_eq!(w.post("application/json", true, &big).0, 413);
    still_reads_a_whole_trace(w);
}

/// Still up after what it refused: a whole trace is taken and read as before.
fn still_reads_a_whole_trace(w: Watch) {
    assert_eq!(
        w.post("application/json", false, &json(&agent(), Ids::Hex))
            .0,
        200
    );
    let (out, _) = w.stop();
    check_lines(&out);
}

/// The venv's python (`FANOUT_OTEL_PYTHON`), or a loud skip.
fn python(test: &str) -> Option<std::ffi::OsString> {
    let python = std::env::var_os("FANOUT_OTEL_PYTHON");
    if python.is_none() {
        skip::skip_loudly(
            "CI must set FANOUT_OTEL_PYTHON (the venv's python with integrations/python/requirements.txt)",
            &format!(
                "{test}: set FANOUT_OTEL_PYTHON to a python with integrations/python/requirements.txt installed"
            ),
        );
    }
    python
}

/// How the SDK exports: `OTEL_EXPORTER_OTLP_PROTOCOL`.
#[derive(Clone, Copy)]
enum Protocol {
    HttpProtobuf,
    Grpc,
}

/// Runs integrations/python/agent_trace.py with `args` against `w` over `protocol`.
fn run_agent(python: &std::ffi::OsStr, w: &Watch, args: &[&str], protocol: Protocol) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/python/agent_trace.py");
    let (port, name) = match protocol {
        Protocol::HttpProtobuf => (w.port, "http/protobuf"),
        Protocol::Grpc => (w.grpc_port, "grpc"),
    };
    let status = Command::new(python)
        .arg(script)
        .args(args)
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("http://127.0.0.1:{port}"),
        )
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", name)
        .status()
        .unwrap();
    assert!(status.success());
}

/// The stock OpenTelemetry SDK for Python against a running `fanout watch`, over protobuf.
#[test]
fn the_python_sdk_streams_an_agent_run_in() {
    sdk_run(
        "the_python_sdk_streams_an_agent_run_in",
        &[],
        "9 spans in 9 requests",
    );
}

/// The optional start markers (integrations/python/fanout_start_markers.py) with the stock
/// SDK: one more request per span, the same turns and the same record (markers never become
/// calls).
#[test]
fn the_python_sdk_with_start_markers_gives_the_same_record() {
    sdk_run(
        "the_python_sdk_with_start_markers_gives_the_same_record",
        &["--markers"],
        "9 spans (and 9 start markers) in 18 requests",
    );
}

/// agent_trace.py with `args` into a watch with a record: the flagged turn, `counted` in the
/// summary, and the record.
fn sdk_run(test: &str, args: &[&str], counted: &str) {
    let Some(python) = python(test) else {
        return;
    };
    let (_dir, path) = record_path("python.record.json");
    sdk_run_over(&python, args, counted, Protocol::HttpProtobuf, &path);
}

/// [`sdk_run`] over `protocol`, the record at `path`.
fn sdk_run_over(
    python: &std::ffi::OsStr,
    args: &[&str],
    counted: &str,
    protocol: Protocol,
    path: &Path,
) {
    let w = Watch::start(Some(path));
    run_agent(python, &w, args, protocol);
    let (out, _) = w.stop();
    // The SDK makes its own ids: the trace's prefix is not known here.
    let without_trace: String = out
        .lines()
        .map(|l| l.split_once(" · ").map(|(_, r)| r).unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(without_trace.starts_with(FLAGGED), "{out}");
    assert!(
        out.contains(&format!("fanout watch: {counted}, 1 trace")),
        "{out}"
    );
    check_record(path);
}

/// The stock SDK's OTLP/gRPC exporter (`OTEL_EXPORTER_OTLP_PROTOCOL=grpc`, what
/// `opentelemetry-instrument` and many SDKs default to) and its OTLP/HTTP one give the same
/// lines and the same record.
#[test]
fn the_python_sdk_over_grpc_gives_the_record_it_gives_over_http() {
    let Some(python) = python("the_python_sdk_over_grpc_gives_the_record_it_gives_over_http")
    else {
        return;
    };
    let (_d1, http) = record_path("http.record.json");
    let (_d2, grpc) = record_path("grpc.record.json");
    sdk_run_over(
        &python,
        &[],
        "9 spans in 9 requests",
        Protocol::HttpProtobuf,
        &http,
    );
    sdk_run_over(&python, &[], "9 spans in 9 requests", Protocol::Grpc, &grpc);
    // Every lane alike, call by call: the strategy, the wall, each call's id and times.
    let lanes = |path: &Path| {
        let (record, _) = fanout::engine::Record::load(path).unwrap();
        record
            .lanes
            .iter()
            .map(|l| {
                let calls: Vec<_> = l
                    .calls
                    .iter()
                    .map(|c| (c.id.to_string(), c.start_ms, c.end_ms))
                    .collect();
                (l.strategy, l.wall_ms, calls)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(lanes(&grpc), lanes(&http));
}

/// The agent's trace with OpenInference's attributes instead of GenAI's: `LLM` spans named
/// `chat`, `TOOL` spans named for their tool, an `AGENT` root.
fn openinference(spans: &[S]) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&json(spans, Ids::Hex)).unwrap();
    for span in v["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array_mut()
        .unwrap()
    {
        let name = span["name"].as_str().unwrap().to_string();
        let (kind, new_name) = match name.split_once(' ') {
            Some(("execute_tool", tool)) => ("TOOL", tool.to_string()),
            Some(("chat", _)) => ("LLM", "chat".to_string()),
            _ => ("AGENT", "agent".to_string()),
        };
        let mut attrs = vec![
            serde_json::json!({"key": "openinference.span.kind", "value": {"stringValue": kind}}),
        ];
        if kind == "TOOL" {
            attrs.push(serde_json::json!({"key": "tool.name", "value": {"stringValue": new_name}}));
        }
        span["attributes"] = serde_json::Value::Array(attrs);
        span["name"] = new_name.into();
    }
    v.to_string().into_bytes()
}

#[test]
fn openinference_spans_read_like_genai_ones() {
    let (_dir, path) = record_path("oi.record.json");
    let w = Watch::start(Some(&path));
    let body = openinference(&agent());
    assert!(!String::from_utf8_lossy(&body).contains("gen_ai"));
    assert_eq!(w.post("application/json", false, &body).0, 200);
    let (out, _) = w.stop();
    check_lines(&out);
    check_record(&path);
}

/// A view that has fallen behind (a queue of one that nobody reads) is told by 429 with
/// `Retry-After`, in the request's format.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_with_retry_after() {
    let (tx, _rx) = tokio::sync::mpsc::channel(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        axum::serve(listener, fanout::watch::receive::router(tx))
            .await
            .unwrap()
    });
    let (first, second) = tokio::task::spawn_blocking(move || {
        (
            exchange(port, "application/json", false, &json(&agent(), Ids::Hex)),
            exchange(port, "application/x-protobuf", false, &protobuf(&agent())),
        )
    })
    .await
    .unwrap();
    assert!(first.0.starts_with("HTTP/1.1 200"), "{}", first.0);
    let head = second.0.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 429"), "{head}");
    assert!(head.contains("\r\nretry-after: 1"), "{head}");
    assert!(
        head.contains("content-type: application/x-protobuf"),
        "{head}"
    );
}

#[test]
fn a_turn_silent_past_hang_after_is_flagged() {
    let w = Watch::start_with(None, &["--hang-after", "300"]);
    // The first model call and one of its three tools; then nothing.
    assert_eq!(
        w.post("application/json", false, &json(&agent()[..2], Ids::Hex))
            .0,
        200
    );
    w.stop_hung(
        "trace 4bf92f35 · turn 1: nothing for 300 ms since `get_weather` arrived, and no model call has read the results: a tool may be hung (spans arrive only when they end)",
    );
}

#[test]
fn two_traces_at_once_keep_their_own_turns() {
    let w = Watch::start(None);
    let other = json(&agent(), Ids::Hex);
    let other = String::from_utf8(other)
        .unwrap()
        .replace("4bf92f3577b34da6", "00000000000000aa");
    // Interleaved: half of each, then the rest of each.
    let spans = agent();
    let (a, b) = spans.split_at(4);
    let mine_a = json(a, Ids::Hex);
    let mine_b = json(b, Ids::Hex);
    assert_eq!(w.post("application/json", false, &mine_a).0, 200);
    assert_eq!(w.post("application/json", false, other.as_bytes()).0, 200);
    assert_eq!(w.post("application/json", false, &mine_b).0, 200);
    let (out, _) = w.stop();
    // Call ids are unique across the capture: the second trace's tools are `get_weather_2`, ….
    let flagged = "turn 1: 3 tools ran one after another, 900 ms; together 400 ms — 500 ms left on the table (";
    for trace in ["4bf92f35", "00000000"] {
        assert!(out.contains(&format!("trace {trace} · {flagged}")), "{out}");
        assert!(
            out.contains(&format!(
                "trace {trace} · turn 2: 2 tools ran together, 300 ms"
            )),
            "{out}"
        );
    }
    assert!(!out.contains("still open"), "{out}");
    assert!(
        out.contains("fanout watch: 18 spans in 3 requests, 2 traces"),
        "{out}"
    );
    assert!(
        out.contains(
            "6 model turns, 10 tool calls: 1.0 s left on the table in all (turn 1 of 4bf92f35: 500 ms, turn 1 of 00000000: 500 ms)"
        ),
        "{out}"
    );
}

/// The live view, as a person sees it in a terminal (tmux): waiting, then a trace drawn with
/// its what-if lanes; a second trace is followed, `←` pins the first, `p` follows the newest
/// again, `t` opens the picker; then `q` and the summary in the scrollback. Needs tmux (CI
/// installs it); elsewhere, without it, the test skips loudly.
#[test]
fn the_live_view_follows_the_newest_trace_and_q_leaves_with_the_summary() {
    // A free port: bind one, let it go, hand it to watch.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = format!(
        "{} watch --port {port} --no-grpc; echo EXIT=$?; sleep 30",
        env!("CARGO_BIN_EXE_fanout")
    );
    let Some(tmux) = Tmux::launch("watch", "w", &script) else {
        return;
    };
    let screen = tmux.wait_for("Waiting for spans", 15);
    assert!(
        screen.contains(&format!(
            "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:{port}"
        )),
        "{screen}"
    );
    assert_eq!(
        post(port, "application/x-protobuf", false, &protobuf(&agent())).0,
        200
    );
    let screen = tmux.wait_for("following newest · trace 1 of 1", 15);
    for lane in ["┌ recorded", "├ parallel", "├ turn-batched"] {
        assert!(screen.contains(lane), "{screen}");
    }
    assert!(
        screen.contains(FLAGGED.split(" (").next().unwrap()),
        "{screen}"
    );
    // A second run, still going: its model has answered, one tool is in.
    let other = String::from_utf8(json(&agent()[..2], Ids::Hex))
        .unwrap()
        .replace("4bf92f3577b34da6", "00000000000000aa");
    assert_eq!(
        post(port, "application/json", false, other.as_bytes()).0,
        200
    );
    let screen = tmux.wait_for("following newest · trace 2 of 2", 15);
    assert!(screen.contains("turn 1: waiting for tools"), "{screen}");
    assert!(screen.contains("running"), "{screen}");
    let screen = tmux.press_for(&["Left"], "pinned: trace 1 of 2", 15);
    assert!(screen.contains("500 ms left on the table"), "{screen}");
    tmux.press_for(&["p"], "following newest · trace 2 of 2", 15);
    let screen = tmux.press_for(&["t"], "traces, newest first", 15);
    let (two, one) = (
        screen.find("trace 2 · running").expect("trace 2 listed"),
        screen.find("trace 1 · done").expect("trace 1 listed"),
    );
    assert!(two < one, "newest first: {screen}");
    // Esc, then q once the picker is gone (an Esc and a q together read as Alt-q).
    tmux.press(&["Escape"]);
    tmux.wait_for_gone("traces, newest first", 15);
    let after = tmux.press_for(&["q"], "EXIT=", 15);
    drop(tmux);
    assert!(after.contains("EXIT=0"), "{after}");
    assert!(after.contains("500 ms left on the table in all"), "{after}");
}

#[test]
fn a_record_path_that_cannot_be_written_or_a_busy_port_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_fanout"))
            .arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let d = dir.path().to_str().unwrap();
    let out = run(&["--port", "0", "--record", d]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot write the record: is a directory"),
        "{err}"
    );
    let missing = format!("{d}/no/such/dir/r.json");
    let out = run(&["--port", "0", "--record", &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no folder"));
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = run(&["--port", &port, "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")) && err.contains("hint"),
        "{err}"
    );
    // A gRPC port given and busy is bad input too, named as --grpc-port.
    let out = run(&["--port", "0", "--grpc-port", &port, "--headless"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("--grpc-port {port}"))
            && err.contains(&format!("cannot listen on 127.0.0.1:{port}"))
            && err.contains("--no-grpc"),
        "{err}"
    );
}

/// A start marker as the Python processor sends it: attributes `fanout.start = true` and the
/// announced span's id in `fanout.span_id`, under an id of its own.
fn marker(s: &S) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&json(std::slice::from_ref(s), Ids::Hex)).unwrap();
    let span = &mut v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    span["spanId"] = format!("{:016x}", s.id + 1000).into();
    span["endTimeUnixNano"] = span["startTimeUnixNano"].clone();
    span["attributes"].as_array_mut().unwrap().extend([
        serde_json::json!({"key": "fanout.start", "value": {"boolValue": true}}),
        serde_json::json!({"key": "fanout.span_id", "value": {"stringValue": format!("{:016x}", s.id)}}),
    ]);
    v
}

#[test]
fn a_started_tool_that_never_ends_is_named_as_possibly_hung() {
    let w = Watch::start_with(None, &["--hang-after", "300"]);
    let spans = agent();
    // The model, get_weather, and search_flights started but never ended.
    assert_eq!(
        w.post("application/json", false, &json(&spans[..2], Ids::Hex))
            .0,
        200
    );
    let body = marker(&spans[2]).to_string();
    assert_eq!(w.post("application/json", false, body.as_bytes()).0, 200);
    // Markers never become calls: the turn holds the one tool that arrived.
    let out = w.stop_hung(
        "trace 4bf92f35 · turn 1: nothing for 300 ms from `search_flights`, started and not ended: possibly hung",
    );
    assert!(
        out.contains("2 spans (and 1 start marker) in 2 requests"),
        "{out}"
    );
}

#[test]
fn each_trace_gets_its_own_record() {
    let (dir, path) = record_path("runs.record.json");
    let w = Watch::start(Some(&path));
    let other = String::from_utf8(json(&agent(), Ids::Hex))
        .unwrap()
        .replace("4bf92f3577b34da6", "00000000000000aa");
    assert_eq!(
        w.post("application/json", false, &json(&agent(), Ids::Hex))
            .0,
        200
    );
    assert_eq!(w.post("application/json", false, other.as_bytes()).0, 200);
    let (_, err) = w.stop();
    let second = dir.path().join("runs-2.record.json");
    assert!(
        err.contains(&format!(
            "record of trace 2 (invoke_agent travel-planner) written to {}",
            second.display()
        )),
        "{err}"
    );
    // Each holds its own run alone: the same 8 calls and figures.
    check_record(&path);
    check_record(&second);
}

/// A gRPC client (the generated `TraceServiceClient`) on `port`.
async fn grpc_client(
    port: u16,
) -> opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient<
    tonic::transport::Channel,
> {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    TraceServiceClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .unwrap()
        // Room to send more than the server takes: the cap is the server's.
        .max_encoding_message_size(64 * 1024 * 1024)
}

/// OTLP/gRPC into the running process: the agent's run in two requests (the second gzip), then
/// a bad request and one over the 16 MiB cap, each refused with its code while the server goes
/// on; the lines and the record are those of the same run over OTLP/HTTP.
#[test]
fn grpc_exports_make_the_same_capture_and_record_as_http() {
    use tonic::codec::CompressionEncoding;
    let (_dir, path) = record_path("grpc.record.json");
    let w = Watch::start(Some(&path));
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut client = grpc_client(w.grpc_port).await;
        let spans = agent();
        let (a, b) = spans.split_at(4);
        client.export(request(a)).await.unwrap();
        let mut bad = agent();
        bad[1].end_ms = 50;
        let e = client.export(request(&bad)).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument, "{e:?}");
        assert!(
            e.message().contains("execute_tool get_weather")
                && e.message().contains("ends before it starts"),
            "{e:?}"
        );
        let mut huge = request(&agent()[..1]);
        huge.resource_spans[0].scope_spans[0].spans[0].name = "x".repeat(17 * 1024 * 1024);
        let e = client.export(huge.clone()).await.unwrap_err();
        // tonic's refusal of a message over the cap, final (RESOURCE_EXHAUSTED, no RetryInfo).
        assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
        assert!(e.details().is_empty(), "{e:?}");
        assert!(e.message().contains("too large"), "{e:?}");
        // Gzip: a body that inflates past the cap is refused while inflating.
        let mut gz = client.clone().send_compressed(CompressionEncoding::Gzip);
        let e = gz.export(huge).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
        assert!(e.message().contains("size limit"), "{e:?}");
        gz.export(request(b)).await.unwrap();
    });
    let (out, err) = w.stop();
    check_lines(&out);
    assert!(
        out.contains("fanout watch: 9 spans in 2 requests, 1 trace"),
        "{out}\n{err}"
    );
    check_record(&path);
}

/// A view that has fallen behind (a queue of one that nobody reads) answers gRPC with
/// RESOURCE_EXHAUSTED and a `google.rpc.RetryInfo` of 1 s, in the status details and in
/// `google.rpc.retryinfo-bin`; a stopping one with UNAVAILABLE.
#[tokio::test]
async fn a_view_behind_answers_grpc_resource_exhausted_with_a_retry_delay() {
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(fanout::watch::grpc::serve(
        listener,
        tx,
        std::future::pending(),
    ));
    let mut client = grpc_client(port).await;
    client.export(request(&agent())).await.unwrap();
    let e = client.export(request(&agent())).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::ResourceExhausted, "{e:?}");
    assert_eq!(e.message(), "fanout watch is behind; retry in a second");
    // google.rpc.Status { code 8, message, details [Any RetryInfo { retry_delay 1 s }] }.
    let retry_info = [0x0a, 0x02, 0x08, 0x01];
    let any = [
        &[0x0a, 40][..],
        b"type.googleapis.com/google.rpc.RetryInfo",
        &[0x12, 4],
        &retry_info,
    ]
    .concat();
    let status = [
        &[0x08, 8, 0x12, 41][..],
        b"fanout watch is behind; retry in a second",
        &[0x1a, any.len() as u8],
        &any,
    ]
    .concat();
    assert_eq!(e.details(), &status[..]);
    let bin = e.metadata().get_bin("google.rpc.retryinfo-bin").unwrap();
    assert_eq!(bin.to_bytes().unwrap().as_ref(), &retry_info[..]);
    drop(rx);
    let e = client.export(request(&agent())).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unavailable, "{e:?}");
    assert_eq!(e.message(), "fanout watch is stopping");
}

#[test]
fn strategies_pick_the_what_if_lanes() {
    let (_dir, path) = record_path("pools.record.json");
    let w = Watch::start_with(Some(&path), &["--strategies", "pool:2,one-per-turn"]);
    assert_eq!(
        w.post("application/json", false, &json(&agent(), Ids::Hex))
            .0,
        200
    );
    w.stop();
    let (record, _) = fanout::engine::Record::load(&path).unwrap();
    assert_eq!(lane_names(&record), ["recorded", "pool:2", "one-per-turn"]);
    // One tool a turn: 3 chats of 100 ms as the first turns, the trace's median chat (100 ms)
    // for the other three, and the five tools one after another (300+200+400+250+300).
    assert_eq!(record.lanes[2].turns.len(), 6);
    assert_eq!(record.lanes[2].wall_ms, 6.0 * 100.0 + 1450.0);
}
