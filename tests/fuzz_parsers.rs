//! A fuzz target run as a test: random bytes, random JSON and random mutations of real files fed
//! to the scenario parser (and the plan), the record parser and each importer. Every input must
//! give a value or a clean error (no panic, no raw control byte in the message) within a bounded
//! time. A fixed number of cases from a fixed seed, so CI runs the same inputs in seconds;
//! `PROPTEST_CASES=5000 cargo test --test fuzz_parsers` searches further.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, RngSeed, TestRng, TestRunner};
use serde_json::{Map, Value, json};

use fanout::engine::scenario::{BUILTINS, ScenarioSource};
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{InputError, Mode, Plan, Record, RunOptions, Strategy as Lane};
use fanout::import::{ImportKind, ImportOptions, import_text};
use fanout::text::is_control;

/// Cases per target unless `PROPTEST_CASES` says otherwise.
const CASES: u32 = 128;
/// The most one input may take to parse, validate and fail or succeed (a debug build on a busy
/// 2-core machine; the real cost is milliseconds).
const LIMIT: Duration = Duration::from_secs(3);

/// Field names and words the parsers look for, so random objects reach past "unknown field"
/// (a list of words, split on white space).
const KEYS: &str = "\
    name description lesson strategies seed on_error rate_limit calls id tool depends_on \
    latency_ms latency http file cpu_ms timeout_ms retries fail fail_attempts url method \
    path max backoff_ms per_second burst dist ms min_ms max_ms mean_ms sd_ms median_ms \
    p99_ms fanout_version started_at speed mode clock scenario bounds lanes strategy wall_ms \
    lower_bound_ms speedup predicted_ms status start_ms end_ms error attempts runs draws \
    cores sum_ms critical_path_ms resourceSpans scopeSpans spans traceId spanId parentSpanId \
    startTimeUnixNano endTimeUnixNano attributes key value stringValue intValue traceEvents \
    ph ts dur pid tid args content type tool_use input role messages choices message \
    tool_calls function arguments";
const WORDS: &[&str] = &[
    "sequential",
    "parallel",
    "waves",
    "pool:2",
    "pool:0",
    "pool:3:cp",
    "fixed",
    "uniform",
    "normal",
    "lognormal",
    "continue",
    "cancel",
    "ok",
    "skipped",
    "race",
    "virtual",
    "real",
    "{local}/delay/1",
    "http://{local}/x",
    "execute_tool",
    "chat",
    "X",
    "B",
    "E",
    "M",
    "assistant",
    "tool_use",
    "gen_ai.operation.name",
    "gen_ai.tool.name",
    "a",
    "b",
    "",
    "\u{1b}]0;x\u{7}",
    "\u{9b}2J",
    "\u{feff}",
];

/// `base` with one to three mutations, as text, three times in four; else random text.
fn mutated_or_random(base: Value) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(mutation(), 1..4).prop_map(move |ms| {
            let mut doc = base.clone();
            for m in &ms {
                apply(&mut doc, m);
            }
            doc.to_string()
        }),
        1 => text(),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(KEYS.split_whitespace().collect::<Vec<_>>())
            .prop_map(str::to_string),
        1 => any::<String>(),
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3i64..5000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        proptest::num::f64::NORMAL
            .prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        proptest::sample::select(vec![0.0, -0.0, 1e-306, 1e308, -1.0, 0.5, 3_600_001.0])
            .prop_map(|x| json!(x)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        proptest::sample::select(WORDS).prop_map(|s| Value::String(s.to_string())),
        any::<String>().prop_map(Value::String),
    ]
}

/// Any JSON value, up to a few levels deep, with the parsers' own keys and words.
fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a document: at the node `at` (an index into its nodes, modulo their number),
/// `op` 0 replaces it, 1 removes it, 2 wraps it in a list, 3 adds `key` to it (an object).
#[derive(Debug, Clone)]
struct Mutation {
    at: usize,
    op: u8,
    key: String,
    value: Value,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    (any::<usize>(), 0u8..4, key(), value()).prop_map(|(at, op, key, value)| Mutation {
        at,
        op,
        key,
        value,
    })
}

/// JSON pointers of every node of `v`, the root first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                let k = k.replace('~', "~0").replace('/', "~1");
                pointers(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

fn apply(doc: &mut Value, m: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let at = &all[m.at % all.len()];
    match m.op {
        0 => *doc.pointer_mut(at).unwrap() = m.value.clone(),
        1 if !at.is_empty() => {
            let (parent, last) = at.rsplit_once('/').unwrap();
            let last = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent).unwrap() {
                Value::Object(o) => {
                    o.remove(&last);
                }
                Value::Array(a) => {
                    a.remove(last.parse::<usize>().unwrap());
                }
                _ => unreachable!("a parent holds children"),
            }
        }
        2 => {
            let node = doc.pointer_mut(at).unwrap();
            *node = Value::Array(vec![node.take()]);
        }
        _ => {
            if let Some(Value::Object(o)) = doc.pointer_mut(at) {
                o.insert(m.key.clone(), m.value.clone());
            }
        }
    }
}

/// Runs `cases` inputs from `strategy` through `check` with a fixed seed.
fn fuzz<S: Strategy>(strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x00fa_2011),
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    if let Err(e) = runner.run(&strategy, check) {
        panic!("{e}");
    }
}

/// A clean error: it prints without a raw control byte.
fn clean(e: &InputError) -> Result<(), TestCaseError> {
    let text = e.to_string();
    prop_assert!(
        !text.chars().any(|c| c != '\n' && is_control(c)),
        "raw control byte in {text:?}"
    );
    Ok(())
}

