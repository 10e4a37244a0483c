//! Engine tests on tokio's paused clock: a 25-second scenario runs in milliseconds, and every
//! start, end and wall is exact.

#[path = "common/lanes.rs"]
mod lanes;

use std::sync::Arc;

use fanout::engine::error::Part;
use fanout::engine::scenario::{BUILTINS, ScenarioSource};
use fanout::engine::{
    CallStatus, Event, EventKind, Mode, Plan, Record, RunOptions, Strategy, run, run_lane,
};

fn plan(json: &str) -> Arc<Plan> {
    Arc::new(Plan::from_source(&ScenarioSource::from_text("test.json", json)).unwrap())
}

/// A scenario named `name` of these calls (JSON objects).
fn plan_of(name: &str, calls: &[String]) -> Arc<Plan> {
    plan(&format!(
        r#"{{"name": "{name}", "calls": [{}]}}"#,
        calls.join(",")
    ))
}

fn builtin(name: &str) -> Arc<Plan> {
    Arc::new(Plan::load(name).unwrap())
}

async fn race(plan: &Arc<Plan>, strategies: &[Strategy]) -> Record {
    run_as(plan, strategies, 1.0, Mode::Race).await
}

/// The lanes of `strategies` at `speed`, raced or one at a time.
async fn run_as(plan: &Arc<Plan>, strategies: &[Strategy], speed: f64, mode: Mode) -> Record {
    let opts = RunOptions {
        strategies: strategies.to_vec(),
        speed,
        mode,
        local: None,
    };
    run(plan.clone(), &opts, None).await.unwrap()
}

fn wall(record: &Record, strategy: &str) -> f64 {
    record
        .lanes
        .iter()
        .find(|l| l.strategy == strategy)
        .unwrap()
        .wall_ms
}

/// `(start, end)` of a call in a lane.
fn span(record: &Record, strategy: &str, id: &str) -> (Option<f64>, Option<f64>) {
    let lane = record
        .lanes
        .iter()
        .find(|l| l.strategy == strategy)
        .unwrap();
    let c = lane.calls.iter().find(|c| &*c.id == id).unwrap();
    (c.start_ms, c.end_ms)
}

use Strategy::{Parallel, Pool, Sequential, Waves};

#[tokio::test(start_paused = true)]
async fn three_calls_of_two_seconds_take_six_then_two() {
    let p = builtin("latency-3x2s");
    let r = race(&p, &[Sequential, Parallel]).await;
    assert_eq!(wall(&r, "sequential"), 6000.0);
    assert_eq!(wall(&r, "parallel"), 2000.0);
    let seq = &r.lanes[0];
    let starts: Vec<_> = seq.calls.iter().map(|c| c.start_ms.unwrap()).collect();
    assert_eq!(starts, [0.0, 2000.0, 4000.0]);
    for c in &r.lanes[1].calls {
        assert_eq!((c.start_ms, c.end_ms), (Some(0.0), Some(2000.0)));
    }
    assert_eq!(r.lanes[1].speedup, 3.0);
    assert_eq!(r.lanes[1].lower_bound_ms, 2000.0);
    assert_eq!(r.lanes[0].lower_bound_ms, 6000.0);
}

#[tokio::test(start_paused = true)]
async fn the_latency_table_rows_hold() {
    for (name, seq, par) in [
        ("fetch-5-urls", 25_000.0, 5_000.0),
        ("latency-5x3s", 15_000.0, 3_000.0),
        ("latency-10x1s", 10_000.0, 1_000.0),
    ] {
        let r = race(&builtin(name), &[Sequential, Parallel]).await;
        assert_eq!(
            (wall(&r, "sequential"), wall(&r, "parallel")),
            (seq, par),
            "{name}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn waves_wait_for_the_slowest_of_each_level() {
    // a(500) -> b(4000); c(4000) -> d(500): waves pay 4 s twice, parallel runs each chain.
    let p = builtin("unbalanced-graph");
    let r = race(&p, &[Sequential, Waves, Parallel]).await;
    assert_eq!(wall(&r, "sequential"), 9000.0);
    assert_eq!(wall(&r, "waves"), 8000.0);
    assert_eq!(wall(&r, "parallel"), 4500.0);
    assert_eq!(r.lanes[1].lower_bound_ms, 4500.0);
}

/// A built-in raced under some strategies: each lane's wall, and some calls' `(start, end)`.
struct Walls {
    builtin: &'static str,
    strategies: &'static [Strategy],
    walls: &'static [(&'static str, f64)],
    spans: &'static [(&'static str, &'static str, f64, f64)],
}

