//! What `fanout watch` has received: the spans of every request, each once, kept per trace (one
//! trace is one agent run, one scenario) and read through the span model of `import otel`.
//!
//! Start markers (the optional span processor of `integrations/python/`) are spans with the
//! attribute `fanout.start = true` and the id of the span they announce in `fanout.span_id`:
//! they are kept apart, drawn as running until the real span arrives, and never become calls of
//! a record.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::Value;

use super::turns::{self, Turn};
use crate::engine::InputError;
use crate::import::otel::{CallMeta, decode_id};
use crate::import::{Imported, Input};

/// The attribute that marks a start marker.
pub const START_ATTR: &str = "fanout.start";
/// The attribute naming the span a start marker announces (hex or base64).
pub const SPAN_ID_ATTR: &str = "fanout.span_id";

/// Everything received so far.
#[derive(Default)]
pub struct Capture {
    /// Every trace, in the order first seen.
    pub traces: Vec<Trace>,
    /// Trace id (lowercase hex) → its place in `traces`.
    index: HashMap<String, usize>,
    /// (trace, span id) of every span kept.
    seen: HashSet<(String, String)>,
    pub(super) spans: usize,
    pub(super) markers: usize,
    pub(super) requests: usize,
}

/// One trace: one agent run.
pub struct Trace {
    /// Lowercase hex.
    pub id: String,
    /// 1-based, in the order traces were first seen.
    pub number: usize,
    /// Its `resourceSpans` entries, holding only its own spans, in order of arrival.
    chunks: Vec<Value>,
    /// Spans kept (start markers not counted).
    pub spans: usize,
    /// When its last span or marker arrived.
    pub last: Instant,
    /// The root span's name once the root (no parent) has arrived: the run is over.
    pub root: Option<String>,
    /// A name before the root ends: a root's start marker, else the service.
    pub early_name: Option<String>,
    /// Start markers whose span has not arrived: span id → (the marker as a span, arrival).
    starts: HashMap<String, (Value, Instant)>,
    /// Bumped by every arrival: a cached reading of the trace is stale when it differs.
    pub version: u64,
}

impl Trace {
    /// The name the picker shows: the root's, else an early one, else the short id.
    pub fn name(&self) -> String {
        self.root
            .clone()
            .or_else(|| self.early_name.clone())
            .unwrap_or_else(|| format!("trace {}", short(&self.id)))
    }

    /// Whether the root span has arrived (roots end last: the run is over).
    pub fn done(&self) -> bool {
        self.root.is_some()
    }

    /// Span ids of the spans announced by a start marker and not arrived yet.
    pub fn running(&self) -> HashSet<String> {
        self.starts.keys().cloned().collect()
    }

