//! What if: the batch changed at the keyboard. Each edit makes a new scenario (and lane list),
//! planned as a file would be — so a cycle is refused with its path — and predicted at once on
//! the virtual clock; `u` steps back through the edits.

use std::sync::Arc;

use crate::engine::scenario::ScenarioSource;
use crate::engine::virtual_clock::run_virtual;
use crate::engine::{Plan, Record, RunOptions, Scenario, Strategy};

/// The most workers a pool lane can be given at the keyboard.
pub const MAX_WORKERS: usize = 1024;

/// One state of the edited batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The scenario as edited.
    pub scenario: Scenario,
    /// The lanes.
    pub strategies: Vec<Strategy>,
}

/// A change to the batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Lane `lane` gets `by` more (or fewer) workers.
    Workers {
        /// Which lane.
        lane: usize,
        /// How many more.
        by: i64,
    },
    /// A lane is added.
    AddLane(Strategy),
    /// Lane `lane` goes.
    RemoveLane(usize),
    /// Call `call`'s latency is multiplied by `factor`.
    Latency {
        /// Which call.
        call: usize,
        /// By how much.
        factor: f64,
    },
    /// Call `call` starts or stops depending on call `on`.
    ToggleDep {
        /// Which call.
        call: usize,
        /// The dependency.
        on: usize,
    },
}

/// The edited batch and its history.
#[derive(Debug, Clone)]
pub struct WhatIf {
    /// Where the scenario's relative paths resolve, and what to call it.
    base: Arc<Plan>,
    /// Every state so far; the last is current.
    history: Vec<Batch>,
}

impl WhatIf {
    /// Starts from `plan` run under `strategies`.
    pub fn new(plan: Arc<Plan>, strategies: Vec<Strategy>) -> WhatIf {
        let first = Batch {
            scenario: (*plan.scenario).clone(),
            strategies,
        };
        WhatIf {
            base: plan,
            history: vec![first],
        }
    }

    /// The current batch.
    pub fn current(&self) -> &Batch {
        self.history.last().expect("a what-if always has a batch")
    }

    /// Whether anything has changed since the start.
    pub fn changed(&self) -> bool {
        self.history.len() > 1
    }

    /// Applies `edit`: the new batch's plan, or why the edit is refused (nothing changes then).
    pub fn apply(&mut self, edit: &Edit) -> Result<Arc<Plan>, String> {
        let mut next = self.current().clone();
        match *edit {
            Edit::Workers { lane, by } => {
                let s = next.strategies.get_mut(lane).ok_or("no such lane")?;
                let n = |n: usize| (n as i64 + by).clamp(1, MAX_WORKERS as i64) as usize;
                *s = match *s {
                    Strategy::Pool(k) => Strategy::Pool(n(k)),
                    Strategy::PoolCp(k) => Strategy::PoolCp(n(k)),
                    other => {
                        return Err(format!(
                            "{other} has no workers to change: [ and ] work on pool lanes"
                        ));
                    }
                };
            }
            Edit::AddLane(s) => {
                if next.strategies.contains(&s) {
                    return Err(format!("{s} is already a lane"));
                }
                next.strategies.push(s);
            }
            Edit::RemoveLane(lane) => {
                if next.strategies.len() <= 1 {
                    return Err("the last lane stays".into());
                }
                if lane >= next.strategies.len() {
                    return Err("no such lane".into());
                }
                next.strategies.remove(lane);
            }
            Edit::Latency { call, factor } => {
                let c = next.scenario.calls.get_mut(call).ok_or("no such call")?;
                match c.latency_ms {
                    Some(ms) if c.http.is_none() && c.file.is_none() && c.cpu_ms.is_none() => {
                        c.latency_ms = Some(ms * factor)
                    }
                    _ => {
                        return Err(format!(
                            "{} is not a fixed simulated latency: < and > change latency_ms calls",
                            c.id
                        ));
                    }
                }
            }
            Edit::ToggleDep { call, on } => {
                let dep = next
                    .scenario
                    .calls
                    .get(on)
                    .ok_or("no such call")?
                    .id
                    .clone();
                let c = next.scenario.calls.get_mut(call).ok_or("no such call")?;
                if c.id == dep {
                    return Err("a call cannot depend on itself".into());
                }
                match c.depends_on.iter().position(|d| *d == dep) {
                    Some(k) => {
                        c.depends_on.remove(k);
                    }
                    None => c.depends_on.push(dep),
                }
            }
        }
        let plan = self.plan_of(&next)?;
        self.history.push(next);
        Ok(plan)
    }

    /// Steps back one edit: the restored batch's plan, or `None` at the start.
    pub fn undo(&mut self) -> Option<Arc<Plan>> {
        if self.history.len() <= 1 {
            return None;
        }
        self.history.pop();
        let current = self.current().clone();
        self.plan_of(&current).ok()
    }

