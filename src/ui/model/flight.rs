//! What is in flight in a lane: the counts the in-flight strip draws, from the model's timings.

use super::{CallState, ViewModel};

impl ViewModel {
    /// Calls in flight in lane `k` over `cells` cells spanning `axis_ms`, averaged over each
    /// cell, up to the lane's time: a sequential lane reads 1 everywhere (also where one call
    /// hands over to the next), and a call shorter than a cell still shows.
    pub fn flight_counts(&self, k: usize, cells: usize, axis_ms: f64) -> Vec<f64> {
        let lane = &self.lanes[k];
        let Some(t) = lane.time_at(self.now_ms) else {
            return Vec::new();
        };
        let scale = |ms: f64| {
            let c = ms / axis_ms * cells as f64;
            if c.is_nan() {
                0.0
            } else {
                c.clamp(0.0, cells as f64)
            }
        };
        let upto = (scale(t).ceil() as usize).min(cells);
        let mut part = vec![0f64; cells + 1];
        let mut full = vec![0f64; cells + 1];
        let mut add = |start: f64, end: f64| {
            let (xs, xe) = (scale(start), scale(end).max(scale(start)));
            let (a, b) = (xs.floor() as usize, xe.floor() as usize);
            if a >= cells {
                return;
            }
            if a == b {
                part[a] += xe - xs;
                return;
            }
            part[a] += (a + 1) as f64 - xs;
            full[a + 1] += 1.0;
            full[b.min(cells)] -= 1.0;
            if b < cells {
                part[b] += xe - b as f64;
            }
        };
        for c in &lane.calls {
            // Attempts that failed and were retried ran too.
            for &(start, end, _) in c.failed_attempts() {
                if start <= t {
                    add(start, end.min(t));
                }
            }
            match c.state_at(t) {
                CallState::Running { start } => add(start, t),
                CallState::Done { start, end } | CallState::Failed { start, end, .. } => {
                    add(start, end)
                }
                CallState::Cancelled {
                    start: Some(start),
                    at,
                } => add(start, at),
                _ => {}
            }
        }
        let mut out = Vec::with_capacity(upto);
        let mut running = 0f64;
        for i in 0..upto {
            running += full[i];
            out.push((running + part[i]).max(0.0));
        }
        out
    }

    /// How many calls are in flight in `lane` at lane time `t`.
    pub fn in_flight(&self, lane: usize, t: f64) -> usize {
        self.lanes[lane]
            .calls
            .iter()
            .filter(|c| matches!(c.state_at(t), CallState::Running { .. }))
            .count()
    }
}
