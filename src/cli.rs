//! The command line: clap definitions only. `main.rs` dispatches them to `commands/`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use fanout::engine::Strategy;
use fanout::engine::options::Clock;
use fanout::import::ImportKind;
use fanout::report::Format;

/// Race one batch of tool calls under several execution strategies and see what parallelism buys.
#[derive(Debug, Parser)]
#[command(name = "fanout", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario under its strategies and compare the walls.
    Run(RunArgs),
    /// Validate a scenario and print its calls and bounds; runs nothing.
    Check(CheckArgs),
    /// List the built-in scenarios.
    List,
    /// Re-render a saved record; never re-runs.
    Report(ReportArgs),
    /// Animate a saved record in the live view; the timings drawn are the recorded ones.
    Replay(ReplayArgs),
    /// Run fanout's small HTTP test server on 127.0.0.1 (what `{local}` URLs use).
    Serve(ServeArgs),
    /// Turn a real agent's trace or tool calls into a scenario, and show what happened beside
    /// what each strategy would have done with the same calls.
    Import(ImportArgs),
    /// Run pool:N for every N in a range (virtual clock unless --clock real) and name the knee:
    /// the fewest workers within 5 % of parallel's wall.
    Sweep(SweepArgs),
    /// A presenter's tour of ten built-ins, from the symptom to the model's own turns: a card
    /// with each question, the race, a big headline and a takeaway (space steps on).
    Tour(TourArgs),
    /// Receive a live agent's spans over OTLP/HTTP and show, per model turn, the parallelism
    /// it left on the table.
    Watch(fanout::watch::WatchArgs),
}

#[derive(Debug, Args)]
pub struct TourArgs {
    /// Multiplies every step's own speed (2: each race takes half as long).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub pace: f64,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// A scenario file, or a built-in name (see `fanout list`).
    pub scenario: String,
    /// The pool sizes, `A..B` (both included).
    #[arg(long, default_value = "1..10", value_parser = parse_workers)]
    pub workers: (usize, usize),
    /// Which pools, comma-separated: pool (file order), pool-cp (critical path first).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "pool")]
    pub strategy: Vec<fanout::report::sweep::Family>,
    /// virtual (exact predictions, instant) or real (runs every lane, measured).
    #[arg(long, value_parser = clock_parser(), default_value = "virtual")]
    pub clock: Clock,
    /// Divide every simulated latency by this.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed, allow_negative_numbers = true)]
    pub speed: f64,
    /// table, json, csv or svg.
    #[arg(long, value_enum, default_value_t = SweepFormat::Table)]
    pub format: SweepFormat,
}

/// What `fanout sweep` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SweepFormat {
    /// An aligned table with the knee marked.
    Table,
    /// `{"points":[…],"sequential_ms":…,"parallel_ms":…,"knees":[…]}`.
    Json,
    /// One row per point.
    Csv,
    /// A chart: wall against N, sequential and parallel as reference lines.
    Svg,
}

/// The most workers a sweep takes.
pub const MAX_SWEEP_WORKERS: usize = 1024;

fn parse_workers(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("workers must be a range A..B (like 1..10), got {s}"))?;
    let parse = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|_| format!("workers must be whole numbers A..B (like 1..10), got {s}"))
    };
    let (a, b) = (parse(a)?, parse(b)?);
    if a == 0 || a > b || b > MAX_SWEEP_WORKERS {
        return Err(format!(
            "workers must be a range A..B from 1 up, A ≤ B ≤ {MAX_SWEEP_WORKERS}, got {s}"
        ));
    }
    Ok((a, b))
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file is.
    #[arg(value_enum)]
    pub kind: ImportKind,
    /// The file to import.
    pub file: PathBuf,
    /// Latency of a tool, for formats without timings (anthropic, openai); repeatable.
    #[arg(long = "latency", value_name = "NAME=MS", value_parser = fanout::import::parse_latency)]
    pub latency: Vec<(String, f64)>,
    /// Latency of every tool not given with --latency.
    #[arg(long, value_name = "MS", value_parser = fanout::import::parse_ms, allow_negative_numbers = true)]
    pub default_latency: Option<f64>,
    /// Write the scenario to this file.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Write the record (what happened, and the what-if lanes) to this file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// The what-if lanes (default: sequential, parallel; for a trace with model calls,
    /// parallel, one-per-turn, turn-batched: its model calls are their turns).
    #[arg(long, value_delimiter = ',', value_parser = parse_strategy)]
    pub strategies: Option<Vec<Strategy>>,
    /// Print only the scenario JSON on stdout (to pipe it or redirect it).
    #[arg(long)]
    pub scenario_only: bool,
    /// Print the picture and table instead of drawing live.
    #[arg(long)]
    pub headless: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080, allow_negative_numbers = true)]
    pub port: u16,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A scenario file, or a built-in name (see `fanout list`).
    pub scenario: String,
    /// Lanes to run, comma-separated: sequential, parallel, waves, pool:N, pool:N:cp (default:
    /// the scenario's).
    #[arg(long, value_delimiter = ',', value_parser = parse_strategy)]
    pub strategies: Option<Vec<Strategy>>,
    /// Divide simulated latencies by this factor (10 runs a 25 s scenario in 2.5 s).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed, allow_negative_numbers = true)]
    pub speed: f64,
    /// Run the lanes one after another instead of racing them together.
    #[arg(long)]
    pub one_at_a_time: bool,
    /// Race the lanes together, also for a scenario whose `"mode"` runs them one at a time.
    #[arg(long, conflicts_with = "one_at_a_time")]
    pub race: bool,
    /// Print the final chart and table instead of drawing live (the default when stdout is
    /// not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Print the record as JSON on stdout (the table goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also write the record to this file.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// `real` measures; `virtual` simulates on an exact clock and finishes at once.
    #[arg(long, value_parser = clock_parser(), default_value = "real")]
    pub clock: Clock,
    /// Run the race this many times and report mean ± σ (headless).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), allow_negative_numbers = true)]
    pub runs: u32,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A scenario file, or a built-in name.
    pub scenario: String,
    /// Show bounds for these lanes instead of the scenario's.
    #[arg(long, value_delimiter = ',', value_parser = parse_strategy)]
    pub strategies: Option<Vec<Strategy>>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A record written by `fanout run --record FILE` (or `--json`).
    pub record: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A record written by `fanout run --record FILE`.
    pub record: PathBuf,
    /// Playback rate: 2 plays twice as fast as recorded.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed, allow_negative_numbers = true)]
    pub speed: f64,
}

fn parse_strategy(s: &str) -> Result<Strategy, String> {
    s.trim().parse()
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number; use 0.01 to 1000000, e.g. --speed 10"))?;
    fanout::engine::limits::check_speed(x)
}

/// `--clock real|virtual`: parsed here so that the engine's [`Clock`] stays free of clap.
fn clock_parser() -> impl clap::builder::TypedValueParser<Value = Clock> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new([
        PossibleValue::new("real")
            .help("Real time: calls really wait, fetch, read and compute; every time is measured"),
        PossibleValue::new("virtual")
            .help("Virtual time: simulated calls finish instantly with exact times"),
    ])
    .map(|name| match name.as_str() {
        "real" => Clock::Real,
        _ => Clock::Virtual,
    })
}
