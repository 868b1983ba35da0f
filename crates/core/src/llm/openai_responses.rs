//! OpenAI Responses output, read only: Patchbay sends Chat Completions, but servers and recorded
//! transcripts also speak this newer format, and reading it costs little. Text arrives in
//! `message` items (`output_text` parts), tool calls in `function_call` items with their
//! `call_id`; streamed, `response.output_item.added` opens a call and
//! `response.function_call_arguments.delta` extends it, `response.completed` ends the answer.
//!
//! The format has no stop reason: a completed response with calls stopped for them, an
//! `incomplete` one says why in `incomplete_details.reason`. Stream events name their call by
//! `output_index` on OpenAI and only by `item_id` on llama.cpp (which puts the `call_id` there
//! and gives its items no `id`), so both keys are recorded.

use std::collections::HashMap;

use serde_json::Value;

use super::assembly::{Assembler, Flow, StreamDecoder, tokens};
use super::conversation::{Event, Response, StopReason, Usage};
use super::error::{self, LlmError};

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn usage(response: &Value) -> Option<Usage> {
    let usage = response.get("usage").filter(|usage| usage.is_object())?;
    Some(Usage {
        input_tokens: tokens(usage.get("input_tokens")),
        output_tokens: tokens(usage.get("output_tokens")),
    })
}

/// The stop reason of a finished response object, or the error it failed with.
fn stop_reason(response: &Value) -> Result<StopReason, LlmError> {
    match str_field(response, "status") {
        "completed" | "" => Ok(StopReason::EndTurn),
        "incomplete" => {
            match response
                .pointer("/incomplete_details/reason")
                .and_then(Value::as_str)
            {
                Some("max_output_tokens") => Ok(StopReason::MaxTokens),
                Some(reason) => Ok(StopReason::Other(reason.to_owned())),
                None => Ok(StopReason::Other("incomplete".to_owned())),
            }
        }
        "failed" => Err(error::from_stream(&response.to_string())),
        other => Ok(StopReason::Other(other.to_owned())),
    }
}

/// Reads a complete (not streamed) response object.
pub fn parse_response(body: &str) -> Result<Response, LlmError> {
    let response: Value = serde_json::from_str(body).map_err(|error| {
        LlmError::BadResponse(format!("a response is not valid JSON ({error})"))
    })?;
    if response.get("error").is_some_and(|error| !error.is_null())
        && response.get("output").is_none()
    {
        return Err(error::from_stream(body));
    }
    let ignore = &mut |_: Event| {};
    let mut assembler = Assembler::default();
    assembler.model(str_field(&response, "model"));
    let output = response.get("output").and_then(Value::as_array);
    for item in output.into_iter().flatten() {
        match str_field(item, "type") {
            "message" => {
                let parts = item.get("content").and_then(Value::as_array);
                for part in parts.into_iter().flatten() {
                    if str_field(part, "type") == "output_text" {
                        assembler.text(str_field(part, "text"), ignore);
                    }
                }
            }
            "function_call" => {
                let index = assembler.start_call(
                    str_field(item, "call_id"),
                    str_field(item, "name"),
                    ignore,
                );
                assembler.arguments(index, str_field(item, "arguments"), ignore);
            }
            // Reasoning and built-in tool items are not part of the answer.
            _ => {}
        }
    }
    assembler.stop(stop_reason(&response)?);
    if let Some(usage) = usage(&response) {
        assembler.usage(usage, ignore);
    }
    Ok(assembler.finish())
}

/// Reads a streamed response (`response.created` … `response.completed`).
#[derive(Debug, Default)]
pub struct ResponsesStream {
    assembler: Assembler,
    /// The response index of each call, by `output_index`.
    by_output_index: HashMap<u64, usize>,
    /// The response index of each call, by its item `id` and its `call_id`.
    by_item_id: HashMap<String, usize>,
    done: bool,
}

impl ResponsesStream {
    pub fn new() -> Self {
        Self::default()
    }

    fn call_index(&self, event: &Value) -> Option<usize> {
        let by_output = event
            .get("output_index")
            .and_then(Value::as_u64)
            .and_then(|output| self.by_output_index.get(&output));
        let by_item = || self.by_item_id.get(str_field(event, "item_id"));
        by_output.or_else(by_item).copied()
    }

    fn start_call(
        &mut self,
        event: &Value,
        item: &Value,
        on_event: &mut dyn FnMut(Event),
    ) -> usize {
        let index = self.assembler.start_call(
            str_field(item, "call_id"),
            str_field(item, "name"),
            on_event,
        );
        if let Some(output) = event.get("output_index").and_then(Value::as_u64) {
            self.by_output_index.insert(output, index);
        }
        for key in [str_field(item, "id"), str_field(item, "call_id")] {
            if !key.is_empty() {
                self.by_item_id.insert(key.to_owned(), index);
            }
        }
        index
    }
}

