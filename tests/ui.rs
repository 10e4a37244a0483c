//! UI tests: the screen drawn on ratatui's `TestBackend` from view models built the way the
//! app builds them — engine events on tokio's paused clock, so every frame is exact — and
//! snapshotted with insta.

use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;

use fanout::engine::scenario::{BUILTINS, ScenarioSource};
use fanout::engine::{Mode, Plan, RunOptions, Strategy, run};
use fanout::ui::app::{App, Command};
use fanout::ui::chrome::{Chrome, Overlay, OverlayKind};
use fanout::ui::keys;
use fanout::ui::keys::Action;
use fanout::ui::model::{Playback, ViewModel};
use fanout::ui::theme::Theme;
use fanout::ui::view;

const PLAIN: Theme = Theme { color: false };

fn builtin(name: &str) -> Arc<Plan> {
    Arc::new(Plan::load(name).unwrap())
}

/// The lanes `strategies` raced at `speed`.
fn raced(strategies: &[Strategy], speed: f64) -> RunOptions {
    RunOptions {
        strategies: strategies.to_vec(),
        speed,
        mode: Mode::Race,
        local: None,
    }
}

/// Runs `plan` on the paused clock for `at_ms`, folding the engine's events into a view model
/// as the app does, and returns the model as it stands at that instant.
async fn model_at(plan: &Arc<Plan>, strategies: &[Strategy], speed: f64, at_ms: u64) -> ViewModel {
    let opts = raced(strategies, speed);
    let mut model = ViewModel::new(plan, strategies, speed);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = tokio::time::Instant::now();
    let p = plan.clone();
    let task = tokio::spawn(async move { run(p, &opts, Some(tx)).await });
    tokio::time::sleep(Duration::from_millis(at_ms)).await;
    while let Ok(e) = rx.try_recv() {
        model.apply(e.lane, e.kind, start);
    }
    model.now_ms = at_ms as f64;
    task.abort();
    model
}

/// The finished run, folded from every event.
async fn finished(plan: &Arc<Plan>, strategies: &[Strategy]) -> ViewModel {
    let opts = raced(strategies, 1.0);
    let mut model = ViewModel::new(plan, strategies, 1.0);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let start = tokio::time::Instant::now();
    run(plan.clone(), &opts, Some(tx)).await.unwrap();
    while let Ok(e) = rx.try_recv() {
        model.apply(e.lane, e.kind, start);
    }
    model.now_ms = model.end_ms();
    model
}

fn draw(model: &ViewModel, chrome: &Chrome, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| view::draw(f, model, chrome, PLAIN))
        .unwrap();
    terminal
}

fn text(terminal: &Terminal<TestBackend>) -> String {
    view::buffer_text(terminal.backend().buffer())
}

use Strategy::{Parallel, Pool, Sequential, Waves};

