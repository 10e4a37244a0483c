//! serde's errors in plain words: which value is wrong, where, and the fix. The only
//! translator of serde errors: scenarios and records (`json_error`, which knows their fields)
//! and imports (`foreign_json_error`, syntax only: an import reads a `Value` and walks it).
//!
//! The failing path (`calls[3].latency_ms`, next to line:column in the message) comes from the
//! text, not from serde: the locator (`locate::scan_prefix`) scans what precedes the
//! point where serde stopped, once, on the error path. `serde_path_to_error` (in the lock file
//! through axum) would name the same path, but only by tracking every value of every file as it
//! is read, and the locator is needed all the same: it places errors found after parsing, and
//! on a file that ends early it lists the brackets still open. Two mechanisms for one fact
//! would be the drift this module exists to prevent, so it is not used.

use super::locate::{
    Step, dotted, end_of_content, floor_boundary, line_col, nth_line_start, scan_prefix, skip_ws,
};
use super::{FileKind, JsonFile};
use crate::engine::error::{InputError, Part, nearest};

/// serde_json's message without its " at line L column C" (fanout prints the place itself), and
/// the byte of `text` where serde stopped, for a document that starts at `body_start` in `text`.
/// serde's column is 1-based and counts bytes up to the last one it read; 0 means it stopped at
/// the very start of a line: the point is that byte, or where the line starts.
fn message_and_point(text: &str, body_start: usize, e: &serde_json::Error) -> (String, usize) {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    };
    let line_start = body_start + nth_line_start(&text[body_start..], e.line());
    let point = if e.column() > 0 {
        floor_boundary(text, line_start + e.column() - 1)
    } else {
        line_start
    };
    (message, point)
}

/// The hint for a comma before a closing bracket, the same in every kind of file.
const TRAILING_COMMA_HINT: &str =
    "JSON allows no comma before a closing bracket or brace: remove it";

/// serde's error on a fanout file (`T`) as a placed [`InputError`] with its fix.
pub(crate) fn json_error<T: JsonFile>(
    label: &str,
    text: &str,
    body_start: usize,
    e: &serde_json::Error,
) -> InputError {
    use serde_json::error::Category;
    let kind = T::KIND;
    let (message, point) = message_and_point(text, body_start, e);
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
                TRAILING_COMMA_HINT.to_string()
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

/// serde's error on the JSON of another program's format (an import) as a placed [`InputError`]:
/// only syntax can be wrong at this stage, and the hints point at that format (`expects`).
pub(crate) fn foreign_json_error(
    label: &str,
    text: &str,
    start: usize,
    e: &serde_json::Error,
    expects: &str,
) -> InputError {
    use serde_json::error::Category;
    let (message, at) = message_and_point(text, start, e);
    let first = text[start..].trim_start();
    let place = Some(line_col(text, at));
    let err = InputError::new(label, format!("is not valid JSON: {message}")).at(place);
    let starts_like_json = first.starts_with('{') || first.starts_with('[');
    match e.classify() {
        Category::Eof => err.hint(format!(
            "the file ends early (was it cut off while being written?); {expects}"
        )),
        _ if !starts_like_json => err.hint(format!("this is not JSON: {expects}")),
        _ if message.starts_with("trailing characters") => err.hint(
            "remove what follows the document's closing bracket; a file holds one JSON document (the OTLP file exporter's form: one whole document on each line)",
        ),
        _ if message.starts_with("trailing comma") => err.hint(TRAILING_COMMA_HINT),
        _ => err.hint("check for a missing comma, quote or bracket near this place"),
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

/// `7` from ``integer `7` `` or `1.5` from ``floating point `1.5` ``.
pub(crate) fn number_in(found: &str) -> Option<&str> {
    ["integer `", "floating point `"]
        .iter()
        .find_map(|p| found.strip_prefix(p)?.strip_suffix('`'))
}

/// `500` from `string "500"`, when the string holds a finite number.
pub(crate) fn quoted_number(found: &str) -> Option<&str> {
    let inner = found.strip_prefix("string \"")?.strip_suffix('"')?.trim();
    inner
        .parse::<f64>()
        .is_ok_and(f64::is_finite)
        .then_some(inner)
}

fn looks_like_nan(text: &str, point: usize) -> bool {
    let start = floor_boundary(text, point.saturating_sub(8));
    let window: String = text[start..].chars().take(20).collect();
    window.contains("NaN") || window.contains("Infinity")
}
