//! A lane's list of call records read straight from the text, for [`super::Record::load`]'s
//! lane-by-lane read: almost every call record fanout writes is one line of the same shape,
//!
//! ```text
//! {"id": "c7", "status": "ok", "start_ms": 2084.0, "end_ms": 2839.0, "error": null},
//! ```
//!
//! and serde's derived reader spent half a microsecond on each (two of `report`'s three seconds
//! at a million calls and four lanes). Such a line is read here by matching its bytes; any other
//! call record (a failure, a skipped call, retries, escapes in an id, a number with an exponent,
//! other spacing) is read by serde on its own, and anything that is not a list of call records
//! leaves the whole list to serde, which then says what is wrong. So the result is always the
//! one serde would give.

use std::sync::Arc;

use super::ids::SharedIds;
use super::{CallRecord, CallStatus};

/// A lane's list of call records, `text` (`[` … `]`), read on this thread with `ids` lent: the
/// `k`-th record shares `ids[k]` when it has that id. `None` when it is not such a list.
pub(super) fn read(text: &str, ids: &SharedIds) -> Option<Vec<CallRecord>> {
    let _lending = super::ids::Lending::of(ids.clone());
    calls(text, ids).or_else(|| by_serde(text))
}

/// A lane's list of call records alone, read as `LaneRecord.calls` is.
#[derive(serde::Deserialize)]
struct LaneCalls(#[serde(deserialize_with = "super::ids::calls")] Vec<CallRecord>);

/// The list read by serde alone (with the ids lent by the caller).
fn by_serde(text: &str) -> Option<Vec<CallRecord>> {
    serde_json::from_str::<LaneCalls>(text).ok().map(|l| l.0)
}

/// The list read here, the plain call records by their bytes, the rest one by one by serde;
/// `None` when serde should read the whole list.
fn calls(text: &str, ids: &SharedIds) -> Option<Vec<CallRecord>> {
    let bytes = text.as_bytes();
    let mut at = skip_space(bytes, 0);
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    at = skip_space(bytes, at + 1);
    let mut calls = Vec::with_capacity(ids.len());
    if bytes.get(at) == Some(&b']') {
        return (skip_space(bytes, at + 1) == bytes.len()).then_some(calls);
    }
    loop {
        let place = calls.len();
        let (call, end) = match plain_call(text, at, ids.get(place)) {
            Some(read) => read,
            None => one_by_serde(text, at, place)?,
        };
        calls.push(call);
        at = skip_space(bytes, end);
        match bytes.get(at) {
            Some(b',') => at = skip_space(bytes, at + 1),
            Some(b']') => {
                return (skip_space(bytes, at + 1) == bytes.len()).then_some(calls);
            }
            _ => return None,
        }
    }
}

/// JSON's whitespace from `at` on.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

/// The call record at `at` if it is a plain successful call in fanout's own spacing, and where
/// it ends. Every place cut at is an ASCII byte of the text, so the pieces are `str`s as they
/// stand.
fn plain_call(text: &str, at: usize, lent: Option<&Arc<str>>) -> Option<(CallRecord, usize)> {
    let bytes = text.as_bytes();
    let at = literal(bytes, at, br#"{"id": ""#)?;
    let id_end = at + bytes[at..].iter().position(|&b| b == b'"')?;
    let id = &text[at..id_end];
    // An escape or a control character: serde's to read or refuse.
    if id.bytes().any(|b| b == b'\\' || b < 0x20) {
        return None;
    }
    let at = literal(bytes, id_end, br#"", "status": "ok", "start_ms": "#)?;
    let (start, at) = number(text, at)?;
    let at = literal(bytes, at, br#", "end_ms": "#)?;
    let (end, at) = number(text, at)?;
    let at = literal(bytes, at, br#", "error": null}"#)?;
    let id = match lent {
        Some(lent) if &**lent == id => lent.clone(),
        _ => Arc::from(id),
    };
    let call = CallRecord {
        id,
        status: CallStatus::Ok,
        start_ms: Some(start),
        end_ms: Some(end),
        more: None,
    };
    Some((call, at))
}

/// `at` past `lit`, if the text has it there.
fn literal(bytes: &[u8], at: usize, lit: &[u8]) -> Option<usize> {
    bytes.get(at..)?.starts_with(lit).then_some(at + lit.len())
}

/// A number of at most 15 digits, without sign or exponent (`0`, `2084.0`, `0.125`), and where
/// it ends. Within those, serde_json's reading (the digits as an integer, then one division by
/// a power of ten, both exact) is correctly rounded, as Rust's own parse is: the two agree. Any
/// other number is serde's to read.
fn number(text: &str, at: usize) -> Option<(f64, usize)> {
    let bytes = text.as_bytes();
    let digits = |from: usize| {
        from + bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let int_end = digits(at);
    // No digits, or a leading zero (`01`, which JSON refuses).
    if int_end == at || (bytes[at] == b'0' && int_end > at + 1) {
        return None;
    }
    let mut end = int_end;
    if bytes.get(end) == Some(&b'.') {
        end = digits(end + 1);
        if end == int_end + 1 {
            return None;
        }
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) || end - at - usize::from(end > int_end) > 15 {
        return None;
    }
    Some((text[at..end].parse().ok()?, end))
}

/// The call record at `at` read by serde (its id lent as the `place`-th), and where it ends.
fn one_by_serde(text: &str, at: usize, place: usize) -> Option<(CallRecord, usize)> {
    super::ids::lend_place(place);
    let mut stream = serde_json::Deserializer::from_str(&text[at..]).into_iter::<CallRecord>();
    let call = stream.next()?.ok()?;
    Some((call, at + stream.byte_offset()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunOptions;
    use crate::engine::plan::Plan;
    use crate::engine::virtual_clock::run_virtual;

    /// What serde alone reads from `text`, lending `ids` as the lane-by-lane read does.
    fn serde_reads(text: &str, ids: &SharedIds) -> Option<Vec<CallRecord>> {
        let _lending = super::super::ids::Lending::of(ids.clone());
        by_serde(text)
    }

    /// What is read here, without falling back on serde for the whole list.
    fn read_here(text: &str, ids: &SharedIds) -> Option<Vec<CallRecord>> {
        let _lending = super::super::ids::Lending::of(ids.clone());
        calls(text, ids)
    }

    /// Each lane's `calls` text of a record as fanout writes it.
    fn lanes_of(name: &str) -> (Vec<String>, SharedIds) {
        let plan = Arc::new(Plan::load(name).unwrap());
        let r = run_virtual(&plan, &RunOptions::for_plan(&plan));
        let ids: SharedIds = Arc::new(plan.calls.iter().map(|c| c.id.clone()).collect());
        let text = crate::report::json(&r);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let lanes = v["lanes"].as_array().unwrap().len();
        // Cut each list from the text itself, spacing and all.
        let mut out = Vec::new();
        let mut from = text.find(r#""lanes": ["#).unwrap();
        for _ in 0..lanes {
            let start = from + text[from..].find(r#""calls": ["#).unwrap() + r#""calls": "#.len();
            let mut stream = serde_json::Deserializer::from_str(&text[start..])
                .into_iter::<serde::de::IgnoredAny>();
            stream.next().unwrap().unwrap();
            let end = start + stream.byte_offset();
            out.push(text[start..end].to_string());
            from = end;
        }
        (out, ids)
    }

    #[test]
    fn every_built_in_lane_reads_as_serde_reads_it_sharing_the_ids() {
        for &(name, _) in crate::engine::scenario::BUILTINS {
            let (lanes, ids) = lanes_of(name);
            for text in lanes {
                let fast = read_here(&text, &ids).expect(name);
                assert_eq!(Some(&fast), serde_reads(&text, &ids).as_ref(), "{name}");
                for (c, id) in fast.iter().zip(ids.iter()) {
                    assert!(Arc::ptr_eq(&c.id, id), "{name}: {}", c.id);
                }
            }
        }
    }

    #[test]
    fn a_call_of_another_shape_is_read_by_serde_and_a_bad_list_is_left_to_it() {
        let ids: SharedIds = Arc::new(["a", "b", "c"].map(Arc::from).to_vec());
        let plain = |id: &str, s: &str, e: &str| {
            format!(
                r#"{{"id": "{id}", "status": "ok", "start_ms": {s}, "end_ms": {e}, "error": null}}"#
            )
        };
        let same = |text: &str| {
            let want = serde_reads(text, &ids);
            assert_eq!(read_here(text, &ids), want, "{text}");
            assert_eq!(read(text, &ids), want, "{text}");
            want
        };
        // Read here, or by serde one call at a time: the same records either way.
        for text in [
            format!("[{}]", plain("a", "0.0", "509.0")),
            format!("[\n  {},\n\t{}\r\n]", plain("a", "0", "0.125"), plain("b", "1.5", "2")),
            format!("[{}, {}]", plain("a", "1e3", "2E-1"), plain("b", "1234567890.123456", "3")),
            format!("[{}]", plain("a", "9007199254740993", "0.1000000000000000055511151231257827")),
            format!("[{}]", plain(r"\u0061", "1", "2")),
            format!("[{}]", plain("zz", "1", "2")),
            r#"[{"id": "a", "status": "error", "start_ms": 0.0, "end_ms": 1.0, "error": "HTTP 503"},
               {"id": "b", "status": "skipped", "start_ms": null, "end_ms": null, "error": "a failed"},
               {"id":"c","status":"ok","start_ms":0.0,"end_ms":1.0,"error":null,"wait_ms":0.5}]"#
                .to_string(),
            "[]".to_string(),
            " [ ] ".to_string(),
        ] {
            assert!(same(&text).is_some(), "{text}");
        }
        // Not lists of call records: serde says so, and nothing is read here either.
        for text in [
            format!("[{}", plain("a", "0", "1")),
            format!("[{},]", plain("a", "0", "1")),
            format!("[{}] x", plain("a", "0", "1")),
            format!("[{} {}]", plain("a", "0", "1"), plain("b", "0", "1")),
            plain("a", "01", "1"),
            format!("[{}]", plain("a", "01", "1")),
            format!("[{}]", plain("a", "1.", "1")),
            format!("[{}]", plain("a", "-1", "1")).replace("-1", "+1"),
            r#"[{"id": "a", "status": "ok", "start_ms": 0, "end_ms": 1, "error": null, "x": 1}]"#
                .to_string(),
            "{}".to_string(),
            String::new(),
        ] {
            assert_eq!(same(&text), None, "{text}");
        }
    }
}
