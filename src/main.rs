//! The `fanout` binary: parses the command line and wires the engine to its outputs.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use cli::{
    CheckArgs, Cli, Command, ImportArgs, ReplayArgs, ReportArgs, RunArgs, ServeArgs, SweepArgs,
    SweepFormat, TourArgs,
};
use fanout::engine::input::{refuse_overwriting, write_output};
use fanout::engine::json::parse_json;
use fanout::engine::options::Clock;
use fanout::engine::scenario::{BUILTINS, DEMO};
use fanout::engine::units::fmt_num;
use fanout::engine::virtual_clock::{predicted_walls, run_virtual};
use fanout::engine::{InputError, Mode, Plan, Record, RunOptions, Scenario, Strategy};
use fanout::report::{self, duration};
use fanout::serve::{self, ServeOptions};
use fanout::text::{escape_control as esc, escape_output};
use fanout::ui::{self, app::App, model::ViewModel, theme::Theme, view};

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
    fanout::engine::lane::use_precise_timer(true);
    let result = match cli.command {
        None => run(RunArgs {
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
        Some(Command::Replay(args)) => replay(args),
        Some(Command::Serve(args)) => serve_cmd(args),
        Some(Command::Import(args)) => import_cmd(args),
        Some(Command::Run(args)) => run(args),
        Some(Command::Check(args)) => check(args),
        Some(Command::List) => list(),
        Some(Command::Report(args)) => report_cmd(args),
        Some(Command::Sweep(args)) => sweep_cmd(args),
        Some(Command::Tour(args)) => tour_cmd(args),
        Some(Command::Watch(args)) => fanout::watch::run(args).map_err(|e| match e {
            fanout::watch::WatchError::Input(e) => Failure::Input(e),
            fanout::watch::WatchError::Internal(e) => Failure::Internal(e),
        }),
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

/// Writes plain text to stdout with every control character but the line breaks escaped (see
/// [`fanout::text`]): the last guard before text from files reaches a terminal.
fn print(text: &str) -> Result<(), Failure> {
    print_raw(&escape_output(text))
}

/// Writes to stdout as is (JSON, CSV, SVG: formats that escape their own text); a closed pipe
/// (`fanout list | head`) is not an error.
fn print_raw(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Failure::Internal(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// The async runtime, shut down without waiting when dropped: a call that timed out may leave
/// a blocking read behind (a `file` effect on a FIFO), and waiting for it would keep the process
/// from ever exiting. Everything the command needed has finished by then.
struct Runtime(Option<tokio::runtime::Runtime>);

impl std::ops::Deref for Runtime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref().expect("the runtime lives until dropped")
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

fn runtime() -> Result<Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map(|rt| Runtime(Some(rt)))
        .map_err(|e| Failure::Internal(format!("cannot start the async runtime: {e}")))
}

fn run(args: RunArgs) -> Result<(), Failure> {
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
    let rt = runtime()?;
    let interactive =
        !args.headless && !args.json && args.runs == 1 && std::io::stdout().is_terminal();
    if args.clock == Clock::Virtual {
        let mut record = run_virtual(&plan, &opts);
        // Each virtual lane is simulated on its own, so the mode asked for is what it shows.
        record.mode = opts.mode;
        return finish_run(&record, &plan, &args, interactive);
    }
    // `{local}` URLs go to fanout's own server, started here on a free loopback port. The TUI
    // always has one, since the user may switch to a scenario that needs it.
    let server = if interactive || plan.uses_local() {
        let server = rt
            .block_on(serve::start_local(ServeOptions::default()))
            .map_err(|e| Failure::Internal(format!("cannot start the local server: {e}")))?;
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
    let mut record: Option<Record> = None;
    for k in 1..=args.runs {
        if args.runs > 1 {
            eprintln!("run {k}/{} …", args.runs);
        }
        let this = rt
            .block_on(fanout::engine::run(plan.clone(), &opts, None))
            .map_err(|e| Failure::Internal(e.to_string()))?;
        match &mut record {
            None => record = Some(this),
            Some(first) => {
                if first.runs.is_empty() {
                    first.runs.push(first.lanes.clone());
                }
                first.runs.push(this.lanes);
            }
        }
    }
    drop(server);
    drop(rt);
    let record = record.expect("at least one run");
    finish_run(&record, &plan, &args, false)
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
        let app = App::replay(record, plan.clone(), 1.0, Theme::from_env());
        tui(runtime()?, app)?;
        return print(&report::table(record));
    }
    let picture = headless_text(record, plan);
    if args.json {
        eprint!("{}", escape_output(&picture));
        print_raw(&report::json(record))
    } else {
        print(&picture)
    }
}

/// The final frame (every lane's chart on one axis) and the comparison table, as plain text.
fn headless_text(record: &Record, plan: &Plan) -> String {
    let model = ViewModel::from_record(record, plan);
    let width = terminal_width().unwrap_or(100);
    format!(
        "{}\n{}",
        view::final_frame(&model, width),
        report::table(record)
    )
}

/// The terminal's width when stdout or stderr is one; `None` when piped to a file.
fn terminal_width() -> Option<u16> {
    if std::io::stdout().is_terminal() || std::io::stderr().is_terminal() {
        ratatui::crossterm::terminal::size()
            .ok()
            .map(|(w, _)| w.clamp(60, 200))
    } else {
        None
    }
}

/// Writes the record atomically, never over one of `inputs` (see [`write_output`]). Refusing
/// is bad input (exit 2); a failure to write is fanout's own I/O failing, exit 1 (as the README
/// says).
fn write_record(
    record: &Record,
    path: &std::path::Path,
    inputs: &[&std::path::Path],
) -> Result<(), Failure> {
    write_file(path, report::json(record).as_bytes(), "record", inputs)?;
    eprintln!("record written to {}", esc(&path.display().to_string()));
    Ok(())
}

/// Writes an output with [`write_output`]: a refusal to replace an input is bad input (exit 2),
/// a failed write an internal error (exit 1).
fn write_file(
    path: &std::path::Path,
    contents: &[u8],
    what: &str,
    inputs: &[&std::path::Path],
) -> Result<(), Failure> {
    refuse_overwriting(path, what, inputs)?;
    write_output(path, contents, what, inputs).map_err(|e| Failure::Internal(e.to_string()))
}

/// What a run reads: the scenario file (when it is one) and its `file` effects' files, none of
/// which an output may replace.
fn run_inputs<'a>(arg: &'a str, plan: &'a Plan) -> Vec<&'a std::path::Path> {
    let mut inputs = vec![std::path::Path::new(arg)];
    for c in &plan.calls {
        if let fanout::engine::effects::Effect::File { path } = &c.effect {
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
    let entries = ui::app::entries(std::path::Path::new("scenarios"), Some(arg));
    let current = entries.iter().position(|e| e.arg == arg).unwrap_or(0);
    let app = App::live(plan, opts, strategies, entries, current, Theme::from_env())
        .with_forced_mode(forced_mode);
    let app = tui(rt, app)?;
    Ok(app.last_record)
}

/// Sets up the terminal, runs the app, and restores the terminal on every path.
fn tui(rt: Runtime, mut app: App) -> Result<App, Failure> {
    let (mut terminal, guard) = ui::terminal::init()
        .map_err(|e| Failure::Internal(format!("cannot set up the terminal: {e}")))?;
    let (input_thread, input) = ui::InputThread::start();
    let result = rt.block_on(ui::run(&mut terminal, &mut app, input));
    drop(input_thread);
    drop(guard);
    // Lanes still running (a quit mid-run) are cancelled, not waited for.
    drop(rt);
    result.map_err(Failure::Internal)?;
    Ok(app)
}

fn replay(args: ReplayArgs) -> Result<(), Failure> {
    let (record, plan) = Record::load(&args.record)?;
    if !std::io::stdout().is_terminal() {
        return print(&headless_text(&record, &plan));
    }
    let app = App::replay(&record, plan, args.speed, Theme::from_env());
    tui(runtime()?, app)?;
    // As after a run: the table stays in the scrollback.
    print(&report::table(&record))
}

fn import_cmd(args: ImportArgs) -> Result<(), Failure> {
    use fanout::engine::record::RECORDED_LANE;
    use fanout::engine::scenario::ScenarioSource;
    let opts = fanout::import::ImportOptions {
        latency_by_tool: args.latency.iter().cloned().collect(),
        default_latency_ms: args.default_latency,
    };
    for (out, what) in [(&args.output, "scenario"), (&args.record, "record")] {
        if let Some(path) = out {
            refuse_overwriting(path, what, &[&args.file])?;
        }
    }
    if let (Some(o), Some(r)) = (&args.output, &args.record) {
        refuse_overwriting(r, "record", &[o])?;
    }
    let imported = fanout::import::import(args.kind, &args.file, &opts)?;
    for note in &imported.notes {
        eprintln!("note: {}", escape_output(note));
    }
    let json = imported.scenario_json();
    if let Some(path) = &args.output {
        write_file(path, json.as_bytes(), "scenario", &[&args.file])?;
        eprintln!("scenario written to {}", esc(&path.display().to_string()));
    }
    if args.scenario_only {
        return print_raw(&json);
    }
    let label = format!("{} (imported)", args.file.display());
    // The imported scenario moves into the plan (the importer has validated it); its JSON is
    // kept only while validating, to place errors.
    let source = ScenarioSource::from_text(label, json);
    let plan = Arc::new(Plan::new(imported.scenario, &source)?);
    drop(source);
    let strategies = args
        .strategies
        .clone()
        .unwrap_or_else(|| vec![Strategy::Sequential, Strategy::Parallel]);
    let opts = RunOptions {
        strategies,
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    // What each strategy would have done with the same calls (the virtual clock), beside what
    // really happened (the trace's own timeline), every speedup against what happened.
    let mut record = run_virtual(&plan, &opts);
    if let Some(recorded) = &imported.recorded
        && let Some(lane) = recorded.lanes.first()
    {
        let mut lane = lane.clone();
        lane.strategy = RECORDED_LANE.to_string();
        lane.speedup = 1.0;
        for what_if in &mut record.lanes {
            what_if.speedup = fanout::engine::record::speedup(lane.wall_ms, what_if.wall_ms);
        }
        record.started_at = recorded.started_at.clone();
        record.lanes.insert(0, lane);
    }
    if let Some(path) = &args.record {
        let mut inputs = vec![args.file.as_path()];
        inputs.extend(args.output.as_deref());
        write_record(&record, path, &inputs)?;
    }
    if !args.headless && std::io::stdout().is_terminal() {
        let mut app = App::replay(&record, plan.clone(), 1.0, Theme::from_env());
        if imported.recorded.is_some() {
            app.chrome.notice = Some(
                "recorded: what happened · other lanes: what-if on an exact clock (durations measured under concurrency include contention)"
                    .into(),
            );
        }
        tui(runtime()?, app)?;
        return print(&report::table(&record));
    }
    print(&headless_text(&record, &plan))
}

fn serve_cmd(args: ServeArgs) -> Result<(), Failure> {
    let rt = runtime()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, args.port))
            .await
            .map_err(|e| {
                InputError::new(
                    format!("--port {}", args.port),
                    format!("cannot listen on 127.0.0.1:{}: {e}", args.port),
                )
                .hint("pick another port, or 0 for any free one")
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Internal(e.to_string()))?;
        eprintln!("fanout serve: listening on http://{addr} (loopback only); Ctrl-C stops it");
        eprintln!(
            "routes: /delay/{{ms}}  /status/{{code}}?delay_ms=N  /bytes/{{n}}  /limited/{{ms}}"
        );
        serve::serve(listener, ServeOptions::default())
            .await
            .map_err(|e| Failure::Internal(format!("the server stopped: {e}")))
    })
}

/// The lanes asked for on the command line (each once, in order), or the scenario's own.
fn lanes(asked: Option<Vec<Strategy>>, plan: &Plan) -> Vec<Strategy> {
    match asked {
        Some(list) => fanout::engine::strategy::distinct(list),
        None => plan.strategies.clone(),
    }
}

fn check(args: CheckArgs) -> Result<(), Failure> {
    let plan = Plan::load(&args.scenario)?;
    let strategies = lanes(args.strategies, &plan);
    let s: &Scenario = &plan.scenario;
    let mut out = format!("{} ({})\n", esc(&s.name), esc(&plan.label));
    if let Some(d) = &s.description {
        out.push_str(&format!("{}\n", esc(d)));
    }
    let edges: usize = plan.calls.iter().map(|c| c.deps.len()).sum();
    out.push_str(&format!(
        "\n{} · {} · {}\n\n",
        plural(plan.calls.len(), "call"),
        plural(edges, "dependency"),
        plural(plan.levels.len(), "level")
    ));
    let rows: Vec<[String; 5]> = plan
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let deps: Vec<&str> = c.deps.iter().map(|&d| plan.calls[d].id.as_str()).collect();
            let mut effect = esc(&c.effect.describe()).into_owned();
            if let Some(f) = &c.fail {
                match c.fail_attempts {
                    Some(k) => effect.push_str(&format!(", first {k} attempts fail: {}", esc(f))),
                    None => effect.push_str(&format!(", then fails: {}", esc(f))),
                }
            }
            if let Some(t) = c.timeout_ms {
                let default = s.calls[i].timeout_ms.is_none();
                effect.push_str(&format!(
                    ", timeout {} ms{}",
                    fmt_num(t),
                    if default { " (default)" } else { "" }
                ));
            }
            if c.retries.max > 0 {
                effect.push_str(&format!(
                    ", {} retries (backoff {} ms, doubling)",
                    c.retries.max,
                    fmt_num(c.retries.backoff_ms)
                ));
            }
            [
                esc(&c.id).into_owned(),
                esc(&c.tool).into_owned(),
                effect,
                if deps.is_empty() {
                    "—".into()
                } else {
                    esc(&deps.join(", ")).into_owned()
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
        "\nsum of work {} · critical path {}",
        duration(plan.bounds.sum_ms),
        duration(plan.bounds.critical_path_ms)
    ));
    if plan.bounds.cpu_ms > 0.0 {
        out.push_str(&format!(
            " · CPU work {} on {}",
            duration(plan.bounds.cpu_ms),
            plural(fanout::engine::strategy::cores(), "core")
        ));
    }
    out.push('\n');
    let mut notes = Vec::new();
    if plan.calls.iter().any(|c| c.effect.nominal_ms().is_none()) {
        notes.push(
            "HTTP and file calls count 0 here: their time is measured when they run".to_string(),
        );
    }
    if plan
        .calls
        .iter()
        .any(|c| matches!(c.effect, fanout::engine::effects::Effect::Drawn { .. }))
    {
        notes.push(format!(
            "latencies drawn with seed {}, the same in every lane and every run",
            plan.seed
        ));
    }
    if let Some(r) = &plan.rate_limit {
        let scope = r.tool.as_ref().map_or("every call".to_string(), |t| {
            format!("calls of `{}`", esc(t))
        });
        notes.push(format!(
            "rate limit: {} per second, burst {}, on {scope}",
            fmt_num(r.per_second),
            r.burst
        ));
    }
    if plan.mode == Some(Mode::OneAtATime) {
        notes.push(
            "mode: one-at-a-time — `run` runs the lanes one after another (--race races them)"
                .to_string(),
        );
    }
    if plan.on_error == fanout::engine::scenario::OnError::Cancel {
        notes.push("on_error: cancel — the first failure cancels the rest of its lane".to_string());
    }
    if s.calls
        .iter()
        .zip(&plan.calls)
        .any(|(spec, c)| spec.timeout_ms.is_none() && c.timeout_ms.is_some())
    {
        notes.push(format!(
            "real calls without a timeout get one of {} ms (default): set timeout_ms to change it",
            fmt_num(fanout::engine::limits::DEFAULT_REAL_TIMEOUT_MS)
        ));
    }
    // Allowed (a scenario may read shared data), but a file passed around can point anywhere.
    for spec in &s.calls {
        if let Some(f) = &spec.file {
            let path = std::path::Path::new(&f.path);
            let outside = path.is_absolute()
                || path
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir));
            if outside {
                notes.push(format!(
                    "call `{}` reads `{}`, outside the scenario's folder",
                    esc(&spec.id),
                    esc(&f.path)
                ));
            }
        }
    }
    for n in notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out.push('\n');
    let cores = fanout::engine::strategy::cores();
    let predicted = predicted_walls(&plan, &strategies, 1.0);
    let rows: Vec<[String; 4]> = strategies
        .iter()
        .zip(&predicted)
        .map(|(st, p)| {
            let upper = match st {
                Strategy::Pool(_) | Strategy::PoolCp(_) => {
                    duration(st.upper_bound_ms(&plan.bounds, plan.waves_ms, cores))
                }
                _ => "—".to_string(),
            };
            let mut lower = st.lower_bound_ms(&plan.bounds, cores);
            // A lane that cancels on the first failure stops before its work is done.
            if plan.on_error == fanout::engine::scenario::OnError::Cancel {
                lower = lower.min(*p);
            }
            [st.to_string(), duration(lower), duration(*p), upper]
        })
        .collect();
    out.push_str(&columns(
        &["strategy", "lower bound", "predicted", "Graham upper"],
        &rows,
    ));
    out.push_str(
        "\npredicted: the wall on an exact clock (the virtual clock); a greedy pool of N never \
         exceeds Graham's sum/N + (1 - 1/N)·critical path\n",
    );
    if let Some(l) = &s.lesson {
        out.push_str(&format!("\nlesson: {}\n", esc(l)));
    }
    print(&out)
}

/// `1 call`, `3 calls`, `2 dependencies`.
fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
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
        out.push_str(&format!("{name:width$}  {}\n", esc(&about)));
    }
    print(&out)
}

