//! The export formats of `fanout report`: chrome-trace, svg and csv.
//!
//! Records come from the virtual clock (instant and exact), so every time asserted here is known.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Command;
use std::sync::Arc;

use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{CallStatus, Mode, Plan, Record, RunOptions, Strategy};
use fanout::report::{self, Format, chrome_trace, csv, svg};
use serde_json::Value;

/// A virtual-clock record of a built-in (or a scenario file) under some strategies.
fn record(scenario: &str, strategies: &[&str]) -> Record {
    let plan = Arc::new(Plan::load(scenario).expect("the scenario loads"));
    let strategies: Vec<Strategy> = if strategies.is_empty() {
        plan.strategies.clone()
    } else {
        strategies.iter().map(|s| s.parse().unwrap()).collect()
    };
    run_virtual(
        &plan,
        &RunOptions {
            strategies,
            speed: 1.0,
            mode: Mode::Race,
            local: None,
        },
    )
}

// ---------------------------------------------------------------------------------------------
// CSV

/// A small RFC 4180 reader: records of fields, quotes undone.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
        } else {
            match c {
                '"' => {
                    assert!(
                        field.is_empty(),
                        "a quote inside an unquoted field: {field:?}"
                    );
                    quoted = true;
                }
                ',' => row.push(std::mem::take(&mut field)),
                '\r' => assert_eq!(chars.next(), Some('\n'), "CR without LF"),
                '\n' => panic!("a line ends in LF alone, not CRLF"),
                c => field.push(c),
            }
            if c == '\r' {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
        }
    }
    assert!(!quoted, "an unterminated quoted field");
    assert!(
        field.is_empty() && row.is_empty(),
        "the last line has no CRLF"
    );
    rows
}

#[test]
fn csv_has_a_header_and_a_row_per_call_per_lane() {
    for (name, strategies) in [
        ("one-failing-call", &["sequential", "parallel"][..]),
        (
            "staircase",
            &["sequential", "waves", "parallel", "pool:2"][..],
        ),
        ("fail-fast", &[][..]),
    ] {
        let rec = record(name, strategies);
        let rows = parse_csv(&csv::csv(&rec));
        assert_eq!(
            rows[0],
            [
                "lane", "id", "tool", "status", "start_ms", "end_ms", "error"
            ]
        );
        let calls = rec.scenario.calls.len();
        assert_eq!(rows.len() - 1, rec.lanes.len() * calls, "{name}");
        for (k, lane) in rec.lanes.iter().enumerate() {
            for (i, c) in lane.calls.iter().enumerate() {
                let row = &rows[1 + k * calls + i];
                assert_eq!(row.len(), 7, "{row:?}");
                assert_eq!(row[0], lane.strategy.to_string());
                assert_eq!(row[1], *c.id);
                let status = serde_json::to_value(c.status).unwrap();
                assert_eq!(row[3], status.as_str().unwrap());
                let num = |s: &str| -> Option<f64> {
                    (!s.is_empty()).then(|| s.parse().expect("a number"))
                };
                let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
                    (Some(a), Some(b)) => (a - b).abs() <= 0.0005,
                    (a, b) => a.is_none() && b.is_none(),
                };
                assert!(close(num(&row[4]), c.start_ms), "{row:?} vs {c:?}");
                assert!(close(num(&row[5]), c.end_ms), "{row:?} vs {c:?}");
                assert_eq!(row[6], c.error().unwrap_or_default());
            }
        }
    }
    // The tool column: the scenario's tool, else the id.
    let rec = record("one-failing-call", &["sequential"]);
    let rows = parse_csv(&csv::csv(&rec));
    assert_eq!(rows[1][2], "fetch_url");
    assert_eq!(rows[5][..4], ["sequential", "summarize", "llm", "skipped"]);
    assert_eq!(rows[5][4], "", "null start is an empty field");
    assert_eq!(rows[5][6], "dependency `fetch_wiki` failed");
}