/// Draws `model` at 80×24 and 120×40, runs `check` on each screen's text, and snapshots each as
/// `{name}_{w}x{h}`: the two sizes every layout must fit.
fn at_both_sizes(model: &ViewModel, name: &str, check: impl Fn(&str)) {
    for (w, h) in [(80, 24), (120, 40)] {
        let t = draw(model, &Chrome::default(), w, h);
        check(&text(&t));
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

/// A built-in's screen at an instant (`None`: finished), its snapshots' name and what its text
/// says at both sizes.
struct Screen {
    name: &'static str,
    builtin: &'static str,
    lanes: &'static [Strategy],
    at_ms: Option<u64>,
    says: &'static [&'static str],
}

const SCREENS: &[Screen] = &[
    // Mid-run, the parallel lane is done while sequential climbs: it is on its second call, the
    // first is done, and the speedup so far can only grow.
    Screen {
        name: "mid_run",
        builtin: "fetch-5-urls",
        lanes: &[Sequential, Parallel],
        at_ms: Some(7300),
        says: &["running   7.300 s", "done 5.000 s", "· queued", "≥ 1.46×"],
    },
    // A finished race shows every speedup.
    Screen {
        name: "finished",
        builtin: "staircase",
        lanes: &[Sequential, Waves, Parallel],
        at_ms: None,
        says: &[
            "done 30.000 s · baseline",
            "done 24.000 s · 1.25×",
            "done 10.000 s · 3.00×",
        ],
    },
    // A failed call shows its message and its dependents are skipped.
    Screen {
        name: "failed",
        builtin: "one-failing-call",
        lanes: &[Sequential, Parallel],
        at_ms: None,
        says: &["✗ HTTP 503", "⊘ skipped: dependency `fetch_wiki` failed"],
    },
];

async fn screen_model(s: &Screen) -> ViewModel {
    let plan = builtin(s.builtin);
    match s.at_ms {
        Some(ms) => model_at(&plan, s.lanes, 1.0, ms).await,
        None => finished(&plan, s.lanes).await,
    }
}

#[tokio::test(start_paused = true)]
async fn each_screen_says_what_it_shows_at_both_sizes() {
    for s in SCREENS {
        let model = screen_model(s).await;
        at_both_sizes(&model, s.name, |screen| {
            for says in s.says {
                assert!(screen.contains(says), "{}: {says:?} in\n{screen}", s.name);
            }
        });
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_call_is_red_and_no_colour_draws_none() {
    let failed = SCREENS.iter().find(|s| s.name == "failed").unwrap();
    let model = screen_model(failed).await;
    // In colour, the failed bar is red; without colour, no cell has a colour at all.
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| view::draw(f, &model, &Chrome::default(), Theme { color: true }))
        .unwrap();
    let buf = terminal.backend().buffer();
    let red = buf
        .content
        .iter()
        .any(|c| c.symbol() == "✗" && c.fg == Color::Red);
    assert!(red, "the ✗ of a failed call is red");
    let plain = draw(&model, &Chrome::default(), 120, 40);
    let coloured = plain
        .backend()
        .buffer()
        .content
        .iter()
        .any(|c| c.fg != Color::Reset || c.bg != Color::Reset);
    assert!(!coloured, "NO_COLOR draws no colour");
}

#[tokio::test(start_paused = true)]
async fn the_help_overlay_lists_every_key() {
    let plan = builtin("fetch-5-urls");
    let model = model_at(&plan, &[Sequential, Parallel], 1.0, 2000).await;
    let help = |scroll| Chrome {
        overlay: Some(Overlay {
            kind: OverlayKind::Help,
            scroll,
        }),
        ..Chrome::default()
    };
    for (w, h) in [(80, 24), (120, 40)] {
        // What the overlay shows over all its scroll positions: it wraps and scrolls, never cuts.
        let mut seen = String::new();
        for scroll in 0..40 {
            seen.push_str(&text(&draw(&model, &help(scroll), w, h)));
        }
        for b in keys::help_bindings(keys::Context::default()) {
            assert!(
                seen.contains(b.keys) && seen.contains(b.help),
                "{}: {seen}",
                b.keys
            );
        }
        for mark in ["░", "◇", "▀ ▄", "⊗", "┊"] {
            assert!(seen.contains(mark), "{mark}: {seen}");
        }
        insta::assert_snapshot!(
            format!("help_{w}x{h}"),
            draw(&model, &help(0), w, h).backend()
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_terminal_too_small_says_so() {
    let plan = builtin("fetch-5-urls");
    let model = model_at(&plan, &[Sequential, Parallel], 1.0, 2000).await;
    for (w, h) in [(40, 10), (80, 12), (59, 24), (1, 1), (0, 0)] {
        let t = draw(&model, &Chrome::default(), w, h);
        if w >= 20 && h >= 3 {
            assert!(
                text(&t).contains("terminal too small"),
                "{w}x{h}: {}",
                text(&t)
            );
        }
    }
    insta::assert_snapshot!(
        "too_small_40x10",
        draw(&model, &Chrome::default(), 40, 10).backend()
    );
}

fn many_calls(n: usize) -> Arc<Plan> {
    let calls: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id": "call_with_a_long_name_{i:02}", "latency_ms": {}}}"#,
                100 + (i * 37) % 400
            )
        })
        .collect();
    let json = format!(
        r#"{{"name": "Many calls", "calls": [{}]}}"#,
        calls.join(",")
    );
    Arc::new(Plan::from_source(&ScenarioSource::from_text("many.json", json)).unwrap())
}

#[tokio::test(start_paused = true)]
async fn many_calls_compress_with_a_count_of_the_rest() {
    let plan = many_calls(60);
    let model = model_at(&plan, &[Sequential, Pool(4), Parallel], 1.0, 3000).await;
    at_both_sizes(&model, "many", |screen| {
        assert!(screen.contains("of 60 calls"), "{screen}");
        // Long ids are cut with an ellipsis, never wrapped or overflowing.
        assert!(
            screen.contains("call_wit…") || screen.contains("call_with_a…"),
            "{screen}"
        );
    });
    // Scrolling shows later calls.
    let chrome = Chrome {
        scroll: Some(50),
        ..Chrome::default()
    };
    let screen = text(&draw(&model, &chrome, 120, 40));
    assert_ne!(screen, text(&draw(&model, &Chrome::default(), 120, 40)));
}

#[tokio::test(start_paused = true)]
async fn a_replay_is_marked_and_draws_the_recorded_timings() {
    let plan = builtin("latency-3x2s");
    let opts = raced(&[Sequential, Parallel], 1.0);
    let record = run(plan.clone(), &opts, None).await.unwrap();
    let mut app = App::replay(&record, plan, 1.0, PLAIN);
    let t0 = tokio::time::Instant::now();
    app.tick(t0);
    app.tick(t0 + Duration::from_millis(3000));
    assert_eq!(app.model.now_ms, 3000.0);
    assert_eq!(
        app.model.playback,
        Playback::Replay {
            paused: false,
            rate: 1.0
        }
    );
    let screen = text(&draw(&app.model, &app.chrome, 100, 30));
    assert!(screen.contains("REPLAY ▶"), "{screen}");
    assert!(screen.contains("running   3.000 s"), "{screen}");
    // Pause, then step and jump: the position moves only when asked.
    let now = t0 + Duration::from_millis(3000);
    app.on_action(Action::Pause, now);
    app.tick(now + Duration::from_millis(1000));
    assert_eq!(app.model.now_ms, 3000.0);
    app.on_action(Action::End, now);
    assert_eq!(app.model.now_ms, 6000.0);
    app.on_action(Action::StepBack, now);
    assert_eq!(app.model.now_ms, 5700.0);
    app.on_action(Action::Home, now);
    assert_eq!(app.model.now_ms, 0.0);
    let screen = text(&draw(&app.model, &app.chrome, 100, 30));
    assert!(screen.contains("REPLAY ⏸"), "{screen}");
    insta::assert_snapshot!(
        "replay_paused_at_start",
        draw(&app.model, &app.chrome, 100, 30).backend()
    );
}

#[test]
fn the_headless_final_frame_shows_every_call_and_lane() {
    let plan = builtin("pool-of-3");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let opts = raced(&[Sequential, Pool(3), Parallel], 1.0);
    let record = rt.block_on(run(plan.clone(), &opts, None)).unwrap();
    let frame = view::final_frame(&ViewModel::from_record(&record, &plan), 100);
    for lane in ["sequential", "pool:3", "parallel"] {
        assert!(frame.contains(lane), "{frame}");
    }
    assert_eq!(frame.matches("✓").count(), 30, "{frame}");
    assert!(frame.contains("done 4.000 s · 2.50×"), "{frame}");
    insta::assert_snapshot!("headless_pool_of_3", frame);
}

/// A generated batch of `n` calls, the same for a seed: up to three dependencies among the 60
/// calls before, latencies of 1–999 ms, some failing (so some are skipped), retried or timing
/// out, ids of several widths.
fn generated(n: usize, on_error: &str, seed: u64) -> Arc<Plan> {
    generated_with(n, on_error, seed, "")
}

/// [`generated`] with more top-level fields (`, "model_turn_ms": 300`).
fn generated_with(n: usize, on_error: &str, seed: u64, top: &str) -> Arc<Plan> {
    let mut x = seed;
    let mut next = move |m: u64| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) % m
    };
    let id = |i: usize| match i % 97 {
        5 => format!("a_rather_long_call_name_{i}"),
        _ => format!("c{i}"),
    };
    let calls: Vec<String> = (0..n)
        .map(|i| {
            let mut deps: Vec<String> = (0..next(4))
                .filter(|_| i > 0)
                .map(|_| format!("\"{}\"", id(i - 1 - next(i.min(60) as u64) as usize)))
                .collect();
            deps.sort();
            deps.dedup();
            let extra = match next(60) {
                0 => r#", "fail": "HTTP 503""#,
                1 => r#", "fail": "flaky", "fail_attempts": 1, "retries": {"max": 2, "backoff_ms": 10}"#,
                2 => r#", "timeout_ms": 50"#,
                _ => "",
            };
            format!(
                r#"{{"id": "{}", "latency_ms": {}, "depends_on": [{}]{extra}}}"#,
                id(i),
                1 + next(999),
                deps.join(", ")
            )
        })
        .collect();
    let json = format!(
        r#"{{"name": "Generated", "on_error": "{on_error}"{top}, "calls": [{}]}}"#,
        calls.join(",")
    );
    Arc::new(Plan::from_source(&ScenarioSource::from_text("generated.json", json)).unwrap())
}