#[tokio::test(start_paused = true)]
async fn builtins_give_their_walls_and_spans() {
    let cases = [
        // The second wave starts when the 8 s call of the first has finished, not before.
        Walls {
            builtin: "staircase",
            strategies: &[Sequential, Waves, Parallel],
            walls: &[
                ("sequential", 30_000.0),
                ("waves", 24_000.0),
                ("parallel", 10_000.0),
            ],
            spans: &[
                ("waves", "b2", 8000.0, 16_000.0),
                ("parallel", "b2", 1000.0, 9000.0),
            ],
        },
        // Graham's anomaly: pool:3 takes 12 s, pool:4 15 s. With four workers the 9 s call
        // waits for a slot until 6 s.
        Walls {
            builtin: "graham-anomaly",
            strategies: &[Pool(3), Pool(4)],
            walls: &[("pool:3", 12_000.0), ("pool:4", 15_000.0)],
            spans: &[
                ("pool:4", "t9", 6000.0, 15_000.0),
                ("pool:3", "t9", 3000.0, 12_000.0),
            ],
        },
        // Critical path priority beats file order on the staircase: longest remaining path
        // first, c1 (1 + 1 + 8 s ahead) goes before b2's 8 s chain ends.
        Walls {
            builtin: "staircase-pool",
            strategies: &[Pool(2), Strategy::PoolCp(2)],
            walls: &[("pool:2", 20_000.0), ("pool:2:cp", 17_000.0)],
            spans: &[("pool:2:cp", "c1", 1000.0, 2000.0)],
        },
    ];
    for case in cases {
        let r = race(&builtin(case.builtin), case.strategies).await;
        for &(lane, ms) in case.walls {
            assert_eq!(wall(&r, lane), ms, "{} {lane}", case.builtin);
        }
        for &(lane, id, start, end) in case.spans {
            assert_eq!(
                span(&r, lane, id),
                (Some(start), Some(end)),
                "{} {lane} {id}",
                case.builtin
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_pool_keeps_at_most_n_in_flight_in_file_order() {
    let p = builtin("pool-of-3");
    let r = race(&p, &[Pool(3)]).await;
    assert_eq!(wall(&r, "pool:3"), 4000.0);
    let starts: Vec<f64> = r.lanes[0]
        .calls
        .iter()
        .map(|c| c.start_ms.unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            0.0, 0.0, 0.0, 1000.0, 1000.0, 1000.0, 2000.0, 2000.0, 2000.0, 3000.0
        ]
    );
    assert_eq!(r.lanes[0].lower_bound_ms, 10_000.0 / 3.0);
}

#[tokio::test(start_paused = true)]
async fn a_pool_prefers_ready_calls_in_file_order() {
    let p = plan(
        r#"{"name": "t", "calls": [
            {"id": "slow", "latency_ms": 300},
            {"id": "after", "latency_ms": 100, "depends_on": ["fast"]},
            {"id": "fast", "latency_ms": 100},
            {"id": "other", "latency_ms": 100}
        ]}"#,
    );
    let r = race(&p, &[Pool(2)]).await;
    // t=0: slow and fast (after is not ready); t=100: after (file order beats other); t=200: other.
    assert_eq!(span(&r, "pool:2", "fast"), (Some(0.0), Some(100.0)));
    assert_eq!(span(&r, "pool:2", "after"), (Some(100.0), Some(200.0)));
    assert_eq!(span(&r, "pool:2", "other"), (Some(200.0), Some(300.0)));
    assert_eq!(wall(&r, "pool:2"), 300.0);
}

#[tokio::test(start_paused = true)]
async fn sequential_follows_dependencies_stably_by_file_order() {
    let p = plan(
        r#"{"name": "t", "calls": [
            {"id": "post", "latency_ms": 10, "depends_on": ["fetch"]},
            {"id": "fetch", "latency_ms": 20},
            {"id": "log", "latency_ms": 5}
        ]}"#,
    );
    let r = race(&p, &[Sequential]).await;
    assert_eq!(span(&r, "sequential", "fetch"), (Some(0.0), Some(20.0)));
    assert_eq!(span(&r, "sequential", "post"), (Some(20.0), Some(30.0)));
    assert_eq!(span(&r, "sequential", "log"), (Some(30.0), Some(35.0)));
    // The record keeps file order whatever the run order.
    let ids: Vec<&str> = r.lanes[0].calls.iter().map(|c| &*c.id).collect();
    assert_eq!(ids, ["post", "fetch", "log"]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_call_skips_its_dependents_and_nothing_else() {
    let p = plan(
        r#"{"name": "t", "calls": [
            {"id": "a", "latency_ms": 100, "fail": "HTTP 503"},
            {"id": "b", "latency_ms": 300},
            {"id": "c", "latency_ms": 50, "depends_on": ["a", "b"]},
            {"id": "d", "latency_ms": 50, "depends_on": ["c"]},
            {"id": "e", "latency_ms": 50, "depends_on": ["b"]}
        ]}"#,
    );
    let r = race(&p, &[Sequential, Parallel, Waves, Pool(1)]).await;
    for lane in &r.lanes {
        let by_id = |id: &str| lane.calls.iter().find(|c| &*c.id == id).unwrap();
        assert_eq!(by_id("a").status, CallStatus::Error, "{}", lane.strategy);
        assert_eq!(by_id("a").error(), Some("HTTP 503"));
        assert_eq!(by_id("b").status, CallStatus::Ok);
        assert_eq!(by_id("e").status, CallStatus::Ok);
        let c = by_id("c");
        assert_eq!(c.status, CallStatus::Skipped);
        assert_eq!((c.start_ms, c.end_ms), (None, None));
        assert_eq!(c.error(), Some("dependency `a` failed"));
        assert_eq!(
            by_id("d").error(),
            Some("dependency `c` was skipped (`a` failed)")
        );
    }
    // The failure costs its latency, and the lane goes on.
    assert_eq!(span(&r, "parallel", "a"), (Some(0.0), Some(100.0)));
    assert_eq!(wall(&r, "parallel"), 350.0);
    assert_eq!(wall(&r, "sequential"), 450.0);
    // Skipped calls are left out of the bounds: c and d never run.
    assert_eq!(r.bounds.sum_ms, 450.0);
    assert_eq!(r.bounds.critical_path_ms, 350.0);
}

