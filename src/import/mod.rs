//! Importers: turn a recorded agent run (an OpenTelemetry trace, a Chrome trace) or a model's
//! tool calls (an Anthropic Messages or OpenAI Chat Completions payload) into a scenario.
//!
//! Traces carry timings: every imported call takes the time its span or event took, and the
//! run itself comes back as a [`Record`] with one lane, `recorded`. Model payloads carry no
//! timings: latencies come from [`ImportOptions`].
//!
//! Every importer reads JSON into a [`serde_json::Value`] first and then walks it, so that each
//! error can name the file, the place (line:column, found from the JSON path) and the fix.

pub mod chrome_trace;
pub mod messages;
pub mod otel;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::engine::InputError;
use crate::engine::json::errors;
use crate::engine::json::locate::{Step, line_col, locate};
use crate::engine::limits::MAX_LATENCY_MS;
use crate::engine::options::{Clock, Mode};
use crate::engine::plan::Plan;
use crate::engine::record::{
    CallMore, CallRecord, CallStatus, LaneLabel, LaneRecord, Record, speedup,
};
use crate::engine::scenario::{CallSpec, Scenario, ScenarioSource};

/// The strategy name of the one lane of an imported record: the run as it happened.
pub use crate::engine::record::RECORDED_LANE;

/// Ids made from names are cut to this many characters (before a `_2` suffix).
const MAX_ID_CHARS: usize = 64;

/// The formats `fanout import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ImportKind {
    /// OpenTelemetry OTLP JSON (an export, or the file exporter's one object per line).
    Otel,
    /// Chrome's Trace Event Format (`chrome://tracing`, Perfetto, many profilers).
    ChromeTrace,
    /// An Anthropic Messages API response or conversation.
    Anthropic,
    /// An OpenAI Chat Completions response or messages list.
    #[value(name = "openai")]
    Openai,
}

impl ImportKind {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Otel => "otel",
            ImportKind::ChromeTrace => "chrome-trace",
            ImportKind::Anthropic => "anthropic",
            ImportKind::Openai => "openai",
        }
    }

    /// What the format is, in a few words.
    pub fn noun(self) -> &'static str {
        match self {
            ImportKind::Otel => "an OpenTelemetry OTLP JSON trace",
            ImportKind::ChromeTrace => "a Chrome trace",
            ImportKind::Anthropic => "an Anthropic Messages payload",
            ImportKind::Openai => "an OpenAI Chat Completions payload",
        }
    }

    /// What a file of this format looks like: the hint for a file that is not one.
    pub fn expects(self) -> &'static str {
        match self {
            ImportKind::Otel => {
                "`import otel` reads an OTLP JSON trace export, {\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": […]}]}]}, or the file exporter's output: one such object per line"
            }
            ImportKind::ChromeTrace => {
                "`import chrome-trace` reads Chrome's Trace Event Format: {\"traceEvents\": […]} or a bare list of events with `ph`, `ts`, `pid`, `tid`"
            }
            ImportKind::Anthropic => {
                "`import anthropic` reads a Messages API response, {\"content\": [{\"type\": \"tool_use\", …}]}, or a conversation, {\"messages\": […]} or a bare list of messages"
            }
            ImportKind::Openai => {
                "`import openai` reads a Chat Completions response, {\"choices\": [{\"message\": {\"tool_calls\": […]}}]}, or a messages list ({\"messages\": […]} or bare) with assistant `tool_calls`"
            }
        }
    }
}

impl std::fmt::Display for ImportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Latencies for payloads that carry no timings (`anthropic`, `openai`); traces ignore them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// Milliseconds per tool name (`--latency NAME=MS`).
    pub latency_by_tool: BTreeMap<String, f64>,
    /// Milliseconds for every tool not in `latency_by_tool` (`--default-latency MS`).
    pub default_latency_ms: Option<f64>,
}

