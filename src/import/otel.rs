//! OpenTelemetry OTLP JSON: an export (`{"resourceSpans": […]}`) or the file exporter's form,
//! one such object per line.
//!
//! Tool calls are spans with `gen_ai.operation.name` = `execute_tool` (the GenAI semantic
//! conventions; the tool's name in `gen_ai.tool.name`) or `openinference.span.kind` = `TOOL`
//! (the name in `tool.name`, else the span's). Model calls are spans with
//! `gen_ai.operation.name` = `chat` (or `text_completion`, `generate_content`) or
//! `openinference.span.kind` = `LLM`. Every other span is left out.
//!
//! Turns: the imported spans under one parent, ordered by start, alternate between model calls
//! and batches of tool calls. Each tool call depends on the model call before it (the one that
//! asked for it); each model call depends on every tool call of the batch before it (it reads
//! their results), or on the model call before it when no tools ran in between.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{
    Doc, ImportKind, ImportOptions, Imported, Input, Timed, body_start, dotted, finish, join,
    json_error, ms3, parse_doc, show_ms, timing_notes, trace_lesson, wrong_format,
};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::engine::limits::MAX_LATENCY_MS;
use crate::engine::scenario::{CallSpec, Scenario};

const KIND: ImportKind = ImportKind::Otel;

/// What an imported span is.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// A model call.
    Model,
    /// A tool call, with the tool's name.
    Tool(String),
}

/// A span as read from the file.
struct RawSpan {
    /// Which document (line) it is in.
    doc: usize,
    /// `resourceSpans` index, the key of the scope list, its index, and the span's index.
    rs: usize,
    scope_key: &'static str,
    ss: usize,
    k: usize,
    trace: String,
    id: String,
    parent: String,
    name: String,
    role: Option<Role>,
    error: Option<String>,
    service: Option<String>,
    start: Option<Value>,
    end: Option<Value>,
}

impl RawSpan {
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

    /// `span `NAME` (resourceSpans[0].scopeSpans[0].spans[3])`, for messages.
    fn describe(&self) -> String {
        format!("span `{}` ({})", self.name, dotted(&self.path()))
    }
}

/// For every span, its nearest ancestor that is a model or tool call, if any: each span is
/// walked once (a memo; linear in the spans however deep the chains), and a parent cycle in a
/// corrupt file ends the walk instead of looping.
fn call_ancestors(raw: &[RawSpan], by_id: &HashMap<(&str, &str), usize>) -> Vec<Option<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Memo {
        Unknown,
        OnPath,
        Done(Option<usize>),
    }
    let parent = |i: usize| {
        #[cfg(test)]
        tests::LOOKUPS.with(|n| n.set(n.get() + 1));
        let s = &raw[i];
        by_id.get(&(s.trace.as_str(), s.parent.as_str())).copied()
    };
    let mut memo = vec![Memo::Unknown; raw.len()];
    let mut path = Vec::new();
    for i in 0..raw.len() {
        // Walk up until the answer is known, then hand it down the path.
        let mut cur = i;
        let answer = loop {
            match memo[cur] {
                Memo::Done(a) => break a,
                Memo::OnPath => break None,
                Memo::Unknown => {}
            }
            memo[cur] = Memo::OnPath;
            path.push(cur);
            match parent(cur) {
                None => break None,
                Some(p) if raw[p].role.is_some() => break Some(p),
                Some(p) => cur = p,
            }
        };
        // Every span on the path has the same nearest call ancestor, except that the topmost
        // one's answer is its own parent; both are `answer`, since the walk stopped at the
        // first call above the path.
        for j in path.drain(..) {
            memo[j] = Memo::Done(answer);
        }
    }
    memo.into_iter()
        .map(|m| match m {
            Memo::Done(a) => a,
            _ => None,
        })
        .collect()
}

/// A span that became a call.
struct Kept {
    raw: usize,
    start: u64,
    end: u64,
}

pub(crate) fn import(input: &Input<'_>, opts: &ImportOptions) -> Result<Imported, InputError> {
    import_with_meta(input, opts).map(|(imported, _)| imported)
}

