//! The streaming reader: the spans of one well-formed OTLP export, read without building its
//! JSON tree.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::spans::{RawSpan, SpanAt, attributes, read_span};
use crate::import::{Doc, Input, body_start};

/// Reads the spans of a file that is one well-formed OTLP export without building its JSON tree:
/// each span is parsed on its own and turned into a [`RawSpan`] at once, so memory holds the
/// spans, not the whole document (a 400k-span export is a tree of gigabytes). `None` at the
/// first surprise of any kind (not one document, another shape, a bad span), and the caller
/// reads the file the slow way, which explains the problem with its place.
pub(super) fn stream_spans<'a>(input: &Input<'a>) -> Option<(Vec<Doc<'a>>, Vec<RawSpan>)> {
    use serde::de::DeserializeSeed;
    let text = input.text;
    let start = body_start(text);
    let doc = Doc {
        text,
        start,
        end: text.len(),
        value: Value::Null,
    };
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(&text[start..]);
    Top {
        ctx: Ctx { input, doc: &doc },
        out: &mut out,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some((vec![doc], out))
}

// The serde visitors of [`stream_spans`]: `resourceSpans[].scopeSpans[].spans[]`, every other
// key skipped unread. Any error here only means "read it the slow way".

/// Each level is its own seed: it reads itself as a map or a list (`$read`), and its visitor
/// does the rest.
macro_rules! seed {
    ($level:ident, $read:ident) => {
        impl<'de> DeserializeSeed<'de> for $level<'_, '_> {
            type Value = ();
            fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.$read(self)
            }
        }
    };
}

#[derive(Clone, Copy)]
struct Ctx<'c, 'a> {
    input: &'c Input<'a>,
    doc: &'c Doc<'a>,
}

fn bail<E: de::Error>() -> E {
    E::custom("read the slow way")
}

/// Reads the value of `key` with `read` and skips every other key unread; a key given twice is
/// for the slow way. Whether `key` was there.
fn only_key<'de, M: MapAccess<'de>>(
    mut map: M,
    key: &str,
    mut read: impl FnMut(&mut M) -> Result<(), M::Error>,
) -> Result<bool, M::Error> {
    let mut seen = false;
    while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
        if k == key {
            if seen {
                return Err(bail());
            }
            seen = true;
            read(&mut map)?;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(seen)
}

/// The document: an object with `resourceSpans`.
struct Top<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
}

seed!(Top, deserialize_map);

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an OTLP export")
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        let seen = only_key(map, "resourceSpans", |map| {
            map.next_value_seed(Resources {
                ctx: self.ctx,
                out: &mut *self.out,
            })
        })?;
        if seen { Ok(()) } else { Err(bail()) }
    }
}

/// `resourceSpans`: a list of resources.
struct Resources<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
}

seed!(Resources, deserialize_seq);

impl<'de> Visitor<'de> for Resources<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of resources")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut rs = 0;
        while seq
            .next_element_seed(Resource {
                ctx: self.ctx,
                out: &mut *self.out,
                rs,
            })?
            .is_some()
        {
            rs += 1;
        }
        Ok(())
    }
}

/// One resource: its `resource` (for `service.name`) and its scopes.
struct Resource<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
    rs: usize,
}

seed!(Resource, deserialize_map);

impl<'de> Visitor<'de> for Resource<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a resource")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        let first = self.out.len();
        let mut service = None;
        let (mut seen_resource, mut seen_scopes) = (false, false);
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "resource" if !seen_resource => {
                    seen_resource = true;
                    let res: Value = map.next_value()?;
                    service = attributes(res.get("attributes"))
                        .ok()
                        .and_then(|a| a.get("service.name").cloned());
                }
                // `instrumentationLibrarySpans` is what OTLP called `scopeSpans` before
                // 0.15; a resource with both (or either twice) is for the slow way.
                k @ ("scopeSpans" | "instrumentationLibrarySpans") if !seen_scopes => {
                    seen_scopes = true;
                    map.next_value_seed(Scopes {
                        ctx: self.ctx,
                        out: &mut *self.out,
                        rs: self.rs,
                        scope_key: if k == "scopeSpans" {
                            "scopeSpans"
                        } else {
                            "instrumentationLibrarySpans"
                        },
                    })?;
                }
                "resource" | "scopeSpans" | "instrumentationLibrarySpans" => {
                    return Err(bail());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // `resource` may come after the spans.
        if service.is_some() {
            for span in &mut self.out[first..] {
                span.service.clone_from(&service);
            }
        }
        Ok(())
    }
}

/// A resource's list of scopes.
struct Scopes<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
    rs: usize,
    scope_key: &'static str,
}

seed!(Scopes, deserialize_seq);

impl<'de> Visitor<'de> for Scopes<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of scopes")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut ss = 0;
        while seq
            .next_element_seed(Scope {
                ctx: self.ctx,
                out: &mut *self.out,
                rs: self.rs,
                scope_key: self.scope_key,
                ss,
            })?
            .is_some()
        {
            ss += 1;
        }
        Ok(())
    }
}

/// One scope: its `spans`.
struct Scope<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
    rs: usize,
    scope_key: &'static str,
    ss: usize,
}

seed!(Scope, deserialize_map);

impl<'de> Visitor<'de> for Scope<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scope")
    }
    fn visit_map<M: MapAccess<'de>>(self, map: M) -> Result<(), M::Error> {
        only_key(map, "spans", |map| {
            map.next_value_seed(Spans {
                ctx: self.ctx,
                out: &mut *self.out,
                at: SpanAt {
                    d: 0,
                    rs: self.rs,
                    scope_key: self.scope_key,
                    ss: self.ss,
                    k: 0,
                },
            })
        })
        .map(|_| ())
    }
}

/// A scope's list of spans, each read as a small tree and turned into a [`RawSpan`].
struct Spans<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
    at: SpanAt,
}

seed!(Spans, deserialize_seq);

impl<'de> Visitor<'de> for Spans<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of spans")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let mut at = self.at;
        while let Some(span) = seq.next_element::<Value>()? {
            let raw = read_span(self.ctx.input, self.ctx.doc, at, &span, None)
                .map_err(|_| bail::<S::Error>())?;
            self.out.push(raw);
            at.k += 1;
        }
        Ok(())
    }
}
