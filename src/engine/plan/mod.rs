//! Validation of a [`Scenario`] into a compact indexed graph: ids become indices, dependencies
//! become in-degrees and successor lists, and the levels and bounds are computed once, O(V + E).

mod attempts;
mod bounds;
mod graph;
mod lists;
mod validate;

use std::sync::Arc;

use super::dist::{DEFAULT_SEED, Distribution, draw_all};
use super::effects::{Effect, LOCAL_PLACEHOLDER};
use super::error::{InputError, nearest};
use super::json::locate::Step;
use super::options::{Mode, RunOptions};
use super::scenario::{self, OnError, Scenario, ScenarioSource};
use super::strategy::{self, Bounds, Strategy};
pub use attempts::{PlannedAttempt, attempt_plan, plain_duration, timed_out};
use graph::{describe_cycle, topological_order};
pub use lists::CallLists;
pub(crate) use validate::median_ms;
use validate::{attempts_of, effect_of, model_turns_of, rate_limit_of, valid_id};

/// Retrying a failed call: `max` more attempts, waiting `backoff_ms`, doubled each time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Retries {
    /// Retries after the first attempt.
    pub max: u32,
    /// Wait before the first retry, nominal ms.
    pub backoff_ms: f64,
}

impl Retries {
    /// The wait before attempt `n` (1-based; attempt 1 has none).
    pub fn backoff_before(&self, n: u32) -> f64 {
        if n <= 1 {
            0.0
        } else {
            self.backoff_ms * 2f64.powi(n as i32 - 2)
        }
    }
}

/// A validated token bucket (see [`crate::engine::scenario::RateLimitSpec`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimit {
    /// Tokens per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
    /// Only calls of this tool take tokens (all calls when `None`).
    pub tool: Option<String>,
}

/// One validated call.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCall {
    /// The call's id, shared by every record and view of the call.
    pub id: Arc<str>,
    /// The tool's display name (the id when the file gives none).
    pub tool: Arc<str>,
    /// What the call does.
    pub effect: Effect,
    /// The call fails with this message after its effect.
    pub fail: Option<String>,
    /// Only the first this many attempts fail (all when `None`).
    pub fail_attempts: Option<u32>,
    /// Each attempt fails after this long (nominal ms for simulated effects).
    pub timeout_ms: Option<f64>,
    /// Retries after a failed attempt.
    pub retries: Retries,
    /// A model call: the turn strategies take its latency as a model turn instead of running it.
    pub model: bool,
}

impl PlanCall {
    /// Whether attempt `n` (1-based) fails on purpose (`fail`, `fail_attempts`).
    pub fn fails_attempt(&self, n: u32) -> bool {
        self.fail.is_some() && self.fail_attempts.is_none_or(|k| n <= k)
    }

    /// How long the call takes and whether it fails in the end, when that is known before
    /// running (simulated and CPU effects): every attempt, timeout and backoff counted.
    /// Real I/O counts 0 and succeeds until measured. Simulated time is divided by `speed`.
    pub fn expected(&self, speed: f64) -> (f64, bool) {
        let scale = if self.effect.is_simulated() {
            1.0 / speed
        } else {
            1.0
        };
        let base = self.effect.nominal_ms().unwrap_or(0.0);
        // Most calls have one attempt that succeeds: no plan to build for them.
        if let Some(d) = attempts::plain_duration(self, base, scale) {
            return (d, false);
        }
        let attempts = attempts::attempt_plan(self, base, scale);
        let total = attempts.iter().map(|a| a.backoff_ms + a.duration_ms).sum();
        (total, attempts.last().is_some_and(|a| a.error.is_some()))
    }
}