/// Where an imported call came from, one per call of the scenario, in its order: what
/// `fanout watch` needs to group calls into turns per trace.
#[derive(Debug, Clone, PartialEq)]
pub struct CallMeta {
    /// A model call (else a tool call).
    pub model: bool,
    /// The span's trace id, lowercase hex.
    pub trace: String,
    /// The span's own id, lowercase hex: it stays when spans that arrive later renumber the
    /// calls.
    pub span: String,
}

/// Reads every span of `input` and checks the times of those that become calls, without
/// building a scenario: how `fanout watch` refuses a bad export request with the importer's own
/// messages. Returns how many spans it read.
pub(crate) fn check(input: &Input<'_>) -> Result<usize, InputError> {
    let (docs, raw) = read_all(input)?;
    for s in raw.iter().filter(|s| s.role.is_some()) {
        times(input, &docs, s)?;
    }
    Ok(raw.len())
}

fn read_all<'a>(input: &Input<'a>) -> Result<(Vec<Doc<'a>>, Vec<RawSpan>), InputError> {
    Ok(match stream_spans(input) {
        Some(read) => read,
        None => {
            // Not one well-formed export (JSON lines, or something to explain): the tree walk,
            // whose every error names the place.
            let mut raw = Vec::new();
            let docs = read_docs(input, |d, doc| read_spans(input, d, doc, &mut raw))?;
            (docs, raw)
        }
    })
}

