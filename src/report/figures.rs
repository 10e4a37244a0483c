//! Every figure a view prints, computed once: the baseline rule, speedup, saved, efficiency,
//! fanout's overhead, why a lane is above its bound, and the headline. The live view, headless
//! output, every `report` format, the SVG and `replay` call these and print what they return,
//! so one run reads the same everywhere (one rounding rule per figure).

use crate::engine::Strategy;
use crate::engine::options::Clock;
use crate::engine::record::{CallStatus, LaneLabel, LaneRecord, Record, efficiency};
use crate::engine::scenario::OnError;

/// A duration for people: `2.503 s`, `501.2 ms`. The one format of a wall, a bound or a saving.
pub fn duration(ms: f64) -> String {
    crate::text::duration(ms, crate::text::Precision::Figure)
}

/// `5.00×`.
pub fn speedup(x: f64) -> String {
    format!("{x:.2}×")
}

/// `99.8 %`.
pub fn percent(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

/// What the speedups of a run are measured against: what really happened (an imported trace's
/// own lane), else the sequential lane, else the one-per-turn lane, else the sum of work (what one call at a time takes on an
/// exact clock). One rule for single runs, `--runs`, the live view and every report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Baseline {
    /// This lane's wall.
    Lane(usize),
    /// No such lane: the sum of work, in ms.
    SumOfWork(f64),
}

impl Baseline {
    /// The baseline among lanes labelled `labels`, with `sum_ms` the run's sum of work.
    pub fn among(labels: impl IntoIterator<Item = LaneLabel>, sum_ms: f64) -> Baseline {
        let labels: Vec<LaneLabel> = labels.into_iter().collect();
        let find = |wanted: LaneLabel| labels.iter().position(|&l| l == wanted);
        find(LaneLabel::Recorded)
            .or_else(|| find(LaneLabel::Strategy(Strategy::Sequential)))
            // An agent that asks for one tool per model turn is the card's symptom: what the
            // other lanes of a scenario with turns are measured against.
            .or_else(|| find(LaneLabel::Strategy(Strategy::OnePerTurn)))
            .map_or(Baseline::SumOfWork(sum_ms), Baseline::Lane)
    }

    /// A record's baseline.
    pub fn of(record: &Record) -> Baseline {
        Baseline::among(
            record.lanes.iter().map(|l| l.strategy),
            record.bounds.sum_ms,
        )
    }

    /// What the baseline is called in a sentence: `sequential`, `recorded`, or the sum of work.
    pub fn name(self, record: &Record) -> String {
        match self {
            Baseline::Lane(k) => record.lanes[k].strategy.to_string(),
            Baseline::SumOfWork(ms) => format!("one call at a time ({})", duration(ms)),
        }
    }
}

/// Time and share saved against the baseline: `baseline − wall` and that over the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Saved {
    /// Milliseconds saved (negative: the lane took longer).
    pub ms: f64,
    /// `ms ÷ baseline`.
    pub share: f64,
}

/// What a lane of wall `wall_ms` saved against `baseline_ms`; `None` with no baseline.
pub fn saved(baseline_ms: f64, wall_ms: f64) -> Option<Saved> {
    (baseline_ms > 0.0).then(|| Saved {
        ms: baseline_ms - wall_ms,
        share: (baseline_ms - wall_ms) / baseline_ms,
    })
}

/// `20.000 s (80.0 %)`; `—` where nothing was saved (the baseline itself, or within 0.05 %).
pub fn saved_text(s: Option<Saved>) -> String {
    match s {
        Some(s) if s.share.abs() >= 0.0005 => {
            format!("{} ({:.1} %)", duration(s.ms), s.share * 100.0)
        }
        _ => "—".to_string(),
    }
}