#[test]
fn a_final_frame_of_a_big_record_is_drawn_from_the_calls_it_shows_and_is_the_same() {
    let lanes = [Sequential, Parallel, Waves, Pool(3), Strategy::PoolCp(8)];
    let mut compared = 0;
    for (n, on_error, seed) in [
        (1000, "continue", 1),
        (1000, "continue", 2),
        (400, "cancel", 3),
        (3000, "continue", 4),
        (200, "continue", 5),
    ] {
        let plan = generated(n, on_error, seed);
        let record = fanout::engine::virtual_clock::run_virtual(&plan, &raced(&lanes, 1.0));
        let full = ViewModel::from_record(&record, &plan);
        let small = ViewModel::for_final_frame(&record, &plan);
        assert_eq!(small.call_count, n);
        assert!(
            small.calls.len() <= fanout::ui::model::FINAL_FRAME_CALLS + lanes.len(),
            "{n} calls: the model holds {}",
            small.calls.len()
        );
        for width in [60, 80, 100, 200] {
            let want = view::final_frame(&full, width);
            assert_eq!(
                view::final_frame(&small, width),
                want,
                "{n} calls at {width}"
            );
            compared += 1;
        }
    }
    // The turn lanes, with their `model` row.
    let plan = generated_with(500, "continue", 6, r#", "model_turn_ms": 300"#);
    let opts = raced(
        &[Parallel, Strategy::OnePerTurn, Strategy::TurnBatched],
        1.0,
    );
    let record = fanout::engine::virtual_clock::run_virtual(&plan, &opts);
    for width in [80, 100] {
        assert_eq!(
            view::final_frame(&ViewModel::for_final_frame(&record, &plan), width),
            view::final_frame(&ViewModel::from_record(&record, &plan), width),
            "turn lanes at {width}"
        );
        compared += 1;
    }
    assert_eq!(compared, 22);
    // The generator makes what the frame must get right: failures, skips and retries.
    let plan = generated(1000, "continue", 1);
    let record = fanout::engine::virtual_clock::run_virtual(&plan, &raced(&[Parallel], 1.0));
    let frame = view::final_frame(&ViewModel::for_final_frame(&record, &plan), 100);
    assert!(frame.contains("of 1000 calls"), "{frame}");
    let statuses: Vec<_> = record.lanes[0].calls.iter().map(|c| c.status).collect();
    for s in [
        fanout::engine::record::CallStatus::Error,
        fanout::engine::record::CallStatus::Skipped,
    ] {
        assert!(statuses.contains(&s), "{s:?}");
    }
}

#[test]
fn a_final_frame_of_every_built_in_is_the_same_from_either_model() {
    for (name, _) in BUILTINS {
        let plan = builtin(name);
        let record =
            fanout::engine::virtual_clock::run_virtual(&plan, &RunOptions::for_plan(&plan));
        assert_eq!(
            view::final_frame(&ViewModel::for_final_frame(&record, &plan), 100),
            view::final_frame(&ViewModel::from_record(&record, &plan), 100),
            "{name}"
        );
    }
}

fn live_app(name: &str) -> App {
    let plan = builtin(name);
    let opts = RunOptions::for_plan(&plan);
    let entries = fanout::ui::app::entries(std::path::Path::new("scenarios"), None);
    let current = entries.iter().position(|e| e.arg == name).unwrap();
    App::live(plan, &opts, None, entries, current, PLAIN)
}

/// A live app on `name` whose first run has started, and the instant it started.
fn started_app(name: &str) -> (App, tokio::time::Instant) {
    let mut app = live_app(name);
    let now = tokio::time::Instant::now();
    let Some(Command::Start(_, opts)) = app.first_command() else {
        panic!("a live app starts a run");
    };
    app.run_started(&opts, now);
    (app, now)
}

#[tokio::test(start_paused = true)]
async fn an_engine_failure_is_shown_on_screen_not_hidden() {
    let (mut app, now) = started_app("fetch-5-urls");
    assert!(app.animating());
    app.run_finished(Err("the engine crashed: task panicked".into()), now);
    assert!(!app.animating(), "a crashed run stops the frame clock");
    let screen = text(&draw(&app.model, &app.chrome, 100, 30));
    assert!(
        screen.contains("error: the engine crashed: task panicked"),
        "{screen}"
    );
}

#[tokio::test(start_paused = true)]
async fn keys_switch_scenarios_change_speed_and_rerun() {
    let mut app = live_app("fetch-5-urls");
    let now = tokio::time::Instant::now();
    // The scenario a command starts, and the name of the built-in `i`.
    let started = |command: Option<Command>, what: &str| match command {
        Some(Command::Start(plan, _)) => plan.scenario.name.clone(),
        other => panic!("{what}, got {other:?}"),
    };
    let name = |i: usize| builtin(BUILTINS[i].0).scenario.name.clone();
    // n: the next built-in, run at once.
    let next = app.on_action(Action::NextScenario, now);
    let want = builtin("latency-3x2s").scenario.name.clone();
    assert_eq!(started(next, "n starts the next scenario"), want);
    // p twice wraps around to the last built-in.
    app.on_action(Action::PrevScenario, now);
    let wrapped = app.on_action(Action::PrevScenario, now);
    assert_eq!(started(wrapped, "p wraps around"), name(BUILTINS.len() - 1));
    // + changes the speed of the next run only, and says so; r applies it.
    assert_eq!(app.on_action(Action::SpeedUp, now).map(|_| ()), None);
    assert!(app.chrome.notice.as_deref().unwrap().contains("speed 2×"));
    match app.on_action(Action::Rerun, now) {
        Some(Command::Start(_, opts)) => assert_eq!(opts.speed, 2.0),
        other => panic!("r re-runs, got {other:?}"),
    }
    app.on_action(Action::SpeedDown, now);
    app.on_action(Action::SpeedDown, now);
    assert_eq!(app.chrome.next_speed, 0.5);
    // s opens the picker on the current scenario; Enter runs the highlighted one.
    app.on_action(Action::OpenPicker, now);
    let picker = app.chrome.picker.clone().unwrap();
    assert_eq!(
        picker.entries.len(),
        fanout::engine::scenario::BUILTINS.len()
    );
    app.on_action(Action::PickerMove(-1), now);
    let picked = app.on_action(Action::PickerChoose, now);
    assert_eq!(
        started(picked, "Enter runs the pick"),
        name(BUILTINS.len() - 2)
    );
    assert!(app.chrome.picker.is_none());
    // l opens the whole lesson, ? the help, any key closes them, and q quits.
    app.on_action(Action::Lesson, now);
    assert!(app.chrome.shows(OverlayKind::Lesson));
    app.on_action(Action::Close, now);
    app.on_action(Action::Help, now);
    assert!(app.chrome.shows(OverlayKind::Help));
    app.on_action(Action::Close, now);
    assert!(app.chrome.overlay.is_none());
    assert!(matches!(
        app.on_action(Action::Quit, now),
        Some(Command::Quit)
    ));
}

#[tokio::test(start_paused = true)]
async fn the_event_loop_runs_a_race_and_quits_on_q() {
    use ratatui::crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
    let mut app = live_app("latency-3x2s");
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let keys = tokio::spawn(async move {
        // Let the race finish (6 s of paused time), then quit.
        tokio::time::sleep(Duration::from_millis(6500)).await;
        tx.send(TermEvent::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )))
        .unwrap();
        tx
    });
    fanout::ui::run(&mut terminal, &mut app, rx).await.unwrap();
    drop(keys.await);
    let record = app
        .last_record
        .expect("the finished run is kept for the summary");
    assert_eq!(record.lanes[0].wall_ms, 6000.0);
    assert_eq!(record.lanes[1].wall_ms, 2000.0);
    let screen = text(&terminal);
    assert!(screen.contains("done 6.000 s · baseline"), "{screen}");
    assert!(screen.contains("done 2.000 s · 3.00×"), "{screen}");
}

