//! What `fanout watch` has received: the spans of every request, each once, read through the
//! span model of `import otel`.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::Value;

use super::turns::{self, Turn};
use crate::engine::InputError;
use crate::import::otel::{CallMeta, decode_id};
use crate::import::{Imported, Input};

/// Everything received so far.
#[derive(Default)]
pub struct Capture {
    /// The `resourceSpans` entries of every request, in order of arrival.
    pub(super) chunks: Vec<Value>,
    /// Per trace (lowercase hex): when its last span arrived, and whether its root has.
    pub(super) traces: HashMap<String, TraceSeen>,
    /// (trace, span id) of every span kept.
    pub(super) seen: HashSet<(String, String)>,
    pub(super) spans: usize,
    pub(super) requests: usize,
}

pub(super) struct TraceSeen {
    pub(super) last: Instant,
    pub(super) root: bool,
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
