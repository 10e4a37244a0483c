//! Model turns of a watched run, and the parallelism each left on the table.
//!
//! A turn is one model call and the tool calls it asked for (the tools that depend on it alone,
//! in the span model of `import otel`). Tools of one turn do not depend on each other, so
//! whatever time they spent one after another is time a parallel dispatch would have saved.

use std::collections::HashMap;

use crate::engine::record::CallRecord;
use crate::engine::scenario::CallSpec;
use crate::import::otel::CallMeta;

/// A tool call's recorded times, ms from the start of the capture.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolRun {
    pub id: String,
    pub start_ms: f64,
    pub end_ms: f64,
}

/// One model turn of one trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// The trace (agent run), lowercase hex.
    pub trace: String,
    /// 1-based within its trace, in order of the model calls' starts; 0 for tools that ran
    /// before any model call.
    pub number: usize,
    /// The model call's id, when there is one.
    pub model: Option<String>,
    /// The model span's id (empty for tools before any model call): the turn's identity while
    /// late spans renumber turns and calls.
    pub key: String,
    /// The tools it asked for that have ended, in order of start.
    pub tools: Vec<ToolRun>,
    /// Its tools announced by a start marker and still running, in order of start.
    pub running: Vec<String>,
    /// When the model call ended, ms from the trace's first call.
    pub model_end_ms: Option<f64>,
    /// Nothing more can arrive for it: a later model call read its results, or the trace's
    /// root span has arrived.
    pub closed: bool,
}

impl Turn {
    /// The model has answered and asked for tools that have not all arrived: the spans of
    /// running tools come only when they end, so a turn is open until a later model call (or
    /// the root) closes it.
    pub fn waiting_for_tools(&self) -> bool {
        self.model.is_some() && !self.closed
    }
}

/// What a turn's tools cost as they ran, and as they would have run together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeftOnTable {
    /// How many tools the turn ran.
    pub tools: usize,
    /// From the first tool's start to the last one's end.
    pub ran_ms: f64,
    /// The longest tool: what the turn's tools take all started at once.
    pub together_ms: f64,
    /// `ran_ms - together_ms`.
    pub saved_ms: f64,
    /// No two of them overlapped.
    pub one_after_another: bool,
}

/// Savings smaller than this are scheduling noise (threads started a few µs apart), not a
/// missed parallel dispatch.
const NOISE_MS: f64 = 1.0;

/// The parallelism a turn's tools left on the table: `None` unless at least two tools ran and
/// starting them all at once would have saved more than noise (1 ms and 1 % of what they took).
pub fn left_on_table(tools: &[ToolRun]) -> Option<LeftOnTable> {
    if tools.len() < 2 {
        return None;
    }
    let first = tools
        .iter()
        .map(|t| t.start_ms)
        .fold(f64::INFINITY, f64::min);
    let last = tools
        .iter()
        .map(|t| t.end_ms)
        .fold(f64::NEG_INFINITY, f64::max);
    let ran_ms = last - first;
    let together_ms = tools
        .iter()
        .map(|t| t.end_ms - t.start_ms)
        .fold(0.0, f64::max);
    let saved_ms = ran_ms - together_ms;
    if saved_ms <= NOISE_MS || saved_ms <= ran_ms * 0.01 {
        return None;
    }
    let mut by_start: Vec<&ToolRun> = tools.iter().collect();
    by_start.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    let one_after_another = by_start
        .windows(2)
        .all(|w| w[1].start_ms + NOISE_MS >= w[0].end_ms);
    Some(LeftOnTable {
        tools: tools.len(),
        ran_ms,
        together_ms,
        saved_ms,
        one_after_another,
    })
}

/// What parallel would have saved in all of `turns`: the one sum the headless summary, the
/// live view and the picker print.
pub fn left_in_all(turns: &[Turn]) -> f64 {
    turns
        .iter()
        .filter_map(|t| left_on_table(&t.tools))
        .map(|l| l.saved_ms)
        .sum()
}