#[tokio::test(start_paused = true)]
async fn e_exports_only_a_finished_run() {
    let mut app = live_app("latency-3x2s");
    let now = tokio::time::Instant::now();
    assert!(app.on_action(Action::Export, now).is_none());
    assert!(
        app.chrome
            .notice
            .as_deref()
            .unwrap()
            .contains("nothing to export yet")
    );
    let plan = builtin("latency-3x2s");
    let record = run(plan.clone(), &RunOptions::for_plan(&plan), None)
        .await
        .unwrap();
    app.run_finished(Ok(record.clone()), now);
    match app.on_action(Action::Export, now) {
        Some(Command::Export(r)) => assert_eq!(*r, record),
        other => panic!("e exports the finished run, got {other:?}"),
    }
    app.exported(Ok(("a.record.json".into(), "a.svg".into())));
    assert_eq!(
        app.chrome.notice.as_deref(),
        Some("exported a.record.json and a.svg")
    );
}

/// A built-in's finished run on the virtual clock (exact, and no real I/O needed), as the
/// screen shows it once the record is in.
fn virtual_model(name: &str, speed: f64) -> ViewModel {
    let plan = builtin(name);
    let mut opts = RunOptions::for_plan(&plan);
    opts.speed = speed;
    let record = fanout::engine::virtual_clock::run_virtual(&plan, &opts);
    ViewModel::from_record(&record, &plan)
}

