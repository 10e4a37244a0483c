//! Anthropic: a Messages API response, `{"content": [{"type": "tool_use", …}]}`, or a
//! conversation, `{"messages": […]}` or a bare list of messages.

use serde_json::Value;

use super::{Call, Found, NoTools, Payload, conversation, tool_name};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::import::{dotted, join};
use crate::text::noun;

/// What an Anthropic payload that asks for no tools lacks, and the fix.
pub(super) const NO_TOOLS: NoTools = NoTools {
    lacks: "a tool_use block",
    hint: "give a response whose stop_reason is `tool_use`, or a conversation in which the assistant asked for tools ({\"type\": \"tool_use\", \"id\": …, \"name\": …, \"input\": {…}} blocks)",
};

/// The batches of an Anthropic Messages payload into `found`: a response's content blocks are
/// one batch, a conversation's assistant messages one batch each.
pub(super) fn read(p: &Payload<'_>, found: &mut Found) -> Result<(), InputError> {
    let v = &p.doc.value;
    let mut server_tools = 0usize;
    if let Some(content) = v.get("content").filter(|c| c.is_array()) {
        let path = vec![Step::Key("content")];
        let batch = anthropic_blocks(p, content, &path, &mut server_tools)?;
        if !batch.is_empty() {
            found.batches.push(batch);
        }
    } else {
        conversation(p, found, |m, path| {
            let content_path = join(path, Step::Key("content"));
            match m.get("content") {
                Some(c @ Value::Array(_)) => {
                    anthropic_blocks(p, c, &content_path, &mut server_tools)
                }
                Some(Value::String(_)) | None | Some(Value::Null) => Ok(Vec::new()),
                Some(_) => Err(p.error_at(
                    format!("`{}` is neither text nor a list of blocks", dotted(&content_path)),
                    &content_path,
                )
                .hint("a message's content is a string or a list of blocks such as {\"type\": \"tool_use\", \"id\": …, \"name\": …, \"input\": {…}}")),
            }
        })?;
    }
    if server_tools > 0 {
        found.notes.push(format!(
            "left out {server_tools} server_tool_use {}: Anthropic runs those tools itself, within the model's turn",
            noun(server_tools, "block")
        ));
    }
    found.reason = match v.get("stop_reason").and_then(Value::as_str) {
        Some(reason) => Some((
            format!("the response asks for no tools: no tool_use block (stop_reason `{reason}`)"),
            vec![Step::Key("stop_reason")],
        )),
        None if v.get("content").is_some() => Some((
            "the response asks for no tools: no tool_use block in `content`".to_string(),
            vec![Step::Key("content")],
        )),
        None => None,
    };
    Ok(())
}

/// The tool_use blocks of one content list.
fn anthropic_blocks(
    p: &Payload<'_>,
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
                let name = tool_name(p, block.get("name"), &name_path, "tool_use block")?;
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
