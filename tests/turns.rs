//! The model's own turns (`one-per-turn`, `turn-batched`) on tokio's paused clock: exact walls
//! and turn spans, with failures and skips, the virtual clock agreeing, and the refusals.

#[path = "common/lanes.rs"]
mod lanes;

use std::sync::Arc;

use fanout::engine::scenario::ScenarioSource;
use fanout::engine::virtual_clock::simulate_lane;
use fanout::engine::{CallStatus, LaneResult, Mode, Plan, Record, RunOptions, Strategy, run};

use Strategy::{OnePerTurn, Parallel, TurnBatched};

fn plan(json: &str) -> Arc<Plan> {
    Arc::new(Plan::from_source(&ScenarioSource::from_text("turns.json", json)).unwrap())
}

fn spans(lane: &LaneResult) -> Vec<(Option<f64>, Option<f64>)> {
    lane.calls.iter().map(|c| (c.start_ms, c.end_ms)).collect()
}

fn turns(lane: &LaneResult) -> Vec<(f64, f64)> {
    lane.turns.iter().map(|t| (t.start_ms, t.end_ms)).collect()
}

/// The real lane on the paused clock, checked against the virtual clock call by call and turn
/// by turn: the clocks' differential.
async fn both(p: &Arc<Plan>, s: Strategy) -> LaneResult {
    let r = lanes::real_lane(p, s).await;
    let v = simulate_lane(p, s, 1.0).lane;
    lanes::assert_clocks_agree(&r, &v, s);
    r
}

#[tokio::test(start_paused = true)]
async fn agent_research_takes_34_s_one_per_turn_and_8_s_batched() {
    let p = Arc::new(Plan::load("agent-research").unwrap());
    let one = both(&p, OnePerTurn).await;
    assert_eq!(one.wall_ms, 34_000.0);
    // Turn, fetch, turn, fetch, … and a final turn.
    let want_turns: Vec<(f64, f64)> = (0..6)
        .map(|k| (f64::from(k) * 6_500.0, f64::from(k) * 6_500.0 + 1_500.0))
        .collect();
    assert_eq!(turns(&one), want_turns);
    let want_calls: Vec<(Option<f64>, Option<f64>)> = (0..5)
        .map(|k| {
            let start = f64::from(k) * 6_500.0 + 1_500.0;
            (Some(start), Some(start + 5_000.0))
        })
        .collect();
    assert_eq!(spans(&one), want_calls);

    let batched = both(&p, TurnBatched).await;
    assert_eq!(batched.wall_ms, 8_000.0);
    assert_eq!(turns(&batched), [(0.0, 1_500.0), (6_500.0, 8_000.0)]);
    assert!(
        spans(&batched)
            .iter()
            .all(|&s| s == (Some(1_500.0), Some(6_500.0)))
    );

    // Other strategies ignore the turns.
    let parallel = both(&p, Parallel).await;
    assert_eq!(parallel.wall_ms, 5_000.0);
    assert!(parallel.turns.is_empty());
}

/// `a` and `b` first; `b` fails, so `c` (after `b`) is skipped; `d` waits for `a`.
const FAILING: &str = r#"{"name": "t", "model_turn_ms": 1000, "calls": [
    {"id": "a", "latency_ms": 500},
    {"id": "b", "latency_ms": 300, "fail": "HTTP 503"},
    {"id": "c", "latency_ms": 700, "depends_on": ["b"]},
    {"id": "d", "latency_ms": 200, "depends_on": ["a"]}
]}"#;

/// What a turn strategy's lane of [`FAILING`] is, exactly.
struct TurnLane {
    strategy: Strategy,
    wall_ms: f64,
    turns: &'static [(f64, f64)],
    /// Each call's start and end, in file order (`c` is skipped: no span).
    spans: &'static [(Option<f64>, Option<f64>)],
}