#[tokio::test(start_paused = true)]
async fn speed_divides_simulated_time_and_the_bounds() {
    let r = run_as(
        &builtin("fetch-5-urls"),
        &[Sequential, Parallel],
        10.0,
        Mode::Race,
    )
    .await;
    assert_eq!(wall(&r, "sequential"), 2500.0);
    assert_eq!(wall(&r, "parallel"), 500.0);
    assert_eq!(r.bounds.sum_ms, 2500.0);
    assert_eq!(r.lanes[1].lower_bound_ms, 500.0);
    assert_eq!(r.lanes[1].speedup, 5.0);
    assert_eq!(r.speed, 10.0);
}

#[tokio::test(start_paused = true)]
async fn one_at_a_time_runs_lanes_back_to_back() {
    let p = builtin("latency-3x2s");
    let started = tokio::time::Instant::now();
    let r = run_as(&p, &[Sequential, Parallel], 1.0, Mode::OneAtATime).await;
    // Each lane measures from its own start; together they took the sum.
    assert_eq!(wall(&r, "sequential"), 6000.0);
    assert_eq!(wall(&r, "parallel"), 2000.0);
    assert_eq!(started.elapsed().as_millis(), 8000);
}

#[tokio::test(start_paused = true)]
async fn speedup_without_a_sequential_lane_uses_the_sum() {
    let r = race(&builtin("pool-of-3"), &[Pool(3), Parallel]).await;
    assert_eq!(r.lanes[0].speedup, 10_000.0 / 4000.0);
    assert_eq!(r.lanes[1].speedup, 10.0);
}

