//! Talking to language models: the wire client the step runner drives. This module owns the
//! provider-neutral conversation ([`Request`], [`Message`], [`Response`], streamed [`Event`]s),
//! two wire formats — OpenAI Chat Completions ([`openai_chat`], which OpenAI and every local
//! server speak) and Anthropic Messages ([`anthropic`]) — a read-only parser for OpenAI
//! Responses output ([`openai_responses`]), the HTTP client behind [`ModelClient`], and
//! [`LlmError`], which sorts failures into what a person or the runner can act on.
//!
//! It is a thin client of our own over reqwest and sse-stream because no crate fit: genai cannot
//! send a tool result's error flag or images, and async-openai's strict types reject the lax
//! answers local servers give (null or stray `content`, arbitrary call ids). Boundaries: nothing
//! here knows MCP, connectors or the store, and nothing retries (the runner decides). The API key
//! leaves the process only as a request header and never appears in an error, a log line or
//! `Debug`. Every [`Response`] is built by one assembler whatever the format and whether it was
//! streamed, so the invariants documented on it hold everywhere.

pub mod anthropic;
mod assembly;
mod conversation;
mod error;
#[cfg(test)]
mod fixtures;
mod http;
mod known_models;
pub mod openai_chat;
pub mod openai_responses;
mod tool_schema;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::secret::Secret;

pub use assembly::{Flow, StreamDecoder};
pub use conversation::{
    Arguments, Event, Message, Part, ProviderKind, Request, Response, StopReason, ToolCall,
    ToolResult, ToolSpec, Usage,
};
pub use error::{LlmError, MAX_MESSAGE_CHARS};
pub use known_models::known_tool_support;

/// A model provider at one base URL, with one key.
#[async_trait::async_trait]
pub trait ModelClient: Send + Sync {
    /// Sends `request` and returns the model's answer. The answer is streamed when the provider
    /// allows, and `on_event` sees its pieces as they arrive; the [`Response`] is the same
    /// either way. Dropping the future cancels the request.
    async fn complete(
        &self,
        request: &Request,
        on_event: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Response, LlmError>;

    /// The models the provider offers (`GET {base}/models`).
    async fn models(&self) -> Result<Vec<ModelInfo>, LlmError>;
}

/// A model a provider lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub id: String,
    /// A friendlier name, when the provider gives one (Anthropic does).
    pub display_name: Option<String>,
    /// Whether it can call tools, when the provider says (OpenRouter and LM Studio do; OpenAI,
    /// Anthropic, Ollama and llama.cpp do not).
    pub tools: Option<bool>,
}

impl ModelInfo {
    /// What the provider reported, else what the table of well-known models says.
    pub fn tool_support(&self) -> Option<bool> {
        self.tools.or_else(|| known_tool_support(&self.id))
    }
}

/// How long each stage of a request may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection, TLS included.
    pub connect: Duration,
    /// From sending a request to the first piece of the answer. Long: a CPU-only local model
    /// reads a prompt at tens of tokens a second, so a prompt with many tools takes minutes.
    pub first_byte: Duration,
    /// Between two pieces of a streamed answer; also the limit for the whole of a short request
    /// (listing models).
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            // Enough for a slow TLS handshake; a server that takes longer is not there.
            connect: Duration::from_secs(10),
            // About 20,000 prompt tokens on the measured 2-core machine (≈ 40 tokens/s).
            first_byte: Duration::from_secs(10 * 60),
            // Generation on CPU is a token or two a second; a minute of silence is a hang.
            idle: Duration::from_secs(2 * 60),
        }
    }
}

/// A client for the provider at `base_url`, the base as vendors document it:
/// `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama), `https://api.anthropic.com/v1`.
/// `api_key` is sent as `Authorization: Bearer` (OpenAI-compatible) or `x-api-key` (Anthropic);
/// local servers need none. Redirects are not followed, so the key reaches only `base_url`.
pub fn client(
    kind: ProviderKind,
    base_url: Url,
    api_key: Option<Secret>,
    timeouts: Timeouts,
) -> Box<dyn ModelClient> {
    Box::new(http::HttpModelClient::new(
        kind, base_url, api_key, timeouts,
    ))
}
