//! End-to-end tests of the `fanout` binary: the good paths print what they promise, and the bad
//! inputs a case file cannot hold (bytes that are not UTF-8, generated 100,000-call files, a
//! record this test writes first) exit 2 with one placed message on stderr, never a panic.
//! Every other bad input is a case file in `tests/hostile/` (see `tests/hostile.rs`).
//!
//! Each test runs the real binary in its own scratch directory, so file labels in messages are
//! the bare names written here (`s.json`), and built-in names never collide with files.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::Out;

use fanout::engine::scenario::BUILTINS;
use serde_json::Value;
use tempfile::TempDir;

/// How long any single run may take before the test kills it and fails.
const TIMEOUT: Duration = Duration::from_secs(90);

/// A scratch directory the binary runs in.
struct Scratch {
    dir: TempDir,
}

impl Scratch {
    fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("create a scratch dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` to `name` inside the scratch dir.
    fn write(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.path(name), text).expect("write a scratch file");
        self
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).expect("read a scratch file")
    }

    /// Runs `fanout ARGS` with the scratch dir as the working directory.
    fn run(&self, args: &[&str]) -> Out {
        run_in(self.dir.path(), args)
    }
}

/// Runs the binary in `dir`, killing it after [`TIMEOUT`].
fn run_in(dir: &Path, args: &[&str]) -> Out {
    common::run(common::fanout_in(dir, args), TIMEOUT)
        .unwrap_or_else(|e| panic!("`fanout {}`: {e}", args.join(" ")))
}

/// Runs `fanout ARGS` in a fresh scratch dir (for built-ins and paths that need no files).
fn fanout(args: &[&str]) -> Out {
    Scratch::new().run(args)
}

/// Writes `text` to `s.json` and runs `fanout check s.json`.
fn check_text(text: &str) -> Out {
    let s = Scratch::new();
    s.write("s.json", text);
    s.run(&["check", "s.json"])
}

/// Exit 2, nothing on stdout, exactly one `error:` message on stderr that starts by naming
/// `file`, and no panic.
#[track_caller]
fn assert_input_error(out: &Out, file: &str) {
    assert!(
        !out.stderr.contains("panicked"),
        "fanout panicked:\n{}",
        out.stderr
    );
    assert_eq!(out.code, Some(2), "expected exit 2; {out:#?}");
    assert!(out.stdout.is_empty(), "stdout should be empty; {out:#?}");
    assert!(
        out.stderr.starts_with(&format!("error: {file}")),
        "stderr should start with `error: {file}`; {out:#?}"
    );
    assert_eq!(
        out.stderr.matches("error:").count(),
        1,
        "expected one message; {out:#?}"
    );
}

/// Asserts stderr contains `needle`.
#[track_caller]
fn assert_stderr_has(out: &Out, needle: &str) {
    assert!(
        out.stderr.contains(needle),
        "stderr should contain {needle:?}; {out:#?}"
    );
}

/// Asserts stdout contains `needle`.
#[track_caller]
fn assert_stdout_has(out: &Out, needle: &str) {
    assert!(
        out.stdout.contains(needle),
        "stdout should contain {needle:?}; {out:#?}"
    );
}

/// Exit 0 and no panic.
#[track_caller]
fn assert_ok(out: &Out) {
    assert!(
        !out.stderr.contains("panicked"),
        "fanout panicked:\n{}",
        out.stderr
    );
    assert_eq!(out.code, Some(0), "expected exit 0; {out:#?}");
}

/// Runs 100 times faster than real time: a built-in's seconds are tens of milliseconds.
const FAST: &[&str] = &["--speed", "100"];

/// `fanout run NAME --headless --json REST…`, which must succeed, and its record.
fn run_json(name: &str, rest: &[&str]) -> (Out, Value) {
    let mut args = vec!["run", name, "--headless", "--json"];
    args.extend(rest);
    let out = fanout(&args);
    assert_ok(&out);
    let v = stdout_json(&out);
    (out, v)
}