#[tokio::test(start_paused = true)]
async fn a_lane_emits_events_in_order() {
    let p = plan(
        r#"{"name": "t", "calls": [
            {"id": "a", "latency_ms": 100, "fail": "boom"},
            {"id": "b", "latency_ms": 10, "depends_on": ["a"]}
        ]}"#,
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    run_lane(
        p,
        Parallel,
        fanout::engine::effects::EffectContext::new(1.0, None),
        7,
        Some(tx),
    )
    .await
    .unwrap();
    let mut kinds = Vec::new();
    while let Ok(Event { lane, kind }) = rx.try_recv() {
        assert_eq!(lane, 7);
        kinds.push(kind);
    }
    assert!(matches!(kinds[0], EventKind::LaneStarted { .. }));
    assert_eq!(
        kinds[1],
        EventKind::Started {
            call: 0,
            at_ms: 0.0,
            waited_ms: 0.0
        }
    );
    assert_eq!(
        kinds[2],
        EventKind::Finished {
            call: 0,
            at_ms: 100.0,
            error: Some("boom".into())
        }
    );
    assert_eq!(
        kinds[3],
        EventKind::Skipped {
            call: 1,
            at_ms: 100.0,
            reason: "dependency `a` failed".into()
        }
    );
    assert_eq!(kinds[4], EventKind::LaneDone { wall_ms: 100.0 });
    assert_eq!(kinds.len(), 5);
}

