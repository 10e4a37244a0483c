//! Validation of a [`Scenario`] into a compact indexed graph: ids become indices, dependencies
//! become in-degrees and successor lists, and the levels and bounds are computed once, O(V + E).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::{InputError, nearest};
use super::scenario::{self, Scenario, Source, Step};
use super::strategy::Strategy;
use super::tools::Effect;

/// The largest simulated latency a call may ask for: one hour.
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;

/// The two numbers that bound every lane, computed from the scenario alone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Sum of the latencies of the calls that run: what a sequential lane waits.
    pub sum_ms: f64,
    /// Longest dependency chain: what no lane can beat.
    pub critical_path_ms: f64,
}

impl Bounds {
    /// These bounds with simulated time divided by `speed`.
    pub fn at_speed(self, speed: f64) -> Bounds {
        Bounds {
            sum_ms: self.sum_ms / speed,
            critical_path_ms: self.critical_path_ms / speed,
        }
    }
}

/// One validated call.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCall {
    /// The call's id.
    pub id: String,
    /// The tool's display name (the id when the file gives none).
    pub tool: String,
    /// What the call does.
    pub effect: Effect,
    /// The call fails with this message after its effect.
    pub fail: Option<String>,
    /// Indices of the calls it waits for.
    pub deps: Vec<usize>,
}

/// A validated scenario, ready to run under any strategy.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where it came from (a path or `built-in NAME`).
    pub label: String,
    /// The scenario as written, kept so a record can carry it.
    pub scenario: Scenario,
    /// The calls, in file order.
    pub calls: Vec<PlanCall>,
    /// For each call, the calls that depend on it.
    pub successors: Vec<Vec<usize>>,
    /// For each call, its level: 0 with no dependencies, else 1 + the deepest dependency's.
    pub level: Vec<usize>,
    /// The calls of each level, in file order.
    pub levels: Vec<Vec<usize>>,
    /// The scenario's default lanes.
    pub strategies: Vec<Strategy>,
    /// Nominal bounds (speed 1).
    pub bounds: Bounds,
    /// Whether each call runs at all: false downstream of a `fail` call, in every lane.
    pub runs: Vec<bool>,
    /// Nominal wall of the `waves` strategy: the sum of each level's slowest call.
    pub waves_ms: f64,
}

impl Plan {
    /// Resolves a path or built-in name, parses and validates it.
    pub fn load(arg: &str) -> Result<Plan, InputError> {
        let source = scenario::resolve(arg)?;
        Plan::from_source(&source)
    }

    /// Parses and validates a source's text.
    pub fn from_source(source: &Source) -> Result<Plan, InputError> {
        let scenario = source.parse()?;
        Plan::new(scenario, source)
    }

