//! The legacy HTTP+SSE transport (protocol revision 2024-11-05), for servers that predate
//! Streamable HTTP. Hand-written because rmcp 3 ships only the Streamable HTTP client.
//!
//! Flow (spec, "Backwards Compatibility"): GET the server URL with `Accept: text/event-stream`;
//! the first event is `endpoint`, whose data is the URI to POST client messages to; server
//! messages arrive as `message` events on the GET stream. The endpoint must share the server
//! URL's origin: credentials are never sent to a host the user did not enter.

use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use rmcp::RoleClient;
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use url::Url;

use super::sse_guard::Guarded;

#[derive(Debug, thiserror::Error)]
pub enum LegacySseError {
    #[error("HTTP request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the server answered GET with HTTP {0}")]
    Status(reqwest::StatusCode),
    #[error("the server answered GET with {0:?}, not an event stream")]
    NotEventStream(String),
    #[error("the event stream ended before announcing its message endpoint")]
    NoEndpoint,
    #[error("the announced message endpoint {0:?} is not a valid URL")]
    BadEndpoint(String),
    #[error(
        "the announced message endpoint is on another origin ({0}); refusing to send credentials there"
    )]
    ForeignEndpoint(String),
    #[error("the server rejected a message with HTTP {0}")]
    PostStatus(reqwest::StatusCode),
    #[error("event stream error: {0}")]
    Stream(String),
}

type EventStream = BoxStream<'static, Result<sse_stream::Sse, sse_stream::Error>>;

pub struct LegacySseTransport {
    client: reqwest::Client,
    post_url: Arc<Url>,
    headers: Arc<HeaderMap>,
    events: EventStream,
}

impl LegacySseTransport {
    /// Opens the event stream and waits for the `endpoint` event.
    pub async fn connect(
        client: reqwest::Client,
        url: &Url,
        headers: HeaderMap,
    ) -> Result<Self, LegacySseError> {
        let response = client
            .get(url.clone())
            .headers(headers.clone())
            .header(ACCEPT, "text/event-stream")
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(LegacySseError::Status(response.status()));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if !content_type.starts_with("text/event-stream") {
            return Err(LegacySseError::NotEventStream(content_type));
        }
        // Bounded events, and no deep recursion in the parser (see `sse_guard`).
        let mut events: EventStream =
            sse_stream::SseStream::from_bytes_stream(Guarded::new(response.bytes_stream())).boxed();
        let post_url = loop {
            match events.next().await {
                None => return Err(LegacySseError::NoEndpoint),
                Some(Err(error)) => return Err(LegacySseError::Stream(error.to_string())),
                Some(Ok(event)) if event.event.as_deref() == Some("endpoint") => {
                    let data = event.data.unwrap_or_default();
                    let endpoint = url
                        .join(data.trim())
                        .map_err(|_| LegacySseError::BadEndpoint(data.clone()))?;
                    if endpoint.origin() != url.origin() {
                        return Err(LegacySseError::ForeignEndpoint(
                            endpoint.origin().ascii_serialization(),
                        ));
                    }
                    break endpoint;
                }
                // Comments, priming events and retries before the endpoint are ignored.
                Some(Ok(_)) => {}
            }
        };
        Ok(Self {
            client,
            post_url: Arc::new(post_url),
            headers: Arc::new(headers),
            events,
        })
    }
}

impl Transport<RoleClient> for LegacySseTransport {
    type Error = LegacySseError;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleClient>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let client = self.client.clone();
        let post_url = self.post_url.clone();
        let headers = self.headers.clone();
        async move {
            let response = client
                .post(post_url.as_str())
                .headers((*headers).clone())
                .json(&item)
                .send()
                .await?;
            if !response.status().is_success() {
                return Err(LegacySseError::PostStatus(response.status()));
            }
            Ok(())
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleClient>> {
        loop {
            let event = match self.events.next().await? {
                Ok(event) => event,
                Err(error) => {
                    tracing::warn!(%error, "legacy SSE stream failed");
                    return None;
                }
            };
            if !matches!(event.event.as_deref(), None | Some("message")) {
                continue;
            }
            let Some(data) = event.data else { continue };
            match serde_json::from_str(&data) {
                Ok(message) => return Some(message),
                Err(error) => tracing::warn!(%error, "skipping a malformed legacy SSE message"),
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
