//! `fanout::import`: the sample files in scenarios/imports/ import to exact calls, batches and
//! latencies, the scenarios pass `Plan::new`, their predicted walls make sense, and bad input is
//! an `InputError` with a place and a fix, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fanout::engine::scenario::ScenarioSource;
use fanout::engine::virtual_clock::predicted_walls;
use fanout::engine::{CallStatus, InputError, Plan, Record, Strategy};
use fanout::import::{
    ImportKind, ImportOptions, Imported, RECORDED_LANE, import, import_text, parse_latency,
};

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/imports")
        .join(name)
}

/// The sample `name` in scenarios/imports/ imported as `kind`.
#[track_caller]
fn import_sample(kind: ImportKind, name: &str, opts: &ImportOptions) -> Imported {
    import(kind, &sample(name), opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `text` imported as `kind` from a file t.json.
#[track_caller]
fn import_str(kind: ImportKind, text: &str, opts: &ImportOptions) -> Imported {
    import_text(kind, "t.json", "t.json", text, opts).unwrap_or_else(|e| panic!("{e}"))
}

/// `(strategy, wall_ms)` of every lane.
fn lane_walls(record: &Record) -> Vec<(String, f64)> {
    record
        .lanes
        .iter()
        .map(|l| (l.strategy.to_string(), l.wall_ms))
        .collect()
}

fn no_opts() -> ImportOptions {
    ImportOptions::default()
}

fn latencies(pairs: &[(&str, f64)], default: Option<f64>) -> ImportOptions {
    ImportOptions {
        latency_by_tool: pairs.iter().map(|(n, ms)| (n.to_string(), *ms)).collect(),
        default_latency_ms: default,
    }
}

/// One expected call: `(id, tool, depends_on, latency_ms)`.
type Want<'a> = (&'a str, &'a str, &'a [&'a str], f64);

/// The imported calls are `want`, in order, and the scenario passes `Plan::new` (the plan).
#[track_caller]
fn assert_calls(imported: &Imported, want: &[Want]) -> Plan {
    let got: Vec<(&str, &str, Vec<&str>, f64)> = imported
        .scenario
        .calls
        .iter()
        .map(|c| {
            (
                &*c.id,
                c.tool.as_deref().unwrap_or(""),
                c.depends_on.iter().map(|d| &**d).collect(),
                c.latency_ms.unwrap(),
            )
        })
        .collect();
    let want: Vec<_> = want
        .iter()
        .map(|&(i, t, d, ms)| (i, t, d.to_vec(), ms))
        .collect();
    assert_eq!(got, want);
    plan(imported)
}

/// The scenario as `fanout run` would read it back: its JSON text through `Plan::new`.
fn plan(imported: &Imported) -> Plan {
    let source = ScenarioSource::from_text("imported.json", imported.scenario_json());
    let reparsed = source.parse().expect("the scenario JSON parses");
    assert_eq!(reparsed, imported.scenario, "the JSON round-trips");
    Plan::new(reparsed, &source).expect("the imported scenario passes Plan::new")
}

/// Predicted sequential and parallel walls.
fn walls(plan: &Plan) -> (f64, f64) {
    let w = predicted_walls(plan, &[Strategy::Sequential, Strategy::Parallel], 1.0);
    (w[0], w[1])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// `(id, status, start_ms, end_ms)` of the recorded lane.
fn recorded(imported: &Imported) -> (f64, Vec<(&str, CallStatus, f64, f64)>) {
    let record = imported
        .recorded
        .as_ref()
        .expect("a trace has a recorded run");
    assert_eq!(record.lanes.len(), 1);
    let lane = &record.lanes[0];
    assert_eq!(lane.strategy, RECORDED_LANE);
    (
        lane.wall_ms,
        lane.calls
            .iter()
            .map(|c| (&*c.id, c.status, c.start_ms.unwrap(), c.end_ms.unwrap()))
            .collect(),
    )
}

fn has_note(imported: &Imported, part: &str) -> bool {
    imported.notes.iter().any(|n| n.contains(part))
}

fn err_text(kind: ImportKind, text: &str, opts: &ImportOptions) -> InputError {
    match import_text(kind, "in.json", "in.json", text, opts) {
        Ok(i) => panic!("expected an error, got {:#?}", i.scenario),
        Err(e) => e,
    }
}

/// 1-based line and column of the first occurrence of `needle` in `text`.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    (line, col)
}

// ---------------------------------------------------------------------------------------------
// OpenTelemetry
// ---------------------------------------------------------------------------------------------

#[test]
fn otel_sample_imports_turns_batches_and_measured_latencies() {
    let imported = import_sample(ImportKind::Otel, "otel-agent-run.json", &no_opts());
    let s = &imported.scenario;
    assert_eq!(
        s.name,
        "invoke_agent travel-planner (imported from otel-agent-run.json)"
    );
    let batch1 = vec![
        "get_weather",
        "search_flights",
        "search_hotels",
        "get_exchange_rate",
    ];
    let batch2 = vec!["book_flight", "book_hotel"];
    let plan = assert_calls(
        &imported,
        &[
            ("chat", "llm", &[], 1287.403),
            ("get_weather", "get_weather", &["chat"], 412.538),
            ("search_flights", "search_flights", &["chat"], 1834.201),
            ("search_hotels", "search_hotels", &["chat"], 1210.877),
            ("get_exchange_rate", "get_exchange_rate", &["chat"], 98.405),
            ("chat_2", "llm", &batch1, 2104.66),
            ("book_flight", "book_flight", &["chat_2"], 956.312),
            ("book_hotel", "book_hotel", &["chat_2"], 704.79),
            ("chat_3", "llm", &batch2, 1633.25),
        ],
    );
    assert!(s.calls.iter().all(|c| c.fail.is_none()));
    assert!(s.lesson.as_deref().unwrap().contains("contention"));
    assert!(s.description.as_deref().unwrap().contains("imported"));

    let (wall, timings) = recorded(&imported);
    assert_eq!(wall, 10252.959);
    use CallStatus::Ok;
    assert_eq!(
        timings,
        vec![
            ("chat", Ok, 0.0, 1287.403),
            ("get_weather", Ok, 1289.207, 1701.744),
            ("search_flights", Ok, 1702.657, 3536.858),
            ("search_hotels", Ok, 3537.966, 4748.842),
            ("get_exchange_rate", Ok, 4749.686, 4848.091),
            ("chat_2", Ok, 4849.604, 6954.264),
            ("book_flight", Ok, 6955.997, 7912.309),
            ("book_hotel", Ok, 7913.297, 8618.087),
            ("chat_3", Ok, 8619.708, 10252.959),
        ]
    );
    let record = imported.recorded.as_ref().unwrap();
    assert_eq!(record.started_at, "2026-01-01T12:00:00.001Z");
    assert_eq!(*record.scenario, imported.scenario);

    // The run was sequential: predicting the sequential lane gives the recorded wall, less the
    // 10.5 ms between spans; the parallel lane runs each batch at once.
    let (sequential, parallel) = walls(&plan);
    assert!(close(sequential, 10242.436), "{sequential}");
    assert!(wall - sequential > 0.0 && wall - sequential < 11.0);
    assert!(close(
        parallel,
        1287.403 + 1834.201 + 2104.66 + 956.312 + 1633.25
    ));
    assert!(parallel < 0.8 * sequential);
    assert!(has_note(&imported, "left out 2 spans that are neither"));
    assert!(has_note(&imported, "10.524 ms of the recorded wall"));
    assert!(has_note(&imported, "form 2 batches"));
}

#[test]
fn otel_tools_nested_under_their_chat_belong_to_its_turn() {
    // Tools under the chat span that asked for them, which encloses them: each chat's latency
    // is its own time (chat 4.1 s less its tools' 2.9 s; chat_2 1.9 s less 0.9 s).
    let imported = import_sample(ImportKind::Otel, "otel-chat-turns.json", &no_opts());
    let s = &imported.scenario;
    let batch1 = vec!["search_web", "fetch_page", "read_pdf"];
    let batch2 = vec!["lookup_author", "lookup_citations"];
    assert_calls(
        &imported,
        &[
            ("chat", "llm", &[], 1200.0),
            ("search_web", "search_web", &["chat"], 800.0),
            ("fetch_page", "fetch_page", &["chat"], 1500.0),
            ("read_pdf", "read_pdf", &["chat"], 600.0),
            ("chat_2", "llm", &batch1, 1000.0),
            ("lookup_author", "lookup_author", &["chat_2"], 700.0),
            ("lookup_citations", "lookup_citations", &["chat_2"], 900.0),
            ("chat_3", "llm", &batch2, 1800.0),
        ],
    );
    let models: Vec<bool> = s.calls.iter().map(|c| c.model).collect();
    assert_eq!(
        models,
        [true, false, false, false, true, false, false, true]
    );
    assert_eq!(
        s.strategies.as_deref().unwrap(),
        ["parallel", "one-per-turn", "turn-batched"]
    );
    let (wall, timings) = recorded(&imported);
    assert_eq!(wall, 7800.0);
    // What happened: the chat spans around their tools, as the trace has them.
    assert_eq!(timings[0], ("chat", CallStatus::Ok, 0.0, 4100.0));
    assert_eq!(
        timings[6],
        ("lookup_citations", CallStatus::Ok, 5100.0, 6000.0)
    );
    assert!(has_note(
        &imported,
        "5 tool calls under a model call's span belong to its turn"
    ));
    assert!(has_note(
        &imported,
        "2 model calls enclosed their tool calls"
    ));
    assert!(has_note(
        &imported,
        "the trace's median model call, 1.200 s"
    ));
    // Only lookup_author and lookup_citations competed; the chats waited on their tools.
    assert!(has_note(
        &imported,
        "2 calls ran while another imported call was running"
    ));
    assert!(!has_note(&imported, "streamed tool calls"));
}

#[test]
fn an_imported_trace_predicts_its_turn_lanes_with_its_chats_as_turns() {
    let imported = import_sample(ImportKind::Otel, "otel-chat-turns.json", &no_opts());
    let plan = std::sync::Arc::new(plan(&imported));
    let opts = fanout::engine::RunOptions::for_plan(&plan);
    let record = fanout::import::beside_recorded(
        imported.recorded.as_ref(),
        fanout::engine::virtual_clock::run_virtual(&plan, &opts),
    );
    let walls = lane_walls(&record);
    let walls: Vec<(&str, f64)> = walls.iter().map(|(s, w)| (s.as_str(), *w)).collect();
    // By hand: parallel and turn-batched run each turn's tools at once, 1.2 + 1.5 + 1.0 + 0.9 + 1.8 s; one-per-turn takes six turns (the trace's three,
    // then three of the median 1.2 s) around the five tools (4.5 s).
    assert_eq!(
        walls,
        [
            ("recorded", 7_800.0),
            ("parallel", 6_400.0),
            ("one-per-turn", 12_100.0),
            ("turn-batched", 6_400.0),
        ]
    );
    let turns: Vec<usize> = record.lanes.iter().map(|l| l.turns.len()).collect();
    assert_eq!(turns, [0, 0, 6, 3]);
    assert_eq!(
        fanout::report::figures::headline(&record).unwrap(),
        "parallel and turn-batched would have taken 6.400 s, 1.22× sooner than recorded · saved 1.400 s (17.9 %)"
    );
    // The record reads back (every lane lists the same calls).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("turns.record.json");
    std::fs::write(&path, serde_json::to_string(&record).unwrap()).unwrap();
    let (loaded, _) = Record::load(&path).unwrap();
    assert_eq!(loaded.lanes[2].turns, record.lanes[2].turns);
    // Sequential on request: one call at a time, the model calls as calls (8.5 s).
    let walls = predicted_walls(&plan, &[Strategy::Sequential], 1.0);
    assert_eq!(walls, [8_500.0]);
}

/// The same lanes on tokio's paused clock, real lanes of the one dispatcher: the walls by hand.
#[tokio::test(start_paused = true)]
async fn the_imported_turn_lanes_take_the_same_walls_on_the_paused_clock() {
    let imported = import_sample(ImportKind::Otel, "otel-chat-turns.json", &no_opts());
    let plan = std::sync::Arc::new(plan(&imported));
    let record = fanout::engine::run(
        plan.clone(),
        &fanout::engine::RunOptions::for_plan(&plan),
        None,
    )
    .await
    .unwrap();
    let walls = lane_walls(&record);
    let walls: Vec<(&str, f64)> = walls.iter().map(|(s, w)| (s.as_str(), *w)).collect();
    assert_eq!(
        walls,
        [
            ("parallel", 6_400.0),
            ("one-per-turn", 12_100.0),
            ("turn-batched", 6_400.0)
        ]
    );
    // The chats are the turn-batched lane's three turns.
    let turns: Vec<(f64, f64)> = record.lanes[2]
        .turns
        .iter()
        .map(|t| (t.start_ms, t.end_ms))
        .collect();
    assert_eq!(
        turns,
        [(0.0, 1_200.0), (2_700.0, 3_700.0), (4_600.0, 6_400.0)]
    );
}

#[test]
fn a_tool_under_a_chat_nested_in_a_tool_stays_part_of_that_tool() {
    // A sub-agent: research (a tool) runs its own chat, which runs lookup. Only the outer
    // calls are kept; lookup's time is research's.
    let text = r#"{"resourceSpans": [{"scopeSpans": [{"spans": [
  {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0000000000000001", "name": "chat",
   "startTimeUnixNano": "1000000000", "endTimeUnixNano": "1500000000",
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]},
  {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0000000000000002",
   "parentSpanId": "0000000000000001", "name": "execute_tool research",
   "startTimeUnixNano": "1500000000", "endTimeUnixNano": "2500000000",
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}}]},
  {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0000000000000003",
   "parentSpanId": "0000000000000002", "name": "chat",
   "startTimeUnixNano": "1600000000", "endTimeUnixNano": "1700000000",
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]},
  {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0000000000000004",
   "parentSpanId": "0000000000000003", "name": "execute_tool lookup",
   "startTimeUnixNano": "1700000000", "endTimeUnixNano": "1800000000",
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}}]}
]}]}]}"#;
    let imported = import_str(ImportKind::Otel, text, &no_opts());
    assert_calls(
        &imported,
        &[
            ("chat", "llm", &[], 500.0),
            ("research", "research", &["chat"], 1000.0),
        ],
    );
    assert!(has_note(
        &imported,
        "left out 2 spans nested inside an imported span"
    ));
}

