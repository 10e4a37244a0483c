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
    return_large_blocks();
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

/// Blocks of a MiB or more come from the kernel and go back to it when freed. glibc otherwise
/// raises that threshold (up to 32 MiB) each time it frees such a block, and a million-call run
/// frees many (the parser's growing lists, each lane's working arrays): later ones then stay in
/// the heap when freed, about 40 MB of a 1M run's peak (issue 10, BENCHMARKS §8).
fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of glibc's malloc; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
