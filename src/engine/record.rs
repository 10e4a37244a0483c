//! The run record: every lane's measured timings, self-contained (it carries the scenario as
//! run), so it can be reported and replayed without the scenario file and without re-running.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::effects::Effect;
use super::error::InputError;
use super::json::locate::{Step, dotted, line_col, locate};
use super::json::{FileKind, JsonFile, parse_json};
use super::options::{Clock, Mode};
use super::plan::Plan;
use super::scenario::{Scenario, read_file};
use super::strategy::{Bounds, Strategy, cores};

// Objects only: serde's derive also reads a struct from a list, fields by position.
super::json::object_only! {
    Attempt => "an object {…}",
    CallRecord => "an object {…}",
    LaneRecord => "an object {…}",
    Record => "an object {…}",
}

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    /// The call completed.
    Ok,
    /// The call failed; its message is in `error`.
    Error,
    /// The call never ran because a dependency failed; the reason is in `error`.
    Skipped,
    /// The lane stopped the call (`on_error: cancel`) after another call failed.
    Cancelled,
}

/// One attempt of a call that was tried more than once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Attempt {
    /// When the attempt started (ms from the lane's start).
    pub start_ms: f64,
    /// When it ended.
    pub end_ms: f64,
    /// Why it failed; `null` for the attempt that succeeded.
    pub error: Option<String>,
}

/// One call's timings in one lane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct CallRecord {
    /// The call's id.
    pub id: String,
    /// How it ended.
    pub status: CallStatus,
    /// Milliseconds from the lane's start to the call's start; `null` when skipped.
    pub start_ms: Option<f64>,
    /// Milliseconds from the lane's start to the call's end; `null` when skipped.
    pub end_ms: Option<f64>,
    /// The failure message, or why the call was skipped or cancelled.
    pub error: Option<String>,
    /// Milliseconds it waited for a rate-limit token before `start_ms`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wait_ms: Option<f64>,
    /// Every attempt, when there was more than one (retries).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    /// Bytes received (HTTP) or read (file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The HTTP status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

impl CallRecord {
    /// A call that never ran.
    pub fn skipped(id: &str, reason: String) -> Self {
        CallRecord {
            id: id.to_string(),
            status: CallStatus::Skipped,
            start_ms: None,
            end_ms: None,
            error: Some(reason),
            wait_ms: None,
            attempts: Vec::new(),
            bytes: None,
            http_status: None,
        }
    }

    /// A call the lane stopped at `at_ms` after `root` failed (`on_error: cancel`).
    pub fn cancelled(id: &str, root: &str, start: Option<f64>, at_ms: f64) -> Self {
        let mut record =
            CallRecord::skipped(id, format!("cancelled: `{root}` failed (on_error: cancel)"));
        record.status = CallStatus::Cancelled;
        record.start_ms = start;
        record.end_ms = Some(at_ms);
        record
    }

    /// A call that ran from `start` to `end` through `attempts` (the last one decides how it
    /// ended; a single attempt is not listed), after waiting `wait_ms` for a rate-limit token.
    /// Both clocks build their records here, so they follow one rule.
    pub fn ran(
        id: &str,
        start: f64,
        end: f64,
        wait_ms: Option<f64>,
        attempts: Vec<Attempt>,
    ) -> Self {
        let error = attempts.last().and_then(|a| a.error.clone());
        CallRecord {
            id: id.to_string(),
            status: if error.is_some() {
                CallStatus::Error
            } else {
                CallStatus::Ok
            },
            start_ms: Some(start),
            end_ms: Some(end),
            error,
            wait_ms,
            attempts: if attempts.len() > 1 {
                attempts
            } else {
                Vec::new()
            },
            bytes: None,
            http_status: None,
        }
    }

    /// How long the call ran, if it ran.
    pub fn duration_ms(&self) -> Option<f64> {
        Some(self.end_ms? - self.start_ms?)
    }
}