#[test]
fn csv_quotes_commas_quotes_and_line_breaks() {
    let mut rec = record("one-failing-call", &["sequential", "parallel"]);
    let nasty = "HTTP 503, \"Service\"\nUnavailable";
    std::sync::Arc::make_mut(&mut rec.scenario).calls[0].tool = Some("fetch,url".into());
    rec.lanes[1].calls[2].more_mut().error = Some(nasty.into());
    let text = csv::csv(&rec);
    assert!(text.contains(",\"fetch,url\","), "{text}");
    // A line break inside a field is escaped (no control byte reaches a terminal that shows
    // the file), so every row is one line.
    assert!(
        text.contains("\"HTTP 503, \"\"Service\"\"\\u{a}Unavailable\"\r\n"),
        "{text}"
    );
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 1 + 2 * 6, "a line break does not start a row");
    assert_eq!(rows[1][2], "fetch,url");
    assert_eq!(rows[7][2], "fetch,url");
    assert_eq!(rows[9][6], "HTTP 503, \"Service\"\\u{a}Unavailable");
    // Quoted only when needed.
    assert_eq!(csv::field("plain text"), "plain text");
    assert_eq!(csv::field("a\rb"), "a\\u{d}b");
    assert_eq!(csv::field("say \"hi\""), "\"say \"\"hi\"\"\"");
}

#[test]
fn csv_numbers_have_up_to_three_decimals() {
    assert_eq!(csv::number(0.02), "0.02");
    assert_eq!(csv::number(105.61149), "105.611");
    assert_eq!(csv::number(105.6116), "105.612");
    assert_eq!(csv::number(1500.0), "1500");
    assert_eq!(csv::number(0.0), "0");
    assert_eq!(csv::number(-0.0001), "0");
    assert_eq!(csv::number(100.0), "100");
    let rec = record("fetch-user-config-analyze", &["sequential"]);
    let rows = parse_csv(&csv::csv(&rec));
    assert_eq!(rows[1][4..6], ["0", "1500"]);
    assert_eq!(rows[3][4..6], ["2500", "4500"]);
}

// ---------------------------------------------------------------------------------------------
// Chrome trace

/// The trace, parsed from the text `render` gives.
fn trace(rec: &Record) -> Value {
    let text = report::render(rec, Format::ChromeTrace);
    let v: Value = serde_json::from_str(&text).expect("the trace is JSON");
    assert_eq!(v, chrome_trace::trace(rec), "the text is the trace value");
    v
}

fn events(v: &Value) -> &Vec<Value> {
    v["traceEvents"]
        .as_array()
        .expect("traceEvents is an array")
}

fn phase<'a>(v: &'a Value, ph: &str) -> Vec<&'a Value> {
    events(v).iter().filter(|e| e["ph"] == ph).collect()
}

fn key(e: &Value) -> (u64, u64) {
    (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap())
}

/// The call an event's name is about: `id`, `id (attempt 2)`, `id (waiting for a token)`.
fn call_of(name: &str) -> &str {
    name.split(" (").next().unwrap()
}

#[test]
fn trace_names_a_process_per_lane_and_a_thread_per_call() {
    let rec = record("staircase", &["sequential", "waves", "parallel", "pool:2"]);
    let v = trace(&rec);
    assert_eq!(v["displayTimeUnit"], "ms");
    let meta = phase(&v, "M");
    for (k, lane) in rec.lanes.iter().enumerate() {
        let pid = k as u64 + 1;
        let of = |name: &str, tid: u64| -> Vec<&Value> {
            meta.iter()
                .filter(|e| e["name"] == name && key(e) == (pid, tid))
                .map(|e| &e["args"])
                .collect()
        };
        assert_eq!(
            of("process_name", 0),
            [&serde_json::json!({"name": lane.strategy})]
        );
        assert_eq!(
            of("process_sort_index", 0),
            [&serde_json::json!({"sort_index": k})]
        );
        for (i, c) in lane.calls.iter().enumerate() {
            assert_eq!(
                of("thread_name", i as u64 + 1),
                [&serde_json::json!({"name": c.id})],
                "lane {k} call {i}"
            );
        }
    }
    let names = meta.iter().filter(|e| e["name"] == "thread_name").count();
    assert_eq!(names, rec.lanes.len() * rec.scenario.calls.len());
}