    /// Validates a parsed scenario. `source` names the file and places errors: every error
    /// carries the line:column of what it is about (the call's id, or the top-level key).
    pub fn new(scenario: Scenario, source: &Source) -> Result<Plan, InputError> {
        let label = source.label.as_str();
        // Calls are placed by index, not by searching for their id: exact for a repeated id, and
        // inside a record the lanes' call entries are never mistaken for the scenario's.
        let at_call = |i: usize, message: String| {
            source
                .error(message)
                .at(source.place_of_call(i))
                .call(&scenario.calls[i].id)
        };
        if scenario.calls.is_empty() {
            return Err(source
                .error("`calls` is empty: a batch needs at least one call")
                .at(source.place_of_key("calls"))
                .hint("add calls such as {\"id\": \"fetch_1\", \"latency_ms\": 500}"));
        }
        if scenario.name.trim().is_empty() {
            return Err(source
                .error("`name` is empty")
                .at(source.place_of_key("name"))
                .hint("give the scenario a title, e.g. \"name\": \"Fetch 5 URLs\""));
        }

        let mut index: HashMap<&str, usize> = HashMap::with_capacity(scenario.calls.len());
        let mut calls = Vec::with_capacity(scenario.calls.len());
        for (i, spec) in scenario.calls.iter().enumerate() {
            let id = spec.id.as_str();
            if !valid_id(id) {
                return Err(at_call(i, format!("invalid id `{id}`")).hint(
                    "ids use only letters, digits and _ . : - (no spaces), and are not empty",
                ));
            }
            if let Some(first) = index.insert(id, i) {
                let first_at = match source.place_of_call(first) {
                    Some((line, _)) => format!(" (first at line {line})"),
                    None => format!(" (first as call {} of the list)", first + 1),
                };
                return Err(at_call(i, format!("duplicate id `{id}`{first_at}"))
                    .hint("every call needs its own id; rename one of them"));
            }
            let effect = match spec.latency_ms {
                Some(ms) => {
                    if !ms.is_finite() || !(0.0..=MAX_LATENCY_MS).contains(&ms) {
                        return Err(at_call(i, format!("latency_ms {ms} is out of range"))
                            .hint("use a number of milliseconds from 0 to 3600000 (one hour)"));
                    }
                    Effect::Latency { ms }
                }
                None => {
                    return Err(at_call(i, "has no effect".to_string())
                        .hint("give it one effect, e.g. \"latency_ms\": 500"));
                }
            };
            calls.push(PlanCall {
                id: spec.id.clone(),
                tool: spec.tool.clone().unwrap_or_else(|| spec.id.clone()),
                effect,
                fail: spec.fail.clone(),
                deps: Vec::with_capacity(spec.depends_on.len()),
            });
        }

        // `added[d] == i` once call `i` lists `d`: drops repeated dependencies in O(E), where a
        // `contains` per dependency would be quadratic in a long depends_on.
        let mut added = vec![usize::MAX; scenario.calls.len()];
        for (i, spec) in scenario.calls.iter().enumerate() {
            for dep in &spec.depends_on {
                let Some(&d) = index.get(dep.as_str()) else {
                    let mut err = at_call(i, format!("depends on unknown call `{dep}`"));
                    // File order, so that among equally close ids the suggestion is stable.
                    let ids = scenario.calls.iter().map(|c| c.id.as_str());
                    err = match nearest(dep, ids) {
                        Some(n) => err.hint(format!("did you mean `{n}`?")),
                        None => err.hint("depends_on lists ids of other calls in this file"),
                    };
                    return Err(err);
                };
                if d == i {
                    return Err(at_call(i, "depends on itself".to_string())
                        .hint(format!("remove `{dep}` from its depends_on")));
                }
                if added[d] != i {
                    added[d] = i;
                    calls[i].deps.push(d);
                }
            }
        }

        let strategies = match &scenario.strategies {
            None => vec![Strategy::Sequential, Strategy::Parallel],
            Some(list) if list.is_empty() => {
                return Err(source
                    .error("`strategies` is empty")
                    .at(source.place_of_key("strategies"))
                    .hint(
                        "list at least one, e.g. [\"sequential\", \"parallel\"], or remove the field",
                    ));
            }
            Some(list) => {
                let mut out = Vec::new();
                for (k, name) in list.iter().enumerate() {
                    let s: Strategy = name.parse().map_err(|m: String| {
                        let at = source
                            .place(&[Step::Key("strategies"), Step::Index(k)])
                            .or_else(|| source.place_of_key("strategies"));
                        source.error(format!("in `strategies`: {m}")).at(at)
                    })?;
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
                out
            }
        };

        let mut successors = vec![Vec::new(); calls.len()];
        for (i, c) in calls.iter().enumerate() {
            for &d in &c.deps {
                successors[d].push(i);
            }
        }
        let order = topological_order(&calls, &successors).map_err(|cycle| {
            let ids: Vec<&str> = cycle.iter().map(|&i| calls[i].id.as_str()).collect();
            at_call(cycle[0], describe_cycle(&ids))
                .hint("each call in the cycle waits for the next, so none can start; remove one of these depends_on")
        })?;

        // A call downstream of a `fail` call is skipped in every lane, so it costs no time:
        // leave it out of the bounds, or a lane would seem to beat its own lower bound.
        let mut level = vec![0usize; calls.len()];
        let mut finish = vec![0f64; calls.len()];
        let mut runs = vec![true; calls.len()];
        let mut sum_ms = 0.0;
        for &i in &order {
            let c = &calls[i];
            level[i] = c.deps.iter().map(|&d| level[d] + 1).max().unwrap_or(0);
            runs[i] = c.deps.iter().all(|&d| runs[d] && calls[d].fail.is_none());
            if runs[i] {
                let ready = c.deps.iter().map(|&d| finish[d]).fold(0.0, f64::max);
                finish[i] = ready + c.effect.nominal_ms();
                sum_ms += c.effect.nominal_ms();
            }
        }
        let depth = level.iter().copied().max().unwrap_or(0) + 1;
        let mut levels = vec![Vec::new(); depth];
        for (i, &l) in level.iter().enumerate() {
            levels[l].push(i);
        }
        let waves_ms = levels
            .iter()
            .map(|l| {
                l.iter()
                    .filter(|&&i| runs[i])
                    .map(|&i| calls[i].effect.nominal_ms())
                    .fold(0.0, f64::max)
            })
            .sum();
        let bounds = Bounds {
            sum_ms,
            critical_path_ms: finish.iter().copied().fold(0.0, f64::max),
        };

        Ok(Plan {
            label: label.to_string(),
            scenario,
            calls,
            successors,
            level,
            levels,
            strategies,
            bounds,
            runs,
            waves_ms,
        })
    }

    /// The index of the call with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.calls.iter().position(|c| c.id == id)
    }
}

