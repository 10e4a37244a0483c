//! The field lists and type hints of the scenario format, for "did you mean" and for fixes of
//! values of the wrong type: what [`JsonFile`] asks of a scenario.

use super::Scenario;
use crate::engine::json::errors::{number_in, quoted_number};
use crate::engine::json::locate::Step;
use crate::engine::json::{FileKind, JsonFile};

/// Field names of every object of a scenario (the scenario, a call, and the objects inside a
/// call), for "did you mean" hints; `field_lists_match_the_types` keeps them in step.
pub const SCENARIO_FIELDS: &[&str] = &[
    "name",
    "description",
    "lesson",
    "strategies",
    "seed",
    "on_error",
    "rate_limit",
    "mode",
    "model_turn_ms",
    "model_turn",
    "calls",
];
pub const CALL_FIELDS: &[&str] = &[
    "id",
    "tool",
    "depends_on",
    "latency_ms",
    "latency",
    "http",
    "file",
    "cpu_ms",
    "timeout_ms",
    "retries",
    "fail",
    "fail_attempts",
    "model",
];
pub const HTTP_FIELDS: &[&str] = &["url", "method", "timeout_ms"];
pub const FILE_FIELDS: &[&str] = &["path"];
pub const RETRY_FIELDS: &[&str] = &["max", "backoff_ms"];
pub const RATE_LIMIT_FIELDS: &[&str] = &["per_second", "burst", "tool"];
pub const LATENCY_FIELDS: &[&str] = &[
    "dist",
    "ms",
    "min_ms",
    "max_ms",
    "mean_ms",
    "sd_ms",
    "median_ms",
    "p99_ms",
];

impl JsonFile for Scenario {
    const KIND: FileKind = FileKind::Scenario;

