//! The scenario file format: serde types, loading with placed errors, and the built-ins.
//!
//! A scenario is read in two steps: this module turns JSON text into a [`Scenario`] (syntax,
//! types, unknown fields, all with line:column), then [`crate::engine::plan::Plan::new`] checks
//! what JSON cannot say (ids, dependencies, cycles, effects).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{InputError, nearest};

/// A batch of tool calls and the strategies to race it under, as written in a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A short title.
    pub name: String,
    /// One sentence on what the batch is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What this batch teaches about parallel tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lesson: Option<String>,
    /// The default lanes (`sequential`, `parallel`, `waves`, `pool:N`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategies: Option<Vec<String>>,
    /// The calls, in file order.
    pub calls: Vec<CallSpec>,
}

/// One tool call as written in the file. Its effect fields are all optional here; the plan
/// checks that exactly one is given and turns them into an [`crate::engine::tools::Effect`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// Unique id, `[A-Za-z0-9_.:-]+`.
    pub id: String,
    /// Display name of the tool; the id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Ids of the calls this one waits for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// Effect: a simulated call that takes this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The call fails with this message after its effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<String>,
}

/// Field names of [`Scenario`] and [`CallSpec`], for "did you mean" hints.
const SCENARIO_FIELDS: &[&str] = &["name", "description", "lesson", "strategies", "calls"];
const CALL_FIELDS: &[&str] = &["id", "tool", "depends_on", "latency_ms", "fail"];

/// A scenario together with where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// How to name it in messages: a path, or `built-in NAME`.
    pub label: String,
    /// The folder relative paths inside the scenario resolve against.
    pub base_dir: PathBuf,
    /// The JSON text, kept so later errors can be placed by line and column.
    pub text: String,
}

/// The built-in scenarios, embedded in the binary: `(name, json)`.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "fetch-5-urls",
        include_str!("../../scenarios/fetch-5-urls.json"),
    ),
    (
        "latency-3x2s",
        include_str!("../../scenarios/latency-3x2s.json"),
    ),
    (
        "latency-5x3s",
        include_str!("../../scenarios/latency-5x3s.json"),
    ),
    (
        "latency-10x1s",
        include_str!("../../scenarios/latency-10x1s.json"),
    ),
    (
        "read-10-files",
        include_str!("../../scenarios/read-10-files.json"),
    ),
    (
        "db-records-5",
        include_str!("../../scenarios/db-records-5.json"),
    ),
    (
        "fetch-then-post",
        include_str!("../../scenarios/fetch-then-post.json"),
    ),
    (
        "write-then-verify",
        include_str!("../../scenarios/write-then-verify.json"),
    ),
    (
        "fetch-user-config-analyze",
        include_str!("../../scenarios/fetch-user-config-analyze.json"),
    ),
    (
        "unbalanced-graph",
        include_str!("../../scenarios/unbalanced-graph.json"),
    ),
    (
        "one-failing-call",
        include_str!("../../scenarios/one-failing-call.json"),
    ),
    ("pool-of-3", include_str!("../../scenarios/pool-of-3.json")),
    ("staircase", include_str!("../../scenarios/staircase.json")),
    (
        "agent-loop",
        include_str!("../../scenarios/agent-loop.json"),
    ),
];

/// The demo the TUI opens on.
pub const DEMO: &str = "fetch-5-urls";

/// The JSON text of a built-in scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Finds a scenario by path or built-in name and reads its text.
///
/// An argument that names an existing path, ends in `.json` or contains a path separator is a
/// file; anything else is a built-in name.
pub fn resolve(arg: &str) -> Result<Source, InputError> {
    let path = Path::new(arg);
    let looks_like_path = arg.ends_with(".json") || arg.contains('/') || arg.contains('\\');
    if path.exists() || looks_like_path {
        return read_file(path);
    }
    match builtin(arg) {
        Some(text) => Ok(Source {
            label: format!("built-in {arg}"),
            base_dir: PathBuf::from("scenarios"),
            text: text.to_string(),
        }),
        None => {
            let mut err =
                InputError::new(arg, "no such file, and no built-in scenario by that name");
            err = match nearest(arg, BUILTINS.iter().map(|(n, _)| *n)) {
                Some(n) => err.hint(format!(
                    "did you mean `{n}`? (`fanout list` shows them all)"
                )),
                None => err.hint("give a path to a scenario file, or a name from `fanout list`"),
            };
            Err(err)
        }
    }
}

