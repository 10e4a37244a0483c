//! The tree reader: every span of an export or of JSON lines, each error naming its place; and
//! the checks of a span's ids and times.

use std::collections::HashMap;

use serde_json::Value;

use super::{KIND, Role};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::engine::limits::MAX_LATENCY_MS;
use crate::import::{
    Doc, Input, body_start, dotted, join, json_error, ms3, parse_doc, show_ms, wrong_format,
};

/// A span as read from the file.
pub(super) struct RawSpan {
    /// Where it is in the file.
    pub(super) at: SpanAt,
    pub(super) trace: String,
    pub(super) id: String,
    pub(super) parent: String,
    pub(super) name: String,
    pub(super) role: Option<Role>,
    pub(super) error: Option<String>,
    pub(super) service: Option<String>,
    pub(super) start: Option<Value>,
    pub(super) end: Option<Value>,
}

impl RawSpan {
    pub(super) fn path(&self) -> Vec<Step<'static>> {
        self.at.path()
    }

    /// `span `NAME` (resourceSpans[0].scopeSpans[0].spans[3])`, for messages.
    pub(super) fn describe(&self) -> String {
        format!("span `{}` ({})", self.name, dotted(&self.path()))
    }
}

/// The documents of the file: one for an export, one per non-blank line for the file
/// exporter's JSON lines. Each is handed to `each` as soon as it is parsed, and its tree is
/// freed after: only the text is needed from then on (to place errors), and holding every
/// line's tree at once would cost as much as the one big tree.
pub(super) fn read_docs<'a>(
    input: &Input<'a>,
    mut each: impl FnMut(usize, &Doc<'a>) -> Result<(), InputError>,
) -> Result<Vec<Doc<'a>>, InputError> {
    let text = input.text;
    let start = body_start(text);
    let body = &text[start..];
    if body.trim().is_empty() {
        return Err(InputError::new(input.label, "is empty").hint(KIND.expects()));
    }
    let mut done = |d: usize, mut doc: Doc<'a>| -> Result<Doc<'a>, InputError> {
        each(d, &doc)?;
        doc.value = Value::Null;
        Ok(doc)
    };
    match serde_json::from_str::<Value>(body) {
        Ok(value) => Ok(vec![done(
            0,
            Doc {
                text,
                start,
                end: text.len(),
                value,
            },
        )?]),
        Err(e)
            if e.to_string().starts_with("trailing characters")
                && first_line_is_json(&text[start..]) =>
        {
            // JSON lines: one export request per line.
            let mut docs = Vec::new();
            let mut at = start;
            for line in text[start..].split_inclusive('\n') {
                let end = at + line.len();
                if !line.trim().is_empty() {
                    let doc = parse_doc(KIND, input, at, end)?;
                    docs.push(done(docs.len(), doc)?);
                }
                at = end;
            }
            Ok(docs)
        }
        Err(e) => Err(json_error(KIND, input, start, &e)),
    }
}

/// Whether the first non-blank line is a JSON value on its own (the file exporter's form), as
/// opposed to a pretty-printed document with something after it.
fn first_line_is_json(body: &str) -> bool {
    body.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| serde_json::from_str::<Value>(l).is_ok())
}

