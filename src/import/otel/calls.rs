//! The mapping from spans to calls and turns, and the notes that say what it decided.

use std::collections::{BTreeMap, HashMap};

use super::spans::{RawSpan, no_calls, times};
use super::{CallMeta, Role, read_all};
use crate::engine::InputError;
use crate::engine::scenario::{CallSpec, Scenario};
use crate::import::show_ms;
use crate::import::{
    ImportOptions, Imported, Input, Timed, finish, imported_scenario, timing_notes_apart,
    trace_lesson,
};
use crate::text::plural;

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
        super::tests::LOOKUPS.with(|n| n.set(n.get() + 1));
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
    // A tool under a model call is the exception: frameworks nest `execute_tool` under the
    // `chat` that asked for it (others under `invoke_agent`), and it is that turn's tool.
    let by_id: HashMap<(&str, &str), usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.id.is_empty())
        .map(|(i, s)| ((s.trace.as_str(), s.id.as_str()), i))
        .collect();
    let call_ancestors = call_ancestors(&raw, &by_id);
    let mut nested = Vec::new();
    let mut kept_raw = Vec::new();
    // For a tool kept under a model call: that model call (raw index).
    let mut asked_by: HashMap<usize, usize> = HashMap::new();
    for (i, s) in raw.iter().enumerate() {
        if s.role.is_none() {
            continue;
        }
        match call_ancestors[i] {
            Some(a)
                if matches!(s.role, Some(Role::Tool(_)))
                    && raw[a].role == Some(Role::Model)
                    && call_ancestors[a].is_none() =>
            {
                asked_by.insert(i, a);
                kept_raw.push(i);
            }
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

    // Turns, per parent; a tool under a model call is in its model call's group.
    let kept_at: HashMap<usize, usize> = kept.iter().enumerate().map(|(n, k)| (k.raw, n)).collect();
    let owner: Vec<Option<usize>> = kept
        .iter()
        .map(|k| asked_by.get(&k.raw).map(|a| kept_at[a]))
        .collect();
    let mut groups: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (n, k) in kept.iter().enumerate() {
        let s = &raw[owner[n].map_or(k.raw, |m| kept[m].raw)];
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
                    // A tool under a model call ran inside it: not early, and its model call
                    // is the one it depends on.
                    if let Some(m) = owner[n].or(last_model) {
                        deps[n].push(m);
                        if owner[n].is_none() && kept[n].start < kept[m].end {
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
    // A model call's own time: its span less the part its tools spent inside it.
    let mut inside: Vec<Vec<(u64, u64)>> = vec![Vec::new(); kept.len()];
    for (n, o) in owner.iter().enumerate() {
        if let Some(m) = *o {
            let (lo, hi) = (kept[m].start, kept[m].end);
            let (s, e) = (kept[n].start.clamp(lo, hi), kept[n].end.clamp(lo, hi));
            if e > s {
                inside[m].push((s, e));
            }
        }
    }
    let own_ns: Vec<u64> = kept
        .iter()
        .zip(&mut inside)
        .map(|(k, tools)| k.end - k.start - covered_ns(tools))
        .collect();
    let enclosing: Vec<usize> = (0..kept.len())
        .filter(|&m| own_ns[m] < kept[m].end - kept[m].start)
        .collect();

    // Calls, in time order.
    let mut ids = crate::import::Ids::default();
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
            depends_on: deps[n].iter().map(|&d| names[d].as_str().into()).collect(),
            fail: s.error.clone(),
            model: s.role == Some(Role::Model),
            ..CallSpec::simulated(names[n].clone(), ms(own_ns[n]))
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
            "read {} from {}: {} and {} became calls",
            plural(spans_total, "span"),
            plural(docs.len(), "document"),
            plural(models, "model call"),
            plural(tools, "tool call")
        ),
    );
    let mut others: BTreeMap<&str, usize> = BTreeMap::new();
    for s in raw.iter().filter(|s| s.role.is_none()) {
        *others.entry(s.name.as_str()).or_default() += 1;
    }
    if !others.is_empty() {
        let left_out = spans_total - kept_raw.len() - nested.len();
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
            "left out {} that {} neither model nor tool calls: {}{}",
            plural(left_out, "span"),
            if left_out == 1 { "is" } else { "are" },
            list.join(", "),
            if others.len() > 6 { ", …" } else { "" }
        ));
    }
    if !nested.is_empty() {
        notes.push(format!(
            "left out {} nested inside an imported span, whose time already includes theirs: {}{}",
            plural(nested.len(), "span"),
            nested
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            if nested.len() > 3 { ", …" } else { "" }
        ));
    }
    notes.push(format!(
        "turns: under each parent span, in order of start, the {} form {} (one per model turn); each tool call depends on the model call before it, and each model call on every tool call of the batch before it (or on the model call before it)",
        plural(tools, "tool call"),
        plural(batches, "batch")
    ));
    if groups.len() > 1 {
        notes.push(format!(
            "the calls sit under {} different parent spans (or traces): calls under different parents do not depend on each other",
            groups.len()
        ));
    }
    if !asked_by.is_empty() {
        notes.push(format!(
            "{} under a model call's span belong to its turn and depend on it",
            plural(asked_by.len(), "tool call")
        ));
    }
    if !enclosing.is_empty() {
        let list: Vec<&str> = enclosing
            .iter()
            .take(3)
            .map(|&n| names[n].as_str())
            .collect();
        notes.push(format!(
            "{} enclosed their tool calls: the latency of each is its own time, its span less the time its tools ran inside it: {}{}",
            plural(enclosing.len(), "model call"),
            list.join(", "),
            if enclosing.len() > 3 { ", …" } else { "" }
        ));
    }
    if !early.is_empty() {
        let list: Vec<&str> = early.iter().take(3).map(|&n| names[n].as_str()).collect();
        notes.push(format!(
            "{} started before the model call before {} had ended (streamed tool calls?): {}{}; the scenario makes {} wait for the whole model call",
            plural(early.len(), "tool call"),
            if early.len() == 1 { "it" } else { "them" },
            list.join(", "),
            if early.len() > 3 { ", …" } else { "" },
            if early.len() == 1 { "it" } else { "them" },
        ));
    }
    let failed: Vec<&str> = calls
        .iter()
        .filter(|c| c.fail.is_some())
        .map(|c| &*c.id)
        .collect();
    if !failed.is_empty() {
        notes.push(format!(
            "{} ended with status ERROR and fail{} here with {} message: {}; fanout skips the calls that depend on a failed call, while the agent may have gone on with its next model turn",
            plural(failed.len(), "span"),
            if failed.len() == 1 { "s" } else { "" },
            if failed.len() == 1 { "its" } else { "their" },
            failed.join(", ")
        ));
    }
    timing_notes_apart(&timed, &enclosing, "span", &mut notes);

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
    let description = format!(
        "{} and {} ({}){of_service}, traced with OpenTelemetry at {} and imported with `fanout import otel`.",
        plural(models, "model call"),
        plural(tools, "tool call"),
        plural(batches, "batch"),
        started_at.replace('T', " ").replace('Z', " UTC"),
    );
    let lesson = trace_lesson("an OpenTelemetry trace");
    let mut scenario = Scenario {
        name,
        ..imported_scenario(input, description, lesson, calls)
    };
    if models > 0 {
        // The model calls' latencies are the turns: what the agent would have taken asking
        // for one tool per turn, or for every ready tool at once. One-per-turn stands in for
        // sequential (one call at a time, with the model's turns counted), which keeps four
        // lanes with `recorded`: what fits 80×24 with the model row.
        scenario.strategies = Some(
            ["parallel", "one-per-turn", "turn-batched"]
                .map(String::from)
                .to_vec(),
        );
        scenario.lesson = Some(TURNS_LESSON.to_string());
        let model_ms: Vec<f64> = scenario
            .calls
            .iter()
            .filter(|c| c.model)
            .filter_map(|c| c.latency_ms)
            .collect();
        notes.push(turn_lanes_note(
            models,
            crate::engine::plan::median_ms(&model_ms),
        ));
    }
    // The spans and their indices are done with: free them before the scenario is validated,
    // which builds a plan as large again.
    drop((groups, by_id, services, others));
    drop((kept, call_ancestors, raw, docs));
    let imported = finish(input, scenario, Some((timed, started_at)), notes)?;
    Ok((imported, meta))
}