impl StreamDecoder for ResponsesStream {
    fn feed(
        &mut self,
        _event: Option<&str>,
        data: &str,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Flow, LlmError> {
        let event: Value = serde_json::from_str(data).map_err(|error| {
            LlmError::BadResponse(format!("a stream event is not valid JSON ({error})"))
        })?;
        let item = event.get("item").unwrap_or(&Value::Null);
        let is_call = str_field(item, "type") == "function_call";
        match str_field(&event, "type") {
            "response.created" | "response.in_progress" => {
                let response = event.get("response").unwrap_or(&Value::Null);
                self.assembler.model(str_field(response, "model"));
            }
            "response.output_item.added" if is_call => {
                let index = self.start_call(&event, item, on_event);
                self.assembler
                    .arguments(index, str_field(item, "arguments"), on_event);
            }
            "response.function_call_arguments.delta" => {
                if let Some(index) = self.call_index(&event) {
                    self.assembler
                        .arguments(index, str_field(&event, "delta"), on_event);
                }
            }
            "response.output_item.done" if is_call => {
                // Servers that skip the deltas still send the whole call here.
                let index = match self.call_index(&event).or_else(|| {
                    let by_id = |key: &str| self.by_item_id.get(str_field(item, key)).copied();
                    by_id("id").or_else(|| by_id("call_id"))
                }) {
                    Some(index) => index,
                    None => self.start_call(&event, item, on_event),
                };
                if !self.assembler.has_arguments(index) {
                    self.assembler
                        .arguments(index, str_field(item, "arguments"), on_event);
                }
            }
            "response.output_text.delta" => {
                self.assembler.text(str_field(&event, "delta"), on_event);
            }
            "response.completed" | "response.incomplete" | "response.failed" => {
                let response = event.get("response").unwrap_or(&Value::Null);
                self.assembler.model(str_field(response, "model"));
                self.assembler.stop(stop_reason(response)?);
                if let Some(usage) = usage(response) {
                    self.assembler.usage(usage, on_event);
                }
                self.done = true;
                return Ok(Flow::Done);
            }
            "error" => return Err(error::from_stream(data)),
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn finish(self: Box<Self>) -> Result<Response, LlmError> {
        self.assembler.finish_stream(self.done)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::llm::fixtures::{self, OPENAI_RESPONSES_JSON, OPENAI_RESPONSES_SSE};

    #[test]
    fn parses_the_recorded_response() -> Result<(), LlmError> {
        fixtures::assert_recorded_call(&parse_response(OPENAI_RESPONSES_JSON)?);
        Ok(())
    }

    #[tokio::test]
    async fn streams_the_recorded_response() -> Result<(), LlmError> {
        let (response, events) =
            fixtures::decode_stream(OPENAI_RESPONSES_SSE, Box::new(ResponsesStream::new())).await?;
        fixtures::assert_recorded_call(&response);
        fixtures::assert_recorded_events(&events);
        Ok(())
    }

    #[test]
    fn text_output_and_incomplete_answers() -> Result<(), LlmError> {
        let body = json!({
            "model": "gpt-test",
            "status": "incomplete",
            "incomplete_details": { "reason": "max_output_tokens" },
            "output": [{ "type": "message", "role": "assistant",
                "content": [{ "type": "output_text", "text": "It is sun" }] }],
        });
        let response = parse_response(&body.to_string())?;
        assert_eq!(response.text, "It is sun");
        assert_eq!(response.stop, StopReason::MaxTokens);
        Ok(())
    }

    #[tokio::test]
    async fn deltas_are_matched_by_output_index() -> Result<(), LlmError> {
        // OpenAI's own shape: items have an `id` distinct from `call_id`, events an output_index.
        let body = concat!(
            "data: {\"type\":\"response.output_item.added\",\"output_index\":1,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_1\",\"name\":\"f\",\"arguments\":\"\"}}\n\n",
            "data: {\"type\":\"response.function_call_arguments.delta\",\"output_index\":1,\"item_id\":\"fc_1\",\"delta\":\"{\\\"a\\\":1}\"}\n\n",
            "data: {\"type\":\"response.output_item.done\",\"output_index\":1,\"item\":{\"type\":\"function_call\",\"id\":\"fc_1\",\"call_id\":\"call_1\",\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}\n\n",
            "data: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\",\"model\":\"gpt-test\",\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}}\n\n",
        );
        let (response, _) = fixtures::decode_stream(body, Box::new(ResponsesStream::new())).await?;
        assert_eq!(
            response.tool_calls.len(),
            1,
            "done must not add the call twice"
        );
        assert_eq!(
            response.tool_calls[0].id, "call_1",
            "the call id, not the item id"
        );
        assert_eq!(
            json!(response.tool_calls[0].arguments.as_object()),
            json!({ "a": 1 }),
            "arguments must not be doubled by the done event"
        );
        Ok(())
    }
}
