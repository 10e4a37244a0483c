//! Model payloads: the tool calls an Anthropic or OpenAI model asked for.
//!
//! - Anthropic: a Messages API response, `{"content": [{"type": "tool_use", "id", "name",
//!   "input"}, …]}`, or a conversation, `{"messages": [{"role", "content": […]}]}` or a bare
//!   list of messages.
//! - OpenAI: a Chat Completions response, `{"choices": [{"message": {"tool_calls": [{"id",
//!   "function": {"name", "arguments"}}]}}]}`, or a messages list (`{"messages": […]}` or bare)
//!   whose assistant messages carry `tool_calls`.
//!
//! One call per tool call. The calls of one assistant message form a batch: the model asked for
//! them together, so none needs another's result. Each batch depends on every call of the batch
//! before it, since the model turn between them read their results. The payloads carry no
//! timings: latencies come from [`ImportOptions`].

mod anthropic;
mod openai;

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    Doc, ImportKind, ImportOptions, Imported, Input, Looks, body_start, document_list, dotted,
    finish, join, looks_like, parse_doc, show_ms, wrong_format,
};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::engine::limits::MAX_LATENCY_MS;
use crate::engine::scenario::CallSpec;
use crate::import::imported_scenario;
use crate::text::noun;

/// One requested tool call.
pub(super) struct Call {
    /// The tool's name.
    name: String,
    /// Where its name is in the file: a JSON path, placed by line:column only for an error
    /// (locating it costs a scan of the text, so doing it per call would be quadratic).
    path: Vec<Step<'static>>,
}

/// What was found in the payload.
pub(super) struct Found {
    /// One batch per assistant message with tool calls, in order.
    batches: Vec<Vec<Call>>,
    /// The model that answered, when the payload says.
    model: Option<String>,
    /// Extra notes.
    notes: Vec<String>,
    /// A response's own reason for asking for no tools, for the error when there is no batch.
    reason: Reason,
}

/// A response's own reason for asking for no tools (`stop_reason`, `finish_reason`) and its
/// place, when it gives one.
type Reason = Option<(String, Vec<Step<'static>>)>;

/// The payload being read: its format, the file and the parsed document. Every reader and every
/// error here needs all three, so they travel as one value.
pub(super) struct Payload<'a> {
    kind: ImportKind,
    input: &'a Input<'a>,
    doc: Doc<'a>,
}

impl Payload<'_> {
    /// An error in the file, placed at `path` in the document (or its deepest part that exists).
    fn error_at(&self, message: impl Into<String>, path: &[Step<'_>]) -> InputError {
        InputError::new(self.input.label, message).at(self.doc.place(path))
    }
}

/// Imports an Anthropic or OpenAI payload (`kind`): the frame both share (the file parsed and
/// checked to be `kind`'s, an error response refused) around the format's own reading of its
/// batches, then the scenario, or why there is none.
pub(crate) fn import_messages(
    kind: ImportKind,
    input: &Input<'_>,
    opts: &ImportOptions,
) -> Result<Imported, InputError> {
    let (payload, mut found) = open(kind, input)?;
    match kind {
        ImportKind::Anthropic => anthropic::read(&payload, &mut found)?,
        _ => openai::read(&payload, &mut found)?,
    }
    build(&payload, found, opts)
}

/// The parsed payload, if it is `kind`'s and not an error response, and nothing found in it yet
/// but its model.
fn open<'a>(kind: ImportKind, input: &'a Input<'a>) -> Result<(Payload<'a>, Found), InputError> {
    let doc = parse_doc(kind, input, body_start(input.text), input.text.len())?;
    if looks_like(&doc.value).is_some_and(|l| l != Looks::Import(kind)) {
        return Err(wrong_format(kind, input, &doc));
    }
    let payload = Payload { kind, input, doc };
    let found = Found {
        batches: Vec::new(),
        model: payload
            .doc
            .value
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string),
        notes: Vec::new(),
        reason: None,
    };
    if let Some(e) = api_error(&payload) {
        return Err(e);
    }
    Ok((payload, found))
}

/// An API error response (Anthropic's `{"type": "error", "error": {…}}`, OpenAI's
/// `{"error": {…}}`) as the error it is, with its message.
fn api_error(p: &Payload<'_>) -> Option<InputError> {
    let v = &p.doc.value;
    let (is_error, asks) = match p.kind {
        ImportKind::Anthropic => (
            v.get("type").and_then(Value::as_str) == Some("error"),
            "one whose stop_reason is `tool_use`",
        ),
        _ => (
            v.get("error").is_some_and(Value::is_object),
            "one whose choices ask for tools",
        ),
    };
    if !is_error {
        return None;
    }
    let message = v
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    Some(
        p.error_at(
            format!("is an API error response: {message}"),
            &[Step::Key("error")],
        )
        .hint(format!("import a successful response, {asks}")),
    )
}

