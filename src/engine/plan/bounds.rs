//! What a plan's calls take together at a speed: each call's expected duration, the sum, the
//! critical path and the calls on it, the CPU and rate-limit floors, and the waves' wall.

use super::Plan;
use crate::engine::effects::Effect;
use crate::engine::strategy::Bounds;

/// See [`Plan::turn_work`].
#[derive(Debug, Default)]
struct TurnWork {
    ran: usize,
    sum_ms: f64,
    path_ms: f64,
    batches: usize,
}

impl Plan {
    /// Each call's expected duration at `speed` (see [`PlanCall::expected`]).
    pub fn durations_at(&self, speed: f64) -> Vec<f64> {
        self.calls.iter().map(|c| c.expected(speed).0).collect()
    }

    /// Sum, critical path and CPU work over the calls that run, for these durations.
    pub fn bounds_from(&self, durations: &[f64], speed: f64) -> Bounds {
        let mut finish = vec![0f64; self.calls.len()];
        let mut sum_ms = 0.0;
        let mut cpu_ms = 0.0;
        for &i in &self.order {
            if !self.runs[i] {
                continue;
            }
            let ready = self.deps[i]
                .iter()
                .map(|&d| finish[d as usize])
                .fold(0.0, f64::max);
            finish[i] = ready + durations[i];
            sum_ms += durations[i];
            if matches!(self.calls[i].effect, Effect::Cpu { .. }) {
                cpu_ms += durations[i];
            }
        }
        let rate_ms = match &self.rate_limit {
            None => 0.0,
            Some(r) => {
                let limited: Vec<f64> = (0..self.calls.len())
                    .filter(|&i| {
                        self.runs[i] && r.tool.as_deref().is_none_or(|t| t == &*self.calls[i].tool)
                    })
                    .map(|i| durations[i])
                    .collect();
                let extra = limited.len().saturating_sub(r.burst as usize);
                if extra == 0 {
                    0.0
                } else {
                    let shortest = limited.iter().copied().fold(f64::INFINITY, f64::min);
                    extra as f64 * 1000.0 / (r.per_second * speed) + shortest
                }
            }
        };
        // One turn before each call that runs (one-per-turn) or each batch, a level with a call
        // that runs (turn-batched), and a final turn; none without model turns. Model calls
        // are turns there, not calls: the calls and batches are the others'.
        let (mut one_per_turn_turns_ms, mut turn_batched_turns_ms) = (0.0, 0.0);
        let (mut turn_sum_ms, mut turn_path_ms) = (None, None);
        if self.has_turns() {
            let turns = |n: usize| (0..=n).map(|k| self.turn_nominal_ms(k)).sum::<f64>() / speed;
            let (ran, batches) = if self.calls.iter().any(|c| c.model) {
                let t = self.turn_work(durations);
                turn_sum_ms = Some(t.sum_ms);
                turn_path_ms = Some(t.path_ms);
                (t.ran, t.batches)
            } else {
                let ran = self.runs.iter().filter(|&&r| r).count();
                let batches = self
                    .levels
                    .iter()
                    .filter(|l| l.iter().any(|&i| self.runs[i]))
                    .count();
                (ran, batches)
            };
            one_per_turn_turns_ms = turns(ran);
            turn_batched_turns_ms = turns(batches);
        }
        Bounds {
            sum_ms,
            critical_path_ms: finish.iter().copied().fold(0.0, f64::max),
            cpu_ms,
            rate_ms,
            one_per_turn_turns_ms,
            turn_batched_turns_ms,
            turn_sum_ms,
            turn_path_ms,
        }
    }

    /// What a turn lane runs of a plan with model calls: the other calls that run, their sum,
    /// their longest chain (a model call passes its dependencies on and counts 0) and their
    /// batches (levels of that graph with a call that runs).
    fn turn_work(&self, durations: &[f64]) -> TurnWork {
        let n = self.calls.len();
        // finish: when a call's chain ends; after: the batch a call's dependents join.
        let mut finish = vec![0f64; n];
        let mut after = vec![0usize; n];
        let mut levels = std::collections::BTreeSet::new();
        let mut work = TurnWork::default();
        for &i in &self.order {
            let c = &self.calls[i];
            let deps = self.deps[i].iter().map(|&d| d as usize);
            let ready = deps.clone().map(|d| finish[d]).fold(0.0, f64::max);
            let level = deps.map(|d| after[d]).max().unwrap_or(0);
            if c.model {
                finish[i] = ready;
                after[i] = level;
                continue;
            }
            let runs = self.runs[i];
            finish[i] = ready + if runs { durations[i] } else { 0.0 };
            after[i] = level + 1;
            if runs {
                work.ran += 1;
                work.sum_ms += durations[i];
                levels.insert(level);
            }
        }
        work.path_ms = finish.iter().copied().fold(0.0, f64::max);
        work.batches = levels.len();
        work
    }

    /// Which calls lie on a critical path for these durations: a longest chain of the calls
    /// that run, the one no schedule can shorten.
    pub fn critical_calls(&self, durations: &[f64]) -> Vec<bool> {
        let n = self.calls.len();
        let mut finish = vec![0f64; n];
        for &i in &self.order {
            let ready = self.deps[i]
                .iter()
                .map(|&d| d as usize)
                .filter(|&d| self.runs[d])
                .map(|d| finish[d])
                .fold(0.0, f64::max);
            finish[i] = ready + if self.runs[i] { durations[i] } else { 0.0 };
        }
        let mut tail = vec![0f64; n];
        for &i in self.order.iter().rev() {
            let after = self.successors[i]
                .iter()
                .map(|&s| s as usize)
                .filter(|&s| self.runs[s])
                .map(|s| tail[s])
                .fold(0.0, f64::max);
            tail[i] = if self.runs[i] { durations[i] } else { 0.0 } + after;
        }
        let cp = finish.iter().copied().fold(0.0, f64::max);
        let eps = 1e-9 * cp.max(1.0);
        (0..n)
            .map(|i| self.runs[i] && cp > 0.0 && finish[i] - durations[i] + tail[i] >= cp - eps)
            .collect()
    }

    /// The wall of the `waves` strategy for these durations: each level's slowest call, summed.
    pub fn waves_from(&self, durations: &[f64]) -> f64 {
        self.levels
            .iter()
            .map(|l| {
                l.iter()
                    .filter(|&&i| self.runs[i])
                    .map(|&i| durations[i])
                    .fold(0.0, f64::max)
            })
            .sum()
    }
}
