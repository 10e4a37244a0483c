//! `fanout tour`: a presenter mode over a fixed sequence of built-ins. Each step is a title card
//! with its question, then the race, then a big headline and a one-line takeaway; `space` / `→`
//! steps on, `←` back, and quitting prints a table of the whole tour.

use crate::engine::Record;
use crate::report::figures::{self, Baseline};

/// One step of the tour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// The built-in it runs.
    pub scenario: &'static str,
    /// What the card calls it.
    pub title: &'static str,
    /// The question the race answers.
    pub question: &'static str,
    /// The sentence to leave the audience with.
    pub takeaway: &'static str,
    /// The speed it runs at, so that each race takes a few seconds.
    pub speed: f64,
}

/// The tour: the card's story, from the symptom to the model's own turns.
pub const STEPS: &[Step] = &[
    Step {
        scenario: "fetch-5-urls",
        title: "The symptom",
        question: "An agent fetches five pages one after another. What does that cost?",
        takeaway: "Independent calls one after another wait for the sum; together, for the slowest.",
        speed: 10.0,
    },
    Step {
        scenario: "latency-5x3s",
        title: "A row of the latency table",
        question: "Five 3-second API calls: how much of the wait is the schedule's?",
        takeaway: "The speedup of independent calls is their number, until something else limits it.",
        speed: 5.0,
    },
    Step {
        scenario: "fetch-then-post",
        title: "A true dependency chain",
        question: "The post needs the fetch's result. Can parallelism help?",
        takeaway: "No schedule beats a chain: the critical path is the whole sum.",
        speed: 1.0,
    },
    Step {
        scenario: "unbalanced-graph",
        title: "Waves against parallel",
        question: "Run level by level, or start each call as soon as its own inputs are ready?",
        takeaway: "Waves wait for every level's slowest call; eager dispatch follows each chain.",
        speed: 4.0,
    },
    Step {
        scenario: "pool-of-3",
        title: "A worker limit",
        question: "Ten calls, three workers: what does the limit cost?",
        takeaway: "A pool of N divides the work by N at best: ten calls in four rounds.",
        speed: 4.0,
    },
    Step {
        scenario: "graham-anomaly",
        title: "Graham's anomaly",
        question: "One more worker can only help. Can it?",
        takeaway: "A greedy pool in file order can get slower with more workers.",
        speed: 5.0,
    },
    Step {
        scenario: "rate-limited",
        title: "A rate limit",
        question: "Twenty calls under a limit of two a second: what is parallelism worth?",
        takeaway: "Under a rate limit the tokens set the pace, not the schedule.",
        speed: 4.0,
    },
    Step {
        scenario: "tail-latency",
        title: "Tail latency",
        question: "Twenty calls with a 300 ms median: why does parallel take 2 s?",
        takeaway: "In parallel you wait for the slowest of many draws: the tail.",
        speed: 4.0,
    },
    Step {
        scenario: "hung-tool",
        title: "A hung tool",
        question: "One tool hangs for 30 s. What does a timeout buy?",
        takeaway: "A timeout turns a hang into an error result and bounds the batch.",
        speed: 4.0,
    },
    Step {
        scenario: "agent-research",
        title: "The model's own turns",
        question: "Five fetches, one tool per model turn or all in one turn: what do the turns cost?",
        takeaway: "Each model turn is serial; ask for every tool in one turn and run them together.",
        speed: 4.0,
    },
];

/// Where a step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Its title card and question.
    Card,
    /// The race, live.
    Race,
    /// The race done: the big headline and the takeaway over it.
    Headline,
    /// After the last step: the whole tour.
    End,
}

/// What the screen shows of the tour.
#[derive(Debug, Clone, PartialEq)]
pub struct TourView {
    /// The step, from 0.
    pub step: usize,
    /// Where it is.
    pub phase: Phase,
    /// Each step's result once raced: the big headline.
    pub results: Vec<Option<String>>,
}

impl TourView {
    /// The tour at its first card.
    pub fn new() -> TourView {
        TourView {
            step: 0,
            phase: Phase::Card,
            results: vec![None; STEPS.len()],
        }
    }

    /// The current step.
    pub fn current(&self) -> &'static Step {
        &STEPS[self.step.min(STEPS.len() - 1)]
    }
}

impl Default for TourView {
    fn default() -> Self {
        TourView::new()
    }
}

/// The big headline of a race: `5.00× faster · 20.000 s saved (80.0 %)` where a lane ran faster
/// than the baseline, else the true headline (a chain, a cancel, nothing faster).
pub fn big_headline(record: &Record) -> String {
    let lanes = figures::lanes(record);
    let Some(k) = figures::faster_lane(record, &lanes) else {
        return figures::headline_of(record, &lanes).unwrap_or_default();
    };
    let f = &lanes[k];
    let base = match Baseline::of(record) {
        Baseline::Lane(b) => record.lanes[b].strategy.to_string(),
        Baseline::SumOfWork(_) => "one at a time".into(),
    };
    format!(
        "{} {} faster than {base} · {} saved",
        f.label,
        figures::speedup(f.speedup.0),
        figures::saved_text(f.saved)
    )
}

/// The table printed when the tour ends: one row per step, with its result where it ran.
pub fn summary(view: &TourView) -> String {
    let mut out = String::from("The tour\n\n");
    let w = STEPS.iter().map(|s| s.title.len()).max().unwrap_or(0);
    for (i, (step, result)) in STEPS.iter().zip(&view.results).enumerate() {
        let result = result.as_deref().unwrap_or("(not raced)");
        out.push_str(&format!(
            "{:>2}. {:<w$}   {:<24} {result}\n",
            i + 1,
            step.title,
            step.scenario
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_is_a_built_in() {
        for s in STEPS {
            assert!(
                crate::engine::scenario::BUILTINS
                    .iter()
                    .any(|(n, _)| *n == s.scenario),
                "{}",
                s.scenario
            );
        }
        assert_eq!(STEPS.len(), 10);
    }
}