/// The lesson of a trace with model calls.
const TURNS_LESSON: &str = "Imported from an OpenTelemetry trace: every call takes the time it took in the recording, and its model calls are the model's turns. parallel and turn-batched run each turn's tools at once, beside `recorded`, what the agent's own schedule cost; one-per-turn asks for one tool per turn and pays a model turn before every tool. Latencies measured while calls ran concurrently already include their contention, so racing them here assumes each would take as long alone.";

/// What the turn lanes take from the trace, and what they do past its model calls.
fn turn_lanes_note(models: usize, median_ms: f64) -> String {
    let latencies = if models == 1 {
        "the model call's latency as their first model turn".to_string()
    } else {
        format!("the {models} model calls' latencies as their model turns, in order,")
    };
    format!(
        "one-per-turn and turn-batched take {latencies} and run only the tools; a lane that needs more turns than the trace had takes the trace's median model call, {}, for each extra one",
        show_ms(median_ms)
    )
}

/// How much of a span the intervals cover (their union), in ns; sorts them.
fn covered_ns(intervals: &mut [(u64, u64)]) -> u64 {
    intervals.sort_unstable();
    let mut total = 0;
    let mut open: Option<(u64, u64)> = None;
    for &(s, e) in intervals.iter() {
        open = match open {
            Some((os, oe)) if s <= oe => Some((os, oe.max(e))),
            Some((os, oe)) => {
                total += oe - os;
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    total + open.map_or(0, |(s, e)| e - s)
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
