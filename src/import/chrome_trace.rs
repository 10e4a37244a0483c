//! Chrome's Trace Event Format: `{"traceEvents": […]}` or a bare list of events (whose closing
//! `]` the format lets a writer leave out).
//!
//! Complete events (`ph: "X"`, `ts` and `dur` in microseconds) and `B`/`E` pairs (matched per
//! pid and tid, the last `B` open on a thread closed by the next `E`) become calls; `M` events
//! named `thread_name` label the threads. A call's tool is its thread's name, else its category,
//! else its name.
//!
//! A trace says when each slice ran, not why, so dependencies come from one fact only: a thread
//! runs one slice at a time. The top-level slices of one thread form a chain, each depending on
//! the one before it; slices on different threads do not depend on each other. A slice inside
//! another slice of its thread (a callee) is left out: its time is part of the outer slice's.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{
    Doc, ImportKind, ImportOptions, Imported, Input, Timed, body_start, document_list, dotted,
    finish, join, json_error, ms3, show_ms, timing_notes, trace_lesson, wrong_format,
};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::engine::limits::MAX_LATENCY_MS;
use crate::engine::scenario::CallSpec;
use crate::import::imported_scenario;
use crate::text::noun;

const KIND: ImportKind = ImportKind::ChromeTrace;

/// A (pid, tid) pair, as text.
type Thread = (String, String);

/// A slice of time on one thread: a complete event or a matched B/E pair.
#[derive(Debug, Clone)]
struct Slice {
    name: String,
    cat: String,
    thread: Thread,
    start_us: f64,
    end_us: f64,
    /// Index of its X or B event in the list.
    event: usize,
}

/// An open `B` event.
struct Open {
    name: String,
    cat: String,
    ts: f64,
    event: usize,
}

