//! Reading a record back: parsing, then every check JSON cannot make (versions, lanes that
//! match the scenario, times in range and in order), each error placed in the file.

use std::path::Path;
use std::sync::Arc;

use super::read::{RECORD_INPUT, source};
use super::{CallStatus, LaneLabel, LaneRecord, Record, UNKNOWN_LANE};
use crate::engine::error::InputError;
use crate::engine::input::{DEFAULT_MAX_RECORD_BYTES, read_input_capped};
use crate::engine::json::locate::{Step, dotted, line_col, locate, nth_line_start, scan_prefix};
use crate::engine::json::parse_json;
use crate::engine::plan::Plan;
use crate::engine::scenario::ScenarioSource;
use crate::engine::strategy::Strategy;

impl Record {
    /// Reads and checks a record file: valid JSON of the right shape, a valid scenario, and
    /// lanes whose calls match the scenario's. Every error names the record file and, where it
    /// can, the line:column; errors in the embedded scenario say so after the place.
    ///
    /// The lanes of every repeated run (`runs`) are put in the order of `lanes`, so anything
    /// that aggregates runs by position compares the same strategy.
    ///
    /// Three reads, each taken only if the one before fails: a record of one run is read whole
    /// and its lanes parsed each on a thread of its own (`Record::load_cut`: the fastest, a
    /// million-call record's lanes are most of its text); a record of several runs is read as
    /// a stream, its text never held (`Record::load_streamed`); and a record either of those
    /// refused is read whole once more, for the same steps on its text to say what is wrong
    /// and where (the placing the other two cannot do).
    pub fn load(path: &Path) -> Result<(Record, Arc<Plan>), InputError> {
        let lending = super::ids::Lending::start();
        if let Some(loaded) = Record::load_cut(path) {
            return Ok(loaded);
        }
        drop(lending);
        let lending = super::ids::Lending::start();
        if let Some(loaded) = Record::load_streamed(path) {
            return Ok(loaded);
        }
        // Afresh: nothing of the streamed read is used.
        drop(lending);
        let _lending = super::ids::Lending::start();
        let label = path.display().to_string();
        let text = read_input_capped(path, RECORD_INPUT, DEFAULT_MAX_RECORD_BYTES)?;
        let record: Record = parse_json(&label, &text).map_err(|e| which_lane(e, &label, &text))?;
        Record::finish(record, source(path, text), None)
    }

    /// Plans the embedded scenario (unless `planned` has it already) and checks the record
    /// against it: the steps after parsing, with `source.text` to place errors (empty when
    /// streamed: errors are then found again).
    pub(super) fn finish(
        mut record: Record,
        source: ScenarioSource,
        planned: Option<Result<Plan, InputError>>,
    ) -> Result<(Record, Arc<Plan>), InputError> {
        let plan = match planned {
            Some(plan) => plan?,
            None => {
                if let Some(s) = Arc::get_mut(&mut record.scenario) {
                    s.shrink_to_fit();
                }
                Plan::new(record.scenario.clone(), &source)?
            }
        };
        record.check(&source.label, &source.text, &plan)?;
        record.align_runs();
        record.share_ids(&plan);
        Ok((record, Arc::new(plan)))
    }

    /// Points every call record's id at the plan's own (checked equal): one string per call,
    /// not one per call and lane.
    fn share_ids(&mut self, plan: &Plan) {
        for lane in self.runs.iter_mut().flatten().chain(&mut self.lanes) {
            for (c, p) in lane.calls.iter_mut().zip(&plan.calls) {
                if !Arc::ptr_eq(&c.id, &p.id) {
                    c.id = p.id.clone();
                }
            }
        }
    }

