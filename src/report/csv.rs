//! A record as CSV (RFC 4180): one row per call per lane, for spreadsheets and pandas.
//!
//! Header `lane,id,tool,status,start_ms,end_ms,error`; control characters in a field (line breaks
//! too) are escaped as `\u{a}`, so every record is one line; fields holding a comma or a quote are
//! quoted, with inner quotes doubled; `null` is an empty field; numbers have up to three
//! decimals. Lines end in CRLF, as RFC 4180 says.

use crate::engine::record::{CallStatus, Record};

use crate::engine::queries::tool_of;

/// The header row's fields.
pub const HEADER: [&str; 7] = [
    "lane", "id", "tool", "status", "start_ms", "end_ms", "error",
];

/// One field: control characters escaped as `\u{1b}` (a CSV is often `cat` to a terminal, and
/// a line break inside a field breaks line-based tools), then quoted if it holds a comma, a
/// quote or leading or trailing spaces, inner quotes doubled.
pub fn field(s: &str) -> String {
    let s = crate::text::escape_control(s);
    if s.contains([',', '"']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// A number with up to three decimals: `0.02`, `105.611`, `1500`.
pub fn number(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn status(s: CallStatus) -> &'static str {
    match s {
        CallStatus::Ok => "ok",
        CallStatus::Error => "error",
        CallStatus::Skipped => "skipped",
        CallStatus::Cancelled => "cancelled",
    }
}

/// The record as CSV text.
pub fn csv(record: &Record) -> String {
    let mut out = HEADER.join(",");
    out.push_str("\r\n");
    for lane in &record.lanes {
        for (i, c) in lane.calls.iter().enumerate() {
            let row = [
                field(&lane.strategy.to_string()),
                field(&c.id),
                field(&tool_of(record, i, &c.id)),
                status(c.status).to_string(),
                c.start_ms.map(number).unwrap_or_default(),
                c.end_ms.map(number).unwrap_or_default(),
                c.error().map(field).unwrap_or_default(),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_per_rfc_4180_and_hold_no_control_bytes() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "two\\u{a}lines");
        assert_eq!(field("x\u{1b}[2J,\u{9b}"), "\"x\\u{1b}[2J,\\u{9b}\"");
        assert_eq!(field(" padded"), "\" padded\"");
        assert_eq!(field(""), "");
    }
}