/// What one lane measured, on either clock: what [`LaneRecord`] is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneResult {
    /// The strategy the lane ran.
    pub strategy: Strategy,
    /// Wall-clock milliseconds from the lane's start to its last call's end.
    pub wall_ms: f64,
    /// One record per call, in file order.
    pub calls: Vec<CallRecord>,
}

/// One strategy's run of the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct LaneRecord {
    /// The strategy, as written on the command line (`pool:3`).
    pub strategy: String,
    /// Measured wall-clock milliseconds.
    pub wall_ms: f64,
    /// What no run of this strategy can beat (nominal ÷ speed).
    pub lower_bound_ms: f64,
    /// The sequential lane's wall (or `sum_ms` without one) ÷ this lane's wall; 1.0 when either
    /// is 0 (no work to speed up, or nothing measured), since JSON has no NaN or infinity.
    pub speedup: f64,
    /// The wall the virtual clock predicts for this lane (the simulated part of the batch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_ms: Option<f64>,
    /// One entry per call, in file order.
    pub calls: Vec<CallRecord>,
}

impl LaneRecord {
    /// Whether this is the recorded lane of an imported trace, not a strategy's run.
    pub fn is_recorded(&self) -> bool {
        is_recorded(&self.strategy)
    }

    /// Lower bound ÷ wall: 1.0 means the lane did as well as any run of its strategy can.
    ///
    /// When the lower bound is 0 (every call has latency 0, or every call that costs time was
    /// skipped) no run could have done better than the nominal bound, so this is 1.0 rather than
    /// 0 / wall = 0 %; likewise for a wall of 0.
    pub fn efficiency(&self) -> f64 {
        efficiency(self.lower_bound_ms, self.wall_ms)
    }

    /// fanout's own overhead on this lane: measured wall − predicted wall, in ms, or `None`
    /// for a record without a prediction. Since no recorded call is shorter than its latency,
    /// this is the dispatch and timer delay the run added (plus the time of real I/O, which the
    /// prediction counts as 0). 0 on the virtual clock; negative only if a lane stopped early.
    pub fn overhead_ms(&self) -> Option<f64> {
        self.predicted_ms.map(|p| self.wall_ms - p)
    }
}

/// A lane's lower bound given its prediction: under `on_error: cancel` a lane may stop before
/// doing all its work, so the strategy's bound is lowered to what an exact clock achieves.
pub fn lower_bound_under(lower_bound_ms: f64, predicted_ms: f64, cancels: bool) -> f64 {
    if cancels {
        lower_bound_ms.min(predicted_ms)
    } else {
        lower_bound_ms
    }
}

/// `lower bound ÷ wall`, or 1.0 when either is 0 (see [`LaneRecord::efficiency`]).
pub fn efficiency(lower_bound_ms: f64, wall_ms: f64) -> f64 {
    if lower_bound_ms > 0.0 && wall_ms > 0.0 {
        lower_bound_ms / wall_ms
    } else {
        1.0
    }
}

/// `baseline ÷ wall`, or 1.0 when either is 0: with no work to speed up (a baseline of 0) there
/// is no speedup, and a record holds numbers only (JSON has no NaN or infinity).
pub fn speedup(baseline_ms: f64, wall_ms: f64) -> f64 {
    if baseline_ms > 0.0 && wall_ms > 0.0 {
        baseline_ms / wall_ms
    } else {
        1.0
    }
}

/// The lane name of what really happened, in a record made from an imported trace.
pub const RECORDED_LANE: &str = "recorded";

/// Whether a lane label names the recorded lane rather than a strategy: the one place the label
/// is compared, so that the spelling lives in [`RECORDED_LANE`] alone.
pub fn is_recorded(label: &str) -> bool {
    label == RECORDED_LANE
}

