//! The view model: what the screen shows, built from engine events (a live run) or from a record
//! (a replay, a headless final frame). Drawing reads it and nothing else.

use tokio::time::Instant;

use crate::engine::record::{Record, efficiency, speedup};
use crate::engine::scenario::OnError;
use crate::engine::strategy::cores;
use crate::engine::virtual_clock::simulate_lane;
use crate::engine::{Bounds, EventKind, Plan, Strategy};
use crate::report::figures::{self, Baseline, LaneFigures, Saved};

mod flight;
mod lane;
mod record;

pub use lane::{CallInfo, CallState, CallTiming, LaneView, TimingMore};
pub use record::FINAL_FRAME_CALLS;

/// Live or replayed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Playback {
    /// Timings arrive from a running engine.
    Live,
    /// Timings come from a saved record.
    Replay {
        /// Whether the replay is paused.
        paused: bool,
        /// Playback rate (2 plays twice as fast as recorded).
        rate: f64,
    },
}

/// Everything the screen draws.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewModel {
    /// The scenario's name.
    pub title: String,
    /// Its description.
    pub description: Option<String>,
    /// Its lesson.
    pub lesson: Option<String>,
    /// The run's speed factor.
    pub speed: f64,
    /// The calls, in file order: every call, except in [`ViewModel::for_final_frame`]'s model of a
    /// big record, which holds only those its frame can show.
    pub calls: Vec<CallInfo>,
    /// How many calls the scenario has (`calls.len()` but in that model).
    pub call_count: usize,
    /// The columns the widest call id takes with a space after it, over every call (0 without
    /// calls): the label column's width.
    pub id_columns: usize,
    /// Bounds at the run's speed.
    pub bounds: Bounds,
    /// One per strategy.
    pub lanes: Vec<LaneView>,
    /// Run time shown, ms from the run's start (the replay position in a replay).
    pub now_ms: f64,
    /// Live or replay.
    pub playback: Playback,
    /// An engine failure to show instead of pretending the run finished.
    pub error: Option<String>,
    /// Which calls lie on the critical path (at the run's speed).
    pub critical: Vec<bool>,
    /// Every lane's figures, once the run's record is known (what every other view prints).
    pub figures: Option<Vec<LaneFigures>>,
    /// The run's headline, once its record is known.
    pub headline: Option<String>,
    /// Whether every call is simulated, so that every time scales with the speed.
    pub all_simulated: bool,
    /// A prediction of an edited batch on the virtual clock, not a run.
    pub what_if: bool,
}

/// What a finished lane's title says.
#[derive(Debug, Clone, PartialEq)]
pub struct TitleFigures {
    /// Its wall.
    pub wall_ms: f64,
    /// Baseline ÷ wall.
    pub speedup: f64,
    /// Whether the baseline is final (else the speedup can only grow: `≥`).
    pub exact: bool,
    /// Against the baseline.
    pub saved: Option<Saved>,
    /// Lower bound ÷ wall.
    pub efficiency: f64,
    /// Why it is above its bound.
    pub why: Option<String>,
    /// Whether this lane is the baseline.
    pub is_baseline: bool,
}

impl ViewModel {
    /// An empty model for a run of `plan` under `strategies` at `speed`: every call waiting,
    /// each lane with the wall the virtual clock predicts.
    pub fn new(plan: &Plan, strategies: &[Strategy], speed: f64) -> ViewModel {
        let mut model = ViewModel::without_predictions(plan, strategies, speed);
        let cancels = plan.on_error == OnError::Cancel;
        for lane in &mut model.lanes {
            let p = simulate_lane(plan, lane.strategy, speed).lane.wall_ms;
            lane.predicted_ms = Some(p);
            lane.lower_bound_ms =
                crate::engine::record::lower_bound_under(lane.lower_bound_ms, p, cancels);
        }
        model
    }

    /// [`ViewModel::new`] without asking the virtual clock (a record already knows).
    fn without_predictions(plan: &Plan, strategies: &[Strategy], speed: f64) -> ViewModel {
        let durations = plan.durations_at(speed);
        let critical = plan.critical_calls(&durations);
        ViewModel::of_calls(plan, strategies, speed, &durations, critical, None)
    }