    /// The trace through the span model of `import otel`; with `markers`, every announced span
    /// still running is read as a span that ends `at` (so it is drawn, as running, where it
    /// started). `None` before any span.
    pub fn import(
        &self,
        markers: bool,
        at: Instant,
    ) -> Option<Result<(Imported, Vec<CallMeta>), InputError>> {
        let mut chunks = self.chunks.clone();
        if markers && !self.starts.is_empty() {
            let spans: Vec<Value> = self
                .starts
                .values()
                .map(|(span, arrived)| {
                    let mut span = span.clone();
                    let start = nanos(span.get("startTimeUnixNano")).unwrap_or(0);
                    let ran = at.saturating_duration_since(*arrived).as_nanos() as u64;
                    span["endTimeUnixNano"] = Value::String(start.saturating_add(ran).to_string());
                    span
                })
                .collect();
            chunks.push(serde_json::json!({ "scopeSpans": [{ "spans": spans }] }));
        }
        if chunks.is_empty() {
            return None;
        }
        let text = serde_json::json!({ "resourceSpans": chunks }).to_string();
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

/// A trace's short name in lines: its first 8 hex digits.
pub fn short(trace: &str) -> &str {
    trace.get(..8).unwrap_or(trace)
}

/// A time in ns: OTLP JSON writes it as a string, protobuf's JSON as a number.
fn nanos(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The value of attribute `key` of `span`, as text (strings and booleans).
fn attr(span: &Value, key: &str) -> Option<String> {
    let list = span.get("attributes")?.as_array()?;
    let kv = list
        .iter()
        .find(|kv| kv.get("key").and_then(Value::as_str) == Some(key))?;
    let v = kv.get("value")?;
    v.get("stringValue")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| v.get("boolValue")?.as_bool().map(|b| b.to_string()))
}

/// The `service.name` of a `resourceSpans` entry.
fn service(rs: &Value) -> Option<String> {
    attr(rs.get("resource")?, "service.name")
}

impl Capture {
    /// Adds one accepted export request, arrived now.
    pub fn add(&mut self, batch: Value) {
        self.add_at(batch, Instant::now());
    }

    /// Adds one accepted export request, arrived at `now`.
    pub fn add_at(&mut self, batch: Value, now: Instant) {
        self.requests += 1;
        let Value::Object(mut top) = batch else {
            return;
        };
        let Some(Value::Array(list)) = top.remove("resourceSpans") else {
            return;
        };
        for mut rs in list {
            let resource = rs.get("resource").cloned();
            let service = service(&rs);
            for key in ["scopeSpans", "instrumentationLibrarySpans"] {
                let Some(Value::Array(scopes)) = rs.get_mut(key).map(Value::take) else {
                    continue;
                };
                for mut ss in scopes {
                    let Some(Value::Array(spans)) = ss.get_mut("spans").map(Value::take) else {
                        continue;
                    };
                    // This scope's spans, per trace, in order.
                    let mut per_trace: Vec<(usize, Vec<Value>)> = Vec::new();
                    for span in spans {
                        if let Some((t, span)) = self.take(span, service.as_deref(), now) {
                            match per_trace.iter_mut().find(|(i, _)| *i == t) {
                                Some((_, list)) => list.push(span),
                                None => per_trace.push((t, vec![span])),
                            }
                        }
                    }
                    for (t, spans) in per_trace {
                        let mut scope = ss.clone();
                        scope["spans"] = Value::Array(spans);
                        let mut chunk = serde_json::json!({ key: [scope] });
                        if let Some(r) = &resource {
                            chunk["resource"] = r.clone();
                        }
                        self.traces[t].chunks.push(chunk);
                    }
                }
            }
        }
    }

    /// Takes one span: its trace's place and the span to keep, or `None` for a span seen
    /// before (an exporter that lost a response sends the batch again) or a start marker.
    fn take(&mut self, span: Value, service: Option<&str>, now: Instant) -> Option<(usize, Value)> {
        let text = |k: &str| span.get(k).and_then(Value::as_str).unwrap_or("");
        let id = |raw: &str, n: usize| decode_id(raw, n).unwrap_or_else(|| raw.to_string());
        let trace = id(text("traceId"), 16);
        let marker = attr(&span, START_ATTR).is_some_and(|v| v == "true");
        let span_id = if marker {
            id(&attr(&span, SPAN_ID_ATTR).unwrap_or_default(), 8)
        } else {
            id(text("spanId"), 8)
        };
        let root = text("parentSpanId").is_empty();
        let name = text("name").to_string();
        let t = self.trace_of(&trace, now);
        let tr = &mut self.traces[t];
        tr.last = now;
        tr.version += 1;
        if tr.early_name.is_none() {
            tr.early_name = service.map(str::to_string);
        }
        if marker {
            if span_id.is_empty() || self.seen.contains(&(trace, span_id.clone())) {
                return None;
            }
            self.markers += 1;
            if root {
                tr.early_name = Some(name);
            }
            let mut span = span;
            // Read as the span it announces, under that span's id.
            span["spanId"] = Value::String(span_id.clone());
            tr.starts.insert(span_id, (span, now));
            return None;
        }
        if !span_id.is_empty() && !self.seen.insert((trace, span_id.clone())) {
            return None;
        }
        tr.starts.remove(&span_id);
        self.spans += 1;
        tr.spans += 1;
        if root {
            tr.root = Some(name);
        }
        Some((t, span))
    }

    fn trace_of(&mut self, trace: &str, now: Instant) -> usize {
        if let Some(&t) = self.index.get(trace) {
            return t;
        }
        let t = self.traces.len();
        self.traces.push(Trace {
            id: trace.to_string(),
            number: t + 1,
            chunks: Vec::new(),
            spans: 0,
            last: now,
            root: None,
            early_name: None,
            starts: HashMap::new(),
            version: 0,
        });
        self.index.insert(trace.to_string(), t);
        t
    }

    /// The spans received so far (start markers not counted).
    pub fn spans(&self) -> usize {
        self.spans
    }
}

/// What a trace says now: its calls and turns.
pub struct Analysis {
    pub imported: Imported,
    pub turns: Vec<Turn>,
    /// Calls that are running (announced by a start marker, not arrived), by index.
    pub running: Vec<usize>,
}

/// A trace's calls and turns, when it holds any model or tool call; with `markers`, the spans
/// still running are calls too (ending `at`), listed in `running`.
pub fn analyse(trace: &Trace, markers: bool, at: Instant) -> Option<Analysis> {
    read(trace, markers, at)?.ok()?
}

/// [`analyse`], saying why a trace that holds spans cannot be read (`Some(Err)`).
pub fn read(
    trace: &Trace,
    markers: bool,
    at: Instant,
) -> Option<Result<Option<Analysis>, InputError>> {
    Some(
        trace
            .import(markers, at)?
            .map(|(imported, meta)| analysis_of(trace, markers, imported, meta)),
    )
}

fn analysis_of(
    trace: &Trace,
    markers: bool,
    imported: Imported,
    meta: Vec<CallMeta>,
) -> Option<Analysis> {
    let recorded = imported.recorded.as_ref()?.lanes.first()?.calls.clone();
    let running_ids = if markers {
        trace.running()
    } else {
        HashSet::new()
    };
    let running: Vec<usize> = meta
        .iter()
        .enumerate()
        .filter(|(_, m)| running_ids.contains(&m.span))
        .map(|(i, _)| i)
        .collect();
    let turns = turns::turns(
        &imported.scenario.calls,
        &recorded,
        &meta,
        &running,
        trace.done(),
    );
    Some(Analysis {
        imported,
        turns,
        running,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A span of trace 7 under parent 99, ms from an epoch; `marker` makes it a start marker
    /// announcing span `id` (under marker id `id + 1000`).
    pub(crate) fn span(id: u32, name: &str, op: &str, s: u64, e: u64, marker: bool) -> Value {
        let ns = |ms: u64| (1_767_225_600_000_000_000u64 + ms * 1_000_000).to_string();
        let mut attrs =
            vec![serde_json::json!({"key": "gen_ai.operation.name", "value": {"stringValue": op}})];
        if marker {
            attrs.push(serde_json::json!({"key": START_ATTR, "value": {"boolValue": true}}));
            attrs.push(serde_json::json!({"key": SPAN_ID_ATTR, "value": {"stringValue": format!("{id:016x}")}}));
        }
        serde_json::json!({
            "traceId": format!("{:032x}", 7),
            "spanId": format!("{:016x}", if marker { id + 1000 } else { id }),
            "parentSpanId": format!("{:016x}", 99), "name": name,
            "startTimeUnixNano": ns(s), "endTimeUnixNano": ns(if marker { s } else { e }),
            "attributes": attrs,
        })
    }

    fn batch(spans: Vec<Value>) -> Value {
        serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})
    }

    #[test]
    fn a_start_marker_draws_its_tool_running_and_never_becomes_a_call() {
        let t0 = Instant::now();
        let mut c = Capture::default();
        c.add_at(
            batch(vec![
                span(1, "chat gpt-4o", "chat", 0, 100, false),
                span(2, "execute_tool slow", "execute_tool", 100, 0, true),
            ]),
            t0,
        );
        assert_eq!((c.spans, c.markers), (1, 1));
        let tr = &c.traces[0];
        let later = t0 + std::time::Duration::from_millis(700);
        let live = analyse(tr, true, later).unwrap();
        let ids: Vec<&str> = live
            .imported
            .scenario
            .calls
            .iter()
            .map(|c| &*c.id)
            .collect();
        assert_eq!(ids, ["chat", "slow"]);
        assert_eq!(live.running, [1]);
        let rec = &live.imported.recorded.as_ref().unwrap().lanes[0].calls[1];
        // Started at 100 ms; running for the 700 ms since its marker arrived.
        assert_eq!((rec.start_ms, rec.end_ms), (Some(100.0), Some(800.0)));
        assert!(live.turns[0].tools.is_empty());
        assert_eq!(live.turns[0].running, ["slow"]);
        // Without markers (the record, the headless lines), the tool is not a call.
        let kept = analyse(tr, false, later).unwrap();
        assert_eq!(kept.imported.scenario.calls.len(), 1);

        // The real span replaces the marker; a late copy of the marker changes nothing.
        c.add_at(
            batch(vec![span(
                2,
                "execute_tool slow",
                "execute_tool",
                100,
                900,
                false,
            )]),
            later,
        );
        c.add_at(
            batch(vec![span(
                2,
                "execute_tool slow",
                "execute_tool",
                100,
                0,
                true,
            )]),
            later,
        );
        let tr = &c.traces[0];
        assert!(tr.running().is_empty());
        let a = analyse(tr, true, later).unwrap();
        assert!(a.running.is_empty());
        let rec = &a.imported.recorded.as_ref().unwrap().lanes[0].calls[1];
        assert_eq!((rec.start_ms, rec.end_ms), (Some(100.0), Some(900.0)));
        assert_eq!(a.turns[0].tools.len(), 1);
        assert_eq!((c.spans, c.markers), (2, 1));
    }

    #[test]
    fn tools_nested_under_their_chat_span_are_its_turn() {
        let mut c = Capture::default();
        let mut tools = vec![
            span(2, "execute_tool a", "execute_tool", 100, 200, false),
            span(3, "execute_tool b", "execute_tool", 200, 300, false),
        ];
        for t in &mut tools {
            t["parentSpanId"] = Value::String(format!("{:016x}", 1));
        }
        let mut spans = vec![span(1, "chat gpt-4o", "chat", 0, 350, false)];
        spans.extend(tools);
        spans.push(span(4, "chat gpt-4o", "chat", 400, 500, false));
        c.add(batch(spans));
        let a = analyse(&c.traces[0], true, Instant::now()).unwrap();
        let first = &a.turns[0];
        let ids: Vec<&str> = first.tools.iter().map(|t| t.id.as_str()).collect();
        assert_eq!((first.number, ids), (1, vec!["a", "b"]));
        assert!(first.closed, "the next chat read their results");
        assert_eq!(
            super::super::turns::left_on_table(&first.tools)
                .unwrap()
                .saved_ms,
            100.0
        );
    }

    #[test]
    fn each_trace_is_kept_apart_in_the_order_first_seen() {
        let mut c = Capture::default();
        let mut other = span(5, "chat gpt-4o", "chat", 0, 50, false);
        other["traceId"] = Value::String(format!("{:032x}", 8));
        c.add(batch(vec![
            span(1, "chat gpt-4o", "chat", 0, 100, false),
            other,
            span(2, "execute_tool a", "execute_tool", 100, 200, false),
        ]));
        let ids: Vec<(&str, usize, usize)> = c
            .traces
            .iter()
            .map(|t| (short(&t.id), t.number, t.spans))
            .collect();
        assert_eq!(ids, [("00000000", 1, 2), ("00000000", 2, 1)]);
        assert_eq!(c.traces[1].id, format!("{:032x}", 8));
        let a = analyse(&c.traces[0], true, Instant::now()).unwrap();
        assert_eq!(a.imported.scenario.calls.len(), 2);
        let b = analyse(&c.traces[1], true, Instant::now()).unwrap();
        assert_eq!(b.imported.scenario.calls.len(), 1);
    }
}
