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

mod calls;
mod spans;
mod stream;

pub(crate) use calls::import_with_meta;
pub(crate) use spans::decode_id;
use spans::{RawSpan, read_docs, read_spans, times};
use stream::stream_spans;

use super::{Doc, ImportKind, ImportOptions, Imported, Input};
use crate::engine::InputError;

const KIND: ImportKind = ImportKind::Otel;

/// What an imported span is.
#[derive(Debug, Clone, PartialEq)]
enum Role {
    /// A model call.
    Model,
    /// A tool call, with the tool's name.
    Tool(String),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::Value;

    use super::spans::role_of;
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
                    s.at.d,
                    s.at.rs,
                    s.at.scope_key,
                    s.at.ss,
                    s.at.k,
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
