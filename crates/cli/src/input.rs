//! A server's requests for input, answered on the terminal: MCP elicitation (a tool asking the
//! person something while it runs) and 2026-07-28's input-required results, which reach the
//! client the same way. A form gets the server's message, then one question per field, typed as
//! its schema says (text, number, whole number, yes/no, a choice), with its default; then send,
//! decline or cancel. A URL request is shown, never opened by Patchbay.
//!
//! Without a terminal (stdin and stderr both one) nothing is announced, so servers do not ask;
//! one that asks anyway is declined, with a line on stderr saying why and what to do.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Mutex;

use patchbay_core::Responder;
use rmcp::model::{ElicitRequestParams, ElicitResult, ElicitationAction};
use serde_json::{Map, Value};

/// How many times a field is asked again after an answer that does not fit it.
const ATTEMPTS: usize = 3;

#[derive(Debug, Default)]
pub struct TerminalInput {
    /// One question on the terminal at a time (several tools may ask at once).
    prompt: Mutex<()>,
}

pub(crate) fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

#[async_trait::async_trait]
impl Responder for TerminalInput {
    fn announces(&self) -> bool {
        terminal()
    }

    async fn respond(&self, request: &ElicitRequestParams) -> ElicitResult {
        if !terminal() {
            let message = match request {
                ElicitRequestParams::FormElicitationParams { message, .. }
                | ElicitRequestParams::UrlElicitationParams { message, .. } => message.as_str(),
                _ => "a kind of request this Patchbay does not know",
            };
            eprintln!(
                "The server asked for input ({}) and there is no terminal to ask on: declined. \
                 Run the command in a terminal to answer it.",
                one_line(message)
            );
            return ElicitResult::new(ElicitationAction::Decline);
        }
        let request = request.clone();
        tokio::task::block_in_place(|| {
            let _one_at_a_time = self
                .prompt
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let stdin = std::io::stdin();
            let mut lines = stdin.lock();
            ask(&request, &mut lines, &mut std::io::stderr())
        })
    }
}

/// The whole exchange for one request, reading answers from `lines` and writing to `out`.
pub fn ask(
    request: &ElicitRequestParams,
    lines: &mut impl BufRead,
    out: &mut impl Write,
) -> ElicitResult {
    match request {
        ElicitRequestParams::UrlElicitationParams { message, url, .. } => {
            let _ = writeln!(
                out,
                "The server asks you to open a page: {}\n  {url}\nPatchbay does not open it \
                 itself; open it in your browser if you trust it.",
                one_line(message)
            );
            match question(lines, out, "[y] I will open it  [n] decline > ").as_deref() {
                Some("y" | "Y" | "yes") => ElicitResult::new(ElicitationAction::Accept),
                _ => ElicitResult::new(ElicitationAction::Decline),
            }
        }
        ElicitRequestParams::FormElicitationParams {
            message,
            requested_schema,
            ..
        } => {
            let schema = serde_json::to_value(requested_schema).unwrap_or(Value::Null);
            let _ = writeln!(out, "The server asks: {}", one_line(message));
            let Some(content) = form(&schema, lines, out) else {
                let _ = writeln!(out, "Cancelled.");
                return ElicitResult::new(ElicitationAction::Cancel);
            };
            match question(
                lines,
                out,
                "Send these answers? [y] send  [n] decline  [c] cancel > ",
            )
            .as_deref()
            {
                Some("y" | "Y" | "yes" | "") => ElicitResult::new(ElicitationAction::Accept)
                    .with_content(Value::Object(content)),
                Some("n" | "N" | "no") => ElicitResult::new(ElicitationAction::Decline),
                _ => ElicitResult::new(ElicitationAction::Cancel),
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "The server asked for a kind of input this Patchbay does not know: declined."
            );
            ElicitResult::new(ElicitationAction::Decline)
        }
    }
}

/// The answers to every field; `None` when the person ends input (EOF) or gives up on a field.
fn form(
    schema: &Value,
    lines: &mut impl BufRead,
    out: &mut impl Write,
) -> Option<Map<String, Value>> {
    let empty = Map::new();
    let properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut answers = Map::new();
    for (name, field) in properties {
        let required = required.contains(&name.as_str());
        if let Some(value) = field_answer(name, field, required, lines, out)? {
            answers.insert(name.clone(), value);
        }
    }
    Some(answers)
}

