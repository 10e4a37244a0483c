//! Checking one call's fields and the scenario's rate limit: what JSON cannot say about a call
//! (exactly one effect, ranges, timeouts and retries), apart from the graph.

use super::{PlanCall, RateLimit, Retries};
use crate::engine::effects::{Effect, HttpRequest, LOCAL_PLACEHOLDER};
use crate::engine::error::{InputError, nearest};
use crate::engine::limits::{MAX_CPU_MS, MAX_LATENCY_MS, MAX_RETRIES};
use crate::engine::scenario::{CallSpec, Scenario, ScenarioSource};

/// An error about one call: a message and, where there is an obvious one, the fix.
pub(super) type CallProblem = (String, Option<String>);

fn in_range(x: f64, max: f64) -> bool {
    x.is_finite() && (0.0..=max).contains(&x)
}

/// The fixes for an effect's milliseconds out of range.
const LATENCY_FIX: &str = "use a number of milliseconds from 0 to 3600000 (one hour)";
const CPU_FIX: &str = "use milliseconds of CPU work from 0 to 60000 (a minute)";

/// A milliseconds field's value when it is in range; else its error, with `fix`.
fn ms_field(field: &str, ms: f64, max: f64, fix: &str) -> Result<f64, CallProblem> {
    if in_range(ms, max) {
        Ok(ms)
    } else {
        Err((format!("{field} {ms} is out of range"), Some(fix.into())))
    }
}

/// The one effect a call asks for, checked.
pub(super) fn effect_of(
    spec: &CallSpec,
    _i: usize,
    draw: Option<f64>,
    source: &ScenarioSource,
) -> Result<Effect, CallProblem> {
    let effects = [
        ("latency_ms", spec.latency_ms.is_some()),
        ("latency", spec.latency.is_some()),
        ("http", spec.http.is_some()),
        ("file", spec.file.is_some()),
        ("cpu_ms", spec.cpu_ms.is_some()),
    ];
    let given = || -> Vec<&str> {
        effects
            .iter()
            .filter_map(|&(name, set)| set.then_some(name))
            .collect()
    };
    match effects.iter().filter(|e| e.1).count() {
        0 => {
            return Err((
                "has no effect".into(),
                Some("give it one effect: \"latency_ms\": 500, \"latency\": {…}, \"http\": {\"url\": …}, \"file\": {\"path\": …} or \"cpu_ms\": 200".into()),
            ));
        }
        1 => {}
        _ => {
            return Err((
                format!("has more than one effect: {}", given().join(", ")),
                Some("a call does one thing: keep one of them".into()),
            ));
        }
    }
    if let Some(ms) = spec.latency_ms {
        let ms = ms_field("latency_ms", ms, MAX_LATENCY_MS, LATENCY_FIX)?;
        return Ok(Effect::Latency { ms });
    }
    if let Some(dist) = &spec.latency {
        dist.validate()
            .map_err(|m| (format!("latency: {m}"), None))?;
        // Whole milliseconds: the timer's resolution, so the record's draws are what ran.
        return Ok(Effect::Drawn {
            dist: dist.clone(),
            ms: draw.unwrap_or_else(|| dist.median_ms()).round(),
        });
    }
    if let Some(http) = &spec.http {
        let method = http.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
        const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
        if !METHODS.contains(&method.as_str()) {
            return Err((
                format!("http method `{method}` is not one fanout sends"),
                Some(format!("use one of {}", METHODS.join(", "))),
            ));
        }
        // `{local}` is a whole origin (`http://127.0.0.1:PORT`): anywhere but the start, the URL
        // it makes can only be wrong (`http://{local}/x` is `http://http://127.0.0.1:…/x`).
        if let Some(at) = http.url.find(LOCAL_PLACEHOLDER)
            && (at > 0 || http.url.matches(LOCAL_PLACEHOLDER).count() > 1)
        {
            return Err((
                format!(
                    "http url `{}` has `{LOCAL_PLACEHOLDER}` after its start",
                    http.url
                ),
                Some(format!(
                    "`{LOCAL_PLACEHOLDER}` stands for fanout's server, http://127.0.0.1:PORT: start the URL with it, e.g. \"{LOCAL_PLACEHOLDER}/delay/800\""
                )),
            ));
        }
        // `{local}` is only known once a run starts its server: check the rest of the URL.
        let probe = http.url.replace(LOCAL_PLACEHOLDER, "http://127.0.0.1:9");
        match reqwest::Url::parse(&probe) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            Ok(u) => {
                return Err((
                    format!(
                        "http url `{}` is not http or https (it is `{}:`)",
                        http.url,
                        u.scheme()
                    ),
                    Some(
                        "use an http:// or https:// URL, or {local}/path for fanout's own server"
                            .into(),
                    ),
                ));
            }
            Err(e) => {
                return Err((
                    format!("http url `{}` is not a URL: {e}", http.url),
                    Some("write a full URL such as \"https://example.com/page\" or \"{local}/delay/800\"".into()),
                ));
            }
        }
        if let Some(t) = http.timeout_ms
            && (!in_range(t, MAX_LATENCY_MS) || t == 0.0)
        {
            return Err((
                format!("http timeout_ms {t} is out of range"),
                Some("use milliseconds above 0 and at most 3600000".into()),
            ));
        }
        return Ok(Effect::Http(Box::new(HttpRequest {
            url: http.url.clone(),
            method,
            timeout_ms: http.timeout_ms,
        })));
    }
    if let Some(file) = &spec.file {
        if file.path.trim().is_empty() {
            return Err((
                "file path is empty".into(),
                Some("give the file to read, e.g. \"file\": {\"path\": \"data/a.txt\"}".into()),
            ));
        }
        let path = std::path::Path::new(&file.path);
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            source.base_dir.join(path)
        };
        return Ok(Effect::File {
            path: path.into_boxed_path(),
        });
    }
    if let Some(ms) = spec.cpu_ms {
        let ms = ms_field("cpu_ms", ms, MAX_CPU_MS, CPU_FIX)?;
        return Ok(Effect::Cpu { ms });
    }
    unreachable!("exactly one effect was given")
}

