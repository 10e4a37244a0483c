//! End to end, as a person sees it: the real binary in a real terminal (tmux), read off the
//! screen, quit with `q` (or ended by a signal), and the terminal checked to be back to normal.
//!
//! Needs tmux. CI installs it; elsewhere, without tmux, the test prints a SKIPPED line that the
//! harness does not capture, and passes.

#[path = "common/skip.rs"]
mod skip;
#[path = "common/tmux.rs"]
mod tmux;

use std::process::Command;

use tmux::Tmux;

#[test]
fn the_race_runs_live_and_q_leaves_a_clean_terminal() {
    let bin = env!("CARGO_BIN_EXE_fanout");
    // After fanout exits, the shell reports its exit code, whether the alternate screen is
    // still on, and the tty mode, so the test can see the terminal was restored.
    let script = format!(
        "{bin} run fetch-5-urls --speed 10; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 30"
    );
    let Some(tmux) = Tmux::launch("e2e", "e2e", &script) else {
        return;
    };

    // Mid-run: both lanes, bars, and the sequential lane still running.
    let screen = tmux.wait_for("running", 10);
    for text in [
        "sequential",
        "parallel",
        "fanout · Fetch 5 URLs for research",
    ] {
        assert!(screen.contains(text), "{text}: {screen}");
    }

    // The race ends at about 2.5 s: the parallel lane about 5× faster.
    let screen = tmux.wait_for("faster than sequential", 15);
    for text in ["done 2.5", "· baseline", "█"] {
        assert!(screen.contains(text), "{text}: {screen}");
    }
    // The parallel lane's wall, read off its title: never under the 500 ms its calls take (a
    // record is what happened); how far over is the machine's business, not this test's.
    let parallel_ms = off_parallel_title(&screen, |l| {
        Some(l.split("done ").nth(1)?.split(" ms").next()?.trim())
    })
    .unwrap_or_else(|| panic!("no parallel wall in ms: {screen}"));
    assert!(parallel_ms >= 500.0, "{screen}");
    // Its speedup is the sequential wall over its own, both as the screen prints them.
    let sequential_s: f64 = screen
        .lines()
        .find(|l| l.contains("┌ sequential"))
        .and_then(|l| {
            l.split("done ")
                .nth(1)?
                .split(" s")
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no sequential wall in s: {screen}"));
    assert!(sequential_s >= 2.5, "{screen}");
    let speedup = off_parallel_title(&screen, |l| l.split(" · ").nth(1)?.trim().strip_suffix('×'))
        .unwrap_or_else(|| panic!("no speedup on the parallel lane: {screen}"));
    let expected = sequential_s * 1000.0 / parallel_ms;
    assert!(
        (speedup - expected).abs() <= 0.01 + expected * 0.001,
        "{speedup} vs {expected}: {screen}"
    );
    assert_eq!(
        tmux.cmd(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "1"
    );

    // The help overlay opens and closes.
    let screen = tmux.press_for(&["?"], "key closes", 5);
    assert!(screen.contains("key closes"), "{screen}");
    tmux.press(&["x"]);
    let screen = tmux.wait_for_gone("key closes", 5);
    assert!(!screen.contains("key closes"), "{screen}");

    // q quits: the alternate screen is gone, the summary stays, the tty is cooked again.
    let screen = tmux.press_for(&["q"], "EXIT=", 5);
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        screen.contains("parallel ran"),
        "the summary is printed: {screen}"
    );
    let tty = tmux.wait_for("icanon", 5);
    assert!(tty.contains("icanon echo"), "terminal restored: {tty}");
    assert!(!tty.contains("-icanon"), "{tty}");
    assert_eq!(
        tmux.cmd(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "0"
    );
}

/// A number off the parallel lane's title line, which `field` cuts out.
fn off_parallel_title(screen: &str, field: impl Fn(&str) -> Option<&str>) -> Option<f64> {
    let line = screen.lines().find(|l| l.contains("├ parallel"))?;
    field(line)?.parse().ok()
}

/// `pool-of-3` at speed 20 in a session of its own (`tag` names its socket), and its screen once
/// the race is over; `None` after a loud skip without tmux.
fn finished_pool_of_3(tag: &str) -> Option<(Tmux, String)> {
    let bin = env!("CARGO_BIN_EXE_fanout");
    let tmux = Tmux::launch(
        &format!("e2e-{tag}"),
        "e2e",
        &format!("{bin} run pool-of-3 --speed 20; sleep 30"),
    )?;
    let screen = tmux.wait_for("faster than sequential", 15);
    Some((tmux, screen))
}

#[test]
fn at_100x30_every_call_of_a_ten_call_three_lane_race_is_on_screen() {
    let Some((tmux, screen)) = finished_pool_of_3("ids") else {
        return;
    };
    // Finished, without touching a key: the headline, the lesson and every call of every lane.
    assert!(screen.contains("faster than sequential"), "{screen}");
    for lane in ["sequential", "pool:3", "parallel"] {
        assert!(screen.contains(lane), "{lane}: {screen}");
    }
    // Two calls a row here: `call_01/02` (the second id without the prefix they share), each
    // `*` on the critical path. Every call of every lane is named.
    let plain = screen.replace('*', "");
    for i in (1..=10).step_by(2) {
        let row = format!("call_{i:02}/{:02}", i + 1);
        assert_eq!(
            plain.matches(&row).count(),
            3,
            "{row} in every lane: {screen}"
        );
    }
    assert!(!screen.contains(" of 10 calls"), "nothing is cut: {screen}");
    assert!(screen.contains("pool"), "{screen}");
    tmux.press(&["q"]);
}

#[test]
fn raising_a_pool_with_the_bracket_key_shows_the_new_prediction() {
    let Some((tmux, screen)) = finished_pool_of_3("whatif") else {
        return;
    };
    assert!(screen.contains("pool:3"), "{screen}");
    // Tab twice selects the pool lane (the second); ] gives it a fourth worker.
    let screen = tmux.press_for(&["Tab", "Tab", "]"], "pool:4 · what-if", 5);
    assert!(screen.contains("pool:4 · what-if"), "{screen}");
    // Ten 1 s calls at speed 20 through 4 workers: 3 rounds, 150 ms, predicted exactly.
    assert!(screen.contains("done 150.0 ms"), "{screen}");
    let screen = tmux.press_for(&["u"], "pool:3 · what-if", 5);
    assert!(screen.contains("done 200.0 ms"), "{screen}");
    tmux.press(&["q"]);
}

/// Starts the live view of `fetch-5-urls` in a tmux session `e2e`, with the shell reporting the
/// exit code and the tty mode afterwards; returns fanout's pid once the race is on screen.
fn start_live(tmux: &Tmux, pid_file: &std::path::Path) -> i32 {
    let bin = env!("CARGO_BIN_EXE_fanout");
    // The inner shell writes its pid and becomes fanout (exec), so the pid is fanout's.
    let script = format!(
        "sh -c 'echo $$ > {pid}; exec {bin} run fetch-5-urls --speed 0.5'; echo EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '; echo; sleep 30",
        pid = pid_file.display()
    );
    tmux.start(&script);
    let screen = tmux.wait_for("running", 10);
    assert!(screen.contains("sequential"), "{screen}");
    assert_eq!(
        tmux.cmd(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "1"
    );
    std::fs::read_to_string(pid_file)
        .expect("the pid file")
        .trim()
        .parse()
        .expect("a pid")
}

#[test]
fn a_signal_restores_the_terminal_and_exits_as_a_shell_expects() {
    if !Tmux::available("e2e-signals") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129), ("QUIT", 131)] {
        let tmux = Tmux::new(
            format!("fanout-e2e-sig{signal}-{}", std::process::id()),
            "e2e",
        );
        let pid_file = dir.path().join(format!("{signal}.pid"));
        let pid = start_live(&tmux, &pid_file);
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let screen = tmux.wait_for("EXIT=", 5);
        assert!(
            screen.contains(&format!("EXIT={code}")),
            "SIG{signal}: {screen}"
        );
        let tty = tmux.wait_for("icanon", 5);
        assert!(
            tty.contains("icanon echo"),
            "SIG{signal}: terminal restored: {tty}"
        );
        assert!(!tty.contains("-icanon") && !tty.contains("-echo"), "{tty}");
        assert_eq!(
            tmux.cmd(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
                .trim(),
            "0",
            "SIG{signal}: the alternate screen is left"
        );
        assert_eq!(
            tmux.cmd(&["display", "-p", "-t", "e2e", "#{cursor_flag}"])
                .trim(),
            "1",
            "SIG{signal}: the cursor is shown"
        );
    }
}