#[test]
fn the_recorded_run_is_a_valid_record_but_for_its_lane_name() {
    let imported = import_sample(ImportKind::Otel, "otel-agent-run.json", &no_opts());
    let record = imported.recorded.unwrap();
    let text = serde_json::to_string_pretty(&record).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Every check of Record::load but the strategy name passes.
    let path = dir.path().join("as-parallel.json");
    let renamed = text.replace("\"strategy\": \"recorded\"", "\"strategy\": \"parallel\"");
    std::fs::write(&path, renamed).unwrap();
    let (loaded, _plan) = Record::load(&path).expect("the record loads as a parallel lane");
    assert_eq!(loaded.lanes[0].calls, record.lanes[0].calls);
    assert_eq!(loaded.bounds, record.bounds);
}

#[test]
fn otel_json_lines_with_concurrent_tools_and_an_error() {
    let imported = import_sample(ImportKind::Otel, "otel-agent-run.jsonl", &no_opts());
    let s = &imported.scenario;
    assert_eq!(s.name, "support_agent (imported from otel-agent-run.jsonl)");
    let plan = assert_calls(
        &imported,
        &[
            ("ChatCompletion", "llm", &[], 802.314),
            ("lookup_order", "lookup_order", &["ChatCompletion"], 312.517),
            (
                "check_inventory",
                "check_inventory",
                &["ChatCompletion"],
                457.453,
            ),
            (
                "ChatCompletion_2",
                "llm",
                &["lookup_order", "check_inventory"],
                607.726,
            ),
            (
                "refund_order",
                "refund_order",
                &["ChatCompletion_2"],
                120.82,
            ),
            ("ChatCompletion_3", "llm", &["refund_order"], 493.3),
        ],
    );
    assert_eq!(s.calls[4].fail.as_deref(), Some("payment gateway timeout"));
    let (wall, timings) = recorded(&imported);
    assert_eq!(wall, 2487.3);
    assert_eq!(
        timings[2],
        ("check_inventory", CallStatus::Ok, 804.102, 1261.555)
    );
    assert_eq!(
        timings[4],
        ("refund_order", CallStatus::Error, 1871.9, 1992.72)
    );
    let record = imported.recorded.as_ref().unwrap();
    assert_eq!(
        record.lanes[0].calls[4].error(),
        Some("payment gateway timeout")
    );
    assert!(has_note(&imported, "2 documents"));
    assert!(has_note(&imported, "2 calls ran while another"));
    assert!(has_note(
        &imported,
        "fanout skips the calls that depend on a failed call"
    ));
    // The failed refund skips the last model turn in every lane.
    let (sequential, parallel) = walls(&plan);
    assert!(close(
        sequential,
        802.314 + 312.517 + 457.453 + 607.726 + 120.82
    ));
    assert!(close(parallel, 802.314 + 457.453 + 607.726 + 120.82));
}

