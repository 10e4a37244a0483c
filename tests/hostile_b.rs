//! Hostile input, part B: control bytes in every text field reach no writer raw. (The cases
//! of bad numbers, array-form objects and small traps that were a table here are case files in
//! `tests/hostile/`, run by `tests/hostile.rs`.)

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Out;

use fanout::text::is_control;

const TIMEOUT: Duration = Duration::from_secs(30);

/// Every kind of control a terminal acts on, as JSON string escapes: an OSC that retitles the
/// window, a C1 CSI that clears the screen, DEL, NUL, CR, tab, a line break and a Markdown `|`.
const NASTY: &str = r"\u001b]0;PWNED\u0007\u009b2J\u007f\u0000\r\t\n|";

/// Runs the binary in `dir` with stdin closed, killing it after [`TIMEOUT`].
fn run_in(dir: &Path, args: &[&str]) -> Out {
    common::run(common::fanout_in(dir, args), TIMEOUT)
        .unwrap_or_else(|e| panic!("`fanout {}`: {e}", args.join(" ")))
}

/// No control character but `allowed` in `text`.
#[track_caller]
fn assert_clean(what: &str, text: &str, allowed: &[char]) {
    if let Some((at, c)) = text
        .char_indices()
        .find(|&(_, c)| is_control(c) && !allowed.contains(&c))
    {
        let from = text[..at]
            .char_indices()
            .rev()
            .nth(40)
            .map_or(0, |(i, _)| i);
        panic!(
            "{what}: raw {c:?} at byte {at}, after {:?}\n--- whole output ---\n{text}",
            &text[from..at]
        );
    }
}

/// Both streams clean: only line breaks (and, in `csv`, the CRLF row ends) are raw.
#[track_caller]
fn assert_out_clean(what: &str, out: &Out) {
    assert!(!out.stderr.contains("panicked"), "{what}: {out:#?}");
    assert_clean(&format!("{what} (stdout)"), &out.stdout, &['\n']);
    assert_clean(&format!("{what} (stderr)"), &out.stderr, &['\n']);
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a scratch dir")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write a scratch file");
    path
}

/// A valid scenario with [`NASTY`] in every free-text field: name, description, lesson, the
/// tools (also the rate-limited one) and the failure messages.
fn nasty_scenario() -> String {
    format!(
        r#"{{
  "name": "name{NASTY}",
  "description": "description{NASTY}",
  "lesson": "lesson{NASTY}",
  "rate_limit": {{"per_second": 1000, "burst": 5, "tool": "tool{NASTY}"}},
  "calls": [
    {{"id": "a", "tool": "tool{NASTY}", "latency_ms": 2, "fail": "fail{NASTY}"}},
    {{"id": "b", "tool": "other{NASTY}", "latency_ms": 1, "depends_on": ["a"]}},
    {{"id": "c", "latency_ms": 1, "fail": "flaky{NASTY}", "fail_attempts": 1,
      "retries": {{"max": 1}}}}
  ]
}}"#
    )
}

