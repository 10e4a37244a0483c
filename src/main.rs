//! The `fanout` binary: parses the command line and wires each subcommand to its body in
//! [`commands`].

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, RunArgs};
use commands::Failure;
use fanout::engine::options::Clock;
use fanout::engine::scenario::DEMO;
use fanout::text::escape_output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    fanout::engine::lane::use_precise_timer(true);
    let result = match cli.command {
        // Bare `fanout`: the demo, live.
        None => commands::run(RunArgs {
            scenario: DEMO.to_string(),
            strategies: None,
            speed: 1.0,
            one_at_a_time: false,
            race: false,
            headless: false,
            json: false,
            record: None,
            clock: Clock::Real,
            runs: 1,
        }),
        Some(Command::Run(args)) => commands::run(args),
        Some(Command::Check(args)) => commands::check(args),
        Some(Command::List) => commands::list(),
        Some(Command::Report(args)) => commands::report(args),
        Some(Command::Replay(args)) => commands::replay(args),
        Some(Command::Serve(args)) => commands::serve(args),
        Some(Command::Import(args)) => commands::import(args),
        Some(Command::Sweep(args)) => commands::sweep(args),
        Some(Command::Tour(args)) => commands::tour(args),
        Some(Command::Watch(args)) => commands::watch(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
        Err(Failure::Internal(e)) => {
            eprintln!("error: {}", escape_output(&e));
            ExitCode::from(1)
        }
    }
}