/// A complete event: start and end (µs) and name.
type Span<'a> = (f64, f64, &'a str);

/// Every X event's thread holds one call, and its X events nest or follow each other.
fn check_threads(v: &Value) {
    let meta = phase(v, "M");
    let thread_names: HashMap<(u64, u64), &str> = meta
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| (key(e), e["args"]["name"].as_str().unwrap()))
        .collect();
    let mut by_thread: BTreeMap<(u64, u64), Vec<Span>> = BTreeMap::new();
    for e in phase(v, "X") {
        let name = e["name"].as_str().unwrap();
        let ts = e["ts"].as_f64().unwrap();
        let dur = e["dur"].as_f64().unwrap();
        assert!(ts >= 0.0 && dur >= 0.0, "{e}");
        by_thread
            .entry(key(e))
            .or_default()
            .push((ts, ts + dur, name));
    }
    assert!(!by_thread.is_empty());
    for (thread, mut spans) in by_thread {
        let calls: BTreeSet<&str> = spans.iter().map(|s| call_of(s.2)).collect();
        assert_eq!(calls.len(), 1, "thread {thread:?} holds {calls:?}");
        assert_eq!(
            Some(calls.first().unwrap()),
            thread_names.get(&thread),
            "thread {thread:?} is named after its call"
        );
        // Sorted by start, longest first: each span nests in an open one or starts after it.
        spans.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut open: Vec<Span> = Vec::new();
        for s in spans {
            while open.last().is_some_and(|o| o.1 <= s.0) {
                open.pop();
            }
            if let Some(o) = open.last() {
                assert!(s.1 <= o.1, "{s:?} overlaps {o:?} without nesting in it");
            }
            open.push(s);
        }
    }
}

#[test]
fn trace_complete_events_are_the_calls_in_microseconds() {
    for name in ["staircase", "one-failing-call", "fetch-user-config-analyze"] {
        let rec = record(name, &["sequential", "parallel", "pool:2"]);
        let v = trace(&rec);
        check_threads(&v);
        let xs = phase(&v, "X");
        for (k, lane) in rec.lanes.iter().enumerate() {
            for (i, c) in lane.calls.iter().enumerate() {
                let mine: Vec<&&Value> = xs
                    .iter()
                    .filter(|e| key(e) == (k as u64 + 1, i as u64 + 1))
                    .collect();
                match (c.start_ms, c.end_ms) {
                    (Some(s), Some(e)) => {
                        assert_eq!(mine.len(), 1, "{name}: {c:?}");
                        let x = mine[0];
                        assert_eq!(x["name"], &*c.id);
                        let tool = rec.scenario.calls[i]
                            .tool
                            .clone()
                            .unwrap_or(c.id.to_string());
                        assert_eq!(x["cat"], tool.as_str());
                        assert!((x["ts"].as_f64().unwrap() - s * 1000.0).abs() < 1e-6);
                        assert!((x["dur"].as_f64().unwrap() - (e - s) * 1000.0).abs() < 1e-6);
                        let args = &x["args"];
                        assert_eq!(args["tool"], tool.as_str());
                        assert_eq!(args["status"], serde_json::to_value(c.status).unwrap());
                        assert_eq!(args["error"], serde_json::to_value(c.error()).unwrap());
                        for field in ["bytes", "http_status", "wait_ms"] {
                            assert!(args.get(field).is_some(), "{field} in {args}");
                        }
                    }
                    _ => assert!(mine.is_empty(), "{name}: {c:?} did not run"),
                }
            }
        }
    }
}