/// A saved run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct Record {
    /// The fanout version that made it.
    pub fanout_version: String,
    /// Wall-clock time the run started (RFC 3339, UTC, milliseconds).
    pub started_at: String,
    /// The divisor applied to simulated latencies.
    pub speed: f64,
    /// Whether the lanes raced or ran one at a time.
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// Real (measured) or virtual (exact, simulated) time.
    #[serde(default)]
    pub clock: Clock,
    /// The scenario as run.
    pub scenario: Scenario,
    /// Sum of work and critical path: nominal ÷ speed for simulated calls, measured (the median
    /// over lanes) for real I/O.
    pub bounds: Bounds,
    /// The cores of the machine that ran it (CPU-bound work is bounded by them).
    #[serde(default = "one_core")]
    pub cores: usize,
    /// The latencies drawn from `latency` distributions, by call id (the same in every lane).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub draws: BTreeMap<String, f64>,
    /// One per strategy, in the order run.
    pub lanes: Vec<LaneRecord>,
    /// With `--runs N`: every run's lanes, the first of which is `lanes`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<Vec<LaneRecord>>,
}

fn one_core() -> usize {
    1
}

fn default_mode() -> Mode {
    Mode::Race
}

impl Record {
    /// Assembles a record from measured lanes, computing speedups and lower bounds.
    pub fn new(
        plan: &Plan,
        speed: f64,
        mode: Mode,
        started_at: String,
        lanes: Vec<LaneResult>,
    ) -> Record {
        let cores = cores();
        // Simulated and CPU calls count what they are known to take; real I/O counts the least
        // it took in any lane, so that no lane can beat the bound with a lucky fast call.
        let durations: Vec<f64> = plan
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| match c.effect.nominal_ms() {
                Some(_) => c.expected(speed).0,
                None => lanes
                    .iter()
                    .filter_map(|l| l.calls.get(i)?.duration_ms())
                    .fold(None, |m: Option<f64>, d| Some(m.map_or(d, |m| m.min(d))))
                    .unwrap_or(0.0),
            })
            .collect();
        let bounds = plan.bounds_from(&durations, speed);
        let draws = plan
            .calls
            .iter()
            .filter_map(|c| match c.effect {
                Effect::Drawn { ms, .. } => Some((c.id.clone(), ms)),
                _ => None,
            })
            .collect();
        let baseline = lanes
            .iter()
            .find(|l| l.strategy == Strategy::Sequential)
            .map_or(bounds.sum_ms, |l| l.wall_ms);
        let lanes = lanes
            .into_iter()
            .map(|l| LaneRecord {
                strategy: l.strategy.to_string(),
                wall_ms: l.wall_ms,
                lower_bound_ms: l.strategy.lower_bound_ms(&bounds, cores),
                speedup: speedup(baseline, l.wall_ms),
                predicted_ms: None,
                calls: l.calls,
            })
            .collect();
        Record {
            fanout_version: env!("CARGO_PKG_VERSION").to_string(),
            started_at,
            speed,
            mode,
            clock: Clock::Real,
            scenario: plan.scenario.clone(),
            bounds,
            cores,
            draws,
            lanes,
            runs: Vec::new(),
        }
    }

    /// Gives each lane the wall the virtual clock predicts for it. Under `on_error: cancel` a
    /// lane may stop before doing all its work, so its lower bound is no bound: it is lowered
    /// to the prediction, which an exact clock achieves. (Elsewhere the prediction is not a cap:
    /// real I/O counts 0 in it.)
    pub fn set_predicted(&mut self, walls: &[f64], cancels: bool) {
        for (lane, &p) in self.lanes.iter_mut().zip(walls) {
            lane.predicted_ms = Some(p);
            lane.lower_bound_ms = lower_bound_under(lane.lower_bound_ms, p, cancels);
        }
    }

    /// Reads and checks a record file: valid JSON of the right shape, a valid scenario, and
    /// lanes whose calls match the scenario's. Every error names the record file and, where it
    /// can, the line:column; errors in the embedded scenario say so after the place.
    ///
    /// The lanes of every repeated run (`runs`) are put in the order of `lanes`, so anything
    /// that aggregates runs by position compares the same strategy.
    pub fn load(path: &Path) -> Result<(Record, Arc<Plan>), InputError> {
        let mut source = read_file(path, FileKind::Record)?;
        let mut record: Record = parse_json(&source.label, &source.text)?;
        // The embedded scenario's errors name the record file and place themselves in it.
        source.embedded = true;
        let plan = Plan::new(record.scenario.clone(), &source)?;
        record.check(&source.label, &source.text, &plan)?;
        record.align_runs();
        Ok((record, Arc::new(plan)))
    }

    /// Orders each run's lanes like `lanes` (by strategy); [`Record::check`] has made sure
    /// every run has exactly those strategies.
    fn align_runs(&mut self) {
        let order: Vec<&str> = self.lanes.iter().map(|l| l.strategy.as_str()).collect();
        for run in &mut self.runs {
            run.sort_by_key(|l| order.iter().position(|s| *s == l.strategy));
        }
    }

    /// What JSON cannot say about a record: a version this fanout can read, a positive speed,
    /// finite non-negative numbers in range, known strategies each run once, every lane
    /// listing the scenario's calls in file order with possible timings (start ≤ end ≤ wall,
    /// attempts in order inside their call), and repeated runs holding the same lanes.
    fn check(&self, label: &str, text: &str, plan: &Plan) -> Result<(), InputError> {
        use Step::Key;
        let at = |path: &[Step<'_>]| locate(text, path).map(|i| line_col(text, i));
        // The JSON path leads the message: in a record of many runs the line alone is hard to
        // read (`runs[2][1].calls[4].end_ms: …`).
        let fail = |path: &[Step<'_>], message: String| {
            let message = if path.is_empty() {
                message
            } else {
                format!("{}: {message}", dotted(path))
            };
            InputError::new(label, message)
                .at(at(path))
                .hint("the record was edited or damaged; record the run again with --record")
        };
        check_version(&self.fanout_version).map_err(|m| fail(&[Key("fanout_version")], m))?;
        if chrono::DateTime::parse_from_rfc3339(&self.started_at).is_err() {
            return Err(fail(
                &[Key("started_at")],
                format!(
                    "started_at `{}` is not an RFC 3339 time like 2026-11-24T23:31:35.937Z",
                    self.started_at
                ),
            ));
        }
        if let Err(m) = super::limits::check_speed(self.speed) {
            return Err(InputError::new(label, m)
                .at(at(&[Key("speed")]))
                .hint("speed is the divisor the run used (1 for real time)"));
        }
        if self.cores == 0 {
            return Err(fail(
                &[Key("cores")],
                "cores is 0: a run needs a core".into(),
            ));
        }
        for (name, value) in [
            ("sum_ms", self.bounds.sum_ms),
            ("critical_path_ms", self.bounds.critical_path_ms),
            ("cpu_ms", self.bounds.cpu_ms),
            ("rate_ms", self.bounds.rate_ms),
        ] {
            let path = [Key("bounds"), Key(name)];
            time_in_range(value).map_err(|m| fail(&path, format!("bounds.{name} {m}")))?;
        }
        let ids: std::collections::HashSet<&str> =
            plan.calls.iter().map(|c| c.id.as_str()).collect();
        for (id, &ms) in &self.draws {
            let path = [Key("draws"), Key(id.as_str())];
            if !ids.contains(id.as_str()) {
                return Err(fail(
                    &path,
                    format!("draws names `{id}`, which is not a call of the scenario"),
                ));
            }
            time_in_range(ms).map_err(|m| fail(&path, format!("draws.{id} {m}")))?;
        }
        if self.lanes.is_empty() {
            return Err(fail(
                &[Key("lanes")],
                "`lanes` is empty: a record holds at least one lane".into(),
            ));
        }
        check_lanes(&self.lanes, &[Key("lanes")], plan, &fail)?;
        for (r, run) in self.runs.iter().enumerate() {
            let base = [Key("runs"), Step::Index(r)];
            check_lanes(run, &base, plan, &fail)?;
            let mut asked: Vec<&str> = self.lanes.iter().map(|l| l.strategy.as_str()).collect();
            let mut got: Vec<&str> = run.iter().map(|l| l.strategy.as_str()).collect();
            asked.sort_unstable();
            got.sort_unstable();
            if asked != got {
                return Err(fail(
                    &base,
                    format!(
                        "run {} has lanes {} where `lanes` has {}",
                        r + 1,
                        got.join(", "),
                        asked.join(", ")
                    ),
                ));
            }
        }
        if let Some(first) = self.runs.first() {
            let same = self.lanes.iter().all(|l| first.iter().any(|f| f == l));
            if !same {
                return Err(fail(
                    &[Key("runs"), Step::Index(0)],
                    "run 1 differs from `lanes`: the first run is the one `lanes` holds".into(),
                ));
            }
        }
        Ok(())
    }
}

