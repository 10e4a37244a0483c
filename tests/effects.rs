//! The effects a call performs and how a lane drives them: real HTTP against fanout's own
//! loopback server, real file reads, CPU work, seeded latency draws, rate limits, timeouts,
//! retries and `on_error: cancel`.
//!
//! Simulated time runs on tokio's paused clock, where every start, end and wall is exact; so do
//! HTTP calls to the local server, whose sleeps run on the same clock. Other real effects (files,
//! CPU) run on a real-clock multi-thread runtime; their timing asserts are lower bounds (a sleep
//! lasts at least what was asked) or orders, never upper bounds a loaded machine could miss.

use std::path::Path;
use std::sync::Arc;

use fanout::engine::scenario::ScenarioSource;
use fanout::engine::{
    CallRecord, CallStatus, LaneRecord, Mode, Plan, Record, RunOptions, Strategy, run,
};
use fanout::serve::{LocalServer, ServeOptions, start_local};

use Strategy::{Parallel, Pool, Sequential};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A plan from JSON text (relative paths resolve against `.`).
fn plan(json: &str) -> Arc<Plan> {
    Arc::new(
        Plan::from_source(&ScenarioSource::from_text("t.json", json))
            .unwrap_or_else(|e| panic!("the test scenario is invalid: {e}\n{json}")),
    )
}

/// Runs `plan` with these lanes raced, at `speed`, with `{local}` standing for `local`.
async fn run_at(
    plan: &Arc<Plan>,
    strategies: &[Strategy],
    speed: f64,
    local: Option<String>,
) -> Record {
    let opts = RunOptions {
        strategies: strategies.to_vec(),
        speed,
        mode: Mode::Race,
        local,
    };
    run(plan.clone(), &opts, None).await.expect("the run")
}

/// Runs `plan` at speed 1 with no local server.
async fn race(plan: &Arc<Plan>, strategies: &[Strategy]) -> Record {
    run_at(plan, strategies, 1.0, None).await
}

async fn server() -> LocalServer {
    start_local(ServeOptions::default())
        .await
        .expect("start the local server")
}

/// The record of one call with fields `body`, run alone at `speed` with `{local}` standing for a
/// fresh local server.
async fn served_call(body: &str, speed: f64) -> CallRecord {
    let server = server().await;
    let r = run_at(
        &plan(&one_call(body)),
        &[Parallel],
        speed,
        Some(server.base_url()),
    )
    .await;
    only_call(&r).clone()
}

#[track_caller]
fn lane<'a>(record: &'a Record, strategy: &str) -> &'a LaneRecord {
    record
        .lanes
        .iter()
        .find(|l| l.strategy == strategy)
        .unwrap_or_else(|| panic!("no lane `{strategy}` in {record:#?}"))
}

#[track_caller]
fn call<'a>(lane: &'a LaneRecord, id: &str) -> &'a CallRecord {
    lane.calls
        .iter()
        .find(|c| &*c.id == id)
        .unwrap_or_else(|| panic!("no call `{id}` in lane {lane:#?}"))
}

/// The only call of the only lane.
#[track_caller]
fn only_call(record: &Record) -> &CallRecord {
    assert_eq!(record.lanes.len(), 1, "{record:#?}");
    assert_eq!(record.lanes[0].calls.len(), 1, "{record:#?}");
    &record.lanes[0].calls[0]
}

/// A failed call with an error containing `needle`, and no panic behind it.
#[track_caller]
fn assert_failed_with(c: &CallRecord, needle: &str) {
    assert_eq!(c.status, CallStatus::Error, "{c:#?}");
    let error = c.error().unwrap_or_default();
    assert!(
        error.contains(needle),
        "the error should contain {needle:?}: {c:#?}"
    );
    assert!(c.start_ms.is_some() && c.end_ms.is_some(), "it ran: {c:#?}");
}

/// `(start, end)` of each attempt.
fn attempt_spans(c: &CallRecord) -> Vec<(f64, f64)> {
    c.attempts()
        .iter()
        .map(|a| (a.start_ms, a.end_ms))
        .collect()
}

/// A scenario with one call whose body (after the id) is `body`.
fn one_call(body: &str) -> String {
    format!("{{\"name\": \"one\", \"calls\": [{{\"id\": \"c\", {body}}}]}}")
}