#[test]
fn at_100x30_every_built_in_shows_every_call_the_headline_and_the_lesson() {
    for (name, _) in BUILTINS {
        let model = virtual_model(name, 4.0);
        let arr = view::arrangement(&model, &Chrome::default(), 100, 30)
            .unwrap_or_else(|| panic!("{name} does not fit 100x30"));
        let screen = text(&draw(&model, &Chrome::default(), 100, 30));
        let calls = model.calls.len();
        let lanes = model.lanes.len();
        if calls <= 10 && lanes <= 3 {
            assert!(
                arr.all,
                "{name}: every call of every lane at 100x30\n{screen}"
            );
        }
        if arr.all {
            assert!(!screen.contains(" calls, ↑/↓"), "{name}: {screen}");
        }
        if let Some(h) = &model.headline {
            let start: String = h.chars().take(40).collect();
            assert!(screen.contains(&start), "{name}: headline {h:?}\n{screen}");
        }
        if let Some(lesson) = &model.lesson {
            let lesson = model.lesson_text().unwrap_or_else(|| lesson.clone());
            let first: String = lesson
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(screen.contains(&first), "{name}: lesson\n{screen}");
        }
    }
}

#[test]
fn at_80x24_every_call_of_up_to_8_calls_under_2_lanes_is_in_view() {
    for (name, _) in BUILTINS {
        let model = virtual_model(name, 1.0);
        if model.calls.len() > 8 || model.lanes.len() > 2 {
            continue;
        }
        let arr = view::arrangement(&model, &Chrome::default(), 80, 24).unwrap();
        assert!(arr.all, "{name} at 80x24");
    }
}