    /// Plans `batch` as if it were a file beside the original (so relative paths still resolve):
    /// any error — a cycle, say — comes back as its message.
    fn plan_of(&self, batch: &Batch) -> Result<Arc<Plan>, String> {
        let mut scenario = batch.scenario.clone();
        scenario.strategies = Some(batch.strategies.iter().map(|s| s.to_string()).collect());
        let text = serde_json::to_string_pretty(&scenario).map_err(|e| e.to_string())?;
        let mut source = ScenarioSource::from_text(format!("{} (what-if)", self.base.label), text);
        source.base_dir = self.base.base_dir.clone();
        Plan::from_source(&source)
            .map(Arc::new)
            .map_err(|e| e.to_string().lines().next().unwrap_or_default().to_string())
    }

    /// The current batch as a scenario file's text.
    pub fn scenario_json(&self) -> String {
        let batch = self.current();
        let mut scenario = batch.scenario.clone();
        scenario.strategies = Some(batch.strategies.iter().map(|s| s.to_string()).collect());
        let mut s = serde_json::to_string_pretty(&scenario).expect("a scenario serializes");
        s.push('\n');
        s
    }
}

/// What the virtual clock predicts for `plan` under `strategies` at `speed`.
pub fn predict(plan: &Arc<Plan>, strategies: &[Strategy], speed: f64) -> Record {
    let mut opts = RunOptions::for_plan(plan);
    opts.strategies = strategies.to_vec();
    opts.speed = speed;
    run_virtual(plan, &opts)
}

/// The lanes `a` offers to add: the common strategies not already there, and the two that
/// count the model's turns when the scenario has turns (`model_turn_ms`, `model_turn` or model
/// calls) — without them those lanes are refused, so they are not offered.
pub fn addable(strategies: &[Strategy], turns: bool) -> Vec<Strategy> {
    let common = [
        Strategy::Sequential,
        Strategy::Parallel,
        Strategy::Waves,
        Strategy::Pool(2),
        Strategy::Pool(3),
        Strategy::Pool(4),
        Strategy::PoolCp(2),
        Strategy::PoolCp(3),
        Strategy::PoolCp(4),
    ];
    let turn = [Strategy::OnePerTurn, Strategy::TurnBatched];
    common
        .into_iter()
        .chain(turn.into_iter().filter(|_| turns))
        .filter(|s| !strategies.contains(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whatif(name: &str) -> WhatIf {
        let plan = Arc::new(Plan::load(name).unwrap());
        let strategies = plan.strategies.clone();
        WhatIf::new(plan, strategies)
    }

    #[test]
    fn raising_a_pool_re_predicts_and_undo_steps_back() {
        let mut w = whatif("pool-of-3");
        let k = w
            .current()
            .strategies
            .iter()
            .position(|s| matches!(s, Strategy::Pool(_)))
            .unwrap();
        let plan = w.apply(&Edit::Workers { lane: k, by: 2 }).unwrap();
        assert_eq!(w.current().strategies[k], Strategy::Pool(5));
        let record = predict(&plan, &w.current().strategies, 1.0);
        assert_eq!(record.lanes[k].wall_ms, 2000.0);
        assert!(w.undo().is_some());
        assert_eq!(w.current().strategies[k], Strategy::Pool(3));
        assert!(w.undo().is_none());
    }

    #[test]
    fn a_cycle_is_refused_naming_it() {
        let mut w = whatif("fetch-then-post");
        let err = w.apply(&Edit::ToggleDep { call: 0, on: 1 }).unwrap_err();
        assert!(err.contains("cycle"), "{err}");
        assert!(!w.changed());
    }

    #[test]
    fn the_turn_lanes_are_offered_where_the_scenario_has_turns() {
        use Strategy::{OnePerTurn, Parallel, TurnBatched};
        assert!(!addable(&[Parallel], false).contains(&OnePerTurn));
        let offered = addable(&[Parallel, TurnBatched], true);
        assert!(offered.contains(&OnePerTurn));
        assert!(!offered.contains(&TurnBatched) && !offered.contains(&Parallel));
        // And adding one predicts it: agent-research's one-per-turn takes 34 s.
        let mut w = whatif("agent-research");
        w.apply(&Edit::RemoveLane(0)).unwrap();
        let plan = w.apply(&Edit::AddLane(OnePerTurn)).unwrap();
        let record = predict(&plan, &w.current().strategies, 1.0);
        let lane = record.lanes.last().unwrap();
        assert_eq!(
            (lane.strategy.to_string().as_str(), lane.wall_ms),
            ("one-per-turn", 34_000.0)
        );
    }

    #[test]
    fn latency_and_lanes_change_and_the_last_lane_stays() {
        let mut w = whatif("fetch-5-urls");
        let plan = w
            .apply(&Edit::Latency {
                call: 0,
                factor: 2.0,
            })
            .unwrap();
        assert_eq!(plan.calls[0].effect.nominal_ms(), Some(10_000.0));
        w.apply(&Edit::RemoveLane(0)).unwrap();
        assert!(w.apply(&Edit::RemoveLane(0)).is_err());
        w.apply(&Edit::AddLane(Strategy::Pool(2))).unwrap();
        assert!(w.scenario_json().contains("pool:2"));
    }
}