/// Parses stdout as JSON, failing with the whole output if it is not.
#[track_caller]
fn stdout_json(out: &Out) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not pure JSON ({e}); {out:#?}"))
}

/// `fanout COMMAND FILE REST…` on a scratch FILE of `n` independent zero-latency calls.
fn on_independent_calls(n: usize, command: &str, rest: &[&str]) -> Out {
    let s = Scratch::new();
    s.write("calls.json", &independent_calls(n));
    let mut args = vec![command, "calls.json"];
    args.extend(rest);
    s.run(&args)
}

/// A scenario of `n` independent zero-latency calls.
fn independent_calls(n: usize) -> String {
    let mut s = String::from("{\"name\": \"many calls\", \"calls\": [\n");
    for i in 0..n {
        let sep = if i + 1 < n { "," } else { "" };
        writeln!(s, "  {{\"id\": \"c{i}\", \"latency_ms\": 0}}{sep}").unwrap();
    }
    s.push_str("]}\n");
    s
}

/// A scenario of `n` zero-latency calls in one chain, `c{i}` depending on `c{i-1}`; with
/// `closed`, `c0` also depends on the last call, making one cycle through all of them.
fn chain(n: usize, closed: bool) -> String {
    let mut s = String::from("{\"name\": \"chain\", \"calls\": [\n");
    for i in 0..n {
        let dep = if i > 0 {
            format!(", \"depends_on\": [\"c{}\"]", i - 1)
        } else if closed {
            format!(", \"depends_on\": [\"c{}\"]", n - 1)
        } else {
            String::new()
        };
        let sep = if i + 1 < n { "," } else { "" };
        writeln!(s, "  {{\"id\": \"c{i}\", \"latency_ms\": 0{dep}}}{sep}").unwrap();
    }
    s.push_str("]}\n");
    s
}

// ---------------------------------------------------------------------------------------------
// Files that cannot be read
// ---------------------------------------------------------------------------------------------

#[test]
fn a_directory_and_bytes_that_are_not_utf8_are_named() {
    let s = Scratch::new();
    std::fs::create_dir(s.path("scenarios.d")).unwrap();
    std::fs::write(s.path("s.json"), [0xff, 0xfe, 0x00]).unwrap();
    for (file, says) in [("scenarios.d", "is a directory"), ("s.json", "UTF-8")] {
        let out = s.run(&["check", file]);
        assert_input_error(&out, file);
        assert_stderr_has(&out, says);
    }
}

// ---------------------------------------------------------------------------------------------
// What JSON cannot say: ids, dependencies, cycles, effects
// ---------------------------------------------------------------------------------------------

#[test]
fn huge_cycle_is_reported_without_overflow() {
    let s = Scratch::new();
    s.write("s.json", &chain(100_000, true));
    let out = s.run(&["check", "s.json"]);
    assert_input_error(&out, "s.json:2:");
    assert_stderr_has(
        &out,
        "call `c0`: dependency cycle of 100000 calls: c0 -> c99999 -> c99998 -> c99997 -> c99996 -> … (99990 more) … -> c5 -> c4 -> c3 -> c2 -> c1 -> c0\n",
    );
    assert!(out.stderr.len() < 1000, "one short line: {out:#?}");
}

// ---------------------------------------------------------------------------------------------
// `fanout report` on bad records
// ---------------------------------------------------------------------------------------------

#[test]
fn check_on_a_record_says_it_is_a_record() {
    let s = Scratch::new();
    record_run(&s, "fetch-5-urls");
    let out = s.run(&["check", "rec.json"]);
    assert_input_error(&out, "rec.json:1:1");
    assert_stderr_has(&out, "is a run record, not a scenario");
    assert_stderr_has(&out, "`fanout report rec.json`");
}