#[test]
fn screens_of_the_lessons_built_ins() {
    for name in [
        "graham-anomaly",
        "staircase",
        "agent-loop",
        "fail-fast",
        "tail-latency",
    ] {
        let model = virtual_model(name, 1.0);
        for (w, h) in [(80, 24), (100, 30), (200, 50)] {
            let t = draw(&model, &Chrome::default(), w, h);
            insta::assert_snapshot!(format!("builtin_{name}_{w}x{h}"), t.backend());
        }
    }
    let model = virtual_model("staircase", 4.0);
    let overlay = |kind| Chrome {
        overlay: Some(Overlay { kind, scroll: 0 }),
        ..Chrome::default()
    };
    let lesson = draw(&model, &overlay(OverlayKind::Lesson), 80, 24);
    let screen = text(&lesson);
    assert!(screen.contains("lesson"), "{screen}");
    insta::assert_snapshot!("lesson_overlay_80x24", lesson.backend());
    insta::assert_snapshot!(
        "help_overlay_80x24",
        draw(&model, &overlay(OverlayKind::Help), 80, 24).backend()
    );
}

#[tokio::test(start_paused = true)]
async fn what_if_keys_re_predict_at_once_and_undo_steps_back() {
    let mut app = live_app("pool-of-3");
    let now = tokio::time::Instant::now();
    let plan = builtin("pool-of-3");
    let record = run(plan.clone(), &RunOptions::for_plan(&plan), None)
        .await
        .unwrap();
    app.run_finished(Ok(record), now);
    let pool = app
        .model
        .lanes
        .iter()
        .position(|l| l.label == "pool:3")
        .unwrap();
    for _ in 0..=pool {
        app.on_action(Action::SelectNext, now);
    }
    assert_eq!(app.chrome.selected, Some(pool));
    app.on_action(Action::Workers(1), now);
    assert!(app.model.what_if);
    assert_eq!(app.model.lanes[pool].label, "pool:4");
    assert_eq!(app.model.lanes[pool].wall_ms, Some(3000.0));
    let screen = text(&draw(&app.model, &app.chrome, 100, 30));
    assert!(screen.contains("pool:4 · what-if"), "{screen}");
    insta::assert_snapshot!(
        "what_if_pool_4_100x30",
        draw(&app.model, &app.chrome, 100, 30).backend()
    );
    // r runs the edited batch.
    match app.on_action(Action::Rerun, now) {
        Some(Command::Start(plan, opts)) => {
            assert!(opts.strategies.contains(&Pool(4)), "{opts:?}");
            assert_eq!(plan.calls.len(), 10);
        }
        other => panic!("r runs the edited batch, got {other:?}"),
    }
    app.on_action(Action::Undo, now);
    assert_eq!(app.model.lanes[pool].label, "pool:3");
    // A dependency that closes a cycle is refused, naming it; a latency doubles.
    app.on_action(Action::Cursor(0), now);
    app.on_action(Action::Latency(true), now);
    assert_eq!(app.model.lanes[0].wall_ms, Some(11_000.0));
    // The sweep chart of the batch on screen.
    app.on_action(Action::SweepChart, now);
    assert!(app.chrome.shows(OverlayKind::Sweep));
    let screen = text(&draw(&app.model, &app.chrome, 100, 30));
    assert!(screen.contains("workers sweep"), "{screen}");
    insta::assert_snapshot!(
        "sweep_chart_100x30",
        draw(&app.model, &app.chrome, 100, 30).backend()
    );
}