fn report_cmd(args: ReportArgs) -> Result<(), Failure> {
    let (record, _plan): (Record, _) = Record::load(&args.record)?;
    let text = report::render(&record, args.format);
    match args.format {
        report::Format::Table | report::Format::Markdown => print(&text),
        // JSON and SVG escape their own text; CSV escapes its fields (report::csv).
        _ => print_raw(&text),
    }
}

fn sweep_cmd(args: SweepArgs) -> Result<(), Failure> {
    use fanout::report::sweep;
    let plan = Arc::new(Plan::load(&args.scenario)?);
    let (a, b) = args.workers;
    let rt = match args.clock {
        Clock::Real => Some(runtime()?),
        Clock::Virtual => None,
    };
    let server = match &rt {
        Some(rt) if plan.uses_local() => Some(
            rt.block_on(serve::start_local(ServeOptions::default()))
                .map_err(|e| Failure::Internal(format!("cannot start the local server: {e}")))?,
        ),
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

fn tour_cmd(args: TourArgs) -> Result<(), Failure> {
    if !std::io::stdout().is_terminal() {
        return Err(Failure::Input(
            InputError::new("fanout tour", "the tour needs a terminal to draw in")
                .hint("run it in a terminal; `fanout run NAME --headless` prints one race"),
        ));
    }
    let rt = runtime()?;
    // Some steps fetch from fanout's own server.
    let server = rt
        .block_on(serve::start_local(ServeOptions::default()))
        .map_err(|e| Failure::Internal(format!("cannot start the local server: {e}")))?;
    let mut app = App::tour(args.pace, Theme::from_env())?;
    app.set_local(server.base_url());
    let app = tui(rt, app)?;
    drop(server);
    print(&app.tour_summary().unwrap_or_default())
}
