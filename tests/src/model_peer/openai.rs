//! The OpenAI Chat Completions wire format of the model peer: `chat.completion` bodies,
//! `chat.completion.chunk` SSE events, `/v1/models` and `{"error": {message, type, param, code}}`
//! bodies, shaped as the real API (and llama.cpp, `shared/fixtures/llm/openai_chat_tool_call.*`)
//! sends them.
//!
//! A streamed answer is: a role chunk; text as `delta.content` fragments; each call as a chunk
//! with `index`, `id`, `type`, `function.name` and empty `arguments`, then its arguments in
//! `delta.tool_calls[{index, function: {arguments}}]` fragments; a chunk with an empty delta and
//! the `finish_reason`; a usage chunk with no choices; `data: [DONE]`. The usage chunk is always
//! sent (the real API sends it only with `stream_options.include_usage`; llama.cpp always does).

use serde_json::{Value, json};

use super::{Exchange, Message, OUTPUT_TOKENS, fragments};

fn usage(exchange: &Exchange) -> Value {
    json!({
        "completion_tokens": OUTPUT_TOKENS,
        "prompt_tokens": exchange.input_tokens,
        "total_tokens": exchange.input_tokens + OUTPUT_TOKENS,
    })
}

fn id(exchange: &Exchange) -> String {
    format!("chatcmpl-peer-{}", exchange.answer)
}

fn finish_reason(message: &Message) -> &'static str {
    if message.calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    }
}

/// The non-streamed `chat.completion` body.
pub(super) fn completion(message: &Message, exchange: &Exchange) -> Value {
    let mut reply = json!({
        "role": "assistant",
        // The real API sends null beside tool calls and no text.
        "content": message.text,
    });
    if !message.calls.is_empty() {
        reply["tool_calls"] = message
            .calls
            .iter()
            .map(|call| {
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": call.arguments },
                })
            })
            .collect();
    }
    json!({
        "id": id(exchange),
        "object": "chat.completion",
        "created": exchange.created,
        "model": exchange.model,
        "choices": [{
            "index": 0,
            "message": reply,
            "finish_reason": finish_reason(message),
        }],
        "usage": usage(exchange),
    })
}

/// One `data:` event carrying a chunk with one choice.
fn chunk(exchange: &Exchange, delta: Value, finish_reason: Option<&str>) -> String {
    let chunk = json!({
        "id": id(exchange),
        "object": "chat.completion.chunk",
        "created": exchange.created,
        "model": exchange.model,
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
    });
    format!("data: {chunk}\n\n")
}

fn opening_events(text: Option<&str>, exchange: &Exchange) -> Vec<String> {
    // A text answer opens with empty content, a tool-call answer with null (as recorded).
    let opening = if text.is_some() {
        json!("")
    } else {
        Value::Null
    };
    let mut events = vec![chunk(
        exchange,
        json!({ "role": "assistant", "content": opening }),
        None,
    )];
    for fragment in text.map(fragments).unwrap_or_default() {
        events.push(chunk(exchange, json!({ "content": fragment }), None));
    }
    events
}

/// The SSE events of a streamed answer, `[DONE]` included.
pub(super) fn events(message: &Message, exchange: &Exchange) -> Vec<String> {
    let mut events = opening_events(message.text.as_deref(), exchange);
    for (index, call) in message.calls.iter().enumerate() {
        let opening = json!({ "tool_calls": [{
            "index": index,
            "id": call.id,
            "type": "function",
            "function": { "name": call.name, "arguments": "" },
        }]});
        events.push(chunk(exchange, opening, None));
        for fragment in fragments(&call.arguments) {
            let delta = json!({ "tool_calls": [{
                "index": index,
                "function": { "arguments": fragment },
            }]});
            events.push(chunk(exchange, delta, None));
        }
    }
    events.push(chunk(exchange, json!({}), Some(finish_reason(message))));
    let usage_chunk = json!({
        "id": id(exchange),
        "object": "chat.completion.chunk",
        "created": exchange.created,
        "model": exchange.model,
        "choices": [],
        "usage": usage(exchange),
    });
    events.push(format!("data: {usage_chunk}\n\n"));
    events.push("data: [DONE]\n\n".into());
    events
}

/// The first events of a text answer that never finishes.
pub(super) fn unfinished_events(text: &str, exchange: &Exchange) -> Vec<String> {
    opening_events(Some(text), exchange)
}

/// The 400 message for a request the real API would refuse before answering; `None` if fine.
pub(super) fn validate(body: &Value) -> Option<String> {
    if !body.is_object() {
        return Some(
            "We could not parse the JSON body of your request. (HINT: This likely means you \
             aren't using your HTTP library correctly.)"
                .into(),
        );
    }
    if body.get("model").and_then(Value::as_str).is_none() {
        return Some("you must provide a model parameter".into());
    }
    if !body.get("messages").is_some_and(Value::is_array) {
        return Some("Missing required parameter: 'messages'.".into());
    }
    None
}

/// The error body the real API sends for `status`; with `message`, that message and no `code`
/// or `param`.
pub(super) fn error_body(status: u16, message: Option<&str>, model: &str) -> Value {
    let (kind, code, param, default) = match status {
        400 => (
            "invalid_request_error",
            Some("context_length_exceeded"),
            Some("messages"),
            "This model's maximum context length is 128000 tokens. However, your messages \
             resulted in 131072 tokens. Please reduce the length of the messages."
                .to_owned(),
        ),
        401 => (
            "invalid_request_error",
            Some("invalid_api_key"),
            None,
            "Incorrect API key provided. You can find your API key at \
             https://platform.openai.com/account/api-keys."
                .to_owned(),
        ),
        403 => (
            "invalid_request_error",
            Some("unsupported_country_region_territory"),
            None,
            "Country, region, or territory not supported".to_owned(),
        ),
        404 => (
            "invalid_request_error",
            Some("model_not_found"),
            None,
            format!("The model `{model}` does not exist or you do not have access to it."),
        ),
        429 => (
            "requests",
            Some("rate_limit_exceeded"),
            None,
            "Rate limit reached for requests. Please try again in 1s.".to_owned(),
        ),
        500.. => (
            "server_error",
            None,
            None,
            "The server had an error while processing your request. Sorry about that!".to_owned(),
        ),
        _ => (
            "invalid_request_error",
            None,
            None,
            format!("The request failed with status {status}."),
        ),
    };
    // A message of the caller's own is a different error of the same kind: its code and param
    // would be guesses.
    let (message, code, param) = match message {
        Some(message) => (message.to_owned(), None, None),
        None => (default, code, param),
    };
    json!({ "error": { "message": message, "type": kind, "param": param, "code": code } })
}

/// The 401 body for a request with no `Authorization` header.
pub(super) fn missing_key_body() -> Value {
    json!({ "error": {
        "message": "You didn't provide an API key. You need to provide your API key in an \
                    Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "type": "invalid_request_error",
        "param": null,
        "code": null,
    }})
}

/// `GET /v1/models`.
pub(super) fn models(models: &[String]) -> Value {
    let data: Vec<Value> = models
        .iter()
        .map(|model| json!({ "id": model, "object": "model", "created": 1_700_000_000, "owned_by": "patchbay-tests" }))
        .collect();
    json!({ "object": "list", "data": data })
}