    fn fields_at(path: &[Step<'_>]) -> Option<&'static [&'static str]> {
        match path {
            [] => Some(SCENARIO_FIELDS),
            [Step::Key("rate_limit")] => Some(RATE_LIMIT_FIELDS),
            [Step::Key("model_turn")] => Some(LATENCY_FIELDS),
            [Step::Key("calls"), Step::Index(_)] => Some(CALL_FIELDS),
            [Step::Key("calls"), Step::Index(_), Step::Key(key)] => match *key {
                "http" => Some(HTTP_FIELDS),
                "file" => Some(FILE_FIELDS),
                "retries" => Some(RETRY_FIELDS),
                "latency" => Some(LATENCY_FIELDS),
                _ => None,
            },
            _ => None,
        }
    }

    fn type_hint(path: &[Step<'_>], found: &str) -> Option<String> {
        use Step::{Index, Key};
        const TEXT: &str = "put the text in double quotes";
        Some(match path {
            [Key("name")] => "put the title in double quotes, e.g. \"name\": \"My batch\"".into(),
            [Key("seed")] => match quoted_number(found) {
                Some(n) => format!("write the seed without quotes: \"seed\": {n}"),
                None => "the seed is a whole number of 0 or more, e.g. \"seed\": 42".into(),
            },
            [Key("description" | "lesson")] => TEXT.into(),
            [Key("strategies"), ..] => {
                "`strategies` is a list of names, e.g. \"strategies\": [\"sequential\", \"pool:3\"]"
                    .into()
            }
            [Key("calls")] | [Key("calls"), Index(_)] => {
                "`calls` is a list of call objects, e.g. \"calls\": [{\"id\": \"fetch_1\", \"latency_ms\": 500}]"
                    .into()
            }
            [Key("calls"), Index(_), Key("id")] => match number_in(found) {
                Some(n) => format!("ids are strings: \"id\": \"{n}\""),
                None => "ids are strings, e.g. \"id\": \"fetch_1\"".into(),
            },
            [Key("calls"), Index(_), Key("tool" | "fail")] => TEXT.into(),
            [Key("calls"), Index(_), Key("model")] => {
                "write true for a model call (its latency is a model turn), e.g. \"model\": true"
                    .into()
            }
            [Key("rate_limit")] => {
                "write an object, fields by name: \"rate_limit\": {\"per_second\": 2, \"burst\": 5}"
                    .into()
            }
            [Key("calls"), Index(_), Key("http")] => {
                "write an object, fields by name: \"http\": {\"url\": \"https://example.com\"}".into()
            }
            [Key("calls"), Index(_), Key("file")] => {
                "write an object, fields by name: \"file\": {\"path\": \"data/a.txt\"}".into()
            }
            [Key("calls"), Index(_), Key("retries")] => {
                "write an object, fields by name: \"retries\": {\"max\": 3, \"backoff_ms\": 200}"
                    .into()
            }
            [Key("calls"), Index(_), Key("latency")] => {
                "write an object, fields by name, e.g. \"latency\": {\"dist\": \"uniform\", \"min_ms\": 100, \"max_ms\": 400}"
                    .into()
            }
            [Key("calls"), Index(_), Key("depends_on"), ..] => {
                "`depends_on` is a list of call ids, e.g. \"depends_on\": [\"fetch_1\"]".into()
            }
            [Key("model_turn_ms")] => match quoted_number(found) {
                Some(n) => format!("write the number without quotes: \"model_turn_ms\": {n}"),
                None => "use a number of milliseconds, e.g. \"model_turn_ms\": 1500".into(),
            },
            [Key("model_turn")] => {
                "write an object, fields by name, e.g. \"model_turn\": {\"dist\": \"uniform\", \"min_ms\": 1000, \"max_ms\": 2000}"
                    .into()
            }
            [Key("calls"), Index(_), Key("latency_ms")] => match quoted_number(found) {
                Some(n) => format!("write the number without quotes: \"latency_ms\": {n}"),
                None => "use a number of milliseconds from 0 to 3600000, e.g. \"latency_ms\": 500"
                    .into(),
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::dist::Distribution;
    use crate::engine::json::locate::scan_prefix;
    use crate::engine::json::{parse_json, same_fields};
    use crate::engine::options::Mode;
    use crate::engine::scenario::{
        CallSpec, FileSpec, HttpSpec, OnError, RateLimitSpec, RetrySpec,
    };

    #[test]
    fn unknown_field_suggests_the_right_name() {
        let text = "{\"name\": \"x\", \"calls\": [\n  {\"id\": \"a\", \"latency_ms\": 1, \"depends\": []}\n]}";
        let err = parse_json::<Scenario>("s.json", text).unwrap_err();
        assert_eq!(err.message, "unknown field `depends`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `depends_on`?"));
        assert_eq!(err.line_col.map(|p| p.0), Some(2));
    }

    #[test]
    fn the_prefix_scan_knows_which_object_it_is_in() {
        let text = "{\"name\": \"x\", \"calls\": [{\"id\": \"a\"}, {\"id\": \"b\", \"lat";
        let scan = scan_prefix(text, text.len());
        assert!(scan.in_string);
        assert_eq!(scan.container(), [Step::Key("calls"), Step::Index(1)]);
        let fields = <Scenario as JsonFile>::fields_at(&scan.container());
        assert_eq!(fields, Some(CALL_FIELDS));
    }

    /// Every field set, so that every key is serialized: a field added to a type and not to its
    /// list (or the other way round) fails here instead of losing its "did you mean".
    #[test]
    fn field_lists_match_the_types() {
        let call = CallSpec {
            id: "a".into(),
            tool: Some("t".into()),
            depends_on: vec!["b".into()],
            latency_ms: Some(1.0),
            latency: Some(Box::new(Distribution::Fixed { ms: 1.0 })),
            http: Some(Box::new(HttpSpec {
                url: "https://example.com".into(),
                method: Some("GET".into()),
                timeout_ms: Some(1.0),
            })),
            file: Some(Box::new(FileSpec {
                path: "a.txt".into(),
            })),
            cpu_ms: Some(1.0),
            timeout_ms: Some(1.0),
            retries: Some(Box::new(RetrySpec {
                max: 1,
                backoff_ms: 1.0,
            })),
            fail: Some("boom".into()),
            fail_attempts: Some(1),
            model: true,
        };
        let call = serde_json::to_value(&call).unwrap();
        same_fields(call["http"].clone(), HTTP_FIELDS);
        same_fields(call["file"].clone(), FILE_FIELDS);
        same_fields(call["retries"].clone(), RETRY_FIELDS);
        same_fields(call.clone(), CALL_FIELDS);
        let scenario = Scenario {
            name: "x".into(),
            description: Some("d".into()),
            lesson: Some("l".into()),
            strategies: Some(vec!["parallel".into()]),
            seed: Some(1),
            on_error: Some(OnError::Cancel),
            rate_limit: Some(RateLimitSpec {
                per_second: 1.0,
                burst: 1,
                tool: Some("t".into()),
            }),
            mode: Some(Mode::Race),
            model_turn_ms: Some(1.0),
            model_turn: Some(Distribution::Fixed { ms: 1.0 }),
            calls: Vec::new(),
        };
        let scenario = serde_json::to_value(&scenario).unwrap();
        same_fields(scenario["rate_limit"].clone(), RATE_LIMIT_FIELDS);
        same_fields(scenario, SCENARIO_FIELDS);
    }

    /// A latency distribution's keys are spread over its variants: each variant's keys are in
    /// the list, and the list has no key that no variant has.
    #[test]
    fn latency_fields_are_the_distributions_keys() {
        let samples = [
            r#"{"dist": "fixed", "ms": 1}"#,
            r#"{"dist": "uniform", "min_ms": 1, "max_ms": 2}"#,
            r#"{"dist": "normal", "mean_ms": 1, "sd_ms": 1}"#,
            r#"{"dist": "lognormal", "median_ms": 1, "p99_ms": 2}"#,
        ];
        let mut seen: Vec<String> = Vec::new();
        for text in samples {
            let d: Distribution = serde_json::from_str(text).unwrap();
            let v = serde_json::to_value(&d).unwrap();
            for k in v.as_object().unwrap().keys() {
                assert!(LATENCY_FIELDS.contains(&k.as_str()), "{k} of {text}");
                seen.push(k.clone());
            }
        }
        for k in LATENCY_FIELDS {
            assert!(seen.iter().any(|s| s == k), "{k} is in no distribution");
        }
    }
}
