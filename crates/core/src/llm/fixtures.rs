//! The six answers recorded from a real llama.cpp server (see `tests/fixtures/llm/README.md`) and
//! what every one of them must parse to: one `get_weather` call for Paris, 173 tokens in and 17
//! out. Also a helper that streams a recorded body through sse-stream in small pieces, the way a
//! network delivers it.

use std::convert::Infallible;

use super::conversation::{
    Arguments, Event, Message, Part, Request, Response, StopReason, ToolCall, ToolResult, ToolSpec,
    Usage,
};
use super::http::{ReadFault, read_events};
use super::{LlmError, StreamDecoder};

pub(crate) const OPENAI_CHAT_JSON: &str =
    include_str!("../../tests/fixtures/llm/openai_chat_tool_call.json");
pub(crate) const OPENAI_CHAT_SSE: &str =
    include_str!("../../tests/fixtures/llm/openai_chat_tool_call.sse");
pub(crate) const ANTHROPIC_JSON: &str =
    include_str!("../../tests/fixtures/llm/anthropic_messages_tool_use.json");
pub(crate) const ANTHROPIC_SSE: &str =
    include_str!("../../tests/fixtures/llm/anthropic_messages_tool_use.sse");
pub(crate) const OPENAI_RESPONSES_JSON: &str =
    include_str!("../../tests/fixtures/llm/openai_responses_function_call.json");
pub(crate) const OPENAI_RESPONSES_SSE: &str =
    include_str!("../../tests/fixtures/llm/openai_responses_function_call.sse");

/// The model every fixture was recorded with.
pub(crate) const RECORDED_MODEL: &str = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";

/// Streams `body` through sse-stream in 7-byte pieces (so lines and events are split across
/// chunks) and `decoder`, returning the response and every event reported.
pub(crate) async fn decode_stream(
    body: &str,
    decoder: Box<dyn StreamDecoder>,
) -> Result<(Response, Vec<Event>), LlmError> {
    let pieces = body.as_bytes().chunks(7).map(Ok::<_, Infallible>);
    let events = sse_stream::SseStream::from_bytes_stream(futures::stream::iter(pieces));
    let mut seen = Vec::new();
    let response = read_events(Box::pin(events), decoder, &mut |event| seen.push(event))
        .await
        .map_err(|fault| match fault {
            ReadFault::Answer(error) => error,
            ReadFault::Body(fault) => LlmError::BadResponse(fault.to_string()),
        })?;
    Ok((response, seen))
}

/// Checks what every fixture says: one `get_weather` call for Paris, and its token counts.
pub(crate) fn assert_recorded_call(response: &Response) {
    assert_eq!(response.tool_calls.len(), 1, "one tool call: {response:?}");
    let call = &response.tool_calls[0];
    assert_eq!(call.name, "get_weather");
    assert!(!call.id.is_empty(), "the call keeps the server's id");
    let expected = serde_json::json!({ "city": "Paris" });
    assert_eq!(
        call.arguments,
        Arguments::Object(expected.as_object().cloned().unwrap_or_default()),
        "the arguments are parsed"
    );
    assert_eq!(response.stop, StopReason::ToolUse);
    assert_eq!(response.text, "", "a tool-call turn has no answer text");
    assert_eq!(
        response.usage,
        Some(Usage {
            input_tokens: 173,
            output_tokens: 17
        })
    );
    assert_eq!(response.model, RECORDED_MODEL);
}

/// Checks that the streamed events spell out the call as it arrived.
pub(crate) fn assert_recorded_events(events: &[Event]) {
    let started: Vec<&Event> = events
        .iter()
        .filter(|event| matches!(event, Event::ToolCallStarted { .. }))
        .collect();
    assert!(
        matches!(started.as_slice(), [Event::ToolCallStarted { index: 0, name, .. }] if name == "get_weather"),
        "one call started: {events:?}"
    );
    let arguments: String = events
        .iter()
        .filter_map(|event| match event {
            Event::ToolCallArgumentsDelta { index: 0, fragment } => Some(fragment.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        arguments, r#"{"city":"Paris"}"#,
        "the deltas add up to the arguments"
    );
    assert!(
        events.iter().any(|event| matches!(event, Event::Usage(_))),
        "usage is reported"
    );
}

/// A conversation with every kind of turn: a call whose tool failed, a call that returned an
/// image, and a question after them.
pub(crate) fn sample_request() -> Request {
    let object = |value: serde_json::Value| value.as_object().cloned().unwrap_or_default();
    Request {
        model: "test-model".into(),
        system: Some("You can call tools.".into()),
        messages: vec![
            Message::user("Weather in Paris, and a chart?"),
            Message::Assistant {
                text: String::new(),
                tool_calls: vec![
                    ToolCall {
                        id: "call_a".into(),
                        name: "get_weather".into(),
                        arguments: Arguments::Object(object(
                            serde_json::json!({ "city": "Paris" }),
                        )),
                    },
                    ToolCall {
                        id: "call_b".into(),
                        name: "chart".into(),
                        arguments: Arguments::Invalid("{\"kind\":".into()),
                    },
                ],
            },
            Message::ToolResult(ToolResult {
                call_id: "call_a".into(),
                name: "get_weather".into(),
                is_error: true,
                content: vec![Part::Text("service unavailable".into())],
            }),
            Message::ToolResult(ToolResult {
                call_id: "call_b".into(),
                name: "chart".into(),
                is_error: false,
                content: vec![
                    Part::Text("a chart".into()),
                    Part::Image {
                        media_type: "image/png".into(),
                        data_base64: "iVBORw0KGgo=".into(),
                    },
                ],
            }),
            Message::user("Thanks. Summarize."),
        ],
        tools: vec![ToolSpec {
            name: "get_weather".into(),
            description: "Current weather".into(),
            input_schema: serde_json::json!({ "type": "object" }),
        }],
        max_tokens: 256,
        temperature: Some(0.0),
        seed: Some(42),
    }
}