/// Reads a file's text, with a clear error for a missing file, a directory or unreadable bytes.
pub fn read_file(path: &Path) -> Result<Source, InputError> {
    let label = path.display().to_string();
    if path.is_dir() {
        return Err(
            InputError::new(&label, "is a directory, not a scenario file")
                .hint("give one of the .json files inside it"),
        );
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        let err = InputError::new(&label, format!("cannot read: {e}"));
        if e.kind() == std::io::ErrorKind::NotFound {
            err.hint("check the path, or use a built-in name from `fanout list`")
        } else {
            err
        }
    })?;
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Source {
        label,
        base_dir,
        text,
    })
}

impl Source {
    /// A source from text in memory (tests, imports); relative paths resolve against `.`.
    pub fn from_text(label: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            label: label.into(),
            base_dir: PathBuf::from("."),
            text: text.into(),
        }
    }

    /// Parses the text into a [`Scenario`], placing syntax and type errors by line:column.
    pub fn parse(&self) -> Result<Scenario, InputError> {
        parse_json(&self.label, &self.text)
    }

    /// Line and column (1-based) of the `"id": "<id>"` that declares a call, for placing errors.
    pub fn locate_call(&self, id: &str) -> Option<(usize, usize)> {
        locate_call(&self.text, id)
    }
}

/// Parses JSON text into `T`, turning serde's error into a placed [`InputError`] with a hint.
pub fn parse_json<T: serde::de::DeserializeOwned>(
    label: &str,
    text: &str,
) -> Result<T, InputError> {
    serde_json::from_str(text).map_err(|e| json_error(label, text, &e))
}

fn json_error(label: &str, text: &str, e: &serde_json::Error) -> InputError {
    let full = e.to_string();
    // serde_json appends " at line L column C"; we print the place ourselves.
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full.clone(),
    };
    let place = (e.line() > 0).then(|| (e.line(), e.column()));
    let mut err = InputError::new(label, message.clone()).at(place);
    if let Some(field) = unknown_field(&message) {
        let known = if message.contains("`calls`") {
            SCENARIO_FIELDS
        } else {
            CALL_FIELDS
        };
        err = match nearest(field, known.iter().copied()) {
            Some(n) => err.hint(format!("did you mean `{n}`?")),
            None => err.hint(format!(
                "remove `{field}`; known fields: {}",
                known.join(", ")
            )),
        };
        err.message = format!("unknown field `{field}`");
    } else if e.is_syntax() || e.is_eof() {
        if looks_like_nan(text, e.line(), e.column()) {
            err = err.hint("NaN and Infinity are not numbers in JSON: use a finite number");
        } else {
            err = err.hint("this is not valid JSON; check for a missing comma, quote or bracket");
        }
    } else if message.starts_with("missing field") {
        err = err.hint("add the field (see the README, section \"Scenario file format\")");
    }
    err
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

fn looks_like_nan(text: &str, line: usize, column: usize) -> bool {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return false;
    };
    let start = column.saturating_sub(4);
    let window: String = l.chars().skip(start).take(12).collect();
    window.contains("NaN") || window.contains("Infinity")
}

/// Finds `"id": "<id>"` in JSON text and returns the line and column of the id's value.
pub fn locate_call(text: &str, id: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{id}\"");
    let mut from = 0;
    while let Some(pos) = text[from..].find(&needle) {
        let at = from + pos;
        let before = text[..at].trim_end();
        if let Some(before) = before.strip_suffix(':')
            && before.trim_end().ends_with("\"id\"")
        {
            let line = text[..at].matches('\n').count() + 1;
            let col = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
            return Some((line, col));
        }
        from = at + needle.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses() {
        for (name, text) in BUILTINS {
            let s: Scenario = parse_json(name, text).unwrap();
            assert!(!s.calls.is_empty(), "{name}");
            assert!(s.lesson.is_some(), "{name} has no lesson");
        }
    }

    #[test]
    fn unknown_field_suggests_the_right_name() {
        let text = "{\"name\": \"x\", \"calls\": [\n  {\"id\": \"a\", \"latency_ms\": 1, \"depends\": []}\n]}";
        let err = parse_json::<Scenario>("s.json", text).unwrap_err();
        assert_eq!(err.message, "unknown field `depends`");
        assert_eq!(err.hint.as_deref(), Some("did you mean `depends_on`?"));
        assert_eq!(err.line_col.map(|p| p.0), Some(2));
    }

    #[test]
    fn locates_a_call_by_id() {
        let text = "{\"calls\": [\n  {\"id\": \"a\"},\n  { \"id\" : \"b\" }\n]}";
        assert_eq!(locate_call(text, "b"), Some((3, 12)));
        assert_eq!(locate_call(text, "zz"), None);
    }
}
