//! OpenAI Chat Completions (`POST {base}/chat/completions`), the format of OpenAI and of every
//! OpenAI-compatible server: llama.cpp, Ollama, LM Studio, vLLM, gateways.
//!
//! Requests: the system prompt is the first message; tools go as `{"type":"function",…}`; each
//! tool result is a `role: "tool"` message whose text starts with [`ERROR_PREFIX`] when the tool
//! failed, because the format has no error flag. Tool messages cannot carry images, so a batch
//! of results with images is followed by one user message holding them as data URLs.
//!
//! Answers are read leniently, as local servers write them: `content` may be null, empty, an
//! array of parts, or stray text beside `tool_calls`; call ids are arbitrary strings; streamed
//! `delta.tool_calls` are assembled by their `index`, and the usage arrives in a last chunk
//! with no choices (`stream_options.include_usage`).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::assembly::{Assembler, Flow, StreamDecoder, tokens};
use super::conversation::{
    Event, Message, Part, Request, Response, StopReason, ToolCall, ToolResult, Usage, decimal,
};
use super::error::{self, LlmError};
use super::tool_schema;

/// Starts the text of a failed tool's result, so the model can tell failure from data.
pub const ERROR_PREFIX: &str = "Error: ";

/// The JSON body for `request`.
pub fn request_body(request: &Request, stream: bool) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = &request.system {
        messages.push(json!({ "role": "system", "content": system }));
    }
    // Images of consecutive tool results, sent after the last of them: a user message between
    // tool messages would cut the assistant turn's results apart, which OpenAI rejects.
    let mut images: Vec<Value> = Vec::new();
    for message in &request.messages {
        if let Message::ToolResult(result) = message {
            messages.push(tool_message(result, &mut images));
            continue;
        }
        flush_images(&mut messages, &mut images);
        match message {
            Message::User { text } => messages.push(json!({ "role": "user", "content": text })),
            Message::Assistant { text, tool_calls } => {
                messages.push(assistant_message(text, tool_calls));
            }
            Message::ToolResult(_) => {}
        }
    }
    flush_images(&mut messages, &mut images);

    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("messages".into(), Value::Array(messages));
    body.insert(
        max_tokens_field(&request.model).into(),
        json!(request.max_tokens),
    );
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), json!(decimal(temperature)));
    }
    if let Some(seed) = request.seed {
        body.insert("seed".into(), json!(seed));
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool_schema::normalized(&tool.input_schema),
                    },
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), json!(stream));
    if stream {
        body.insert("stream_options".into(), json!({ "include_usage": true }));
    }
    Value::Object(body)
}

/// OpenAI's reasoning models reject `max_tokens` and want `max_completion_tokens`, which older
/// local servers do not know; so the new name goes only to the models that need it.
fn max_tokens_field(model: &str) -> &'static str {
    let name = model
        .rsplit('/')
        .next()
        .unwrap_or(model)
        .to_ascii_lowercase();
    let reasoning = ["o1", "o3", "o4", "gpt-5"].iter().any(|family| {
        name.strip_prefix(family)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
    });
    if reasoning {
        "max_completion_tokens"
    } else {
        "max_tokens"
    }
}

fn assistant_message(text: &str, tool_calls: &[ToolCall]) -> Value {
    let mut assistant = Map::new();
    assistant.insert("role".into(), json!("assistant"));
    // Null rather than "" beside tool calls: that is what OpenAI itself sends.
    let content = if text.is_empty() && !tool_calls.is_empty() {
        Value::Null
    } else {
        json!(text)
    };
    assistant.insert("content".into(), content);
    if !tool_calls.is_empty() {
        let calls: Vec<Value> = tool_calls
            .iter()
            .map(|call| {
                let arguments = Value::Object(call.arguments.replayable()).to_string();
                json!({
                    "id": call.id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": arguments },
                })
            })
            .collect();
        assistant.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(assistant)
}

fn tool_message(result: &ToolResult, images: &mut Vec<Value>) -> Value {
    let mut texts = Vec::new();
    let mut image_count = 0;
    for part in &result.content {
        match part {
            Part::Text(text) => texts.push(text.clone()),
            Part::Image {
                media_type,
                data_base64,
            } => {
                if image_count == 0 {
                    images.push(json!({
                        "type": "text",
                        "text": format!("Images returned by the tool {} (call {}):", result.name, result.call_id),
                    }));
                }
                image_count += 1;
                texts.push(format!(
                    "[image {image_count} ({media_type}) follows in the next user message]"
                ));
                images.push(json!({
                    "type": "image_url",
                    "image_url": { "url": format!("data:{media_type};base64,{data_base64}") },
                }));
            }
        }
    }
    let mut text = texts.join("\n");
    if text.is_empty() {
        // Some servers reject an empty tool message.
        text = "(no output)".to_owned();
    }
    if result.is_error {
        text.insert_str(0, ERROR_PREFIX);
    }
    json!({ "role": "tool", "tool_call_id": result.call_id, "content": text })
}

fn flush_images(messages: &mut Vec<Value>, images: &mut Vec<Value>) {
    if !images.is_empty() {
        messages.push(json!({ "role": "user", "content": std::mem::take(images) }));
    }
}

/// A completion or a streamed chunk; every field optional, as lax servers send them.
#[derive(Debug, Deserialize)]
struct Completion {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    message: Option<ChoiceMessage>,
    #[serde(default)]
    delta: Option<ChoiceMessage>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Debug, Deserialize)]