/// The turns of every trace, in order of trace first seen (as `meta` lists calls in time
/// order) then turn number. `calls`, `recorded` and `meta` are parallel: one entry per call.
/// A turn is closed when a later model call of its trace depends on it, or every one is when
/// `done` (the trace's root span has arrived). `running` lists the calls still running (start
/// markers): they are named in their turn, not measured.
pub fn turns(
    calls: &[CallSpec],
    recorded: &[CallRecord],
    meta: &[CallMeta],
    running: &[usize],
    done: bool,
) -> Vec<Turn> {
    let index: HashMap<&str, usize> = calls.iter().enumerate().map(|(i, c)| (&*c.id, i)).collect();
    let mut out: Vec<Turn> = Vec::new();
    // (trace, model call index) → position in `out`; (trace) → its turn count and before-any-
    // model turn.
    let mut turn_of_model: HashMap<usize, usize> = HashMap::new();
    let mut count: HashMap<&str, usize> = HashMap::new();
    let mut orphan: HashMap<&str, usize> = HashMap::new();
    for (i, (c, m)) in calls.iter().zip(meta).enumerate() {
        if m.model {
            let n = count.entry(m.trace.as_str()).or_default();
            *n += 1;
            turn_of_model.insert(i, out.len());
            out.push(Turn {
                trace: m.trace.clone(),
                number: *n,
                model: Some(c.id.to_string()),
                key: m.span.clone(),
                tools: Vec::new(),
                running: Vec::new(),
                model_end_ms: recorded[i].end_ms.filter(|_| !running.contains(&i)),
                closed: false,
            });
            // The turns whose results this model call read are over.
            for d in &c.depends_on {
                if let Some(&j) = index.get(&**d) {
                    let t = if meta[j].model {
                        turn_of_model.get(&j).copied()
                    } else {
                        calls[j]
                            .depends_on
                            .first()
                            .and_then(|m| index.get(&**m))
                            .and_then(|mj| turn_of_model.get(mj))
                            .copied()
                            .or_else(|| orphan.get(meta[j].trace.as_str()).copied())
                    };
                    if let Some(t) = t {
                        out[t].closed = true;
                    }
                }
            }
            continue;
        }
        let run = ToolRun {
            id: c.id.to_string(),
            start_ms: recorded[i].start_ms.unwrap_or(0.0),
            end_ms: recorded[i].end_ms.unwrap_or(0.0),
        };
        let owner = c
            .depends_on
            .first()
            .and_then(|d| index.get(&**d))
            .and_then(|j| turn_of_model.get(j))
            .copied();
        let t = match owner {
            Some(t) => t,
            None => *orphan.entry(m.trace.as_str()).or_insert_with(|| {
                out.push(Turn {
                    trace: m.trace.clone(),
                    number: 0,
                    model: None,
                    key: String::new(),
                    tools: Vec::new(),
                    running: Vec::new(),
                    model_end_ms: None,
                    closed: false,
                });
                out.len() - 1
            }),
        };
        if running.contains(&i) {
            out[t].running.push(run.id);
        } else {
            out[t].tools.push(run);
        }
    }
    for t in &mut out {
        t.closed |= done;
    }
    out
}

/// Seconds with one decimal from 1 s up, else whole milliseconds: the figures of a headless
/// line, read at a glance.
pub fn secs(ms: f64) -> String {
    crate::text::duration(ms, crate::text::Precision::Glance)
}

