//! Anthropic Messages (`POST {base}/messages`, with `x-api-key` and `anthropic-version`), spoken
//! by Anthropic and by llama.cpp's compatible endpoint.
//!
//! Requests: the system prompt is a field; an assistant turn is text and `tool_use` blocks; tool
//! results are `tool_result` blocks in a user message, with `is_error` and image blocks inside.
//! Adjacent turns of the same role are merged into one message, since all results of a turn
//! must sit in the one user message that follows it. Streams are read block by block:
//! `content_block_start` opens text or a tool call, `content_block_delta` carries `text_delta`
//! or `input_json_delta`, `message_delta` the stop reason and output tokens.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::assembly::{Assembler, Flow, StreamDecoder, tokens};
use super::conversation::{
    Event, Message, Part, Request, Response, StopReason, ToolResult, Usage, decimal,
};
use super::error::{self, LlmError};
use super::tool_schema;

/// The API version every request names; the one Anthropic's documentation uses throughout.
pub const API_VERSION: &str = "2023-06-01";

/// The JSON body for `request`. Anthropic has no seed, so [`Request::seed`] is not sent.
pub fn request_body(request: &Request, stream: bool) -> Value {
    let mut messages: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for message in &request.messages {
        let (role, blocks) = match message {
            Message::User { text } => ("user", text_block(text).into_iter().collect()),
            Message::Assistant { text, tool_calls } => {
                let mut blocks: Vec<Value> = text_block(text).into_iter().collect();
                blocks.extend(tool_calls.iter().map(|call| {
                    json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": Value::Object(call.arguments.replayable()),
                    })
                }));
                ("assistant", blocks)
            }
            Message::ToolResult(result) => ("user", vec![tool_result_block(result)]),
        };
        // Anthropic rejects empty content; an empty turn carries nothing for the model anyway.
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => messages.push((role, blocks)),
        }
    }
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect();

    let mut body = Map::new();
    body.insert("model".into(), json!(request.model));
    body.insert("max_tokens".into(), json!(request.max_tokens));
    if let Some(system) = &request.system {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), Value::Array(messages));
    if let Some(temperature) = request.temperature {
        body.insert("temperature".into(), json!(decimal(temperature)));
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool_schema::normalized(&tool.input_schema),
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), json!(stream));
    Value::Object(body)
}

/// Anthropic rejects empty text blocks.
fn text_block(text: &str) -> Option<Value> {
    (!text.is_empty()).then(|| json!({ "type": "text", "text": text }))
}

fn tool_result_block(result: &ToolResult) -> Value {
    let mut content: Vec<Value> = result
        .content
        .iter()
        .filter_map(|part| match part {
            Part::Text(text) => text_block(text),
            Part::Image {
                media_type,
                data_base64,
            } => Some(json!({
                "type": "image",
                "source": { "type": "base64", "media_type": media_type, "data": data_base64 },
            })),
        })
        .collect();
    if content.is_empty() {
        content.push(json!({ "type": "text", "text": "(no output)" }));
    }
    let mut block = Map::new();
    block.insert("type".into(), json!("tool_result"));
    block.insert("tool_use_id".into(), json!(result.call_id));
    if result.is_error {
        block.insert("is_error".into(), json!(true));
    }
    block.insert("content".into(), Value::Array(content));
    Value::Object(block)
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<Value>,
    #[serde(default)]
    output_tokens: Option<Value>,
    #[serde(default)]
    cache_creation_input_tokens: Option<Value>,
    #[serde(default)]
    cache_read_input_tokens: Option<Value>,
}

impl WireUsage {
    /// Anthropic counts cached input apart; [`Usage::input_tokens`] is everything read.
    fn input(&self) -> Option<u64> {
        let parts = [
            &self.input_tokens,
            &self.cache_creation_input_tokens,
            &self.cache_read_input_tokens,
        ];
        parts
            .iter()
            .any(|part| part.is_some())
            .then(|| parts.iter().map(|part| tokens(part.as_ref())).sum())
    }
}