/// Records a small run into `rec.json` inside `s`, returning the run's output.
fn record_run(s: &Scratch, scenario: &str) -> Out {
    let out = s.run(&[
        "run",
        scenario,
        "--headless",
        "--speed",
        "100",
        "--record",
        "rec.json",
    ]);
    assert_ok(&out);
    out
}

/// `fanout report NAME` in `s` on a copy of `rec` that `edit` changed, written pretty or compact.
fn report_edited(
    s: &Scratch,
    rec: &Value,
    name: &str,
    pretty: bool,
    edit: impl FnOnce(&mut Value),
) -> Out {
    let mut v = rec.clone();
    edit(&mut v);
    let text = if pretty {
        serde_json::to_string_pretty(&v).unwrap()
    } else {
        v.to_string()
    };
    s.write(name, &text);
    s.run(&["report", name])
}

#[test]
fn report_on_an_edited_record() {
    let s = Scratch::new();
    record_run(&s, "one-failing-call");
    let mut rec: Value = serde_json::from_str(&s.read("rec.json")).unwrap();

    // A lane missing a call.
    let out = report_edited(&s, &rec, "truncated.json", false, |v| {
        v["lanes"][0]["calls"].as_array_mut().unwrap().pop();
    });
    assert_input_error(&out, "truncated.json:1:");
    assert_stderr_has(
        &out,
        "lane `sequential` does not list the scenario's calls in file order: it lists 5 calls, the scenario has 6",
    );

    // An unknown call status.
    let out = report_edited(&s, &rec, "status.json", true, |v| {
        v["lanes"][0]["calls"][0]["status"] = "done".into();
    });
    assert_input_error(&out, "status.json:");
    assert!(
        common::place(&out.stderr, "status.json").is_some(),
        "{out:#?}"
    );
    assert_stderr_has(&out, "unknown variant `done`");

    // An unknown lane strategy.
    let out = report_edited(&s, &rec, "lane.json", false, |v| {
        v["lanes"][0]["strategy"] = "paralel".into();
    });
    assert_input_error(&out, "lane.json:1:");
    assert_stderr_has(&out, "lane 1: unknown strategy `paralel`");

    // A call that ran without timings.
    let out = report_edited(&s, &rec, "timings.json", true, |v| {
        v["lanes"][1]["calls"][0]["end_ms"] = Value::Null;
    });
    assert_input_error(&out, "timings.json:");
    assert!(
        common::place(&out.stderr, "timings.json").is_some(),
        "{out:#?}"
    );
    assert_stderr_has(
        &out,
        "lane `parallel`: call `fetch_news` has impossible timings",
    );

    // An unknown lane field, and a lane field of the wrong type.
    let out = report_edited(&s, &rec, "field.json", true, |v| {
        v["lanes"][0]["wal_ms"] = 1.into();
    });
    assert_input_error(&out, "field.json:");
    assert_stderr_has(&out, "unknown field `wal_ms`");
    assert_stderr_has(&out, "hint: did you mean `wall_ms`?");
    let out = report_edited(&s, &rec, "typed.json", true, |v| {
        v["lanes"][0]["wall_ms"] = "12".into();
    });
    assert_input_error(&out, "typed.json:");
    assert_stderr_has(
        &out,
        "`lanes[0].wall_ms`: expected a number, found the string \"12\"",
    );

    // A speed of zero, placed at the speed.
    rec["speed"] = 0.into();
    let text = serde_json::to_string_pretty(&rec).unwrap();
    s.write("speed.json", &text);
    let out = s.run(&["report", "speed.json"]);
    assert_input_error(&out, "speed.json:");
    let (line, col) = common::place(&out.stderr, "speed.json").expect("placed");
    assert_eq!(&text.lines().nth(line - 1).unwrap()[col - 1..], "0,");
    assert_stderr_has(&out, "speed 0 is out of range: use 0.01 to 1000000");
}

