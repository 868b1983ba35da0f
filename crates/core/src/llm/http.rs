//! The HTTP side of [`ModelClient`]: building the request, sending it with the key as a header,
//! and reading the answer under [`Timeouts`] — a generous deadline for the first byte, then an
//! idle limit between chunks, measured on raw chunks so keep-alive comments count as life.
//! Streams go through sse-stream to the format's [`StreamDecoder`]; a server that ignores
//! `stream` and answers with JSON is read as a whole, with the same events reported. Bodies are
//! capped, error bodies are never kept beyond one line, and redirects are not followed: a
//! redirect would carry a custom key header (`x-api-key`) to another host.

use std::time::Duration;

use futures::{Stream, StreamExt};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;
use zeroize::Zeroizing;

use super::assembly::{Flow, StreamDecoder};
use super::conversation::{Event, ProviderKind, Request, Response};
use super::error::{self, LlmError};
use super::{ModelClient, ModelInfo, Timeouts, anthropic, openai_chat};
use crate::secret::Secret;

/// An answer is bounded by `max_tokens`; this only stops a runaway server from filling memory.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;
/// Only one line of an error body is kept; the rest is read no further than this.
const MAX_ERROR_BYTES: usize = 64 * 1024;
/// Anthropic pages its model list (1,000 a page at most); more pages than this is a loop.
const MAX_MODEL_PAGES: usize = 20;

#[derive(Debug)]
pub(crate) struct HttpModelClient {
    kind: ProviderKind,
    base_url: Url,
    api_key: Option<Secret>,
    timeouts: Timeouts,
    /// Building fails only if the TLS backend cannot start; that is reported on first use, so
    /// constructing a client never fails.
    http: Result<reqwest::Client, ClientBuildError>,
}

/// Why the HTTP client could not be built (the TLS backend did not start), in reqwest's words.
#[derive(Debug, Clone)]
struct ClientBuildError(String);