/// The saving as a lane's title says it: `saved 20.000 s (80.0 %)`, or `0.300 ms slower (0.8 %)`
/// where the lane took longer than the baseline (a prose "saved -0.3 ms" reads as a saving).
pub fn saved_phrase(s: Option<Saved>) -> String {
    match s {
        Some(s) if s.share <= -0.0005 => {
            format!("{} slower ({:.1} %)", duration(-s.ms), -s.share * 100.0)
        }
        _ => format!("saved {}", saved_text(s)),
    }
}

/// Mean, standard deviation (sample), min and max of some walls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// The statistics of `xs`.
    pub fn of(xs: &[f64]) -> Stats {
        let n = xs.len().max(1) as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = if xs.len() > 1 {
            xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Stats {
            mean,
            sd: var.sqrt(),
            min: xs.iter().copied().fold(f64::INFINITY, f64::min),
            max: xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// One exact value.
    pub fn exact(x: f64) -> Stats {
        Stats::of(&[x])
    }
}

/// `a ÷ b` with the standard deviation of the ratio, propagated as a benchmarking tool does:
/// σ(a/b) = (a/b)·√((σa/a)² + (σb/b)²).
pub fn ratio(a: Stats, b: Stats) -> (f64, f64) {
    if a.mean <= 0.0 || b.mean <= 0.0 {
        return (1.0, 0.0);
    }
    let r = a.mean / b.mean;
    (
        r,
        r * ((a.sd / a.mean).powi(2) + (b.sd / b.mean).powi(2)).sqrt(),
    )
}

/// Each lane's walls over every run (one run when the record has no repeats). Runs are matched
/// to lanes by strategy, not by position.
pub fn lane_stats(record: &Record) -> Vec<Stats> {
    record
        .lanes
        .iter()
        .map(|lane| {
            let walls: Vec<f64> = if record.runs.len() > 1 {
                record
                    .runs
                    .iter()
                    .filter_map(|r| r.iter().find(|l| l.strategy == lane.strategy))
                    .map(|l| l.wall_ms)
                    .collect()
            } else {
                vec![lane.wall_ms]
            };
            Stats::of(&walls)
        })
        .collect()
}

/// The baseline's statistics.
fn baseline_stats(record: &Record, stats: &[Stats]) -> Stats {
    match Baseline::of(record) {
        Baseline::Lane(k) => stats[k],
        Baseline::SumOfWork(ms) => Stats::exact(ms),
    }
}

/// Every figure of one lane, as every view prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneFigures {
    /// The lane's name.
    pub label: LaneLabel,
    /// Its wall (the mean over runs).
    pub wall: Stats,
    /// What no run of its strategy can beat.
    pub lower_bound_ms: f64,
    /// What the virtual clock predicts, where something is simulated.
    pub predicted_ms: Option<f64>,
    /// Baseline ÷ wall, with its σ over runs.
    pub speedup: (f64, f64),
    /// Against the baseline.
    pub saved: Option<Saved>,
    /// Lower bound ÷ wall.
    pub efficiency: f64,
    /// Measured − predicted on the real clock: fanout's own overhead (`None` with real calls).
    pub overhead_ms: Option<f64>,
    /// Why the wall is above the bound, in a few words, when it clearly is.
    pub why: Option<String>,
    /// Whether this lane is the baseline.
    pub is_baseline: bool,
}

/// Every lane's figures.
pub fn lanes(record: &Record) -> Vec<LaneFigures> {
    let stats = lane_stats(record);
    let base = baseline_stats(record, &stats);
    let baseline = Baseline::of(record);
    let simulated = record.scenario.calls.iter().all(|c| c.is_simulated());
    record
        .lanes
        .iter()
        .zip(&stats)
        .enumerate()
        .map(|(k, (lane, &st))| {
            let overhead_ms = overhead_ms(record, lane, st.mean, simulated);
            LaneFigures {
                label: lane.strategy,
                wall: st,
                lower_bound_ms: lane.lower_bound_ms,
                predicted_ms: lane.predicted_ms.filter(|&p| p > 0.0),
                speedup: ratio(base, st),
                saved: saved(base.mean, st.mean),
                efficiency: efficiency(lane.lower_bound_ms, st.mean),
                overhead_ms,
                why: why_above_bound(record, lane, st.mean, overhead_ms),
                is_baseline: baseline == Baseline::Lane(k),
            }
        })
        .collect()
}

/// Measured − predicted on the real clock: fanout's own overhead. Only where every call is
/// simulated: the prediction counts real HTTP and file calls as 0 and CPU work as if it had a
/// core to itself, so with real calls the difference is their time, not fanout's. `simulated`:
/// every call of the record's scenario is (found once per record, not once per lane).
fn overhead_ms(record: &Record, lane: &LaneRecord, wall_ms: f64, simulated: bool) -> Option<f64> {
    let p = lane.predicted_ms.filter(|&p| p > 0.0)?;
    (record.clock == Clock::Real && !lane.is_recorded() && simulated).then_some(wall_ms - p)
}

/// Why a lane's wall is above its bound, from the record: `+3.500 s: wave barriers`. `None` when
/// the lane is within 2 % of its bound.
pub fn why_above_bound(
    record: &Record,
    lane: &LaneRecord,
    wall_ms: f64,
    overhead_ms: Option<f64>,
) -> Option<String> {
    let excess = wall_ms - lane.lower_bound_ms;
    if lane.lower_bound_ms <= 0.0 || excess <= 0.02 * wall_ms || excess < 1.0 {
        return None;
    }
    let mut causes = Vec::new();
    // What an exact clock would also lose: the strategy's own structure.
    let structural = lane
        .predicted_ms
        .map_or(excess, |p| p - lane.lower_bound_ms);
    if structural > 0.01 * lane.lower_bound_ms {
        match lane.strategy.strategy() {
            Some(Strategy::Waves) => causes.push("wave barriers".to_string()),
            Some(Strategy::Pool(_) | Strategy::PoolCp(_)) => {
                causes.push("a full pool (calls queued)".to_string())
            }
            _ => {}
        }
        if lane
            .calls
            .iter()
            .any(|c| c.wait_ms().is_some_and(|w| w > 0.0))
        {
            causes.push("rate-limit waits".to_string());
        }
        if causes.is_empty() && record.scenario.on_error == Some(OnError::Cancel) {
            causes.push("the failure stopped the lane".to_string());
        }
    }
    if lane.calls.iter().any(|c| c.attempts().len() > 1) && structural > 0.0 {
        causes.push("retries and backoffs".to_string());
    }
    if let Some(o) = overhead_ms
        && o > 0.005 * wall_ms
        && o >= 1.0
    {
        causes.push(format!("overhead {} (measured − predicted)", duration(o)));
    }
    if causes.is_empty() {
        return None;
    }
    Some(format!("+{}: {}", duration(excess), causes.join(", ")))
}

/// The first call that failed in a lane (by end time), if any.
fn first_failure(lane: &LaneRecord) -> Option<&str> {
    lane.calls
        .iter()
        .filter(|c| c.status == CallStatus::Error)
        .min_by(|a, b| {
            a.end_ms
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.end_ms.unwrap_or(f64::INFINITY))
        })
        .map(|c| &*c.id)
}

