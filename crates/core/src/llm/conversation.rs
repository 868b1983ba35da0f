//! The provider-neutral shape of a conversation with a model: what goes out ([`Request`], its
//! [`Message`]s and [`ToolSpec`]s), what comes back ([`Response`]) and what arrives on the way
//! ([`Event`]). Nothing here knows a wire format; the wire modules translate both ways. The types
//! serialize so a run's transcript can be stored and replayed; none of them holds a secret.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ProviderKind {
    /// OpenAI Chat Completions: OpenAI itself and every local server (llama.cpp, Ollama, LM
    /// Studio, vLLM) and most gateways.
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
    /// Anthropic Messages.
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl ProviderKind {
    /// The spelling the store and the command line use, the same as the serialized one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAiCompatible => "openai-compatible",
            Self::Anthropic => "anthropic",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "openai-compatible" => Some(Self::OpenAiCompatible),
            "anthropic" => Some(Self::Anthropic),
            _ => None,
        }
    }
}

/// One request to a model: the whole conversation so far, since the APIs are stateless.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub model: String,
    /// Kept apart from the messages: Anthropic takes it as a field, OpenAI as a first message.
    pub system: Option<String>,
    pub messages: Vec<Message>,
    /// Empty means the model is offered no tools (the field is then left out of the request).
    pub tools: Vec<ToolSpec>,
    /// The most tokens the answer may take. Anthropic requires a value, so it is not optional.
    pub max_tokens: u32,
    pub temperature: Option<f32>,
    /// For repeatable runs on servers that honour it; Anthropic has no seed and ignores it.
    pub seed: Option<u64>,
}

/// `value` as the decimal a person wrote: `0.7f32` widened directly becomes 0.699999988…,
/// which is what a request would then carry.
pub(crate) fn decimal(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

/// One turn of the conversation after the system prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Message {
    User {
        text: String,
    },
    /// What the model said: build it from a [`Response`] with [`Response::to_message`].
    Assistant {
        text: String,
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call. Results of the same assistant turn follow it directly, in any
    /// order; the wire formats group them as each provider requires.
    ToolResult(ToolResult),
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Self::User { text: text.into() }
    }
}

/// A tool the model asked to call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call (random on llama.cpp); the result must carry it back.
    pub id: String,
    pub name: String,
    pub arguments: Arguments,
}

/// A tool call's arguments as the model wrote them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arguments {
    /// A JSON object, the only shape MCP's `tools/call` accepts.
    Object(Map<String, Value>),
    /// Text that is not a JSON object (small models write truncated or malformed JSON), kept
    /// verbatim so the runner can show the model what it wrote and ask again.
    Invalid(String),
}

impl Arguments {
    /// Reads the arguments text a provider sent. An empty text is an empty object: providers send
    /// that for a tool without parameters. A JSON string holding an object is unwrapped, since
    /// some models encode the arguments twice.
    pub fn parse(raw: &str) -> Self {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Self::Object(Map::new());
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(object)) => Self::Object(object),
            Ok(Value::String(inner)) => match serde_json::from_str::<Value>(&inner) {
                Ok(Value::Object(object)) => Self::Object(object),
                _ => Self::Invalid(raw.to_owned()),
            },
            _ => Self::Invalid(raw.to_owned()),
        }
    }

    /// The arguments as a JSON object, `None` when the model wrote something else.
    pub fn as_object(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Object(object) => Some(object),
            Self::Invalid(_) => None,
        }
    }

    /// The object to replay in the conversation history. Invalid arguments replay as an empty
    /// object: llama.cpp answers HTTP 500 ("Failed to parse tool call arguments as JSON") to
    /// malformed arguments in history, and Anthropic requires an object. The tool result the
    /// runner sends for such a call is where the model learns what was wrong.
    pub(crate) fn replayable(&self) -> Map<String, Value> {
        match self {
            Self::Object(object) => object.clone(),
            Self::Invalid(_) => Map::new(),
        }
    }
}