/// The values a field may take, with what to call each: `enum` (with the legacy `enumNames`)
/// or `oneOf` / `anyOf` entries of `const` and `title`.
fn choices(schema: &Value) -> Vec<(String, String)> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names = schema.get("enumNames").and_then(Value::as_array);
        return values
            .iter()
            .enumerate()
            .filter_map(|(index, value)| {
                let value = value.as_str()?.to_owned();
                let name = names
                    .and_then(|names| names.get(index))
                    .and_then(Value::as_str)
                    .unwrap_or(&value)
                    .to_owned();
                Some((value, name))
            })
            .collect();
    }
    ["oneOf", "anyOf"]
        .iter()
        .filter_map(|key| schema.get(*key).and_then(Value::as_array))
        .flatten()
        .filter_map(|entry| {
            let value = entry.get("const")?.as_str()?.to_owned();
            let title = entry
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or(&value)
                .to_owned();
            Some((value, title))
        })
        .collect()
}

/// One field: `Some(None)` leaves an optional field out.
fn field_answer(
    name: &str,
    field: &Value,
    required: bool,
    lines: &mut impl BufRead,
    out: &mut impl Write,
) -> Option<Option<Value>> {
    let label = field.get("title").and_then(Value::as_str).unwrap_or(name);
    let kind = field
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("string");
    let many = kind == "array";
    let choices = choices(if many {
        field.get("items").unwrap_or(&Value::Null)
    } else {
        field
    });
    let default = field.get("default");
    if let Some(description) = field.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "  {label}: {}", one_line(description));
    }
    let mut prompt = format!("  {label}");
    if !choices.is_empty() {
        let listed: Vec<String> = choices
            .iter()
            .map(|(value, name)| {
                if value == name {
                    value.clone()
                } else {
                    format!("{value} = {name}")
                }
            })
            .collect();
        let how = if many { "one or more of" } else { "one of" };
        let separated = if many {
            "; separate them with commas"
        } else {
            ""
        };
        prompt.push_str(&format!(" ({how}: {}{separated})", listed.join(", ")));
    } else if kind == "boolean" {
        prompt.push_str(" (y/n)");
    }
    match default {
        Some(default) => prompt.push_str(&format!(" [{}]", shown(default))),
        None if !required => prompt.push_str(" (optional)"),
        None => prompt.push_str(" (required)"),
    }
    prompt.push_str(" > ");
    for _ in 0..ATTEMPTS {
        let answer = question(lines, out, &prompt)?;
        if answer.is_empty() {
            match (default, required) {
                (Some(default), _) => return Some(Some(default.clone())),
                (None, false) => return Some(None),
                (None, true) => {
                    let _ = writeln!(out, "  This one is required.");
                    continue;
                }
            }
        }
        let parsed = if many {
            answer
                .split(',')
                .map(|part| parse(part.trim(), "string", &choices, field))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        } else {
            parse(&answer, kind, &choices, field)
        };
        match parsed {
            Ok(value) => return Some(Some(value)),
            Err(why) => {
                let _ = writeln!(out, "  {why}");
            }
        }
    }
    None
}