/// A validated scenario, ready to run under any strategy.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where it came from (a path or `built-in NAME`).
    pub label: String,
    /// The scenario as written, kept so a record can carry it (shared with the records, not
    /// copied: at a million calls it is hundreds of MB).
    pub scenario: Arc<Scenario>,
    /// The calls, in file order.
    pub calls: Vec<PlanCall>,
    /// For each call, the calls it waits for (each once, in the order its `depends_on` names
    /// them).
    pub deps: CallLists,
    /// For each call, the calls that depend on it.
    pub successors: CallLists,
    /// For each call, its level: 0 with no dependencies, else 1 + the deepest dependency's.
    pub level: Vec<usize>,
    /// The calls of each level, in file order.
    pub levels: Vec<Vec<usize>>,
    /// The scenario's default lanes.
    pub strategies: Vec<Strategy>,
    /// Nominal bounds (speed 1; real I/O counted as 0 until measured).
    pub bounds: Bounds,
    /// Whether each call runs at all: false downstream of a call that is known to fail, in
    /// every lane.
    pub runs: Vec<bool>,
    /// Nominal wall of the `waves` strategy: the sum of each level's slowest call.
    pub waves_ms: f64,
    /// The calls in a topological order.
    pub order: Vec<usize>,
    /// What a failure does to the rest of a lane.
    pub on_error: OnError,
    /// The token bucket calls take from, if any.
    pub rate_limit: Option<RateLimit>,
    /// How the scenario's lanes run unless the command line says (`"mode"` in the file).
    pub mode: Option<Mode>,
    /// The seed the `latency` draws came from.
    pub seed: u64,
    /// For each call, its duration plus the longest chain after it (nominal): the priority of
    /// `pool:N:cp`.
    pub remaining_ms: Vec<f64>,
    /// The folder the scenario's relative file paths resolve against (to plan an edited copy).
    pub base_dir: std::path::PathBuf,
    /// Nominal ms of each model turn, in turn order (one more than there are calls, the most any
    /// lane takes); empty when the scenario sets no model turns.
    pub turn_ms: Vec<f64>,
}

impl Plan {
    /// Resolves a path or built-in name, parses and validates it.
    pub fn load(arg: &str) -> Result<Plan, InputError> {
        let source = scenario::resolve(arg)?;
        Plan::from_source(&source)
    }

    /// Parses and validates a source's text.
    pub fn from_source(source: &ScenarioSource) -> Result<Plan, InputError> {
        let scenario = source.parse()?;
        Plan::new(scenario, source)
    }

