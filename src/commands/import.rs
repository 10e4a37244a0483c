//! `fanout import`: a real agent's trace or tool calls as a scenario, and what happened beside
//! what each strategy would have done.

use std::io::IsTerminal;
use std::sync::Arc;

use fanout::engine::input::refuse_overwriting;
use fanout::engine::scenario::ScenarioSource;
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{Mode, Plan, RunOptions};
use fanout::text::{escape_control as esc, escape_output};
use fanout::ui::{app::App, theme::Theme};

use super::{Failure, headless_text, print, print_raw, show, write_file, write_record};
use crate::cli::ImportArgs;

pub fn import(args: ImportArgs) -> Result<(), Failure> {
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
    let json = imported.scenario_json();
    let fanout::import::Imported {
        scenario,
        recorded,
        notes,
    } = imported;
    for note in &notes {
        eprintln!("note: {}", escape_output(note));
    }
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
    let plan = Arc::new(Plan::new(scenario, &source)?);
    drop(source);
    // The scenario's own lanes: sequential and parallel, and the turn lanes where the trace
    // has model calls.
    let strategies = args
        .strategies
        .clone()
        .unwrap_or_else(|| plan.strategies.clone());
    plan.check_strategies(&strategies)?;
    let opts = RunOptions {
        strategies,
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    // What each strategy would have done with the same calls (the virtual clock), beside what
    // really happened (the trace's own timeline).
    let record = fanout::import::beside_recorded(recorded.as_ref(), run_virtual(&plan, &opts));
    if let Some(path) = &args.record {
        let mut inputs = vec![args.file.as_path()];
        inputs.extend(args.output.as_deref());
        write_record(&record, path, &inputs)?;
    }
    if !args.headless && std::io::stdout().is_terminal() {
        let mut app = App::replay(&record, plan.clone(), 1.0, Theme::from_env());
        if recorded.is_some() {
            app.chrome.notice = Some(if plan.model_calls() > 0 {
                // Where the turn lanes' turns come from, and past the trace's own.
                let median = plan.turn_nominal_ms(plan.turn_ms.len());
                format!(
                    "recorded: what happened · the rest: what-if · turns: the {} model calls, then {} each",
                    plan.model_calls(),
                    fanout::report::figures::duration(median)
                )
            } else {
                "recorded: what happened · other lanes: what-if on an exact clock (durations measured under concurrency include contention)"
                    .into()
            });
        }
        return show(&record, app);
    }
    print(&headless_text(&record, &plan))
}
