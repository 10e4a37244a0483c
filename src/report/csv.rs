//! A record as CSV (RFC 4180): one row per call per lane, for spreadsheets and pandas.
//!
//! Header `lane,id,tool,status,start_ms,end_ms,error`; fields holding a comma, a quote or a line
//! break are quoted, with inner quotes doubled; `null` is an empty field; numbers have up to three
//! decimals. Lines end in CRLF, as RFC 4180 says.

use crate::engine::record::{CallStatus, Record};

use super::chrome_trace::tool_of;

/// The header row's fields.
pub const HEADER: [&str; 7] = [
    "lane", "id", "tool", "status", "start_ms", "end_ms", "error",
];

/// One field, quoted if it must be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
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
                field(&lane.strategy),
                field(&c.id),
                field(&tool_of(record, i, &c.id)),
                status(c.status).to_string(),
                c.start_ms.map(number).unwrap_or_default(),
                c.end_ms.map(number).unwrap_or_default(),
                c.error.as_deref().map(field).unwrap_or_default(),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}
