//! Errors about bad input: every one names the file, the place and, where we can, the fix.

use std::fmt;

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
    /// The call the problem is about, when there is one.
    pub call: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl InputError {
    /// An error about `file` with a message and nothing else yet.
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            file: file.into(),
            line_col: None,
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

    /// Names the call the problem is about.
    pub fn call(mut self, id: impl Into<String>) -> Self {
        self.call = Some(id.into());
        self
    }

    /// Adds the fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(call) = &self.call {
            write!(f, ": call `{call}`")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InputError {}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = if len >= 6 { (len / 3).max(3) } else { 2 };
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= limit || c.starts_with(word) || word.starts_with(*c))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if ca == *cb {
                diag
            } else {
                1 + diag.min(up).min(row[j])
            };
            diag = up;
        }
    }
    row[b.len()]
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
        assert_eq!(nearest("strategy", ["strategies", "calls"]), Some("strategies"));
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