#[test]
fn otel_tolerates_base64_ids_numeric_times_and_status_names() {
    // Ids in base64 (the protobuf JSON mapping), times as numbers, status code by name; a tool
    // call nested in another tool call (a sub-agent) is part of it.
    let text = r#"{"resourceSpans": [{"scopeSpans": [{"spans": [
  {"traceId": "CvdlGRbNQ92ESOshHIAxnA==", "spanId": "AAAAAAAAAAE=", "name": "chat claude",
   "startTimeUnixNano": 1767225600000000000, "endTimeUnixNano": 1767225600500000000,
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]},
  {"traceId": "CvdlGRbNQ92ESOshHIAxnA==", "spanId": "AAAAAAAAAAI=", "name": "execute_tool research",
   "startTimeUnixNano": "1767225600501000000", "endTimeUnixNano": "1767225601501000000",
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}},
                  {"key": "gen_ai.tool.name", "value": {"stringValue": "research"}}],
   "status": {"code": "STATUS_CODE_ERROR"}},
  {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0000000000000003",
   "parentSpanId": "0000000000000002", "name": "inner_lookup",
   "startTimeUnixNano": "1767225600600000000", "endTimeUnixNano": "1767225600700000000",
   "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": "TOOL"}}]},
  {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "0000000000000004",
   "name": "summarize", "startTimeUnixNano": 1767225601502000000, "endTimeUnixNano": 1767225601802000000,
   "attributes": [{"key": "openinference.span.kind", "value": {"stringValue": "LLM"}}]}
]}]}]}"#;
    let imported = import_str(ImportKind::Otel, text, &no_opts());
    assert_calls(
        &imported,
        &[
            ("chat", "llm", &[], 500.0),
            ("research", "research", &["chat"], 1000.0),
            ("summarize", "llm", &["research"], 300.0),
        ],
    );
    assert_eq!(
        imported.scenario.calls[1].fail.as_deref(),
        Some("span status ERROR")
    );
    assert!(has_note(
        &imported,
        "`inner_lookup` inside `execute_tool research`"
    ));
}