/// `text` as a JSON string literal (for paths in scenarios).
fn json_str(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

// ---------------------------------------------------------------------------------------------
// HTTP against the in-process server, on loopback, on a real clock
// ---------------------------------------------------------------------------------------------

/// Five GETs of `{local}/delay/{ms}`.
fn five_delays(ms: u64) -> String {
    let calls: Vec<String> = (1..=5)
        .map(|i| {
            format!("{{\"id\": \"get_{i}\", \"http\": {{\"url\": \"{{local}}/delay/{ms}\"}}}}")
        })
        .collect();
    format!(
        "{{\"name\": \"five GETs\", \"calls\": [{}]}}",
        calls.join(", ")
    )
}

#[tokio::test(start_paused = true)]
async fn parallel_gets_overlap_and_sequential_ones_add_up() {
    let server = server().await;
    let p = plan(&five_delays(200));
    assert!(p.uses_local());
    let r = run_at(&p, &[Sequential, Parallel], 1.0, Some(server.base_url())).await;
    let seq = lane(&r, "sequential");
    let par = lane(&r, "parallel");
    for l in [seq, par] {
        for c in &l.calls {
            assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
            assert_eq!(c.http_status(), Some(200), "{c:#?}");
            assert!(c.bytes().is_some_and(|b| b > 0), "{c:#?}");
            // A server sleep of 200 ms is a lower bound on every call.
            assert!(c.duration_ms().unwrap() >= 200.0, "{c:#?}");
        }
    }
    // On the paused clock (the server's sleeps run on it too) every time is exact. Sequential:
    // each call starts when the previous one ends.
    for (i, c) in seq.calls.iter().enumerate() {
        let start = 200.0 * i as f64;
        assert_eq!(
            (c.start_ms, c.end_ms),
            (Some(start), Some(start + 200.0)),
            "{seq:#?}"
        );
    }
    assert_eq!(seq.wall_ms, 1000.0);
    // Parallel: all five in flight together.
    for c in &par.calls {
        assert_eq!((c.start_ms, c.end_ms), (Some(0.0), Some(200.0)), "{par:#?}");
    }
    assert_eq!(par.wall_ms, 200.0);
    assert_eq!(par.speedup, 5.0);
    // Real I/O is measured: the bounds are the medians of what the lanes took.
    assert_eq!(r.bounds.sum_ms, 1000.0, "{:?}", r.bounds);
    assert_eq!(r.bounds.critical_path_ms, 200.0, "{:?}", r.bounds);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_is_a_failed_call_with_its_status() {
    let c = &served_call(r#""http": {"url": "{local}/status/500"}"#, 1.0).await;
    assert_failed_with(c, "500");
    assert_eq!(c.error(), Some("HTTP 500 Internal Server Error"));
    assert_eq!(c.http_status(), Some(500));
    assert_eq!(c.bytes(), Some("status 500\n".len() as u64), "{c:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_statuses_fail_or_succeed_by_their_class() {
    let server = server().await;
    let json = "{\"name\": \"statuses\", \"calls\": [
        {\"id\": \"created\", \"http\": {\"url\": \"{local}/status/201\", \"method\": \"post\"}},
        {\"id\": \"missing\", \"http\": {\"url\": \"{local}/status/404\"}},
        {\"id\": \"limited\", \"http\": {\"url\": \"{local}/status/429\", \"method\": \"DELETE\"}}
    ]}";
    let r = run_at(&plan(json), &[Parallel], 1.0, Some(server.base_url())).await;
    let l = lane(&r, "parallel");
    let created = call(l, "created");
    assert_eq!(created.status, CallStatus::Ok, "{created:#?}");
    assert_eq!(created.http_status(), Some(201));
    let missing = call(l, "missing");
    assert_eq!(missing.error(), Some("HTTP 404 Not Found"));
    assert_eq!(missing.http_status(), Some(404));
    let limited = call(l, "limited");
    assert_eq!(limited.error(), Some("HTTP 429 Too Many Requests"));
    assert_eq!(limited.http_status(), Some(429));
}

#[tokio::test(start_paused = true)]
async fn a_timeout_on_real_io_fails_the_call_after_exactly_its_time() {
    // An HTTP timeout, and the call's own timeout_ms on a real effect: each waits its time
    // exactly, not the 2 s answer, and real time whatever the speed (not divided by 10).
    let cases = [
        (
            r#""http": {"url": "{local}/delay/2000", "timeout_ms": 100}"#,
            1.0,
            100.0,
        ),
        (
            r#""http": {"url": "{local}/delay/2000"}, "timeout_ms": 150"#,
            10.0,
            150.0,
        ),
    ];
    for (body, speed, ms) in cases {
        let c = &served_call(body, speed).await;
        let error = format!("timed out after {ms} ms");
        assert_failed_with(c, &error);
        assert_eq!(c.error(), Some(error.as_str()), "{c:#?}");
        assert_eq!(c.http_status(), None, "no answer came: {c:#?}");
        assert_eq!(
            c.duration_ms(),
            Some(ms),
            "a timeout waits its time: {c:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_http_is_not_scaled_by_the_speed() {
    let c = &served_call(r#""http": {"url": "{local}/delay/200"}"#, 10.0).await;
    assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
    assert!(c.duration_ms().unwrap() >= 200.0, "{c:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_is_replaced_by_the_servers_base_url() {
    let server = server().await;
    // `{local}` anywhere in the URL, and a path after it.
    let p = plan(&one_call("\"http\": {\"url\": \"{local}/bytes/7\"}"));
    let r = run_at(&p, &[Sequential], 1.0, Some(server.base_url())).await;
    let c = only_call(&r);
    assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
    assert_eq!((c.http_status(), c.bytes()), (Some(200), Some(7)));
    // The plain base URL works the same way as `{local}`.
    let plain = plan(&one_call(&format!(
        "\"http\": {{\"url\": \"{}/bytes/7\"}}",
        server.base_url()
    )));
    assert!(!plain.uses_local());
    let r = run_at(&plain, &[Sequential], 1.0, None).await;
    assert_eq!(only_call(&r).bytes(), Some(7), "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_without_a_server_is_a_failed_call_not_a_panic() {
    let p = plan(&one_call("\"http\": {\"url\": \"{local}/delay/10\"}"));
    let r = run_at(&p, &[Sequential, Parallel], 1.0, None).await;
    for l in &r.lanes {
        let c = &l.calls[0];
        assert_failed_with(c, "`{local}` needs fanout's local server");
        assert_eq!(c.http_status(), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_received_are_recorded_exactly() {
    let server = server().await;
    let json = "{\"name\": \"bytes\", \"calls\": [
        {\"id\": \"small\", \"http\": {\"url\": \"{local}/bytes/1234\"}},
        {\"id\": \"none\", \"http\": {\"url\": \"{local}/bytes/0\"}},
        {\"id\": \"big\", \"http\": {\"url\": \"{local}/bytes/1000000\"}}
    ]}";
    let r = run_at(
        &plan(json),
        &[Sequential, Parallel],
        1.0,
        Some(server.base_url()),
    )
    .await;
    for l in &r.lanes {
        for (id, n) in [("small", 1234), ("none", 0), ("big", 1_000_000)] {
            let c = call(l, id);
            assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
            assert_eq!(c.bytes(), Some(n), "{c:#?}");
            assert_eq!(c.http_status(), Some(200));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_a_failed_call() {
    // A port that was free a moment ago: nothing listens there now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let p = plan(&one_call(&format!(
        "\"http\": {{\"url\": \"http://127.0.0.1:{port}/x\"}}"
    )));
    let r = race(&p, &[Parallel]).await;
    let c = only_call(&r);
    assert_failed_with(c, "cannot connect");
    assert!(c.error().unwrap().starts_with("cannot connect"), "{c:#?}");
    assert_eq!((c.http_status(), c.bytes()), (None, None), "{c:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_request_is_retried_in_real_time() {
    // Timeouts and backoffs of real I/O are real milliseconds, even at speed 10.
    let c = &served_call(r#""http": {"url": "{local}/delay/2000", "timeout_ms": 100}, "retries": {"max": 1, "backoff_ms": 200}"#, 10.0)
    .await;
    assert_eq!(c.error(), Some("timed out after 100 ms"), "{c:#?}");
    assert_eq!(c.attempts().len(), 2, "{c:#?}");
    let (first, second) = (&c.attempts()[0], &c.attempts()[1]);
    assert!(first.end_ms - first.start_ms >= 100.0, "{c:#?}");
    assert!(second.start_ms - first.end_ms >= 200.0, "backoff: {c:#?}");
    assert!(second.end_ms - second.start_ms >= 100.0, "{c:#?}");
    for a in c.attempts() {
        assert_eq!(a.error.as_deref(), Some("timed out after 100 ms"));
    }
}

#[test]
fn local_calls_never_go_through_a_proxy() {
    // The proxy variables are set for the binary only, never for this test process.
    let dead_proxy = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.json"),
        "{\"name\": \"local\", \"calls\": [{\"id\": \"get\", \"http\": {\"url\": \"{local}/bytes/10\"}}]}",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args([
            "run",
            "s.json",
            "--strategies",
            "parallel",
            "--headless",
            "--json",
        ])
        .current_dir(dir.path())
        .env("HTTP_PROXY", &dead_proxy)
        .env("http_proxy", &dead_proxy)
        .env("ALL_PROXY", &dead_proxy)
        .env("all_proxy", &dead_proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run fanout");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let record: Record = serde_json::from_str(&stdout).expect("a record on stdout");
    let c = only_call(&record);
    assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
    assert_eq!(c.bytes(), Some(10), "{c:#?}");
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_bytes_are_recorded_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = [("empty", 0usize), ("small", 1234), ("big", 200_001)];
    let mut calls = Vec::new();
    for (name, n) in sizes {
        let path = dir.path().join(format!("{name}.bin"));
        std::fs::write(&path, vec![b'x'; n]).unwrap();
        calls.push(format!(
            "{{\"id\": \"{name}\", \"file\": {{\"path\": {}}}}}",
            json_str(path.to_str().unwrap())
        ));
    }
    let json = format!("{{\"name\": \"files\", \"calls\": [{}]}}", calls.join(", "));
    let r = race(&plan(&json), &[Sequential, Parallel]).await;
    for l in &r.lanes {
        for (name, n) in sizes {
            let c = call(l, name);
            assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
            assert_eq!(c.bytes(), Some(n as u64), "{c:#?}");
            assert_eq!(c.http_status(), None);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_a_failed_call_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.txt");
    let present = dir.path().join("yes.txt");
    std::fs::write(&present, "hello").unwrap();
    let json = format!(
        "{{\"name\": \"files\", \"calls\": [
            {{\"id\": \"missing\", \"file\": {{\"path\": {}}}}},
            {{\"id\": \"present\", \"file\": {{\"path\": {}}}}}
        ]}}",
        json_str(missing.to_str().unwrap()),
        json_str(present.to_str().unwrap())
    );
    let r = race(&plan(&json), &[Sequential, Parallel]).await;
    for l in &r.lanes {
        let c = call(l, "missing");
        assert_failed_with(c, "cannot open");
        assert!(
            c.error().unwrap().contains("nope.txt"),
            "names the file: {c:#?}"
        );
        assert_eq!(c.bytes(), None);
        // The failure is the call's own: the other call still runs.
        let ok = call(l, "present");
        assert_eq!(
            (ok.status, ok.bytes()),
            (CallStatus::Ok, Some(5)),
            "{ok:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_is_a_failed_call_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let p = plan(&one_call(&format!(
        "\"file\": {{\"path\": {}}}",
        json_str(dir.path().to_str().unwrap())
    )));
    let r = race(&p, &[Parallel]).await;
    let c = only_call(&r);
    assert_eq!(c.status, CallStatus::Error, "{c:#?}");
    assert!(c.error().unwrap().starts_with("cannot "), "{c:#?}");
}

/// Writes `data/a.txt` (`n` bytes) and `s.json` reading it by a relative path into `dir`.
fn scenario_with_relative_file(dir: &Path, n: usize) -> std::path::PathBuf {
    std::fs::create_dir(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/a.txt"), vec![b'a'; n]).unwrap();
    let scenario = dir.join("s.json");
    std::fs::write(
        &scenario,
        "{\"name\": \"relative\", \"calls\": [{\"id\": \"read\", \"file\": {\"path\": \"data/a.txt\"}}]}",
    )
    .unwrap();
    scenario
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_paths_start_at_the_scenario_files_folder() {
    // The test's working directory is the crate root, which has no data/a.txt: only resolution
    // against the scenario's folder can find it.
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_with_relative_file(dir.path(), 321);
    assert!(!Path::new("data/a.txt").exists());
    let p = Arc::new(Plan::load(scenario.to_str().unwrap()).unwrap());
    let r = race(&p, &[Sequential]).await;
    let c = only_call(&r);
    assert_eq!((c.status, c.bytes()), (CallStatus::Ok, Some(321)), "{c:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_paths_start_at_the_sources_base_dir() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_with_relative_file(dir.path(), 99);
    let text = std::fs::read_to_string(&scenario).unwrap();
    // From text, relative paths resolve against `.`, where there is no such file.
    let from_text =
        Arc::new(Plan::from_source(&ScenarioSource::from_text("t.json", text.clone())).unwrap());
    let r = race(&from_text, &[Sequential]).await;
    assert_failed_with(only_call(&r), "cannot open");
    // With the base dir set, the same text finds it.
    let mut source = ScenarioSource::from_text("t.json", text);
    source.base_dir = dir.path().to_path_buf();
    let p = Arc::new(Plan::from_source(&source).unwrap());
    let r = race(&p, &[Sequential]).await;
    assert_eq!(only_call(&r).bytes(), Some(99), "{r:#?}");
}

// ---------------------------------------------------------------------------------------------
// Seeded latency distributions (paused clock)
// ---------------------------------------------------------------------------------------------

fn drawn_calls(seed: Option<u64>) -> Arc<Plan> {
    let seed = seed.map_or(String::new(), |s| format!("\"seed\": {s}, "));
    plan(&format!(
        "{{\"name\": \"drawn\", {seed}\"calls\": [
            {{\"id\": \"logn_1\", \"latency\": {{\"dist\": \"lognormal\", \"median_ms\": 200, \"p99_ms\": 2000}}}},
            {{\"id\": \"logn_2\", \"latency\": {{\"dist\": \"lognormal\", \"median_ms\": 200, \"p99_ms\": 2000}}}},
            {{\"id\": \"uni\", \"latency\": {{\"dist\": \"uniform\", \"min_ms\": 100, \"max_ms\": 900}}}},
            {{\"id\": \"norm\", \"latency\": {{\"dist\": \"normal\", \"mean_ms\": 500, \"sd_ms\": 100}}}},
            {{\"id\": \"fixed\", \"latency\": {{\"dist\": \"fixed\", \"ms\": 250}}}},
            {{\"id\": \"plain\", \"latency_ms\": 300}}
        ]}}"
    ))
}

const DRAWN: [&str; 5] = ["logn_1", "logn_2", "uni", "norm", "fixed"];

#[tokio::test(start_paused = true)]
async fn the_same_seed_draws_the_same_latencies_in_every_lane_and_run() {
    let strategies = [Sequential, Parallel, Pool(2)];
    let first = race(&drawn_calls(Some(42)), &strategies).await;
    let second = race(&drawn_calls(Some(42)), &strategies).await;
    // Only distribution calls are drawn.
    let ids: Vec<&str> = first.draws.keys().map(|k| &**k).collect();
    let mut want = DRAWN.to_vec();
    want.sort();
    assert_eq!(ids, want, "{:?}", first.draws);
    assert_eq!(first.draws, second.draws);
    assert_eq!(first.draws["fixed"], 250.0);
    // Two calls with the same distribution draw from their own streams.
    assert_ne!(first.draws["logn_1"], first.draws["logn_2"]);
    for record in [&first, &second] {
        for l in &record.lanes {
            for id in DRAWN {
                let c = call(l, id);
                let took = c.duration_ms().unwrap();
                let drew = record.draws[id];
                // tokio's timer ticks in whole milliseconds: a call ends on a tick within a
                // millisecond of its draw.
                assert!(
                    (took - drew).abs() < 1.0,
                    "lane {}: `{id}` took {took} ms, drew {drew} ms",
                    l.strategy
                );
            }
        }
    }
    // Both runs took the very same time for every call of every lane.
    for (a, b) in first.lanes.iter().zip(&second.lanes) {
        assert_eq!(a.strategy, b.strategy);
        assert_eq!(a.calls, b.calls, "lane {}", a.strategy);
        assert_eq!(a.wall_ms, b.wall_ms, "lane {}", a.strategy);
    }
    // The bounds are computed from the draws.
    let sum: f64 = first.draws.values().sum::<f64>() + 300.0;
    assert!(
        (first.bounds.sum_ms - sum).abs() < 1e-6,
        "{:?}",
        first.bounds
    );
}

#[tokio::test(start_paused = true)]
async fn each_call_takes_exactly_its_draw() {
    let r = race(&drawn_calls(Some(42)), &[Sequential, Parallel]).await;
    for l in &r.lanes {
        for id in DRAWN {
            assert_eq!(
                call(l, id).duration_ms(),
                Some(r.draws[id]),
                "lane {}: `{id}`",
                l.strategy
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn another_seed_draws_other_latencies() {
    let a = race(&drawn_calls(Some(42)), &[Parallel]).await;
    let b = race(&drawn_calls(Some(43)), &[Parallel]).await;
    for id in ["logn_1", "logn_2", "uni", "norm"] {
        assert_ne!(a.draws[id], b.draws[id], "`{id}`");
    }
    assert_eq!(a.draws["fixed"], b.draws["fixed"]);
    // No seed is a fixed default seed: the same draws every time, and not seed 42's.
    let d1 = race(&drawn_calls(None), &[Parallel]).await;
    let d2 = race(&drawn_calls(None), &[Parallel]).await;
    assert_eq!(d1.draws, d2.draws);
    assert_ne!(d1.draws, a.draws);
}

// ---------------------------------------------------------------------------------------------
// Rate limits (paused clock)
// ---------------------------------------------------------------------------------------------

/// `n` independent calls of `ms`, tool `tool`, with ids `{tool}_{i}`.
fn calls_of(tool: &str, n: usize, ms: u64) -> Vec<String> {
    (0..n)
        .map(|i| format!("{{\"id\": \"{tool}_{i}\", \"tool\": \"{tool}\", \"latency_ms\": {ms}}}"))
        .collect()
}

fn starts(l: &LaneRecord) -> Vec<f64> {
    l.calls.iter().map(|c| c.start_ms.unwrap()).collect()
}

/// What each call waited for a token (no `wait_ms` is no wait).
fn waits(l: &LaneRecord) -> Vec<f64> {
    l.calls.iter().map(|c| c.wait_ms().unwrap_or(0.0)).collect()
}

#[tokio::test(start_paused = true)]
async fn a_token_bucket_spaces_parallel_starts_exactly() {
    let p = plan(&format!(
        "{{\"name\": \"limited\", \"rate_limit\": {{\"per_second\": 2, \"burst\": 5}}, \"calls\": [{}]}}",
        calls_of("api", 20, 400).join(", ")
    ));
    let r = race(&p, &[Sequential, Parallel]).await;

    let par = lane(&r, "parallel");
    let mut want = vec![0.0; 5];
    want.extend((1..=15).map(|k| 500.0 * k as f64));
    assert_eq!(starts(par), want);
    assert_eq!(par.wall_ms, 7900.0);
    // Each call's wait is its start: all asked at 0.
    assert_eq!(waits(par), want);
    assert_eq!(call(par, "api_5").wait_ms(), Some(500.0));
    for c in &par.calls {
        assert_eq!(c.status, CallStatus::Ok);
        assert_eq!(c.duration_ms(), Some(400.0), "{c:#?}");
    }

    // One call at a time never outruns 2 per second with a bucket of 5: no waits at all.
    let seq = lane(&r, "sequential");
    assert_eq!(seq.wall_ms, 8000.0);
    assert_eq!(waits(seq), vec![0.0; 20]);
    let want: Vec<f64> = (0..20).map(|k| 400.0 * k as f64).collect();
    assert_eq!(starts(seq), want);
}

#[tokio::test(start_paused = true)]
async fn a_per_tool_limit_only_delays_that_tools_calls() {
    let mut calls = calls_of("search", 4, 400);
    calls.extend(calls_of("fetch", 4, 400));
    let p = plan(&format!(
        "{{\"name\": \"one tool limited\", \"rate_limit\": {{\"per_second\": 1, \"burst\": 1, \"tool\": \"search\"}}, \"calls\": [{}]}}",
        calls.join(", ")
    ));
    let r = race(&p, &[Parallel]).await;
    let par = lane(&r, "parallel");
    for i in 0..4 {
        let s = call(par, &format!("search_{i}"));
        let at = 1000.0 * i as f64;
        assert_eq!(s.start_ms, Some(at), "{s:#?}");
        assert_eq!(s.wait_ms().unwrap_or(0.0), at, "{s:#?}");
        let f = call(par, &format!("fetch_{i}"));
        assert_eq!((f.start_ms, f.wait_ms()), (Some(0.0), None), "{f:#?}");
        assert_eq!(f.end_ms, Some(400.0));
    }
    assert_eq!(par.wall_ms, 3400.0);
}

#[tokio::test(start_paused = true)]
async fn rate_limits_follow_the_speed() {
    // At speed 10 tokens come 10 times as often, like every other simulated time.
    let p = plan(&format!(
        "{{\"name\": \"limited\", \"rate_limit\": {{\"per_second\": 2, \"burst\": 5}}, \"calls\": [{}]}}",
        calls_of("api", 20, 400).join(", ")
    ));
    let r = run_at(&p, &[Parallel], 10.0, None).await;
    let par = lane(&r, "parallel");
    let mut want = vec![0.0; 5];
    want.extend((1..=15).map(|k| 50.0 * k as f64));
    assert_eq!(starts(par), want);
    assert_eq!(par.wall_ms, 790.0);
}

// ---------------------------------------------------------------------------------------------
// Timeouts and retries (paused clock)
// ---------------------------------------------------------------------------------------------

const TIMES_OUT: &str =
    "\"latency_ms\": 1000, \"timeout_ms\": 300, \"retries\": {\"max\": 2, \"backoff_ms\": 100}";

/// One call's attempts as its record must show them on the paused clock.
struct Attempts {
    what: &'static str,
    /// The call's fields after its id.
    body: &'static str,
    strategy: Strategy,
    status: CallStatus,
    error: Option<&'static str>,
    /// When the call ends (it starts at 0), which is also the lane's wall and the plan's sum:
    /// the plan knows every attempt and backoff beforehand.
    end_ms: f64,
    /// Each attempt's start, end and error; none recorded for a single attempt.
    attempts: &'static [(f64, f64, Option<&'static str>)],
}

const TIMED_OUT: Option<&str> = Some("timed out after 300 ms");

const ATTEMPTS: &[Attempts] = &[
    Attempts {
        what: "a timed-out call is retried with doubling backoff (100 then 200 ms)",
        body: TIMES_OUT,
        strategy: Parallel,
        status: CallStatus::Error,
        error: TIMED_OUT,
        end_ms: 1200.0,
        attempts: &[
            (0.0, 300.0, TIMED_OUT),
            (400.0, 700.0, TIMED_OUT),
            (900.0, 1200.0, TIMED_OUT),
        ],
    },
    Attempts {
        what: "a flaky call succeeds on its second attempt",
        body: "\"latency_ms\": 100, \"fail\": \"flaky\", \"fail_attempts\": 1, \"retries\": {\"max\": 2, \"backoff_ms\": 50}",
        strategy: Sequential,
        status: CallStatus::Ok,
        error: None,
        end_ms: 250.0,
        attempts: &[(0.0, 100.0, Some("flaky")), (150.0, 250.0, None)],
    },
    Attempts {
        what: "a call that always fails uses every retry: backoffs of 10, 20 and 40 ms",
        body: "\"latency_ms\": 100, \"fail\": \"down\", \"retries\": {\"max\": 3, \"backoff_ms\": 10}",
        strategy: Sequential,
        status: CallStatus::Error,
        error: Some("down"),
        end_ms: 470.0,
        attempts: &[
            (0.0, 100.0, Some("down")),
            (110.0, 210.0, Some("down")),
            (230.0, 330.0, Some("down")),
            (370.0, 470.0, Some("down")),
        ],
    },
    Attempts {
        what: "a single attempt records no attempts",
        body: "\"latency_ms\": 1000, \"timeout_ms\": 300",
        strategy: Parallel,
        status: CallStatus::Error,
        error: TIMED_OUT,
        end_ms: 300.0,
        attempts: &[],
    },
];

#[tokio::test(start_paused = true)]
async fn timeouts_and_retries_give_exact_attempts() {
    for case in ATTEMPTS {
        let p = plan(&one_call(case.body));
        let r = race(&p, &[case.strategy]).await;
        let c = only_call(&r);
        let what = case.what;
        assert_eq!(c.status, case.status, "{what}: {c:#?}");
        assert_eq!(c.error(), case.error, "{what}");
        assert_eq!(
            (c.start_ms, c.end_ms),
            (Some(0.0), Some(case.end_ms)),
            "{what}"
        );
        let attempts: Vec<(f64, f64, Option<&str>)> = c
            .attempts()
            .iter()
            .map(|a| (a.start_ms, a.end_ms, a.error.as_deref()))
            .collect();
        assert_eq!(attempts, case.attempts, "{what}");
        assert_eq!(r.lanes[0].wall_ms, case.end_ms, "{what}");
        assert_eq!(p.bounds.sum_ms, case.end_ms, "{what}");
    }
}

#[tokio::test(start_paused = true)]
async fn speed_scales_latency_timeout_and_backoff() {
    let p = plan(&one_call(TIMES_OUT));
    let r = run_at(&p, &[Parallel], 10.0, None).await;
    let c = only_call(&r);
    // The message speaks of the scenario's nominal timeout.
    assert_eq!(c.error(), Some("timed out after 300 ms"));
    assert_eq!(attempt_spans(c), [(0.0, 30.0), (40.0, 70.0), (90.0, 120.0)]);
    assert_eq!(r.lanes[0].wall_ms, 120.0);
    assert_eq!(r.bounds.sum_ms, 120.0);

    // And a call that finishes inside its timeout at speed 1 does so at any speed.
    let fits = plan(&one_call("\"latency_ms\": 200, \"timeout_ms\": 300"));
    let r = run_at(&fits, &[Parallel], 10.0, None).await;
    let c = only_call(&r);
    assert_eq!((c.status, c.end_ms), (CallStatus::Ok, Some(20.0)), "{c:#?}");
}

// ---------------------------------------------------------------------------------------------
// on_error: cancel (paused clock)
// ---------------------------------------------------------------------------------------------

fn fail_fast(on_error: &str) -> Arc<Plan> {
    plan(&format!(
        "{{\"name\": \"fail fast\", \"on_error\": \"{on_error}\", \"calls\": [
            {{\"id\": \"bad\", \"latency_ms\": 500, \"fail\": \"boom\"}},
            {{\"id\": \"a\", \"latency_ms\": 2000}},
            {{\"id\": \"b\", \"latency_ms\": 2000}},
            {{\"id\": \"c\", \"latency_ms\": 2000}}
        ]}}"
    ))
}

#[tokio::test(start_paused = true)]
async fn a_failure_cancels_the_running_calls() {
    let r = race(&fail_fast("cancel"), &[Parallel]).await;
    let par = lane(&r, "parallel");
    let bad = call(par, "bad");
    assert_eq!(bad.error(), Some("boom"));
    assert_eq!((bad.start_ms, bad.end_ms), (Some(0.0), Some(500.0)));
    for id in ["a", "b", "c"] {
        let c = call(par, id);
        assert_eq!(c.status, CallStatus::Cancelled, "{c:#?}");
        // They were running: they started at 0 and stopped when `bad` failed.
        assert_eq!((c.start_ms, c.end_ms), (Some(0.0), Some(500.0)), "{c:#?}");
        assert_eq!(
            c.error(),
            Some("cancelled: `bad` failed (on_error: cancel)")
        );
    }
    assert_eq!(par.wall_ms, 500.0);
}

#[tokio::test(start_paused = true)]
async fn a_failure_cancels_calls_that_had_not_started() {
    let r = race(&fail_fast("cancel"), &[Pool(1), Pool(2)]).await;
    // pool:1 ran only `bad`: the others never started.
    let one = lane(&r, "pool:1");
    for id in ["a", "b", "c"] {
        let c = call(one, id);
        assert_eq!(c.status, CallStatus::Cancelled, "{c:#?}");
        assert_eq!((c.start_ms, c.end_ms), (None, Some(500.0)), "{c:#?}");
    }
    assert_eq!(one.wall_ms, 500.0);
    // pool:2 was running `a` beside `bad`; `b` and `c` waited for a worker.
    let two = lane(&r, "pool:2");
    let a = call(two, "a");
    assert_eq!(
        (a.status, a.start_ms, a.end_ms),
        (CallStatus::Cancelled, Some(0.0), Some(500.0))
    );
    for id in ["b", "c"] {
        let c = call(two, id);
        assert_eq!(
            (c.status, c.start_ms, c.end_ms),
            (CallStatus::Cancelled, None, Some(500.0)),
            "{c:#?}"
        );
    }
    assert_eq!(two.wall_ms, 500.0);
}

#[tokio::test(start_paused = true)]
async fn without_cancel_the_other_calls_finish() {
    let r = race(&fail_fast("continue"), &[Parallel]).await;
    let par = lane(&r, "parallel");
    assert_eq!(call(par, "bad").status, CallStatus::Error);
    for id in ["a", "b", "c"] {
        let c = call(par, id);
        assert_eq!(
            (c.status, c.start_ms, c.end_ms),
            (CallStatus::Ok, Some(0.0), Some(2000.0)),
            "{c:#?}"
        );
    }
    assert_eq!(par.wall_ms, 2000.0);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_lane_does_not_beat_its_lower_bound() {
    let r = race(&fail_fast("cancel"), &[Sequential, Pool(1), Parallel]).await;
    for l in &r.lanes {
        assert_eq!(l.wall_ms, 500.0, "lane {}", l.strategy);
        assert!(
            l.lower_bound_ms <= l.wall_ms,
            "lane {}: lower bound {} ms, wall {} ms",
            l.strategy,
            l.lower_bound_ms,
            l.wall_ms
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_record_with_cancelled_calls_loads_again() {
    // A recorded run is meant to be reported and replayed: the cancelled calls that never
    // started (start_ms null, end_ms set) must not make the record "impossible".
    let r = race(&fail_fast("cancel"), &[Pool(1), Parallel]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    let (loaded, _) = Record::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.lanes, r.lanes);
}

// ---------------------------------------------------------------------------------------------
// CPU work (real clock)
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_work_is_bounded_by_the_cores() {
    let json = "{\"name\": \"cpu\", \"calls\": [
        {\"id\": \"w1\", \"cpu_ms\": 100}, {\"id\": \"w2\", \"cpu_ms\": 100},
        {\"id\": \"w3\", \"cpu_ms\": 100}, {\"id\": \"w4\", \"cpu_ms\": 100}
    ]}";
    let p = plan(json);
    assert_eq!(p.bounds.cpu_ms, 400.0);
    let r = race(&p, &[Parallel]).await;
    assert_eq!(r.bounds.cpu_ms, 400.0);
    assert!(r.cores >= 1);
    let cores = r.cores as f64;
    let par = lane(&r, "parallel");
    for c in &par.calls {
        assert_eq!(c.status, CallStatus::Ok, "{c:#?}");
        // 100 ms of one thread's CPU time takes at least 100 ms of wall time.
        assert!(c.duration_ms().unwrap() >= 100.0, "{c:#?}");
    }
    let lower = par.lower_bound_ms;
    assert_eq!(lower, (400.0 / cores).max(100.0));
    assert!(lower >= 400.0 / cores);
    // 400 ms of CPU cannot be done in less than 400 / cores ms of wall (a little slack for how
    // the machine counts its cores).
    assert!(par.wall_ms >= 0.9 * 400.0 / cores, "wall {}", par.wall_ms);
    assert!(par.wall_ms >= 100.0, "wall {}", par.wall_ms);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cpu_call_that_times_out_stops_its_work() {
    let p = plan(&one_call("\"cpu_ms\": 5000, \"timeout_ms\": 100"));
    // CPU work is real: the timeout is not divided by the speed.
    let r = run_at(&p, &[Parallel], 10.0, None).await;
    let c = only_call(&r);
    assert_eq!(c.error(), Some("timed out after 100 ms"), "{c:#?}");
    let took = c.duration_ms().unwrap();
    assert!((100.0..4000.0).contains(&took), "{c:#?}");
    // The plan counts the timeout, not the 5 s it would have burnt.
    assert_eq!(p.bounds.cpu_ms, 100.0);
}