/// What an import produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The scenario; it passes [`Plan::new`].
    pub scenario: Scenario,
    /// The run as it happened (traces only): one lane, strategy [`RECORDED_LANE`], whose calls
    /// are the scenario's in order, timed from the earliest span or event.
    pub recorded: Option<Record>,
    /// What the importer decided and left out, one sentence each, for the user to read.
    pub notes: Vec<String>,
}

/// An imported scenario: named after its file, raced sequential against parallel, with no seed,
/// rate limit or mode of its own.
pub(crate) fn imported_scenario(
    input: &Input<'_>,
    description: String,
    lesson: String,
    calls: Vec<CallSpec>,
) -> Scenario {
    Scenario {
        name: format!("Imported from {}", input.name),
        description: Some(description),
        lesson: Some(lesson),
        strategies: Some(vec!["sequential".into(), "parallel".into()]),
        seed: None,
        on_error: None,
        rate_limit: None,
        mode: None,
        model_turn_ms: None,
        model_turn: None,
        calls,
    }
}

/// The what-if lanes of `what_ifs` (the virtual clock) beside what really happened (`recorded`,
/// an imported trace's own lane, put first): every speedup is then against what happened, and
/// the record starts when the trace did. Without a recorded run, `what_ifs` as it is.
pub fn beside_recorded(recorded: Option<&Record>, mut what_ifs: Record) -> Record {
    let Some(recorded) = recorded else {
        return what_ifs;
    };
    let Some(lane) = recorded.lanes.first() else {
        return what_ifs;
    };
    let mut lane = lane.clone();
    lane.strategy = LaneLabel::Recorded;
    lane.speedup = 1.0;
    for what_if in &mut what_ifs.lanes {
        what_if.speedup = speedup(lane.wall_ms, what_if.wall_ms);
    }
    what_ifs.started_at = recorded.started_at.clone();
    what_ifs.lanes.insert(0, lane);
    what_ifs
}

impl Imported {
    /// The scenario as pretty JSON with a final newline, ready to write to a file.
    pub fn scenario_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.scenario)
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }
}

/// Reads `path` and imports it as `kind`. Errors name the file, the place and the fix.
pub fn import(kind: ImportKind, path: &Path, opts: &ImportOptions) -> Result<Imported, InputError> {
    let label = path.display().to_string();
    let utf8_hint = format!("{}; save it as UTF-8", kind.expects());
    let text = crate::engine::input::read_input(
        path,
        crate::engine::input::InputKind {
            what: kind.noun(),
            missing_hint: "check the path",
            dir_hint: "give one of the files inside it",
            utf8_hint: &utf8_hint,
        },
    )?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| label.clone());
    import_text(kind, &label, &name, &text, opts)
}

/// Imports JSON text already in memory. `label` names it in errors (a path), `name` in the
/// scenario's title (a file name).
pub fn import_text(
    kind: ImportKind,
    label: &str,
    name: &str,
    text: &str,
    opts: &ImportOptions,
) -> Result<Imported, InputError> {
    let input = Input { label, name, text };
    match kind {
        ImportKind::Otel => otel::import(&input, opts),
        ImportKind::ChromeTrace => chrome_trace::import(&input, opts),
        ImportKind::Anthropic | ImportKind::Openai => messages::import_messages(kind, &input, opts),
    }
}

/// Parses one `--latency NAME=MS` argument (usable as a clap `value_parser`).
pub fn parse_latency(arg: &str) -> Result<(String, f64), String> {
    let Some((name, ms)) = arg.rsplit_once('=') else {
        return Err(format!("`{arg}`: expected NAME=MS, e.g. get_weather=300"));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!(
            "`{arg}`: the tool name is empty; expected NAME=MS, e.g. get_weather=300"
        ));
    }
    let ms = parse_ms(ms.trim()).map_err(|m| format!("`{arg}`: {m}"))?;
    Ok((name.to_string(), ms))
}