#[test]
fn otel_span_that_ends_before_it_starts() {
    let text = r#"{"resourceSpans": [{"scopeSpans": [{"spans": [
  {"name": "execute_tool search", "spanId": "0000000000000001",
   "startTimeUnixNano": "1767225600500000000",
   "endTimeUnixNano": "1767225600400000000",
   "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "execute_tool"}}]}
]}]}]}"#;
    let e = err_text(ImportKind::Otel, text, &no_opts());
    assert_eq!(e.file, "in.json");
    assert!(e.message.contains("ends before it starts"), "{e}");
    assert!(
        e.message
            .contains("resourceSpans[0].scopeSpans[0].spans[0]"),
        "{e}"
    );
    let (line, col) = place_of(text, "\"1767225600400000000\"");
    assert_eq!(e.line_col, Some((line, col)));
    assert!(e.hint.is_some());
    assert!(
        e.to_string()
            .starts_with(&format!("in.json:{line}:{col}: "))
    );
}

#[test]
fn otel_span_without_timestamps() {
    let text = r#"{"resourceSpans": [{"scopeSpans": [{"spans": [
  {"name": "chat gpt-4o", "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}]}
]}]}]}"#;
    let e = err_text(ImportKind::Otel, text, &no_opts());
    assert!(e.message.contains("startTimeUnixNano is missing"), "{e}");
    assert_eq!(e.line_col, Some(place_of(text, "{\"name\": \"chat")));
    assert!(
        e.hint
            .as_deref()
            .unwrap()
            .contains("nanoseconds since the Unix epoch")
    );

    let zero = text.replace(
        "\"attributes\"",
        "\"startTimeUnixNano\": \"0\", \"endTimeUnixNano\": \"5\", \"attributes\"",
    );
    let e = err_text(ImportKind::Otel, &zero, &no_opts());
    assert!(e.message.contains("startTimeUnixNano is 0 (unset)"), "{e}");
    assert_eq!(e.line_col, Some(place_of(&zero, "\"0\"")));
}

#[test]
fn otel_without_model_or_tool_spans_names_what_it_found() {
    let text = r#"{"resourceSpans": [{"scopeSpans": [{"spans": [
  {"name": "GET /health", "startTimeUnixNano": "1", "endTimeUnixNano": "2"}]}]}]}"#;
    let e = err_text(ImportKind::Otel, text, &no_opts());
    assert!(e.message.contains("`GET /health`"), "{e}");
    assert!(e.hint.as_deref().unwrap().contains("execute_tool"));
    assert_eq!(e.line_col, Some(place_of(text, "[{\"scopeSpans\"")));
}

