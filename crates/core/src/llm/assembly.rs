//! Building one [`Response`] out of a provider's pieces. Every wire format, streamed or not, feeds
//! an [`Assembler`]: it forwards each piece as an [`Event`], keeps tool calls in the order they
//! started, and at the end enforces the invariants every response keeps (see [`Response`]), so a
//! server's quirks are handled in one place for all formats. [`StreamDecoder`] is the common
//! face of the formats' server-sent-event readers.

use super::conversation::{Arguments, Event, Response, StopReason, ToolCall, Usage};
use super::error::LlmError;

/// Reads one provider's server-sent events, turning them into [`Event`]s and finally a
/// [`Response`].
pub trait StreamDecoder: Send {
    /// Takes one event: its `event:` name, if the server sent one, and its data.
    fn feed(
        &mut self,
        event: Option<&str>,
        data: &str,
        on_event: &mut dyn FnMut(Event),
    ) -> Result<Flow, LlmError>;

    /// The complete answer once the stream has ended. Fails when the stream stopped before the
    /// provider said the answer was complete.
    fn finish(self: Box<Self>) -> Result<Response, LlmError>;
}

/// Whether a stream has more to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The provider marked the end; anything after it is ignored.
    Done,
}

/// A tool call being received.
#[derive(Debug)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

/// Collects an answer piece by piece.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    text: String,
    calls: Vec<PendingCall>,
    usage: Option<Usage>,
    stop: Option<StopReason>,
    model: String,
}

impl Assembler {
    /// Records the answering model; the first name reported wins.
    pub(crate) fn model(&mut self, model: &str) {
        if self.model.is_empty() {
            model.clone_into(&mut self.model);
        }
    }

    pub(crate) fn text(&mut self, delta: &str, on_event: &mut dyn FnMut(Event)) {
        if !delta.is_empty() {
            self.text.push_str(delta);
            on_event(Event::TextDelta(delta.to_owned()));
        }
    }

    /// Starts a tool call and returns its index in the response. A missing or repeated id is
    /// replaced, because a tool result can only be matched to its call by id.
    pub(crate) fn start_call(
        &mut self,
        id: &str,
        name: &str,
        on_event: &mut dyn FnMut(Event),
    ) -> usize {
        let index = self.calls.len();
        let taken = |candidate: &str| self.calls.iter().any(|call| call.id == candidate);
        let id = if id.is_empty() || taken(id) {
            let mut generated = format!("call_{index}");
            while taken(&generated) {
                generated.push('_');
            }
            generated
        } else {
            id.to_owned()
        };
        on_event(Event::ToolCallStarted {
            index,
            id: id.clone(),
            name: name.to_owned(),
        });
        self.calls.push(PendingCall {
            id,
            name: name.to_owned(),
            arguments: String::new(),
        });
        index
    }

    pub(crate) fn arguments(
        &mut self,
        index: usize,
        fragment: &str,
        on_event: &mut dyn FnMut(Event),
    ) {
        if fragment.is_empty() {
            return;
        }
        if let Some(call) = self.calls.get_mut(index) {
            call.arguments.push_str(fragment);
            on_event(Event::ToolCallArgumentsDelta {
                index,
                fragment: fragment.to_owned(),
            });
        }
    }

    /// Whether the call at `index` has received any arguments text yet.
    pub(crate) fn has_arguments(&self, index: usize) -> bool {
        self.calls
            .get(index)
            .is_some_and(|call| !call.arguments.is_empty())
    }

    pub(crate) fn usage(&mut self, usage: Usage, on_event: &mut dyn FnMut(Event)) {
        self.usage = Some(usage);
        on_event(Event::Usage(usage));
    }

    pub(crate) fn stop(&mut self, reason: StopReason) {
        self.stop = Some(reason);
    }

    pub(crate) fn has_stop(&self) -> bool {
        self.stop.is_some()
    }