    /// The model of `keep`'s calls (every call when `None`), given their durations at `speed`
    /// and which lie on the critical path (both for every call).
    pub(super) fn of_calls(
        plan: &Plan,
        strategies: &[Strategy],
        speed: f64,
        durations: &[f64],
        critical: Vec<bool>,
        keep: Option<&[usize]>,
    ) -> ViewModel {
        // At speed 1 these are the plan's own (the same function of the same durations).
        let (bounds, waves_ms) = if speed == 1.0 {
            (plan.bounds, plan.waves_ms)
        } else {
            (
                plan.bounds_from(durations, speed),
                plan.waves_from(durations),
            )
        };
        let cores = cores();
        let shown = keep.map_or(plan.calls.len(), <[usize]>::len);
        let lanes = strategies
            .iter()
            .map(|&s| LaneView {
                strategy: s,
                label: s.into(),
                lower_bound_ms: s.lower_bound_ms(&bounds, cores),
                upper_bound_ms: s.upper_bound_ms(&bounds, waves_ms, cores),
                predicted_ms: None,
                offset_ms: None,
                wall_ms: None,
                calls: vec![CallTiming::default(); shown],
                turns: Vec::new(),
            })
            .collect();
        let info = |i: usize, deps: Vec<usize>| CallInfo {
            id: plan.calls[i].id.clone(),
            tool: plan.calls[i].tool.clone(),
            deps,
        };
        let (calls, critical) = match keep {
            None => (
                (0..plan.calls.len())
                    .map(|i| info(i, plan.deps[i].iter().map(|&d| d as usize).collect()))
                    .collect(),
                critical,
            ),
            // Dependencies point into the kept calls; those on calls left out are dropped
            // (only a waiting call names them, and a finished run has none).
            Some(keep) => (
                keep.iter()
                    .map(|&i| {
                        let deps = plan.deps[i]
                            .iter()
                            .filter_map(|&d| keep.binary_search(&(d as usize)).ok())
                            .collect();
                        info(i, deps)
                    })
                    .collect(),
                keep.iter().map(|&i| critical[i]).collect(),
            ),
        };
        ViewModel {
            title: plan.scenario.name.clone(),
            description: plan.scenario.description.clone(),
            lesson: plan.scenario.lesson.clone(),
            speed,
            calls,
            call_count: plan.calls.len(),
            id_columns: plan
                .calls
                .iter()
                .map(|c| crate::text::width(&c.id) + 1)
                .max()
                .unwrap_or(0),
            bounds,
            lanes,
            now_ms: 0.0,
            playback: Playback::Live,
            error: None,
            critical,
            figures: None,
            headline: None,
            all_simulated: plan.calls.iter().all(|c| c.effect.is_simulated()),
            what_if: false,
        }
    }

    /// Whether lane `k` has a `model` row above its calls: it counts the model's turns (decided
    /// by strategy, so the layout does not move when the first turn ends). The other lanes run
    /// the model's calls as calls and spend no row on it: at 100 × 30 that row was the one that
    /// left a call of every lane off the screen.
    pub fn turn_row(&self, k: usize) -> bool {
        self.lanes.get(k).is_some_and(|l| l.strategy.uses_turns())
    }

    /// How many lanes have a `model` row.
    pub fn turn_rows(&self) -> usize {
        (0..self.lanes.len()).filter(|&k| self.turn_row(k)).count()
    }

    /// The lesson as the screen says it: at the run's speed where every time scales with it; where
    /// real calls take what they take, the lesson's speed-1 times with a note saying so.
    pub fn lesson_text(&self) -> Option<String> {
        let text = self.lesson.as_ref()?;
        let at_one = (self.speed - 1.0).abs() < 1e-9;
        Some(if self.all_simulated || at_one {
            crate::ui::text::lesson_at(text, self.speed)
        } else {
            format!(
                "{text} (Times above are at speed 1: simulated calls run {}× faster here, real ones as they are.)",
                crate::engine::units::fmt_num(self.speed)
            )
        })
    }