/// Parses a number of milliseconds from 0 to an hour (usable for `--default-latency`).
pub fn parse_ms(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(ms) if ms.is_finite() && (0.0..=MAX_LATENCY_MS).contains(&ms) => Ok(ms),
        Ok(_) => Err(format!(
            "{s} ms is out of range: use milliseconds from 0 to 3600000 (one hour)"
        )),
        Err(_) => Err(format!(
            "`{s}` is not a number of milliseconds, e.g. 300 or 12.5"
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared by the importers
// ---------------------------------------------------------------------------------------------

/// The text being imported and how to name it.
pub(crate) struct Input<'a> {
    /// The path, for errors.
    pub label: &'a str,
    /// The file name, for the scenario's title.
    pub name: &'a str,
    /// The whole text.
    pub text: &'a str,
}

/// One JSON document of the input (the whole file, or one line of a JSON-lines file), parsed,
/// with where it sits in the text so that paths inside it can be placed by line:column.
pub(crate) struct Doc<'a> {
    /// The whole text of the file.
    pub text: &'a str,
    /// Byte offset of the document in `text`.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// The parsed document.
    pub value: Value,
}

impl Doc<'_> {
    /// Line and column of the value at `path`, or of the deepest prefix of `path` that exists
    /// (a missing field is placed at the object that lacks it).
    pub fn place(&self, path: &[Step<'_>]) -> Option<(usize, usize)> {
        #[cfg(test)]
        PLACES.with(|n| n.set(n.get() + 1));
        let body = &self.text[self.start..self.end];
        (0..=path.len())
            .rev()
            .find_map(|n| locate(body, &path[..n]))
            .map(|at| line_col(self.text, self.start + at))
    }
}

#[cfg(test)]
thread_local! {
    /// How many times [`Doc::place`] scanned the text: each scan is linear in the file, so an
    /// importer must do it a bounded number of times, never once per call.
    pub(crate) static PLACES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Byte offset just past a UTF-8 byte-order mark (RFC 8259 lets a parser ignore one).
pub(crate) fn body_start(text: &str) -> usize {
    if text.starts_with('\u{feff}') { 3 } else { 0 }
}

/// Parses `text[start..end]` as one JSON value, with serde's error placed in the whole text.
pub(crate) fn parse_doc<'a>(
    kind: ImportKind,
    input: &Input<'a>,
    start: usize,
    end: usize,
) -> Result<Doc<'a>, InputError> {
    let body = &input.text[start..end];
    if body.trim().is_empty() {
        return Err(InputError::new(input.label, "is empty").hint(kind.expects()));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(value) => Ok(Doc {
            text: input.text,
            start,
            end,
            value,
        }),
        Err(e) => Err(json_error(kind, input, start, &e)),
    }
}

/// A serde_json error on an import as a placed [`InputError`] whose hints speak of `kind`'s
/// format (see [`errors::foreign_json_error`], where every serde error is translated).
pub(crate) fn json_error(
    kind: ImportKind,
    input: &Input<'_>,
    start: usize,
    e: &serde_json::Error,
) -> InputError {
    errors::foreign_json_error(input.label, input.text, start, e, kind.expects())
}

/// What a JSON document looks like, for "this is X, not Y" errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Looks {
    Scenario,
    Record,
    Import(ImportKind),
    OtelConsole,
    OpenaiResponses,
}