/// The longest time a record may hold, in milliseconds (about 31 years): anything longer is
/// damage, and would only print absurd ratios.
pub const MAX_RECORD_MS: f64 = 1e12;

/// Slack for `start ≤ end ≤ wall`: timings are stored rounded to microseconds.
const ROUNDING_MS: f64 = 0.001;

/// A time or duration a record may hold: finite, at least 0, at most [`MAX_RECORD_MS`].
fn time_in_range(ms: f64) -> Result<(), String> {
    // 1e308 reads better than its 309 digits.
    let shown = if ms.abs() >= 1e15 {
        format!("{ms:e}")
    } else {
        format!("{ms}")
    };
    if !ms.is_finite() {
        Err(format!("{shown} is not a finite number"))
    } else if ms < 0.0 {
        Err(format!("{shown} is negative"))
    } else if ms > MAX_RECORD_MS {
        Err(format!("{shown} is beyond {MAX_RECORD_MS:e} ms (31 years)"))
    } else {
        Ok(())
    }
}

/// `MAJOR.MINOR.PATCH`, not newer than this fanout (a newer one may write what this cannot
/// read).
fn check_version(v: &str) -> Result<(), String> {
    let parse = |v: &str| -> Option<(u64, u64, u64)> {
        let core = v.split(['-', '+']).next()?;
        let mut it = core.split('.').map(|p| p.parse::<u64>().ok());
        let t = (it.next()??, it.next()??, it.next()??);
        it.next().is_none().then_some(t)
    };
    let ours = env!("CARGO_PKG_VERSION");
    match (parse(v), parse(ours)) {
        (None, _) => Err(format!("fanout_version `{v}` is not a version like {ours}")),
        (Some(theirs), Some(mine)) if theirs > mine => Err(format!(
            "the record was made by fanout {v}, newer than this fanout {ours}: update fanout to read it"
        )),
        _ => Ok(()),
    }
}