    /// Takes every figure from the run's record, so that the screen prints what `report`, the
    /// headless table and the SVG print for the same run.
    pub fn adopt(&mut self, record: &Record) {
        self.bounds = record.bounds;
        for (view, lane) in self.lanes.iter_mut().zip(&record.lanes) {
            view.lower_bound_ms = lane.lower_bound_ms;
            view.predicted_ms = lane.predicted_ms;
            view.wall_ms = Some(lane.wall_ms);
        }
        let lanes = figures::lanes(record);
        self.headline = figures::headline_of(record, &lanes);
        self.figures = Some(lanes);
    }

    /// The baseline lane's wall if it is done, else its elapsed time (`false`: a lower
    /// estimate), by the one baseline rule of [`Baseline`].
    pub fn baseline_ms(&self) -> Option<(f64, bool)> {
        match Baseline::among(self.lanes.iter().map(|l| l.label), self.bounds.sum_ms) {
            Baseline::Lane(k) => {
                let l = &self.lanes[k];
                match (l.is_done_at(self.now_ms), l.wall_ms) {
                    (true, Some(w)) => Some((w, true)),
                    _ => l.time_at(self.now_ms).map(|t| (t, false)),
                }
            }
            Baseline::SumOfWork(ms) => Some((ms, true)),
        }
    }

    /// What lane `k`'s title says once it is done: the record's figures where the run is over,
    /// else the same functions on what is known so far.
    pub fn title_figures(&self, k: usize) -> Option<TitleFigures> {
        let lane = &self.lanes[k];
        let wall = lane.wall_ms.filter(|_| lane.is_done_at(self.now_ms))?;
        let (base, exact) = self.baseline_ms()?;
        if exact && let Some(f) = self.figures.as_ref().and_then(|f| f.get(k)) {
            return Some(TitleFigures {
                wall_ms: f.wall.mean,
                speedup: f.speedup.0,
                exact,
                saved: f.saved,
                efficiency: f.efficiency,
                why: f.why.clone(),
                is_baseline: f.is_baseline,
            });
        }
        let is_baseline = Baseline::among(self.lanes.iter().map(|l| l.label), self.bounds.sum_ms)
            == Baseline::Lane(k);
        Some(TitleFigures {
            wall_ms: wall,
            speedup: speedup(base, wall),
            exact,
            saved: if exact {
                figures::saved(base, wall)
            } else {
                None
            },
            efficiency: efficiency(lane.lower_bound_ms, wall),
            why: None,
            is_baseline,
        })
    }

    /// The first call of lane `k` that is running, or else waiting, at lane time `t`.
    pub fn first_unfinished(&self, k: usize, t: f64) -> Option<usize> {
        let calls = &self.lanes[k].calls;
        calls
            .iter()
            .position(|c| matches!(c.state_at(t), CallState::Running { .. }))
            .or_else(|| {
                calls
                    .iter()
                    .position(|c| matches!(c.state_at(t), CallState::Waiting))
            })
    }

