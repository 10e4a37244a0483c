//! Places in JSON text: paths ([`Step`]), line:column, and the value at a path. Used to place
//! errors found after parsing (a bad id, a cycle) and to explain serde's errors.

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
pub(crate) fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Byte offset of the start of 1-based line `line` (the end of the text past the last line).
pub(crate) fn nth_line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The place just past the last non-whitespace character before `end`, or `None` when there is
/// none: where to point at a file that stops too early.
pub(crate) fn end_of_content(text: &str, end: usize) -> Option<(usize, usize)> {
    let end = floor_boundary(text, end);
    let (i, c) = text[..end]
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_whitespace())?;
    Some(line_col(text, i + c.len_utf8()))
}

/// An object or list still open at some point of a JSON text.
#[derive(Debug)]
pub(crate) struct Frame {
    /// `{` or `[`.
    pub(crate) open: u8,
    /// Byte offset of the bracket.
    pub(crate) at: usize,
    /// In an object: the key whose value is being read.
    key: Option<String>,
    /// In a list: the index of the element being read.
    index: usize,
}

/// What is open at some point of a JSON text.
#[derive(Debug)]
pub(crate) struct Scan {
    pub(crate) frames: Vec<Frame>,
    pub(crate) in_string: bool,
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
    pub(crate) fn container(&self) -> Vec<Step<'_>> {
        let n = self.frames.len().saturating_sub(1);
        self.frames[..n].iter().map_while(Scan::step).collect()
    }

    /// The path from the top to the value being read.
    pub(crate) fn value_path(&self) -> Vec<Step<'_>> {
        self.frames.iter().map_while(Scan::step).collect()
    }
}

/// Scans `text[..end]` (a prefix serde accepted) and returns what is open at `end`. Iterative,
/// so any depth is fine; linear in `end`.
pub(crate) fn scan_prefix(text: &str, end: usize) -> Scan {
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

pub(crate) fn skip_ws(b: &[u8], mut i: usize) -> usize {
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
/// is declared again. [`crate::engine::scenario::ScenarioSource::place_of_call`] places a call by its index instead, which is exact
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

#[cfg(test)]
mod tests {
    use super::*;

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