    /// The response of a stream that ended; `complete` says whether the provider marked its end
    /// (the wire format decides what counts). A stream cut short is an error, never half an
    /// answer.
    pub(crate) fn finish_stream(self, complete: bool) -> Result<Response, LlmError> {
        if complete {
            Ok(self.finish())
        } else {
            Err(LlmError::BadResponse(
                "the stream ended before the answer was complete".into(),
            ))
        }
    }

    /// The response, with the invariants applied.
    pub(crate) fn finish(self) -> Response {
        let tool_calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .map(|call| ToolCall {
                arguments: Arguments::parse(&call.arguments),
                id: call.id,
                name: call.name,
            })
            .collect();
        let stop = match (self.stop, tool_calls.is_empty()) {
            // Some servers say "stop" even when the turn is tool calls (Ollama has).
            (None | Some(StopReason::EndTurn), false) => StopReason::ToolUse,
            // llama.cpp reports `tool_calls` when it failed to parse the calls it announced.
            (Some(StopReason::ToolUse), true) => {
                StopReason::Other("tool_calls without any tool call".to_owned())
            }
            (None, true) => StopReason::EndTurn,
            (Some(reason), _) => reason,
        };
        let text = if tool_calls.is_empty() {
            self.text
        } else {
            String::new()
        };
        Response {
            text,
            tool_calls,
            stop,
            usage: self.usage,
            model: self.model,
        }
    }
}

/// Reads a token count that may be missing, null, or (on lax servers) a float.
pub(crate) fn tokens(value: Option<&serde_json::Value>) -> u64 {
    value
        .and_then(|value| value.as_u64().or_else(|| value.as_f64().map(|n| n as u64)))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(_: Event) {}

    #[test]
    fn stray_text_beside_tool_calls_is_not_the_answer() {
        let mut assembler = Assembler::default();
        assembler.text("{", &mut ignore);
        let index = assembler.start_call("abc", "get_weather", &mut ignore);
        assembler.arguments(index, r#"{"city":"Paris"}"#, &mut ignore);
        assembler.stop(StopReason::ToolUse);
        let response = assembler.finish();
        assert_eq!(
            response.text, "",
            "stray text beside a tool call must be dropped"
        );
        assert_eq!(response.stop, StopReason::ToolUse);
    }

    #[test]
    fn tool_calls_under_a_stop_reason_of_end_turn_are_tool_use() {
        let mut assembler = Assembler::default();
        assembler.start_call("", "a", &mut ignore);
        assembler.start_call("call_0", "b", &mut ignore);
        assembler.stop(StopReason::EndTurn);
        let response = assembler.finish();
        assert_eq!(response.stop, StopReason::ToolUse);
        let ids: Vec<&str> = response.tool_calls.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["call_0", "call_1"],
            "ids must be filled in and distinct"
        );
    }

    #[test]
    fn announced_tool_use_without_calls_is_reported_as_other() {
        let mut assembler = Assembler::default();
        assembler.text("{", &mut ignore);
        assembler.stop(StopReason::ToolUse);
        let response = assembler.finish();
        assert!(matches!(response.stop, StopReason::Other(_)));
        assert_eq!(response.text, "{", "with no calls the text is all there is");
    }

    #[test]
    fn invalid_arguments_keep_the_raw_text() {
        assert_eq!(
            Arguments::parse(r#"{"city": "Par"#),
            Arguments::Invalid(r#"{"city": "Par"#.to_owned())
        );
        assert_eq!(
            Arguments::parse("[1]"),
            Arguments::Invalid("[1]".to_owned())
        );
        assert_eq!(Arguments::parse(" "), Arguments::Object(Default::default()));
        let twice = Arguments::parse(r#""{\"city\":\"Paris\"}""#);
        assert_eq!(
            twice.as_object().and_then(|o| o.get("city")),
            Some(&serde_json::json!("Paris")),
            "arguments encoded twice are unwrapped"
        );
    }
}