const FAILING_LANES: &[TurnLane] = &[
    // (3 calls that run + 1) turns of 1 s + 0.5 + 0.3 + 0.2 s.
    TurnLane {
        strategy: OnePerTurn,
        wall_ms: 5_000.0,
        turns: &[
            (0.0, 1_000.0),
            (1_500.0, 2_500.0),
            (2_800.0, 3_800.0),
            (4_000.0, 5_000.0),
        ],
        spans: &[
            (Some(1_000.0), Some(1_500.0)),
            (Some(2_500.0), Some(2_800.0)),
            (None, None),
            (Some(3_800.0), Some(4_000.0)),
        ],
    },
    // (2 batches + 1) turns + the slowest of {a, b} + d.
    TurnLane {
        strategy: TurnBatched,
        wall_ms: 3_700.0,
        turns: &[(0.0, 1_000.0), (1_500.0, 2_500.0), (2_700.0, 3_700.0)],
        spans: &[
            (Some(1_000.0), Some(1_500.0)),
            (Some(1_000.0), Some(1_300.0)),
            (None, None),
            (Some(2_500.0), Some(2_700.0)),
        ],
    },
];

#[tokio::test(start_paused = true)]
async fn turn_lanes_with_a_failure_and_a_skip() {
    let p = plan(FAILING);
    for want in FAILING_LANES {
        let lane = both(&p, want.strategy).await;
        let s = want.strategy;
        assert_eq!(lane.wall_ms, want.wall_ms, "{s}");
        assert_eq!(turns(&lane), want.turns, "{s}");
        assert_eq!(spans(&lane), want.spans, "{s}");
        let status: Vec<CallStatus> = lane.calls.iter().map(|c| c.status).collect();
        let (ok, error, skipped) = (CallStatus::Ok, CallStatus::Error, CallStatus::Skipped);
        assert_eq!(status, [ok, error, skipped, ok], "{s}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_bounds_count_the_turns_and_the_record_keeps_them() {
    let p = plan(FAILING);
    assert_eq!(p.bounds.one_per_turn_turns_ms, 4_000.0);
    assert_eq!(p.bounds.turn_batched_turns_ms, 3_000.0);
    let opts = RunOptions {
        strategies: vec![OnePerTurn, TurnBatched, Parallel],
        speed: 2.0,
        mode: Mode::Race,
        local: None,
    };
    let record = run(p.clone(), &opts, None).await.unwrap();
    // Speed divides the turns as it divides the calls.
    let walls: Vec<f64> = record.lanes.iter().map(|l| l.wall_ms).collect();
    assert_eq!(walls, [2_500.0, 1_850.0, 350.0]);
    assert_eq!(record.bounds.one_per_turn_turns_ms, 2_000.0);
    // One-per-turn has no choice to make: its bound is its wall.
    assert_eq!(record.lanes[0].lower_bound_ms, 2_500.0);
    assert!(record.lanes[1].lower_bound_ms <= 1_850.0);
    assert_eq!(record.lanes[0].turns.len(), 4);
    assert!(record.lanes[2].turns.is_empty());
    let json = serde_json::to_string(&record).unwrap();
    let back: Record = serde_json::from_str(&json).unwrap();
    assert_eq!(back, record);
    // A record is read back with its turns checked: write it, load it, break a turn.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("turns-record.json");
    std::fs::write(&path, &json).unwrap();
    let (loaded, _) = Record::load(&path).unwrap();
    assert_eq!(loaded.lanes[0].turns, record.lanes[0].turns);
    let mut bad: serde_json::Value = serde_json::from_str(&json).unwrap();
    bad["lanes"][0]["turns"][1]["start_ms"] = serde_json::json!(0.0);
    std::fs::write(&path, serde_json::to_string_pretty(&bad).unwrap()).unwrap();
    let err = Record::load(&path).unwrap_err().to_string();
    assert!(err.contains("turn 2 (0 to"), "{err}");
    let mut bad: serde_json::Value = serde_json::from_str(&json).unwrap();
    bad["lanes"][2]["turns"] = serde_json::json!([{"start_ms": 0.0, "end_ms": 1.0}]);
    std::fs::write(&path, serde_json::to_string_pretty(&bad).unwrap()).unwrap();
    let err = Record::load(&path).unwrap_err().to_string();
    assert!(err.contains("lane `parallel` lists model turns"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn drawn_turns_come_from_the_seed_one_per_turn() {
    let json = r#"{"name": "t", "seed": 7,
        "model_turn": {"dist": "uniform", "min_ms": 1000, "max_ms": 2000},
        "calls": [
            {"id": "a", "latency_ms": 100},
            {"id": "b", "latency_ms": 100, "depends_on": ["a"]}
        ]}"#;
    let p = plan(json);
    let again = plan(json);
    assert_eq!(p.turn_ms, again.turn_ms);
    assert_eq!(p.turn_ms.len(), 3);
    assert!(p.turn_ms.iter().all(|&t| (1000.0..=2000.0).contains(&t)));
    assert!(
        p.turn_ms.windows(2).any(|w| w[0] != w[1]),
        "{:?}",
        p.turn_ms
    );
    let lane = both(&p, OnePerTurn).await;
    let durations: Vec<f64> = lane.turns.iter().map(|t| t.end_ms - t.start_ms).collect();
    assert_eq!(durations, p.turn_ms);
    assert_eq!(lane.wall_ms, p.turn_ms.iter().sum::<f64>() + 200.0);
}

#[test]
fn turn_strategies_need_model_turns() {
    let text = "{\"name\": \"t\",\n \"strategies\": [\"parallel\", \"turn-batched\"],\n \"calls\": [{\"id\": \"a\", \"latency_ms\": 1}]}";
    let err = Plan::from_source(&ScenarioSource::from_text("t.json", text)).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("t.json:2:29:"), "{shown}");
    assert!(
        shown.contains("`turn-batched` counts the model's turns"),
        "{shown}"
    );
    assert!(shown.contains("model_turn_ms"), "{shown}");
    // The command line's lanes are refused the same way.
    let p = Plan::load("agent-loop").unwrap();
    assert!(p.check_strategies(&[Parallel]).is_ok());
    let err = p.check_strategies(&[OnePerTurn]).unwrap_err().to_string();
    assert!(
        err.contains("`one-per-turn` counts the model's turns"),
        "{err}"
    );
    assert!(
        Plan::load("agent-research")
            .unwrap()
            .check_strategies(&[OnePerTurn])
            .is_ok()
    );
}

#[test]
fn bad_model_turns_are_placed_with_a_fix() {
    let cases = [
        (
            r#"{"name": "t", "model_turn_ms": -1, "calls": [{"id": "a", "latency_ms": 1}]}"#,
            "model_turn_ms -1 is out of range",
        ),
        (
            r#"{"name": "t", "model_turn_ms": 5, "model_turn": {"dist": "fixed", "ms": 5}, "calls": [{"id": "a", "latency_ms": 1}]}"#,
            "both `model_turn_ms` and `model_turn` are given",
        ),
        (
            r#"{"name": "t", "model_turns_ms": 5, "calls": [{"id": "a", "latency_ms": 1}]}"#,
            "did you mean `model_turn_ms`?",
        ),
        (
            r#"{"name": "t", "model_turn": {"dist": "uniform", "min_ms": 5, "max_m": 6}, "calls": [{"id": "a", "latency_ms": 1}]}"#,
            "did you mean `max_ms`?",
        ),
    ];
    refused_on_line_1(&cases);
}

/// Each scenario text is refused at line 1 with a message that says `want`.
fn refused_on_line_1(cases: &[(&str, &str)]) {
    for &(text, want) in cases {
        let err = Plan::from_source(&ScenarioSource::from_text("t.json", text)).unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("t.json:1:"), "{shown}");
        assert!(shown.contains(want), "{want}: {shown}");
    }
}

/// The clocks' differential for the turn strategies on random graphs with failures: up to 10
/// calls, latencies in units of 100 ms (0 included), turns of 0 to 300 ms.
#[test]
fn the_clocks_agree_on_turns_on_random_graphs() {
    use proptest::prelude::*;

    let graph = prop::collection::vec((0u32..6, any::<u16>(), any::<bool>()), 1..=10);
    let lane = prop_oneof![Just(OnePerTurn), Just(TurnBatched)];
    lanes::check_fixed(
        64,
        0x7475_726e,
        12,
        &(graph, lane, 0u32..4),
        |(calls, s, turn)| {
            let json = lanes::random_calls(calls.iter().map(|c| (c.0, c.1)), |i| {
                if calls[i].2 && i % 3 == 0 {
                    r#", "fail": "boom""#
                } else {
                    ""
                }
            });
            let p = plan(&format!(
                r#"{{"name": "random", "model_turn_ms": {}, "calls": [{json}]}}"#,
                turn * 100
            ));
            let r = lanes::on_paused_clock(&p, s);
            let v = simulate_lane(&p, s, 1.0).lane;
            lanes::clocks_agree(&r, &v, format_args!("{s} on {calls:?}"))?;
            // On an exact clock a turn lane is its formula: its bounds are met.
            let b = p.bounds;
            let want = match s {
                OnePerTurn => b.sum_ms + b.one_per_turn_turns_ms,
                _ => p.waves_ms + b.turn_batched_turns_ms,
            };
            prop_assert!(
                (v.wall_ms - want).abs() < 1e-6,
                "{} {} vs {}",
                s,
                v.wall_ms,
                want
            );
            Ok(())
        },
    );
}

fn fanout(args: &[&str]) -> (String, String, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn check_prints_the_turns_per_strategy_and_refuses_turns_without_them() {
    let (out, err, code) = fanout(&["check", "agent-research"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("model turn 1.500 s"), "{out}");
    let row = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    assert_eq!(
        row("one-per-turn").as_deref(),
        Some("one-per-turn 34.000 s 34.000 s — 6 (9.000 s)")
    );
    assert_eq!(
        row("turn-batched").as_deref(),
        Some("turn-batched 8.000 s 8.000 s — 2 (3.000 s)")
    );
    assert_eq!(
        row("parallel").as_deref(),
        Some("parallel 5.000 s 5.000 s — —")
    );
    for cmd in ["check", "run"] {
        let (_, err, code) = fanout(&[cmd, "agent-loop", "--strategies", "turn-batched"]);
        assert_eq!(code, Some(2), "{cmd}: {err}");
        assert!(
            err.contains("built-in agent-loop: `turn-batched` counts the model's turns"),
            "{cmd}: {err}"
        );
    }
}

/// The shape of scenarios/imports/otel-chat-turns.json as a scenario: three model calls (whose
/// latencies are the turn lanes' turns) and five tools, three then two.
const MODEL_CALLS: &str = r#"{"name": "t", "calls": [
    {"id": "chat", "latency_ms": 1200, "model": true},
    {"id": "search_web", "latency_ms": 800, "depends_on": ["chat"]},
    {"id": "fetch_page", "latency_ms": 1500, "depends_on": ["chat"]},
    {"id": "read_pdf", "latency_ms": 600, "depends_on": ["chat"]},
    {"id": "chat_2", "latency_ms": 1000, "model": true,
     "depends_on": ["search_web", "fetch_page", "read_pdf"]},
    {"id": "lookup_author", "latency_ms": 700, "depends_on": ["chat_2"]},
    {"id": "lookup_citations", "latency_ms": 900, "depends_on": ["chat_2"]},
    {"id": "chat_3", "latency_ms": 1800, "model": true,
     "depends_on": ["lookup_author", "lookup_citations"]}
]}"#;

#[tokio::test(start_paused = true)]
async fn model_calls_are_the_turns_of_the_turn_lanes_and_calls_elsewhere() {
    let p = plan(MODEL_CALLS);
    // The model calls' latencies in order, then their median (1.2 s) for any further turn.
    assert_eq!(
        p.turn_ms,
        [
            1200.0, 1000.0, 1800.0, 1200.0, 1200.0, 1200.0, 1200.0, 1200.0, 1200.0
        ]
    );

    // A turn, one tool, a turn, …: 6 turns (the trace's 3, then 3 of 1.2 s) + the 5 tools.
    let one = both(&p, OnePerTurn).await;
    assert_eq!(one.wall_ms, 7_600.0 + 4_500.0);
    assert_eq!(
        turns(&one),
        [
            (0.0, 1_200.0),
            (2_000.0, 3_000.0),
            (4_500.0, 6_300.0),
            (6_900.0, 8_100.0),
            (8_800.0, 10_000.0),
            (10_900.0, 12_100.0)
        ]
    );
    // The k-th model call is drawn as the k-th turn, whose duration it gave.
    let some = |s: f64, e: f64| (Some(s), Some(e));
    assert_eq!(
        spans(&one),
        [
            some(0.0, 1_200.0),
            some(1_200.0, 2_000.0),
            some(3_000.0, 4_500.0),
            some(6_300.0, 6_900.0),
            some(2_000.0, 3_000.0),
            some(8_100.0, 8_800.0),
            some(10_000.0, 10_900.0),
            some(4_500.0, 6_300.0),
        ]
    );
    assert!(one.calls.iter().all(|c| c.status == CallStatus::Ok));

    // Each turn asks for every ready tool: 1.2 + 1.5 + 1.0 + 0.9 + 1.8 s.
    let batched = both(&p, TurnBatched).await;
    assert_eq!(batched.wall_ms, 6_400.0);
    assert_eq!(
        turns(&batched),
        [(0.0, 1_200.0), (2_700.0, 3_700.0), (4_600.0, 6_400.0)]
    );
    assert_eq!(
        spans(&batched),
        [
            some(0.0, 1_200.0),
            some(1_200.0, 2_000.0),
            some(1_200.0, 2_700.0),
            some(1_200.0, 1_800.0),
            some(2_700.0, 3_700.0),
            some(3_700.0, 4_400.0),
            some(3_700.0, 4_600.0),
            some(4_600.0, 6_400.0),
        ]
    );

    // The other strategies run the model calls as calls and take no turns.
    let parallel = both(&p, Parallel).await;
    assert_eq!(parallel.wall_ms, 6_400.0);
    assert!(parallel.turns.is_empty());
    let sequential = both(&p, Strategy::Sequential).await;
    assert_eq!(sequential.wall_ms, 8_500.0);

    // The bounds count the tools between the turns, and the turns.
    let b = p.bounds;
    assert_eq!((b.sum_ms, b.critical_path_ms), (8_500.0, 6_400.0));
    assert_eq!(
        (b.turn_sum_ms, b.turn_path_ms),
        (Some(4_500.0), Some(2_400.0))
    );
    assert_eq!(b.one_per_turn_turns_ms, 7_600.0);
    assert_eq!(b.turn_batched_turns_ms, 4_000.0);
    assert_eq!(OnePerTurn.lower_bound_ms(&b, 2), 12_100.0);
    assert_eq!(TurnBatched.lower_bound_ms(&b, 2), 6_400.0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_tool_skips_the_tools_after_it_and_the_model_still_takes_its_turns() {
    let p = plan(&MODEL_CALLS.replace(
        r#""latency_ms": 600,"#,
        r#""latency_ms": 600, "fail": "HTTP 404","#,
    ));
    let one = both(&p, OnePerTurn).await;
    // Three tools, four turns (1.2 + 1.0 + 1.8 + the median 1.2 s), then nothing is left.
    assert_eq!(one.wall_ms, 2_900.0 + 5_200.0);
    assert_eq!(turns(&one).len(), 4);
    let status: Vec<CallStatus> = one.calls.iter().map(|c| c.status).collect();
    use CallStatus::{Error, Ok, Skipped};
    // The trace's three model calls are turns 1 to 3; the tools after the failure are
    // skipped.
    assert_eq!(status, [Ok, Ok, Ok, Error, Ok, Skipped, Skipped, Ok]);
    assert!(
        one.calls[5]
            .error()
            .is_some_and(|e| e.contains("`read_pdf` failed")),
        "{:?}",
        one.calls[5]
    );
    let batched = both(&p, TurnBatched).await;
    assert_eq!(batched.wall_ms, 1_200.0 + 1_500.0 + 1_000.0);
    assert_eq!(turns(&batched), [(0.0, 1_200.0), (2_700.0, 3_700.0)]);
    // Two turns: chat_2 is the last; chat_3 has no turn to be.
    assert_eq!(batched.calls[4].start_ms, Some(2_700.0));
    assert_eq!(batched.calls[7].status, CallStatus::Skipped);
    assert_eq!(
        batched.calls[7].error(),
        Some("model call 3: this lane took only 2 model turns")
    );
    assert_eq!(
        OnePerTurn.lower_bound_ms(&p.bounds, 2),
        one.wall_ms,
        "the bound counts the turns taken"
    );
    assert_eq!(TurnBatched.lower_bound_ms(&p.bounds, 2), batched.wall_ms);
}

#[test]
fn model_calls_are_refused_beside_model_turn_ms_and_when_not_simulated() {
    let cases = [
        (
            r#"{"name": "t", "model_turn_ms": 5, "calls": [{"id": "a", "latency_ms": 1, "model": true}]}"#,
            "both `model_turn_ms` and calls marked \"model\": true give the model's turns",
        ),
        (
            r#"{"name": "t", "calls": [{"id": "a", "cpu_ms": 1, "model": true}]}"#,
            "a model call is a simulated latency",
        ),
        (
            r#"{"name": "t", "calls": [{"id": "a", "latency_ms": 1, "model": "yes"}]}"#,
            "\"model\": true",
        ),
    ];
    refused_on_line_1(&cases);
}

/// The clocks' differential for turn lanes whose turns are model calls, on random graphs: up
/// to 10 calls, some marked model (at least one), some failing (model calls too), under
/// `on_error` continue or cancel; without cancel the bounds are never beaten.
#[test]
fn the_clocks_agree_on_model_calls_on_random_graphs() {
    use proptest::prelude::*;

    let graph = prop::collection::vec((0u32..6, any::<u16>(), 0u8..6), 1..=10);
    let lane = prop_oneof![Just(OnePerTurn), Just(TurnBatched)];
    lanes::check_fixed(
        96,
        0x6d6f_646c,
        12,
        &(graph, lane, any::<bool>()),
        |(calls, s, cancel)| {
            let json = lanes::random_calls(calls.iter().map(|c| (c.0, c.1)), |i| {
                match (i, calls[i].2) {
                    (0, _) | (_, 0 | 1) => r#", "model": true"#,
                    (_, 2) => r#", "fail": "boom""#,
                    (_, 3) => r#", "model": true, "fail": "overloaded""#,
                    _ => "",
                }
            });
            let on_error = if cancel { "cancel" } else { "continue" };
            let p = plan(&format!(
                r#"{{"name": "random", "on_error": "{on_error}", "calls": [{json}]}}"#
            ));
            let r = lanes::on_paused_clock(&p, s);
            let v = simulate_lane(&p, s, 1.0).lane;
            lanes::clocks_agree(&r, &v, format_args!("{s} on {calls:?}"))?;
            // A lane that cancels stops before its work is done: no bound then.
            let bound = s.lower_bound_ms(&p.bounds, 1);
            prop_assert!(
                cancel || v.wall_ms >= bound - 1e-6,
                "{} {} < {}",
                s,
                v.wall_ms,
                bound
            );
            // Every model call is drawn as a turn or skipped, never run as a call.
            for (c, rec) in p.calls.iter().zip(&v.calls) {
                if c.model && !matches!(rec.status, CallStatus::Skipped | CallStatus::Cancelled) {
                    let (start, end) = (rec.start_ms.unwrap(), rec.end_ms.unwrap());
                    prop_assert!(
                        v.turns
                            .iter()
                            .any(|t| t.start_ms == start && t.end_ms == end),
                        "{} at {start}..{end} is no turn of {:?}",
                        c.id,
                        v.turns
                    );
                }
            }
            Ok(())
        },
    );
}

#[test]
fn check_counts_the_turns_of_model_calls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model-calls.json");
    let with_lanes = MODEL_CALLS.replacen(
        r#""calls""#,
        r#""strategies": ["parallel", "one-per-turn", "turn-batched"], "calls""#,
        1,
    );
    std::fs::write(&path, with_lanes).unwrap();
    let (out, err, code) = fanout(&["check", path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("model turns: the 3 calls marked model, then 1.200 s each"),
        "{out}"
    );
    assert!(
        out.contains("one-per-turn  12.100 s     12.100 s   —             6 (7.600 s)"),
        "{out}"
    );
    assert!(
        out.contains("turn-batched  6.400 s      6.400 s    —             3 (4.000 s)"),
        "{out}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_first_model_call_skips_its_tools_and_the_live_view_hears_of_it() {
    use fanout::engine::EventKind;
    let p = plan(
        r#"{"name": "t", "strategies": ["turn-batched"], "calls": [
        {"id": "chat", "latency_ms": 500, "model": true, "fail": "HTTP 529 overloaded"},
        {"id": "a", "latency_ms": 100, "depends_on": ["chat"]},
        {"id": "b", "latency_ms": 200}
    ]}"#,
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let record = run(p.clone(), &RunOptions::for_plan(&p), Some(tx))
        .await
        .unwrap();
    let lane = &record.lanes[0];
    // The failed chat is the first turn; b runs after it; a never does; a final turn.
    assert_eq!(lane.wall_ms, 500.0 + 200.0 + 500.0);
    let status: Vec<CallStatus> = lane.calls.iter().map(|c| c.status).collect();
    assert_eq!(
        status,
        [CallStatus::Error, CallStatus::Skipped, CallStatus::Ok]
    );
    let (mut skipped, mut chat) = (Vec::new(), Vec::new());
    while let Ok(e) = rx.try_recv() {
        match e.kind {
            EventKind::Skipped { call, reason, .. } => skipped.push((call, reason)),
            EventKind::Started { call: 0, at_ms, .. } => chat.push((at_ms, None)),
            EventKind::Finished {
                call: 0,
                at_ms,
                error,
            } => chat.push((at_ms, error)),
            _ => {}
        }
    }
    assert_eq!(skipped, [(1, "dependency `chat` failed".to_string())]);
    // The chat is seen at its turn, as the record has it.
    assert_eq!(
        chat,
        [
            (0.0, None),
            (500.0, Some("HTTP 529 overloaded".to_string()))
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_failed_model_call_under_cancel_stops_the_turn_lane_as_its_turn_ends() {
    let text = MODEL_CALLS
        .replacen(
            r#"{"name": "t","#,
            r#"{"name": "t", "on_error": "cancel","#,
            1,
        )
        .replacen(
            r#""latency_ms": 1000, "model": true,"#,
            r#""latency_ms": 1000, "model": true, "fail": "HTTP 529","#,
            1,
        );
    let p = plan(&text);
    // Turn 1, search_web, turn 2 (chat_2's 1 s) fails: the lane stops at 3 s.
    let one = both(&p, OnePerTurn).await;
    assert_eq!(one.wall_ms, 3_000.0);
    use CallStatus::{Cancelled, Error, Ok, Skipped};
    let status: Vec<CallStatus> = one.calls.iter().map(|c| c.status).collect();
    assert_eq!(
        status,
        [
            Ok, Ok, Cancelled, Cancelled, Error, Skipped, Skipped, Skipped
        ]
    );
    assert_eq!(one.calls[4].start_ms, Some(2_000.0));
    assert_eq!(one.calls[2].end_ms, Some(3_000.0));
    // Turn-batched reaches chat_2 after the first batch: 1.2 + 1.5 + 1.0 s.
    let batched = both(&p, TurnBatched).await;
    assert_eq!(batched.wall_ms, 3_700.0);
    assert_eq!(batched.calls[4].status, Error);
}
