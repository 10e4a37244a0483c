//! `fanout run` (and bare `fanout`): the live race, or a headless one repeated `--runs` times.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use fanout::engine::effects::Effect;
use fanout::engine::options::Clock;
use fanout::engine::units::fmt_num;
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{Mode, Plan, Record, RunOptions, Strategy};
use fanout::report;
use fanout::text::{escape_control as esc, escape_output};
use fanout::ui::{self, app::App, theme::Theme};

use super::{
    Failure, Runtime, headless_text, lanes, left_to_exit, local_server, print, print_json, runtime,
    show, tui, write_record,
};
use crate::cli::RunArgs;
use fanout::engine::input::refuse_overwriting;

pub fn run(args: RunArgs) -> Result<(), Failure> {
    let plan = Arc::new(Plan::load(&args.scenario)?);
    if let Some(path) = &args.record {
        refuse_overwriting(path, "record", &run_inputs(&args.scenario, &plan))?;
    }
    let asked = args.strategies.is_some();
    let mut opts = RunOptions {
        strategies: lanes(args.strategies.clone(), &plan),
        speed: args.speed,
        mode: mode(&args, &plan),
        local: None,
    };
    plan.check_strategies(&opts.strategies)?;
    let rt = runtime()?;
    let interactive =
        !args.headless && !args.json && args.runs == 1 && std::io::stdout().is_terminal();
    if args.clock == Clock::Virtual {
        let mut record = run_virtual(&plan, &opts);
        // Each virtual lane is simulated on its own, so the mode asked for is what it shows.
        record.mode = opts.mode;
        let done = finish_run(&record, &plan, &args, interactive);
        left_to_exit((record, plan));
        return done;
    }
    // `{local}` URLs go to fanout's own server, started here on a free loopback port. The TUI
    // always has one, since the user may switch to a scenario that needs it.
    let server = if interactive || plan.uses_local() {
        let server = local_server(&rt)?;
        opts.local = Some(server.base_url());
        Some(server)
    } else {
        None
    };
    if interactive {
        let asked = asked.then(|| opts.strategies.clone());
        let forced = if args.one_at_a_time {
            Some(Mode::OneAtATime)
        } else {
            args.race.then_some(Mode::Race)
        };
        let last = live(rt, plan.clone(), &opts, asked, forced, &args.scenario)?;
        drop(server);
        if let (Some(record), Some(path)) = (&last, &args.record) {
            write_record(record, path, &run_inputs(&args.scenario, &plan))?;
        }
        if let Some(record) = last {
            print(&report::table(&record))?;
        }
        return Ok(());
    }
    let names: Vec<String> = opts.strategies.iter().map(|s| s.to_string()).collect();
    // Only a scenario's own mode is announced: the user who typed a flag knows it.
    let how = match (opts.mode, args.one_at_a_time) {
        (Mode::OneAtATime, false) => {
            ", lanes one at a time (the scenario's \"mode\"; --race races them)"
        }
        _ => "",
    };
    eprintln!(
        "running {} ({} calls) under {} at speed {}×{how} …",
        esc(&plan.label),
        plan.calls.len(),
        names.join(", "),
        fmt_num(opts.speed)
    );
    let mut runs = Vec::new();
    for k in 1..=args.runs {
        if args.runs > 1 {
            eprintln!("run {k}/{} …", args.runs);
        }
        let this = rt
            .block_on(fanout::engine::run(plan.clone(), &opts, None))
            .map_err(|e| Failure::Internal(e.to_string()))?;
        runs.push(this);
    }
    drop(server);
    drop(rt);
    let record = report::runs::gather(runs).expect("at least one run");
    let done = finish_run(&record, &plan, &args, false);
    left_to_exit((record, plan));
    done
}

/// How the lanes run: `--one-at-a-time` or `--race` when given, else the scenario's `"mode"`,
/// else raced.
fn mode(args: &RunArgs, plan: &Plan) -> Mode {
    if args.one_at_a_time {
        Mode::OneAtATime
    } else if args.race {
        Mode::Race
    } else {
        plan.mode.unwrap_or(Mode::Race)
    }
}

/// Writes the record if asked, then shows it: as a replay in the live view, as JSON, or as the
/// final frame and table.
fn finish_run(
    record: &Record,
    plan: &Arc<Plan>,
    args: &RunArgs,
    interactive: bool,
) -> Result<(), Failure> {
    if let Some(path) = &args.record {
        write_record(record, path, &run_inputs(&args.scenario, plan))?;
    }
    if interactive {
        return show(
            record,
            App::replay(record, plan.clone(), 1.0, Theme::from_env()),
        );
    }
    let picture = headless_text(record, plan);
    if args.json {
        eprint!("{}", escape_output(&picture));
        print_json(record)
    } else {
        print(&picture)
    }
}

/// What a run reads: the scenario file (when it is one) and its `file` effects' files, none of
/// which an output may replace.
fn run_inputs<'a>(arg: &'a str, plan: &'a Plan) -> Vec<&'a Path> {
    let mut inputs = vec![Path::new(arg)];
    for c in &plan.calls {
        if let Effect::File { path } = &c.effect {
            inputs.push(path);
        }
    }
    inputs
}

/// Runs the live TUI; returns the last run that finished.
fn live(
    rt: Runtime,
    plan: Arc<Plan>,
    opts: &RunOptions,
    strategies: Option<Vec<Strategy>>,
    forced_mode: Option<Mode>,
    arg: &str,
) -> Result<Option<Record>, Failure> {
    let entries = ui::app::entries(Path::new("scenarios"), Some(arg));
    let current = entries.iter().position(|e| e.arg == arg).unwrap_or(0);
    let app = App::live(plan, opts, strategies, entries, current, Theme::from_env())
        .with_forced_mode(forced_mode);
    let app = tui(rt, app)?;
    Ok(app.last_record)
}
