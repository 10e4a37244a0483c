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
    Level {
        ctx: Ctx { input, doc: &doc },
        out: &mut out,
        depth: Depth::Top,
        at: SpanAt {
            d: 0,
            rs: 0,
            scope_key: "scopeSpans",
            ss: 0,
            k: 0,
        },
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some((vec![doc], out))
}

// The serde visitor of [`stream_spans`]: `resourceSpans[].scopeSpans[].spans[]`, every other
// key skipped unread. Any error here only means "read it the slow way".

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

/// The levels of the path to the spans, outermost first.
#[derive(Clone, Copy, PartialEq)]
enum Depth {
    /// The document: an object with `resourceSpans`.
    Top,
    /// `resourceSpans`: a list of resources.
    Resources,
    /// One resource: its `resource` (for `service.name`) and its scopes.
    Resource,
    /// A resource's list of scopes.
    Scopes,
    /// One scope: its `spans`.
    Scope,
    /// A scope's list of spans, each read as a small tree and turned into a [`RawSpan`].
    Spans,
}

/// The reader at one depth: a seed that reads itself as a map or a list and visits it, with the
/// place the spans below it will have (`at`, its indices filled in down to this depth).
struct Level<'c, 'a> {
    ctx: Ctx<'c, 'a>,
    out: &'c mut Vec<RawSpan>,
    depth: Depth,
    at: SpanAt,
}

impl<'a> Level<'_, 'a> {
    /// The reader one level down, at `at`.
    fn below(&mut self, depth: Depth, at: SpanAt) -> Level<'_, 'a> {
        Level {
            ctx: self.ctx,
            out: &mut *self.out,
            depth,
            at,
        }
    }

    /// A resource's keys: `resource` may come after the spans, so its service is set on the
    /// spans read from this resource once the map is done.
    fn resource<'de, M: MapAccess<'de>>(mut self, mut map: M) -> Result<(), M::Error> {
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
                    let scope_key = if k == "scopeSpans" {
                        "scopeSpans"
                    } else {
                        "instrumentationLibrarySpans"
                    };
                    let at = SpanAt {
                        scope_key,
                        ..self.at
                    };
                    map.next_value_seed(self.below(Depth::Scopes, at))?;
                }
                "resource" | "scopeSpans" | "instrumentationLibrarySpans" => {
                    return Err(bail());
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if service.is_some() {
            for span in &mut self.out[first..] {
                span.service.clone_from(&service);
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Level<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.depth {
            Depth::Top | Depth::Resource | Depth::Scope => d.deserialize_map(self),
            Depth::Resources | Depth::Scopes | Depth::Spans => d.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Level<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.depth {
            Depth::Top => "an OTLP export",
            Depth::Resources => "a list of resources",
            Depth::Resource => "a resource",
            Depth::Scopes => "a list of scopes",
            Depth::Scope => "a scope",
            Depth::Spans => "a list of spans",
        })
    }

    fn visit_map<M: MapAccess<'de>>(mut self, map: M) -> Result<(), M::Error> {
        let (key, below) = match self.depth {
            Depth::Top => ("resourceSpans", Depth::Resources),
            Depth::Scope => ("spans", Depth::Spans),
            Depth::Resource => return self.resource(map),
            _ => return Err(bail()),
        };
        let at = self.at;
        let seen = only_key(map, key, |map| map.next_value_seed(self.below(below, at)))?;
        // A document without `resourceSpans` is not an export; a scope without spans is empty.
        if seen || below == Depth::Spans {
            Ok(())
        } else {
            Err(bail())
        }
    }

    fn visit_seq<S: SeqAccess<'de>>(mut self, mut seq: S) -> Result<(), S::Error> {
        let mut at = self.at;
        match self.depth {
            Depth::Resources => {
                while seq
                    .next_element_seed(self.below(Depth::Resource, at))?
                    .is_some()
                {
                    at.rs += 1;
                }
            }
            Depth::Scopes => {
                while seq
                    .next_element_seed(self.below(Depth::Scope, at))?
                    .is_some()
                {
                    at.ss += 1;
                }
            }
            Depth::Spans => {
                while let Some(span) = seq.next_element::<Value>()? {
                    let raw = read_span(self.ctx.input, self.ctx.doc, at, &span, None)
                        .map_err(|_| bail::<S::Error>())?;
                    self.out.push(raw);
                    at.k += 1;
                }
            }
            _ => return Err(bail()),
        }
        Ok(())
    }
}
