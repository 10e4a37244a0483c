//! Text from files (scenarios, records, imported traces) made safe to print.
//!
//! A name in a scenario or a tool name in a trace is whatever its author wrote, and files like
//! that are passed around: printed raw, `\u{1b}]0;…\u{7}` retitles the terminal and other escape
//! sequences can move the cursor or rewrite what is on screen. Every plain-text writer passes
//! such strings through [`escape_control`] (or, for a whole output, [`escape_output`]).
//! Also the plain-text helpers the report, the importers, the watcher and the UI share
//! ([`plural`], [`ellipsize`], [`duration`]).

use std::borrow::Cow;

/// Whether `c` is a control character a terminal may act on: C0 (U+0000–U+001F), DEL (U+007F)
/// or C1 (U+0080–U+009F; U+009B alone is a CSI on many terminals).
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// `s` with every control character written as a Rust-style escape, `\u{1b}`; line breaks and
/// tabs too, so a name stays on its line. Borrows when there is nothing to escape.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    escape_where(s, is_control)
}

/// Like [`escape_control`], but keeps line breaks (`\n`): for a whole output already laid out in
/// lines (a table, `check`), as a last guard at the point it is printed.
pub fn escape_output(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c != '\n' && is_control(c))
}

/// A Markdown table cell: controls escaped and `|` written `\|`, so a name cannot end its cell.
pub fn escape_markdown_cell(s: &str) -> Cow<'_, str> {
    let escaped = escape_control(s);
    if escaped.contains('|') {
        Cow::Owned(escaped.replace('|', "\\|"))
    } else {
        escaped
    }
}

/// Columns `s` takes on a terminal (a wide character two, a combining one none); the SVG
/// sizes its labels by it too.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Cuts `s` to `max` columns, ending in `…` when it was cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for ch in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if w + cw + 1 > max {
            break;
        }
        out.push(ch);
        w += cw;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// `1 call`, `3 calls`, `2 dependencies`: the one pluralizer of every message and report.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {}", noun(n, word))
}

/// The form of `word` for `n` of it, without the number: `call`, `calls`, `dependencies`,
/// `batches` (English nouns ending in a consonant and `y`, or in `ch`, `sh`, `s`, `x`).
pub fn noun(n: usize, word: &str) -> Cow<'_, str> {
    if n == 1 {
        return Cow::Borrowed(word);
    }
    let consonant_y = word
        .strip_suffix('y')
        .filter(|stem| !stem.ends_with(['a', 'e', 'i', 'o', 'u']));
    if let Some(stem) = consonant_y {
        Cow::Owned(format!("{stem}ies"))
    } else if word.ends_with("ch") || word.ends_with("sh") || word.ends_with(['s', 'x']) {
        Cow::Owned(format!("{word}es"))
    } else {
        Cow::Owned(format!("{word}s"))
    }
}

fn escape_where(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&escape) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// How finely [`duration`] writes a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// A wall, a bound or a saving (`report::figures::duration`): `2.503 s`, `501.2 ms`.
    Figure,
    /// A timing imported from a trace, to the microsecond it gives: `2.503 s`, `0.125 ms`,
    /// `56.7 ms` (no trailing zeros: a slice of 12 ms is `12 ms`).
    Micros,
    /// A figure read at a glance (a headless `watch` line): `4.2 s`, `350 ms`.
    Glance,
}

/// `ms` for people: seconds from 1 s up, else milliseconds, as finely as `precision` says. The
/// one duration formatter; each room names the precision it prints.
pub fn duration(ms: f64, precision: Precision) -> String {
    // An empty sum is -0.0: shown as 0.
    let ms = ms + 0.0;
    let seconds = ms.abs() >= 1000.0;
    match precision {
        Precision::Figure if seconds => format!("{:.3} s", ms / 1000.0),
        Precision::Figure => format!("{ms:.1} ms"),
        Precision::Micros if seconds => format!("{:.3} s", ms / 1000.0),
        Precision::Micros => format!("{} ms", (ms * 1000.0).round() / 1000.0),
        Precision::Glance if seconds => format!("{:.1} s", ms / 1000.0),
        Precision::Glance => format!("{} ms", ms.round()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_c0_c1_and_del_and_borrows_clean_text() {
        assert_eq!(
            escape_control("n\u{1b}]0;PWNED\u{7}"),
            "n\\u{1b}]0;PWNED\\u{7}"
        );
        assert_eq!(escape_control("a\nb\tc\r"), "a\\u{a}b\\u{9}c\\u{d}");
        assert_eq!(
            escape_control("\u{7f}\u{80}\u{9b}\u{9f}"),
            "\\u{7f}\\u{80}\\u{9b}\\u{9f}"
        );
        assert_eq!(escape_control("\u{0}"), "\\u{0}");
        assert!(matches!(escape_control("fetch_1 · é ✓"), Cow::Borrowed(_)));
        // U+00A0 (no-break space) and above are printable.
        assert_eq!(escape_control("\u{a0}\u{a0}"), "\u{a0}\u{a0}");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "call"), "1 call");
        assert_eq!(plural(0, "call"), "0 calls");
        assert_eq!(plural(2, "dependency"), "2 dependencies");
        assert_eq!(plural(1, "dependency"), "1 dependency");
        assert_eq!(plural(3, "batch"), "3 batches");
        assert_eq!(plural(2, "day"), "2 days");
        assert_eq!(noun(2, "B/E pair"), "B/E pairs");
        assert_eq!(noun(1, "slice"), "slice");
    }

    #[test]
    fn output_keeps_its_lines() {
        assert_eq!(escape_output("a\u{1b}[2J\nb\t"), "a\\u{1b}[2J\nb\\u{9}");
        assert!(matches!(escape_output("a\nb\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_cells_cannot_be_split() {
        assert_eq!(escape_markdown_cell("a|b\u{1b}"), "a\\|b\\u{1b}");
        assert_eq!(escape_markdown_cell("plain"), "plain");
    }

    #[test]
    fn every_control_is_escaped() {
        for c in (0u32..0x110000).filter_map(char::from_u32) {
            let s = c.to_string();
            let e = escape_control(&s);
            assert!(!e.chars().any(is_control), "{c:?} left raw");
            assert_eq!(is_control(c), e != s, "{c:?}");
        }
    }

    #[test]
    fn each_precision_writes_its_digits() {
        let write = |p| [0.125, 56.7, 999.96, 1_000.0, 2_503.4, -0.0].map(|ms| duration(ms, p));
        assert_eq!(
            write(Precision::Figure),
            [
                "0.1 ms",
                "56.7 ms",
                "1000.0 ms",
                "1.000 s",
                "2.503 s",
                "0.0 ms"
            ]
        );
        assert_eq!(
            write(Precision::Micros),
            [
                "0.125 ms",
                "56.7 ms",
                "999.96 ms",
                "1.000 s",
                "2.503 s",
                "0 ms"
            ]
        );
        assert_eq!(
            write(Precision::Glance),
            ["0 ms", "57 ms", "1000 ms", "1.0 s", "2.5 s", "0 ms"]
        );
    }
}