/// The run's headline, true to what happened:
/// - `parallel ran 5.00× faster than sequential · saved 20.000 s (80.0 %)` (`4.97 ± 0.03×`
///   over repeated runs); against an imported trace's `recorded` lane, `turn-batched would
///   have taken 6.400 s, 1.22× sooner than recorded · saved …`;
/// - `both lanes stopped when fetch_a failed; parallel stopped 8.92× sooner` under
///   `on_error: cancel`;
/// - `no schedule can beat sequential here: every call waits for the one before` where the
///   critical path is the whole sum of work;
/// - `no lane ran faster than sequential` where none did.
///
/// `None` with fewer than two lanes to compare, or no work at all (any ratio would be noise).
pub fn headline(record: &Record) -> Option<String> {
    headline_of(record, &lanes(record))
}

/// The lane the headline says ran faster than the baseline, if it says one did: the fastest
/// lane, not the baseline, at least 0.5 % faster, in a run that neither stopped at a failure
/// (`on_error: cancel` in every lane) nor is one chain. The tour's big headline asks this too.
pub fn faster_lane(record: &Record, figures: &[LaneFigures]) -> Option<usize> {
    let b = &record.bounds;
    if b.sum_ms <= 0.0 || b.critical_path_ms >= b.sum_ms * 0.999 {
        return None;
    }
    let stopped = record.scenario.on_error == Some(OnError::Cancel)
        && record.lanes.iter().all(|l| first_failure(l).is_some());
    let fastest = (0..figures.len())
        .min_by(|&a, &b| figures[a].wall.mean.total_cmp(&figures[b].wall.mean))?;
    let f = &figures[fastest];
    (!stopped && !f.is_baseline && f.speedup.0 >= 1.005).then_some(fastest)
}