    /// Orders each run's lanes like `lanes` (by strategy); [`Record::check`] has made sure
    /// every run has exactly those strategies.
    fn align_runs(&mut self) {
        let order: Vec<LaneLabel> = self.lanes.iter().map(|l| l.strategy).collect();
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
        if let Err(m) = crate::engine::limits::check_speed(self.speed) {
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
            ("one_per_turn_turns_ms", self.bounds.one_per_turn_turns_ms),
            ("turn_batched_turns_ms", self.bounds.turn_batched_turns_ms),
            ("turn_sum_ms", self.bounds.turn_sum_ms.unwrap_or(0.0)),
            ("turn_path_ms", self.bounds.turn_path_ms.unwrap_or(0.0)),
        ] {
            let path = [Key("bounds"), Key(name)];
            time_in_range(value).map_err(|m| fail(&path, format!("bounds.{name} {m}")))?;
        }
        // Only a scenario of drawn latencies has draws: no set of a million ids for the others.
        let ids: foldhash::HashSet<&str> = if self.draws.is_empty() {
            foldhash::HashSet::default()
        } else {
            plan.calls.iter().map(|c| &*c.id).collect()
        };
        for (id, &ms) in &self.draws {
            let path = [Key("draws"), Key(id)];
            if !ids.contains(&**id) {
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
            let mut asked: Vec<String> =
                self.lanes.iter().map(|l| l.strategy.to_string()).collect();
            let mut got: Vec<String> = run.iter().map(|l| l.strategy.to_string()).collect();
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

/// An unknown lane strategy, as the parser reports it, said as `check` always has: the JSON
/// path and which lane (`runs[1][1].strategy: lane 2: unknown strategy …`), placed at the value,
/// with the strategies to choose from. Any other error is returned as it is.
fn which_lane(e: InputError, label: &str, text: &str) -> InputError {
    let Some(m) = e.message.strip_prefix(UNKNOWN_LANE) else {
        return e;
    };
    let Some((line, col)) = e.line_col else {
        return e;
    };
    let offset = nth_line_start(text, line) + col.saturating_sub(1);
    let scan = scan_prefix(text, offset.min(text.len()));
    let path = scan.value_path();
    let lane = path.iter().rev().find_map(|s| match s {
        Step::Index(k) => Some(*k),
        Step::Key(_) => None,
    });
    let Some(k) = lane else { return e };
    InputError::new(label, format!("{}: lane {}: {m}", dotted(&path), k + 1))
        .at(locate(text, &path)
            .map(|i| line_col(text, i))
            .or(e.line_col))
        .hint("a lane's strategy is one of sequential, parallel, waves, pool:N, pool:N:cp")
}

/// The longest time a record may hold, in milliseconds (about 31 years): anything longer is
/// damage, and would only print absurd ratios.
pub const MAX_RECORD_MS: f64 = 1e12;

/// Slack for `start ≤ end ≤ wall`: timings are stored rounded to microseconds.
const ROUNDING_MS: f64 = 0.001;

/// A time or duration a record may hold: finite, at least 0, at most [`MAX_RECORD_MS`].
fn time_in_range(ms: f64) -> Result<(), String> {
    if (0.0..=MAX_RECORD_MS).contains(&ms) {
        // The common case, checked first: a record holds millions of times.
        return Ok(());
    }
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
    let mut seen: Vec<LaneLabel> = Vec::with_capacity(lanes.len());
    for (k, lane) in lanes.iter().enumerate() {
        let path = |rest: &[Step<'static>]| -> Vec<Step<'static>> {
            let mut p = base.to_vec();
            p.push(Index(k));
            p.extend_from_slice(rest);
            p
        };
        let name = lane.strategy;
        if seen.contains(&name) {
            return Err(fail(
                &path(&[Key("strategy")]),
                format!("lane `{name}` appears twice: each strategy is run once"),
            ));
        }
        seen.push(name);
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
        check_turns(lane, &path, fail)?;
        // Most often the very ids of the plan (lent while the record was read): no string to
        // compare.
        let same = lane.calls.len() == plan.calls.len()
            && lane
                .calls
                .iter()
                .zip(&plan.calls)
                .all(|(c, p)| Arc::ptr_eq(&c.id, &p.id) || c.id == p.id);
        if !same {
            let ids: Vec<&str> = lane.calls.iter().map(|c| &*c.id).collect();
            let expected: Vec<&str> = plan.calls.iter().map(|c| &*c.id).collect();
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
                ("wait_ms", call.wait_ms()),
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
            if let (Some(w), Some(s)) = (call.wait_ms(), call.start_ms)
                && w > s + ROUNDING_MS
            {
                return Err(bad(
                    &[Key("wait_ms")],
                    format!("it waited {w} ms for a rate-limit token before starting at {s} ms"),
                ));
            }
            let message_ok = match call.status {
                CallStatus::Ok => call.error().is_none(),
                CallStatus::Error | CallStatus::Skipped => call.error().is_some(),
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
            if let Some(code) = call.http_status()
                && !(100..=599).contains(&code)
            {
                return Err(bad(
                    &[Key("http_status")],
                    format!("http_status {code} is not an HTTP status (100..=599)"),
                ));
            }
            let (lo, hi) = (call.start_ms.unwrap_or(0.0), call.end_ms.unwrap_or(0.0));
            let mut prev_end = lo;
            for (a, attempt) in call.attempts().iter().enumerate() {
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

/// A lane's model turns: only on a lane that counts them, each in range, in order, none
/// overlapping the next and none ending after the lane's wall.
fn check_turns(
    lane: &LaneRecord,
    path: &dyn Fn(&[Step<'static>]) -> Vec<Step<'static>>,
    fail: &dyn Fn(&[Step<'_>], String) -> InputError,
) -> Result<(), InputError> {
    use Step::{Index, Key};
    let name = lane.strategy;
    if lane.turns.is_empty() {
        return Ok(());
    }
    if !lane.strategy.strategy().is_some_and(Strategy::uses_turns) {
        return Err(fail(
            &path(&[Key("turns")]),
            format!("lane `{name}` lists model turns, and only one-per-turn and turn-batched lanes take them"),
        )
        .hint("remove `turns` from this lane, or record the run again with --record"));
    }
    let mut prev_end = 0.0;
    for (t, turn) in lane.turns.iter().enumerate() {
        let at = path(&[Key("turns"), Index(t)]);
        for (field, v) in [("start_ms", turn.start_ms), ("end_ms", turn.end_ms)] {
            time_in_range(v)
                .map_err(|m| fail(&at, format!("lane `{name}`: turn {}: {field} {m}", t + 1)))?;
        }
        let ordered = prev_end <= turn.start_ms + ROUNDING_MS
            && turn.start_ms <= turn.end_ms + ROUNDING_MS
            && turn.end_ms <= lane.wall_ms + ROUNDING_MS;
        if !ordered {
            return Err(fail(
                &at,
                format!(
                    "lane `{name}`: turn {} ({} to {} ms) is out of order: turns follow one another inside the lane's wall of {} ms",
                    t + 1,
                    turn.start_ms,
                    turn.end_ms,
                    lane.wall_ms
                ),
            )
            .hint("record the run again with --record"));
        }
        prev_end = turn.end_ms;
    }
    Ok(())
}