#[test]
fn trace_counts_the_calls_in_flight_at_every_start_and_end() {
    for name in ["staircase", "one-failing-call", "pool-of-3", "fail-fast"] {
        let rec = record(name, &[]);
        let v = trace(&rec);
        for (k, lane) in rec.lanes.iter().enumerate() {
            let counters: Vec<(f64, u64)> = phase(&v, "C")
                .into_iter()
                .filter(|e| e["pid"] == k as u64 + 1)
                .map(|e| {
                    assert_eq!(e["name"], "in flight");
                    (
                        e["ts"].as_f64().unwrap(),
                        e["args"]["calls"].as_u64().unwrap(),
                    )
                })
                .collect();
            let ran: Vec<(f64, f64)> = lane
                .calls
                .iter()
                .filter_map(|c| Some((c.start_ms? * 1000.0, c.end_ms? * 1000.0)))
                .collect();
            // A value at time 0 and at every start and end, each the number running then.
            let mut times: Vec<f64> = ran.iter().flat_map(|&(s, e)| [s, e]).collect();
            times.push(0.0);
            times.sort_by(f64::total_cmp);
            times.dedup();
            let at: Vec<f64> = counters.iter().map(|c| c.0).collect();
            assert_eq!(at, times, "{name} lane {k}");
            for (t, n) in &counters {
                let running = ran.iter().filter(|&&(s, e)| s <= *t && *t < e).count();
                assert_eq!(*n, running as u64, "{name} lane {k} at {t} µs");
            }
            assert_eq!(counters.last().unwrap().1, 0, "every call ended");
        }
        // Parallel runs several calls at once, sequential one at most.
        let peak = |k: u64| {
            phase(&v, "C")
                .into_iter()
                .filter(|e| e["pid"] == k)
                .map(|e| e["args"]["calls"].as_u64().unwrap())
                .max()
                .unwrap()
        };
        if rec.lanes[0].strategy == "sequential" {
            assert_eq!(peak(1), 1, "{name}");
        }
    }
}

#[test]
fn trace_shows_each_retry_attempt_nested_in_its_call() {
    let rec = record("timeouts-and-retries", &["sequential", "parallel"]);
    let v = trace(&rec);
    check_threads(&v);
    let xs = phase(&v, "X");
    let mut seen = 0;
    for (k, lane) in rec.lanes.iter().enumerate() {
        for (i, c) in lane.calls.iter().enumerate() {
            let attempts: Vec<&&Value> = xs
                .iter()
                .filter(|e| key(e) == (k as u64 + 1, i as u64 + 1))
                .filter(|e| e["name"].as_str().unwrap().contains("(attempt "))
                .collect();
            assert_eq!(attempts.len(), c.attempts().len(), "{}", c.id);
            for (n, (e, a)) in attempts.iter().zip(c.attempts()).enumerate() {
                assert_eq!(e["name"], format!("{} (attempt {})", c.id, n + 1));
                assert_eq!(e["args"]["attempt"], n + 1);
                assert_eq!(e["args"]["error"], serde_json::to_value(&a.error).unwrap());
                assert!((e["ts"].as_f64().unwrap() - a.start_ms * 1000.0).abs() < 1e-6);
                seen += 1;
            }
        }
    }
    assert!(seen >= 6, "the scenario retries: {seen} attempts seen");
}

#[test]
fn trace_shows_rate_limit_waits_before_their_calls() {
    let rec = record("rate-limited", &["parallel"]);
    let v = trace(&rec);
    check_threads(&v);
    let waits: Vec<&Value> = phase(&v, "X")
        .into_iter()
        .filter(|e| {
            e["name"]
                .as_str()
                .unwrap()
                .ends_with(" (waiting for a token)")
        })
        .collect();
    let waited: Vec<_> = rec.lanes[0]
        .calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.wait_ms().is_some_and(|w| w > 0.0))
        .collect();
    assert!(!waited.is_empty(), "the parallel lane waits for tokens");
    assert_eq!(waits.len(), waited.len());
    for (w, (i, c)) in waits.iter().zip(waited) {
        assert_eq!(key(w), (1, i as u64 + 1));
        let end = w["ts"].as_f64().unwrap() + w["dur"].as_f64().unwrap();
        assert!((end - c.start_ms.unwrap() * 1000.0).abs() < 1e-3, "{w}");
        assert!((w["dur"].as_f64().unwrap() - c.wait_ms().unwrap() * 1000.0).abs() < 1e-3);
    }
}