struct WireToolCall {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
}

#[derive(Debug, Deserialize)]
struct WireFunction {
    #[serde(default)]
    name: Option<String>,
    /// A string per the spec; some servers send the object itself.
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<Value>,
    #[serde(default)]
    completion_tokens: Option<Value>,
}

impl WireUsage {
    fn usage(&self) -> Usage {
        Usage {
            input_tokens: tokens(self.prompt_tokens.as_ref()),
            output_tokens: tokens(self.completion_tokens.as_ref()),
        }
    }
}

fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(text)) => text.clone(),
        // Some servers send content as an array of parts.
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

fn arguments_text(function: &WireFunction) -> String {
    match &function.arguments {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "stop" => StopReason::EndTurn,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "length" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_owned()),
    }
}

fn parse_chunk(data: &str) -> Result<Completion, LlmError> {
    serde_json::from_str(data).map_err(|error| {
        LlmError::BadResponse(format!("a chat completion is not valid JSON ({error})"))
    })
}

/// Reads a complete (not streamed) answer.
pub fn parse_response(body: &str) -> Result<Response, LlmError> {
    parse_response_with(body, &mut |_| {})
}

/// Reads a complete answer, reporting its pieces as events (for servers that ignore `stream`).
pub(crate) fn parse_response_with(
    body: &str,
    on_event: &mut dyn FnMut(Event),
) -> Result<Response, LlmError> {
    if let Some(error) = embedded_error(body) {
        return Err(error);
    }
    let completion = parse_chunk(body)?;
    let mut assembler = Assembler::default();
    assembler.model(completion.model.as_deref().unwrap_or_default());
    let choice = completion
        .choices
        .and_then(|choices| choices.into_iter().next())
        .ok_or_else(|| LlmError::BadResponse("the chat completion has no choices".into()))?;
    if let Some(message) = choice.message {
        assembler.text(&content_text(message.content.as_ref()), on_event);
        for call in message.tool_calls.unwrap_or_default() {
            let function = call.function.as_ref();
            let name = function.and_then(|f| f.name.as_deref()).unwrap_or_default();
            let index =
                assembler.start_call(call.id.as_deref().unwrap_or_default(), name, on_event);
            if let Some(function) = function {
                assembler.arguments(index, &arguments_text(function), on_event);
            }
        }
    }
    if let Some(reason) = choice.finish_reason {
        assembler.stop(stop_reason(&reason));
    }
    if let Some(usage) = completion.usage {
        assembler.usage(usage.usage(), on_event);
    }
    Ok(assembler.finish())
}

/// An error object where a completion or chunk was expected.
fn embedded_error(data: &str) -> Option<LlmError> {
    let value: Value = serde_json::from_str(data).ok()?;
    if value.get("error").is_some_and(|error| !error.is_null()) && value.get("choices").is_none() {
        Some(error::from_stream(data))
    } else {
        None
    }
}

/// Reads a streamed answer (`data:` chunks, then `data: [DONE]`).
#[derive(Debug, Default)]
pub struct ChatStream {
    assembler: Assembler,
    /// The response index of each streamed call, by the index the server gave it.
    calls: HashMap<u64, usize>,
    done: bool,
}