/// Reads every span of one document into `out`.
pub(super) fn read_spans(
    input: &Input<'_>,
    d: usize,
    doc: &Doc<'_>,
    out: &mut Vec<RawSpan>,
) -> Result<(), InputError> {
    let label = input.label;
    let Some(resource_spans) = doc.value.get("resourceSpans") else {
        if let Some(snake) = doc.value.get("resource_spans")
            && snake.is_array()
        {
            return Err(InputError::new(label, "uses `resource_spans`: OTLP JSON spells its keys in lowerCamelCase")
                .at(doc.place(&[Step::Key("resource_spans")]))
                .hint("this is the protobuf text or Python-dict form; export OTLP JSON (`resourceSpans`, `scopeSpans`, `startTimeUnixNano`)"));
        }
        return Err(wrong_format(KIND, input, doc));
    };
    let type_error = |path: &[Step<'_>], what: &str| {
        InputError::new(label, format!("`{}` is not {what}", dotted(path)))
            .at(doc.place(path))
            .hint(KIND.expects())
    };
    let top = [Step::Key("resourceSpans")];
    let Some(resource_spans) = resource_spans.as_array() else {
        return Err(type_error(&top, "a list"));
    };
    for (rs, r) in resource_spans.iter().enumerate() {
        let r_path = join(&top, Step::Index(rs));
        if !r.is_object() {
            return Err(type_error(
                &r_path,
                "an object {\"resource\": …, \"scopeSpans\": […]}",
            ));
        }
        let service = r
            .get("resource")
            .and_then(|res| attributes(res.get("attributes")).ok())
            .and_then(|a| a.get("service.name").cloned());
        // `instrumentationLibrarySpans` is what OTLP called `scopeSpans` before 0.15.
        let (scope_key, scopes) = match (r.get("scopeSpans"), r.get("instrumentationLibrarySpans"))
        {
            (Some(s), _) => ("scopeSpans", s),
            (None, Some(s)) => ("instrumentationLibrarySpans", s),
            (None, None) => continue,
        };
        let s_path = join(&r_path, Step::Key(scope_key));
        let Some(scopes) = scopes.as_array() else {
            return Err(type_error(&s_path, "a list"));
        };
        for (ss, scope) in scopes.iter().enumerate() {
            let sc_path = join(&s_path, Step::Index(ss));
            let Some(spans) = scope.get("spans") else {
                continue;
            };
            let sp_path = join(&sc_path, Step::Key("spans"));
            let Some(spans) = spans.as_array() else {
                return Err(type_error(&sp_path, "a list of spans"));
            };
            for (k, span) in spans.iter().enumerate() {
                let at = SpanAt {
                    d,
                    rs,
                    scope_key,
                    ss,
                    k,
                };
                out.push(read_span(input, doc, at, span, service.clone())?);
            }
        }
    }
    Ok(())
}

/// Where a span is: its document and its indices in `resourceSpans[rs].{scope_key}[ss].spans[k]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct SpanAt {
    pub(super) d: usize,
    pub(super) rs: usize,
    pub(super) scope_key: &'static str,
    pub(super) ss: usize,
    pub(super) k: usize,
}

impl SpanAt {
    /// The JSON path of the span.
    fn path(&self) -> Vec<Step<'static>> {
        vec![
            Step::Key("resourceSpans"),
            Step::Index(self.rs),
            Step::Key(self.scope_key),
            Step::Index(self.ss),
            Step::Key("spans"),
            Step::Index(self.k),
        ]
    }
}

/// Reads one span object, checking its ids and attributes.
pub(super) fn read_span(
    input: &Input<'_>,
    doc: &Doc<'_>,
    at: SpanAt,
    span: &Value,
    service: Option<String>,
) -> Result<RawSpan, InputError> {
    let label = input.label;
    let path = at.path();
    let type_error = |path: &[Step<'_>], what: &str| {
        InputError::new(label, format!("`{}` is not {what}", dotted(path)))
            .at(doc.place(path))
            .hint(KIND.expects())
    };
    if !span.is_object() {
        return Err(type_error(&path, "a span object"));
    }
    let name = match span.get("name") {
        None => "(unnamed)".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(type_error(&join(&path, Step::Key("name")), "a string"));
        }
    };
    let id_of = |key: &'static str, bytes: usize| -> Result<String, InputError> {
        let field = join(&path, Step::Key(key));
        match span.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => decode_id(s, bytes).ok_or_else(|| {
                InputError::new(
                    label,
                    format!(
                        "span `{name}`: {key} `{s}` is neither {} hex digits nor the base64 of {bytes} bytes",
                        bytes * 2
                    ),
                )
                .at(doc.place(&field))
                .hint("OTLP JSON writes ids as hex strings, e.g. \"spanId\": \"051581bf3cb55c13\"")
            }),
            Some(_) => Err(type_error(&field, "a string of hex digits")),
        }
    };
    let trace = id_of("traceId", 16)?;
    let id = id_of("spanId", 8)?;
    let mut parent = id_of("parentSpanId", 8)?;
    if parent.bytes().all(|b| b == b'0') {
        parent.clear();
    }
    let attrs = attributes(span.get("attributes")).map_err(|()| {
        let field = join(&path, Step::Key("attributes"));
        InputError::new(
            label,
            format!("span `{name}`: `attributes` is not a list of {{key, value}} pairs"),
        )
        .at(doc.place(&field))
        .hint("OTLP JSON writes attributes as [{\"key\": \"gen_ai.tool.name\", \"value\": {\"stringValue\": \"get_weather\"}}]")
    })?;
    let role = role_of(&name, &attrs);
    let error = error_of(span.get("status"), &attrs);
    Ok(RawSpan {
        at,
        trace,
        id,
        parent,
        name,
        role,
        error,
        service,
        start: span.get("startTimeUnixNano").cloned(),
        end: span.get("endTimeUnixNano").cloned(),
    })
}