#[derive(Debug, Deserialize)]
struct WireMessage {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" => StopReason::MaxTokens,
        other => StopReason::Other(other.to_owned()),
    }
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn is_error(value: &Value) -> bool {
    str_field(value, "type") == "error"
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
    let value: Value = serde_json::from_str(body)
        .map_err(|error| LlmError::BadResponse(format!("a message is not valid JSON ({error})")))?;
    if is_error(&value) {
        return Err(error::from_stream(body));
    }
    let message: WireMessage = serde_json::from_value(value).map_err(|error| {
        LlmError::BadResponse(format!("a message has an unexpected shape ({error})"))
    })?;
    let mut assembler = Assembler::default();
    assembler.model(message.model.as_deref().unwrap_or_default());
    for block in &message.content {
        match str_field(block, "type") {
            "text" => assembler.text(str_field(block, "text"), on_event),
            "tool_use" => {
                let index = assembler.start_call(
                    str_field(block, "id"),
                    str_field(block, "name"),
                    on_event,
                );
                let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
                assembler.arguments(index, &input.to_string(), on_event);
            }
            // Thinking and server-tool blocks are not part of the answer.
            _ => {}
        }
    }
    if let Some(reason) = &message.stop_reason {
        assembler.stop(stop_reason(reason));
    }
    if let Some(usage) = &message.usage {
        let usage = Usage {
            input_tokens: usage.input().unwrap_or(0),
            output_tokens: tokens(usage.output_tokens.as_ref()),
        };
        assembler.usage(usage, on_event);
    }
    Ok(assembler.finish())
}

/// Reads a streamed answer (`message_start` … `message_stop`).
#[derive(Debug, Default)]
pub struct MessagesStream {
    assembler: Assembler,
    /// The response index of each tool call, by its content block index.
    calls: HashMap<u64, usize>,
    /// Input tokens from `message_start`; `message_delta` reports only output on older servers.
    input_tokens: u64,
    done: bool,
}

impl MessagesStream {
    pub fn new() -> Self {
        Self::default()
    }
}

impl StreamDecoder for MessagesStream {
    fn feed(
        &mut self,
        _event: Option<&str>,
        data: &str,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Flow, LlmError> {
        let value: Value = serde_json::from_str(data).map_err(|error| {
            LlmError::BadResponse(format!("a stream event is not valid JSON ({error})"))
        })?;
        let block_index = value.get("index").and_then(Value::as_u64).unwrap_or(0);
        match str_field(&value, "type") {
            "message_start" => {
                let message = value.get("message").unwrap_or(&Value::Null);
                self.assembler.model(str_field(message, "model"));
                if let Some(usage) = message.get("usage") {
                    let usage: WireUsage =
                        serde_json::from_value(usage.clone()).unwrap_or_default();
                    self.input_tokens = usage.input().unwrap_or(0);
                }
            }
            "content_block_start" => {
                let block = value.get("content_block").unwrap_or(&Value::Null);
                match str_field(block, "type") {
                    "text" => self.assembler.text(str_field(block, "text"), on_event),
                    "tool_use" => {
                        let index = self.assembler.start_call(
                            str_field(block, "id"),
                            str_field(block, "name"),
                            on_event,
                        );
                        self.calls.insert(block_index, index);
                        // The block opens with an empty `input`; arguments come as deltas.
                        if let Some(input) = block.get("input").filter(|input| {
                            input.as_object().is_some_and(|object| !object.is_empty())
                        }) {
                            self.assembler
                                .arguments(index, &input.to_string(), on_event);
                        }
                    }
                    _ => {}
                }
            }
            "content_block_delta" => {
                let delta = value.get("delta").unwrap_or(&Value::Null);
                match str_field(delta, "type") {
                    "text_delta" => self.assembler.text(str_field(delta, "text"), on_event),
                    "input_json_delta" => {
                        if let Some(index) = self.calls.get(&block_index) {
                            let fragment = str_field(delta, "partial_json");
                            self.assembler.arguments(*index, fragment, on_event);
                        }
                    }
                    // Thinking and signature deltas are not part of the answer.
                    _ => {}
                }
            }
            "message_delta" => {
                if let Some(reason) = value.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.assembler.stop(stop_reason(reason));
                }
                if let Some(usage) = value.get("usage") {
                    let usage: WireUsage =
                        serde_json::from_value(usage.clone()).unwrap_or_default();
                    let usage = Usage {
                        input_tokens: usage.input().unwrap_or(self.input_tokens),
                        output_tokens: tokens(usage.output_tokens.as_ref()),
                    };
                    self.assembler.usage(usage, on_event);
                }
            }
            "message_stop" => {
                self.done = true;
                return Ok(Flow::Done);
            }
            "error" => return Err(error::from_stream(data)),
            // `ping`, `content_block_stop` and types added later carry nothing we use.
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn finish(self: Box<Self>) -> Result<Response, LlmError> {
        let complete = self.done || self.assembler.has_stop();
        self.assembler.finish_stream(complete)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::llm::Arguments;
    use crate::llm::fixtures::{self, ANTHROPIC_JSON, ANTHROPIC_SSE};

    #[test]
    fn parses_the_recorded_message() -> Result<(), LlmError> {
        fixtures::assert_recorded_call(&parse_response(ANTHROPIC_JSON)?);
        Ok(())
    }

    #[tokio::test]
    async fn streams_the_recorded_message() -> Result<(), LlmError> {
        let (response, events) =
            fixtures::decode_stream(ANTHROPIC_SSE, Box::new(MessagesStream::new())).await?;
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
                "max_tokens": 256,
                "system": "You can call tools.",
                "messages": [
                    { "role": "user", "content": [
                        { "type": "text", "text": "Weather in Paris, and a chart?" },
                    ] },
                    { "role": "assistant", "content": [
                        { "type": "tool_use", "id": "call_a", "name": "get_weather",
                          "input": { "city": "Paris" } },
                        { "type": "tool_use", "id": "call_b", "name": "chart", "input": {} },
                    ] },
                    { "role": "user", "content": [
                        { "type": "tool_result", "tool_use_id": "call_a", "is_error": true,
                          "content": [{ "type": "text", "text": "service unavailable" }] },
                        { "type": "tool_result", "tool_use_id": "call_b", "content": [
                            { "type": "text", "text": "a chart" },
                            { "type": "image", "source": { "type": "base64",
                              "media_type": "image/png", "data": "iVBORw0KGgo=" } },
                        ] },
                        { "type": "text", "text": "Thanks. Summarize." },
                    ] },
                ],
                "temperature": 0.0,
                "tools": [{
                    "name": "get_weather",
                    "description": "Current weather",
                    "input_schema": { "type": "object", "properties": {} },
                }],
                "stream": true,
            }),
            "results of one turn share one user message; Anthropic has no seed"
        );
    }

