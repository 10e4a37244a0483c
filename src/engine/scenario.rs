//! The scenario file format: serde types, loading with placed errors, and the built-ins.
//!
//! A scenario is read in two steps: this module turns JSON text into a [`Scenario`] (syntax,
//! types, unknown fields, all with line:column), then [`crate::engine::plan::Plan::new`] checks
//! what JSON cannot say (ids, dependencies, cycles, effects).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::dist::Distribution;
use super::error::{InputError, Part, nearest};
use super::record::Mode;

/// A batch of tool calls and the strategies to race it under, as written in a scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
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
    /// Seed of the latency draws (`latency` distributions); a fixed default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// What a failure does to the rest of its lane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<OnError>,
    /// A token bucket every lane's calls (or one tool's calls) must take a token from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitSpec>,
    /// How the lanes run when the command line does not say: `race` (all together) or
    /// `one-at-a-time`, for real work whose lanes would compete (CPU on a few cores).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<Mode>,
    /// The calls, in file order.
    pub calls: Vec<CallSpec>,
}

/// What a failed call does to the rest of its lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Errors are results: the lane goes on; only dependents are skipped.
    #[default]
    Continue,
    /// Task-group semantics: the first failure cancels the lane's running and pending calls.
    Cancel,
}

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct RateLimitSpec {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size: how many calls may start at once after a pause.
    #[serde(default = "one")]
    pub burst: u32,
    /// Limit only the calls of this tool (all calls when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

fn one() -> u32 {
    1
}

/// Makes `Deserialize` of a type whose derive has `#[serde(remote = "Self")]` accept only a JSON
/// object. serde's derived structs also read the array form (`["a", null, [], 500]` as a call,
/// `[2, 5]` as a rate limit): fields by position, which no one means and which silently changes
/// meaning when a field is added. `Serialize` is the derived one, unchanged.
macro_rules! object_only {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Object;
                impl<'de> serde::de::Visitor<'de> for Object {
                    type Value = $t;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$t, A::Error> {
                        // The derived (inherent) function, reading the object's fields by name.
                        <$t>::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                d.deserialize_map(Object)
            }
        }
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }
    )*};
}
pub(crate) use object_only;

object_only! {
    Scenario => "an object {…}",
    RateLimitSpec => "an object {…}",
    HttpSpec => "an object {…}",
    FileSpec => "an object {…}",
    RetrySpec => "an object {…}",
    CallSpec => "an object {…}",
}

/// A real HTTP request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct HttpSpec {
    /// The URL; `{local}` stands for fanout's own local server.
    pub url: String,
    /// The method, `GET` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The request's own timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
}

/// A real file read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct FileSpec {
    /// The file; relative paths start at the scenario file's folder.
    pub path: String,
}

/// Retrying a failed call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct RetrySpec {
    /// Retries after the first attempt.
    pub max: u32,
    /// Wait before the first retry; doubled before each further one.
    #[serde(default)]
    pub backoff_ms: f64,
}

/// One tool call as written in the file. Its effect fields are all optional here; the plan
/// checks that exactly one is given and turns them into an [`crate::engine::tools::Effect`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
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
    /// Effect: a simulated call whose latency is drawn from a distribution (seeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Distribution>,
    /// Effect: a real HTTP request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpSpec>,
    /// Effect: a real file read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileSpec>,
    /// Effect: this many milliseconds of CPU-bound work on the blocking pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<f64>,
    /// Each attempt fails after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
    /// Retries after a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<RetrySpec>,
    /// The call fails with this message after its effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<String>,
    /// Only the first this many attempts fail (every attempt when absent): a flaky call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_attempts: Option<u32>,
}

