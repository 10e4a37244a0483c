//! Where a scenario comes from: the built-ins embedded in the binary, files, and the [`ScenarioSource`]
//! that keeps a scenario's text so that later errors can be placed in it.

use std::path::{Path, PathBuf};

use super::Scenario;
use crate::engine::error::{InputError, Part, nearest};
use crate::engine::input::{InputKind, read_input};
use crate::engine::json::locate::{Step, line_col, locate, locate_call, locate_key};
use crate::engine::json::{FileKind, parse_json};

/// A scenario together with where it came from.
#[derive(Debug, Clone)]
pub struct ScenarioSource {
    /// How to name it in messages: a path, or `built-in NAME`.
    pub label: String,
    /// The folder relative paths inside the scenario resolve against.
    pub base_dir: PathBuf,
    /// The JSON text, kept so later errors can be placed by line and column.
    pub text: String,
    /// Whether the scenario is the `scenario` object of a run record in `text`, not a file of its
    /// own: places then point into the record, and messages say "embedded scenario".
    pub embedded: bool,
}

/// The built-in scenarios, embedded in the binary: `(name, json)`.
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "fetch-5-urls",
        include_str!("../../../scenarios/fetch-5-urls.json"),
    ),
    (
        "latency-3x2s",
        include_str!("../../../scenarios/latency-3x2s.json"),
    ),
    (
        "latency-5x3s",
        include_str!("../../../scenarios/latency-5x3s.json"),
    ),
    (
        "latency-10x1s",
        include_str!("../../../scenarios/latency-10x1s.json"),
    ),
    (
        "read-10-files",
        include_str!("../../../scenarios/read-10-files.json"),
    ),
    (
        "db-records-5",
        include_str!("../../../scenarios/db-records-5.json"),
    ),
    (
        "fetch-then-post",
        include_str!("../../../scenarios/fetch-then-post.json"),
    ),
    (
        "write-then-verify",
        include_str!("../../../scenarios/write-then-verify.json"),
    ),
    (
        "fetch-user-config-analyze",
        include_str!("../../../scenarios/fetch-user-config-analyze.json"),
    ),
    (
        "unbalanced-graph",
        include_str!("../../../scenarios/unbalanced-graph.json"),
    ),
    (
        "one-failing-call",
        include_str!("../../../scenarios/one-failing-call.json"),
    ),
    (
        "pool-of-3",
        include_str!("../../../scenarios/pool-of-3.json"),
    ),
    (
        "staircase",
        include_str!("../../../scenarios/staircase.json"),
    ),
    (
        "agent-loop",
        include_str!("../../../scenarios/agent-loop.json"),
    ),
    (
        "agent-research",
        include_str!("../../../scenarios/agent-research.json"),
    ),
    (
        "agent-search-read",
        include_str!("../../../scenarios/agent-search-read.json"),
    ),
    (
        "fetch-5-urls-live",
        include_str!("../../../scenarios/fetch-5-urls-live.json"),
    ),
    (
        "read-10-files-live",
        include_str!("../../../scenarios/read-10-files-live.json"),
    ),
    (
        "cpu-bound",
        include_str!("../../../scenarios/cpu-bound.json"),
    ),
    (
        "tail-latency",
        include_str!("../../../scenarios/tail-latency.json"),
    ),
    (
        "rate-limited",
        include_str!("../../../scenarios/rate-limited.json"),
    ),
    (
        "hung-tool",
        include_str!("../../../scenarios/hung-tool.json"),
    ),
    (
        "hung-tool-no-timeout",
        include_str!("../../../scenarios/hung-tool-no-timeout.json"),
    ),
    (
        "timeouts-and-retries",
        include_str!("../../../scenarios/timeouts-and-retries.json"),
    ),
    (
        "fail-fast",
        include_str!("../../../scenarios/fail-fast.json"),
    ),
    (
        "graham-anomaly",
        include_str!("../../../scenarios/graham-anomaly.json"),
    ),
    (
        "staircase-pool",
        include_str!("../../../scenarios/staircase-pool.json"),
    ),
];

/// The demo the TUI opens on.
pub const DEMO: &str = "fetch-5-urls";

/// Where built-ins' relative paths (`file` effects) resolve: the repository's `scenarios/`
/// folder this binary was built from, else `scenarios/` under the current directory.
pub fn builtin_dir() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    if built.is_dir() {
        built
    } else {
        PathBuf::from("scenarios")
    }
}