#[test]
fn otel_json_lines_place_errors_on_their_line() {
    let good = std::fs::read_to_string(sample("otel-agent-run.jsonl")).unwrap();
    let first = good.lines().next().unwrap();
    let text = format!("{first}\n{{\"resourceSpans\": [}}\n");
    let e = err_text(ImportKind::Otel, &text, &no_opts());
    assert!(e.message.starts_with("is not valid JSON"), "{e}");
    assert_eq!(e.line_col.map(|p| p.0), Some(2));
}

#[test]
fn a_scenario_or_another_format_given_to_otel() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/agent-loop.json");
    let e = import(ImportKind::Otel, &path, &no_opts()).unwrap_err();
    assert!(e.file.ends_with("agent-loop.json"));
    assert_eq!(
        e.message,
        "is a fanout scenario, not an OpenTelemetry OTLP JSON trace"
    );
    assert_eq!(e.line_col, Some((1, 1)));
    assert!(e.hint.as_deref().unwrap().contains("fanout run"));

    // Another importer's file: the hint names the right one.
    for (kind, file, message, hint) in [
        (
            ImportKind::Otel,
            "chrome-trace-agent.json",
            Some("is a Chrome trace, not an OpenTelemetry OTLP JSON trace"),
            "fanout import chrome-trace",
        ),
        (
            ImportKind::Anthropic,
            "openai-completion.json",
            None,
            "fanout import openai",
        ),
        (
            ImportKind::ChromeTrace,
            "otel-agent-run.json",
            None,
            "fanout import otel",
        ),
    ] {
        let e = import(kind, &sample(file), &no_opts()).unwrap_err();
        if let Some(message) = message {
            assert_eq!(e.message, message);
        }
        assert!(e.hint.as_deref().unwrap().contains(hint), "{e}");
    }

    let e = err_text(ImportKind::Otel, r#"{"spans": []}"#, &no_opts());
    assert_eq!(
        e.message,
        "is not an OpenTelemetry OTLP JSON trace: found an object with `spans`"
    );
    assert!(e.hint.as_deref().unwrap().contains("resourceSpans"));
}

#[test]
fn not_json_and_cut_off_json() {
    for kind in [
        ImportKind::Otel,
        ImportKind::ChromeTrace,
        ImportKind::Anthropic,
        ImportKind::Openai,
    ] {
        let e = err_text(kind, "span chat 12ms\n", &no_opts());
        assert!(e.message.starts_with("is not valid JSON"), "{kind}: {e}");
        assert_eq!(e.line_col, Some((1, 1)), "{kind}");
        let hint = e.hint.as_deref().unwrap();
        assert!(hint.starts_with("this is not JSON"), "{kind}: {hint}");
        assert!(hint.contains(&format!("`import {kind}`")), "{kind}: {hint}");

        let e = err_text(kind, "{\"a\": [1, 2", &no_opts());
        assert!(
            e.hint.as_deref().unwrap().contains("ends early"),
            "{kind}: {e}"
        );

        let e = err_text(kind, "  \n", &no_opts());
        assert_eq!(e.message, "is empty");
    }
    let trailing = "{\n  \"resourceSpans\": []\n}\n}\n";
    let e = err_text(ImportKind::Otel, trailing, &no_opts());
    assert!(e.message.contains("trailing characters"), "{e}");
    assert_eq!(e.line_col, Some((4, 1)));
    assert!(
        e.hint.as_deref().unwrap().contains("remove what follows"),
        "{e}"
    );

    let events = r#"[{"name": "x", "ph": "X", "ts": 1, "dur": 2, "pid": 1, "tid": 1}]"#;
    let e = err_text(ImportKind::Anthropic, events, &no_opts());
    assert_eq!(
        e.message,
        "is a Chrome trace, not an Anthropic Messages payload"
    );

    let missing = import(
        ImportKind::Otel,
        Path::new("no/such/trace.json"),
        &no_opts(),
    )
    .unwrap_err();
    assert!(missing.message.starts_with("cannot read"));
    assert_eq!(missing.file, "no/such/trace.json");
}

// ---------------------------------------------------------------------------------------------
// Chrome traces
// ---------------------------------------------------------------------------------------------

#[test]
fn chrome_trace_sample_chains_slices_per_thread() {
    let imported = import_sample(
        ImportKind::ChromeTrace,
        "chrome-trace-agent.json",
        &no_opts(),
    );
    let arxiv = "fetch_arxiv.org_abs_2406.01234";
    let plan = assert_calls(
        &imported,
        &[
            ("llm.plan", "main", &[], 1187.251),
            (arxiv, "io-worker-1", &[], 895.313),
            (
                "fetch_en.wikipedia.org_wiki_Amdahl_s_law",
                "io-worker-2",
                &[],
                741.302,
            ),
            ("sqlite:_SELECT_notes", "db", &[], 38.212),
            (
                "fetch_github.com_openai_swarm_issues_12",
                "io-worker-1",
                &[arxiv],
                526.87,
            ),
            ("llm.summarise", "main", &["llm.plan"], 1902.117),
        ],
    );
    let (wall, timings) = recorded(&imported);
    assert_eq!(wall, 4515.117);
    assert_eq!(timings[0], ("llm.plan", CallStatus::Ok, 0.0, 1187.251));
    assert_eq!(timings[1], (arxiv, CallStatus::Ok, 1189.12, 2084.433));
    assert_eq!(
        timings[5],
        ("llm.summarise", CallStatus::Ok, 2613.0, 4515.117)
    );
    assert!(has_note(&imported, "a thread runs one slice at a time"));
    assert!(has_note(&imported, "left out 1 slice nested"));
    assert!(has_note(&imported, "2 `C`, 1 `i`"));

    let (sequential, parallel) = walls(&plan);
    assert!(close(
        sequential,
        1187.251 + 895.313 + 741.302 + 38.212 + 526.87 + 1902.117
    ));
    // Only the main thread's chain remains: plan, then summarise.
    assert!(close(parallel, 1187.251 + 1902.117));
}