#[tokio::test(start_paused = true)]
async fn every_builtin_runs_to_its_bounds_on_every_strategy() {
    // On an exact clock parallel meets the critical path and sequential the sum; no lane may
    // beat its lower bound. (Built-ins with real calls are measured, not exact: see effects.rs.)
    for (name, _) in BUILTINS {
        let p = builtin(name);
        if p.calls.iter().any(|c| !c.effect.is_simulated()) {
            continue;
        }
        let r = race(&p, &[Sequential, Parallel, Waves, Pool(2)]).await;
        // A rate limit or a cancel changes what the lanes can do: their walls are checked
        // against the virtual clock instead (below, and in the next test).
        let plain =
            p.rate_limit.is_none() && p.on_error == fanout::engine::scenario::OnError::Continue;
        if plain {
            assert_eq!(wall(&r, "sequential"), r.bounds.sum_ms, "{name}");
            assert_eq!(wall(&r, "parallel"), r.bounds.critical_path_ms, "{name}");
        }
        for lane in &r.lanes {
            assert_eq!(
                Some(lane.wall_ms),
                lane.predicted_ms,
                "{name} {}",
                lane.strategy
            );
        }
        for lane in &r.lanes {
            assert!(
                lane.wall_ms >= lane.lower_bound_ms,
                "{name} {}",
                lane.strategy
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_record_round_trips_through_json() {
    let r = race(&builtin("one-failing-call"), &[Sequential, Parallel]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    std::fs::write(&path, fanout::report::json(&r)).unwrap();
    let (back, plan) = Record::load(&path).unwrap();
    assert_eq!(back, r);
    assert_eq!(plan.calls.len(), r.scenario.calls.len());
}

#[tokio::test(start_paused = true)]
async fn a_large_batch_runs() {
    let calls: Vec<String> = (0..20_000)
        .map(|i| {
            let dep = if i % 3 == 2 {
                format!(r#", "depends_on": ["c{}"]"#, i - 1)
            } else {
                String::new()
            };
            format!(r#"{{"id": "c{i}", "latency_ms": {}{dep}}}"#, i % 7)
        })
        .collect();
    let p = plan_of("big", &calls);
    let r = race(&p, &[Parallel, Waves, Pool(8)]).await;
    assert_eq!(wall(&r, "parallel"), r.bounds.critical_path_ms);
    assert!(
        r.lanes
            .iter()
            .all(|l| l.calls.iter().all(|c| c.status == CallStatus::Ok))
    );
}

#[test]
fn zero_latency_calls_never_wait_for_the_timer() {
    // tokio's timer ticks in whole milliseconds, so a sleep per call would make 2 000 sequential
    // calls take over 2 s. A runtime without a timer shows none is used: a sleep there panics.
    let calls: Vec<String> = (0..2_000)
        .map(|i| format!(r#"{{"id": "c{i}", "latency_ms": 0}}"#))
        .collect();
    let p = plan_of("zero", &calls);
    let no_timer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let r = no_timer.block_on(race(&p, &[Sequential, Pool(4)]));
    for lane in &r.lanes {
        assert_eq!(lane.lower_bound_ms, 0.0);
        assert_eq!(lane.efficiency(), 1.0, "no bound to miss");
    }
    // A sequential lane exists, so speedups compare measured walls.
    assert_eq!(r.lanes[0].speedup, 1.0);
}

#[test]
#[should_panic(expected = "timers are disabled")]
fn a_runtime_without_a_timer_refuses_a_sleep() {
    // What makes the test above able to fail.
    let no_timer = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    no_timer.block_on(async { tokio::time::sleep(std::time::Duration::from_millis(1)).await });
}

#[tokio::test(start_paused = true)]
async fn zero_work_without_a_sequential_lane_has_speedup_one() {
    let p = plan(
        r#"{"name": "zero", "calls": [{"id": "a", "latency_ms": 0}, {"id": "b", "latency_ms": 0}]}"#,
    );
    let r = race(&p, &[Parallel, Pool(1)]).await;
    for lane in &r.lanes {
        assert_eq!(lane.speedup, 1.0, "{lane:?}");
        assert_eq!(lane.efficiency(), 1.0, "{lane:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_bad_speed_is_an_error_not_a_panic() {
    let p = builtin("latency-3x2s");
    for speed in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let opts = RunOptions {
            strategies: vec![Sequential],
            speed,
            mode: Mode::Race,
            local: None,
        };
        let err = run(p.clone(), &opts, None).await.unwrap_err();
        assert!(
            err.to_string().contains("is not a positive number"),
            "{err}"
        );
        let ctx = fanout::engine::effects::EffectContext::new(speed, None);
        assert!(run_lane(p.clone(), Parallel, ctx, 0, None).await.is_err());
    }
}

#[test]
fn a_scenario_error_inside_a_record_names_the_record_and_says_embedded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let text = r#"{
  "fanout_version": "0.1.0",
  "started_at": "2026-01-01T00:00:00.000Z",
  "speed": 1.0,
  "lanes": [
    {"strategy": "parallel", "wall_ms": 1.0, "lower_bound_ms": 1.0, "speedup": 1.0,
     "calls": [{"id": "a", "status": "ok", "start_ms": 0.0, "end_ms": 1.0, "error": null}]}
  ],
  "bounds": {"sum_ms": 1.0, "critical_path_ms": 1.0},
  "scenario": {"name": "x", "calls": [
    {"id": "a", "latency_ms": 1, "depends_on": ["a"]}
  ]}
}"#;
    std::fs::write(&path, text).unwrap();
    let err = Record::load(&path).unwrap_err();
    let label = path.display().to_string();
    assert_eq!(err.file, label);
    assert_eq!(err.within, Some(Part::EmbeddedScenario));
    // Line 11, at the scenario's `"a"`, not the lane's call entry on line 7.
    assert_eq!(err.line_col, Some((11, 12)));
    assert_eq!(
        err.to_string().lines().next().unwrap(),
        format!("{label}:11:12: embedded scenario: call `a`: depends on itself")
    );
}

#[tokio::test(start_paused = true)]
async fn effects_never_panic_on_extreme_durations() {
    use fanout::engine::effects::{Effect, EffectContext};
    for (ms, speed) in [(0.0, 1.0), (1.0, 1e300), (f64::NAN, 1.0), (-5.0, 1.0)] {
        let ctx = EffectContext::new(speed, None);
        Effect::Latency { ms }.perform(&ctx).await.0.unwrap();
    }
    // Longer than a Duration can hold: it waits (here: still waiting after an hour).
    let ctx = EffectContext::new(1e-300, None);
    let forever = Effect::Latency { ms: 3_600_000.0 }.perform(&ctx);
    let r = tokio::time::timeout(std::time::Duration::from_secs(3600), forever).await;
    assert!(r.is_err());
}

/// Every built-in that only simulates, under every kind of strategy: the real driver on the
/// paused clock and the virtual clock give the same start and end for every call.
#[tokio::test(start_paused = true)]
async fn the_virtual_clock_agrees_with_the_paused_real_clock() {
    use fanout::engine::virtual_clock::simulate_lane;
    let strategies = [
        Sequential,
        Parallel,
        Waves,
        Pool(2),
        Pool(3),
        Strategy::PoolCp(2),
    ];
    for (name, _) in BUILTINS {
        let p = builtin(name);
        if p.calls.iter().any(|c| !c.effect.is_simulated()) {
            continue;
        }
        // Built-ins with model turns race the turn strategies too, turns compared.
        let turned = [Strategy::OnePerTurn, Strategy::TurnBatched];
        let extra: &[Strategy] = if p.has_turns() { &turned } else { &[] };
        for &s in strategies.iter().chain(extra) {
            let real = lanes::real_lane(&p, s).await;
            let virt = simulate_lane(&p, s, 1.0).lane;
            lanes::assert_clocks_agree(&real, &virt, format_args!("{name} {s}"));
        }
    }
}

/// The same differential on random dependency graphs: up to 12 calls with tied, zero and
/// distinct latencies and any edges to earlier calls, under every kind of strategy. A fixed
/// seed and number of cases, so it runs the same in a second or two everywhere.
#[test]
fn the_virtual_clock_agrees_with_the_paused_real_clock_on_random_graphs() {
    use fanout::engine::virtual_clock::simulate_lane;
    use proptest::prelude::*;

    // Per call: its latency in units of 100 ms (0 included) and which earlier calls it waits
    // for (a bit per earlier call).
    let graph = prop::collection::vec((0u32..6, any::<u16>()), 1..=12);
    let lane = prop_oneof![
        Just(Sequential),
        Just(Parallel),
        Just(Waves),
        (1usize..=4).prop_map(Pool),
        (1usize..=3).prop_map(fanout::engine::Strategy::PoolCp),
    ];
    lanes::check_fixed(96, 0x00c1_0c55, 14, &(graph, lane), |(calls, s)| {
        let json = lanes::random_calls(calls.iter().copied(), |_| "");
        let p = plan_of("random", &[json]);
        let real = lanes::on_paused_clock(&p, s);
        let virt = simulate_lane(&p, s, 1.0).lane;
        lanes::clocks_agree(&real, &virt, format_args!("{s} on {calls:?}"))
    });
}

#[test]
fn the_scheduler_does_linear_work() {
    // Each call goes on the ready heap once and off it once: steps = 2 × calls, whatever the
    // strategy, for a 20 000-call graph with about 60 000 edges.
    use fanout::engine::virtual_clock::simulate_lane;
    let calls: Vec<String> = (0..20_000)
        .map(|i: usize| {
            let deps: Vec<String> = [7usize, 131, 977]
                .iter()
                .filter(|&&k| i >= k)
                .map(|k| format!("\"c{}\"", i - k))
                .collect();
            format!(
                r#"{{"id": "c{i}", "latency_ms": {}, "depends_on": [{}]}}"#,
                i % 13,
                deps.join(",")
            )
        })
        .collect();
    let p = plan_of("big", &calls);
    let edges = p.deps.entries();
    assert!(edges > 55_000, "{edges}");
    for s in [Sequential, Parallel, Waves, Pool(8), Strategy::PoolCp(8)] {
        let sim = simulate_lane(&p, s, 1.0);
        assert_eq!(sim.steps, 2 * 20_000, "{s}");
        assert!(sim.lane.calls.iter().all(|c| c.status == CallStatus::Ok));
    }
}

#[test]
fn lanes_simulated_side_by_side_match_one_at_a_time_in_order() {
    use fanout::engine::virtual_clock::{simulate_lane, simulate_lanes};
    let strategies = [
        Sequential,
        Parallel,
        Waves,
        Pool(2),
        Strategy::PoolCp(2),
        Pool(3),
    ];
    for name in [
        "staircase",
        "rate-limited",
        "graham-anomaly",
        "one-failing-call",
    ] {
        let p = builtin(name);
        let together = simulate_lanes(&p, &strategies, 1.0);
        let alone: Vec<_> = strategies
            .iter()
            .map(|&s| simulate_lane(&p, s, 1.0))
            .collect();
        assert_eq!(together, alone, "{name}");
    }
}