/// Whether a span is a model call, a tool call (and which tool), or neither.
pub(super) fn role_of(name: &str, attrs: &HashMap<String, String>) -> Option<Role> {
    let tool_name = |key: &str| {
        attrs
            .get(key)
            .filter(|t| !t.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| {
                name.strip_prefix("execute_tool ")
                    .unwrap_or(name)
                    .to_string()
            })
    };
    match attrs.get("gen_ai.operation.name").map(String::as_str) {
        Some("execute_tool") => return Some(Role::Tool(tool_name("gen_ai.tool.name"))),
        Some("chat" | "text_completion" | "generate_content") => return Some(Role::Model),
        _ => {}
    }
    match attrs.get("openinference.span.kind").map(String::as_str) {
        Some("TOOL") => Some(Role::Tool(tool_name("tool.name"))),
        Some("LLM") => Some(Role::Model),
        _ => None,
    }
}

/// The failure message of a span whose status is ERROR.
fn error_of(status: Option<&Value>, attrs: &HashMap<String, String>) -> Option<String> {
    let status = status?;
    let is_error = match status.get("code")? {
        Value::Number(n) => n.as_u64() == Some(2),
        Value::String(s) => matches!(s.as_str(), "STATUS_CODE_ERROR" | "ERROR" | "2"),
        _ => false,
    };
    if !is_error {
        return None;
    }
    let message = status
        .get("message")
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty())
        .map(str::to_string)
        .or_else(|| attrs.get("error.type").map(|t| format!("error: {t}")))
        .unwrap_or_else(|| "span status ERROR".to_string());
    Some(message)
}

/// OTLP attributes as text: `[{key, value: {stringValue|intValue|doubleValue|boolValue}}]`.
/// Values of other types (arrays, maps, bytes) are left out. `Err` when it is not a list.
pub(super) fn attributes(v: Option<&Value>) -> Result<HashMap<String, String>, ()> {
    let mut out = HashMap::new();
    let Some(v) = v else {
        return Ok(out);
    };
    let list = match v {
        Value::Null => return Ok(out),
        Value::Array(list) => list,
        _ => return Err(()),
    };
    for kv in list {
        let (Some(key), Some(value)) = (kv.get("key").and_then(Value::as_str), kv.get("value"))
        else {
            continue;
        };
        let text = if let Some(s) = value.get("stringValue").and_then(Value::as_str) {
            Some(s.to_string())
        } else if let Some(i) = value.get("intValue") {
            match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        } else if let Some(x) = value.get("doubleValue") {
            x.as_f64().map(|x| x.to_string())
        } else {
            value
                .get("boolValue")
                .and_then(Value::as_bool)
                .map(|b| b.to_string())
        };
        if let Some(text) = text {
            out.insert(key.to_string(), text);
        }
    }
    Ok(out)
}

