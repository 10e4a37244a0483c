//! `fanout sweep`: pool:N for every N in a range, and the knee.

use std::sync::Arc;

use fanout::engine::options::Clock;
use fanout::engine::virtual_clock::predicted_walls;
use fanout::engine::{Mode, Plan, RunOptions, Strategy};
use fanout::report::sweep;

use super::{Failure, local_server, print, print_raw, runtime};
use crate::cli::{SweepArgs, SweepFormat};

pub fn sweep(args: SweepArgs) -> Result<(), Failure> {
    let plan = Arc::new(Plan::load(&args.scenario)?);
    let (a, b) = args.workers;
    let rt = match args.clock {
        Clock::Real => Some(runtime()?),
        Clock::Virtual => None,
    };
    let server = match &rt {
        Some(rt) if plan.uses_local() => Some(local_server(rt)?),
        _ => None,
    };
    let local = server.as_ref().map(|s| s.base_url());
    let mut failure = None;
    let wall = |s: Strategy| match &rt {
        None => predicted_walls(&plan, &[s], args.speed)[0],
        Some(rt) => {
            let opts = RunOptions {
                strategies: vec![s],
                speed: args.speed,
                mode: Mode::Race,
                local: local.clone(),
            };
            match rt.block_on(fanout::engine::run(plan.clone(), &opts, None)) {
                Ok(r) => r.lanes[0].wall_ms,
                Err(e) => {
                    failure.get_or_insert(e.to_string());
                    0.0
                }
            }
        }
    };
    let clock = match args.clock {
        Clock::Real => "real",
        Clock::Virtual => "virtual",
    };
    let result = sweep::sweep(
        &plan.scenario.name,
        clock,
        args.speed,
        a..=b,
        &args.strategy,
        wall,
    );
    drop(server);
    if let Some(e) = failure {
        return Err(Failure::Internal(e));
    }
    match args.format {
        SweepFormat::Table => print(&sweep::table(&result)),
        SweepFormat::Csv => print(&sweep::csv(&result)),
        // JSON and SVG escape their own text (a `\u{..}` would make JSON invalid).
        SweepFormat::Json => print_raw(&sweep::json(&result)),
        SweepFormat::Svg => print_raw(&sweep::svg(&result)),
    }
}