#[test]
fn report_on_a_record_with_a_cyclic_scenario() {
    let s = Scratch::new();
    record_run(&s, "one-failing-call");
    let mut rec: Value = serde_json::from_str(&s.read("rec.json")).unwrap();
    rec["scenario"]["calls"][0]["depends_on"] = serde_json::json!(["cite"]);
    s.write("cyclic.json", &serde_json::to_string_pretty(&rec).unwrap());
    let out = s.run(&["report", "cyclic.json"]);
    assert_input_error(&out, "cyclic.json:");
    // The place is in the record file, so `path:line:col` still opens the right spot; the part
    // of the file comes after it.
    let (line, _) = common::place(&out.stderr, "cyclic.json").expect("placed");
    let text = s.read("cyclic.json");
    let at = text.lines().nth(line - 1).unwrap();
    assert!(at.contains("\"id\": \"fetch_news\""), "{at}; {out:#?}");
    assert_stderr_has(
        &out,
        ": embedded scenario: call `fetch_news`: dependency cycle: fetch_news -> cite -> summarize -> fetch_news\n",
    );
}

#[test]
fn errors_in_a_records_scenario_say_embedded_scenario() {
    let s = Scratch::new();
    record_run(&s, "one-failing-call");
    let rec: Value = serde_json::from_str(&s.read("rec.json")).unwrap();

    // A duplicate id: placed at the duplicate in the scenario, never at a lane's call entry of
    // the same id. serde_json::Value sorts keys, so here `lanes` comes before `scenario`.
    let mut dup = rec.clone();
    dup["scenario"]["calls"][5]["id"] = "fetch_news".into();
    let text = serde_json::to_string_pretty(&dup).unwrap();
    s.write("dup.json", &text);
    let out = s.run(&["report", "dup.json"]);
    assert_input_error(&out, "dup.json:");
    let (line, col) = common::place(&out.stderr, "dup.json").expect("placed");
    let scenario_line = text[..text.find("\"scenario\"").unwrap()].lines().count() + 1;
    assert!(text.find("\"lanes\"") < text.find("\"scenario\""));
    assert!(line > scenario_line, "placed inside the scenario: {out:#?}");
    let at = text.lines().nth(line - 1).unwrap();
    assert_eq!(&at[col - 1..], "\"fetch_news\",", "{out:#?}");
    assert_stderr_has(
        &out,
        ": embedded scenario: call `fetch_news`: duplicate id `fetch_news` (first at line ",
    );

    // A JSON error inside the scenario: paths are relative to it.
    let out = report_edited(&s, &rec, "typed.json", true, |v| {
        v["scenario"]["calls"][0]["latency_ms"] = "10".into();
    });
    assert_input_error(&out, "typed.json:");
    assert_stderr_has(
        &out,
        ": embedded scenario: `calls[0].latency_ms`: expected a number, found the string \"10\"",
    );

    // A missing scenario field hints at the scenario format, not the record's.
    let out = report_edited(&s, &rec, "unnamed.json", true, |v| {
        v["scenario"].as_object_mut().unwrap().remove("name");
    });
    assert_input_error(&out, "unnamed.json:");
    assert_stderr_has(&out, ": embedded scenario: missing field `name`\n");
    assert_stderr_has(&out, "section \"Scenario file format\"");
}

// ---------------------------------------------------------------------------------------------
// Good paths
// ---------------------------------------------------------------------------------------------

#[test]
fn list_names_every_builtin() {
    let out = fanout(&["list"]);
    assert_ok(&out);
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    let expected: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, expected, "{out:#?}");
    for name in [
        "fetch-5-urls",
        "one-failing-call",
        "staircase",
        "pool-of-3",
        "agent-loop",
    ] {
        assert!(names.contains(&name), "{name} missing; {out:#?}");
    }
}

#[test]
fn every_builtin_checks() {
    for (name, _) in BUILTINS {
        let out = fanout(&["check", name]);
        assert_ok(&out);
        assert_stdout_has(&out, &format!("(built-in {name})"));
        assert_stdout_has(&out, "sum of work ");
    }
}