#[test]
fn chrome_trace_bare_list_without_closing_bracket_and_unmatched_events() {
    let text = r#"[
{"name": "a", "ph": "E", "ts": 5, "pid": 1, "tid": 1},
{"name": "load", "cat": "io", "ph": "B", "ts": 10, "pid": 1, "tid": 1},
{"name": "load", "ph": "E", "ts": 2010, "pid": 1, "tid": 1},
{"name": "parse", "ph": "X", "ts": 2020, "dur": 500, "pid": 1, "tid": 1},
{"name": "upload", "ph": "X", "ts": 15, "dur": 3000, "pid": 1, "tid": 2},
{"name": "never_ends", "ph": "B", "ts": 3000, "pid": 1, "tid": 2},
"#;
    let imported = import_str(ImportKind::ChromeTrace, text, &no_opts());
    assert_calls(
        &imported,
        &[
            ("load", "io", &[], 2.0),
            ("upload", "upload", &[], 3.0),
            ("parse", "parse", &["load"], 0.5),
        ],
    );
    assert!(has_note(&imported, "no closing `]`"));
    assert!(has_note(
        &imported,
        "left out 1 B event that no E event ends"
    ));
    assert!(has_note(&imported, "left out 1 E event with no B event"));
}

#[test]
fn chrome_trace_bad_events() {
    let missing_dur = "{\"traceEvents\": [\n  {\"name\": \"x\", \"ph\": \"X\", \"ts\": 1, \"pid\": 1, \"tid\": 1}\n]}";
    let e = err_text(ImportKind::ChromeTrace, missing_dur, &no_opts());
    assert!(e.message.contains("event 0 (traceEvents[0])"), "{e}");
    assert!(e.message.contains("without `dur`"), "{e}");
    assert_eq!(e.line_col, Some((2, 3)));
    assert!(e.hint.as_deref().unwrap().contains("microseconds"));

    let negative = missing_dur.replace("\"ts\": 1,", "\"ts\": 1, \"dur\": -4,");
    let e = err_text(ImportKind::ChromeTrace, &negative, &no_opts());
    assert!(e.message.contains("negative"), "{e}");
    assert_eq!(e.line_col, Some(place_of(&negative, "-4")));

    let backwards = r#"{"traceEvents": [
  {"name": "x", "ph": "B", "ts": 100, "pid": 1, "tid": 1},
  {"name": "x", "ph": "E", "ts": 50, "pid": 1, "tid": 1}]}"#;
    let e = err_text(ImportKind::ChromeTrace, backwards, &no_opts());
    assert!(e.message.contains("before it began"), "{e}");
    assert_eq!(e.line_col, Some(place_of(backwards, "50")));

    let only_metadata = r#"{"traceEvents": [{"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "main"}}]}"#;
    let e = err_text(ImportKind::ChromeTrace, only_metadata, &no_opts());
    assert!(e.message.contains("no complete (X) events"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Anthropic and OpenAI
// ---------------------------------------------------------------------------------------------

/// A response is one batch: the calls the model asked for together, none waiting for another,
/// at the latencies the options give (a payload has no timings, so no recorded run).
#[test]
fn a_response_is_one_batch() {
    struct Case {
        kind: ImportKind,
        sample: &'static str,
        opts: ImportOptions,
        want: &'static [Want<'static>],
        /// Which latency each tool got.
        note: &'static str,
        walls: (f64, f64),
    }
    let cases = [
        Case {
            kind: ImportKind::Anthropic,
            sample: "anthropic-response.json",
            opts: latencies(&[("get_weather", 300.0)], Some(150.0)),
            want: &[
                ("get_weather", "get_weather", &[], 300.0),
                ("get_weather_2", "get_weather", &[], 300.0),
                ("get_local_time", "get_local_time", &[], 150.0),
            ],
            note: "get_local_time 150 ms (--default-latency), get_weather 300 ms (--latency)",
            walls: (750.0, 300.0),
        },
        Case {
            kind: ImportKind::Openai,
            sample: "openai-completion.json",
            opts: latencies(
                &[("search_docs", 420.0), ("query_metrics", 1250.5)],
                Some(80.0),
            ),
            want: &[
                ("search_docs", "search_docs", &[], 420.0),
                ("search_docs_2", "search_docs", &[], 420.0),
                ("query_metrics", "query_metrics", &[], 1250.5),
                ("read_file", "read_file", &[], 80.0),
            ],
            note: "query_metrics 1.250 s (--latency), read_file 80 ms (--default-latency), search_docs 420 ms (--latency)",
            walls: (2170.5, 1250.5),
        },
    ];
    for Case {
        kind,
        sample,
        opts,
        want,
        note,
        walls: want_walls,
    } in cases
    {
        let imported = import_sample(kind, sample, &opts);
        let plan = assert_calls(&imported, want);
        assert!(imported.recorded.is_none(), "{kind}");
        assert!(has_note(&imported, note), "{kind}: {:?}", imported.notes);
        assert_eq!(walls(&plan), want_walls, "{kind}");
    }
}

/// A conversation, wrapped (`{"model": …, "messages": […]}`) or a bare list of messages, is one
/// batch per assistant message that asks for tools, each waiting for the batch before it.
#[test]
fn a_conversation_chains_its_batches_wrapped_or_bare() {
    let anthropic = r#"[
  {"role": "user", "content": "Compare the weather in Lisbon and Porto, then book the warmer one."},
  {"role": "assistant", "content": [
    {"type": "text", "text": "Checking both."},
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Lisbon"}},
    {"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Porto"}}]},
  {"role": "user", "content": [
    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "24C"},
    {"type": "tool_result", "tool_use_id": "toolu_2", "content": "19C"}]},
  {"role": "assistant", "content": [
    {"type": "tool_use", "id": "toolu_3", "name": "book_hotel", "input": {"city": "Lisbon"}}]},
  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_3", "content": "ok"}]},
  {"role": "assistant", "content": "Booked in Lisbon."}
]"#;
    let openai = r#"[
  {"role": "system", "content": "You are an SRE assistant."},
  {"role": "user", "content": "Why is the API slow?"},
  {"role": "assistant", "content": null, "tool_calls": [
    {"id": "call_1", "type": "function", "function": {"name": "query_metrics", "arguments": "{}"}},
    {"id": "call_2", "type": "function", "function": {"name": "read_logs", "arguments": "{}"}}]},
  {"role": "tool", "tool_call_id": "call_1", "content": "p99 2.1s"},
  {"role": "tool", "tool_call_id": "call_2", "content": "pool exhausted"},
  {"role": "assistant", "content": null, "tool_calls": [
    {"id": "call_3", "type": "function", "function": {"name": "read_file", "arguments": "{}"}}]},
  {"role": "tool", "tool_call_id": "call_3", "content": "max_client_conn = 100"},
  {"role": "assistant", "content": "Raise max_client_conn."}
]"#;
    struct Case {
        kind: ImportKind,
        /// The wrapper's fields before `messages`: its `model` and any other.
        model: &'static str,
        messages: &'static str,
        opts: ImportOptions,
        want: &'static [Want<'static>],
        walls: (f64, f64),
    }
    let cases = [
        Case {
            kind: ImportKind::Anthropic,
            model: r#""claude-sonnet-4-5", "max_tokens": 1024"#,
            messages: anthropic,
            opts: latencies(&[("get_weather", 300.0), ("book_hotel", 900.0)], None),
            want: &[
                ("get_weather", "get_weather", &[], 300.0),
                ("get_weather_2", "get_weather", &[], 300.0),
                (
                    "book_hotel",
                    "book_hotel",
                    &["get_weather", "get_weather_2"],
                    900.0,
                ),
            ],
            walls: (1500.0, 1200.0),
        },
        Case {
            kind: ImportKind::Openai,
            model: r#""gpt-4o""#,
            messages: openai,
            opts: latencies(&[], Some(200.0)),
            want: &[
                ("query_metrics", "query_metrics", &[], 200.0),
                ("read_logs", "read_logs", &[], 200.0),
                (
                    "read_file",
                    "read_file",
                    &["query_metrics", "read_logs"],
                    200.0,
                ),
            ],
            walls: (600.0, 400.0),
        },
    ];
    for Case {
        kind,
        model,
        messages,
        opts,
        want,
        walls: want_walls,
    } in cases
    {
        let wrapped = format!("{{\"model\": {model}, \"messages\": {messages}}}");
        let imported = import_str(kind, &wrapped, &opts);
        let plan = assert_calls(&imported, want);
        assert!(has_note(&imported, "2 batches"), "{kind}");
        assert_eq!(walls(&plan), want_walls, "{kind}");
        // The bare list of messages imports the same.
        let bare = import_str(kind, messages, &opts);
        assert_eq!(bare.scenario.calls, imported.scenario.calls, "{kind}");
    }
}