/// The JSON text of a built-in scenario.
pub fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Finds a scenario by path or built-in name and reads its text.
///
/// An argument that names an existing path, ends in `.json` or contains a path separator is a
/// file; anything else is a built-in name.
pub fn resolve(arg: &str) -> Result<ScenarioSource, InputError> {
    if arg.trim().is_empty() {
        return Err(InputError::new("(empty argument)", "no scenario given")
            .hint("give a path to a scenario file, or a name from `fanout list`"));
    }
    let path = Path::new(arg);
    let looks_like_path = arg.ends_with(".json") || arg.contains('/') || arg.contains('\\');
    if path.exists() || looks_like_path {
        return read_file(path, FileKind::Scenario);
    }
    match builtin(arg) {
        Some(text) => Ok(ScenarioSource {
            label: format!("built-in {arg}"),
            base_dir: builtin_dir(),
            text: text.to_string(),
            embedded: false,
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

/// Reads a file of the given kind, with a clear error for a missing file, a directory or bytes
/// that are not UTF-8.
pub fn read_file(path: &Path, kind: FileKind) -> Result<ScenarioSource, InputError> {
    let label = path.display().to_string();
    let (what, missing_hint, dir_hint) = match kind {
        FileKind::Scenario => (
            "a scenario file",
            "check the path, or use a built-in name from `fanout list`",
            "give one of the .json files inside it",
        ),
        FileKind::Record => (
            "a record file",
            "check the path; `fanout run SCENARIO --record FILE` writes a record",
            "give the file `fanout run SCENARIO --record FILE` wrote",
        ),
    };
    let utf8_hint = format!("a {} is a JSON text file; save it as UTF-8", kind.noun());
    let text = read_input(
        path,
        InputKind {
            what,
            missing_hint,
            dir_hint,
            utf8_hint: &utf8_hint,
        },
    )?;
    let base_dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(ScenarioSource {
        label,
        base_dir,
        text,
        embedded: false,
    })
}

impl ScenarioSource {
    /// A source from text in memory (tests, imports); relative paths resolve against `.`.
    pub fn from_text(label: impl Into<String>, text: impl Into<String>) -> ScenarioSource {
        ScenarioSource {
            label: label.into(),
            base_dir: PathBuf::from("."),
            text: text.into(),
            embedded: false,
        }
    }

    /// Parses the text into a [`Scenario`], placing syntax and type errors by line:column.
    pub fn parse(&self) -> Result<Scenario, InputError> {
        parse_json(&self.label, &self.text)
    }

    /// An error about this scenario with no place yet: names the file and, for a scenario inside
    /// a record, says so.
    pub fn error(&self, message: impl Into<String>) -> InputError {
        let err = InputError::new(&self.label, message);
        if self.embedded {
            err.within(Part::EmbeddedScenario)
        } else {
            err
        }
    }

    /// The JSON path of `path` (relative to the scenario) in the text.
    fn full_path<'a>(&self, path: &[Step<'a>]) -> Vec<Step<'a>> {
        let mut full = Vec::with_capacity(path.len() + 1);
        if self.embedded {
            full.push(Step::Key("scenario"));
        }
        full.extend_from_slice(path);
        full
    }

    /// Line and column of the value at `path` (relative to the scenario), e.g.
    /// `[Key("strategies"), Index(1)]`.
    pub fn place(&self, path: &[Step<'_>]) -> Option<(usize, usize)> {
        locate(&self.text, &self.full_path(path)).map(|at| line_col(&self.text, at))
    }

    /// Line and column of the scenario's top-level key `key` (its opening quote).
    pub fn place_of_key(&self, key: &str) -> Option<(usize, usize)> {
        locate_key(&self.text, &self.full_path(&[Step::Key(key)]))
            .map(|at| line_col(&self.text, at))
    }

    /// Line and column of the id of the `index`-th call (0-based, file order): exact even when
    /// ids repeat, and inside a record it never mistakes a lane's call entry for the scenario's.
    pub fn place_of_call(&self, index: usize) -> Option<(usize, usize)> {
        let call = [Step::Key("calls"), Step::Index(index)];
        self.place(&[call[0], call[1], Step::Key("id")])
            .or_else(|| self.place(&call))
    }

    /// Line and column (1-based) of the first `"id": "<id>"` in the text, for placing errors.
    pub fn locate_call(&self, id: &str) -> Option<(usize, usize)> {
        locate_call(&self.text, id)
    }
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
}