#[test]
fn trace_marks_skipped_calls_when_their_dependency_failed() {
    let rec = record("one-failing-call", &["sequential", "parallel"]);
    let v = trace(&rec);
    let instants = phase(&v, "i");
    for (k, lane) in rec.lanes.iter().enumerate() {
        let failed = lane.calls.iter().find(|c| &*c.id == "fetch_wiki").unwrap();
        assert_eq!(failed.status, CallStatus::Error);
        let mut skipped = 0;
        for (i, c) in lane.calls.iter().enumerate() {
            if c.status != CallStatus::Skipped {
                continue;
            }
            skipped += 1;
            let e: Vec<&&Value> = instants
                .iter()
                .filter(|e| key(e) == (k as u64 + 1, i as u64 + 1))
                .collect();
            assert_eq!(e.len(), 1, "{}", c.id);
            assert_eq!(e[0]["s"], "t");
            assert_eq!(e[0]["name"], format!("{} (skipped)", c.id));
            assert_eq!(e[0]["args"]["status"], "skipped");
            // cite is skipped through summarize: both at the moment fetch_wiki failed.
            let at = e[0]["ts"].as_f64().unwrap();
            assert!(
                (at - failed.end_ms.unwrap() * 1000.0).abs() < 1e-6,
                "{}",
                c.id
            );
        }
        assert_eq!(skipped, 2);
        assert_eq!(
            fanout::engine::queries::skipped_at(&rec, lane)[5],
            failed.end_ms,
            "cite"
        );
    }

    // Without a failed dependency to date it, a skipped call has no event; its lane lists it.
    let mut rec = rec;
    for c in &mut std::sync::Arc::make_mut(&mut rec.scenario).calls {
        c.depends_on.clear();
    }
    let v = trace(&rec);
    assert!(phase(&v, "i").is_empty());
    for k in 1..=rec.lanes.len() as u64 {
        let labels: Vec<&Value> = phase(&v, "M")
            .into_iter()
            .filter(|e| e["name"] == "process_labels" && e["pid"] == k)
            .collect();
        assert_eq!(labels.len(), 1);
        assert_eq!(
            labels[0]["args"]["skipped_at_unknown_time"],
            serde_json::json!(["summarize", "cite"])
        );
        assert!(
            labels[0]["args"]["labels"]
                .as_str()
                .unwrap()
                .contains("summarize, cite")
        );
    }
}

#[test]
fn trace_shows_cancelled_calls() {
    let rec = record("fail-fast", &["sequential", "parallel"]);
    let v = trace(&rec);
    check_threads(&v);
    let mut before = 0;
    let mut during = 0;
    for (k, lane) in rec.lanes.iter().enumerate() {
        for (i, c) in lane.calls.iter().enumerate() {
            if c.status != CallStatus::Cancelled {
                continue;
            }
            let mine: Vec<&Value> = events(&v)
                .iter()
                .filter(|e| e["ph"] != "M" && e["ph"] != "C")
                .filter(|e| key(e) == (k as u64 + 1, i as u64 + 1))
                .collect();
            assert_eq!(mine.len(), 1, "{}", c.id);
            assert_eq!(mine[0]["args"]["status"], "cancelled");
            if c.start_ms.is_some() {
                assert_eq!(mine[0]["ph"], "X");
                during += 1;
            } else {
                assert_eq!(mine[0]["ph"], "i");
                assert_eq!(mine[0]["name"], format!("{} (cancelled)", c.id));
                before += 1;
            }
        }
    }
    assert!(
        before > 0 && during > 0,
        "fail-fast cancels {before} queued, {during} running"
    );
}

// ---------------------------------------------------------------------------------------------
// SVG

