//! The scenario file format: its serde types. A scenario is read in two steps: [`load`] turns
//! JSON text into a [`Scenario`] (syntax, types, unknown fields, all with line:column, through
//! [`crate::engine::json`]), then [`crate::engine::plan::Plan::new`] checks what JSON cannot say
//! (ids, dependencies, cycles, effects).

pub mod fields;
pub mod load;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::dist::Distribution;
use super::json::object_only;
use super::options::Mode;

pub use load::{BUILTINS, DEMO, ScenarioSource, builtin, builtin_dir, read_file, resolve};

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
    /// How long one model turn takes (ms), for the strategies that count the model's turns
    /// (`one-per-turn`, `turn-batched`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_turn_ms: Option<f64>,
    /// A model turn's latency as a distribution, drawn per turn with the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_turn: Option<Distribution>,
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
/// checks that exactly one is given and turns them into an [`crate::engine::effects::Effect`].
/// The larger optional parts are boxed: a scenario of a million calls holds a million of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct CallSpec {
    /// Unique id, `[A-Za-z0-9_.:-]+` (shared with the plan's calls and records once planned).
    pub id: Arc<str>,
    /// Display name of the tool; the id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Ids of the calls this one waits for (once planned, each the very id of the call it
    /// names: a million calls' dependencies hold no string of their own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Arc<str>>,
    /// Effect: a simulated call that takes this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Effect: a simulated call whose latency is drawn from a distribution (seeded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<Box<Distribution>>,
    /// Effect: a real HTTP request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<Box<HttpSpec>>,
    /// Effect: a real file read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Box<FileSpec>>,
    /// Effect: this many milliseconds of CPU-bound work on the blocking pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_ms: Option<f64>,
    /// Each attempt fails after this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<f64>,
    /// Retries after a failed attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Box<RetrySpec>>,
    /// The call fails with this message after its effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail: Option<String>,
    /// Only the first this many attempts fail (every attempt when absent): a flaky call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_attempts: Option<u32>,
    /// A model call (an imported `chat` span): the other strategies run it as a call, and
    /// `one-per-turn` and `turn-batched` take its latency as one of their model turns instead.
    #[serde(default, skip_serializing_if = "is_false")]
    pub model: bool,
}

impl Scenario {
    /// Gives back the spare capacity serde leaves in the lists it grows as it reads (the calls,
    /// each call's `depends_on`): a million-call scenario keeps them as long as its plan lives.
    pub fn shrink_to_fit(&mut self) {
        self.calls.shrink_to_fit();
        for c in &mut self.calls {
            c.depends_on.shrink_to_fit();
        }
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl CallSpec {
    /// A simulated latency (`latency_ms` or `latency`): no real HTTP, file or CPU work, so the
    /// virtual clock knows how long it takes before it runs.
    pub fn is_simulated(&self) -> bool {
        self.http.is_none() && self.file.is_none() && self.cpu_ms.is_none()
    }

    /// A simulated call of `latency_ms` with nothing else set; importers fill in the rest with
    /// struct update syntax, so a new optional field needs no change there.
    pub fn simulated(id: impl Into<Arc<str>>, latency_ms: f64) -> CallSpec {
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
            model: false,
        }
    }
}