/// A call's `timeout_ms` and `retries`, checked.
pub(super) fn attempts_of(spec: &CallSpec) -> Result<(Option<f64>, Retries), (String, String)> {
    if let Some(t) = spec.timeout_ms
        && (!in_range(t, MAX_LATENCY_MS) || t == 0.0)
    {
        return Err((
            format!("timeout_ms {t} is out of range"),
            "use milliseconds above 0 and at most 3600000".into(),
        ));
    }
    let retries = match &spec.retries {
        None => Retries::default(),
        Some(r) => {
            if r.max > MAX_RETRIES {
                return Err((
                    format!("retries.max {} is too many", r.max),
                    format!("use at most {MAX_RETRIES} retries"),
                ));
            }
            if !in_range(r.backoff_ms, MAX_LATENCY_MS) {
                return Err((
                    format!("retries.backoff_ms {} is out of range", r.backoff_ms),
                    "use milliseconds from 0 to 3600000".into(),
                ));
            }
            Retries {
                max: r.max,
                backoff_ms: r.backoff_ms,
            }
        }
    };
    Ok((spec.timeout_ms, retries))
}

/// The scenario's `rate_limit`, checked against its calls.
pub(super) fn rate_limit_of(
    scenario: &Scenario,
    calls: &[PlanCall],
    source: &ScenarioSource,
) -> Result<Option<RateLimit>, InputError> {
    let Some(spec) = &scenario.rate_limit else {
        return Ok(None);
    };
    let err = |message: String, hint: &str| {
        source
            .error(message)
            .at(source.place_of_key("rate_limit"))
            .hint(hint.to_string())
    };
    if !crate::engine::limits::rate_in_range(spec.per_second) {
        return Err(err(
            format!(
                "rate_limit.per_second {} is out of range: use 0.001 to 1000000",
                crate::engine::limits::short(spec.per_second)
            ),
            "tokens added per second, e.g. \"per_second\": 2",
        ));
    }
    if spec.burst == 0 {
        return Err(err(
            "rate_limit.burst is 0: no call could ever start".into(),
            "use a bucket of at least 1, e.g. \"burst\": 5",
        ));
    }
    if let Some(tool) = &spec.tool
        && !calls.iter().any(|c| *c.tool == **tool)
    {
        let mut e = err(
            format!("rate_limit.tool `{tool}` is the tool of no call"),
            "name a tool the calls use, or remove `tool` to limit every call",
        );
        let tools: Vec<&str> = calls.iter().map(|c| &*c.tool).collect();
        if let Some(n) = nearest(tool, tools) {
            e = e.hint(format!("did you mean `{n}`?"));
        }
        return Err(e);
    }
    Ok(Some(RateLimit {
        per_second: spec.per_second,
        burst: spec.burst,
        tool: spec.tool.clone(),
    }))
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'))
}