/// What a tool call produced, as the model will see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolResult {
    /// The [`ToolCall::id`] this answers.
    pub call_id: String,
    /// The tool's name: OpenAI's format does not need it, but the image hand-off message and
    /// transcripts do.
    pub name: String,
    /// The tool reported failure (MCP `isError`), or the call never reached it. The model is told
    /// so it can correct itself rather than take the text as data.
    pub is_error: bool,
    pub content: Vec<Part>,
}

/// A piece of tool output. Structured content (MCP `structuredContent`, embedded resources)
/// travels as [`Part::Text`] holding its JSON text: no provider takes JSON values in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Image {
        /// For example `image/png`.
        media_type: String,
        data_base64: String,
    },
}

impl Part {
    /// Structured content as the JSON text the model reads.
    pub fn json(value: &Value) -> Self {
        Self::Text(value.to_string())
    }
}

/// A tool offered to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// Providers accept `^[a-zA-Z0-9_-]{1,64}$`; the runner maps MCP names onto that.
    pub name: String,
    pub description: String,
    /// A JSON Schema for the arguments object (MCP's `inputSchema`).
    pub input_schema: Value,
}

/// Tokens a request consumed, as the provider counted them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Everything the model read, cached or not.
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A model's complete answer to one [`Request`], the same whether it was streamed or not.
///
/// Invariants: `stop` is [`StopReason::ToolUse`] exactly when `tool_calls` is not empty, and then
/// `text` is empty: local servers put stray text (a lone `{`) beside tool calls, and a turn that
/// calls tools is not an answer to show. Every call has a non-empty, distinct id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub stop: StopReason,
    /// `None` when the provider did not report it (some local servers omit it when streaming).
    pub usage: Option<Usage>,
    /// The model that answered as the provider names it (the request's model when unreported).
    pub model: String,
}

impl Response {
    /// This answer as the assistant turn of the conversation, to send back with the results.
    pub fn to_message(&self) -> Message {
        Message::Assistant {
            text: self.text.clone(),
            tool_calls: self.tool_calls.clone(),
        }
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// It finished its answer.
    EndTurn,
    /// It wants the tool calls run and their results sent back.
    ToolUse,
    /// It ran out of `max_tokens`; the answer, or a call's arguments, may be cut off.
    MaxTokens,
    /// Anything else, as the provider named it (`content_filter`, `refusal`, …).
    Other(String),
}

/// A piece of an answer as it streams in, for showing progress. The [`Response`] that follows is
/// the authority: text streamed beside tool calls does not appear in it (see its invariants), so
/// a front end replaces what it showed with the response once it arrives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    TextDelta(String),
    /// A tool call began; `index` is its position in [`Response::tool_calls`].
    ToolCallStarted {
        index: usize,
        id: String,
        name: String,
    },
    ToolCallArgumentsDelta {
        index: usize,
        fragment: String,
    },
    /// The token count so far; a later event replaces an earlier one.
    Usage(Usage),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::fixtures;

    #[test]
    fn a_conversation_survives_a_transcript_round_trip() -> Result<(), serde_json::Error> {
        let request = fixtures::sample_request();
        let stored = serde_json::to_string(&request)?;
        assert_eq!(serde_json::from_str::<Request>(&stored)?, request);
        Ok(())
    }

    #[test]
    fn temperatures_keep_their_decimal_value() {
        assert_eq!(decimal(0.7).to_string(), "0.7");
        assert_eq!(decimal(0.0), 0.0);
    }

    #[test]
    fn provider_kinds_have_stable_names() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&[ProviderKind::OpenAiCompatible, ProviderKind::Anthropic])?,
            r#"["openai-compatible","anthropic"]"#
        );
        for kind in [ProviderKind::OpenAiCompatible, ProviderKind::Anthropic] {
            assert_eq!(
                serde_json::to_string(&kind)?,
                format!("{:?}", kind.as_str()),
                "the stored spelling is the serialized one"
            );
            assert_eq!(ProviderKind::parse(kind.as_str()), Some(kind));
        }
        Ok(())
    }
}
