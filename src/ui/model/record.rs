//! A view model of a saved record: the whole record for a replay, or only what a final frame
//! can show of a big one.

use super::{CallTiming, TimingMore, ViewModel};
use crate::engine::record::{CallRecord, CallStatus, Record};
use crate::engine::{Plan, Strategy};

impl ViewModel {
    /// A model holding a whole record, for a replay or a final frame. Every lane starts at 0.
    pub fn from_record(record: &Record, plan: &Plan) -> ViewModel {
        let durations = plan.durations_at(record.speed);
        let critical = plan.critical_calls(&durations);
        ViewModel::from_record_of(record, plan, &durations, critical, None)
    }

    /// The model [`crate::ui::view::final_frame`] draws a finished record from: the same as
    /// [`ViewModel::from_record`]'s for a record of up to [`FINAL_FRAME_CALLS`] calls; of a
    /// bigger one only the calls a final frame can show (the first, those on the critical
    /// path, each lane's last to finish), so that a million-call run's picture costs a few
    /// hundred calls' worth of memory, not a million's. The frame is the same either way
    /// (`tests/ui.rs` compares them).
    pub fn for_final_frame(record: &Record, plan: &Plan) -> ViewModel {
        let n = plan.calls.len();
        let durations = plan.durations_at(record.speed);
        let critical = plan.critical_calls(&durations);
        if n <= FINAL_FRAME_CALLS {
            return ViewModel::from_record_of(record, plan, &durations, critical, None);
        }
        let most = FINAL_FRAME_CALLS / 2;
        let mut keep = vec![false; n];
        keep[..most].fill(true);
        for i in (0..n).filter(|&i| critical[i]).take(most) {
            keep[i] = true;
        }
        for lane in &record.lanes {
            if let Some(i) = last_to_finish(&lane.calls) {
                keep[i] = true;
            }
        }
        let keep: Vec<usize> = (0..n).filter(|&i| keep[i]).collect();
        ViewModel::from_record_of(record, plan, &durations, critical, Some(&keep))
    }

    /// [`ViewModel::from_record`] of `keep`'s calls (every call when `None`).
    fn from_record_of(
        record: &Record,
        plan: &Plan,
        durations: &[f64],
        critical: Vec<bool>,
        keep: Option<&[usize]>,
    ) -> ViewModel {
        let strategies: Vec<Strategy> = record
            .lanes
            .iter()
            .map(|l| l.strategy.strategy().unwrap_or(Strategy::Parallel))
            .collect();
        let mut model =
            ViewModel::of_calls(plan, &strategies, record.speed, durations, critical, keep);
        // The model's j-th call is the record's `at(j)`-th.
        let at = |j: usize| keep.map_or(j, |k| k[j]);
        for (view, lane) in model.lanes.iter_mut().zip(&record.lanes) {
            view.label = lane.strategy;
            view.offset_ms = Some(0.0);
            view.wall_ms = Some(lane.wall_ms);
            view.lower_bound_ms = lane.lower_bound_ms;
            view.predicted_ms = lane.predicted_ms;
            view.turns = lane.turns.iter().map(|t| (t.start_ms, t.end_ms)).collect();
            for (j, timing) in view.calls.iter_mut().enumerate() {
                let call = &lane.calls[at(j)];
                let cancelled = call.status == CallStatus::Cancelled;
                let (earlier, last) = match call.attempts().split_last() {
                    Some((last, earlier)) => (earlier, Some(last)),
                    None => (&[][..], None),
                };
                *timing = CallTiming {
                    start: call.start_ms,
                    end: if cancelled { None } else { call.end_ms },
                    waited_ms: call.wait_ms().unwrap_or(0.0),
                    more: None,
                };
                if call.more.is_some() {
                    timing.set_more(TimingMore {
                        error: call.error().map(str::to_string),
                        skipped: None,
                        failed_attempts: earlier
                            .iter()
                            .map(|a| (a.start_ms, a.end_ms, a.error.clone().unwrap_or_default()))
                            .collect(),
                        attempt_start: last.map(|a| a.start_ms).filter(|_| !earlier.is_empty()),
                        cancelled: if cancelled { call.end_ms } else { None },
                    });
                }
            }
            // A record has no skip times: the lane skips a call the moment its first dependency
            // fails (or is skipped).
            // Inferred only where something was skipped: the inference indexes every call.
            if !lane.calls.iter().any(|c| c.status == CallStatus::Skipped) {
                continue;
            }
            let skipped_at = crate::engine::queries::skipped_at(record, lane);
            for (j, timing) in view.calls.iter_mut().enumerate() {
                let i = at(j);
                let call = &lane.calls[i];
                if call.status == CallStatus::Skipped {
                    *timing = CallTiming::default();
                    timing.more_mut().skipped = Some((
                        skipped_at[i].unwrap_or(0.0),
                        call.error().map(str::to_string).unwrap_or_default(),
                    ));
                }
            }
        }
        model.adopt(record);
        model.now_ms = model.end_ms();
        model
    }
}

/// Calls a final frame's model holds of a big record at most, besides each lane's last to
/// finish: twice what a headless lane can show (the first calls, then those on the critical
/// path). A headless lane shows [`crate::ui::view::HEADLESS_ROWS`] rows of up to two calls,
/// plus a row or two that the frame's spare lines give it.
pub const FINAL_FRAME_CALLS: usize = 4 * (crate::ui::view::HEADLESS_ROWS + 4);

/// The call of a lane's record that ended last, as [`ViewModel::last_to_finish`] finds it in
/// the model: the last of those that ended together; a skipped call has no end.
fn last_to_finish(calls: &[CallRecord]) -> Option<usize> {
    calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.status != CallStatus::Skipped)
        .filter_map(|(i, c)| Some((i, c.end_ms?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}
