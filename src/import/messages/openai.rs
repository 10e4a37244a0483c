//! OpenAI: a Chat Completions response, `{"choices": [{"message": {"tool_calls": […]}}]}`, or a
//! messages list (`{"messages": […]}` or bare) whose assistant messages carry `tool_calls`.

use serde_json::Value;

use super::{Call, Found, NoTools, finish_found, message_role, open, tool_name};
use crate::engine::InputError;
use crate::engine::json::locate::Step;
use crate::import::{Doc, ImportKind, ImportOptions, Imported, Input, dotted, join, wrong_format};

/// Imports an OpenAI Chat Completions payload.
pub(crate) fn import_openai(
    input: &Input<'_>,
    opts: &ImportOptions,
) -> Result<Imported, InputError> {
    const KIND: ImportKind = ImportKind::Openai;
    let (doc, mut found) = open(KIND, input)?;
    let label = input.label;
    let v = &doc.value;
    if let Some(e) = v.get("error").filter(|e| e.is_object()) {
        let message = e
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("(no message)");
        return Err(
            InputError::new(label, format!("is an API error response: {message}"))
                .at(doc.place(&[Step::Key("error")]))
                .hint("import a successful response, one whose choices ask for tools"),
        );
    }
    let mut finish_reason = None;
    match v {
        Value::Object(o) if o.contains_key("choices") => {
            let Some(choices) = o["choices"].as_array() else {
                return Err(InputError::new(label, "`choices` is not a list")
                    .at(doc.place(&[Step::Key("choices")]))
                    .hint(KIND.expects()));
            };
            // Several choices are alternative answers (n > 1), not turns: take the first that
            // asks for tools.
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
                let batch = openai_calls(input, &doc, message, &path)?;
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
        }
        Value::Object(o) if o.contains_key("messages") => {
            let Some(list) = o["messages"].as_array() else {
                return Err(InputError::new(label, "`messages` is not a list")
                    .at(doc.place(&[Step::Key("messages")]))
                    .hint(KIND.expects()));
            };
            openai_messages(input, &doc, list, &[Step::Key("messages")], &mut found)?;
        }
        Value::Array(list) => openai_messages(input, &doc, list, &[], &mut found)?,
        _ => return Err(wrong_format(KIND, input, &doc)),
    }
    let no_tools = NoTools {
        lacks: "tool_calls",
        hint: "give a response whose finish_reason is `tool_calls`, or a messages list in which the assistant asked for tools (\"tool_calls\": [{\"id\": …, \"type\": \"function\", \"function\": {\"name\": …, \"arguments\": …}}])",
    };
    finish_found(KIND, input, &doc, found, opts, no_tools, || {
        finish_reason.map(|(reason, i)| {
            (
                format!("the response asks for no tools: no tool_calls (finish_reason `{reason}`)"),
                vec![
                    Step::Key("choices"),
                    Step::Index(i),
                    Step::Key("finish_reason"),
                ],
            )
        })
    })
}

/// The assistant messages of a list, one batch each.
fn openai_messages(
    input: &Input<'_>,
    doc: &Doc<'_>,
    list: &[Value],
    base: &[Step<'static>],
    found: &mut Found,
) -> Result<(), InputError> {
    for (i, m) in list.iter().enumerate() {
        let path = join(base, Step::Index(i));
        let role = message_role(input, doc, m, &path, ImportKind::Openai)?;
        if role == "assistant" {
            let batch = openai_calls(input, doc, m, &path)?;
            if !batch.is_empty() {
                found.batches.push(batch);
            }
        }
    }
    Ok(())
}

/// The tool calls of one assistant message: `tool_calls`, or the older single `function_call`.
fn openai_calls(
    input: &Input<'_>,
    doc: &Doc<'_>,
    message: &Value,
    path: &[Step<'static>],
) -> Result<Vec<Call>, InputError> {
    let label = input.label;
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
                    input,
                    doc,
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
            let p = join(path, Step::Key("tool_calls"));
            return Err(InputError::new(label, format!("`{}` is not a list", dotted(&p)))
                .at(doc.place(&p))
                .hint("\"tool_calls\": [{\"id\": \"call_1\", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": \"{}\"}}]"));
        }
    }
    if out.is_empty()
        && let Some(f) = message.get("function_call").filter(|f| f.is_object())
    {
        let name_path = join(&join(path, Step::Key("function_call")), Step::Key("name"));
        let name = tool_name(input, doc, f.get("name"), &name_path, "function_call")?;
        out.push(Call {
            name,
            path: name_path,
        });
    }
    Ok(out)
}