    /// The call of lane `k` that ended last (the one the lane's wall waited for; the last of
    /// those that ended together).
    pub fn last_to_finish(&self, k: usize) -> Option<usize> {
        let calls = &self.lanes[k].calls;
        (0..calls.len())
            .filter_map(|i| Some((i, calls[i].end.or(calls[i].cancelled())?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
    }

    /// The most calls that ran at once in lane `k`, exactly: a call is in flight while one of
    /// its attempts runs (not while it waits for a token or backs off), the one definition
    /// [`crate::engine::queries::in_flight_steps`] uses too.
    pub fn peak_in_flight(&self, k: usize) -> usize {
        let mut spans: Vec<(f64, f64)> = Vec::new();
        for c in &self.lanes[k].calls {
            spans.extend(c.failed_attempts().iter().map(|&(s, e, _)| (s, e)));
            let start = c.attempt_start().filter(|a| a.is_finite()).or(c.start);
            if let (Some(s), Some(e)) = (start, c.end.or(c.cancelled())) {
                spans.push((s, e));
            }
        }
        crate::engine::queries::peak(spans)
    }

    /// Applies one engine event. `run_start` is the instant the run began (lane offsets count
    /// from it).
    pub fn apply(&mut self, lane: usize, kind: EventKind, run_start: Instant) {
        let Some(view) = self.lanes.get_mut(lane) else {
            return;
        };
        match kind {
            EventKind::LaneStarted { at } => {
                let offset = at.saturating_duration_since(run_start);
                view.offset_ms = Some(offset.as_secs_f64() * 1000.0);
            }
            EventKind::Started {
                call,
                at_ms,
                waited_ms,
            } => {
                if let Some(c) = view.calls.get_mut(call) {
                    c.start = Some(at_ms);
                    c.waited_ms = waited_ms;
                }
            }
            EventKind::AttemptFailed { call, at_ms, error } => {
                if let Some(c) = view.calls.get_mut(call) {
                    let from = c.attempt_start().or(c.start).unwrap_or(at_ms);
                    let more = c.more_mut();
                    more.failed_attempts.push((from, at_ms, error));
                    // Until the retry starts (after its backoff) nothing runs.
                    more.attempt_start = Some(f64::INFINITY);
                }
            }
            EventKind::AttemptStarted { call, at_ms } => {
                if let Some(c) = view.calls.get_mut(call) {
                    c.more_mut().attempt_start = Some(at_ms);
                }
            }
            EventKind::Cancelled { call, at_ms, .. } => {
                if let Some(c) = view.calls.get_mut(call) {
                    c.more_mut().cancelled = Some(at_ms);
                }
            }
            EventKind::Finished { call, at_ms, error } => {
                if let Some(c) = view.calls.get_mut(call) {
                    c.end = Some(at_ms);
                    if error.is_some() || c.more.is_some() {
                        c.more_mut().error = error;
                    }
                }
            }
            EventKind::Skipped {
                call,
                at_ms,
                reason,
            } => {
                if let Some(c) = view.calls.get_mut(call) {
                    c.more_mut().skipped = Some((at_ms, reason));
                }
            }
            EventKind::LaneDone { wall_ms } => view.wall_ms = Some(wall_ms),
            EventKind::Turn { start_ms, end_ms } => view.turns.push((start_ms, end_ms)),
        }
    }

    /// Whether every lane has finished by the time shown.
    pub fn all_done(&self) -> bool {
        self.lanes.iter().all(|l| l.is_done_at(self.now_ms))
    }

    /// Run time when the last lane ends (its offset plus its wall), if all are done.
    pub fn end_ms(&self) -> f64 {
        self.lanes
            .iter()
            .filter_map(|l| Some(l.offset_ms? + l.wall_ms?))
            .fold(0.0, f64::max)
    }

    /// The time axis's extent in lane milliseconds: every lane's exact-clock upper bound, and
    /// anything already measured beyond it, so the scale stays put during a run.
    pub fn axis_ms(&self) -> f64 {
        let mut t: f64 = self
            .lanes
            .iter()
            .map(|l| l.upper_bound_ms * 1.02)
            .fold(0.0, f64::max);
        for l in &self.lanes {
            if let Some(now) = l.time_at(self.now_ms) {
                t = t.max(now);
            }
            if let Some(w) = l.wall_ms {
                t = t.max(w);
            }
        }
        if t > 0.0 { t } else { 1.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_moves_from_waiting_to_done_as_time_passes() {
        let c = CallTiming {
            start: Some(10.0),
            end: Some(20.0),
            ..CallTiming::default()
        };
        assert_eq!(c.state_at(5.0), CallState::Waiting);
        assert_eq!(c.state_at(15.0), CallState::Running { start: 10.0 });
        assert_eq!(
            c.state_at(20.0),
            CallState::Done {
                start: 10.0,
                end: 20.0
            }
        );
    }

    #[test]
    fn a_lane_clock_starts_at_its_offset_and_stops_at_its_wall() {
        let lane = LaneView {
            strategy: Strategy::Parallel,
            label: Strategy::Parallel.into(),
            lower_bound_ms: 0.0,
            upper_bound_ms: 0.0,
            predicted_ms: None,
            offset_ms: Some(100.0),
            wall_ms: Some(50.0),
            calls: vec![],
            turns: vec![],
        };
        assert_eq!(lane.time_at(120.0), Some(20.0));
        assert_eq!(lane.time_at(500.0), Some(50.0));
        assert!(!lane.is_done_at(120.0));
        assert!(lane.is_done_at(150.0));
    }
}