/// Times `f`, failing past [`LIMIT`].
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    prop_assert!(took < LIMIT, "{what} took {took:?}");
    Ok(out)
}

/// Random text: arbitrary bytes (as UTF-8, lossily), or JSON with random bytes spliced in.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        (
            value(),
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 0..8)
        )
            .prop_map(|(v, at, junk)| {
                let mut s = v.to_string();
                let mut at = at % (s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert_str(at, &String::from_utf8_lossy(&junk));
                s
            }),
        value().prop_map(|v| v.to_string()),
    ]
}

fn check_scenario(text: &str) -> Result<(), TestCaseError> {
    let result = timed("scenario", || {
        Plan::from_source(&ScenarioSource::from_text("fuzz.json", text))
    })?;
    match result {
        Ok(_) => Ok(()),
        Err(e) => clean(&e),
    }
}

/// Some built-ins as JSON values, the documents mutations start from.
fn scenarios() -> Vec<Value> {
    BUILTINS
        .iter()
        .filter(|(n, _)| {
            matches!(
                *n,
                "one-failing-call" | "rate-limited" | "tail-latency" | "timeouts-and-retries"
            )
        })
        .map(|(_, t)| serde_json::from_str(t).unwrap())
        .collect()
}

#[test]
fn scenario_parser_on_random_text() {
    fuzz(text(), |t| check_scenario(&t));
}

#[test]
fn scenario_parser_on_mutated_scenarios() {
    let bases = scenarios();
    let strategy = (
        0..bases.len(),
        proptest::collection::vec(mutation(), 1..4),
        any::<bool>(),
    );
    fuzz(strategy, |(i, ms, pretty)| {
        let mut doc = bases[i].clone();
        for m in &ms {
            apply(&mut doc, m);
        }
        let text = if pretty {
            serde_json::to_string_pretty(&doc).unwrap()
        } else {
            doc.to_string()
        };
        check_scenario(&text)
    });
}

/// A record of a virtual run of `one-failing-call` under three lanes, as JSON.
fn record() -> Value {
    let plan = std::sync::Arc::new(Plan::load("one-failing-call").unwrap());
    let opts = RunOptions {
        strategies: vec![Lane::Sequential, Lane::Parallel, Lane::Pool(2)],
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    serde_json::to_value(run_virtual(&plan, &opts)).unwrap()
}

#[test]
fn record_parser_on_mutated_records_and_random_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let base = record();
    let strategy = mutated_or_random(base);
    fuzz(strategy, |text| {
        std::fs::write(&path, &text).unwrap();
        match timed("record", || Record::load(&path))? {
            Ok(_) => Ok(()),
            Err(e) => clean(&e),
        }
    });
}

/// Byte edits of a record in fanout's own layout, whose plain call lines the lane-by-lane read
/// matches byte by byte instead of asking serde: whatever loads is what serde reads from the same
/// text, and anything else is a clean error.
#[test]
fn a_record_in_fanouts_layout_reads_as_serde_reads_it_however_edited() {
    let plan = std::sync::Arc::new(Plan::load("one-failing-call").unwrap());
    let mut opts = RunOptions::for_plan(&plan);
    opts.strategies = vec![Lane::Sequential, Lane::Parallel, Lane::Pool(2)];
    let text = fanout::report::json(&run_virtual(&plan, &opts));
    // Where the lanes' call lines are: edits land there three times in four.
    let lanes = text.find(r#""lanes": ["#).unwrap();
    let len = text.len();
    const BYTES: &[u8] = b"0123456789.eE-+\" ,:[]{}\n\\xnul";
    let edit = (
        prop_oneof![3 => lanes..len, 1 => 0..len],
        0..3u8,
        proptest::sample::select(BYTES),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    fuzz(proptest::collection::vec(edit, 1..4), |edits| {
        let mut bytes = text.clone().into_bytes();
        for &(at, op, b) in &edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 => bytes[at] = b,
                1 => bytes.insert(at, b),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        match timed("record", || Record::load(&path))? {
            Ok((loaded, _)) => {
                let text = String::from_utf8(bytes).expect("a record that loads is UTF-8");
                let plain: Record = serde_json::from_str(&text).expect("serde reads it too");
                prop_assert_eq!(loaded, plain);
                Ok(())
            }
            Err(e) => clean(&e),
        }
    });
}

fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/imports")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Feeds mutations of `base` and random text to one importer; what it imports must be a valid
/// scenario (the importers promise it passes `Plan::new`).
fn fuzz_import(kind: ImportKind, base: Value) {
    let opts = ImportOptions {
        latency_by_tool: Default::default(),
        default_latency_ms: Some(100.0),
    };
    let strategy = mutated_or_random(base);
    fuzz(strategy, |text| {
        let result = timed(kind.name(), || {
            import_text(kind, "fuzz.json", "fuzz", &text, &opts)
        })?;
        match result {
            Ok(imported) => {
                let json = imported.scenario_json();
                let plan = timed("the imported scenario", || {
                    Plan::from_source(&ScenarioSource::from_text("imported", json.as_str()))
                })?;
                prop_assert!(plan.is_ok(), "{kind:?} imported a bad scenario: {plan:?}");
                Ok(())
            }
            Err(e) => clean(&e),
        }
    });
}

#[test]
fn every_importer() {
    for (kind, file) in [
        (ImportKind::Otel, "otel-agent-run.json"),
        (ImportKind::ChromeTrace, "chrome-trace-agent.json"),
        (ImportKind::Anthropic, "anthropic-response.json"),
        (ImportKind::Openai, "openai-completion.json"),
    ] {
        fuzz_import(kind, sample(file));
    }
}