impl ChatStream {
    pub fn new() -> Self {
        Self::default()
    }
}

impl StreamDecoder for ChatStream {
    fn feed(
        &mut self,
        _event: Option<&str>,
        data: &str,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Flow, LlmError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(Flow::Done);
        }
        if let Some(error) = embedded_error(data) {
            return Err(error);
        }
        let chunk = parse_chunk(data)?;
        self.assembler
            .model(chunk.model.as_deref().unwrap_or_default());
        for choice in chunk.choices.unwrap_or_default().into_iter().take(1) {
            if let Some(delta) = choice.delta.or(choice.message) {
                self.assembler
                    .text(&content_text(delta.content.as_ref()), on_event);
                for (position, call) in delta.tool_calls.unwrap_or_default().into_iter().enumerate()
                {
                    // Servers that omit the index send each call whole, in array order.
                    let key = call.index.unwrap_or(position as u64);
                    let function = call.function.as_ref();
                    let index = match self.calls.get(&key) {
                        Some(index) => *index,
                        None => {
                            let name = function.and_then(|f| f.name.as_deref()).unwrap_or_default();
                            let id = call.id.as_deref().unwrap_or_default();
                            let index = self.assembler.start_call(id, name, on_event);
                            self.calls.insert(key, index);
                            index
                        }
                    };
                    if let Some(function) = function {
                        self.assembler
                            .arguments(index, &arguments_text(function), on_event);
                    }
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.assembler.stop(stop_reason(&reason));
            }
        }
        if let Some(usage) = chunk.usage {
            self.assembler.usage(usage.usage(), on_event);
        }
        Ok(Flow::Continue)
    }

