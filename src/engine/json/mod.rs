//! fanout's JSON files (scenarios and records): parsing with placed errors. [`parse_json`] turns
//! serde's error into an [`InputError`] with a line:column and a fix ([`errors`]); [`locate`]
//! finds places in the text for errors found after parsing.

pub mod errors;
pub mod locate;

use super::error::InputError;
use locate::{Step, line_col};

/// Makes `Deserialize` of a type whose derive has `#[serde(remote = "Self")]` accept only a JSON
/// object. serde's derived structs also read the array form (`["a", null, [], 500]` as a call,
/// `[2, 5]` as a rate limit): fields by position, which no one means and which silently changes
/// meaning when a field is added. `Serialize` is the derived one, unchanged.
macro_rules! object_only {
    ($($t:ty => $what:literal),* $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
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
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$t>::serialize(self, s)
            }
        }
    )*};
}
pub(crate) use object_only;

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
    pub(crate) fn what_it_is(self) -> &'static str {
        match self {
            FileKind::Scenario => "a scenario is a JSON object with `name` and `calls`",
            FileKind::Record => "a record is the JSON object a recorded run writes",
        }
    }

    /// How to get a good file of this kind.
    pub(crate) fn example(self) -> &'static str {
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
/// names and the fixes of type errors at every place inside it. Which object an error is in is
/// found from the JSON text (see [`locate`]), never guessed from serde's wording; what kind of
/// error it is (unknown field, wrong type, …) is read from serde's message, in [`errors`].
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
            .unwrap_or_else(|| errors::json_error::<T>(label, text, body_start, &e))
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

/// Test support for the field-list drift tests: `v` (an object) has exactly the keys of `list`,
/// in any order.
#[cfg(test)]
pub(crate) fn same_fields(v: serde_json::Value, list: &[&str]) {
    let mut a: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    let mut b: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}