pub(crate) fn import(input: &Input<'_>, opts: &ImportOptions) -> Result<Imported, InputError> {
    let mut notes = Vec::new();
    let (doc, unclosed) = read_doc(input)?;
    if unclosed {
        notes.push(
            "the list of events has no closing `]`, which the Trace Event Format allows (a trace cut off at the end of a run)".to_string(),
        );
    }
    if !opts.latency_by_tool.is_empty() || opts.default_latency_ms.is_some() {
        notes.push(
            "--latency and --default-latency are ignored: a trace has measured durations".into(),
        );
    }
    let (events, base) = document_list(KIND, input, &doc, "traceEvents")?;
    // A bare list of something else (messages, spans) is another format, not a broken trace.
    if let Value::Array(list) = &doc.value
        && !list.is_empty()
        && !list.iter().any(|e| e.get("ph").is_some())
    {
        return Err(wrong_format(KIND, input, &doc));
    }

    let label = input.label;
    let mut slices: Vec<Slice> = Vec::new();
    let mut open: HashMap<Thread, Vec<Open>> = HashMap::new();
    let mut thread_names: HashMap<Thread, String> = HashMap::new();
    let mut process_names: BTreeMap<String, String> = BTreeMap::new();
    let mut ignored: BTreeMap<String, usize> = BTreeMap::new();
    let mut unmatched_end = 0usize;
    let mut counts = (0usize, 0usize); // X events, B/E pairs
    for (e, event) in events.iter().enumerate() {
        let path = join(&base, Step::Index(e));
        let err = |place: &[Step<'_>], message: String, hint: &str| {
            InputError::new(label, format!("event {e} ({}): {message}", dotted(&path)))
                .at(doc.place(place))
                .hint(hint.to_string())
        };
        let Some(obj) = event.as_object() else {
            return Err(err(
                &path,
                "is not an event object".into(),
                "every event is an object such as {\"name\": \"fetch\", \"ph\": \"X\", \"ts\": 1200, \"dur\": 350, \"pid\": 1, \"tid\": 1}",
            ));
        };
        let ph = match obj.get("ph") {
            Some(Value::String(p)) => p.as_str(),
            Some(_) => {
                return Err(err(
                    &join(&path, Step::Key("ph")),
                    "`ph` is not a string".into(),
                    "`ph` is the event's phase in one letter, e.g. \"X\", \"B\", \"E\", \"M\"",
                ));
            }
            None => {
                return Err(err(
                    &path,
                    "has no `ph`".into(),
                    "every event names its phase: \"ph\": \"X\" (complete), \"B\"/\"E\" (begin/end), \"M\" (metadata), …",
                ));
            }
        };
        let text = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let id_of = |key: &str| match obj.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let thread: Thread = (id_of("pid"), id_of("tid"));
        let number = |key: &'static str| -> Result<f64, InputError> {
            let field = join(&path, Step::Key(key));
            let v = match obj.get(key) {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                None | Some(Value::Null) => {
                    return Err(err(
                        &field,
                        match ph {
                            "X" => format!("a complete (X) event without `{key}`"),
                            _ => format!("a `{ph}` event without `{key}`"),
                        },
                        "`ts` is the start and `dur` the duration of a slice, in microseconds; a complete (X) event needs both, a B or E event its `ts`",
                    ));
                }
                Some(_) => None,
            };
            match v {
                Some(x) if x.is_finite() => Ok(x),
                _ => Err(err(
                    &field,
                    format!("`{key}` is not a number"),
                    "write microseconds as a number, e.g. \"ts\": 1523.5",
                )),
            }
        };
        match ph {
            "X" => {
                let ts = number("ts")?;
                let dur = number("dur")?;
                if dur < 0.0 {
                    return Err(err(
                        &join(&path, Step::Key("dur")),
                        format!("`dur` {dur} is negative: the slice ends before it starts"),
                        "a duration is 0 or more microseconds; fix or drop this event",
                    ));
                }
                if !(ts + dur).is_finite() {
                    return Err(err(
                        &join(&path, Step::Key("dur")),
                        "`ts` + `dur` is beyond any time".into(),
                        "write microseconds of ordinary size; fix or drop this event",
                    ));
                }
                counts.0 += 1;
                slices.push(Slice {
                    name: text("name"),
                    cat: text("cat"),
                    thread,
                    start_us: ts,
                    end_us: ts + dur,
                    event: e,
                });
            }
            "B" => {
                let ts = number("ts")?;
                open.entry(thread).or_default().push(Open {
                    name: text("name"),
                    cat: text("cat"),
                    ts,
                    event: e,
                });
            }
            "E" => {
                let ts = number("ts")?;
                let Some(begin) = open.get_mut(&thread).and_then(Vec::pop) else {
                    unmatched_end += 1;
                    continue;
                };
                if ts < begin.ts {
                    return Err(err(
                        &join(&path, Step::Key("ts")),
                        format!(
                            "this E event (ts {ts}) ends the slice `{}` of event {} before it began (ts {})",
                            begin.name, begin.event, begin.ts
                        ),
                        "B and E events pair up per pid and tid, last opened first closed; a missing or extra E event pairs the wrong ones",
                    ));
                }
                counts.1 += 1;
                slices.push(Slice {
                    name: if begin.name.is_empty() {
                        text("name")
                    } else {
                        begin.name
                    },
                    cat: if begin.cat.is_empty() {
                        text("cat")
                    } else {
                        begin.cat
                    },
                    thread,
                    start_us: begin.ts,
                    end_us: ts,
                    event: begin.event,
                });
            }
            "M" => {
                let name = obj
                    .get("args")
                    .and_then(|a| a.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                match (text("name").as_str(), name) {
                    ("thread_name", Some(n)) => {
                        thread_names.insert(thread, n);
                    }
                    ("process_name", Some(n)) => {
                        process_names.insert(thread.0, n);
                    }
                    _ => {}
                }
            }
            other => *ignored.entry(other.to_string()).or_default() += 1,
        }
    }
    let unmatched_begin: usize = open.values().map(Vec::len).sum();
    if slices.is_empty() {
        return Err(InputError::new(
            label,
            format!(
                "holds no complete (X) events and no matched B/E pairs among its {} events",
                events.len()
            ),
        )
        .at(doc.place(&base))
        .hint("fanout imports duration events: {\"ph\": \"X\", \"ts\": …, \"dur\": …} or a B event and its E event on the same pid and tid"));
    }

    // Per thread, top-level slices only; nested ones are callees of the slice around them.
    let mut by_thread: BTreeMap<Thread, Vec<usize>> = BTreeMap::new();
    for (i, s) in slices.iter().enumerate() {
        by_thread.entry(s.thread.clone()).or_default().push(i);
    }
    let mut top: Vec<usize> = Vec::new();
    let mut prev_on_thread: HashMap<usize, usize> = HashMap::new();
    let mut nested = 0usize;
    let mut overlapping_on_thread = 0usize;
    for members in by_thread.values_mut() {
        members.sort_by(|&a, &b| by_start(&slices[a], &slices[b], true));
        let mut last: Option<usize> = None;
        for &i in members.iter() {
            if let Some(l) = last {
                let (s, outer) = (&slices[i], &slices[l]);
                if s.start_us < outer.end_us && s.end_us <= outer.end_us {
                    nested += 1;
                    continue;
                }
                if s.start_us < outer.end_us {
                    overlapping_on_thread += 1;
                }
                prev_on_thread.insert(i, l);
            }
            top.push(i);
            last = Some(i);
        }
    }
    top.sort_by(|&a, &b| by_start(&slices[a], &slices[b], false));

    let t0 = top
        .iter()
        .map(|&i| slices[i].start_us)
        .fold(f64::INFINITY, f64::min);
    let mut ids = super::Ids::default();
    let names: HashMap<usize, String> = top
        .iter()
        .map(|&i| {
            let s = &slices[i];
            let name = if s.name.is_empty() { &s.cat } else { &s.name };
            (i, ids.make(name))
        })
        .collect();
    let mut calls = Vec::with_capacity(top.len());
    let mut timed = Vec::with_capacity(top.len());
    for &i in &top {
        let s = &slices[i];
        let latency = ms3((s.end_us - s.start_us) / 1000.0);
        if latency > MAX_LATENCY_MS {
            let path = join(&base, Step::Index(s.event));
            return Err(InputError::new(
                label,
                format!(
                    "event {} ({}): the slice `{}` lasts {}, more than the hour fanout simulates",
                    s.event,
                    dotted(&path),
                    s.name,
                    show_ms(latency)
                ),
            )
            .at(doc.place(&path))
            .hint("drop this event, or trim the trace to the part of the run to study"));
        }
        let tool = thread_names
            .get(&s.thread)
            .filter(|n| !n.trim().is_empty())
            .cloned()
            .or_else(|| (!s.cat.trim().is_empty()).then(|| s.cat.clone()))
            .unwrap_or_else(|| s.name.clone());
        calls.push(CallSpec {
            tool: Some(tool),
            depends_on: prev_on_thread
                .get(&i)
                .map(|p| vec![names[p].as_str().into()])
                .unwrap_or_default(),
            ..CallSpec::simulated(names[&i].clone(), latency)
        });
        timed.push(Timed {
            start_ms: ms3((s.start_us - t0) / 1000.0),
            end_ms: ms3((s.end_us - t0) / 1000.0),
            error: None,
        });
    }

    let threads = top
        .iter()
        .map(|&i| &slices[i].thread)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    notes.insert(
        0,
        format!(
            "read {} events: {} complete (X) {} and {} B/E {}; {} top-level {} on {threads} {} became calls",
            events.len(),
            counts.0,
            noun(counts.0, "event"),
            counts.1,
            noun(counts.1, "pair"),
            top.len(),
            noun(top.len(), "slice"),
            noun(threads, "thread")
        ),
    );
    notes.push(
        "dependencies: a trace says when each slice ran, not why; the one thing it does say is that a thread runs one slice at a time, so the slices of one thread form a chain (each depends on the one before it on that thread) and slices on different threads are independent".to_string(),
    );
    notes.push(
        "tool: the thread's name (from `thread_name` metadata), else the event's category, else its name".to_string(),
    );
    if nested > 0 {
        let their = if nested == 1 { "its" } else { "their" };
        notes.push(format!(
            "left out {nested} {} nested inside another slice of {their} thread: {their} time is part of the outer slice's",
            noun(nested, "slice"),
        ));
    }
    if overlapping_on_thread > 0 {
        let them = if overlapping_on_thread == 1 {
            "it"
        } else {
            "them"
        };
        notes.push(format!(
            "{overlapping_on_thread} {} began before the slice before {them} on the same thread had ended, without being nested in it; the scenario still makes {them} wait for it",
            noun(overlapping_on_thread, "slice"),
        ));
    }
    if !ignored.is_empty() {
        let list: Vec<String> = ignored
            .iter()
            .map(|(ph, n)| format!("{n} `{ph}`"))
            .collect();
        notes.push(format!(
            "left out events of other phases (instant, counter, async, flow, …): {}",
            list.join(", ")
        ));
    }
    if unmatched_begin > 0 {
        notes.push(format!(
            "left out {unmatched_begin} B {} that no E event ends (the trace stopped while {} ran)",
            noun(unmatched_begin, "event"),
            if unmatched_begin == 1 { "it" } else { "they" }
        ));
    }
    if unmatched_end > 0 {
        notes.push(format!(
            "left out {unmatched_end} E {} with no B event open on {} thread (begun before the trace started)",
            noun(unmatched_end, "event"),
            if unmatched_end == 1 { "its" } else { "their" }
        ));
    }
    timing_notes(&timed, "slice", &mut notes);
    notes.push(
        "a Chrome trace's timestamps carry no date: the recorded run's started_at is the time of the import".to_string(),
    );

    let processes: Vec<String> = process_names.values().map(|p| format!("`{p}`")).collect();
    let of = if processes.is_empty() {
        String::new()
    } else {
        format!(" of {}", processes.join(", "))
    };
    let description = format!(
        "{} {} on {threads} {}{of}, from a Chrome trace imported with `fanout import chrome-trace`.",
        top.len(),
        noun(top.len(), "slice"),
        noun(threads, "thread")
    );
    let scenario = imported_scenario(input, description, trace_lesson("a Chrome trace"), calls);
    let started_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    finish(input, scenario, Some((timed, started_at)), notes)
}

