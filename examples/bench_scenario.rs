//! Generated scenarios for BENCHMARKS.md, and the engine alone on one of them.
//!
//! ```sh
//! # a scenario file: N calls, each depending on K random earlier calls within the last W
//! cargo run --release --example bench_scenario -- gen OUT.json --calls 100000 --deps 3 \
//!     --window 1000 --latency uniform:1:1000 --strategies sequential,parallel,waves,pool:8
//! # the engine alone: load + plan + run_virtual of the four lanes, with times and peak RSS
//! cargo run --release --example bench_scenario -- engine OUT.json
//! ```
//!
//! `--latency` is `zero`, `fixed:MS` or `uniform:LO:HI`; `--seed` changes the graph.

#[path = "../benches/common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use common::{FOUR, Latency, Shape, peak_rss_mib, strategy};
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{Mode, Plan, RunOptions};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("gen") => generate(&args[1..]),
        Some("engine") => engine(&args[1..]),
        _ => Err(
            "usage: bench_scenario gen OUT [--calls N] [--deps K] [--window W] \
                  [--latency zero|fixed:MS|uniform:LO:HI] [--strategies LIST] [--seed S]\n       \
                  bench_scenario engine FILE"
                .into(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn generate(args: &[String]) -> Result<(), String> {
    let out = args.first().ok_or("gen needs an output path")?;
    let mut shape = Shape::dag(100_000, Latency::Uniform(1, 1000));
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or(format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|_| format!("{flag} {value}?"));
        match flag.as_str() {
            "--calls" => shape.calls = number()? as usize,
            "--deps" => shape.deps = number()? as usize,
            "--window" => shape.window = number()? as usize,
            "--seed" => shape.seed = number()?,
            "--latency" => {
                shape.latency = Latency::parse(value).ok_or(format!("--latency {value}?"))?
            }
            "--strategies" => shape.strategies = value.split(',').map(String::from).collect(),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    std::fs::write(out, shape.json()).map_err(|e| format!("{out}: {e}"))?;
    eprintln!(
        "{out}: {} calls, {} edges, latency {:?}",
        shape.calls,
        shape.edges(),
        shape.latency
    );
    Ok(())
}

fn engine(args: &[String]) -> Result<(), String> {
    let file = args.first().ok_or("engine needs a scenario file")?;
    let t = Instant::now();
    let source = fanout::engine::scenario::resolve(file).map_err(|e| e.to_string())?;
    let read = t.elapsed();
    let t = Instant::now();
    let plan = Arc::new(Plan::from_source(&source).map_err(|e| e.to_string())?);
    let planned = t.elapsed();
    let edges = plan.deps.entries();
    let opts = RunOptions {
        strategies: FOUR.iter().map(|s| strategy(s)).collect(),
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    let t = Instant::now();
    let record = run_virtual(&plan, &opts);
    let ran = t.elapsed();
    println!("calls {} · edges {edges}", plan.calls.len());
    println!("read            {:>8.1} ms", read.as_secs_f64() * 1e3);
    println!("parse + plan    {:>8.1} ms", planned.as_secs_f64() * 1e3);
    println!("run_virtual ×4  {:>8.1} ms", ran.as_secs_f64() * 1e3);
    println!(
        "total           {:>8.1} ms",
        (read + planned + ran).as_secs_f64() * 1e3
    );
    for lane in &record.lanes {
        println!("  {:<12} wall {:>14.1} ms", lane.strategy, lane.wall_ms);
    }
    match peak_rss_mib() {
        Some(mib) => println!("peak RSS        {mib:>8.1} MiB"),
        None => println!("peak RSS        unknown (no /proc/self/status)"),
    }
    Ok(())
}
