//! The layout of a record's JSON: pretty at the outer levels, one line per call. A record of a
//! million calls holds five million call objects (the scenario's and each lane's); written
//! pretty, every field of each is a line of its own, and most of the file is indentation: the
//! 4 × 1M record was 780 MiB, and reading it back was mostly reading spaces. Here each entry of a
//! `calls` or `turns` list is one line (`{"id": "c1", "status": "ok", …}`), and a list of plain
//! values stays on its line (`["sequential", "parallel"]`). Only whitespace differs from
//! serde_json's pretty printer, so any JSON reader, and older fanout, reads the same record.

use std::io::{self, Write};

use serde_json::ser::{CompactFormatter, Formatter};

/// The keys whose lists hold one entry per call or per turn: each entry on a line of its own.
const ONE_PER_LINE: [&[u8]; 2] = [b"calls", b"turns"];

/// How a container on the stack is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// One entry per line, indented (serde_json's pretty layout).
    Pretty,
    /// One entry per line, each entry written on that line.
    Rows,
    /// On one line (`{"a": 1, "b": [2, 3]}`).
    Inline,
    /// A pretty-level list before its first entry: `Inline` if that is a plain value, else
    /// `Pretty`.
    Undecided,
}

/// A [`Formatter`] for records: see the module.
#[derive(Debug, Default)]
pub struct RecordFormatter {
    stack: Vec<(Layout, bool)>,
    /// The key being written, when its object is pretty (to find `calls` and `turns`).
    key: Vec<u8>,
    in_key: bool,
    /// The value about to be written is a list of [`ONE_PER_LINE`].
    rows_next: bool,
}

impl RecordFormatter {
    /// A formatter at the top of a document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether what is written now is inside a one-line container.
    fn inline(&self) -> bool {
        matches!(self.stack.last(), Some((Layout::Inline, _)))
    }

    fn indent<W: ?Sized + Write>(&self, w: &mut W, depth: usize) -> io::Result<()> {
        w.write_all(b"\n")?;
        for _ in 0..depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Called as any value starts: settles an undecided list by its first entry (`container`
    /// says whether that is an object or list) and writes what goes before it.
    fn value_starts<W: ?Sized + Write>(&mut self, w: &mut W, container: bool) -> io::Result<()> {
        if self.in_key {
            return Ok(());
        }
        if !container {
            // A `calls` that is not a list: nothing after it is one.
            self.rows_next = false;
        }
        let depth = self.stack.len();
        if let Some((layout @ Layout::Undecided, _)) = self.stack.last_mut() {
            if container {
                *layout = Layout::Pretty;
                self.indent(w, depth)?;
            } else {
                *layout = Layout::Inline;
            }
        }
        Ok(())
    }

    /// The layout of a container opened now.
    fn open(&mut self, list: bool) -> Layout {
        let rows = std::mem::take(&mut self.rows_next);
        match self.stack.last() {
            Some((Layout::Inline | Layout::Rows, _)) => Layout::Inline,
            _ if list && rows => Layout::Rows,
            _ if list => Layout::Undecided,
            _ => Layout::Pretty,
        }
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        let (layout, any) = self.stack.pop().unwrap_or((Layout::Inline, false));
        if any && matches!(layout, Layout::Pretty | Layout::Rows) {
            self.indent(w, self.stack.len())?;
        }
        w.write_all(bracket)
    }

    /// Before an entry of the innermost container (a list's value or an object's key).
    fn entry<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        let depth = self.stack.len();
        let Some((layout, any)) = self.stack.last_mut() else {
            return Ok(());
        };
        *any = true;
        match *layout {
            Layout::Inline => w.write_all(if first { b"" } else { b", " }),
            // The first entry's line break waits for the entry: see `value_starts`.
            Layout::Undecided => Ok(()),
            Layout::Pretty | Layout::Rows => {
                if !first {
                    w.write_all(b",")?;
                }
                self.indent(w, depth)
            }
        }
    }
}

/// Each scalar is a value starting (which may settle its list), then written as serde_json
/// writes it.
macro_rules! scalars {
    ($($name:ident($t:ty)),* $(,)?) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W, v: $t) -> io::Result<()> {
            self.value_starts(w, false)?;
            CompactFormatter.$name(w, v)
        }
    )*};
}

impl Formatter for RecordFormatter {
    scalars! {
        write_bool(bool), write_i8(i8), write_i16(i16), write_i32(i32), write_i64(i64),
        write_i128(i128), write_u8(u8), write_u16(u16), write_u32(u32), write_u64(u64),
        write_u128(u128), write_f32(f32), write_f64(f64), write_number_str(&str),
        write_byte_array(&[u8]),
    }

    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value_starts(w, false)?;
        w.write_all(b"null")
    }

    fn begin_string<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value_starts(w, false)?;
        w.write_all(b"\"")
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, s: &str) -> io::Result<()> {
        if self.in_key && !self.inline() {
            self.key.extend_from_slice(s.as_bytes());
        }
        w.write_all(s.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value_starts(w, true)?;
        let layout = self.open(true);
        self.stack.push((layout, false));
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.entry(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.value_starts(w, true)?;
        let layout = self.open(false);
        self.stack.push((layout, false));
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.entry(w, first)?;
        self.key.clear();
        self.in_key = true;
        Ok(())
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.in_key = false;
        self.rows_next = !self.inline() && ONE_PER_LINE.contains(&self.key.as_slice());
        Ok(())
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        Ok(())
    }
}

/// `value` as JSON in the record layout (see the module).
pub fn to_writer<W: Write, T: serde::Serialize + ?Sized>(out: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, RecordFormatter::new());
    value.serialize(&mut ser).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn layout(v: &Value) -> String {
        let mut out = Vec::new();
        to_writer(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn calls_are_one_per_line_and_the_rest_is_pretty() {
        let v = json!({
            "name": "x",
            "strategies": ["sequential", "parallel"],
            "empty": [],
            "nothing": {},
            "calls": [
                {"id": "a", "depends_on": [], "http": {"url": "u"}},
                {"id": "b", "depends_on": ["a"], "calls": [{"deep": [1, 2]}]}
            ],
            "lanes": [{"strategy": "parallel", "calls": [], "turns": [{"start_ms": 0.5, "end_ms": 1.0}]}],
            "runs": [[{"calls": [{"id": "a"}]}]]
        });
        let text = layout(&v);
        // serde_json's Value keeps its keys sorted.
        let want = r#"{
  "calls": [
    {"depends_on": [], "http": {"url": "u"}, "id": "a"},
    {"calls": [{"deep": [1, 2]}], "depends_on": ["a"], "id": "b"}
  ],
  "empty": [],
  "lanes": [
    {
      "calls": [],
      "strategy": "parallel",
      "turns": [
        {"end_ms": 1.0, "start_ms": 0.5}
      ]
    }
  ],
  "name": "x",
  "nothing": {},
  "runs": [
    [
      {
        "calls": [
          {"id": "a"}
        ]
      }
    ]
  ],
  "strategies": ["sequential", "parallel"]
}"#;
        assert_eq!(text, want);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
    }

    #[test]
    fn any_value_reads_back_the_same() {
        // Keys that need escaping, a key named like a row list inside a row, scalars at the top.
        for v in [
            json!(null),
            json!(1.5),
            json!("s\"q\n"),
            json!([]),
            json!([[1], {"a\"b": {"calls": [1, {"x": null}]}}]),
            json!({"calls": [[1, 2], 3], "turns": "not a list", "x": [{"calls": [{}]}, 1]}),
        ] {
            let text = layout(&v);
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v, "{text}");
        }
    }
}
