//! What `fanout check` prints: a scenario's calls, bounds, notes and each lane's prediction, as
//! a pure function of the plan (it runs nothing).

use crate::engine::options::Mode;
use crate::engine::units::fmt_num;
use crate::engine::virtual_clock::simulate_lanes;
use crate::engine::{Plan, Scenario, Strategy};
use crate::report::columns::columns;
use crate::report::figures::duration;
use crate::text::{escape_control as esc, plural};

/// The check's report of `plan` with bounds for `strategies`, on a machine of `cores` cores.
pub fn check(plan: &Plan, strategies: &[Strategy], cores: usize) -> String {
    let s: &Scenario = &plan.scenario;
    let mut out = format!("{} ({})\n", esc(&s.name), esc(&plan.label));
    if let Some(d) = &s.description {
        out.push_str(&format!("{}\n", esc(d)));
    }
    let edges = plan.deps.entries();
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
            let deps: Vec<&str> = plan.deps[i]
                .iter()
                .map(|&d| &*plan.calls[d as usize].id)
                .collect();
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
    out.push_str(&table(
        ["id", "tool", "effect", "depends on", "level"],
        rows,
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
            plural(cores, "core")
        ));
    }
    if plan.has_turns() {
        let models = plan.model_calls();
        if models > 0 {
            // The turn lanes take the model calls as their turns, then the median.
            out.push_str(&format!(
                " · model turns: the {} marked model, then {} each",
                plural(models, "call"),
                duration(plan.turn_nominal_ms(plan.turn_ms.len()))
            ));
        } else {
            let turn = match &s.model_turn {
                Some(d) => format!("drawn from {}", esc(&d.describe())),
                None => duration(plan.turn_nominal_ms(0)),
            };
            out.push_str(&format!(" · model turn {turn}"));
        }
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
        .any(|c| matches!(c.effect, crate::engine::effects::Effect::Drawn { .. }))
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
    if plan.on_error == crate::engine::scenario::OnError::Cancel {
        notes.push("on_error: cancel — the first failure cancels the rest of its lane".to_string());
    }
    if s.calls
        .iter()
        .zip(&plan.calls)
        .any(|(spec, c)| spec.timeout_ms.is_none() && c.timeout_ms.is_some())
    {
        notes.push(format!(
            "real calls without a timeout get one of {} ms (default): set timeout_ms to change it",
            fmt_num(crate::engine::limits::DEFAULT_REAL_TIMEOUT_MS)
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
    let lanes = simulate_lanes(plan, strategies, 1.0);
    let rows: Vec<[String; 5]> = strategies
        .iter()
        .zip(&lanes)
        .map(|(st, sim)| {
            let p = sim.lane.wall_ms;
            let upper = match st {
                Strategy::Pool(_) | Strategy::PoolCp(_) => {
                    duration(st.upper_bound_ms(&plan.bounds, plan.waves_ms, cores))
                }
                _ => "—".to_string(),
            };
            let mut lower = st.lower_bound_ms(&plan.bounds, cores);
            // A lane that cancels on the first failure stops before its work is done.
            if plan.on_error == crate::engine::scenario::OnError::Cancel {
                lower = lower.min(p);
            }
            // The model's turns, as the virtual clock counts them for this lane.
            let turns = &sim.lane.turns;
            let in_turns: f64 = turns.iter().map(|t| t.end_ms - t.start_ms).sum();
            let turns = if st.uses_turns() {
                format!("{} ({})", turns.len(), duration(in_turns))
            } else {
                "—".to_string()
            };
            [st.to_string(), duration(lower), duration(p), upper, turns]
        })
        .collect();
    if plan.has_turns() {
        out.push_str(&table(
            [
                "strategy",
                "lower bound",
                "predicted",
                "Graham upper",
                "model turns",
            ],
            rows,
        ));
    } else {
        let rows = rows
            .into_iter()
            .map(|[a, b, c, d, _]| [a, b, c, d])
            .collect();
        out.push_str(&table(
            ["strategy", "lower bound", "predicted", "Graham upper"],
            rows,
        ));
    }
    out.push_str(
        "\npredicted: the wall on an exact clock (the virtual clock); a greedy pool of N never \
         exceeds Graham's sum/N + (1 - 1/N)·critical path\n",
    );
    if let Some(l) = &s.lesson {
        out.push_str(&format!("\nlesson: {}\n", esc(l)));
    }
    out
}

/// A header and its rows, flush left, indented two spaces, two spaces apart.
fn table<const N: usize>(header: [&str; N], rows: Vec<[String; N]>) -> String {
    let mut all = vec![header.map(String::from)];
    all.extend(rows);
    columns(&all, &[true; N], "  ", 2, true)
}