/// A small XML well-formedness check: one root, balanced tags, quoted attributes, known
/// entities, no markup characters in text. Returns the element names in document order.
fn check_xml(doc: &str) -> Result<Vec<String>, String> {
    let mut rest = doc;
    if let Some(after) = rest.strip_prefix("<?xml") {
        let end = after.find("?>").ok_or("unterminated XML declaration")?;
        rest = &after[end + 2..];
    }
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut roots = 0;
    let check_text = |t: &str| -> Result<(), String> {
        if t.contains('>') {
            return Err(format!("raw > in text {t:?}"));
        }
        let mut parts = t.split('&');
        parts.next();
        for p in parts {
            let end = p.find(';').ok_or_else(|| format!("bare & in {t:?}"))?;
            let entity = &p[..end];
            let ok = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
                || entity
                    .strip_prefix("#x")
                    .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                || entity
                    .strip_prefix('#')
                    .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            if !ok {
                return Err(format!("unknown entity &{entity};"));
            }
        }
        if t.chars()
            .any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(format!("control character in {t:?}"));
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        check_text(text)?;
        rest = &rest[open + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            let end = after.find("-->").ok_or("unterminated comment")?;
            rest = &after[end + 3..];
            continue;
        }
        // The tag runs to the first > outside quotes.
        let mut end = None;
        let mut quote = None;
        for (i, c) in rest.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = Some(i);
                    break;
                }
                (None, '<') => return Err("< inside a tag".into()),
                _ => {}
            }
        }
        let end = end.ok_or("unterminated tag")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => continue,
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_:.".contains(c))
        {
            return Err(format!("bad element name in <{tag}>"));
        }
        // Attributes: name="value" pairs, each name once.
        let mut attrs = body[name.len()..].trim();
        let mut seen = BTreeSet::new();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or_else(|| format!("attribute without = in <{tag}>"))?;
            let attr = attrs[..eq].trim();
            if attr.is_empty() || attr.contains(char::is_whitespace) {
                return Err(format!("bad attribute name {attr:?} in <{tag}>"));
            }
            if !seen.insert(attr.to_string()) {
                return Err(format!("attribute {attr} twice in <{tag}>"));
            }
            let value = attrs[eq + 1..].trim_start();
            let q = value.chars().next().ok_or("attribute without a value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute {attr} in <{tag}>"));
            }
            let close = value[1..].find(q).ok_or("unterminated attribute")?;
            let v = &value[1..1 + close];
            if v.contains('<') {
                return Err(format!("< in attribute {attr}"));
            }
            check_text(v)?;
            attrs = value[close + 2..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        names.push(name.clone());
        if !self_closing {
            stack.push(name);
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("text after the root: {rest:?}"));
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(names)
}