/// Checks one list of lanes (`lanes`, or one of `runs`) at `base` in the record.
fn check_lanes(
    lanes: &[LaneRecord],
    base: &[Step<'static>],
    plan: &Plan,
    fail: &dyn Fn(&[Step<'_>], String) -> InputError,
) -> Result<(), InputError> {
    use Step::{Index, Key};
    let expected: Vec<&str> = plan.calls.iter().map(|c| c.id.as_str()).collect();
    let mut seen: Vec<String> = Vec::with_capacity(lanes.len());
    for (k, lane) in lanes.iter().enumerate() {
        let path = |rest: &[Step<'static>]| -> Vec<Step<'static>> {
            let mut p = base.to_vec();
            p.push(Index(k));
            p.extend_from_slice(rest);
            p
        };
        let name = &lane.strategy;
        // An imported trace's own timeline is a lane too, though no strategy made it.
        let canonical = if lane.is_recorded() {
            RECORDED_LANE.to_string()
        } else {
            match lane.strategy.parse::<Strategy>() {
                Ok(s) => s.to_string(),
                Err(m) => {
                    return Err(fail(&path(&[Key("strategy")]), format!("lane {}: {m}", k + 1))
                        .hint("a lane's strategy is one of sequential, parallel, waves, pool:N, pool:N:cp"));
                }
            }
        };
        if seen.contains(&canonical) {
            return Err(fail(
                &path(&[Key("strategy")]),
                format!("lane `{name}` appears twice: each strategy is run once"),
            ));
        }
        seen.push(canonical);
        for (field, value) in [
            ("wall_ms", Some(lane.wall_ms)),
            ("lower_bound_ms", Some(lane.lower_bound_ms)),
            ("speedup", Some(lane.speedup)),
            ("predicted_ms", lane.predicted_ms),
        ] {
            let Some(value) = value else { continue };
            // A speedup is a ratio, not a time; the same range keeps it printable.
            time_in_range(value)
                .map_err(|m| fail(&path(&[Key(field)]), format!("lane `{name}`: {field} {m}")))?;
        }
        let ids: Vec<&str> = lane.calls.iter().map(|c| c.id.as_str()).collect();
        if ids != expected {
            let (detail, place) = match ids.iter().zip(&expected).position(|(a, b)| a != b) {
                Some(j) => (
                    format!(
                        "its call {} is `{}` where the scenario has `{}`",
                        j + 1,
                        ids[j],
                        expected[j]
                    ),
                    path(&[Key("calls"), Index(j), Key("id")]),
                ),
                None => (
                    format!(
                        "it lists {} calls, the scenario has {}",
                        ids.len(),
                        expected.len()
                    ),
                    path(&[Key("calls")]),
                ),
            };
            return Err(fail(
                &place,
                format!("lane `{name}` does not list the scenario's calls in file order: {detail}"),
            ));
        }
        for (j, call) in lane.calls.iter().enumerate() {
            let call_path = |rest: &[Step<'static>]| {
                let mut p = path(&[Key("calls"), Index(j)]);
                p.extend_from_slice(rest);
                p
            };
            let bad = |rest: &[Step<'static>], what: String| {
                fail(
                    &call_path(rest),
                    format!("lane `{name}`: call `{}`: {what}", call.id),
                )
            };
            for (field, value) in [
                ("start_ms", call.start_ms),
                ("end_ms", call.end_ms),
                ("wait_ms", call.wait_ms),
            ] {
                if let Some(v) = value {
                    time_in_range(v).map_err(|m| bad(&[Key(field)], format!("{field} {m}")))?;
                }
            }
            let times_ok = match (call.status, call.start_ms, call.end_ms) {
                (CallStatus::Skipped, None, None) => true,
                // Cancelled before it started: only the time it was stopped.
                (CallStatus::Cancelled, None, Some(_)) => true,
                (CallStatus::Skipped, _, _) => false,
                (_, Some(s), Some(e)) => s <= e + ROUNDING_MS,
                _ => false,
            };
            if !times_ok {
                let want = match call.status {
                    CallStatus::Skipped => "a skipped call has null start_ms and end_ms",
                    CallStatus::Cancelled => {
                        "a cancelled call has end_ms, and start_ms <= end_ms if it had started"
                    }
                    _ => "a call that ran has start_ms <= end_ms, both 0 or more",
                };
                return Err(fail(
                    &call_path(&[]),
                    format!("lane `{name}`: call `{}` has impossible timings", call.id),
                )
                .hint(format!("{want}; record the run again with --record")));
            }
            if let Some(e) = call.end_ms
                && e > lane.wall_ms + ROUNDING_MS
            {
                return Err(bad(
                    &[Key("end_ms")],
                    format!(
                        "it ends at {e} ms, after the lane's wall_ms {}",
                        lane.wall_ms
                    ),
                )
                .hint(
                    "a lane's wall is when its last call ended; record the run again with --record",
                ));
            }
            if let (Some(w), Some(s)) = (call.wait_ms, call.start_ms)
                && w > s + ROUNDING_MS
            {
                return Err(bad(
                    &[Key("wait_ms")],
                    format!("it waited {w} ms for a rate-limit token before starting at {s} ms"),
                ));
            }
            let message_ok = match call.status {
                CallStatus::Ok => call.error.is_none(),
                CallStatus::Error | CallStatus::Skipped => call.error.is_some(),
                CallStatus::Cancelled => true,
            };
            if !message_ok {
                let want = if call.status == CallStatus::Ok {
                    "a call that succeeded has `error`: null"
                } else {
                    "a failed or skipped call says why in `error`"
                };
                return Err(bad(&[Key("error")], want.to_string()));
            }
            if let Some(code) = call.http_status
                && !(100..=599).contains(&code)
            {
                return Err(bad(
                    &[Key("http_status")],
                    format!("http_status {code} is not an HTTP status (100..=599)"),
                ));
            }
            let (lo, hi) = (call.start_ms.unwrap_or(0.0), call.end_ms.unwrap_or(0.0));
            let mut prev_end = lo;
            for (a, attempt) in call.attempts.iter().enumerate() {
                let at_path = [Key("attempts"), Index(a)];
                for (field, v) in [("start_ms", attempt.start_ms), ("end_ms", attempt.end_ms)] {
                    time_in_range(v)
                        .map_err(|m| bad(&at_path, format!("attempt {}: {field} {m}", a + 1)))?;
                }
                let ordered = prev_end <= attempt.start_ms + ROUNDING_MS
                    && attempt.start_ms <= attempt.end_ms + ROUNDING_MS
                    && attempt.end_ms <= hi + ROUNDING_MS;
                if !ordered {
                    return Err(bad(
                        &at_path,
                        format!(
                            "attempt {} ({} to {} ms) is out of order: attempts follow one another inside the call's {lo} to {hi} ms",
                            a + 1,
                            attempt.start_ms,
                            attempt.end_ms
                        ),
                    ));
                }
                prev_end = attempt.end_ms;
            }
        }
    }
    Ok(())
}

/// Field names of the record's objects, for "did you mean" hints.
const RECORD_FIELDS: &[&str] = &[
    "fanout_version",
    "started_at",
    "speed",
    "mode",
    "clock",
    "scenario",
    "bounds",
    "cores",
    "draws",
    "lanes",
    "runs",
];
const BOUNDS_FIELDS: &[&str] = &["sum_ms", "critical_path_ms", "cpu_ms", "rate_ms"];
const LANE_FIELDS: &[&str] = &[
    "strategy",
    "wall_ms",
    "lower_bound_ms",
    "speedup",
    "predicted_ms",
    "calls",
];
const CALL_RECORD_FIELDS: &[&str] = &[
    "id",
    "status",
    "start_ms",
    "end_ms",
    "error",
    "wait_ms",
    "attempts",
    "bytes",
    "http_status",
];
const ATTEMPT_FIELDS: &[&str] = &["start_ms", "end_ms", "error"];

impl JsonFile for Record {
    const KIND: FileKind = FileKind::Record;

    fn fields_at(path: &[Step<'_>]) -> Option<&'static [&'static str]> {
        use Step::{Index, Key};
        match path {
            [] => Some(RECORD_FIELDS),
            [Key("bounds")] => Some(BOUNDS_FIELDS),
            [Key("lanes"), Index(_)] => Some(LANE_FIELDS),
            [Key("lanes"), Index(_), Key("calls"), Index(_)] => Some(CALL_RECORD_FIELDS),
            [
                Key("lanes"),
                Index(_),
                Key("calls"),
                Index(_),
                Key("attempts"),
                Index(_),
            ] => Some(ATTEMPT_FIELDS),
            [Key("scenario"), rest @ ..] => Scenario::fields_at(rest),
            _ => None,
        }
    }

    fn type_hint(path: &[Step<'_>], found: &str) -> Option<String> {
        match path {
            [Step::Key("scenario"), rest @ ..] => Scenario::type_hint(rest, found),
            _ => Some(format!(
                "see the README, section \"{}\"; or record the run again with --record",
                FileKind::Record.readme_section()
            )),
        }
    }

    fn embedded(path: &[Step<'_>]) -> bool {
        path.first() == Some(&Step::Key("scenario"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(v: &serde_json::Value) -> Vec<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn sorted_keys(v: serde_json::Value, list: &[&str]) {
        let mut a = keys(&v);
        let mut b: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn field_lists_match_the_types() {
        let attempt = Attempt {
            start_ms: 0.0,
            end_ms: 1.0,
            error: None,
        };
        let call = CallRecord {
            id: "a".into(),
            status: CallStatus::Ok,
            start_ms: Some(0.0),
            end_ms: Some(1.0),
            error: None,
            wait_ms: Some(0.0),
            attempts: vec![attempt.clone()],
            bytes: Some(1),
            http_status: Some(200),
        };
        sorted_keys(serde_json::to_value(&attempt).unwrap(), ATTEMPT_FIELDS);
        let lane = LaneRecord {
            strategy: "parallel".into(),
            wall_ms: 1.0,
            lower_bound_ms: 1.0,
            speedup: 1.0,
            predicted_ms: Some(1.0),
            calls: vec![call.clone()],
        };
        let sorted = sorted_keys;
        sorted(serde_json::to_value(&call).unwrap(), CALL_RECORD_FIELDS);
        sorted(serde_json::to_value(&lane).unwrap(), LANE_FIELDS);
        let bounds = Bounds {
            sum_ms: 1.0,
            critical_path_ms: 1.0,
            cpu_ms: 1.0,
            rate_ms: 1.0,
        };
        sorted(serde_json::to_value(bounds).unwrap(), BOUNDS_FIELDS);
        let plan = Plan::load("fetch-5-urls").unwrap();
        let mut record = Record::new(&plan, 1.0, Mode::Race, "now".into(), vec![]);
        record.draws.insert("a".into(), 1.0);
        record.runs.push(Vec::new());
        sorted(serde_json::to_value(&record).unwrap(), RECORD_FIELDS);
    }

    #[test]
    fn speedup_and_efficiency_are_numbers_when_nothing_takes_time() {
        assert_eq!(speedup(0.0, 2.5), 1.0);
        assert_eq!(speedup(10.0, 0.0), 1.0);
        assert_eq!(speedup(10.0, 4.0), 2.5);
        let lane = |lower_bound_ms, wall_ms| LaneRecord {
            strategy: "parallel".into(),
            wall_ms,
            lower_bound_ms,
            speedup: 1.0,
            predicted_ms: None,
            calls: vec![],
        };
        assert_eq!(lane(0.0, 3.0).efficiency(), 1.0);
        assert_eq!(lane(2.0, 0.0).efficiency(), 1.0);
        assert_eq!(lane(2.0, 4.0).efficiency(), 0.5);
    }

    #[test]
    fn overhead_is_measured_minus_predicted() {
        let lane = |wall_ms, predicted_ms| LaneRecord {
            strategy: "sequential".into(),
            wall_ms,
            lower_bound_ms: 100.0,
            speedup: 1.0,
            predicted_ms,
            calls: vec![],
        };
        assert_eq!(lane(103.5, Some(100.0)).overhead_ms(), Some(3.5));
        assert_eq!(lane(100.0, Some(100.0)).overhead_ms(), Some(0.0));
        assert_eq!(lane(103.5, None).overhead_ms(), None);
    }
}