pub(crate) fn decode_id(s: &str, bytes: usize) -> Option<String> {
    if s.is_empty() {
        return Some(String::new());
    }
    if s.len() == bytes * 2 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(s.to_ascii_lowercase());
    }
    let raw = base64(s)?;
    (raw.len() == bytes).then(|| raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// Decodes standard or URL-safe base64, padded or not (ids are untrusted input: a
/// well-kept decoder, not a hand-written one).
fn base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
    STANDARD_PAD_INDIFFERENT
        .decode(s)
        .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(s))
        .ok()
}

/// A span's start and end in nanoseconds, checked.
pub(super) fn times(
    input: &Input<'_>,
    docs: &[Doc<'_>],
    s: &RawSpan,
) -> Result<(u64, u64), InputError> {
    let doc = &docs[s.at.d];
    let path = s.path();
    let get = |key: &'static str, v: &Option<Value>| -> Result<u64, InputError> {
        let field = join(&path, Step::Key(key));
        let missing = |what: &str| {
            InputError::new(input.label, format!("{}: {key} is {what}", s.describe()))
                .at(doc.place(&field))
                .hint("a span needs startTimeUnixNano and endTimeUnixNano, nanoseconds since the Unix epoch (a string or a number); a span without an end never finished: export after the run has ended")
        };
        let ns = match v {
            None | Some(Value::Null) => return Err(missing("missing")),
            Some(Value::String(t)) => t.trim().parse::<u64>().ok(),
            Some(Value::Number(n)) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0 && *x < 1.8e19)
                    .map(|x| x as u64)
            }),
            Some(_) => None,
        };
        match ns {
            Some(0) => Err(missing("0 (unset)")),
            Some(ns) => Ok(ns),
            None => Err(InputError::new(
                input.label,
                format!(
                    "{}: {key} is not a whole number of nanoseconds",
                    s.describe()
                ),
            )
            .at(doc.place(&field))
            .hint("write nanoseconds since the Unix epoch, e.g. \"1767225600000000000\"")),
        }
    };
    let start = get("startTimeUnixNano", &s.start)?;
    let end = get("endTimeUnixNano", &s.end)?;
    if end < start {
        return Err(InputError::new(
            input.label,
            format!(
                "{}: ends before it starts (endTimeUnixNano {end} < startTimeUnixNano {start})",
                s.describe()
            ),
        )
        .at(doc.place(&join(&path, Step::Key("endTimeUnixNano"))))
        .hint("the span's timestamps are swapped or corrupt; fix or drop this span"));
    }
    let ms = (end - start) as f64 / 1e6;
    if ms > MAX_LATENCY_MS {
        return Err(InputError::new(
            input.label,
            format!(
                "{}: lasts {}, more than the hour fanout simulates",
                s.describe(),
                show_ms(ms3(ms))
            ),
        )
        .at(doc.place(&join(&path, Step::Key("endTimeUnixNano"))))
        .hint("drop this span, or trim the trace to the part of the run to study"));
    }
    Ok((start, end))
}

/// The error for a file with no model or tool spans.
pub(super) fn no_calls(input: &Input<'_>, docs: &[Doc<'_>], raw: &[RawSpan]) -> InputError {
    let place = docs
        .first()
        .and_then(|d| d.place(&[Step::Key("resourceSpans")]));
    if raw.is_empty() {
        return InputError::new(input.label, "holds no spans")
            .at(place)
            .hint("export the trace after the agent run has ended; the spans are in resourceSpans[].scopeSpans[].spans[]");
    }
    let mut names: Vec<&str> = raw.iter().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let shown: Vec<String> = names.iter().take(8).map(|n| format!("`{n}`")).collect();
    InputError::new(
        input.label,
        format!(
            "none of its {} spans is a model or tool call (spans: {}{})",
            raw.len(),
            shown.join(", "),
            if names.len() > 8 { ", …" } else { "" }
        ),
    )
    .at(place)
    .hint("tool spans carry the attribute gen_ai.operation.name = \"execute_tool\" (or openinference.span.kind = \"TOOL\"), model spans gen_ai.operation.name = \"chat\" (or openinference.span.kind = \"LLM\"); instrument the agent with the OpenTelemetry GenAI conventions or OpenInference")
}