/// [`headline`] from the lanes' figures already computed.
pub fn headline_of(record: &Record, figures: &[LaneFigures]) -> Option<String> {
    if record.bounds.sum_ms <= 0.0 || record.lanes.is_empty() {
        return None;
    }
    let baseline = Baseline::of(record);
    if let Baseline::Lane(_) = baseline
        && record.lanes.len() < 2
    {
        return None;
    }
    let fastest = (0..figures.len())
        .min_by(|&a, &b| figures[a].wall.mean.total_cmp(&figures[b].wall.mean))?;
    let f = &figures[fastest];
    let x = if record.runs.len() > 1 {
        format!("{:.2} ± {:.2}×", f.speedup.0, f.speedup.1)
    } else {
        speedup(f.speedup.0)
    };
    let base_name = baseline.name(record);
    let every = match record.lanes.len() {
        1 => "the lane".to_string(),
        2 => "both lanes".to_string(),
        n => format!("all {n} lanes"),
    };
    let cancels = record.scenario.on_error == Some(OnError::Cancel);
    let failed: Vec<Option<&str>> = record.lanes.iter().map(first_failure).collect();
    if cancels && failed.iter().all(Option::is_some) {
        let id = failed[match baseline {
            Baseline::Lane(k) => k,
            Baseline::SumOfWork(_) => fastest,
        }]
        .unwrap_or_default();
        let same = failed.iter().all(|f| *f == Some(id));
        let what = if same {
            format!("{every} stopped when {id} failed")
        } else {
            format!("{every} stopped at a failure")
        };
        return Some(if f.is_baseline || f.speedup.0 < 1.005 {
            what
        } else {
            format!("{what}; {} stopped {x} sooner than {base_name}", f.label)
        });
    }
    let b = &record.bounds;
    if b.critical_path_ms >= b.sum_ms * 0.999 && record.lanes.len() > 1 {
        return Some(format!(
            "no schedule can beat one call at a time here: every call waits for the one before \
             (critical path = sum of work = {})",
            duration(b.sum_ms)
        ));
    }
    if faster_lane(record, figures) != Some(fastest) {
        return Some(format!("no lane ran faster than {base_name}"));
    }
    // Lanes that tie with the fastest (within 0.5 %) share the headline.
    let tied: Vec<String> = figures
        .iter()
        .filter(|g| !g.is_baseline && g.wall.mean <= f.wall.mean * 1.005)
        .map(|g| g.label.to_string())
        .collect();
    let who = match tied.as_slice() {
        [] | [_] => f.label.to_string(),
        [most @ .., last] => format!("{} and {last}", most.join(", ")),
    };
    // Against what really happened the other lanes are what-ifs: they did not run.
    if let Baseline::Lane(k) = baseline
        && record.lanes[k].is_recorded()
    {
        return Some(format!(
            "{who} would have taken {}, {x} sooner than {base_name} · saved {}",
            duration(f.wall.mean),
            saved_text(f.saved)
        ));
    }
    Some(format!(
        "{who} ran {x} faster than {base_name} · saved {}",
        saved_text(f.saved)
    ))
}
