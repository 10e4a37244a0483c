//! The `fanout` binary: parses the command line and wires the engine to its outputs.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use cli::{CheckArgs, Cli, Command, ReportArgs, RunArgs};
use fanout::engine::scenario::{BUILTINS, DEMO, parse_json};
use fanout::engine::{InputError, Mode, Plan, Record, RunOptions, Scenario, Strategy};
use fanout::report::{self, duration};

/// Why a command stopped: bad input (exit 2) or a failure of fanout itself (exit 1).
enum Failure {
    Input(InputError),
    Internal(String),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::Input(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(RunArgs {
            scenario: DEMO.to_string(),
            strategies: None,
            speed: 1.0,
            one_at_a_time: false,
            headless: true,
            json: false,
            record: None,
        }),
        Some(Command::Run(args)) => run(args),
        Some(Command::Check(args)) => check(args),
        Some(Command::List) => list(),
        Some(Command::Report(args)) => report_cmd(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Writes to stdout; a closed pipe (`fanout list | head`) is not an error.
fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Internal(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Internal(format!("cannot start the async runtime: {e}")))
}

fn run(args: RunArgs) -> Result<(), Failure> {
    let plan = Arc::new(Plan::load(&args.scenario)?);
    let opts = RunOptions {
        strategies: lanes(args.strategies, &plan),
        speed: args.speed,
        mode: if args.one_at_a_time {
            Mode::OneAtATime
        } else {
            Mode::Race
        },
    };
    let names: Vec<String> = opts.strategies.iter().map(|s| s.to_string()).collect();
    eprintln!(
        "running {} ({} calls) under {} at speed {}× …",
        plan.label,
        plan.calls.len(),
        names.join(", "),
        fanout::engine::tools::fmt_num(opts.speed)
    );
    let record = runtime()?
        .block_on(fanout::engine::run(plan, &opts, None))
        .map_err(|e| Failure::Internal(e.to_string()))?;
    if let Some(path) = &args.record {
        std::fs::write(path, report::json(&record)).map_err(|e| {
            Failure::Internal(format!(
                "cannot write the record to {}: {e}",
                path.display()
            ))
        })?;
        eprintln!("record written to {}", path.display());
    }
    let table = report::table(&record);
    if args.json {
        eprint!("{table}");
        print(&report::json(&record))
    } else {
        print(&table)
    }
}

/// The lanes asked for on the command line (each once, in order), or the scenario's own.
fn lanes(asked: Option<Vec<Strategy>>, plan: &Plan) -> Vec<Strategy> {
    match asked {
        Some(list) => list
            .iter()
            .enumerate()
            .filter(|(i, s)| !list[..*i].contains(s))
            .map(|(_, s)| *s)
            .collect(),
        None => plan.strategies.clone(),
    }
}

fn check(args: CheckArgs) -> Result<(), Failure> {
    let plan = Plan::load(&args.scenario)?;
    let strategies = lanes(args.strategies, &plan);
    let s: &Scenario = &plan.scenario;
    let mut out = format!("{} ({})\n", s.name, plan.label);
    if let Some(d) = &s.description {
        out.push_str(&format!("{d}\n"));
    }
    let edges: usize = plan.calls.iter().map(|c| c.deps.len()).sum();
    out.push_str(&format!(
        "\n{} calls · {} dependencies · {} levels\n\n",
        plan.calls.len(),
        edges,
        plan.levels.len()
    ));
    let rows: Vec<[String; 5]> = plan
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let deps: Vec<&str> = c.deps.iter().map(|&d| plan.calls[d].id.as_str()).collect();
            let mut effect = c.effect.describe();
            if let Some(f) = &c.fail {
                effect.push_str(&format!(", then fails: {f}"));
            }
            [
                c.id.clone(),
                c.tool.clone(),
                effect,
                if deps.is_empty() {
                    "—".into()
                } else {
                    deps.join(", ")
                },
                plan.level[i].to_string(),
            ]
        })
        .collect();
    out.push_str(&columns(
        &["id", "tool", "effect", "depends on", "level"],
        &rows,
    ));
    out.push_str(&format!(
        "\nsum of work {} · critical path {}\n\n",
        duration(plan.bounds.sum_ms),
        duration(plan.bounds.critical_path_ms)
    ));
    let rows: Vec<[String; 2]> = strategies
        .iter()
        .map(|st| [st.to_string(), duration(st.lower_bound_ms(&plan.bounds))])
        .collect();
    out.push_str(&columns(&["strategy", "lower bound"], &rows));
    if let Some(l) = &s.lesson {
        out.push_str(&format!("\nlesson: {l}\n"));
    }
    print(&out)
}

/// Left-aligned columns separated by two spaces.
fn columns<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::from("  ");
        for (c, w) in cells.zip(widths) {
            s.push_str(c);
            s.extend(std::iter::repeat_n(' ', w - c.chars().count() + 2));
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

fn list() -> Result<(), Failure> {
    let width = BUILTINS.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (name, text) in BUILTINS {
        let s: Scenario = parse_json(name, text)?;
        let about = s.description.unwrap_or(s.name);
        out.push_str(&format!("{name:width$}  {about}\n"));
    }
    print(&out)
}

fn report_cmd(args: ReportArgs) -> Result<(), Failure> {
    let (record, _plan): (Record, _) = Record::load(&args.record)?;
    print(&report::render(&record, args.format))
}