#[test]
fn anthropic_without_tool_use() {
    let text = r#"{
  "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
  "content": [{"type": "text", "text": "It is sunny in Lisbon."}],
  "stop_reason": "end_turn"
}"#;
    let e = err_text(ImportKind::Anthropic, text, &latencies(&[], Some(100.0)));
    assert!(e.message.contains("no tool_use block"), "{e}");
    assert!(e.message.contains("stop_reason `end_turn`"), "{e}");
    assert_eq!(e.line_col, Some(place_of(text, "\"end_turn\"")));
    assert!(e.hint.as_deref().unwrap().contains("tool_use"));

    let e = err_text(
        ImportKind::Anthropic,
        r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
        &no_opts(),
    );
    assert_eq!(e.message, "is an API error response: Overloaded");
}

#[test]
fn openai_tool_without_latency_names_the_flags() {
    let path = sample("openai-completion.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let e = import(
        ImportKind::Openai,
        &path,
        &latencies(&[("search_docs", 420.0)], None),
    )
    .unwrap_err();
    assert!(e.file.ends_with("openai-completion.json"));
    assert_eq!(
        e.message,
        "no latency for tools `query_metrics`, `read_file`: an OpenAI Chat Completions payload carries no timings"
    );
    assert_eq!(e.line_col, Some(place_of(&text, "\"query_metrics\"")));
    let hint = e.hint.as_deref().unwrap();
    assert!(
        hint.contains("--latency query_metrics=MS --latency read_file=MS"),
        "{hint}"
    );
    assert!(hint.contains("--default-latency MS"), "{hint}");
}