#[test]
fn check_staircase_prints_bounds() {
    let out = fanout(&["check", "staircase"]);
    assert_ok(&out);
    assert_stdout_has(&out, "Staircase of three chains (built-in staircase)");
    assert_stdout_has(&out, "9 calls · 6 dependencies · 3 levels");
    assert_stdout_has(&out, "sum of work 30.000 s · critical path 10.000 s");
    let bound = |lane: &str| {
        out.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(lane))
            .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
    };
    // Lower bound, then the wall the virtual clock predicts, then Graham's bound for pools.
    assert_eq!(
        bound("sequential").as_deref(),
        Some("30.000 s 30.000 s —"),
        "{out:#?}"
    );
    assert_eq!(
        bound("waves").as_deref(),
        Some("10.000 s 24.000 s —"),
        "{out:#?}"
    );
    assert_eq!(
        bound("parallel").as_deref(),
        Some("10.000 s 10.000 s —"),
        "{out:#?}"
    );
}

#[test]
fn check_a_file_with_strategies_from_the_command_line() {
    let out =
        check_text("{\"name\": \"x\", \"calls\": [\n  {\"id\": \"a\", \"latency_ms\": 1}\n]}\n");
    assert_ok(&out);
    assert_stdout_has(&out, "x (s.json)");
    let s = Scratch::new();
    s.write("s.json", &independent_calls(6));
    let out = s.run(&["check", "s.json", "--strategies", "pool:4,waves,pool:4"]);
    assert_ok(&out);
    assert_stdout_has(&out, "pool:4");
    assert_stdout_has(&out, "waves");
    assert_eq!(out.stdout.matches("pool:4").count(), 1, "{out:#?}");
}

#[test]
fn run_fetch_5_urls_prints_the_table() {
    let out = fanout(&["run", "fetch-5-urls", "--headless", "--speed", "100"]);
    assert_ok(&out);
    assert_stderr_has(&out, "running built-in fetch-5-urls (5 calls)");
    assert_stdout_has(&out, "Fetch 5 URLs for research · 5 calls · speed 100×");
    assert_stdout_has(&out, "sum of work 250.0 ms · critical path 50.0 ms");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("lane"))
        .unwrap_or_else(|| panic!("no table header; {out:#?}"));
    for word in ["wall", "speedup", "lower bound", "efficiency", "calls"] {
        assert!(lines[header].contains(word), "{out:#?}");
    }
    assert!(lines[header + 1].starts_with("sequential "), "{out:#?}");
    assert!(lines[header + 1].ends_with("5 ok"), "{out:#?}");
    assert!(lines[header + 2].starts_with("parallel "), "{out:#?}");
    assert!(lines[header + 2].ends_with("5 ok"), "{out:#?}");
    assert_stdout_has(&out, "parallel ran ");
    assert_stdout_has(&out, " faster than sequential");
}