/// `dependency cycle: a -> b -> a` for a cycle given with its first call repeated at the end.
/// A cycle of more than 12 calls prints its first 5 and last 5, with its length, so that a
/// 100 000-call cycle is one readable line instead of 700 KB.
fn describe_cycle(ids: &[&str]) -> String {
    const LONG: usize = 12;
    const SHOWN: usize = 5;
    let n = ids.len().saturating_sub(1);
    if n <= LONG {
        return format!("dependency cycle: {}", ids.join(" -> "));
    }
    format!(
        "dependency cycle of {n} calls: {} -> … ({} more) … -> {}",
        ids[..SHOWN].join(" -> "),
        n - 2 * SHOWN,
        ids[n - SHOWN..].join(" -> ")
    )
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// Kahn's algorithm. On a cycle, returns one cycle as call indices, first repeated at the end.
fn topological_order(
    calls: &[PlanCall],
    successors: &[Vec<usize>],
) -> Result<Vec<usize>, Vec<usize>> {
    let mut indegree: Vec<usize> = calls.iter().map(|c| c.deps.len()).collect();
    let mut order: Vec<usize> = (0..calls.len()).filter(|&i| indegree[i] == 0).collect();
    let mut head = 0;
    while head < order.len() {
        let i = order[head];
        head += 1;
        for &s in &successors[i] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                order.push(s);
            }
        }
    }
    if order.len() == calls.len() {
        return Ok(order);
    }
    // Every call left has a dependency that is also left: walk those until one repeats.
    let start = (0..calls.len())
        .find(|&i| indegree[i] > 0)
        .expect("a call is left");
    let mut seen = vec![usize::MAX; calls.len()];
    let mut path = Vec::new();
    let mut at = start;
    while seen[at] == usize::MAX {
        seen[at] = path.len();
        path.push(at);
        at = *calls[at]
            .deps
            .iter()
            .find(|&&d| indegree[d] > 0)
            .expect("a call in a cycle has a dependency in it");
    }
    let mut cycle = path.split_off(seen[at]);
    cycle.push(at);
    Err(cycle)
}