#[test]
fn the_xml_check_rejects_what_is_not_well_formed() {
    assert!(check_xml(r#"<svg a="1"><g><text>x &amp; y</text></g></svg>"#).is_ok());
    for bad in [
        "<svg><g></svg>",
        "<svg></g>",
        "<svg>a & b</svg>",
        "<svg>a &nbsp; b</svg>",
        "<svg>1 > 0</svg>",
        "<svg a=1/>",
        r#"<svg a="1" a="2"/>"#,
        r#"<svg a="<"/>"#,
        "<svg/><svg/>",
        "<svg>\u{1}</svg>",
        "<svg>",
    ] {
        assert!(check_xml(bad).is_err(), "accepted {bad:?}");
    }
}

/// Runs `cmd` and asserts it exits 0; `what` and its stderr are the failure's message.
fn succeeds(cmd: &mut Command, what: &str) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Renders with rsvg-convert when it is installed (it is not needed to run the tests).
fn rsvg_renders(svg_text: &str, name: &str) {
    let available = Command::new("rsvg-convert")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(format!("{name}.svg"));
    let output = dir.path().join(format!("{name}.png"));
    std::fs::write(&input, svg_text).unwrap();
    succeeds(
        Command::new("rsvg-convert")
            .arg(&input)
            .arg("-o")
            .arg(&output),
        &format!("rsvg-convert failed on {name}"),
    );
    let png = std::fs::read(&output).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
}

#[test]
fn svg_is_well_formed_for_every_built_in() {
    for (name, _) in fanout::engine::scenario::BUILTINS {
        let rec = record(name, &["sequential", "parallel", "waves", "pool:2"]);
        let text = report::render(&rec, Format::Svg);
        let names = check_xml(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(names[0], "svg");
        rsvg_renders(&text, name);
    }
}

/// The text of every `<text>` element, unescaped.
fn texts(doc: &str) -> Vec<String> {
    doc.split("<text ")
        .skip(1)
        .map(|t| {
            let body = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            body.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn svg_draws_a_row_per_call_a_table_and_a_legend() {
    let rec = record("one-failing-call", &["sequential", "parallel"]);
    let text = svg::svg(&rec);
    assert!(text.starts_with("<?xml"));
    assert!(text.contains(r#"width="1000""#));
    let t = texts(&text);
    assert_eq!(t[0], rec.scenario.name);
    assert!(
        t[1].contains("speed 1×") && t[1].contains("virtual clock"),
        "{}",
        t[1]
    );
    for lane in &rec.lanes {
        for c in &lane.calls {
            let labels = t.iter().filter(|s| **s == *c.id).count();
            assert_eq!(labels, rec.lanes.len(), "one label per lane for {}", c.id);
        }
        // Table cells reuse the report's own formatting.
        assert!(t.contains(&report::duration(lane.wall_ms)));
        assert!(t.contains(&report::speedup(lane.speedup)));
        assert!(t.contains(&report::percent(lane.efficiency())));
    }
    for header in ["lane", "wall", "speedup", "lower bound", "efficiency"] {
        assert!(t.iter().any(|s| s == header), "table header {header}");
    }
    // Errors: ✗, the message beside the bar and as a tooltip; skipped calls say so.
    assert_eq!(t.iter().filter(|s| *s == "✗").count(), 2);
    assert_eq!(
        t.iter()
            .filter(|s| s.contains("HTTP 503 Service Unavailable"))
            .count(),
        2
    );
    assert!(text.contains("<title>fetch_wiki (fetch_url): error"));
    assert_eq!(t.iter().filter(|s| s.starts_with("skipped: ")).count(), 4);
    // The legend lists what the picture shows, not what it does not.
    assert!(t.iter().any(|s| s.starts_with("error ✗")));
    assert!(
        !t.iter()
            .any(|s| s.starts_with("waiting for a rate-limit token"))
    );
    assert!(
        t.iter().any(|s| s.starts_with("parallel ran ")),
        "the verdict"
    );
}

#[test]
fn svg_escapes_text_and_truncates_long_ids_and_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.json");
    let calls: Vec<Value> = (0..70)
        .map(|i| {
            let id = if i == 0 {
                "a_very_long_identifier_for_a_tool_call_that_does_not_fit".to_string()
            } else {
                format!("call_{i:02}")
            };
            let mut c = serde_json::json!({"id": id, "tool": "t", "latency_ms": 10 + i});
            if i == 3 {
                c["fail"] = "bad <xml> & \"quotes\", 'apostrophes'\nand a new line".into();
            }
            c
        })
        .collect();
    let scenario = serde_json::json!({
        "name": "Seventy <calls> & \"quotes\"",
        "calls": calls,
    });
    std::fs::write(&path, scenario.to_string()).unwrap();
    let rec = record(path.to_str().unwrap(), &["sequential", "parallel"]);
    let text = svg::svg(&rec);
    check_xml(&text).unwrap();
    rsvg_renders(&text, "many");
    let t = texts(&text);
    assert_eq!(t[0], "Seventy <calls> & \"quotes\"");
    assert!(text.contains("Seventy &lt;calls&gt; &amp; &quot;quotes&quot;"));
    // 60 rows per lane, then a line for the rest.
    assert_eq!(t.iter().filter(|s| s.starts_with("call_")).count(), 2 * 59);
    assert!(!t.iter().any(|s| s == "call_60"));
    assert_eq!(
        t.iter().filter(|s| s.starts_with("+10 more calls")).count(),
        2
    );
    let long: Vec<&String> = t.iter().filter(|s| s.starts_with("a_very_long")).collect();
    assert_eq!(long.len(), 2);
    assert!(
        long[0].ends_with('…') && long[0].chars().count() <= 24,
        "{}",
        long[0]
    );
    // The message is drawn on one line; the tooltip keeps it whole.
    assert!(
        t.iter()
            .any(|s| s.starts_with("bad <xml> & \"quotes\", 'apostrophes' and a new line")),
        "{t:?}"
    );
    assert!(text.contains(
        "bad &lt;xml&gt; &amp; &quot;quotes&quot;, &apos;apostrophes&apos;\nand a new line</title>"
    ));
}

#[test]
fn svg_time_axis_ticks_are_nice_steps() {
    let labels = |max| -> Vec<String> { svg::ticks(max).1.into_iter().map(|t| t.1).collect() };
    assert_eq!(
        labels(1604.0),
        [
            "0.0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1.0 s", "1.2 s", "1.4 s", "1.6 s",
            "1.8 s"
        ]
    );
    assert_eq!(
        labels(211.9),
        ["0 ms", "50 ms", "100 ms", "150 ms", "200 ms", "250 ms"]
    );
    assert_eq!(svg::ticks(25_000.0).0, 25_000.0);
    assert_eq!(labels(25_000.0)[1], "5 s");
    assert_eq!(
        labels(0.3),
        [
            "0.00 ms", "0.05 ms", "0.10 ms", "0.15 ms", "0.20 ms", "0.25 ms", "0.30 ms"
        ]
    );
    // Nothing ran: still an axis.
    assert_eq!(svg::ticks(0.0).1.len(), 11);
    for max in [0.7, 3.0, 99.0, 101.0, 999.0, 1001.0, 7777.0, 123_456.0] {
        let (end, ticks) = svg::ticks(max);
        assert!(
            end >= max && ticks.len() <= 11 && ticks.len() >= 3,
            "{max}: {ticks:?}"
        );
    }
}

#[test]
fn svg_draws_retries_waits_cancels_and_the_in_flight_strip() {
    let rec = record("timeouts-and-retries", &["sequential", "parallel"]);
    let text = svg::svg(&rec);
    check_xml(&text).unwrap();
    let t = texts(&text);
    assert!(t.iter().any(|s| s == "failed attempt, retried"));
    assert!(t.iter().any(|s| s.contains("attempts")));
    assert_eq!(t.iter().filter(|s| *s == "in flight").count(), 2);
    assert_eq!(t.iter().filter(|s| s.starts_with("peak ")).count(), 2);

    let text = svg::svg(&record("rate-limited", &["parallel"]));
    assert!(
        texts(&text)
            .iter()
            .any(|s| s == "waiting for a rate-limit token")
    );

    let text = svg::svg(&record("fail-fast", &["sequential", "parallel"]));
    let t = texts(&text);
    assert!(text.contains("url(#hatch)"));
    assert!(t.iter().any(|s| s == "cancelled"));
}

// ---------------------------------------------------------------------------------------------
// The command line

#[test]
fn report_writes_each_export_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let rec = record("one-failing-call", &["sequential", "parallel"]);
    std::fs::write(&path, report::json(&rec)).unwrap();
    for (format, check) in [
        ("chrome-trace", "{\"traceEvents\": ["),
        ("svg", "<?xml"),
        ("csv", "lane,id,tool,status,start_ms,end_ms,error\r\n"),
    ] {
        let out = succeeds(
            Command::new(env!("CARGO_BIN_EXE_fanout")).args([
                "report",
                path.to_str().unwrap(),
                "--format",
                format,
            ]),
            format,
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.starts_with(check), "{format}: {stdout}");
        // The record read back renders as the record in memory does.
        let format = <Format as clap::ValueEnum>::from_str(format, false).unwrap();
        assert_eq!(stdout, report::render(&rec, format), "{format:?}");
    }
}