#[test]
fn json_output_is_the_record() {
    let (out, v) = run_json("fetch-5-urls", FAST);
    // The table moves to stderr.
    assert_stderr_has(&out, "parallel ran ");

    assert_eq!(v["fanout_version"], env!("CARGO_PKG_VERSION"));
    let started = v["started_at"].as_str().expect("started_at is a string");
    assert!(started.contains('T') && started.ends_with('Z'), "{started}");
    assert_eq!(v["speed"].as_f64(), Some(100.0));
    assert_eq!(v["mode"], "race");
    assert_eq!(v["scenario"]["name"], "Fetch 5 URLs for research");
    assert_eq!(v["scenario"]["calls"].as_array().unwrap().len(), 5);
    assert_eq!(v["bounds"]["sum_ms"].as_f64(), Some(250.0));
    assert_eq!(v["bounds"]["critical_path_ms"].as_f64(), Some(50.0));

    let lanes = v["lanes"].as_array().expect("lanes is an array");
    let strategies: Vec<&str> = lanes
        .iter()
        .map(|l| l["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies, ["sequential", "parallel"]);
    for lane in lanes {
        let wall = lane["wall_ms"].as_f64().unwrap();
        let bound = lane["lower_bound_ms"].as_f64().unwrap();
        assert!(wall >= bound - 1.0, "a lane beat its lower bound: {lane}");
        assert!(lane["speedup"].as_f64().unwrap() > 0.0, "{lane}");
        let calls = lane["calls"].as_array().unwrap();
        let ids: Vec<&str> = calls.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["fetch_1", "fetch_2", "fetch_3", "fetch_4", "fetch_5"]);
        for c in calls {
            assert_eq!(c["status"], "ok", "{c}");
            assert!(c["error"].is_null(), "{c}");
            let start = c["start_ms"].as_f64().expect("start_ms is a number");
            let end = c["end_ms"].as_f64().expect("end_ms is a number");
            assert!(0.0 <= start && start <= end && end <= wall + 1.0, "{c}");
        }
    }
    let wall = |i: usize| lanes[i]["wall_ms"].as_f64().unwrap();
    assert!(
        wall(1) < wall(0),
        "parallel should beat sequential: {wall0} vs {wall1}",
        wall0 = wall(0),
        wall1 = wall(1)
    );
}

#[test]
fn one_at_a_time_is_recorded() {
    let (_, v) = run_json(
        "latency-3x2s",
        &[
            "--speed",
            "1000",
            "--one-at-a-time",
            "--strategies",
            "parallel,pool:2,parallel",
        ],
    );
    assert_eq!(v["mode"], "one-at-a-time");
    let strategies: Vec<&str> = v["lanes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(
        strategies,
        ["parallel", "pool:2"],
        "duplicate lanes are dropped"
    );
}

#[test]
fn cpu_bound_runs_its_lanes_one_at_a_time_unless_raced() {
    let plan = fanout::engine::Plan::load("cpu-bound").unwrap();
    assert_eq!(plan.mode, Some(fanout::engine::Mode::OneAtATime));
    // One lane keeps the run short; the mode is the scenario's all the same.
    let (out, v) = run_json("cpu-bound", &["--strategies", "parallel"]);
    assert_eq!(v["mode"], "one-at-a-time");
    assert_eq!(v["scenario"]["mode"], "one-at-a-time");
    assert_stderr_has(&out, "lanes one at a time (the scenario's \"mode\"");
    assert_stderr_has(
        &out,
        "CPU-bound work · 8 calls · speed 1× · lanes one at a time",
    );

    let raced = fanout(&[
        "run",
        "cpu-bound",
        "--headless",
        "--strategies",
        "parallel",
        "--race",
    ]);
    assert_ok(&raced);
    assert_stdout_has(&raced, "· lanes raced");
    assert!(!raced.stderr.contains("one at a time"), "{raced:#?}");

    let both = fanout(&["run", "cpu-bound", "--race", "--one-at-a-time"]);
    assert_eq!(both.code, Some(2), "{both:#?}");
    assert_stderr_has(&both, "'--race' cannot be used with '--one-at-a-time'");
}

#[test]
fn a_scenario_without_a_mode_races_and_a_bad_mode_is_placed() {
    let (_, v) = run_json("latency-3x2s", &["--speed", "1000"]);
    assert_eq!(v["mode"], "race");

    let out = check_text(
        "{\"name\": \"x\", \"mode\": \"serial\",\n \"calls\": [{\"id\": \"a\", \"latency_ms\": 1}]}\n",
    );
    assert_input_error(&out, "s.json:1:");
    assert_stderr_has(&out, "unknown variant `serial`");
    // The message names both modes (the hint is the error module's: it reads serde's list).
    assert_stderr_has(&out, "expected `race` or `one-at-a-time`");
}

#[test]
fn record_then_report_re_renders_without_running() {
    let s = Scratch::new();
    let run = record_run(&s, "one-failing-call");
    assert_stderr_has(&run, "record written to rec.json");
    let saved: Value = serde_json::from_str(&s.read("rec.json")).expect("the record is JSON");

    // The default table is exactly the table the run printed (a headless run prints the final
    // frame of the chart first, then the table).
    let table = s.run(&["report", "rec.json"]);
    assert_ok(&table);
    assert!(table.stderr.is_empty(), "report runs nothing: {table:#?}");
    assert!(
        table
            .stdout
            .starts_with("One failing fetch in a batch · 6 calls"),
        "{table:#?}"
    );
    assert!(
        run.stdout.ends_with(&table.stdout),
        "the run's table should be the report's;\nrun:\n{}\nreport:\n{}",
        run.stdout,
        table.stdout
    );
    let explicit = s.run(&["report", "rec.json", "--format", "table"]);
    assert_ok(&explicit);
    assert_eq!(explicit.stdout, table.stdout);

    let md = s.run(&["report", "rec.json", "--format", "markdown"]);
    assert_ok(&md);
    assert!(
        md.stdout.starts_with("### One failing fetch in a batch\n"),
        "{md:#?}"
    );
    assert!(
        md.stdout
            .contains("| lane | wall | speedup | saved | lower bound | predicted | overhead | efficiency | calls |"),
        "{md:#?}"
    );
    assert!(md.stdout.contains("| sequential | "), "{md:#?}");
    assert!(md.stdout.contains("| parallel | "), "{md:#?}");
    assert!(md.stdout.contains("3 ok, 1 error, 2 skipped |"), "{md:#?}");

    let json = s.run(&["report", "rec.json", "--format", "json"]);
    assert_ok(&json);
    assert_eq!(stdout_json(&json), saved);

    // The report renders the saved numbers, not new ones: edit a wall and see it come back.
    let mut edited = saved.clone();
    edited["lanes"][0]["wall_ms"] = serde_json::json!(123456.0);
    s.write("edited.json", &edited.to_string());
    let out = s.run(&["report", "edited.json"]);
    assert_ok(&out);
    assert_stdout_has(&out, "123.456 s");
}

#[test]
fn a_failing_call_is_a_result_not_an_error() {
    let (out, v) = run_json("one-failing-call", FAST);
    // Skipped calls cost nothing, so they are left out of the bounds.
    assert_eq!(v["bounds"]["sum_ms"].as_f64(), Some(42.0));
    assert_eq!(v["bounds"]["critical_path_ms"].as_f64(), Some(12.0));
    for lane in v["lanes"].as_array().unwrap() {
        let call = |id: &str| {
            lane["calls"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .unwrap_or_else(|| panic!("no call {id} in {lane}"))
                .clone()
        };
        for id in ["fetch_news", "fetch_blog", "fetch_paper"] {
            assert_eq!(call(id)["status"], "ok", "{lane}");
        }
        let wiki = call("fetch_wiki");
        assert_eq!(wiki["status"], "error", "{wiki}");
        assert_eq!(wiki["error"], "HTTP 503 Service Unavailable");
        assert!(wiki["start_ms"].is_number() && wiki["end_ms"].is_number());
        for id in ["summarize", "cite"] {
            let c = call(id);
            assert_eq!(c["status"], "skipped", "{c}");
            assert!(c["start_ms"].is_null(), "{c}");
            assert!(c["end_ms"].is_null(), "{c}");
            let why = c["error"].as_str().expect("a skipped call says why");
            assert!(why.contains("fetch_wiki"), "{c}");
        }
    }
    assert_stderr_has(&out, "3 ok, 1 error, 2 skipped");
}

#[test]
fn hundred_thousand_calls_load() {
    let out = on_independent_calls(100_000, "check", &["--strategies", "parallel,pool:4"]);
    assert_ok(&out);
    assert_stdout_has(&out, "100000 calls · 0 dependencies · 1 level");
}

#[test]
fn hundred_thousand_calls_run_in_parallel_and_a_pool() {
    // Parallel alone is one of these two lanes. A call of latency 0 never touches the timer (whose 1 ms tick used to make 100 000 calls in
    // a pool of 4 take 30 s); this takes about a second in a debug build.
    let out = on_independent_calls(
        100_000,
        "run",
        &["--strategies", "parallel,pool:4", "--headless"],
    );
    assert_ok(&out);
    assert_eq!(out.stdout.matches("100000 ok").count(), 2, "{out:#?}");
}

#[test]
fn zero_work_shows_no_speedup_and_full_efficiency() {
    // Latency 0 and no sequential lane: the baseline (sum of work) and every lower bound are 0,
    // so speedup and efficiency are undefined; the record says 1.0 rather than 0.
    let out = on_independent_calls(
        3,
        "run",
        &["--strategies", "parallel,pool:2", "--headless", "--json"],
    );
    assert_ok(&out);
    let v = stdout_json(&out);
    for lane in v["lanes"].as_array().unwrap() {
        assert_eq!(lane["speedup"].as_f64(), Some(1.0), "{lane}");
        assert_eq!(lane["lower_bound_ms"].as_f64(), Some(0.0), "{lane}");
    }
    // The table (on stderr with --json): its rows, after the header.
    let table: Vec<&str> = out
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("lane "))
        .skip(1)
        .take(2)
        .collect();
    assert_eq!(table.len(), 2, "{out:#?}");
    for row in table {
        assert!(row.contains(" 1.00× "), "{row}");
        assert!(row.contains(" 100.0 % "), "{row}");
    }
}

#[test]
fn hundred_thousand_call_chain_checks_without_overflow() {
    let s = Scratch::new();
    s.write("chain.json", &chain(100_000, false));
    let out = s.run(&["check", "chain.json"]);
    assert_ok(&out);
    assert_stdout_has(&out, "100000 calls · 99999 dependencies · 100000 levels");
}

// ---------------------------------------------------------------------------------------------
// Imports
// ---------------------------------------------------------------------------------------------

/// The repository's sample of an imported trace.
fn sample(name: &str) -> String {
    format!("{}/scenarios/imports/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn an_imported_trace_shows_what_happened_beside_the_what_if() {
    let s = Scratch::new();
    let trace = sample("otel-agent-run.json");
    let out = s.run(&[
        "import",
        "otel",
        &trace,
        "--headless",
        "-o",
        "agent.json",
        "--record",
        "agent.record.json",
    ]);
    assert_ok(&out);
    for lane in ["recorded", "parallel", "one-per-turn", "turn-batched"] {
        assert_stdout_has(&out, lane);
    }
    // Every speedup is against what really happened.
    assert_stdout_has(
        &out,
        "parallel and turn-batched would have taken 7.816 s, 1.31× sooner than recorded",
    );
    // The scenario runs, and the record reports without re-running.
    let check = s.run(&["check", "agent.json"]);
    assert_ok(&check);
    assert_stdout_has(&check, "get_weather");
    let report = s.run(&["report", "agent.record.json"]);
    assert_ok(&report);
    assert_stdout_has(&report, "recorded");
}

#[test]
fn import_can_print_just_the_scenario() {
    let out = fanout(&[
        "import",
        "anthropic",
        &sample("anthropic-response.json"),
        "--default-latency",
        "300",
        "--scenario-only",
    ]);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("pure JSON on stdout");
    assert!(v["calls"].as_array().is_some_and(|c| !c.is_empty()), "{v}");
}

#[test]
fn import_without_latencies_says_which_tools_need_one() {
    let out = fanout(&["import", "openai", &sample("openai-completion.json")]);
    assert_eq!(out.code, Some(2), "{out:#?}");
    assert_stderr_has(&out, "--latency");
    assert_stderr_has(&out, "--default-latency");
}
