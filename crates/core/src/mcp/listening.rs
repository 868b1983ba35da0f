//! Wait until the server can reach us. A Streamable HTTP server with sessions sends what is not
//! an answer to one of our requests — a request of its own (elicitation, sampling), a
//! notification — on the session's standalone stream, the SSE `GET` the client opens after
//! `initialize`. rmcp opens that stream in a background task while the session is already in use,
//! so a tool call sent right away can make the server ask something before the stream exists,
//! and servers drop what they cannot deliver (the TypeScript SDK's does, silently): the call
//! then hangs until it times out. Measured on a loaded 2-core machine, the conformance suite's
//! elicitation scenario lost that race.
//!
//! [`Listening`] wraps the HTTP client a session uses and notes two things: whether the server
//! gave the session an ID (only then is a standalone stream opened) and when the first attempt
//! to open it has been answered (opened, refused with 405, or failed). [`Listening::ready`] waits
//! for that answer, for at most a bounded time, before the session is handed out.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::stream::BoxStream;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use tokio::sync::watch;

type EventStream = BoxStream<'static, Result<sse_stream::Sse, sse_stream::Error>>;

/// The longest a new session waits for its standalone stream to be answered. Servers answer the
/// `GET` with headers at once (or 405); one that holds them back costs this much per connection
/// and no more.
pub const STANDALONE_WAIT: Duration = Duration::from_secs(3);

#[derive(Default)]
struct State {
    /// A response carried `Mcp-Session-Id`.
    session: AtomicBool,
    /// The first standalone-stream attempt has been answered.
    answered: watch::Sender<bool>,
}

/// An HTTP client that reports when the standalone stream has been answered.
#[derive(Clone)]
pub struct Listening<C> {
    inner: C,
    state: Arc<State>,
}

impl<C: StreamableHttpClient> Listening<C> {
    pub fn new(inner: C) -> Self {
        Self {
            inner,
            state: Arc::new(State::default()),
        }
    }

    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// Returns once the server can send on the standalone stream (or has said it will not), at
    /// once for a session without an ID, and after `limit` at the latest. Says whether the
    /// stream was answered in time.
    pub async fn ready(&self, limit: Duration) -> bool {
        if !self.state.session.load(Ordering::Acquire) {
            return true;
        }
        let mut answered = self.state.answered.subscribe();
        tokio::time::timeout(limit, answered.wait_for(|answered| *answered))
            .await
            .is_ok()
    }

    fn saw(&self, response: &StreamableHttpPostResponse) {
        let session = match response {
            StreamableHttpPostResponse::Json(_, session)
            | StreamableHttpPostResponse::Sse(_, session) => session.as_ref(),
            // `Accepted` (and what rmcp may add) carries no session.
            _ => None,
        };
        if session.is_some() {
            self.state.session.store(true, Ordering::Release);
        }
    }

    fn answered<T>(&self, outcome: T) -> T {
        self.state.answered.send_replace(true);
        outcome
    }
}

impl<C: StreamableHttpClient + Sync> StreamableHttpClient for Listening<C> {
    type Error = C::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let response = self
            .inner
            .post_message(uri, message, session_id, auth_header, custom_headers)
            .await?;
        self.saw(&response);
        Ok(response)
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let response = self
            .inner
            .post_message_with_max_sse_event_size(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await?;
        self.saw(&response);
        Ok(response)
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, StreamableHttpError<Self::Error>> {
        let response = self
            .inner
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                auth_header,
                custom_headers,
                limits,
            )
            .await?;
        self.saw(&response);
        Ok(response)
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), StreamableHttpError<Self::Error>> {
        self.inner
            .delete_session(uri, session_id, auth_header, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<EventStream, StreamableHttpError<Self::Error>> {
        let outcome = self
            .inner
            .get_stream(uri, session_id, last_event_id, auth_header, custom_headers)
            .await;
        self.answered(outcome)
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<EventStream, StreamableHttpError<Self::Error>> {
        let outcome = self
            .inner
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                auth_header,
                custom_headers,
                max_sse_event_size,
            )
            .await;
        self.answered(outcome)
    }
}