/// The headless line of a turn: `turn 2: 3 tools ran one after another, 4.2 s; together 1.6 s —
/// 2.6 s left on the table`.
pub fn line(turn: &Turn) -> String {
    let head = if turn.number == 0 {
        "before the first model call".to_string()
    } else {
        format!("turn {}", turn.number)
    };
    let n = turn.tools.len();
    let names = turn
        .tools
        .iter()
        .map(|t| t.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match (n, left_on_table(&turn.tools)) {
        (0, _) => format!("{head}: the model answered without tools"),
        (_, Some(l)) => format!(
            "{head}: {n} tools {}, {}; together {} — {} left on the table ({names})",
            if l.one_after_another {
                "ran one after another"
            } else {
                "overlapped only in part"
            },
            secs(l.ran_ms),
            secs(l.together_ms),
            secs(l.saved_ms),
        ),
        (1, None) => format!(
            "{head}: 1 tool, {} ({names})",
            secs(turn.tools[0].end_ms - turn.tools[0].start_ms)
        ),
        (_, None) => {
            let first = turn
                .tools
                .iter()
                .map(|t| t.start_ms)
                .fold(f64::INFINITY, f64::min);
            let last = turn.tools.iter().map(|t| t.end_ms).fold(0.0, f64::max);
            format!(
                "{head}: {n} tools ran together, {} ({names})",
                secs(last - first)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, start_ms: f64, end_ms: f64) -> ToolRun {
        ToolRun {
            id: id.into(),
            start_ms,
            end_ms,
        }
    }

    #[test]
    fn tools_one_after_another_leave_all_but_the_longest_on_the_table() {
        let tools = [
            run("a", 100.0, 1700.0),
            run("b", 1700.0, 2900.0),
            run("c", 2900.0, 4300.0),
        ];
        let l = left_on_table(&tools).unwrap();
        assert_eq!(l.tools, 3);
        assert_eq!(l.ran_ms, 4200.0);
        assert_eq!(l.together_ms, 1600.0);
        assert_eq!(l.saved_ms, 2600.0);
        assert!(l.one_after_another);
        let turn = Turn {
            trace: "t".into(),
            number: 2,
            model: Some("chat".into()),
            key: "s".into(),
            tools: tools.to_vec(),
            running: Vec::new(),
            model_end_ms: Some(100.0),
            closed: true,
        };
        assert_eq!(
            line(&turn),
            "turn 2: 3 tools ran one after another, 4.2 s; together 1.6 s — 2.6 s left on the table (a, b, c)"
        );
    }

    #[test]
    fn tools_run_together_leave_nothing() {
        let tools = [run("a", 0.0, 300.0), run("b", 0.2, 200.0)];
        assert_eq!(left_on_table(&tools), None);
        assert_eq!(left_on_table(&tools[..1]), None);
        assert_eq!(left_on_table(&[]), None);
    }

    #[test]
    fn a_partial_overlap_is_flagged_but_not_as_one_after_another() {
        let tools = [run("a", 0.0, 1000.0), run("b", 500.0, 1500.0)];
        let l = left_on_table(&tools).unwrap();
        assert_eq!(l.saved_ms, 500.0);
        assert!(!l.one_after_another);
    }

    fn call(id: &str, deps: &[&str]) -> CallSpec {
        CallSpec {
            depends_on: deps.iter().map(|&d| d.into()).collect(),
            ..CallSpec::simulated(id.to_string(), 1.0)
        }
    }

    fn rec(id: &str, start: f64, end: f64) -> CallRecord {
        CallRecord {
            start_ms: Some(start),
            end_ms: Some(end),
            ..CallRecord::skipped(&id.into(), String::new())
        }
    }

    #[test]
    fn turns_group_tools_under_the_model_call_that_asked_for_them() {
        let calls = [
            call("chat", &[]),
            call("a", &["chat"]),
            call("b", &["chat"]),
            call("chat_2", &["a", "b"]),
            call("x", &[]),
        ];
        let recorded = [
            rec("chat", 0.0, 10.0),
            rec("a", 10.0, 20.0),
            rec("b", 20.0, 30.0),
            rec("chat_2", 30.0, 40.0),
            rec("x", 0.0, 5.0),
        ];
        let meta: Vec<CallMeta> = [(true, "t1"), (false, "t1"), (false, "t1"), (true, "t1")]
            .iter()
            .chain(&[(false, "t2")])
            .enumerate()
            .map(|(i, &(model, trace))| CallMeta {
                model,
                trace: trace.into(),
                span: format!("{i:016x}"),
            })
            .collect();
        let got = turns(&calls, &recorded, &meta, &[], false);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].number, 1);
        assert_eq!(
            got[0]
                .tools
                .iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(got[0].closed, "chat_2 read its results");
        assert_eq!((got[1].number, got[1].closed), (2, false));
        assert!(got[1].tools.is_empty());
        assert_eq!((got[2].trace.as_str(), got[2].number), ("t2", 0));
        assert!(!got[2].closed);
        assert!(got[1].waiting_for_tools() && !got[0].waiting_for_tools());
        assert!(
            !got[2].waiting_for_tools(),
            "no model call: nothing asked for tools"
        );
        assert_eq!(got[1].model_end_ms, Some(40.0));
        // The root closes every turn.
        let done = turns(&calls, &recorded, &meta, &[], true);
        assert!(done.iter().all(|t| t.closed && !t.waiting_for_tools()));
        assert_eq!(left_on_table(&got[0].tools).unwrap().saved_ms, 10.0);
    }
}