/// `text` as the field's type wants it (a choice by its value or its name; a number within the
/// schema's bounds).
fn parse(
    text: &str,
    kind: &str,
    choices: &[(String, String)],
    field: &Value,
) -> Result<Value, String> {
    if !choices.is_empty() {
        return choices
            .iter()
            .find(|(value, name)| {
                value.eq_ignore_ascii_case(text) || name.eq_ignore_ascii_case(text)
            })
            .map(|(value, _)| Value::String(value.clone()))
            .ok_or_else(|| {
                let values: Vec<&str> = choices.iter().map(|(value, _)| value.as_str()).collect();
                format!("Choose from: {}.", values.join(", "))
            });
    }
    let within = |number: f64| {
        let minimum = field.get("minimum").and_then(Value::as_f64);
        let maximum = field.get("maximum").and_then(Value::as_f64);
        if minimum.is_some_and(|minimum| number < minimum)
            || maximum.is_some_and(|maximum| number > maximum)
        {
            Err(format!(
                "Between {} and {}, please.",
                minimum.map_or("any".into(), |m| m.to_string()),
                maximum.map_or("any".into(), |m| m.to_string())
            ))
        } else {
            Ok(())
        }
    };
    match kind {
        "boolean" => match text.to_ascii_lowercase().as_str() {
            "y" | "yes" | "true" => Ok(Value::Bool(true)),
            "n" | "no" | "false" => Ok(Value::Bool(false)),
            _ => Err("Answer y or n.".into()),
        },
        "integer" => {
            let number = text
                .parse::<i64>()
                .map_err(|_| "A whole number, please.".to_owned())?;
            #[allow(clippy::cast_precision_loss)]
            within(number as f64)?;
            Ok(Value::from(number))
        }
        "number" => {
            let number = text
                .parse::<f64>()
                .ok()
                .filter(|number| number.is_finite())
                .ok_or_else(|| "A number, please.".to_owned())?;
            within(number)?;
            serde_json::Number::from_f64(number)
                .map(Value::Number)
                .ok_or_else(|| "A number, please.".into())
        }
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// A default as the person would type it.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(true) => "y".into(),
        Value::Bool(false) => "n".into(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Writes `prompt` and reads one trimmed line; `None` at end of input.
fn question(lines: &mut impl BufRead, out: &mut impl Write, prompt: &str) -> Option<String> {
    let _ = write!(out, "{prompt}");
    let _ = out.flush();
    let mut line = String::new();
    match lines.read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim().to_owned()),
    }
}

/// A server's text on one bounded line (it reaches a terminal: no control characters).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form_request(schema: Value) -> ElicitRequestParams {
        serde_json::from_value(json!({
            "mode": "form", "message": "Who are you?\u{1b}[2J", "requestedSchema": schema
        }))
        .expect("a form request")
    }

    fn answered(request: &ElicitRequestParams, typed: &str) -> (ElicitResult, String) {
        let mut out = Vec::new();
        let result = ask(request, &mut typed.as_bytes(), &mut out);
        (result, String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn each_field_is_asked_typed_and_defaults_fill_the_blanks() {
        let request = form_request(json!({
            "type": "object",
            "properties": {
                "age": { "type": "integer", "title": "Age" },
                "color": { "type": "string", "enum": ["red", "blue"] },
                "hero": { "type": "string", "oneOf": [
                    { "const": "hero-1", "title": "Superman" },
                    { "const": "hero-2", "title": "Wonder Woman" }
                ] },
                "tools": { "type": "array", "items": { "type": "string", "enum": ["Guitar", "Piano"] } },
                "name": { "type": "string", "description": "Your name" },
                "nickname": { "type": "string" },
                "subscribe": { "type": "boolean", "default": true }
            },
            "required": ["name", "age"]
        }));
        // age: "x" is refused then 42; color: BLUE; hero: by its title; name: empty is
        // refused, then Ada; nickname: left out; subscribe: the default; tools: two; then send.
        let (result, shown) = answered(
            &request,
            "x\n42\nBLUE\nwonder woman\n\nAda\n\n\nGuitar, piano\ny\n",
        );
        assert_eq!(result.action, ElicitationAction::Accept);
        assert_eq!(
            result.content,
            Some(json!({
                "age": 42, "color": "blue", "hero": "hero-2", "name": "Ada", "subscribe": true,
                "tools": ["Guitar", "Piano"]
            }))
        );
        assert!(shown.contains("A whole number, please."), "{shown}");
        assert!(shown.contains("This one is required."), "{shown}");
        assert!(shown.contains("subscribe (y/n) [y]"), "{shown}");
        assert!(
            !shown.contains('\u{1b}'),
            "no escape codes from the server: {shown:?}"
        );
    }

    #[test]
    fn decline_cancel_and_end_of_input() {
        let request = form_request(json!({
            "type": "object", "properties": { "name": { "type": "string" } }
        }));
        assert_eq!(
            answered(&request, "Ada\nn\n").0.action,
            ElicitationAction::Decline
        );
        assert_eq!(
            answered(&request, "Ada\nc\n").0.action,
            ElicitationAction::Cancel
        );
        assert_eq!(answered(&request, "").0.action, ElicitationAction::Cancel);
    }

    #[test]
    fn a_url_is_shown_never_opened() {
        let request: ElicitRequestParams = serde_json::from_value(json!({
            "mode": "url", "message": "Link your account", "url": "https://example.com/link",
            "elicitationId": "1"
        }))
        .expect("a url request");
        let (result, shown) = answered(&request, "n\n");
        assert_eq!(result.action, ElicitationAction::Decline);
        assert!(shown.contains("https://example.com/link"), "{shown}");
        assert_eq!(
            answered(&request, "y\n").0.action,
            ElicitationAction::Accept
        );
    }
}