#[tokio::test(start_paused = true)]
async fn a_dependency_cycle_is_refused_and_named() {
    let mut app = live_app("fetch-then-post");
    let now = tokio::time::Instant::now();
    app.on_action(Action::SelectNext, now);
    // fetch depends on post, which depends on fetch: refused.
    app.on_action(Action::Deps, now);
    assert!(app.chrome.picker.is_some());
    app.on_action(Action::PickerChoose, now);
    let notice = app.chrome.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with("refused:") && notice.contains("cycle"),
        "{notice}"
    );
    assert!(app.whatif.as_ref().is_none_or(|w| !w.changed()));
}

#[tokio::test(start_paused = true)]
async fn the_tour_steps_through_cards_races_and_headlines_that_are_true() {
    use fanout::ui::tour::{Phase, STEPS};
    let mut app = App::tour(1.0, PLAIN).unwrap();
    let now = tokio::time::Instant::now();
    assert!(app.first_command().is_none(), "a tour starts on its card");
    let card = text(&draw(&app.model, &app.chrome, 100, 30));
    assert!(
        card.contains("step 1 of 10") && card.contains("The symptom"),
        "{card}"
    );
    insta::assert_snapshot!(
        "tour_card_100x30",
        draw(&app.model, &app.chrome, 100, 30).backend()
    );
    for (k, step) in STEPS.iter().enumerate() {
        let Some(Command::Start(plan, opts)) = app.on_action(Action::TourNext, now) else {
            panic!("space on a card runs step {k}");
        };
        assert_eq!(plan.scenario.name, builtin(step.scenario).scenario.name);
        assert_eq!(opts.speed, step.speed);
        app.run_started(&opts, now);
        let record = run(plan.clone(), &opts, None).await.unwrap();
        app.run_finished(Ok(record), now);
        let tour = app.chrome.tour.clone().unwrap();
        assert_eq!(tour.phase, Phase::Headline);
        let big = tour.results[k].clone().unwrap();
        match step.scenario {
            "fetch-then-post" => assert!(big.starts_with("no schedule can beat"), "{big}"),
            "fetch-5-urls" => {
                assert!(
                    big.starts_with("parallel 5.00× faster than sequential"),
                    "{big}"
                );
                insta::assert_snapshot!(
                    "tour_headline_100x30",
                    draw(&app.model, &app.chrome, 100, 30).backend()
                );
            }
            _ => {}
        }
        app.on_action(Action::TourNext, now);
    }
    assert_eq!(app.chrome.tour.as_ref().unwrap().phase, Phase::End);
    let summary = app.tour_summary().unwrap();
    assert_eq!(
        summary
            .lines()
            .filter(|l| l.contains("faster") || l.contains("no "))
            .count(),
        10,
        "{summary}"
    );
    assert!(matches!(
        app.on_action(Action::TourNext, now),
        Some(Command::Quit)
    ));
}