/// [`import`], and where each call came from.
pub(crate) fn import_with_meta(
    input: &Input<'_>,
    opts: &ImportOptions,
) -> Result<(Imported, Vec<CallMeta>), InputError> {
    let (docs, raw) = read_all(input)?;
    let mut notes = Vec::new();
    if !opts.latency_by_tool.is_empty() || opts.default_latency_ms.is_some() {
        notes.push(
            "--latency and --default-latency are ignored: a trace has measured durations".into(),
        );
    }

    // Leave out imported kinds nested inside another imported span: their time is part of it.
    let by_id: HashMap<(&str, &str), usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.id.is_empty())
        .map(|(i, s)| ((s.trace.as_str(), s.id.as_str()), i))
        .collect();
    let call_ancestors = call_ancestors(&raw, &by_id);
    let mut nested = Vec::new();
    let mut kept_raw = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        if s.role.is_none() {
            continue;
        }
        match call_ancestors[i] {
            Some(a) => nested.push(format!("`{}` inside `{}`", s.name, raw[a].name)),
            None => kept_raw.push(i),
        }
    }
    if kept_raw.is_empty() {
        return Err(no_calls(input, &docs, &raw));
    }

    let mut kept = Vec::with_capacity(kept_raw.len());
    for &i in &kept_raw {
        let (start, end) = times(input, &docs, &raw[i])?;
        kept.push(Kept { raw: i, start, end });
    }
    // Time order; file order among spans that start and end together.
    kept.sort_by_key(|k| (k.start, k.end, k.raw));

    // Turns, per parent.
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (n, k) in kept.iter().enumerate() {
        let s = &raw[k.raw];
        groups
            .entry((s.trace.as_str(), s.parent.as_str()))
            .or_default()
            .push(n);
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); kept.len()];
    let mut batches = 0;
    let mut early = Vec::new();
    for members in groups.values() {
        let mut last_model: Option<usize> = None;
        let mut batch: Vec<usize> = Vec::new();
        for &n in members {
            match raw[kept[n].raw].role {
                Some(Role::Model) => {
                    deps[n] = if batch.is_empty() {
                        last_model.into_iter().collect()
                    } else {
                        std::mem::take(&mut batch)
                    };
                    last_model = Some(n);
                }
                _ => {
                    if let Some(m) = last_model {
                        deps[n].push(m);
                        if kept[n].start < kept[m].end {
                            early.push(n);
                        }
                    }
                    if batch.is_empty() {
                        batches += 1;
                    }
                    batch.push(n);
                }
            }
        }
    }

    // Calls, in time order.
    let mut ids = super::Ids::default();
    let names: Vec<String> = kept
        .iter()
        .map(|k| ids.make(short_name(&raw[k.raw].name)))
        .collect();
    let meta: Vec<CallMeta> = kept
        .iter()
        .map(|k| CallMeta {
            model: raw[k.raw].role == Some(Role::Model),
            trace: raw[k.raw].trace.clone(),
            span: raw[k.raw].id.clone(),
        })
        .collect();
    let t0 = kept.iter().map(|k| k.start).min().unwrap_or(0);
    let ms = |ns: u64| (ns.saturating_add(500) / 1000) as f64 / 1000.0;
    let mut calls = Vec::with_capacity(kept.len());
    let mut timed = Vec::with_capacity(kept.len());
    for (n, k) in kept.iter().enumerate() {
        let s = &raw[k.raw];
        calls.push(CallSpec {
            tool: Some(match &s.role {
                Some(Role::Tool(t)) => t.clone(),
                _ => "llm".to_string(),
            }),
            depends_on: deps[n].iter().map(|&d| names[d].clone()).collect(),
            fail: s.error.clone(),
            ..CallSpec::simulated(names[n].clone(), ms(k.end - k.start))
        });
        timed.push(Timed {
            start_ms: ms(k.start - t0),
            end_ms: ms(k.end - t0),
            error: s.error.clone(),
        });
    }

    let models = kept
        .iter()
        .filter(|k| raw[k.raw].role == Some(Role::Model))
        .count();
    let tools = kept.len() - models;
    let spans_total = raw.len();
    notes.insert(
        0,
        format!(
            "read {spans_total} span{} from {} document{}: {models} model call{} and {tools} tool call{} became calls",
            plural(spans_total),
            docs.len(),
            plural(docs.len()),
            plural(models),
            plural(tools)
        ),
    );
    let mut others: BTreeMap<&str, usize> = BTreeMap::new();
    for s in raw.iter().filter(|s| s.role.is_none()) {
        *others.entry(s.name.as_str()).or_default() += 1;
    }
    if !others.is_empty() {
        let list: Vec<String> = others
            .iter()
            .take(6)
            .map(|(n, c)| {
                if *c > 1 {
                    format!("`{n}` ×{c}")
                } else {
                    format!("`{n}`")
                }
            })
            .collect();
        notes.push(format!(
            "left out {} span{} that {} neither model nor tool calls: {}{}",
            spans_total - kept_raw.len() - nested.len(),
            plural(spans_total - kept_raw.len() - nested.len()),
            if spans_total - kept_raw.len() - nested.len() == 1 {
                "is"
            } else {
                "are"
            },
            list.join(", "),
            if others.len() > 6 { ", …" } else { "" }
        ));
    }
    if !nested.is_empty() {
        notes.push(format!(
            "left out {} span{} nested inside an imported span, whose time already includes theirs: {}{}",
            nested.len(),
            plural(nested.len()),
            nested.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
            if nested.len() > 3 { ", …" } else { "" }
        ));
    }
    notes.push(format!(
        "turns: under each parent span, in order of start, the {tools} tool call{} form {batches} batch{} (one per model turn); each tool call depends on the model call before it, and each model call on every tool call of the batch before it (or on the model call before it)",
        plural(tools),
        if batches == 1 { "" } else { "es" }
    ));
    if groups.len() > 1 {
        notes.push(format!(
            "the calls sit under {} different parent spans (or traces): calls under different parents do not depend on each other",
            groups.len()
        ));
    }
    if !early.is_empty() {
        let list: Vec<&str> = early.iter().take(3).map(|&n| names[n].as_str()).collect();
        notes.push(format!(
            "{} tool call{} started before the model call before {} had ended (streamed tool calls?): {}{}; the scenario makes {} wait for the whole model call",
            early.len(),
            plural(early.len()),
            if early.len() == 1 { "it" } else { "them" },
            list.join(", "),
            if early.len() > 3 { ", …" } else { "" },
            if early.len() == 1 { "it" } else { "them" },
        ));
    }
    let failed: Vec<&str> = calls
        .iter()
        .filter(|c| c.fail.is_some())
        .map(|c| c.id.as_str())
        .collect();
    if !failed.is_empty() {
        notes.push(format!(
            "{} span{} ended with status ERROR and fail{} here with {} message: {}; fanout skips the calls that depend on a failed call, while the agent may have gone on with its next model turn",
            failed.len(),
            plural(failed.len()),
            if failed.len() == 1 { "s" } else { "" },
            if failed.len() == 1 { "its" } else { "their" },
            failed.join(", ")
        ));
    }
    timing_notes(&timed, "span", &mut notes);

    let started_at = rfc3339(t0);
    let mut services: Vec<&str> = kept
        .iter()
        .filter_map(|k| raw[k.raw].service.as_deref())
        .collect();
    services.sort_unstable();
    services.dedup();
    let of_service = match services.as_slice() {
        [] => String::new(),
        [one] => format!(" of service `{one}`"),
        many => format!(" of services {}", quoted(many)),
    };
    // Title: the parent all calls share, when there is one and it is in the file.
    let parent_name = match groups.keys().collect::<Vec<_>>().as_slice() {
        [(trace, parent)] => by_id.get(&(*trace, *parent)).map(|&p| raw[p].name.clone()),
        _ => None,
    };
    let name = match parent_name {
        Some(p) => format!("{p} (imported from {})", input.name),
        None => format!("Imported from {}", input.name),
    };
    let scenario = Scenario {
        name,
        description: Some(format!(
            "{models} model call{} and {tools} tool call{} ({batches} batch{}){of_service}, traced with OpenTelemetry at {} and imported with `fanout import otel`.",
            plural(models),
            plural(tools),
            if batches == 1 { "" } else { "es" },
            started_at.replace('T', " ").replace('Z', " UTC"),
        )),
        lesson: Some(trace_lesson("an OpenTelemetry trace")),
        strategies: Some(vec!["sequential".into(), "parallel".into()]),
        seed: None,
        on_error: None,
        rate_limit: None,
        mode: None,
        model_turn_ms: None,
        model_turn: None,
        calls,
    };
    // The spans and their indices are done with: free them before the scenario is validated,
    // which builds a plan as large again.
    drop((groups, by_id, services, others));
    drop((kept, call_ancestors, raw, docs));
    let imported = finish(input, scenario, Some((timed, started_at)), notes)?;
    Ok((imported, meta))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn quoted(list: &[&str]) -> String {
    list.iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// RFC 3339 (UTC, milliseconds) of nanoseconds since the Unix epoch.
fn rfc3339(ns: u64) -> String {
    let secs = (ns / 1_000_000_000) as i64;
    let nanos = (ns % 1_000_000_000) as u32;
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00.000Z".into())
}

/// The documents of the file: one for an export, one per non-blank line for the file
/// exporter's JSON lines. Each is handed to `each` as soon as it is parsed, and its tree is
/// freed after: only the text is needed from then on (to place errors), and holding every
/// line's tree at once would cost as much as the one big tree.
fn read_docs<'a>(
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

/// Reads the spans of a file that is one well-formed OTLP export without building its JSON tree:
/// each span is parsed on its own and turned into a [`RawSpan`] at once, so memory holds the
/// spans, not the whole document (a 400k-span export is a tree of gigabytes). `None` at the
/// first surprise of any kind (not one document, another shape, a bad span), and the caller
/// reads the file the slow way, which explains the problem with its place.
fn stream_spans<'a>(input: &Input<'a>) -> Option<(Vec<Doc<'a>>, Vec<RawSpan>)> {
    use serde::de::DeserializeSeed;
    let text = input.text;
    let start = body_start(text);
    let doc = Doc {
        text,
        start,
        end: text.len(),
        value: Value::Null,
    };
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(&text[start..]);
    stream::Top {
        ctx: stream::Ctx { input, doc: &doc },
        out: &mut out,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some((vec![doc], out))
}

/// The serde visitors of [`stream_spans`]: `resourceSpans[].scopeSpans[].spans[]`, every
/// other key skipped unread. Any error here only means "read it the slow way".
mod stream {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::Value;

    use super::{Doc, Input, RawSpan, SpanAt, attributes, read_span};

    #[derive(Clone, Copy)]
    pub(super) struct Ctx<'c, 'a> {
        pub input: &'c Input<'a>,
        pub doc: &'c Doc<'a>,
    }

    fn bail<E: de::Error>() -> E {
        E::custom("read the slow way")
    }

    /// The document: an object with `resourceSpans`.
    pub(super) struct Top<'c, 'a> {
        pub ctx: Ctx<'c, 'a>,
        pub out: &'c mut Vec<RawSpan>,
    }

    impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Top<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an OTLP export")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
            let mut seen = false;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "resourceSpans" {
                    if seen {
                        return Err(bail());
                    }
                    seen = true;
                    map.next_value_seed(Resources {
                        ctx: self.ctx,
                        out: &mut *self.out,
                    })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if seen { Ok(()) } else { Err(bail()) }
        }
    }

    /// `resourceSpans`: a list of resources.
    struct Resources<'c, 'a> {
        ctx: Ctx<'c, 'a>,
        out: &'c mut Vec<RawSpan>,
    }

    impl<'de> DeserializeSeed<'de> for Resources<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Resources<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of resources")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
            let mut rs = 0;
            while seq
                .next_element_seed(Resource {
                    ctx: self.ctx,
                    out: &mut *self.out,
                    rs,
                })?
                .is_some()
            {
                rs += 1;
            }
            Ok(())
        }
    }

    /// One resource: its `resource` (for `service.name`) and its scopes.
    struct Resource<'c, 'a> {
        ctx: Ctx<'c, 'a>,
        out: &'c mut Vec<RawSpan>,
        rs: usize,
    }

    impl<'de> DeserializeSeed<'de> for Resource<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Resource<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a resource")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
            let first = self.out.len();
            let mut service = None;
            let (mut seen_resource, mut seen_scopes) = (false, false);
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "resource" if !seen_resource => {
                        seen_resource = true;
                        let res: Value = map.next_value()?;
                        service = attributes(res.get("attributes"))
                            .ok()
                            .and_then(|a| a.get("service.name").cloned());
                    }
                    // `instrumentationLibrarySpans` is what OTLP called `scopeSpans` before
                    // 0.15; a resource with both (or either twice) is for the slow way.
                    k @ ("scopeSpans" | "instrumentationLibrarySpans") if !seen_scopes => {
                        seen_scopes = true;
                        map.next_value_seed(Scopes {
                            ctx: self.ctx,
                            out: &mut *self.out,
                            rs: self.rs,
                            scope_key: if k == "scopeSpans" {
                                "scopeSpans"
                            } else {
                                "instrumentationLibrarySpans"
                            },
                        })?;
                    }
                    "resource" | "scopeSpans" | "instrumentationLibrarySpans" => {
                        return Err(bail());
                    }
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            // `resource` may come after the spans.
            if service.is_some() {
                for span in &mut self.out[first..] {
                    span.service.clone_from(&service);
                }
            }
            Ok(())
        }
    }

    /// A resource's list of scopes.
    struct Scopes<'c, 'a> {
        ctx: Ctx<'c, 'a>,
        out: &'c mut Vec<RawSpan>,
        rs: usize,
        scope_key: &'static str,
    }

    impl<'de> DeserializeSeed<'de> for Scopes<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Scopes<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of scopes")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
            let mut ss = 0;
            while seq
                .next_element_seed(Scope {
                    ctx: self.ctx,
                    out: &mut *self.out,
                    rs: self.rs,
                    scope_key: self.scope_key,
                    ss,
                })?
                .is_some()
            {
                ss += 1;
            }
            Ok(())
        }
    }

    /// One scope: its `spans`.
    struct Scope<'c, 'a> {
        ctx: Ctx<'c, 'a>,
        out: &'c mut Vec<RawSpan>,
        rs: usize,
        scope_key: &'static str,
        ss: usize,
    }

    impl<'de> DeserializeSeed<'de> for Scope<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Scope<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a scope")
        }
        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
            let mut seen = false;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "spans" {
                    if seen {
                        return Err(bail());
                    }
                    seen = true;
                    map.next_value_seed(Spans {
                        ctx: self.ctx,
                        out: &mut *self.out,
                        at: SpanAt {
                            d: 0,
                            rs: self.rs,
                            scope_key: self.scope_key,
                            ss: self.ss,
                            k: 0,
                        },
                    })?;
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
    }

    /// A scope's list of spans, each read as a small tree and turned into a [`RawSpan`].
    struct Spans<'c, 'a> {
        ctx: Ctx<'c, 'a>,
        out: &'c mut Vec<RawSpan>,
        at: SpanAt,
    }

    impl<'de> DeserializeSeed<'de> for Spans<'_, '_> {
        type Value = ();
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }

    impl<'de> Visitor<'de> for Spans<'_, '_> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of spans")
        }
        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
            let mut at = self.at;
            while let Some(span) = seq.next_element::<Value>()? {
                let raw = read_span(self.ctx.input, self.ctx.doc, at, &span, None)
                    .map_err(|_| bail::<S::Error>())?;
                self.out.push(raw);
                at.k += 1;
            }
            Ok(())
        }
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
fn read_spans(
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
struct SpanAt {
    d: usize,
    rs: usize,
    scope_key: &'static str,
    ss: usize,
    k: usize,
}

/// Reads one span object, checking its ids and attributes.
fn read_span(
    input: &Input<'_>,
    doc: &Doc<'_>,
    at: SpanAt,
    span: &Value,
    service: Option<String>,
) -> Result<RawSpan, InputError> {
    let label = input.label;
    let path = vec![
        Step::Key("resourceSpans"),
        Step::Index(at.rs),
        Step::Key(at.scope_key),
        Step::Index(at.ss),
        Step::Key("spans"),
        Step::Index(at.k),
    ];
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
        doc: at.d,
        rs: at.rs,
        scope_key: at.scope_key,
        ss: at.ss,
        k: at.k,
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
fn role_of(name: &str, attrs: &HashMap<String, String>) -> Option<Role> {
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
fn attributes(v: Option<&Value>) -> Result<HashMap<String, String>, ()> {
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

/// A trace or span id as lowercase hex: `bytes` bytes written as hex (OTLP JSON) or base64 (the
/// protobuf JSON mapping some exporters use). `None` for anything else.
/// A call id from a span name: GenAI names are `{operation} {target}`, so `execute_tool
/// get_weather` becomes `get_weather` and `chat gpt-4o` becomes `chat` (ids must be short to
/// tell calls apart on screen).
fn short_name(name: &str) -> &str {
    if let Some(tool) = name.strip_prefix("execute_tool ") {
        return tool;
    }
    for op in ["chat ", "text_completion ", "generate_content "] {
        if name.starts_with(op) {
            return op.trim_end();
        }
    }
    name
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
fn times(input: &Input<'_>, docs: &[Doc<'_>], s: &RawSpan) -> Result<(u64, u64), InputError> {
    let doc = &docs[s.doc];
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
fn no_calls(input: &Input<'_>, docs: &[Doc<'_>], raw: &[RawSpan]) -> InputError {
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

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// Parent lookups made by `call_ancestors`: the work the ancestor walk does.
        pub(super) static LOOKUPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// `n` wrapper spans in one chain, each with a tool span under it: a naive ancestor walk
    /// per span climbs the whole chain (n² lookups).
    fn deep_chain(n: usize) -> String {
        let mut spans = Vec::new();
        for i in 0..n {
            let parent = if i == 0 {
                String::new()
            } else {
                format!("{:016x}", i)
            };
            spans.push(format!(
                r#"{{"traceId":"{t:032x}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"step","startTimeUnixNano":"{s}","endTimeUnixNano":"{e}"}}"#,
                t = 1,
                id = i + 1,
                s = 1_000_000_000 + i * 1000,
                e = 1_000_000_000 + (i + 1) * 1000 + 10_000_000,
            ));
            spans.push(format!(
                r#"{{"traceId":"{t:032x}","spanId":"{id:016x}","parentSpanId":"{p:016x}","name":"execute_tool t","startTimeUnixNano":"{s}","endTimeUnixNano":"{e}","attributes":[{{"key":"gen_ai.operation.name","value":{{"stringValue":"execute_tool"}}}}]}}"#,
                t = 1,
                id = 1_000_000 + i,
                p = i + 1,
                s = 1_000_000_000 + i * 1000,
                e = 1_000_000_000 + i * 1000 + 500,
            ));
        }
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        )
    }

    #[test]
    fn the_ancestor_walk_is_linear_however_deep_the_chain() {
        for n in [500, 4000] {
            let text = deep_chain(n);
            let input = Input {
                label: "deep.json",
                name: "deep.json",
                text: &text,
            };
            LOOKUPS.with(|c| c.set(0));
            let imported = import(&input, &ImportOptions::default()).unwrap();
            assert_eq!(imported.scenario.calls.len(), n);
            let lookups = LOOKUPS.with(|c| c.get());
            // Each of the 2n spans asks for its parent at most once.
            assert!(lookups <= 2 * n, "{lookups} lookups for {n} pairs");
        }
    }

    /// What a span was read as, comparable.
    fn summary(raw: &[RawSpan]) -> Vec<String> {
        raw.iter()
            .map(|s| {
                format!(
                    "{} {} {} {} {} {} {} {:?} {:?} {:?} {:?} {:?}",
                    s.doc,
                    s.rs,
                    s.scope_key,
                    s.ss,
                    s.k,
                    s.trace,
                    s.id,
                    s.parent,
                    s.name,
                    s.role,
                    s.error,
                    s.service
                ) + &format!(" {:?} {:?}", s.start, s.end)
            })
            .collect()
    }

    #[test]
    fn streaming_reads_the_same_spans_as_the_tree_walk() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/imports");
        let fixture = std::fs::read_to_string(dir.join("otel-agent-run.json")).unwrap();
        // The resource after its spans, and an old-style scope key.
        let mut v: Value = serde_json::from_str(&fixture).unwrap();
        let rs = v["resourceSpans"][0].as_object_mut().unwrap();
        let resource = rs.remove("resource").unwrap();
        rs.insert("resource".into(), resource);
        let reordered = serde_json::to_string(&v).unwrap();
        let old_key = fixture.replace("scopeSpans", "instrumentationLibrarySpans");
        for text in [&fixture, &reordered, &old_key] {
            let input = Input {
                label: "t.json",
                name: "t.json",
                text,
            };
            let (_, streamed) = stream_spans(&input).expect("a well-formed export streams");
            let mut walked = Vec::new();
            read_docs(&input, |d, doc| read_spans(&input, d, doc, &mut walked)).unwrap();
            assert!(!walked.is_empty());
            assert_eq!(summary(&streamed), summary(&walked));
        }
        // JSON lines and broken spans are left to the tree walk.
        let lines = std::fs::read_to_string(dir.join("otel-agent-run.jsonl")).unwrap();
        let bad_id = fixture.replacen("\"spanId\": \"", "\"spanId\": \"zz", 1);
        assert_ne!(bad_id, fixture);
        for text in [&lines, &bad_id] {
            let input = Input {
                label: "t.json",
                name: "t.json",
                text,
            };
            assert!(stream_spans(&input).is_none());
        }
    }

    #[test]
    fn a_parent_cycle_ends_the_walk() {
        let span = |id: u32, parent: u32, tool: bool| {
            let attrs = if tool {
                r#","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}}]"#
            } else {
                ""
            };
            format!(
                r#"{{"traceId":"{:032x}","spanId":"{id:016x}","parentSpanId":"{parent:016x}","name":"s{id}","startTimeUnixNano":"1000","endTimeUnixNano":"2000"{attrs}}}"#,
                1
            )
        };
        let text = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{},{},{}]}}]}}]}}"#,
            span(1, 2, false),
            span(2, 1, false),
            span(3, 1, true)
        );
        let input = Input {
            label: "cycle.json",
            name: "cycle.json",
            text: &text,
        };
        let imported = import(&input, &ImportOptions::default()).unwrap();
        assert_eq!(imported.scenario.calls.len(), 1);
    }

    #[test]
    fn ids_in_hex_or_base64() {
        assert_eq!(
            decode_id("051581BF3CB55C13", 8).as_deref(),
            Some("051581bf3cb55c13")
        );
        // base64 of the bytes 05 15 81 bf 3c b5 5c 13
        assert_eq!(
            decode_id("BRWBvzy1XBM=", 8).as_deref(),
            Some("051581bf3cb55c13")
        );
        assert_eq!(
            decode_id("BRWBvzy1XBM", 8).as_deref(),
            Some("051581bf3cb55c13")
        );
        assert_eq!(decode_id("nothex!", 8), None);
        assert_eq!(decode_id("BRWBvzy1XBM=", 16), None);
        assert_eq!(decode_id("", 8).as_deref(), Some(""));
    }

    #[test]
    fn roles_from_attributes() {
        let a = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let genai = a(&[("gen_ai.operation.name", "execute_tool")]);
        assert_eq!(
            role_of("execute_tool get_weather", &genai),
            Some(Role::Tool("get_weather".into()))
        );
        let oi = a(&[("openinference.span.kind", "TOOL"), ("tool.name", "lookup")]);
        assert_eq!(role_of("x", &oi), Some(Role::Tool("lookup".into())));
        let chat = a(&[("gen_ai.operation.name", "chat")]);
        assert_eq!(role_of("chat gpt-4o", &chat), Some(Role::Model));
        assert_eq!(role_of("GET", &a(&[])), None);
    }
}
