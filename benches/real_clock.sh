#!/usr/bin/env bash
# The measurements of BENCHMARKS.md that need the fanout binary, a terminal or Python rather
# than divan: peak memory, real-clock fidelity, the TUI against headless, and Python asyncio.
#
#   bash benches/real_clock.sh [memory|million|fidelity|loaded|tui|asyncio|all]   (default: all)
#
# Builds the release binary and examples/bench_scenario.rs, generates the scenarios into
# $OUT (default: a fresh temp dir) and prints one summary line per figure. Needs jq and
# python3; `tui` needs tmux (it runs on a tmux server of its own, socket fanout-bench).
# `loaded` repeats `fidelity` with three busy loops beside it; `million` is `memory` at 1M calls /
# 3M edges (about 1 minute and 3 GB). Neither is part of `all`.
# Takes about 2 minutes for `all`.
set -euo pipefail

cd "$(dirname "$0")/.."
what=${1:-all}
OUT=${OUT:-$(mktemp -d)}
RUNS=${RUNS:-5}
cargo build --release --quiet --bin fanout --example bench_scenario
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
F=$TARGET/release/fanout
GEN="$TARGET/release/examples/bench_scenario"
mkdir -p "$OUT"
echo "scenarios and records in $OUT"

want() { [[ $what == all || $what == "$1" ]]; }

# wall ÷ a lane's bound over every run of a record: "mean max" (runs[] with --runs N, else lanes).
ratio() { # RECORD LANE FIELD
    jq -r --arg lane "$2" --arg f "$3" '
        [ (if (.runs | length) > 0 then .runs[] else .lanes end)[]
          | select(.strategy == $lane) | .wall_ms / .[$f] ]
        | "mean \(add / length * 10000 | round / 10000) max \(max * 10000 | round / 10000) (n=\(length))"' "$1"
}

