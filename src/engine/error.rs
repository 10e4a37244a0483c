//! Errors about bad input: every one names the file, the place and, where we can, the fix.

use std::fmt;

use crate::text::escape_control;

/// Bad input from the user: a scenario, a record, a strategy or a name.
///
/// The CLI turns it into exit code 2. `Display` gives one line naming the file and the place,
/// then an indented hint when there is an obvious fix.
#[derive(Debug, Clone, PartialEq)]
pub struct InputError {
    /// The file (or `built-in NAME`, or `--strategies`) the problem is in.
    pub file: String,
    /// JSON line and column (1-based), when known.
    pub line_col: Option<(usize, usize)>,
    /// What part of the file the problem is in, when the file holds more than one thing.
    pub within: Option<Part>,
    /// The call the problem is about, when there is one.
    pub call: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it. (A boxed `str`, one word smaller than a `String`, keeps the error under
    /// clippy's `result_large_err` threshold.)
    pub hint: Option<Box<str>>,
}

impl InputError {
    /// An error about `file` with a message and nothing else yet.
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line_col: None,
            within: None,
            call: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the JSON line and column.
    pub fn at(mut self, line_col: Option<(usize, usize)>) -> Self {
        self.line_col = line_col;
        self
    }

    /// Names the part of the file the problem is in.
    pub fn within(mut self, part: Part) -> Self {
        self.within = Some(part);
        self
    }

    /// Names the call the problem is about.
    pub fn call(mut self, id: impl Into<String>) -> Self {
        self.call = Some(id.into());
        self
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into().into_boxed_str());
        self
    }
}

/// Every part of the message is escaped with [`escape_control`]: ids, names and paths come from
/// the file, and an error is printed to a terminal.
impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", escape_control(&self.file))?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(within) = &self.within {
            write!(f, ": {within}")?;
        }
        if let Some(call) = &self.call {
            write!(f, ": call `{}`", escape_control(call))?;
        }
        write!(f, ": {}", escape_control(&self.message))?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {}", escape_control(hint))?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// A part of a file that holds more than one thing, named in messages after the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The `scenario` object of a run record.
    EmbeddedScenario,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::EmbeddedScenario => f.write_str("embedded scenario"),
        }
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo; the first
/// in the given order among equally close ones.
///
/// Close enough: a prefix of 3 characters or more either way (`latency` → `latency_ms`), or within an edit budget that
/// grows with the word: 1 edit up to 3 characters, 2 up to 5, then 3 (`strategy` → `strategies`)
/// or a third of the length, whichever is more. A candidate is never suggested when every one of
/// its characters would have to change (`ab` is not a typo of `id`).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    if len == 0 {
        return None;
    }
    let limit = match len {
        0..=3 => 1,
        4..=5 => 2,
        _ => (len / 3).max(3),
    };
    candidates
        .into_iter()
        .filter_map(|c| {
            let c_len = c.chars().count();
            if len.min(c_len) >= 3 && (c.starts_with(word) || word.starts_with(c)) {
                return Some((len.abs_diff(c_len), c));
            }
            // Cheap bounds first: a long word (an id pasted by mistake) against many candidates
            // must not cost len² each.
            if len.abs_diff(c_len) > limit || len > 200 {
                return None;
            }
            let d = edit_distance(word, c);
            (d <= limit && d < c_len).then_some((d, c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars (`strsim`, already in the build through clap); what counts as
/// close enough is [`nearest`]'s policy.
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::levenshtein(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_name() {
        let fields = ["id", "tool", "depends_on", "latency_ms", "fail"];
        assert_eq!(nearest("depends", fields), Some("depends_on"));
        assert_eq!(nearest("latency", fields), Some("latency_ms"));
        assert_eq!(nearest("tol", fields), Some("tool"));
        assert_eq!(nearest("zzzzzzzz", fields), None);
        assert_eq!(
            nearest("strategy", ["strategies", "calls"]),
            Some("strategies")
        );
        let scenario = ["name", "description", "lesson", "strategies", "calls"];
        assert_eq!(nearest("strategy", scenario), Some("strategies"));
        assert_eq!(nearest("stratgies", scenario), Some("strategies"));
        assert_eq!(nearest("descripton", scenario), Some("description"));
        assert_eq!(nearest("colour", scenario), None);
        assert_eq!(nearest("calls", fields), None, "a call field named `calls`");
    }

    #[test]
    fn does_not_suggest_what_shares_nothing() {
        assert_eq!(nearest("", ["id", "tool"]), None);
        assert_eq!(nearest("ab", ["id"]), None);
        assert_eq!(nearest("ix", ["id"]), Some("id"));
        assert_eq!(nearest("fil", ["fail", "tool"]), Some("fail"));
        assert_eq!(
            nearest("paralel", ["sequential", "parallel"]),
            Some("parallel")
        );
        assert_eq!(
            nearest("seq", ["sequential", "parallel"]),
            Some("sequential")
        );
        assert_eq!(nearest("abcdefgh", ["a", "ab"]), None);
    }

    #[test]
    fn ties_go_to_the_first_candidate() {
        assert_eq!(nearest("b", ["a", "c"]), None);
        assert_eq!(nearest("ab", ["aa", "bb"]), Some("aa"));
    }

    #[test]
    fn a_huge_word_is_cheap() {
        let word = "x".repeat(1_000_000);
        let ids: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
        assert_eq!(nearest(&word, ids.iter().map(String::as_str)), None);
    }

    #[test]
    fn display_puts_the_part_of_the_file_after_the_place() {
        let e = InputError::new("run.json", "depends on itself")
            .at(Some((48, 15)))
            .within(Part::EmbeddedScenario)
            .call("cite");
        assert_eq!(
            e.to_string(),
            "run.json:48:15: embedded scenario: call `cite`: depends on itself"
        );
    }

    #[test]
    fn display_escapes_what_came_from_the_file() {
        let e = InputError::new("a\u{1b}.json", "invalid id `x\u{1b}]0;PWNED\u{7}`")
            .call("x\u{9b}2J")
            .hint("rename `x\n`");
        assert_eq!(
            e.to_string(),
            "a\\u{1b}.json: call `x\\u{9b}2J`: invalid id `x\\u{1b}]0;PWNED\\u{7}`\n  hint: rename `x\\u{a}`"
        );
    }

    #[test]
    fn display_names_file_place_call_and_fix() {
        let e = InputError::new("a.json", "duplicate id")
            .at(Some((3, 7)))
            .call("x")
            .hint("rename one");
        assert_eq!(
            e.to_string(),
            "a.json:3:7: call `x`: duplicate id\n  hint: rename one"
        );
    }
}
