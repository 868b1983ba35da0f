//! The Anthropic Messages wire format of the model peer: `message` bodies, the SSE event
//! sequence, `/v1/models` and `{"type": "error", "error": {type, message}}` bodies, shaped as the
//! real API (and llama.cpp, `shared/fixtures/llm/anthropic_messages_tool_use.*`) sends them.
//!
//! A streamed answer is `message_start` (input tokens, one output token, as the real API
//! reports), a `ping`, then per content block `content_block_start`, `content_block_delta`
//! fragments (`text_delta`, or `input_json_delta` with `partial_json` for a `tool_use` block) and
//! `content_block_stop`; then `message_delta` (`stop_reason`, cumulative output tokens) and
//! `message_stop`. Stray text beside tool calls is a text block before the `tool_use` blocks.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{Exchange, Message, OUTPUT_TOKENS, fragments, header_text};

fn id(exchange: &Exchange) -> String {
    format!("msg_peer_{}", exchange.answer)
}

fn stop_reason(message: &Message) -> &'static str {
    if message.calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    }
}

/// The non-streamed `message` body.
pub(super) fn message(message: &Message, exchange: &Exchange) -> Value {
    let mut content: Vec<Value> = message
        .text
        .iter()
        .map(|text| json!({ "type": "text", "text": text }))
        .collect();
    content.extend(message.calls.iter().map(|call| {
        // `input` is always an object from the real API; unparseable arguments can only be
        // passed on as the raw string.
        let input = serde_json::from_str(&call.arguments)
            .unwrap_or_else(|_| Value::String(call.arguments.clone()));
        json!({ "type": "tool_use", "id": call.id, "name": call.name, "input": input })
    }));
    json!({
        "id": id(exchange),
        "type": "message",
        "role": "assistant",
        "model": exchange.model,
        "content": content,
        "stop_reason": stop_reason(message),
        "stop_sequence": null,
        "usage": { "input_tokens": exchange.input_tokens, "output_tokens": OUTPUT_TOKENS },
    })
}

/// One SSE event; its name repeats the data's `type`, as the real API sends it.
fn event(data: &Value) -> String {
    let name = data.get("type").and_then(Value::as_str).unwrap_or_default();
    format!("event: {name}\ndata: {data}\n\n")
}

fn opening_events(exchange: &Exchange) -> Vec<String> {
    vec![
        event(&json!({ "type": "message_start", "message": {
            "id": id(exchange),
            "type": "message",
            "role": "assistant",
            "content": [],
            "model": exchange.model,
            "stop_reason": null,
            "stop_sequence": null,
            // The real API counts one output token here and the total in message_delta: a
            // client that adds the two is off by one.
            "usage": { "input_tokens": exchange.input_tokens, "output_tokens": 1 },
        }})),
        event(&json!({ "type": "ping" })),
    ]
}

fn text_block(index: usize, text: &str) -> Vec<String> {
    let mut events = vec![event(&json!({
        "type": "content_block_start",
        "index": index,
        "content_block": { "type": "text", "text": "" },
    }))];
    for fragment in fragments(text) {
        events.push(event(&json!({
            "type": "content_block_delta",
            "index": index,
            "delta": { "type": "text_delta", "text": fragment },
        })));
    }
    events
}

fn block_stop(index: usize) -> String {
    event(&json!({ "type": "content_block_stop", "index": index }))
}

/// The SSE events of a streamed answer.
pub(super) fn events(message: &Message, exchange: &Exchange) -> Vec<String> {
    let mut events = opening_events(exchange);
    let mut index = 0;
    if let Some(text) = &message.text {
        events.extend(text_block(index, text));
        events.push(block_stop(index));
        index += 1;
    }
    for call in &message.calls {
        events.push(event(&json!({
            "type": "content_block_start",
            "index": index,
            "content_block": { "type": "tool_use", "id": call.id, "name": call.name, "input": {} },
        })));
        for fragment in fragments(&call.arguments) {
            events.push(event(&json!({
                "type": "content_block_delta",
                "index": index,
                "delta": { "type": "input_json_delta", "partial_json": fragment },
            })));
        }
        events.push(block_stop(index));
        index += 1;
    }
    events.push(event(&json!({
        "type": "message_delta",
        "delta": { "stop_reason": stop_reason(message), "stop_sequence": null },
        "usage": { "output_tokens": OUTPUT_TOKENS },
    })));
    events.push(event(&json!({ "type": "message_stop" })));
    events
}

/// The first events of a text answer that never finishes.
pub(super) fn unfinished_events(text: &str, exchange: &Exchange) -> Vec<String> {
    let mut events = opening_events(exchange);
    events.extend(text_block(0, text));
    events
}

/// The 400 message for a request the real API would refuse before answering; `None` if fine.
pub(super) fn validate(headers: &HeaderMap, body: &Value) -> Option<String> {
    if header_text(headers, "anthropic-version").is_none() {
        return Some("anthropic-version: header is required".into());
    }
    if !body.is_object() {
        return Some("There was an issue with your request body: invalid JSON".into());
    }
    for field in ["model", "messages", "max_tokens"] {
        if body.get(field).is_none() {
            return Some(format!("{field}: Field required"));
        }
    }
    None
}

/// The error body the real API sends for `status`, with `message` when given.
pub(super) fn error_body(status: u16, message: Option<&str>, model: &str) -> Value {
    let (kind, default) = match status {
        400 => (
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum".to_owned(),
        ),
        401 => ("authentication_error", "invalid x-api-key".to_owned()),
        403 => (
            "permission_error",
            "Your API key does not have permission to use the specified resource.".to_owned(),
        ),
        404 => ("not_found_error", format!("model: {model}")),
        413 => (
            "request_too_large",
            "Request exceeds the maximum allowed number of bytes.".to_owned(),
        ),
        429 => (
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit.".to_owned(),
        ),
        529 => ("overloaded_error", "Overloaded".to_owned()),
        500.. => ("api_error", "Internal server error".to_owned()),
        _ => (
            "invalid_request_error",
            format!("The request failed with status {status}."),
        ),
    };
    json!({
        "type": "error",
        "error": { "type": kind, "message": message.map(str::to_owned).unwrap_or(default) },
    })
}

/// The 401 body for a request with no `x-api-key` header.
pub(super) fn missing_key_body() -> Value {
    error_body(401, Some("x-api-key header is required"), "")
}

/// `GET /v1/models` with `anthropic-version`.
pub(super) fn models(models: &[String]) -> Value {
    let data: Vec<Value> = models
        .iter()
        .map(|model| {
            json!({
                "type": "model",
                "id": model,
                "display_name": model,
                "created_at": "2025-01-01T00:00:00Z",
            })
        })
        .collect();
    json!({
        "data": data,
        "has_more": false,
        "first_id": models.first(),
        "last_id": models.last(),
    })
}