# Calls recorded shorter than their latency (by more than the timer's 0.05 ms), over every run.
short() { # RECORD
    jq -r '.speed as $sp | (.draws // {}) as $d
        | ([.scenario.calls[] | {key: .id, value: (($d[.id] // .latency_ms) / $sp)}] | from_entries) as $lat
        | [ (if (.runs | length) > 0 then .runs[] else .lanes end)[] | .calls[]
            | select(.status == "ok") | (.end_ms - .start_ms) - $lat[.id] ]
        | "\(map(select(. < -0.05)) | length) of \(length) calls shorter than their latency; span - latency min \(min * 1000 | round / 1000) ms, max \(max * 1000 | round / 1000) ms"' "$1"
}

# CPU time (user + sys, from getrusage: microseconds, where GNU time shows only 10 ms) and
# elapsed time of a command.
cpu() { # COMMAND...
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
# What this process's children used before (a pyenv shim's, carried over its exec) is not ours.
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
e = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
user, system = r.ru_utime - r0.ru_utime, r.ru_stime - r0.ru_stime
print(f"user {user * 1000:.1f} ms + sys {system * 1000:.1f} ms over {e:.2f} s elapsed "
      f"({(user + system) / e * 100:.2f} % of a core)")
PY
}

# Ticks (1/100 s) the hypervisor gave this VM's vCPUs to others (steal, /proc/stat), so far.
steal() { awk '/^cpu /{print $9}' /proc/stat; }

fidelity() {
    "$GEN" gen "$OUT/par1000x100.json" --calls 1000 --deps 0 --latency fixed:100 --strategies parallel
    "$GEN" gen "$OUT/seq100x20.json" --calls 100 --deps 0 --latency fixed:20 --strategies sequential
    # The issue's loaded case: 60 seeded lognormal draws, median 20 ms, run one after another.
    jq -n '{name: "lognormal-60", seed: 7, strategies: ["sequential"],
        calls: [range(60) | {id: "c\(.)", latency: {dist: "lognormal", median_ms: 20, p99_ms: 100}}]}' \
        >"$OUT/lognormal60.json"
    s0=$(steal)
    "$F" run "$OUT/par1000x100.json" --headless --runs "$RUNS" --record "$OUT/fid_par.json" >/dev/null
    fid_par_steal=$(($(steal) - s0))
    s0=$(steal)
    "$F" run "$OUT/seq100x20.json" --headless --runs "$RUNS" --record "$OUT/fid_seq.json" >/dev/null
    fid_seq_steal=$(($(steal) - s0))
    s0=$(steal)
    "$F" run "$OUT/lognormal60.json" --headless --runs "$RUNS" --record "$OUT/fid_logn.json" >/dev/null
    fid_logn_steal=$(($(steal) - s0))
    echo "== parallel, 1,000 × 100 ms: wall ÷ critical path (target ≤ 1.01): $(ratio "$OUT/fid_par.json" parallel lower_bound_ms)"
    echo "   $(short "$OUT/fid_par.json"); steal $fid_par_steal ticks"
    echo "== sequential, 100 × 20 ms: wall ÷ sum (target ≤ 1.01): $(ratio "$OUT/fid_seq.json" sequential lower_bound_ms)"
    echo "   $(short "$OUT/fid_seq.json"); steal $fid_seq_steal ticks"
    echo "== sequential, 60 lognormal draws (median 20 ms): wall ÷ predicted: $(ratio "$OUT/fid_logn.json" sequential predicted_ms)"
    echo "   $(short "$OUT/fid_logn.json"); steal $fid_logn_steal ticks"
    echo "== CPU of one run: sequential 100 × 20 ms: $(cpu "$F" run "$OUT/seq100x20.json" --headless)"
    echo "   parallel 1,000 × 100 ms: $(cpu "$F" run "$OUT/par1000x100.json" --headless)"
    echo "   sequential + parallel, 10 × 1 s (mostly waiting): $(cpu "$F" run latency-10x1s --headless)"
}

if want memory || [[ $what == million ]]; then
    calls=100000
    # At 1M calls the scenario is 86 MiB, over the 64 MiB an input may be by default.
    [[ $what == million ]] && calls=1000000 && export FANOUT_MAX_INPUT_BYTES=4000000000
    "$GEN" gen "$OUT/e2e.json" --calls "$calls" --deps 3 --window 1000 --latency uniform:1:1000 \
        --strategies sequential,parallel,waves,pool:8
    echo "== engine alone: examples/bench_scenario.rs engine (3 runs)"
    for _ in 1 2 3; do "$GEN" engine "$OUT/e2e.json" | grep -E "total|peak"; done
    echo "== the CLI: fanout run e2e.json --clock virtual --headless (3 runs)"
    for _ in 1 2 3; do
        /usr/bin/time -v "$F" run "$OUT/e2e.json" --clock virtual --headless \
            >/dev/null 2>"$OUT/time.txt"
        grep -E "Elapsed|User time|System time|Maximum resident" "$OUT/time.txt" | tr -s ' \t' ' ' | paste -sd ';'
    done
fi

if want fidelity; then
    fidelity
fi

if [[ $what == loaded ]]; then
    busy=()
    for _ in 1 2 3; do
        (while :; do :; done) &
        busy+=($!)
    done
    trap 'kill "${busy[@]}" 2>/dev/null' EXIT
    echo "== with three busy loops beside it (pids ${busy[*]})"
    fidelity
    kill "${busy[@]}"
    trap - EXIT
fi

if want tui; then
    "$GEN" gen "$OUT/ui1000.json" --calls 1000 --deps 3 --window 1000 --latency uniform:50:500 \
        --strategies parallel,waves,pool:8
    longest=$("$F" run "$OUT/ui1000.json" --clock virtual --speed 10 --json 2>/dev/null |
        jq '[.lanes[].predicted_ms] | max / 1000 | ceil')
    T=(tmux -L fanout-bench)
    for k in 1 2 3; do
        "$F" run "$OUT/ui1000.json" --speed 10 --headless --record "$OUT/headless_$k.json" \
            >/dev/null 2>&1
        rm -f "$OUT/tui_$k.json"
        "${T[@]}" new-session -d -s bench -x 200 -y 60 \
            "$F run $OUT/ui1000.json --speed 10 --record $OUT/tui_$k.json"
        sleep $((longest + 2))
        "${T[@]}" send-keys -t bench q
        for _ in $(seq 50); do [[ -s $OUT/tui_$k.json ]] && break; sleep 0.1; done
        sleep 0.5
        "${T[@]}" kill-session -t bench 2>/dev/null || true
    done
    "${T[@]}" kill-server 2>/dev/null || true
    for lane in parallel waves pool:8; do
        h=$(jq -s --arg l "$lane" '[.[].lanes[] | select(.strategy == $l) | .wall_ms / .predicted_ms]' "$OUT"/headless_*.json)
        t=$(jq -s --arg l "$lane" '[.[].lanes[] | select(.strategy == $l) | .wall_ms / .predicted_ms]' "$OUT"/tui_*.json)
        echo "== $lane wall ÷ predicted, headless $(jq -c 'map(. * 10000 | round / 10000)' <<<"$h") · TUI $(jq -c 'map(. * 10000 | round / 10000)' <<<"$t")"
    done
fi

if want asyncio; then
    "$GEN" gen "$OUT/par1000x100.json" --calls 1000 --deps 0 --latency fixed:100 --strategies parallel
    py() { python3 benches/asyncio_executor.py "$@" --runs "$RUNS" --json 2>/dev/null |
        jq -r '"mean wall \(.mean_wall_ms * 1000 | round / 1000) ms · ideal \(.ideal_ms) ms · overhead mean \(.mean_overhead * 10000 | round / 100) % · max \((.max_ratio - 1) * 10000 | round / 100) %"'; }
    fan() { # SCENARIO STRATEGY SPEED
        "$F" run "$1" --strategies "$2" --speed "$3" --headless --runs "$RUNS" \
            --record "$OUT/fan.json" >/dev/null 2>&1
        jq -r --arg l "$2" '[.runs[][] | select(.strategy == $l)] |
            (map(.wall_ms) | add / length) as $w | (map(.wall_ms / .predicted_ms) | add / length) as $r |
            (map(.wall_ms / .predicted_ms) | max) as $m |
            "mean wall \($w * 1000 | round / 1000) ms · ideal \(.[0].predicted_ms) ms · overhead mean \(($r - 1) * 10000 | round / 100) % · max \(($m - 1) * 10000 | round / 100) %"' "$OUT/fan.json"
    }
    for pair in "scenarios/fetch-5-urls.json sequential sequential 10" \
        "scenarios/fetch-5-urls.json parallel gather 10" \
        "$OUT/par1000x100.json parallel gather 1" \
        "scenarios/staircase.json sequential sequential 10" \
        "scenarios/staircase.json waves levels 10" \
        "scenarios/staircase.json parallel eager 10"; do
        read -r file lane pystrat speed <<<"$pair"
        echo "== $(basename "$file") at speed $speed"
        echo "   fanout $lane: $(fan "$file" "$lane" "$speed")"
        echo "   asyncio $pystrat: $(py "$file" --strategy "$pystrat" --speed "$speed")"
    done
fi