    /// Validates a parsed scenario. `source` names the file and places errors: every error
    /// carries the line:column of what it is about (the call's id, or the top-level key).
    pub fn new(
        scenario: impl Into<Arc<Scenario>>,
        source: &ScenarioSource,
    ) -> Result<Plan, InputError> {
        let mut scenario = scenario.into();
        if let Some(s) = Arc::get_mut(&mut scenario) {
            s.shrink_to_fit();
        }
        let label = source.label.as_str();
        // Calls are placed by index, not by searching for their id: exact for a repeated id, and
        // inside a record the lanes' call entries are never mistaken for the scenario's.
        let at_call = |i: usize, message: String| {
            source
                .error(message)
                .at(source.place_of_call(i))
                .call(&*scenario.calls[i].id)
        };
        if scenario.calls.is_empty() {
            return Err(source
                .error("`calls` is empty: a batch needs at least one call")
                .at(source.place_of_key("calls"))
                .hint("add calls such as {\"id\": \"fetch_1\", \"latency_ms\": 500}"));
        }
        // The plan's lists hold 32-bit indices (see `CallLists`).
        let entries: usize = scenario.calls.iter().map(|c| c.depends_on.len()).sum();
        if scenario.calls.len().max(entries) > u32::MAX as usize {
            return Err(source
                .error("more calls or dependencies than fanout can plan (at most 4,294,967,295)")
                .at(source.place_of_key("calls"))
                .hint("split the batch into smaller scenarios"));
        }
        if scenario.name.trim().is_empty() {
            return Err(source
                .error("`name` is empty")
                .at(source.place_of_key("name"))
                .hint("give the scenario a title, e.g. \"name\": \"Fetch 5 URLs\""));
        }

        let seed = scenario.seed.unwrap_or(DEFAULT_SEED);
        let dists: Vec<Option<&Distribution>> = scenario
            .calls
            .iter()
            .map(|c| c.latency.as_deref())
            .collect();
        let draws = draw_all(seed, &dists);
        let mut index: foldhash::HashMap<&str, usize> =
            foldhash::HashMap::with_capacity_and_hasher(scenario.calls.len(), Default::default());
        let mut calls = Vec::with_capacity(scenario.calls.len());
        // Each call's nominal duration and whether it fails in the end, worked out once.
        let mut nominal: Vec<(f64, bool)> = Vec::with_capacity(scenario.calls.len());
        for (i, spec) in scenario.calls.iter().enumerate() {
            let id = &*spec.id;
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
            let effect = effect_of(spec, i, draws[i], source).map_err(|(message, hint)| {
                let err = at_call(i, message);
                match hint {
                    Some(h) => err.hint(h),
                    None => err,
                }
            })?;
            let (timeout_ms, retries) =
                attempts_of(spec).map_err(|(message, hint)| at_call(i, message).hint(hint))?;
            if spec.fail.as_deref().is_some_and(|f| f.trim().is_empty()) {
                return Err(at_call(i, "`fail` is empty".into()).hint(
                    "give the message the call fails with, e.g. \"fail\": \"HTTP 503\", or remove `fail`",
                ));
            }
            // Real I/O with nothing to cut it off could wait forever (a FIFO, a server that
            // never answers): it gets a default timeout, which `check` shows.
            let timeout_ms = match (&effect, timeout_ms) {
                (Effect::File { .. }, None) => Some(super::limits::DEFAULT_REAL_TIMEOUT_MS),
                (Effect::Http(h), None) if h.timeout_ms.is_none() => {
                    Some(super::limits::DEFAULT_REAL_TIMEOUT_MS)
                }
                (_, t) => t,
            };
            if spec.model
                && (!effect.is_simulated() || spec.timeout_ms.is_some() || spec.retries.is_some())
            {
                return Err(at_call(i, "a model call is a simulated latency, and this one is not".into())
                    .hint("a model call's latency is a model turn: give it latency_ms (or latency) alone, without http, file, cpu_ms, timeout_ms or retries, or remove \"model\": true"));
            }
            if spec.fail_attempts.is_some() && spec.fail.is_none() {
                return Err(at_call(i, "`fail_attempts` without `fail`".into())
                    .hint("add \"fail\": \"message\" to say how its first attempts fail"));
            }
            let id: Arc<str> = spec.id.clone();
            let call = PlanCall {
                tool: spec.tool.as_deref().map_or_else(|| id.clone(), Arc::from),
                id,
                effect,
                fail: spec.fail.clone(),
                fail_attempts: spec.fail_attempts,
                timeout_ms,
                retries,
                model: spec.model,
            };
            // Each number is in range, but doubling backoffs over many retries add up.
            let expected = call.expected(1.0);
            let total = expected.0;
            if total > super::limits::CALL_TOTAL_MAX_MS {
                return Err(at_call(
                    i,
                    format!(
                        "takes {:.1} h in all with its retries, timeouts and backoffs: at most 24 h",
                        total / 3_600_000.0
                    ),
                )
                .hint("use fewer retries or a shorter backoff_ms (it doubles before each retry)"));
            }
            calls.push(call);
            nominal.push(expected);
        }

        // `added[d] == i` once call `i` lists `d`: drops repeated dependencies in O(E), where a
        // `contains` per dependency would be quadratic in a long depends_on.
        let mut added = vec![usize::MAX; scenario.calls.len()];
        let mut deps = CallLists::new();
        // The call each `depends_on` entry names, in file order, to share its id below.
        let mut named: Vec<usize> = Vec::new();
        for (i, spec) in scenario.calls.iter().enumerate() {
            for dep in &spec.depends_on {
                let Some(&d) = index.get(&**dep) else {
                    let mut err = at_call(i, format!("depends on unknown call `{dep}`"));
                    // File order, so that among equally close ids the suggestion is stable.
                    let ids = scenario.calls.iter().map(|c| &*c.id);
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
                named.push(d);
                if added[d] != i {
                    added[d] = i;
                    deps.push(d);
                }
            }
            deps.end_list();
        }
        deps.shrink_to_fit();

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
                    out.push(name.parse().map_err(|m: String| {
                        let at = source
                            .place(&[Step::Key("strategies"), Step::Index(k)])
                            .or_else(|| source.place_of_key("strategies"));
                        source.error(format!("in `strategies`: {m}")).at(at)
                    })?);
                }
                strategy::distinct(out)
            }
        };

        let successors = deps.reversed(calls.len());
        let order = topological_order(&deps, &successors).map_err(|cycle| {
            let ids: Vec<&str> = cycle.iter().map(|&i| &*calls[i].id).collect();
            at_call(cycle[0], describe_cycle(&ids))
                .hint("each call in the cycle waits for the next, so none can start; remove one of these depends_on")
        })?;

        // A call downstream of a call known to fail is skipped in every lane, so it costs no
        // time: leave it out of the bounds, or a lane would seem to beat its own lower bound.
        let mut level = vec![0usize; calls.len()];
        let mut runs = vec![true; calls.len()];
        for &i in &order {
            let deps = deps[i].iter().map(|&d| d as usize);
            level[i] = deps.clone().map(|d| level[d] + 1).max().unwrap_or(0);
            runs[i] = deps.clone().all(|d| runs[d] && !nominal[d].1);
        }
        let depth = level.iter().copied().max().unwrap_or(0) + 1;
        let mut levels = vec![Vec::new(); depth];
        for (i, &l) in level.iter().enumerate() {
            levels[l].push(i);
        }
        let rate_limit = rate_limit_of(&scenario, &calls, source)?;
        let turn_ms = model_turns_of(&scenario, &calls, calls.len() + 1, seed, source)?;
        if turn_ms.is_empty()
            && let Some(k) = strategies.iter().position(|s| s.uses_turns())
        {
            let at = source
                .place(&[Step::Key("strategies"), Step::Index(k)])
                .or_else(|| source.place_of_key("strategies"));
            return Err(source
                .error(format!(
                    "in `strategies`: `{}` counts the model's turns, and this scenario sets none",
                    strategies[k]
                ))
                .at(at)
                .hint(TURNS_HINT));
        }

        let on_error = scenario.on_error.unwrap_or_default();
        let mode = scenario.mode;
        // Each dependency becomes the id of the call it names, shared: a million calls' three
        // dependencies were three million strings of their own (issue 10). Not where the
        // scenario is shared (a record's, checked against its plan), which stays as read.
        if let Some(s) = Arc::get_mut(&mut scenario) {
            let mut named = named.into_iter();
            for spec in &mut s.calls {
                for dep in &mut spec.depends_on {
                    if let Some(d) = named.next() {
                        *dep = calls[d].id.clone();
                    }
                }
            }
        }
        let mut plan = Plan {
            label: label.to_string(),
            scenario,
            calls,
            deps,
            successors,
            level,
            levels,
            strategies,
            bounds: Bounds::default(),
            runs,
            waves_ms: 0.0,
            order,
            on_error,
            rate_limit,
            mode,
            seed,
            remaining_ms: Vec::new(),
            base_dir: source.base_dir.clone(),
            turn_ms,
        };
        let durations: Vec<f64> = nominal.into_iter().map(|(d, _)| d).collect();
        plan.bounds = plan.bounds_from(&durations, 1.0);
        plan.waves_ms = plan.waves_from(&durations);
        let mut remaining = durations.clone();
        for &i in plan.order.iter().rev() {
            let after = plan.successors[i]
                .iter()
                .map(|&s| remaining[s as usize])
                .fold(0.0, f64::max);
            remaining[i] = durations[i] + after;
        }
        plan.remaining_ms = remaining;
        Ok(plan)
    }

    /// Whether any call's URL needs fanout's local server (`{local}`).
    pub fn uses_local(&self) -> bool {
        self.calls
            .iter()
            .any(|c| matches!(&c.effect, Effect::Http(h) if h.url.contains(LOCAL_PLACEHOLDER)))
    }
}