#[test]
fn openai_without_tool_calls_and_with_a_nameless_call() {
    let text = r#"{"object": "chat.completion", "choices": [
  {"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}]}"#;
    let e = err_text(ImportKind::Openai, text, &latencies(&[], Some(1.0)));
    assert!(e.message.contains("finish_reason `stop`"), "{e}");
    assert_eq!(e.line_col, Some(place_of(text, "\"stop\"")));

    let nameless = r#"{"choices": [{"message": {"role": "assistant", "tool_calls": [
  {"id": "call_1", "type": "function", "function": {"arguments": "{}"}}]}}]}"#;
    let e = err_text(ImportKind::Openai, nameless, &latencies(&[], Some(1.0)));
    assert!(e.message.contains("without a tool name"), "{e}");
    assert!(
        e.message
            .contains("choices[0].message.tool_calls[0].function.name"),
        "{e}"
    );
    assert_eq!(e.line_col, Some(place_of(nameless, "{\"arguments\"")));
}

#[test]
fn latency_flags_parse() {
    assert_eq!(
        parse_latency("read_file=12.5"),
        Ok(("read_file".into(), 12.5))
    );
    assert!(parse_latency("read_file").is_err());
    assert!(parse_latency("read_file=-3").is_err());
    let bad = ImportOptions {
        latency_by_tool: BTreeMap::from([("get_weather".to_string(), f64::NAN)]),
        default_latency_ms: None,
    };
    let e = import(
        ImportKind::Anthropic,
        &sample("anthropic-response.json"),
        &bad,
    )
    .unwrap_err();
    assert_eq!(e.file, "--latency");
}

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

#[test]
fn odd_and_truncated_inputs_are_errors_not_panics() {
    let kinds = [
        ImportKind::Otel,
        ImportKind::ChromeTrace,
        ImportKind::Anthropic,
        ImportKind::Openai,
    ];
    let odd = [
        "{}",
        "[]",
        "null",
        "42",
        "\"x\"",
        "\u{feff}{}",
        r#"{"resourceSpans": 5}"#,
        r#"{"resourceSpans": [5]}"#,
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": [7]}]}]}"#,
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 3}]}]}]}"#,
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "zz"}]}]}]}"#,
        r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"attributes": {"a": 1}}]}]}]}"#,
        r#"{"resource_spans": []}"#,
        r#"{"traceEvents": 1}"#,
        r#"{"traceEvents": [1]}"#,
        r#"[{"ph": 5}]"#,
        r#"[{"ph": "X", "ts": "soon", "dur": 1}]"#,
        r#"[{"ph": "X", "ts": 1e308, "dur": 1e308}]"#,
        r#"{"content": "x"}"#,
        r#"{"content": [{"type": "tool_use"}]}"#,
        r#"{"messages": {}}"#,
        r#"[{"role": 1}]"#,
        r#"[{"role": "assistant", "content": 5}]"#,
        r#"{"choices": 1}"#,
        r#"{"choices": [{"message": {"tool_calls": [{}]}}]}"#,
        r#"{"choices": [{"message": {"tool_calls": 3}}]}"#,
        r#"{"object": "response", "output": []}"#,
        r#"{"name": "x", "context": {}, "start_time": "t"}"#,
    ];
    let opts = latencies(&[], Some(10.0));
    for kind in kinds {
        for text in odd {
            if let Err(e) = import_text(kind, "odd.json", "odd.json", text, &opts) {
                assert_eq!(e.file, "odd.json");
                assert!(e.hint.is_some(), "{kind} {text}: no hint in {e}");
            }
        }
    }
    for name in [
        "otel-agent-run.json",
        "otel-agent-run.jsonl",
        "chrome-trace-agent.json",
        "anthropic-response.json",
        "openai-completion.json",
    ] {
        let text = std::fs::read_to_string(sample(name)).unwrap();
        let cuts: Vec<usize> = (1..40)
            .map(|k| text.len() * k / 40)
            .filter(|&c| text.is_char_boundary(c))
            .collect();
        for cut in cuts {
            for kind in kinds {
                let _ = import_text(kind, "cut.json", "cut.json", &text[..cut], &opts);
            }
        }
    }
}

#[test]
fn every_sample_passes_plan_new() {
    let opts = latencies(&[], Some(100.0));
    for (kind, name) in [
        (ImportKind::Otel, "otel-agent-run.json"),
        (ImportKind::Otel, "otel-agent-run.jsonl"),
        (ImportKind::ChromeTrace, "chrome-trace-agent.json"),
        (ImportKind::Anthropic, "anthropic-response.json"),
        (ImportKind::Openai, "openai-completion.json"),
    ] {
        let imported = import_sample(kind, name, &opts);
        let plan = plan(&imported);
        let (sequential, parallel) = walls(&plan);
        assert!(parallel <= sequential, "{name}");
        if let Some(record) = &imported.recorded {
            let ids: Vec<&str> = record.lanes[0].calls.iter().map(|c| &*c.id).collect();
            let expected: Vec<&str> = plan.calls.iter().map(|c| &*c.id).collect();
            assert_eq!(ids, expected, "{name}");
        }
    }
}