impl CallSpec {
    /// A simulated call of `latency_ms` with nothing else set; importers fill in the rest with
    /// struct update syntax, so a new optional field needs no change there.
    pub fn simulated(id: impl Into<String>, latency_ms: f64) -> CallSpec {
        CallSpec {
            id: id.into(),
            tool: None,
            depends_on: Vec::new(),
            latency_ms: Some(latency_ms),
            latency: None,
            http: None,
            file: None,
            cpu_ms: None,
            timeout_ms: None,
            retries: None,
            fail: None,
            fail_attempts: None,
        }
    }
}

/// Field names of [`Scenario`] and [`CallSpec`], for "did you mean" hints.
const SCENARIO_FIELDS: &[&str] = &[
    "name",
    "description",
    "lesson",
    "strategies",
    "seed",
    "on_error",
    "rate_limit",
    "mode",
    "calls",
];
const CALL_FIELDS: &[&str] = &[
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
];
const HTTP_FIELDS: &[&str] = &["url", "method", "timeout_ms"];
const FILE_FIELDS: &[&str] = &["path"];
const RETRY_FIELDS: &[&str] = &["max", "backoff_ms"];
const RATE_LIMIT_FIELDS: &[&str] = &["per_second", "burst", "tool"];
const LATENCY_FIELDS: &[&str] = &[
    "dist",
    "ms",
    "min_ms",
    "max_ms",
    "mean_ms",
    "sd_ms",
    "median_ms",
    "p99_ms",
];

/// What a file is meant to be, so that messages and hints speak of the right thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A scenario file (`run`, `check`).
    Scenario,
    /// A run record (`report`).
    Record,
}

impl FileKind {
    /// `scenario` or `record`.
    pub fn noun(self) -> &'static str {
        match self {
            FileKind::Scenario => "scenario",
            FileKind::Record => "record",
        }
    }

    /// What a file of this kind is, for a file that is empty or of the wrong shape.
    fn what_it_is(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario is a JSON object with `name` and `calls`",
            FileKind::Record => "a record is the JSON object a recorded run writes",
        }
    }

    /// How to get a good file of this kind.
    fn example(self) -> &'static str {
        match self {
            FileKind::Scenario => {
                "e.g. {\"name\": \"My batch\", \"calls\": [{\"id\": \"fetch_1\", \"latency_ms\": 500}]}"
            }
            FileKind::Record => "record a run with `fanout run SCENARIO --record FILE`",
        }
    }

    /// The README section that documents this kind of file.
    pub fn readme_section(self) -> &'static str {
        match self {
            FileKind::Scenario => "Scenario file format",
            FileKind::Record => "Run record format",
        }
    }
}

/// A type read from one of fanout's JSON files. Besides its kind it knows, for hints, the field
/// names and the fixes of type errors at every place inside it: errors are explained by which
/// object they are in (found from the JSON text), never by guessing from serde's wording.
pub trait JsonFile: serde::de::DeserializeOwned {
    /// What kind of file this is.
    const KIND: FileKind;