impl HttpModelClient {
    pub(crate) fn new(
        kind: ProviderKind,
        base_url: Url,
        api_key: Option<Secret>,
        timeouts: Timeouts,
    ) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ClientBuildError(describe(error)));
        Self {
            kind,
            base_url,
            api_key: api_key.filter(|key| !key.is_empty()),
            timeouts,
            http,
        }
    }

    fn http(&self) -> Result<&reqwest::Client, LlmError> {
        self.http
            .as_ref()
            .map_err(|ClientBuildError(reason)| self.unreachable(reason.clone()))
    }

    /// `{base}/{path}`, keeping the base's own path (`/v1`) and query.
    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base_url.clone();
        let joined = format!("{}/{path}", url.path().trim_end_matches('/'));
        url.set_path(&joined);
        url
    }

    /// The base URL as errors show it: no credentials, query or fragment.
    fn shown_url(&self) -> String {
        let mut url = self.base_url.clone();
        // Only fails for URLs that cannot have credentials, which then have none to remove.
        if url.set_username("").is_err() || url.set_password(None).is_err() {
            tracing::debug!("base URL cannot carry credentials");
        }
        url.set_query(None);
        url.set_fragment(None);
        url.to_string()
    }

    fn unreachable(&self, reason: impl Into<String>) -> LlmError {
        LlmError::Unreachable {
            url: self.shown_url(),
            reason: reason.into(),
        }
    }

    fn headers(&self) -> Result<HeaderMap, LlmError> {
        let mut headers = HeaderMap::new();
        if let Some(key) = &self.api_key {
            let (name, value) = match self.kind {
                ProviderKind::OpenAiCompatible => (
                    AUTHORIZATION,
                    Zeroizing::new(format!("Bearer {}", key.expose())),
                ),
                ProviderKind::Anthropic => (
                    HeaderName::from_static("x-api-key"),
                    Zeroizing::new(key.expose().to_owned()),
                ),
            };
            let mut value = HeaderValue::from_str(&value).map_err(|_| LlmError::Unauthorized {
                message: "the API key contains characters that cannot be sent in an HTTP header"
                    .into(),
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if self.kind == ProviderKind::Anthropic {
            headers.insert(
                HeaderName::from_static("anthropic-version"),
                HeaderValue::from_static(anthropic::API_VERSION),
            );
        }
        Ok(headers)
    }

    /// Sends a request, waiting for its headers until `deadline`. A request that met a
    /// keep-alive connection the server had just closed (measured: llama.cpp's server, between
    /// two rounds of a step) is sent once more on a new connection: no answer arrived, so
    /// nothing was lost but the round.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        deadline: Instant,
        wait: Duration,
    ) -> Result<reqwest::Response, LlmError> {
        let request = request.headers(self.headers()?);
        let again = request.try_clone();
        match tokio::time::timeout_at(deadline, request.send()).await {
            Err(_) => Err(self.unreachable(format!("no answer within {}", seconds(wait)))),
            Ok(Err(error)) => match again {
                Some(again) if stale_connection(&error) => {
                    tracing::debug!(error = %describe(error), "the provider closed the connection; sending again");
                    match tokio::time::timeout_at(deadline, again.send()).await {
                        Err(_) => {
                            Err(self.unreachable(format!("no answer within {}", seconds(wait))))
                        }
                        Ok(Err(error)) => Err(self.unreachable(describe(error))),
                        Ok(Ok(response)) => Ok(response),
                    }
                }
                _ => Err(self.unreachable(describe(error))),
            },
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// The error an unsuccessful answer stands for.
    async fn error_answer(&self, response: reqwest::Response, model: Option<&str>) -> LlmError {
        let status = response.status();
        if status.is_redirection() {
            return LlmError::Provider {
                status: Some(status.as_u16()),
                message: "the provider redirects to another address; enter that address as the \
                          base URL"
                    .into(),
            };
        }
        let retry_after = error::retry_after(response.headers());
        let deadline = Instant::now() + self.timeouts.idle;
        let chunks = timed(
            Box::pin(response.bytes_stream()),
            deadline,
            &self.timeouts,
            usize::MAX,
        );
        let mut chunks = std::pin::pin!(chunks);
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BYTES {
            match chunks.next().await {
                Some(Ok(chunk)) => body.extend_from_slice(chunk.as_ref()),
                None => break,
                // The status and what arrived still classify the error.
                Some(Err(fault)) => {
                    tracing::debug!(%fault, "could not read all of an error answer");
                    break;
                }
            }
        }
        let body = String::from_utf8_lossy(&body);
        error::from_status(status.as_u16(), &body, model, retry_after)
    }

    fn body_fault(&self, fault: &BodyFault) -> LlmError {
        match fault {
            BodyFault::FirstByte(wait) => {
                self.unreachable(format!("no answer within {}", seconds(*wait)))
            }
            BodyFault::Idle(wait) => self.unreachable(format!(
                "the answer stopped arriving ({} without data)",
                seconds(*wait)
            )),
            BodyFault::TooLarge(limit) => {
                LlmError::BadResponse(format!("the answer is larger than {limit} bytes"))
            }
            BodyFault::Transport(reason) => self.unreachable(reason.clone()),
        }
    }
}

#[async_trait::async_trait]
impl ModelClient for HttpModelClient {
    async fn complete(
        &self,
        request: &Request,
        on_event: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Response, LlmError> {
        let http = self.http()?;
        let (url, body) = match self.kind {
            ProviderKind::OpenAiCompatible => (
                self.endpoint("chat/completions"),
                openai_chat::request_body(request, true),
            ),
            ProviderKind::Anthropic => (
                self.endpoint("messages"),
                anthropic::request_body(request, true),
            ),
        };
        let deadline = Instant::now() + self.timeouts.first_byte;
        let post = http
            .post(url)
            .header(ACCEPT, "text/event-stream")
            .json(&body);
        let response = self.send(post, deadline, self.timeouts.first_byte).await?;
        if !response.status().is_success() {
            return Err(self.error_answer(response, Some(&request.model)).await);
        }
        let is_stream = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/event-stream"));
        let chunks = timed(
            Box::pin(response.bytes_stream()),
            deadline,
            &self.timeouts,
            MAX_ANSWER_BYTES,
        );
        let mut answer = if is_stream {
            let decoder: Box<dyn StreamDecoder> = match self.kind {
                ProviderKind::OpenAiCompatible => Box::new(openai_chat::ChatStream::new()),
                ProviderKind::Anthropic => Box::new(anthropic::MessagesStream::new()),
            };
            let events = Box::pin(sse_stream::SseStream::from_bytes_stream(chunks));
            read_events(events, decoder, on_event)
                .await
                .map_err(|fault| match fault {
                    ReadFault::Body(fault) => self.body_fault(&fault),
                    ReadFault::Answer(error) => error,
                })?
        } else {
            let body = collect(chunks)
                .await
                .map_err(|fault| self.body_fault(&fault))?;
            match self.kind {
                ProviderKind::OpenAiCompatible => {
                    openai_chat::parse_response_with(&body, on_event)?
                }
                ProviderKind::Anthropic => anthropic::parse_response_with(&body, on_event)?,
            }
        };
        if answer.model.is_empty() {
            answer.model.clone_from(&request.model);
        }
        Ok(answer)
    }

    async fn models(&self) -> Result<Vec<ModelInfo>, LlmError> {
        let http = self.http()?;
        let mut models = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_MODEL_PAGES {
            let mut url = self.endpoint("models");
            if self.kind == ProviderKind::Anthropic {
                let mut query = url.query_pairs_mut();
                query.append_pair("limit", "1000");
                if let Some(after) = &after {
                    query.append_pair("after_id", after);
                }
            }
            let deadline = Instant::now() + self.timeouts.idle;
            let response = self
                .send(http.get(url), deadline, self.timeouts.idle)
                .await?;
            if !response.status().is_success() {
                return Err(self.error_answer(response, None).await);
            }
            let chunks = timed(
                Box::pin(response.bytes_stream()),
                deadline,
                &self.timeouts,
                MAX_ANSWER_BYTES,
            );
            let body = collect(chunks)
                .await
                .map_err(|fault| self.body_fault(&fault))?;
            let page: Value = serde_json::from_str(&body).map_err(|error| {
                LlmError::BadResponse(format!("the model list is not valid JSON ({error})"))
            })?;
            let entries = page.get("data").and_then(Value::as_array).ok_or_else(|| {
                LlmError::BadResponse("the model list has no \"data\" array".into())
            })?;
            models.extend(entries.iter().filter_map(model_info));
            after = page
                .get("has_more")
                .and_then(Value::as_bool)
                .filter(|more| *more)
                .and_then(|_| page.get("last_id").and_then(Value::as_str))
                .map(str::to_owned);
            if after.is_none() {
                return Ok(models);
            }
        }
        Ok(models)
    }
}

/// One entry of a model list; entries without an id are skipped.
fn model_info(entry: &Value) -> Option<ModelInfo> {
    let id = entry.get("id").and_then(Value::as_str)?.to_owned();
    let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
    let display_name = text("display_name").or_else(|| text("name").filter(|name| *name != id));
    let listed = |key: &str, names: &[&str]| {
        entry.get(key).and_then(Value::as_array).map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .any(|item| names.contains(&item))
        })
    };
    // OpenRouter lists `supported_parameters`, LM Studio `capabilities`.
    let tools = listed("supported_parameters", &["tools"])
        .or_else(|| listed("capabilities", &["tool_use", "tools", "function_calling"]));
    Some(ModelInfo {
        id,
        display_name,
        tools,
    })
}

/// Why reading a body stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyFault {
    #[error("no answer within {0:?}")]
    FirstByte(Duration),
    #[error("no data for {0:?}")]
    Idle(Duration),
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// Already described, so no URL rides along.
    #[error("{0}")]
    Transport(String),
}

/// Why reading a stream stopped.
#[derive(Debug)]
pub(crate) enum ReadFault {
    Body(BodyFault),
    Answer(LlmError),
}

impl From<LlmError> for ReadFault {
    fn from(error: LlmError) -> Self {
        Self::Answer(error)
    }
}

/// The body's chunks, each awaited under the timeouts: until `deadline` for the first, then at
/// most `timeouts.idle` apart. Ends after the first fault. Generic over the chunk type so the
/// caller's `bytes_stream()` needs no name for it.
fn timed<S, B>(
    inner: S,
    deadline: Instant,
    timeouts: &Timeouts,
    limit: usize,
) -> impl Stream<Item = Result<B, BodyFault>> + Send
where
    S: Stream<Item = Result<B, reqwest::Error>> + Send + Unpin,
    B: AsRef<[u8]> + Send,
{
    struct Reading<S> {
        inner: S,
        /// Set until the first chunk arrives.
        deadline: Option<Instant>,
        first_byte: Duration,
        idle: Duration,
        received: usize,
        limit: usize,
        ended: bool,
    }
    let reading = Reading {
        inner,
        deadline: Some(deadline),
        first_byte: timeouts.first_byte,
        idle: timeouts.idle,
        received: 0,
        limit,
        ended: false,
    };
    futures::stream::unfold(reading, |mut reading| async move {
        if reading.ended {
            return None;
        }
        let until = reading
            .deadline
            .unwrap_or_else(|| Instant::now() + reading.idle);
        let item = match tokio::time::timeout_at(until, reading.inner.next()).await {
            Err(_) if reading.deadline.is_some() => Err(BodyFault::FirstByte(reading.first_byte)),
            Err(_) => Err(BodyFault::Idle(reading.idle)),
            Ok(None) => return None,
            Ok(Some(Err(error))) => Err(BodyFault::Transport(describe(error))),
            Ok(Some(Ok(chunk))) => {
                reading.deadline = None;
                reading.received += chunk.as_ref().len();
                if reading.received > reading.limit {
                    Err(BodyFault::TooLarge(reading.limit))
                } else {
                    Ok(chunk)
                }
            }
        };
        reading.ended = item.is_err();
        Some((item, reading))
    })
}

/// A whole body as text (invalid UTF-8 replaced: the parsers then report what they cannot read).
async fn collect<S, B>(chunks: S) -> Result<String, BodyFault>
where
    S: Stream<Item = Result<B, BodyFault>>,
    B: AsRef<[u8]>,
{
    let mut chunks = std::pin::pin!(chunks);
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(chunk?.as_ref());
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Feeds server-sent events to `decoder` until the provider marks the end or the stream ends.
pub(crate) async fn read_events<S>(
    mut events: S,
    mut decoder: Box<dyn StreamDecoder>,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<Response, ReadFault>
where
    S: Stream<Item = Result<sse_stream::Sse, sse_stream::Error>> + Send + Unpin,
{
    while let Some(event) = events.next().await {
        let event = event.map_err(stream_fault)?;
        let Some(data) = event.data.as_deref() else {
            continue;
        };
        if decoder.feed(event.event.as_deref(), data, on_event)? == Flow::Done {
            break;
        }
    }
    Ok(decoder.finish()?)
}

fn stream_fault(error: sse_stream::Error) -> ReadFault {
    match error {
        sse_stream::Error::Body(inner) => match inner.downcast::<BodyFault>() {
            Ok(fault) => ReadFault::Body(*fault),
            Err(other) => ReadFault::Body(BodyFault::Transport(other.to_string())),
        },
        other => ReadFault::Answer(LlmError::BadResponse(format!(
            "the event stream is malformed ({other})"
        ))),
    }
}

/// What went wrong with a request, in words without its URL: the innermost cause ("Connection
/// refused") says most.
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    if error.is_timeout() {
        return "the request timed out".to_owned();
    }
    let mut innermost: &dyn std::error::Error = &error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let cause = innermost.to_string();
    if error.is_connect() {
        format!("the connection failed ({cause})")
    } else {
        cause
    }
}

/// Whether `error` is a connection the server closed (or reset) before any answer: hyper's
/// "connection closed before message completed", or a reset or broken pipe underneath. Not a
/// refused connection, not a timeout.
fn stale_connection(error: &reqwest::Error) -> bool {
    if error.is_timeout() || error.is_connect() {
        return false;
    }
    let mut cause: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = cause {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        if current
            .to_string()
            .contains("connection closed before message completed")
        {
            return true;
        }
        cause = current.source();
    }
    false
}

/// A duration as people say it.
fn seconds(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 120 && seconds.is_multiple_of(60) {
        format!("{} minutes", seconds / 60)
    } else if seconds >= 1 {
        format!("{seconds} s")
    } else {
        format!("{} ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests;