/// The messages of a conversation, `{"messages": […]}` or a bare list, one batch per assistant
/// message that asks for tools (`calls` reads them). Any other shape is not the payload's kind.
pub(super) fn conversation(
    p: &Payload<'_>,
    found: &mut Found,
    mut calls: impl FnMut(&Value, &[Step<'static>]) -> Result<Vec<Call>, InputError>,
) -> Result<(), InputError> {
    let (list, base) = document_list(p.kind, p.input, &p.doc, "messages")?;
    for (i, m) in list.iter().enumerate() {
        let path = join(&base, Step::Index(i));
        if message_role(p, m, &path)? == "assistant" {
            let batch = calls(m, &path)?;
            if !batch.is_empty() {
                found.batches.push(batch);
            }
        }
    }
    Ok(())
}

/// What a payload that asks for no tools lacks, and the fix.
pub(super) struct NoTools {
    /// What no assistant message has, e.g. "a tool_use block".
    pub lacks: &'static str,
    pub hint: &'static str,
}

/// A message's role, checked.
fn message_role<'v>(
    p: &Payload<'_>,
    m: &'v Value,
    path: &[Step<'static>],
) -> Result<&'v str, InputError> {
    if !m.is_object() {
        return Err(p
            .error_at(format!("`{}` is not a message object", dotted(path)), path)
            .hint(p.kind.expects()));
    }
    match m.get("role") {
        Some(Value::String(r)) => Ok(r),
        _ => Err(p.error_at(
            format!("message `{}` has no `role`", dotted(path)),
            &join(path, Step::Key("role")),
        )
        .hint("every message has a role: \"user\", \"assistant\" (and for OpenAI \"system\", \"tool\")")),
    }
}

/// A tool name, checked: a non-empty string.
pub(super) fn tool_name(
    p: &Payload<'_>,
    name: Option<&Value>,
    path: &[Step<'static>],
    what: &str,
) -> Result<String, InputError> {
    match name {
        Some(Value::String(n)) if !n.trim().is_empty() => Ok(n.clone()),
        _ => Err(p
            .error_at(
                format!("a {what} without a tool name (`{}`)", dotted(path)),
                path,
            )
            .hint("every tool call names its tool, e.g. \"name\": \"get_weather\"")),
    }
}

/// The scenario: ids from tool names, batch after batch, latencies from the options. With no
/// batch, why: the file is another importer's, or it asks for no tools (with the response's own
/// reason and its place, when it gives one).
fn build(p: &Payload<'_>, found: Found, opts: &ImportOptions) -> Result<Imported, InputError> {
    let (kind, input) = (p.kind, p.input);
    if found.batches.is_empty() {
        let no_tools = match kind {
            ImportKind::Anthropic => anthropic::NO_TOOLS,
            _ => openai::NO_TOOLS,
        };
        if let Some(Looks::Import(other)) = looks_like(&p.doc.value)
            && other != kind
        {
            return Err(wrong_format(kind, input, &p.doc));
        }
        let (message, path) = found.reason.unwrap_or_else(|| {
            (
                format!("no assistant message has {}", no_tools.lacks),
                Vec::new(),
            )
        });
        return Err(p.error_at(message, &path).hint(no_tools.hint));
    }
    for (name, &ms) in &opts.latency_by_tool {
        if !(ms.is_finite() && (0.0..=MAX_LATENCY_MS).contains(&ms)) {
            return Err(
                InputError::new("--latency", format!("{name}={ms}: out of range"))
                    .hint("use milliseconds from 0 to 3600000 (one hour)"),
            );
        }
    }
    if let Some(ms) = opts.default_latency_ms
        && !(ms.is_finite() && (0.0..=MAX_LATENCY_MS).contains(&ms))
    {
        return Err(
            InputError::new("--default-latency", format!("{ms}: out of range"))
                .hint("use milliseconds from 0 to 3600000 (one hour)"),
        );
    }

    // Latencies first: one error naming every tool that has none.
    let mut missing: Vec<&Call> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for call in found.batches.iter().flatten() {
        if !opts.latency_by_tool.contains_key(&call.name)
            && opts.default_latency_ms.is_none()
            && seen.insert(call.name.as_str())
        {
            missing.push(call);
        }
    }
    if let Some(first) = missing.first() {
        let names: Vec<String> = missing.iter().map(|m| format!("`{}`", m.name)).collect();
        let flags: Vec<String> = missing
            .iter()
            .map(|m| format!("--latency {}=MS", m.name))
            .collect();
        return Err(p
            .error_at(
                format!(
                    "no latency for {} {}: {} carries no timings",
                    noun(missing.len(), "tool"),
                    names.join(", "),
                    kind.noun()
                ),
                &first.path,
            )
            .hint(format!(
                "give {} a latency: {}, or --default-latency MS for every tool without one",
                if missing.len() == 1 { "it" } else { "each" },
                flags.join(" ")
            )));
    }

    let mut notes = found.notes;
    let total: usize = found.batches.iter().map(Vec::len).sum();
    let turns = found.batches.len();
    notes.insert(
        0,
        format!(
            "{total} tool {} in {turns} {} (one per assistant message that asks for tools)",
            noun(total, "call"),
            noun(turns, "batch")
        ),
    );
    if turns > 1 {
        notes.push("each batch depends on every call of the batch before it: the model turn between them read their results; the model turns themselves take no time here (add them as calls, e.g. {\"tool\": \"llm\", \"latency_ms\": …}, if they matter)".to_string());
    }
    notes.push(
        "ids are the tool names (`_2`, `_3` for repeats); the API's tool-call ids are not kept"
            .to_string(),
    );

    // Which latency each tool got, and from where.
    let mut used: BTreeMap<&str, (f64, &str)> = BTreeMap::new();
    let mut ids = crate::import::Ids::default();
    let mut calls = Vec::with_capacity(total);
    let mut previous: Vec<std::sync::Arc<str>> = Vec::new();
    for batch in &found.batches {
        let mut this = Vec::with_capacity(batch.len());
        for call in batch {
            let (ms, from) = match opts.latency_by_tool.get(&call.name) {
                Some(&ms) => (ms, "--latency"),
                None => (opts.default_latency_ms.unwrap_or(0.0), "--default-latency"),
            };
            used.insert(&call.name, (ms, from));
            let id: std::sync::Arc<str> = ids.make(&call.name).into();
            calls.push(CallSpec {
                tool: Some(call.name.clone()),
                depends_on: previous.clone(),
                ..CallSpec::simulated(id.clone(), ms)
            });
            this.push(id);
        }
        previous = this;
    }
    let list: Vec<String> = used
        .iter()
        .map(|(name, (ms, from))| format!("{name} {} ({from})", show_ms(*ms)))
        .collect();
    notes.push(format!("latencies: {}", list.join(", ")));
    let unused: Vec<&str> = opts
        .latency_by_tool
        .keys()
        .map(String::as_str)
        .filter(|n| !used.contains_key(n))
        .collect();
    if !unused.is_empty() {
        notes.push(format!(
            "--latency for {} matches no tool call (the tools are {})",
            unused
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            used.keys()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    let by = found
        .model
        .as_deref()
        .map(|m| format!(" by {m}"))
        .unwrap_or_default();
    let lesson = if turns == 1 {
        "The model asked for these tools in one turn, so none needs another's result: they can all run at once, and the batch takes as long as its slowest call instead of the sum. The latencies are the ones given to the import, not measured.".to_string()
    } else {
        "The calls the model asked for in one turn need none of each other's results and can run at once; each turn needs the results of the one before it, so the turns stay serial. The latencies are the ones given to the import, not measured.".to_string()
    };
    let description = format!(
        "{total} tool {} asked for{by} in {turns} {} ({}), imported with `fanout import {}`.",
        noun(total, "call"),
        noun(turns, "turn"),
        kind.noun(),
        kind.name()
    );
    let scenario = imported_scenario(input, description, lesson, calls);
    finish(input, scenario, None, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::PLACES;

    fn places_while(f: impl FnOnce()) -> usize {
        PLACES.with(|n| n.set(0));
        f();
        PLACES.with(|n| n.get())
    }

    #[test]
    fn a_long_batch_is_placed_only_on_error() {
        let opts = ImportOptions {
            default_latency_ms: Some(5.0),
            ..ImportOptions::default()
        };
        let n = 3000;
        let blocks: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"type":"tool_use","id":"t{i}","name":"tool_{i}","input":{{}}}}"#))
            .collect();
        let anthropic = format!(r#"{{"content":[{}]}}"#, blocks.join(","));
        let calls: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"id":"c{i}","type":"function","function":{{"name":"tool_{i}","arguments":"{{}}"}}}}"#))
            .collect();
        let openai = format!(
            r#"{{"choices":[{{"message":{{"role":"assistant","tool_calls":[{}]}}}}]}}"#,
            calls.join(",")
        );
        for (kind, text) in [
            (ImportKind::Anthropic, &anthropic),
            (ImportKind::Openai, &openai),
        ] {
            let input = Input {
                label: "m.json",
                name: "m.json",
                text,
            };
            let run = |opts: &ImportOptions| import_messages(kind, &input, opts);
            let mut imported = None;
            assert_eq!(places_while(|| imported = Some(run(&opts))), 0, "{kind}");
            assert_eq!(imported.unwrap().unwrap().scenario.calls.len(), n);
            // Without latencies it fails, naming every tool, and places the error once.
            let mut failed = None;
            let places = places_while(|| failed = Some(run(&ImportOptions::default())));
            let e = failed.unwrap().unwrap_err();
            assert!(e.message.contains("`tool_2999`"), "{kind}");
            assert!(e.line_col.is_some(), "{kind}");
            assert_eq!(places, 1, "{kind}");
        }
    }
}