    fn finish(self: Box<Self>) -> Result<Response, LlmError> {
        // A finish reason without `[DONE]` is complete: sse-stream drops a last event that lacks
        // its blank line, and some servers end that way.
        let complete = self.done || self.assembler.has_stop();
        self.assembler.finish_stream(complete)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::llm::fixtures::{self, OPENAI_CHAT_JSON, OPENAI_CHAT_SSE};

    #[test]
    fn parses_the_recorded_completion() -> Result<(), LlmError> {
        fixtures::assert_recorded_call(&parse_response(OPENAI_CHAT_JSON)?);
        Ok(())
    }

    #[tokio::test]
    async fn streams_the_recorded_completion() -> Result<(), LlmError> {
        let (response, events) =
            fixtures::decode_stream(OPENAI_CHAT_SSE, Box::new(ChatStream::new())).await?;
        fixtures::assert_recorded_call(&response);
        fixtures::assert_recorded_events(&events);
        Ok(())
    }

    #[test]
    fn request_carries_tools_results_errors_and_images() {
        let body = request_body(&fixtures::sample_request(), true);
        assert_eq!(
            body,
            json!({
                "model": "test-model",
                "messages": [
                    { "role": "system", "content": "You can call tools." },
                    { "role": "user", "content": "Weather in Paris, and a chart?" },
                    { "role": "assistant", "content": null, "tool_calls": [
                        { "id": "call_a", "type": "function",
                          "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } },
                        { "id": "call_b", "type": "function",
                          "function": { "name": "chart", "arguments": "{}" } },
                    ] },
                    { "role": "tool", "tool_call_id": "call_a",
                      "content": "Error: service unavailable" },
                    { "role": "tool", "tool_call_id": "call_b",
                      "content": "a chart\n[image 1 (image/png) follows in the next user message]" },
                    { "role": "user", "content": [
                        { "type": "text", "text": "Images returned by the tool chart (call call_b):" },
                        { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=" } },
                    ] },
                    { "role": "user", "content": "Thanks. Summarize." },
                ],
                "max_tokens": 256,
                "temperature": 0.0,
                "seed": 42,
                "tools": [ { "type": "function", "function": {
                    "name": "get_weather",
                    "description": "Current weather",
                    "parameters": { "type": "object", "properties": {} },
                } } ],
                "stream": true,
                "stream_options": { "include_usage": true },
            })
        );
    }

    #[test]
    fn a_plain_request_leaves_out_what_it_does_not_use() {
        let mut request = fixtures::sample_request();
        request.tools.clear();
        request.temperature = None;
        request.seed = None;
        request.system = None;
        let body = request_body(&request, false);
        for absent in ["tools", "temperature", "seed", "stream_options"] {
            assert!(
                body.get(absent).is_none(),
                "{absent} must be left out: {body}"
            );
        }
        assert_eq!(
            body["messages"][0]["role"], "user",
            "no system message without a prompt"
        );
    }

    #[test]
    fn reasoning_models_get_max_completion_tokens() {
        for model in ["o3-mini", "o1", "gpt-5", "openai/o4-mini", "gpt-5.1"] {
            assert_eq!(max_tokens_field(model), "max_completion_tokens", "{model}");
        }
        for model in ["gpt-4o", "qwen2.5:7b", "o1x", "llama3.1"] {
            assert_eq!(max_tokens_field(model), "max_tokens", "{model}");
        }
    }

    #[test]
    fn stray_content_beside_tool_calls_is_not_the_answer() -> Result<(), LlmError> {
        let body = json!({
            "model": "m",
            "choices": [{ "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": "{",
                "tool_calls": [{ "id": "x1", "type": "function",
                    "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" } }],
            } }],
        });
        let response = parse_response(&body.to_string())?;
        assert_eq!(
            response.text, "",
            "the lone brace must not become the answer"
        );
        assert_eq!(response.stop, StopReason::ToolUse);
        assert_eq!(response.tool_calls[0].id, "x1");
        assert_eq!(response.usage, None, "no usage was reported");
        Ok(())
    }

    #[tokio::test]
    async fn streamed_stray_content_is_dropped_from_the_response() -> Result<(), LlmError> {
        let body = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"{\"}}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"r4nd0m\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}}]}\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let (response, events) = fixtures::decode_stream(body, Box::new(ChatStream::new())).await?;
        assert_eq!(response.text, "");
        assert_eq!(
            events[0],
            Event::TextDelta("{".into()),
            "events show what arrived"
        );
        assert_eq!(response.tool_calls[0].id, "r4nd0m");
        Ok(())
    }

    #[test]
    fn null_or_empty_content_is_an_empty_answer() -> Result<(), LlmError> {
        for content in [json!(null), json!("")] {
            let body = json!({ "choices": [{ "finish_reason": "stop",
                "message": { "role": "assistant", "content": content } }] });
            let response = parse_response(&body.to_string())?;
            assert_eq!(response.text, "");
            assert_eq!(response.stop, StopReason::EndTurn);
        }
        Ok(())
    }

    #[tokio::test]
    async fn interleaved_calls_are_assembled_by_index() -> Result<(), LlmError> {
        let chunk = |calls: serde_json::Value| {
            format!(
                "data: {}\n\n",
                json!({ "choices": [{ "index": 0, "delta": { "tool_calls": calls } }] })
            )
        };
        let body = [
            chunk(json!([{ "index": 0, "id": "a", "function": { "name": "one", "arguments": "" } }])),
            chunk(json!([{ "index": 1, "id": "b", "function": { "name": "two", "arguments": "{\"n\":" } }])),
            chunk(json!([{ "index": 0, "function": { "arguments": "{\"m\":1}" } }])),
            chunk(json!([{ "index": 1, "function": { "arguments": "2}" } }])),
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n".into(),
        ]
        .concat();
        let (response, _) = fixtures::decode_stream(&body, Box::new(ChatStream::new())).await?;
        let calls: Vec<(&str, serde_json::Value)> = response
            .tool_calls
            .iter()
            .map(|call| (call.name.as_str(), json!(call.arguments.as_object())))
            .collect();
        assert_eq!(
            calls,
            [("one", json!({ "m": 1 })), ("two", json!({ "n": 2 }))]
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_cut_stream_is_not_a_complete_answer() {
        let body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\n";
        let result = fixtures::decode_stream(body, Box::new(ChatStream::new())).await;
        assert!(
            matches!(result, Err(LlmError::BadResponse(_))),
            "a stream without finish reason or [DONE] is incomplete: {result:?}"
        );
    }

    #[tokio::test]
    async fn an_error_inside_the_stream_is_classified() {
        let body = "data: {\"error\":{\"message\":\"the request exceeds the available context size\",\"type\":\"exceed_context_size_error\"}}\n\n";
        let result = fixtures::decode_stream(body, Box::new(ChatStream::new())).await;
        assert!(
            matches!(result, Err(LlmError::ContextTooLong { .. })),
            "{result:?}"
        );
    }
}