    #[test]
    fn text_before_a_tool_call_is_not_the_answer() -> Result<(), LlmError> {
        let body = json!({
            "model": "claude-test",
            "content": [
                { "type": "text", "text": "Let me check." },
                { "type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {} },
            ],
            "stop_reason": "tool_use",
            "usage": { "input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 5 },
        });
        let response = parse_response(&body.to_string())?;
        assert_eq!(response.text, "");
        assert_eq!(
            response.tool_calls[0].arguments,
            Arguments::Object(Map::new())
        );
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: 100,
                output_tokens: 5
            }),
            "cached input counts as input"
        );
        Ok(())
    }

    #[tokio::test]
    async fn streamed_text_and_stop_reasons() -> Result<(), LlmError> {
        let body = concat!(
            "event: message_start\n",
            "data: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-test\",\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\n",
            "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: ping\ndata: {\"type\":\"ping\"}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"It is \"}}\n\n",
            "event: content_block_delta\n",
            "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"sunny.\"}}\n\n",
            "event: message_delta\n",
            "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":{\"output_tokens\":4}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        let (response, events) =
            fixtures::decode_stream(body, Box::new(MessagesStream::new())).await?;
        assert_eq!(response.text, "It is sunny.");
        assert_eq!(response.stop, StopReason::MaxTokens);
        assert_eq!(response.model, "claude-test");
        assert_eq!(
            response.usage,
            Some(Usage {
                input_tokens: 12,
                output_tokens: 4
            })
        );
        assert_eq!(events[0], Event::TextDelta("It is ".into()));
        Ok(())
    }

    #[tokio::test]
    async fn an_error_event_ends_the_stream() {
        let body = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let result = fixtures::decode_stream(body, Box::new(MessagesStream::new())).await;
        assert_eq!(
            result.err(),
            Some(LlmError::Provider {
                status: None,
                message: "Overloaded".into()
            })
        );
    }
}