/// The nominal duration of each of `n` model turns: the model calls' latencies in file order
/// (then their median, for a lane that takes more turns than there are model calls), else
/// `model_turn_ms` or `model_turn` (drawn with `seed`, whole milliseconds like call draws);
/// empty when the scenario has none of them.
pub(super) fn model_turns_of(
    scenario: &Scenario,
    calls: &[PlanCall],
    n: usize,
    seed: u64,
    source: &ScenarioSource,
) -> Result<Vec<f64>, InputError> {
    let models: Vec<f64> = calls
        .iter()
        .filter(|c| c.model)
        .filter_map(|c| c.effect.nominal_ms())
        .collect();
    if !models.is_empty() {
        if let Some(key) = [
            ("model_turn_ms", scenario.model_turn_ms.is_some()),
            ("model_turn", scenario.model_turn.is_some()),
        ]
        .iter()
        .find_map(|&(k, set)| set.then_some(k))
        {
            return Err(source
                .error(format!(
                    "both `{key}` and calls marked \"model\": true give the model's turns"
                ))
                .at(source.place_of_key(key))
                .hint(format!(
                    "keep one: remove `{key}` (the model calls' latencies are the turns), or remove \"model\": true from the calls"
                )));
        }
        let median = median_ms(&models);
        let mut turns = models;
        turns.resize(n.max(turns.len()), median);
        return Ok(turns);
    }
    match (scenario.model_turn_ms, &scenario.model_turn) {
        (None, None) => Ok(Vec::new()),
        (Some(_), Some(_)) => Err(source
            .error("both `model_turn_ms` and `model_turn` are given")
            .at(source.place_of_key("model_turn"))
            .hint(
                "keep one: a fixed \"model_turn_ms\": 1500, or a distribution in \"model_turn\"",
            )),
        (Some(ms), None) => {
            if !in_range(ms, MAX_LATENCY_MS) {
                return Err(source
                    .error(format!("model_turn_ms {ms} is out of range"))
                    .at(source.place_of_key("model_turn_ms"))
                    .hint("use a number of milliseconds from 0 to 3600000 (one hour), e.g. 1500"));
            }
            Ok(vec![ms; n])
        }
        (None, Some(dist)) => {
            dist.validate().map_err(|m| {
                source
                    .error(format!("model_turn: {m}"))
                    .at(source.place_of_key("model_turn"))
            })?;
            Ok(crate::engine::dist::draw_turns(seed, dist, n)
                .into_iter()
                .map(f64::round)
                .collect())
        }
    }
}

/// The median of `xs` (not empty): the middle value, or the mean of the two middle ones.
pub(crate) fn median_ms(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}