/// Guesses which format a document is in, from its top-level shape.
pub(crate) fn looks_like(value: &Value) -> Option<Looks> {
    let has_role = |v: &Value| v.get("role").is_some_and(Value::is_string);
    let messages_kind = |list: &[Value]| -> Option<Looks> {
        let mut anthropic = false;
        let mut openai = false;
        for m in list {
            if m.get("tool_calls").is_some()
                || m.get("function_call").is_some()
                || m.get("role").and_then(Value::as_str) == Some("tool")
            {
                openai = true;
            }
            if let Some(blocks) = m.get("content").and_then(Value::as_array)
                && blocks.iter().any(|b| {
                    matches!(
                        b.get("type").and_then(Value::as_str),
                        Some("tool_use" | "tool_result")
                    )
                })
            {
                anthropic = true;
            }
        }
        match (anthropic, openai) {
            (true, false) => Some(Looks::Import(ImportKind::Anthropic)),
            (false, true) => Some(Looks::Import(ImportKind::Openai)),
            _ => None,
        }
    };
    match value {
        Value::Object(o) => {
            if o.contains_key("lanes") && o.contains_key("scenario") {
                Some(Looks::Record)
            } else if o.contains_key("calls") && o.contains_key("name") {
                Some(Looks::Scenario)
            } else if o.contains_key("resourceSpans") || o.contains_key("resource_spans") {
                Some(Looks::Import(ImportKind::Otel))
            } else if o.contains_key("traceEvents") {
                Some(Looks::Import(ImportKind::ChromeTrace))
            } else if o.contains_key("choices") {
                Some(Looks::Import(ImportKind::Openai))
            } else if o.get("object").and_then(Value::as_str) == Some("response")
                || (o.contains_key("output") && !o.contains_key("content"))
            {
                Some(Looks::OpenaiResponses)
            } else if o.contains_key("context") && o.contains_key("start_time") {
                Some(Looks::OtelConsole)
            } else if o.get("content").is_some_and(Value::is_array)
                && (o.get("type").and_then(Value::as_str) == Some("message") || has_role(value))
            {
                Some(Looks::Import(ImportKind::Anthropic))
            } else if let Some(list) = o.get("messages").and_then(Value::as_array) {
                messages_kind(list)
            } else {
                None
            }
        }
        Value::Array(list) => {
            if list.first().is_some_and(|e| e.get("ph").is_some()) {
                Some(Looks::Import(ImportKind::ChromeTrace))
            } else if list.first().is_some_and(has_role) {
                messages_kind(list)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The list a document holds, with its path: the document itself when it is a list, else the
/// list under `key`. An object without `key` is not `kind`'s format.
pub(crate) fn document_list<'v>(
    kind: ImportKind,
    input: &Input<'_>,
    doc: &'v Doc<'_>,
    key: &'static str,
) -> Result<(&'v [Value], Vec<Step<'static>>), InputError> {
    match &doc.value {
        Value::Array(list) => Ok((list, vec![])),
        Value::Object(o) => match o.get(key) {
            Some(Value::Array(list)) => Ok((list, vec![Step::Key(key)])),
            Some(_) => Err(
                InputError::new(input.label, format!("`{key}` is not a list"))
                    .at(doc.place(&[Step::Key(key)]))
                    .hint(kind.expects()),
            ),
            None => Err(wrong_format(kind, input, doc)),
        },
        _ => Err(wrong_format(kind, input, doc)),
    }
}

/// The error for a document that is not of the format being imported: what it seems to be
/// instead and what to do with it.
pub(crate) fn wrong_format(kind: ImportKind, input: &Input<'_>, doc: &Doc<'_>) -> InputError {
    let place = doc.place(&[]);
    let label = input.label;
    let err =
        |what: &str| InputError::new(label, format!("is {what}, not {}", kind.noun())).at(place);
    match looks_like(&doc.value) {
        Some(Looks::Scenario) => err("a fanout scenario").hint(format!(
            "a scenario needs no import: `fanout run {label}`; {}",
            kind.expects()
        )),
        Some(Looks::Record) => err("a fanout run record").hint(format!(
            "`fanout report {label}` or `fanout replay {label}` shows it; {}",
            kind.expects()
        )),
        Some(Looks::Import(other)) if other != kind => err(other.noun()).hint(format!(
            "import it with `fanout import {} {label}`",
            other.name()
        )),
        Some(Looks::OtelConsole) => err("the OpenTelemetry console exporter's output").hint(
            "the console exporter prints its own JSON, not OTLP: export with the OTLP file exporter (or the collector's `file` exporter) and import that",
        ),
        Some(Looks::OpenaiResponses) => err("an OpenAI Responses API response").hint(
            "`import openai` reads Chat Completions: give the response of /v1/chat/completions ({\"choices\": …}) or the messages list",
        ),
        _ => {
            let found = match &doc.value {
                Value::Object(o) if o.is_empty() => "an empty object".to_string(),
                Value::Object(o) => {
                    let keys: Vec<String> = o.keys().take(6).map(|k| format!("`{k}`")).collect();
                    format!(
                        "an object with {}{}",
                        keys.join(", "),
                        if o.len() > 6 { ", …" } else { "" }
                    )
                }
                Value::Array(a) if a.is_empty() => "an empty list".to_string(),
                Value::Array(_) => "a list of something else".to_string(),
                Value::String(_) => "a string".to_string(),
                Value::Number(_) => "a number".to_string(),
                Value::Bool(_) => "`true` or `false`".to_string(),
                Value::Null => "`null`".to_string(),
            };
            InputError::new(label, format!("is not {}: found {found}", kind.noun()))
                .at(place)
                .hint(kind.expects())
        }
    }
}

pub(crate) use crate::engine::json::locate::dotted;

/// A path with one more step.
pub(crate) fn join<'a>(path: &[Step<'a>], step: Step<'a>) -> Vec<Step<'a>> {
    let mut p = Vec::with_capacity(path.len() + 1);
    p.extend_from_slice(path);
    p.push(step);
    p
}

/// Makes call ids from names: characters outside `[A-Za-z0-9_.:-]` become `_`, and a repeated
/// id gets `_2`, `_3`, …
#[derive(Debug, Default)]
pub(crate) struct Ids {
    used: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Ids {
    /// A fresh id for `name`.
    pub fn make(&mut self, name: &str) -> String {
        let base = sanitize(name);
        if self.used.insert(base.clone()) {
            return base;
        }
        let n = self.next.entry(base.clone()).or_insert(2);
        loop {
            let id = format!("{base}_{n}");
            *n += 1;
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

/// `name` with every run of characters outside `[A-Za-z0-9_.:-]` replaced by one `_`, cut to
/// [`MAX_ID_CHARS`]; `call` when nothing is left.
pub(crate) fn sanitize(name: &str) -> String {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-');
    let pieces: Vec<&str> = name
        .split(|c: char| !valid(c))
        .filter(|p| !p.is_empty())
        .collect();
    let mut id = pieces.join("_");
    if id.len() > MAX_ID_CHARS {
        id.truncate(MAX_ID_CHARS);
        while id.ends_with('_') {
            id.pop();
        }
    }
    if id.is_empty() {
        "call".to_string()
    } else {
        id
    }
}

/// Milliseconds rounded to 3 decimals (microseconds).
pub(crate) fn ms3(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// An imported timing for messages: `1.234 s`, `0.125 ms`. It keeps the microseconds the trace
/// gives, where a report's figures stop at a tenth of a millisecond.
pub(crate) fn show_ms(ms: f64) -> String {
    crate::text::duration(ms, crate::text::Precision::Micros)
}

/// One call of a recorded run: when it started and ended (ms from the earliest), and its error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Timed {
    pub start_ms: f64,
    pub end_ms: f64,
    pub error: Option<String>,
}

/// Validates `scenario` with [`Plan::new`] (so an importer can never hand out a scenario that
/// `fanout run` rejects) and, for a trace, builds the `recorded` record from `timed` (one entry
/// per call, in the scenario's order).
pub(crate) fn finish(
    input: &Input<'_>,
    scenario: Scenario,
    timed: Option<(Vec<Timed>, String)>,
    notes: Vec<String>,
) -> Result<Imported, InputError> {
    let json = serde_json::to_string_pretty(&scenario)
        .map_err(|e| InputError::new(input.label, format!("cannot write the scenario: {e}")))?;
    let source = ScenarioSource::from_text(format!("{} (imported)", input.label), json);
    // The plan takes the scenario; the one handed out is the plan's own (a second copy of a
    // 400k-call scenario is hundreds of megabytes).
    let plan = Plan::new(scenario, &source).map_err(|mut e| {
        e.hint = Some(
            format!(
                "the importer made a scenario fanout rejects; please report this with the input file{}",
                e.hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default()
            )
            .into_boxed_str(),
        );
        e
    })?;
    drop(source);
    let recorded = timed.map(|(timed, started_at)| recorded_record(&plan, &timed, started_at));
    let Plan { scenario, .. } = plan;
    Ok(Imported {
        // The recorded record shares it; unshared, it is handed out without a copy.
        scenario: std::sync::Arc::unwrap_or_clone(scenario),
        recorded,
        notes,
    })
}

/// The run as it happened: a record with one lane, [`RECORDED_LANE`].
fn recorded_record(plan: &Plan, timed: &[Timed], started_at: String) -> Record {
    let calls: Vec<CallRecord> = plan
        .calls
        .iter()
        .zip(timed)
        .map(|(c, t)| CallRecord {
            id: c.id.clone(),
            status: if t.error.is_some() {
                CallStatus::Error
            } else {
                CallStatus::Ok
            },
            start_ms: Some(t.start_ms),
            end_ms: Some(t.end_ms),
            more: t.error.clone().map(|error| {
                Box::new(CallMore {
                    error: Some(error),
                    ..CallMore::default()
                })
            }),
        })
        .collect();
    let wall_ms = ms3(timed.iter().map(|t| t.end_ms).fold(0.0, f64::max));
    let bounds = plan.bounds;
    Record {
        fanout_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        speed: 1.0,
        mode: Mode::Race,
        clock: Clock::Real,
        scenario: plan.scenario.clone(),
        bounds,
        cores: 1,
        draws: BTreeMap::new(),
        lanes: vec![LaneRecord {
            strategy: LaneLabel::Recorded,
            wall_ms,
            // The run respected the dependencies (or the importer could not have drawn them):
            // no schedule of them beats the critical path.
            lower_bound_ms: bounds.critical_path_ms,
            speedup: speedup(bounds.sum_ms, wall_ms),
            predicted_ms: None,
            calls,
            turns: Vec::new(),
        }],
        runs: Vec::new(),
    }
}

/// Notes common to traces: what the latencies mean and what the recorded wall holds besides
/// the calls.
pub(crate) fn timing_notes(timed: &[Timed], what: &str, notes: &mut Vec<String>) {
    timing_notes_apart(timed, &[], what, notes);
}

/// [`timing_notes`], with the calls at `apart` (model calls enclosing their own tools, which
/// wait on them rather than compete) left out of the overlap count.
pub(crate) fn timing_notes_apart(
    timed: &[Timed],
    apart: &[usize],
    what: &str,
    notes: &mut Vec<String>,
) {
    let wall = timed.iter().map(|t| t.end_ms).fold(0.0, f64::max);
    // Time covered by at least one call: the union of the intervals.
    let mut spans: Vec<(f64, f64)> = timed.iter().map(|t| (t.start_ms, t.end_ms)).collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut covered = 0.0;
    let mut reach = f64::NEG_INFINITY;
    for (s, e) in spans {
        if e > reach {
            covered += e - s.max(reach);
            reach = e;
        }
    }
    notes.push(format!(
        "latency_ms is each {what}'s measured duration, in ms to 3 decimals; the recorded wall is {}",
        show_ms(wall)
    ));
    let gaps = wall - covered;
    if gaps > 0.0005 {
        notes.push(format!(
            "{} of the recorded wall lies between the imported {what}s (the agent's own work, or what was not traced); the scenario leaves it out, so its sequential lane takes that much less than the recording",
            show_ms(gaps)
        ));
    }
    let competing: Vec<Timed> = timed
        .iter()
        .enumerate()
        .filter(|(i, _)| !apart.contains(i))
        .map(|(_, t)| t.clone())
        .collect();
    let overlapping = overlapping(&competing);
    if overlapping > 0 {
        notes.push(format!(
            "{overlapping} calls ran while another imported call was running: their measured durations already include any contention between them (shared CPU, connections, rate limits), so racing them again at these latencies assumes each would take as long alone"
        ));
    }
}

/// How many calls overlap another in time.
fn overlapping(timed: &[Timed]) -> usize {
    let mut order: Vec<usize> = (0..timed.len()).collect();
    order.sort_by(|&a, &b| timed[a].start_ms.total_cmp(&timed[b].start_ms));
    let mut hit = vec![false; timed.len()];
    // Sweep by start: a call overlaps the one still running with the latest end, if any.
    let mut open: Option<usize> = None;
    for &i in &order {
        if let Some(j) = open
            && timed[i].start_ms < timed[j].end_ms
            && timed[i].end_ms > timed[i].start_ms
            && timed[j].end_ms > timed[j].start_ms
        {
            hit[i] = true;
            hit[j] = true;
        }
        if open.is_none_or(|j| timed[i].end_ms > timed[j].end_ms) {
            open = Some(i);
        }
    }
    hit.iter().filter(|&&h| h).count()
}

/// The lesson of an imported trace.
pub(crate) fn trace_lesson(source: &str) -> String {
    format!(
        "Imported from {source}: every call takes the time it took in the recording. Latencies measured while calls ran concurrently already include their contention, so racing them here assumes each would take as long alone; compare the sequential and parallel lanes with the `recorded` run to see what the recording's schedule cost."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sanitized_and_unique() {
        let mut ids = Ids::default();
        assert_eq!(
            ids.make("execute_tool get_weather"),
            "execute_tool_get_weather"
        );
        assert_eq!(
            ids.make("execute_tool get_weather"),
            "execute_tool_get_weather_2"
        );
        assert_eq!(
            ids.make("execute_tool_get_weather_3"),
            "execute_tool_get_weather_3"
        );
        assert_eq!(
            ids.make("execute_tool get_weather"),
            "execute_tool_get_weather_4"
        );
        assert_eq!(
            ids.make("fetch https://x.org/a b"),
            "fetch_https:_x.org_a_b"
        );
        assert_eq!(ids.make("  é  "), "call");
        assert_eq!(ids.make(""), "call_2");
        assert_eq!(sanitize(&"x".repeat(100)).len(), MAX_ID_CHARS);
    }

    #[test]
    fn latency_arguments() {
        assert_eq!(
            parse_latency("get_weather=300"),
            Ok(("get_weather".into(), 300.0))
        );
        assert_eq!(parse_latency("a=b=1.5"), Ok(("a=b".into(), 1.5)));
        assert!(
            parse_latency("get_weather")
                .unwrap_err()
                .contains("NAME=MS")
        );
        assert!(parse_latency("x=-1").unwrap_err().contains("out of range"));
        assert!(
            parse_latency("x=fast")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(parse_latency("=5").unwrap_err().contains("empty"));
    }

    #[test]
    fn counts_overlapping_calls() {
        let t = |s: f64, e: f64| Timed {
            start_ms: s,
            end_ms: e,
            error: None,
        };
        assert_eq!(overlapping(&[t(0.0, 1.0), t(1.0, 2.0)]), 0);
        assert_eq!(overlapping(&[t(0.0, 10.0), t(1.0, 2.0), t(3.0, 4.0)]), 3);
        assert_eq!(overlapping(&[t(0.0, 1.0), t(0.5, 2.0), t(5.0, 6.0)]), 2);
    }
}