/// How to give a scenario model turns.
const TURNS_HINT: &str = "add \"model_turn_ms\": 1500 (or a \"model_turn\" distribution, or mark the model's own calls \"model\": true) to the scenario, or use another strategy";

impl Plan {
    /// Nominal ms of model turn `k` (0-based); 0 without model turns.
    pub fn turn_nominal_ms(&self, k: usize) -> f64 {
        self.turn_ms
            .get(k)
            .or(self.turn_ms.last())
            .copied()
            .unwrap_or(0.0)
    }

    /// How many calls are model calls, whose latencies are the turns of the turn strategies.
    pub fn model_calls(&self) -> usize {
        self.calls.iter().filter(|c| c.model).count()
    }

    /// Whether the scenario sets model turns (`model_turn_ms`, `model_turn` or model calls).
    pub fn has_turns(&self) -> bool {
        !self.turn_ms.is_empty()
    }

    /// Refuses lanes that count the model's turns when the scenario sets none (the command
    /// line's `--strategies`; the file's own are checked in [`Plan::new`]).
    pub fn check_strategies(&self, strategies: &[Strategy]) -> Result<(), InputError> {
        match strategies.iter().find(|s| s.uses_turns()) {
            Some(s) if !self.has_turns() => Err(InputError::new(
                &self.label,
                format!("`{s}` counts the model's turns, and this scenario sets none"),
            )
            .hint(TURNS_HINT)),
            _ => Ok(()),
        }
    }

    /// The index of the call with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.calls.iter().position(|c| &*c.id == id)
    }
}

// Here and not in `options.rs`, which stays a leaf below the plan.
impl RunOptions {
    /// The scenario's own strategies at speed 1, raced.
    pub fn for_plan(plan: &Plan) -> Self {
        RunOptions {
            strategies: plan.strategies.clone(),
            speed: 1.0,
            mode: Mode::Race,
            local: None,
        }
    }
}