/// The `model` rows of a screen, one per lane, in lane order.
fn model_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.trim_start_matches('│').trim_start().starts_with("model"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(start_paused = true)]
async fn model_turns_are_drawn_as_their_own_bars_above_the_calls() {
    let plan = builtin("agent-research");
    let strategies = [Strategy::OnePerTurn, Strategy::TurnBatched, Parallel];
    // Folded from the live events, and read from the record: the same turns.
    let live = finished(&plan, &strategies).await;
    let replay = virtual_model("agent-research", 1.0);
    for (a, b) in live.lanes.iter().zip(&replay.lanes) {
        assert_eq!(a.turns, b.turns, "{}", a.label);
    }
    assert_eq!(live.lanes[0].turns.len(), 6);
    assert_eq!(live.lanes[1].turns, [(0.0, 1_500.0), (6_500.0, 8_000.0)]);
    assert!(live.lanes[2].turns.is_empty());
    for model in [&live, &replay] {
        let screen = text(&draw(model, &Chrome::default(), 100, 30));
        // Parallel counts no turns and spends no row on them: only the turn lanes have one.
        let rows = model_rows(&screen);
        assert_eq!(rows.len(), 2, "{screen}");
        let marks: Vec<usize> = rows.iter().map(|r| r.matches('▒').count()).collect();
        assert!(marks[0] > marks[1] && marks[1] > 0, "{marks:?}\n{screen}");
        let parallel = screen.split("├ parallel").nth(1).expect("a parallel lane");
        assert!(model_rows(parallel).is_empty(), "{screen}");
        // Every call is still in view, under its lane's model row.
        for id in ["fetch_1", "fetch_5"] {
            assert_eq!(screen.matches(id).count(), 3, "{id}\n{screen}");
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_what_if_change_waits_for_the_run_to_finish() {
    let (mut app, now) = started_app("pool-of-3");
    app.on_action(Action::SelectNext, now);
    app.on_action(Action::SelectNext, now);
    app.on_action(Action::Workers(1), now);
    assert!(!app.model.what_if, "no prediction over a running race");
    assert!(app.whatif.is_none());
    assert!(
        app.chrome
            .notice
            .as_deref()
            .unwrap_or_default()
            .contains("still going"),
        "{:?}",
        app.chrome.notice
    );
}
