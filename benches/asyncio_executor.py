#!/usr/bin/env python3
"""A plain Python asyncio executor for fanout scenario files, for a side-by-side with fanout.

It reads the same scenario JSON (only calls with `latency_ms`, and `depends_on`) and runs every
call as `asyncio.sleep(latency_ms / 1000 / speed)` under one of:

  sequential  one call at a time, in topological order (file order among ready calls)
  gather      `asyncio.gather` of every call at once (batches without dependencies only)
  levels      level by level: each level gathered, the next starts when it is all done
              (fanout's `waves`)
  eager       one task per call that awaits its dependencies' tasks, then sleeps
              (fanout's `parallel`)

It is what an agent framework would write by hand: relative sleeps, no deadline bookkeeping.
Each run's wall is measured inside the event loop, from just before the first call to just after
the last, with `time.perf_counter`; the ideal is what an exact clock would give (sum, critical
path, or the sum of each level's slowest call). Prints one line per run and a summary; with
`--json`, the summary as JSON on stdout.

    python3 benches/asyncio_executor.py scenarios/staircase.json --strategy levels --speed 10 --runs 5

Standard library only (Python 3.8+).
"""

import argparse
import asyncio
import heapq
import json
import statistics
import sys
import time


def load(path):
    with open(path, encoding="utf-8") as f:
        scenario = json.load(f)
    calls = scenario["calls"]
    ids = [c["id"] for c in calls]
    index = {cid: i for i, cid in enumerate(ids)}
    latency = []
    deps = []
    for c in calls:
        if "latency_ms" not in c:
            sys.exit(f"error: call `{c['id']}` has no latency_ms; only simulated calls are supported")
        latency.append(float(c["latency_ms"]))
        deps.append([index[d] for d in c.get("depends_on", [])])
    return scenario.get("name", path), ids, latency, deps


def topo_order(deps):
    """Topological order, stable by file order (the first ready call in the file goes next)."""
    n = len(deps)
    succ = [[] for _ in range(n)]
    waiting = [len(d) for d in deps]
    for i, ds in enumerate(deps):
        for d in ds:
            succ[d].append(i)
    ready = [i for i in range(n) if waiting[i] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for s in succ[i]:
            waiting[s] -= 1
            if waiting[s] == 0:
                heapq.heappush(ready, s)
    return order


def levels_of(deps):
    order = topo_order(deps)
    level = [0] * len(deps)
    for i in order:
        level[i] = max((level[d] + 1 for d in deps[i]), default=0)
    out = [[] for _ in range(max(level, default=-1) + 1)]
    for i in range(len(deps)):
        out[level[i]].append(i)
    return out


def ideal_ms(strategy, latency, deps):
    if strategy == "sequential":
        return sum(latency)
    if strategy == "levels":
        return sum(max(latency[i] for i in lvl) for lvl in levels_of(deps))
    # gather and eager: the critical path
    finish = [0.0] * len(deps)
    for i in topo_order(deps):
        finish[i] = max((finish[d] for d in deps[i]), default=0.0) + latency[i]
    return max(finish, default=0.0)


async def run_sequential(secs, deps):
    for i in topo_order(deps):
        await asyncio.sleep(secs[i])


async def run_gather(secs, deps):
    if any(deps):
        sys.exit("error: gather runs batches without dependencies; use levels or eager")
    await asyncio.gather(*(asyncio.sleep(s) for s in secs))


async def run_levels(secs, deps):
    for lvl in levels_of(deps):
        await asyncio.gather(*(asyncio.sleep(secs[i]) for i in lvl))


async def run_eager(secs, deps):
    tasks = {}

    async def call(i):
        if deps[i]:
            await asyncio.gather(*(tasks[d] for d in deps[i]))
        await asyncio.sleep(secs[i])

    # Every task exists before any runs, so a call can await a dependency later in the file.
    for i in range(len(secs)):
        tasks[i] = asyncio.ensure_future(call(i))
    await asyncio.gather(*tasks.values())


RUNNERS = {
    "sequential": run_sequential,
    "gather": run_gather,
    "levels": run_levels,
    "eager": run_eager,
}


async def timed(runner, secs, deps):
    t0 = time.perf_counter()
    await runner(secs, deps)
    return (time.perf_counter() - t0) * 1000.0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("scenario")
    p.add_argument("--strategy", choices=sorted(RUNNERS), default="eager")
    p.add_argument("--speed", type=float, default=1.0, help="divide latencies by this")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    a = p.parse_args()

    name, ids, latency, deps = load(a.scenario)
    latency = [ms / a.speed for ms in latency]
    secs = [ms / 1000.0 for ms in latency]
    ideal = ideal_ms(a.strategy, latency, deps)
    walls = [asyncio.run(timed(RUNNERS[a.strategy], secs, deps)) for _ in range(a.runs)]
    ratios = [w / ideal for w in walls] if ideal > 0 else [1.0 for _ in walls]
    for k, (w, r) in enumerate(zip(walls, ratios), 1):
        print(f"run {k}: wall {w:.3f} ms · ideal {ideal:.3f} ms · ratio {r:.4f}", file=sys.stderr)
    summary = {
        "scenario": name,
        "calls": len(ids),
        "strategy": a.strategy,
        "speed": a.speed,
        "python": sys.version.split()[0],
        "ideal_ms": ideal,
        "walls_ms": walls,
        "mean_wall_ms": statistics.fmean(walls),
        "mean_ratio": statistics.fmean(ratios),
        "max_ratio": max(ratios),
        "mean_overhead": statistics.fmean(ratios) - 1.0,
    }
    if a.json:
        print(json.dumps(summary))
    else:
        print(
            f"{a.strategy}: mean wall {summary['mean_wall_ms']:.3f} ms · ideal {ideal:.3f} ms · "
            f"wall ÷ ideal mean {summary['mean_ratio']:.4f}, max {summary['max_ratio']:.4f}"
        )


if __name__ == "__main__":
    main()
