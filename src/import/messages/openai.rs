//! OpenAI: a Chat Completions response, `{"choices": [{"message": {"tool_calls": […]}}]}`, or a
//! messages list (`{"messages": […]}` or bare) whose assistant messages carry `tool_calls`.

use serde_json::Value;

use super::{Call, Found, NoTools, Payload, conversation, tool_name};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::import::{dotted, join};

/// What an OpenAI payload that asks for no tools lacks, and the fix.
pub(super) const NO_TOOLS: NoTools = NoTools {
    lacks: "tool_calls",
    hint: "give a response whose finish_reason is `tool_calls`, or a messages list in which the assistant asked for tools (\"tool_calls\": [{\"id\": …, \"type\": \"function\", \"function\": {\"name\": …, \"arguments\": …}}])",
};

/// The batches of an OpenAI Chat Completions payload into `found`: a response's first choice
/// that asks for tools is one batch, a messages list's assistant messages one batch each.
pub(super) fn read(p: &Payload<'_>, found: &mut Found) -> Result<(), InputError> {
    let Some(choices) = p.doc.value.get("choices") else {
        conversation(p, found, |m, path| openai_calls(p, m, path))?;
        return Ok(());
    };
    let Some(choices) = choices.as_array() else {
        return Err(p
            .error_at("`choices` is not a list", &[Step::Key("choices")])
            .hint(p.kind.expects()));
    };
    let mut finish_reason = None;
    // Several choices are alternative answers (n > 1), not turns: take the first that asks for
    // tools.
    for (i, choice) in choices.iter().enumerate() {
        let path = vec![Step::Key("choices"), Step::Index(i), Step::Key("message")];
        let Some(message) = choice.get("message") else {
            continue;
        };
        finish_reason = finish_reason.or_else(|| {
            choice
                .get("finish_reason")
                .and_then(Value::as_str)
                .map(|r| (r.to_string(), i))
        });
        let batch = openai_calls(p, message, &path)?;
        if !batch.is_empty() {
            found.batches.push(batch);
            if choices.len() > 1 {
                found.notes.push(format!(
                    "the response holds {} alternative choices (n > 1); imported choice {i}, the first that asks for tools",
                    choices.len()
                ));
            }
            break;
        }
    }
    found.reason = finish_reason.map(|(reason, i)| {
        (
            format!("the response asks for no tools: no tool_calls (finish_reason `{reason}`)"),
            vec![
                Step::Key("choices"),
                Step::Index(i),
                Step::Key("finish_reason"),
            ],
        )
    });
    Ok(())
}

/// The tool calls of one assistant message: `tool_calls`, or the older single `function_call`.
fn openai_calls(
    p: &Payload<'_>,
    message: &Value,
    path: &[Step<'static>],
) -> Result<Vec<Call>, InputError> {
    let mut out = Vec::new();
    match message.get("tool_calls") {
        None | Some(Value::Null) => {}
        Some(Value::Array(calls)) => {
            for (j, call) in calls.iter().enumerate() {
                let cpath = join(&join(path, Step::Key("tool_calls")), Step::Index(j));
                // Function tools name themselves in `function`, custom tools in `custom`.
                let key = if call.get("custom").is_some() && call.get("function").is_none() {
                    "custom"
                } else {
                    "function"
                };
                let name_path = join(&join(&cpath, Step::Key(key)), Step::Key("name"));
                let name = tool_name(
                    p,
                    call.get(key).and_then(|f| f.get("name")),
                    &name_path,
                    "tool call",
                )?;
                out.push(Call {
                    name,
                    path: name_path,
                });
            }
        }
        Some(_) => {
            let at = join(path, Step::Key("tool_calls"));
            return Err(p
                .error_at(format!("`{}` is not a list", dotted(&at)), &at)
                .hint("\"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": \"{}\"}}]"));
        }
    }
    if out.is_empty()
        && let Some(f) = message.get("function_call").filter(|f| f.is_object())
    {
        let name_path = join(&join(path, Step::Key("function_call")), Step::Key("name"));
        let name = tool_name(p, f.get("name"), &name_path, "function_call")?;
        out.push(Call {
            name,
            path: name_path,
        });
    }
    Ok(out)
}
