//! Anthropic: a Messages API response, `{"content": [{"type": "tool_use", …}]}`, or a
//! conversation, `{"messages": […]}` or a bare list of messages.

use serde_json::Value;

use super::{Call, NoTools, finish_found, message_role, open, tool_name};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::import::{Doc, ImportKind, ImportOptions, Imported, Input, dotted, join, wrong_format};
use crate::text::noun;

/// Imports an Anthropic Messages payload.
pub(crate) fn import_anthropic(
    input: &Input<'_>,
    opts: &ImportOptions,
) -> Result<Imported, InputError> {
    const KIND: ImportKind = ImportKind::Anthropic;
    let (doc, mut found) = open(KIND, input)?;
    let label = input.label;
    let v = &doc.value;
    let mut server_tools = 0usize;
    if v.get("type").and_then(Value::as_str) == Some("error") {
        return Err(api_error(input, &doc));
    }
    let messages: Option<(&Vec<Value>, Vec<Step<'static>>)> = match v {
        Value::Object(o) if o.get("content").is_some_and(Value::is_array) => {
            // One response: its content blocks are one batch.
            let path = vec![Step::Key("content")];
            let batch = anthropic_blocks(input, &doc, &v["content"], &path, &mut server_tools)?;
            if !batch.is_empty() {
                found.batches.push(batch);
            }
            None
        }
        Value::Object(o) => match o.get("messages") {
            Some(Value::Array(list)) => Some((list, vec![Step::Key("messages")])),
            Some(_) => {
                return Err(InputError::new(label, "`messages` is not a list")
                    .at(doc.place(&[Step::Key("messages")]))
                    .hint(KIND.expects()));
            }
            None => return Err(wrong_format(KIND, input, &doc)),
        },
        Value::Array(list) => Some((list, vec![])),
        _ => return Err(wrong_format(KIND, input, &doc)),
    };
    if let Some((list, base)) = messages {
        for (i, m) in list.iter().enumerate() {
            let path = join(&base, Step::Index(i));
            let role = message_role(input, &doc, m, &path, KIND)?;
            if role != "assistant" {
                continue;
            }
            let content_path = join(&path, Step::Key("content"));
            match m.get("content") {
                Some(c @ Value::Array(_)) => {
                    let batch = anthropic_blocks(input, &doc, c, &content_path, &mut server_tools)?;
                    if !batch.is_empty() {
                        found.batches.push(batch);
                    }
                }
                Some(Value::String(_)) | None | Some(Value::Null) => {}
                Some(_) => {
                    return Err(InputError::new(
                        label,
                        format!("`{}` is neither text nor a list of blocks", dotted(&content_path)),
                    )
                    .at(doc.place(&content_path))
                    .hint("a message's content is a string or a list of blocks such as {\"type\": \"tool_use\", \"id\": …, \"name\": …, \"input\": {…}}"));
                }
            }
        }
    }
    if server_tools > 0 {
        found.notes.push(format!(
            "left out {server_tools} server_tool_use {}: Anthropic runs those tools itself, within the model's turn",
            noun(server_tools, "block")
        ));
    }
    let no_tools = NoTools {
        lacks: "a tool_use block",
        hint: "give a response whose stop_reason is `tool_use`, or a conversation in which the assistant asked for tools ({\"type\": \"tool_use\", \"id\": …, \"name\": …, \"input\": {…}} blocks)",
    };
    finish_found(KIND, input, &doc, found, opts, no_tools, || {
        match v.get("stop_reason").and_then(Value::as_str) {
            Some(reason) => Some((
                format!(
                    "the response asks for no tools: no tool_use block (stop_reason `{reason}`)"
                ),
                vec![Step::Key("stop_reason")],
            )),
            None if v.get("content").is_some() => Some((
                "the response asks for no tools: no tool_use block in `content`".to_string(),
                vec![Step::Key("content")],
            )),
            None => None,
        }
    })
}

/// The tool_use blocks of one content list.
fn anthropic_blocks(
    input: &Input<'_>,
    doc: &Doc<'_>,
    content: &Value,
    path: &[Step<'static>],
    server_tools: &mut usize,
) -> Result<Vec<Call>, InputError> {
    let mut out = Vec::new();
    let Some(blocks) = content.as_array() else {
        return Ok(out);
    };
    for (j, block) in blocks.iter().enumerate() {
        let bpath = join(path, Step::Index(j));
        match block.get("type").and_then(Value::as_str) {
            Some("tool_use") => {
                let name_path = join(&bpath, Step::Key("name"));
                let name = tool_name(input, doc, block.get("name"), &name_path, "tool_use block")?;
                out.push(Call {
                    name,
                    path: name_path,
                });
            }
            Some("server_tool_use") => *server_tools += 1,
            _ => {}
        }
    }
    Ok(out)
}

/// The error for an Anthropic error response.
fn api_error(input: &Input<'_>, doc: &Doc<'_>) -> InputError {
    let message = doc
        .value
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    InputError::new(input.label, format!("is an API error response: {message}"))
        .at(doc.place(&[Step::Key("error")]))
        .hint("import a successful response, one whose stop_reason is `tool_use`")
}