#[test]
fn no_writer_prints_a_raw_control_byte_from_a_scenario() {
    let dir = scratch();
    let d = dir.path();
    write(d, "s.json", &nasty_scenario());
    let check = run_in(d, &["check", "s.json"]);
    assert_eq!(check.code, Some(0), "{check:#?}");
    assert_out_clean("check", &check);
    assert!(
        check
            .stdout
            .contains(r"name\u{1b}]0;PWNED\u{7}\u{9b}2J\u{7f}\u{0}\u{d}\u{9}\u{a}|")
    );

    let run = run_in(d, &["run", "s.json", "--headless", "--record", "r.json"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_out_clean("run --headless", &run);
    assert!(run.stdout.contains(r"fail\u{1b}]0;PWNED"), "{run:#?}");

    let json = run_in(d, &["run", "s.json", "--json", "--clock", "virtual"]);
    assert_eq!(json.code, Some(0), "{json:#?}");
    // JSON escapes C0 itself; the picture beside it on stderr is plain text.
    assert_clean("run --json (stderr)", &json.stderr, &['\n']);
    assert_clean(
        "run --json (stdout)",
        &json.stdout,
        &['\n', '\u{7f}', '\u{9b}'],
    );
    serde_json::from_str::<serde_json::Value>(&json.stdout).expect("valid JSON");

    for format in ["table", "markdown", "svg"] {
        let out = run_in(d, &["report", "r.json", "--format", format]);
        assert_eq!(out.code, Some(0), "{format}: {out:#?}");
        assert_out_clean(&format!("report --format {format}"), &out);
    }
    let md = run_in(d, &["report", "r.json", "--format", "markdown"]).stdout;
    for row in md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| lane"))
    {
        // A name cannot add a cell: every row has the header's cells.
        let cells = row.replace(r"\|", "").matches('|').count();
        let header = md.lines().find(|l| l.starts_with("| lane")).unwrap();
        assert_eq!(cells, header.matches('|').count(), "{row}");
    }

    let csv = run_in(d, &["report", "r.json", "--format", "csv"]);
    assert_eq!(csv.code, Some(0), "{csv:#?}");
    assert_clean("report --format csv", &csv.stdout.replace("\r\n", ""), &[]);
    assert_eq!(
        csv.stdout.lines().count(),
        1 + 2 * 3,
        "one line per call per lane: {}",
        csv.stdout
    );

    for format in ["table", "csv", "svg"] {
        let out = run_in(
            d,
            &["sweep", "s.json", "--workers", "1..3", "--format", format],
        );
        assert_eq!(out.code, Some(0), "sweep {format}: {out:#?}");
        assert_out_clean(&format!("sweep --format {format}"), &out);
    }
    let out = run_in(
        d,
        &["sweep", "s.json", "--workers", "1..3", "--format", "json"],
    );
    assert_eq!(out.code, Some(0), "sweep json: {out:#?}");
    serde_json::from_str::<serde_json::Value>(&out.stdout).expect("sweep --format json is JSON");

    // `replay` to a pipe prints the final frame and the table.
    let replay = run_in(d, &["replay", "r.json"]);
    assert_eq!(replay.code, Some(0), "{replay:#?}");
    assert_out_clean("replay", &replay);
}

#[test]
fn no_error_message_prints_a_raw_control_byte() {
    let dir = scratch();
    let d = dir.path();
    let cases: Vec<(&str, String)> = vec![
        (
            "invalid id",
            format!(r#"{{"name": "n", "calls": [{{"id": "a{NASTY}", "latency_ms": 1}}]}}"#),
        ),
        (
            "unknown dependency",
            format!(
                r#"{{"name": "n", "calls": [{{"id": "a", "latency_ms": 1, "depends_on": ["x{NASTY}"]}}]}}"#
            ),
        ),
        (
            "unknown strategy",
            format!(
                r#"{{"name": "n", "strategies": ["pool{NASTY}"], "calls": [{{"id": "a", "latency_ms": 1}}]}}"#
            ),
        ),
        (
            "unknown field",
            format!(r#"{{"name": "n", "x{NASTY}": 1, "calls": [{{"id": "a", "latency_ms": 1}}]}}"#),
        ),
        (
            "unknown call field",
            format!(
                r#"{{"name": "n", "calls": [{{"id": "a", "latency_ms": 1, "dep{NASTY}": 1}}]}}"#
            ),
        ),
        (
            "unknown rate-limited tool",
            format!(
                r#"{{"name": "n", "rate_limit": {{"per_second": 1, "tool": "t{NASTY}"}}, "calls": [{{"id": "a", "latency_ms": 1}}]}}"#
            ),
        ),
        (
            "bad url",
            format!(r#"{{"name": "n", "calls": [{{"id": "a", "http": {{"url": "x{NASTY}"}}}}]}}"#),
        ),
        (
            "unknown variant",
            format!(
                r#"{{"name": "n", "on_error": "c{NASTY}", "calls": [{{"id": "a", "latency_ms": 1}}]}}"#
            ),
        ),
        (
            "a scenario given as a record",
            format!(r#"{{"name": "n{NASTY}", "calls": []}}"#),
        ),
    ];
    for (what, text) in &cases {
        write(d, "bad.json", text);
        for command in ["check", "report"] {
            let out = run_in(d, &[command, "bad.json"]);
            assert_eq!(out.code, Some(2), "{what}, {command}: {out:#?}");
            assert_out_clean(&format!("{what}, {command}"), &out);
        }
    }
    // A file name and a built-in name from the command line are quoted in errors too.
    let name = "x\u{1b}]0;PWNED\u{7}.json";
    let out = run_in(d, &["check", name]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert_out_clean("missing file", &out);
    let out = run_in(d, &["check", "fetch\u{1b}[2J"]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert_out_clean("unknown built-in", &out);
}

/// `text` with every `"from"` string replaced by one holding [`NASTY`].
fn poison(text: &str, names: &[&str]) -> String {
    let mut text = text.to_string();
    for name in names {
        text = text.replace(&format!("\"{name}\""), &format!("\"{name}{NASTY}\""));
    }
    text
}

#[test]
fn imported_tool_names_are_escaped_when_printed() {
    let dir = scratch();
    let d = dir.path();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/imports");
    let read = |name: &str| std::fs::read_to_string(samples.join(name)).unwrap();
    let cases: Vec<(&str, &str, String, Vec<&str>)> = vec![
        (
            "anthropic",
            "a.json",
            poison(&read("anthropic-response.json"), &["get_weather"]),
            vec!["--default-latency", "100"],
        ),
        (
            "openai",
            "o.json",
            poison(&read("openai-completion.json"), &["search_docs"]),
            vec!["--default-latency", "100"],
        ),
        (
            "otel",
            "t.json",
            poison(
                &read("otel-agent-run.json"),
                &["book_flight", "get_weather"],
            ),
            vec![],
        ),
        (
            "chrome-trace",
            "c.json",
            poison(&read("chrome-trace-agent.json"), &["parse_html", "main"]),
            vec![],
        ),
    ];
    for (kind, file, text, extra) in &cases {
        assert!(
            text.contains("PWNED"),
            "{kind}: the sample changed; poison another name"
        );
        write(d, file, text);
        let mut args = vec!["import", kind, file, "--headless"];
        args.extend(extra);
        let out = run_in(d, &args);
        assert_eq!(out.code, Some(0), "{kind}: {out:#?}");
        assert_out_clean(&format!("import {kind}"), &out);
        // The headless picture shows call ids, which otel and chrome-trace make from the span's
        // own id or a cleaned name; anthropic and openai show the tool in a note.
        let shown =
            out.stdout.contains(r"\u{1b}]0;PWNED") || out.stderr.contains(r"\u{1b}]0;PWNED");
        assert!(
            shown || matches!(*kind, "otel" | "chrome-trace"),
            "{kind}: the poisoned name is shown, escaped: {out:#?}"
        );
    }
}

#[test]
fn real_calls_without_a_timeout_get_the_default_one() {
    use fanout::engine::Plan;
    use fanout::engine::limits::DEFAULT_REAL_TIMEOUT_MS;
    use fanout::engine::scenario::ScenarioSource;
    let text = r#"{"name": "n", "calls": [
        {"id": "get", "http": {"url": "{local}/delay/1"}},
        {"id": "own_http", "http": {"url": "{local}/delay/1", "timeout_ms": 500}},
        {"id": "own", "http": {"url": "{local}/delay/1"}, "timeout_ms": 700},
        {"id": "read", "file": {"path": "a.txt"}},
        {"id": "sim", "latency_ms": 5},
        {"id": "cpu", "cpu_ms": 5}
    ]}"#;
    let plan = Plan::from_source(&ScenarioSource::from_text("t.json", text)).unwrap();
    let timeouts: Vec<Option<f64>> = plan.calls.iter().map(|c| c.timeout_ms).collect();
    let d = Some(DEFAULT_REAL_TIMEOUT_MS);
    assert_eq!(timeouts, [d, None, Some(700.0), d, None, None]);
    // The record carries the scenario as written: the default is not written into it.
    assert_eq!(plan.scenario.calls[0].timeout_ms, None);
}