/// Slices in order of start, then of end (the longer first when `outer_first`, so that a slice
/// comes before those nested in it), then of event.
fn by_start(a: &Slice, b: &Slice, outer_first: bool) -> std::cmp::Ordering {
    let ends = a.end_us.total_cmp(&b.end_us);
    a.start_us
        .total_cmp(&b.start_us)
        .then(if outer_first { ends.reverse() } else { ends })
        .then(a.event.cmp(&b.event))
}

/// Parses the file; a bare list may lack its closing `]` (then the flag is set).
fn read_doc<'a>(input: &Input<'a>) -> Result<(Doc<'a>, bool), InputError> {
    let text = input.text;
    let start = body_start(text);
    let body = &text[start..];
    if body.trim().is_empty() {
        return Err(InputError::new(input.label, "is empty").hint(KIND.expects()));
    }
    let doc = |value| Doc {
        text,
        start,
        end: text.len(),
        value,
    };
    match serde_json::from_str::<Value>(body) {
        Ok(value) => Ok((doc(value), false)),
        Err(e) => {
            if e.classify() == serde_json::error::Category::Eof
                && body.trim_start().starts_with('[')
            {
                let closed = format!("{}]", body.trim_end().trim_end_matches(','));
                if let Ok(value) = serde_json::from_str::<Value>(&closed) {
                    return Ok((doc(value), true));
                }
            }
            Err(json_error(KIND, input, start, &e))
        }
    }
}