    /// The field names of the object at `path` (keys and list indices from the top), if `path`
    /// leads to an object of a known shape.
    fn fields_at(path: &[Step<'_>]) -> Option<&'static [&'static str]>;

    /// A fix for a value of the wrong type at `path`. `found` is what the file has there, in
    /// serde's words (`string "500"`, ``integer `7` ``).
    fn type_hint(path: &[Step<'_>], found: &str) -> Option<String>;

    /// Whether `path` is inside a scenario embedded in this file (a record's `scenario`).
    fn embedded(_path: &[Step<'_>]) -> bool {
        false
    }
}

impl JsonFile for Scenario {
    const KIND: FileKind = FileKind::Scenario;

    fn fields_at(path: &[Step<'_>]) -> Option<&'static [&'static str]> {
        match path {
            [] => Some(SCENARIO_FIELDS),
            [Step::Key("rate_limit")] => Some(RATE_LIMIT_FIELDS),
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
            [Key("calls"), Index(_), Key("latency_ms")] => match quoted_number(found) {
                Some(n) => format!("write the number without quotes: \"latency_ms\": {n}"),
                None => "use a number of milliseconds from 0 to 3600000, e.g. \"latency_ms\": 500"
                    .into(),
            },
            _ => return None,
        })
    }
}

/// `7` from ``integer `7` `` or `1.5` from ``floating point `1.5` ``.
fn number_in(found: &str) -> Option<&str> {
    ["integer `", "floating point `"]
        .iter()
        .find_map(|p| found.strip_prefix(p)?.strip_suffix('`'))
}

/// `500` from `string "500"`, when the string holds a finite number.
fn quoted_number(found: &str) -> Option<&str> {
    let inner = found.strip_prefix("string \"")?.strip_suffix('"')?.trim();
    inner
        .parse::<f64>()
        .is_ok_and(f64::is_finite)
        .then_some(inner)
}

/// A scenario together with where it came from.
#[derive(Debug, Clone)]
pub struct Source {
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
    (
        "fetch-5-urls-live",
        include_str!("../../scenarios/fetch-5-urls-live.json"),
    ),
    (
        "read-10-files-live",
        include_str!("../../scenarios/read-10-files-live.json"),
    ),
    ("cpu-bound", include_str!("../../scenarios/cpu-bound.json")),
    (
        "tail-latency",
        include_str!("../../scenarios/tail-latency.json"),
    ),
    (
        "rate-limited",
        include_str!("../../scenarios/rate-limited.json"),
    ),
    ("hung-tool", include_str!("../../scenarios/hung-tool.json")),
    (
        "hung-tool-no-timeout",
        include_str!("../../scenarios/hung-tool-no-timeout.json"),
    ),
    (
        "timeouts-and-retries",
        include_str!("../../scenarios/timeouts-and-retries.json"),
    ),
    ("fail-fast", include_str!("../../scenarios/fail-fast.json")),
    (
        "graham-anomaly",
        include_str!("../../scenarios/graham-anomaly.json"),
    ),
    (
        "staircase-pool",
        include_str!("../../scenarios/staircase-pool.json"),
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
pub fn resolve(arg: &str) -> Result<Source, InputError> {
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
        Some(text) => Ok(Source {
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
pub fn read_file(path: &Path, kind: FileKind) -> Result<Source, InputError> {
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
    let text = super::input::read_input(
        path,
        super::input::InputKind {
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
    Ok(Source {
        label,
        base_dir,
        text,
        embedded: false,
    })
}

impl Source {
    /// A source from text in memory (tests, imports); relative paths resolve against `.`.
    pub fn from_text(label: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
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

/// Parses the JSON text of a fanout file into `T`, turning serde's error into a placed
/// [`InputError`] with a hint. What the file is meant to be (a scenario or a record) and the
/// fields of every object in it come from `T`, see [`JsonFile`].
pub fn parse_json<T: JsonFile>(label: &str, text: &str) -> Result<T, InputError> {
    let kind = T::KIND;
    let noun = kind.noun();
    // RFC 8259 lets a parser ignore a byte-order mark; serde_json does not, so skip it.
    let body_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[body_start..];
    let Some(first) = body.find(|c: char| !matches!(c, ' ' | '\t' | '\n' | '\r')) else {
        return Err(
            InputError::new(label, format!("is empty: {}", kind.what_it_is())).hint(kind.example()),
        );
    };
    let top = body_start + first;
    let place = Some(line_col(text, top));
    // A document whose top is not an object: say so before serde's "expected struct Scenario".
    let rest = &text[top..];
    let valid = || serde_json::from_str::<serde_json::Value>(body).is_ok();
    let not_object = match rest.as_bytes()[0] {
        b'[' => Some("an array"),
        b'"' if valid() => Some("a string"),
        b'-' | b'0'..=b'9' if valid() => Some("a number"),
        b't' | b'f' if valid() => Some("`true` or `false`"),
        b'n' if valid() => Some("`null`"),
        _ => None,
    };
    if let Some(what) = not_object {
        let err = InputError::new(
            label,
            format!("a {noun} must be a JSON object {{…}}, not {what}"),
        )
        .at(place);
        return Err(match (kind, what) {
            (FileKind::Scenario, "an array") => err.hint(
                "if this is the list of calls, wrap it: {\"name\": \"My batch\", \"calls\": […]}",
            ),
            _ => err.hint(kind.what_it_is()),
        });
    }
    serde_json::from_str(body).map_err(|e| {
        wrong_kind(kind, label, body)
            .map(|err| err.at(place))
            .unwrap_or_else(|| json_error::<T>(label, text, body_start, &e))
    })
}

/// A scenario given where a record is expected, or the other way round.
fn wrong_kind(kind: FileKind, label: &str, body: &str) -> Option<InputError> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let top = value.as_object()?;
    match kind {
        FileKind::Record if top.contains_key("calls") && !top.contains_key("lanes") => Some(
            InputError::new(label, "is a scenario, not a run record").hint(format!(
                "run it first with `fanout run {label} --record out.json`, then `fanout report out.json`"
            )),
        ),
        FileKind::Scenario if top.contains_key("lanes") && top.contains_key("scenario") => Some(
            InputError::new(label, "is a run record, not a scenario").hint(format!(
                "`fanout report {label}` shows it; to run its scenario again, save its `scenario` object as a file of its own"
            )),
        ),
        _ => None,
    }
}

fn json_error<T: JsonFile>(
    label: &str,
    text: &str,
    body_start: usize,
    e: &serde_json::Error,
) -> InputError {
    use serde_json::error::Category;
    let kind = T::KIND;
    let full = e.to_string();
    // serde_json appends " at line L column C"; we print the place ourselves.
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full.clone(),
    };
    // serde's column is 1-based and counts bytes up to the last one it read; 0 means it stopped
    // at the very start of a line. `point` is that byte, or where the line starts.
    let line_start = body_start + nth_line_start(&text[body_start..], e.line());
    let point = if e.column() > 0 {
        floor_boundary(text, line_start + e.column() - 1)
    } else {
        line_start
    };
    // A list or object where something else belongs is only peeked, not read: serde's place is
    // the character before it (`:`, `,` or `[`). Point at the value itself, so that the place
    // and the path name it (`calls[0].latency`, not `calls[0]`).
    let point = if e.classify() == Category::Data
        && (message.starts_with("invalid type: sequence")
            || message.starts_with("invalid type: map"))
    {
        let after = if e.column() > 0 {
            text[point..]
                .chars()
                .next()
                .map_or(point, |c| point + c.len_utf8())
        } else {
            point
        };
        after + skip_ws(&text.as_bytes()[after..], 0)
    } else {
        point
    };
    let eof = e.classify() == Category::Eof;
    let scan = scan_prefix(text, if eof { text.len() } else { point });
    let value_path = scan.value_path();
    let container = scan.container();
    // A file that stops early, or an error at the start of a line: point just past the last
    // thing written rather than at column 0 of a line that may not exist.
    let place = if eof {
        end_of_content(text, text.len())
    } else if e.column() == 0 {
        end_of_content(text, point)
    } else {
        Some(line_col(text, point))
    };
    let mut err = InputError::new(label, message.clone()).at(place);
    let embedded = T::embedded(&container);
    if embedded {
        err = err.within(Part::EmbeddedScenario);
    }
    // Paths in messages are relative to the part of the file the error is in.
    let skip = usize::from(embedded);
    let readme = if embedded {
        FileKind::Scenario.readme_section()
    } else {
        kind.readme_section()
    };
    let field = value_path.iter().rev().find_map(|s| match s {
        Step::Key(k) => Some(*k),
        Step::Index(_) => None,
    });

    match e.classify() {
        Category::Eof => {
            let closers: String = scan
                .frames
                .iter()
                .rev()
                .map(|f| if f.open == b'{' { '}' } else { ']' })
                .collect();
            let opened: Vec<String> = scan
                .frames
                .iter()
                .rev()
                .take(3)
                .map(|f| {
                    let (l, c) = line_col(text, f.at);
                    format!("`{}` from {l}:{c}", f.open as char)
                })
                .collect();
            let mut hint = String::from("the file ends early: ");
            if scan.in_string {
                hint.push_str("close the string with `\"`, then ");
            }
            if closers.is_empty() {
                hint.push_str("finish the last value");
            } else {
                let more = scan.frames.len().saturating_sub(opened.len());
                hint.push_str(&format!(
                    "add `{closers}` to close the open bracket/brace ({}{})",
                    opened.join(", "),
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ));
            }
            err.hint(hint)
        }
        Category::Syntax => {
            let at = text[point..].chars().next();
            let hint = if message.starts_with("number out of range") {
                if field == Some("latency_ms") {
                    "use a number of milliseconds from 0 to 3600000".to_string()
                } else {
                    "use a number of ordinary size, e.g. 1500.5".to_string()
                }
            } else if looks_like_nan(text, point) {
                "NaN and Infinity are not numbers in JSON: use a finite number".to_string()
            } else if message.starts_with("trailing characters") {
                format!(
                    "a file holds one {}: remove what follows its closing `}}`",
                    kind.noun()
                )
            } else if message.starts_with("trailing comma") {
                "JSON allows no comma before a closing bracket or brace: remove it".to_string()
            } else if at == Some('/') {
                "JSON has no comments: remove the `//` or `/* */` comment".to_string()
            } else if message.starts_with("key must be a string") {
                "put field names in double quotes, e.g. \"name\"".to_string()
            } else if message.starts_with("control character") {
                "a string cannot span lines: write a line break as \\n and a tab as \\t".to_string()
            } else if message.starts_with("invalid escape") {
                "a backslash starts an escape in a JSON string: write \\\\ for a backslash"
                    .to_string()
            } else if message.starts_with("recursion limit") {
                "lists and objects are nested too deeply".to_string()
            } else if place == Some((1, 1)) || (point == body_start) {
                format!("this is not JSON: {}", kind.what_it_is())
            } else {
                "this is not valid JSON; check for a missing comma, quote or bracket".to_string()
            };
            err.hint(hint)
        }
        Category::Data => {
            if let Some(name) = quoted_after(&message, "unknown field `") {
                err.message = format!("unknown field `{name}`");
                let known = T::fields_at(&container);
                match known.and_then(|k| nearest(name, k.iter().copied())) {
                    Some(n) => err.hint(format!("did you mean `{n}`?")),
                    None => match known {
                        Some(k) => {
                            err.hint(format!("remove `{name}`; known fields: {}", k.join(", ")))
                        }
                        None => err.hint(format!("remove `{name}`")),
                    },
                }
            } else if let Some(name) = quoted_after(&message, "missing field `") {
                if container.len() > skip {
                    err.message = format!("{message} in `{}`", dotted(&container[skip..]));
                }
                err.hint(format!(
                    "add `{name}` (see the README, section \"{readme}\")"
                ))
            } else if let Some(name) = quoted_after(&message, "duplicate field `") {
                err.hint(format!("remove one of the two `{name}` fields"))
            } else if let Some(name) = quoted_after(&message, "unknown variant `") {
                // serde lists the names it knows; add the closest as the fix.
                let known: Vec<&str> = message
                    .split("expected one of ")
                    .nth(1)
                    .unwrap_or_default()
                    .split(", ")
                    .map(|v| v.trim_matches('`'))
                    .collect();
                match nearest(name, known.iter().copied()) {
                    Some(n) => err.hint(format!("did you mean `{n}`?")),
                    None => err.hint(format!("use one of {}", known.join(", "))),
                }
            } else if let Some(n) = quoted_after(&message, "invalid value: integer `") {
                err.message = format!("expected a whole number of 0 or more, found {n}");
                if value_path.len() > skip {
                    err.message = format!("`{}`: {}", dotted(&value_path[skip..]), err.message);
                }
                err.hint("use a whole number of 0 or more")
            } else if let Some((found, expected)) = invalid_type(&message) {
                err.message = format!(
                    "expected {}, found {}",
                    plain_expected(expected),
                    plain_found(found)
                );
                if value_path.len() > skip {
                    err.message = format!("`{}`: {}", dotted(&value_path[skip..]), err.message);
                }
                match T::type_hint(&value_path, found) {
                    Some(h) => err.hint(h),
                    None => err,
                }
            } else {
                err
            }
        }
        Category::Io => err,
    }
}

/// `name` from "unknown field `name`, expected …" with `prefix` "unknown field `".
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.split('`').next()
}

/// `(found, expected)` from serde's "invalid type: FOUND, expected EXPECTED".
fn invalid_type(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("invalid type: ")?;
    let i = rest.rfind(", expected ")?;
    Some((&rest[..i], &rest[i + ", expected ".len()..]))
}

/// serde's name of a found value, in plain words.
fn plain_found(found: &str) -> String {
    if let Some(s) = found.strip_prefix("string ") {
        return format!("the string {s}");
    }
    if let Some(n) = number_in(found) {
        return format!("the number {n}");
    }
    if let Some(b) = found
        .strip_prefix("boolean `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return b.to_string();
    }
    match found {
        "sequence" => "a list […]".into(),
        "map" => "an object {…}".into(),
        "unit" => "null".into(),
        other => other.into(),
    }
}

/// serde's name of an expected type, in plain words.
fn plain_expected(expected: &str) -> String {
    match expected {
        "f64" | "f32" => "a number".into(),
        "a string" | "a borrowed string" => "a string".into(),
        "a sequence" => "a list […]".into(),
        "a boolean" => "true or false".into(),
        "usize" | "u64" | "u32" | "u16" | "u8" => "a whole number".into(),
        "variant identifier" => "a name in double quotes".into(),
        e if e.starts_with("struct ") => "an object {…}".into(),
        e => e.into(),
    }
}

/// A JSON path as people write it: `calls[2].latency_ms`.
pub fn dotted(path: &[Step<'_>]) -> String {
    let mut s = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Step::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

fn looks_like_nan(text: &str, point: usize) -> bool {
    let start = floor_boundary(text, point.saturating_sub(8));
    let window: String = text[start..].chars().take(20).collect();
    window.contains("NaN") || window.contains("Infinity")
}

// ---------------------------------------------------------------------------------------------
// Places in JSON text
// ---------------------------------------------------------------------------------------------

/// One step of a path into a JSON document: a key of an object or an index of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// The value of this key.
    Key(&'a str),
    /// The element at this 0-based index.
    Index(usize),
}

/// 1-based line and column of a byte offset; the column counts characters, as editors do
/// (a byte-order mark at the start is not one: editors do not show it).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_boundary(text, offset);
    let line_start = match text[..offset].rfind('\n') {
        Some(n) => n + 1,
        None if text.starts_with('\u{feff}') => '\u{feff}'.len_utf8().min(offset),
        None => 0,
    };
    let line = text.as_bytes()[..line_start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    (line, text[line_start..offset].chars().count() + 1)
}

/// The largest char boundary at or before `i` (clamped to the text).
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offset of the start of 1-based line `line` (the end of the text past the last line).
fn nth_line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The place just past the last non-whitespace character before `end`, or `None` when there is
/// none: where to point at a file that stops too early.
fn end_of_content(text: &str, end: usize) -> Option<(usize, usize)> {
    let end = floor_boundary(text, end);
    let (i, c) = text[..end]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_whitespace())?;
    Some(line_col(text, i + c.len_utf8()))
}

/// An object or list still open at some point of a JSON text.
#[derive(Debug)]
struct Frame {
    /// `{` or `[`.
    open: u8,
    /// Byte offset of the bracket.
    at: usize,
    /// In an object: the key whose value is being read.
    key: Option<String>,
    /// In a list: the index of the element being read.
    index: usize,
}

/// What is open at some point of a JSON text.
#[derive(Debug)]
struct Scan {
    frames: Vec<Frame>,
    in_string: bool,
}

impl Scan {
    fn step(f: &Frame) -> Option<Step<'_>> {
        if f.open == b'[' {
            Some(Step::Index(f.index))
        } else {
            f.key.as_deref().map(Step::Key)
        }
    }

    /// The path from the top to the innermost open object or list.
    fn container(&self) -> Vec<Step<'_>> {
        let n = self.frames.len().saturating_sub(1);
        self.frames[..n].iter().map_while(Scan::step).collect()
    }

    /// The path from the top to the value being read.
    fn value_path(&self) -> Vec<Step<'_>> {
        self.frames.iter().map_while(Scan::step).collect()
    }
}

/// Scans `text[..end]` (a prefix serde accepted) and returns what is open at `end`. Iterative,
/// so any depth is fine; linear in `end`.
fn scan_prefix(text: &str, end: usize) -> Scan {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let mut frames: Vec<Frame> = Vec::new();
    let mut string_start: Option<usize> = None;
    let mut last_string: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < end {
        let b = bytes[i];
        if let Some(start) = string_start {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    last_string = Some((start, i + 1));
                    string_start = None;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => string_start = Some(i),
            b'{' | b'[' => frames.push(Frame {
                open: b,
                at: i,
                key: None,
                index: 0,
            }),
            b'}' | b']' => {
                frames.pop();
            }
            b':' => {
                if let Some(f) = frames.last_mut().filter(|f| f.open == b'{') {
                    f.key = last_string.map(|(s, e)| unquote(&text[s..e]));
                }
            }
            b',' => {
                if let Some(f) = frames.last_mut() {
                    if f.open == b'{' {
                        f.key = None;
                    } else {
                        f.index += 1;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    Scan {
        frames,
        in_string: string_start.is_some(),
    }
}

/// The contents of a quoted JSON string, unescaped.
fn unquote(quoted: &str) -> String {
    if quoted.contains('\\')
        && let Ok(s) = serde_json::from_str::<String>(quoted)
    {
        return s;
    }
    quoted
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(quoted)
        .to_string()
}

/// Byte offset of the value at `path` in a JSON text (its first character), if there is one.
/// Linear in the text before the value; iterative, so any depth is fine.
pub fn locate(text: &str, path: &[Step<'_>]) -> Option<usize> {
    walk(text, path).map(|(value, _)| value)
}

/// Byte offset of the opening quote of the key at the end of `path` (the last step is a key).
pub fn locate_key(text: &str, path: &[Step<'_>]) -> Option<usize> {
    walk(text, path).and_then(|(_, key)| key)
}

/// Follows `path` from the top of `text`: the value's offset and, when the last step is a key,
/// the key's.
fn walk(text: &str, path: &[Step<'_>]) -> Option<(usize, Option<usize>)> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    let mut key_at = None;
    for step in path {
        match (*step, b.get(i)?) {
            (Step::Key(want), b'{') => {
                i += 1;
                loop {
                    i = skip_ws(b, i);
                    if *b.get(i)? != b'"' {
                        return None;
                    }
                    let key_start = i;
                    let key_end = skip_string(b, i)?;
                    i = skip_ws(b, key_end);
                    if *b.get(i)? != b':' {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                    if unquote(&text[key_start..key_end]) == want {
                        key_at = Some(key_start);
                        break;
                    }
                    i = skip_ws(b, skip_value(b, i)?);
                    if *b.get(i)? != b',' {
                        return None;
                    }
                    i += 1;
                }
            }
            (Step::Index(n), b'[') => {
                i = skip_ws(b, i + 1);
                for _ in 0..n {
                    if *b.get(i)? == b']' {
                        return None;
                    }
                    i = skip_ws(b, skip_value(b, i)?);
                    if *b.get(i)? != b',' {
                        return None;
                    }
                    i = skip_ws(b, i + 1);
                }
                if *b.get(i)? == b']' {
                    return None;
                }
                key_at = None;
            }
            _ => return None,
        }
    }
    Some((i, key_at))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// From an opening quote at `i`, the offset just past the closing one.
fn skip_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match *b.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// From the first character of a value at `i`, the offset just past it.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = skip_string(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            while !matches!(
                b.get(i),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                i += 1;
            }
            Some(i)
        }
    }
}

/// Finds the first `"id": "<id>"` in JSON text and returns the line and column of the id's value.
pub fn locate_call(text: &str, id: &str) -> Option<(usize, usize)> {
    locate_call_nth(text, id, 0)
}

/// Like [`locate_call`], for the `n`-th (0-based) `"id": "<id>"` in the text: where a repeated id
/// is declared again. [`Source::place_of_call`] places a call by its index instead, which is exact
/// inside a record too.
pub fn locate_call_nth(text: &str, id: &str, n: usize) -> Option<(usize, usize)> {
    let needle = format!("\"{id}\"");
    let mut from = 0;
    let mut seen = 0;
    while let Some(pos) = text[from..].find(&needle) {
        let at = from + pos;
        let before = text[..at].trim_end();
        if let Some(before) = before.strip_suffix(':')
            && before.trim_end().ends_with("\"id\"")
        {
            if seen == n {
                return Some(line_col(text, at));
            }
            seen += 1;
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
    fn locates_values_and_keys_by_path() {
        use Step::{Index, Key};
        let text = "{\"a\": {\"x\": [1, {\"y\": \"}]\\\"\"}, [2]]},\n \"calls\": [\n  {\"id\": \"é\"},\n  {\"id\": \"b\"}\n]}";
        let at = |path: &[Step<'_>]| locate(text, path).map(|i| line_col(text, i));
        assert_eq!(at(&[Key("calls"), Index(1), Key("id")]), Some((4, 10)));
        assert_eq!(at(&[Key("calls"), Index(2)]), None);
        assert_eq!(at(&[Key("a"), Key("x"), Index(2), Index(0)]), Some((1, 33)));
        assert_eq!(at(&[Key("nope")]), None);
        assert_eq!(
            locate_key(text, &[Key("calls")]).map(|i| line_col(text, i)),
            Some((2, 2))
        );
    }

    #[test]
    fn columns_count_characters() {
        let text = "{\"é\": 1,\n \"ü\": x}";
        assert_eq!(line_col(text, text.find('x').unwrap()), (2, 7));
        assert_eq!(line_col(text, text.find('1').unwrap()), (1, 7));
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

    #[test]
    fn locates_the_nth_declaration_of_an_id() {
        let text = "{\"calls\": [\n  {\"id\": \"a\"},\n  {\"id\": \"b\"},\n  {\"id\": \"a\"}\n]}";
        assert_eq!(locate_call_nth(text, "a", 0), Some((2, 10)));
        assert_eq!(locate_call_nth(text, "a", 1), Some((4, 10)));
        assert_eq!(locate_call_nth(text, "a", 2), None);
    }

    #[test]
    fn locates_a_call_by_id() {
        let text = "{\"calls\": [\n  {\"id\": \"a\"},\n  { \"id\" : \"b\" }\n]}";
        assert_eq!(locate_call(text, "b"), Some((3, 12)));
        assert_eq!(locate_call(text, "zz"), None);
    }
}
