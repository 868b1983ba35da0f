//! The HTTP client an OAuth connector's Streamable HTTP transport uses (in place of rmcp's
//! `AuthClient`): every request (POST, the SSE GET, the closing DELETE) carries the connector's
//! current access token from its shared [`TokenCell`], renewed first when it is due. When the
//! server answers 401 to token T, the cell refreshes only if T is still current (otherwise another
//! task already replaced it) and the request is retried once with the token the cell returns.
//!
//! The token only ever goes to the server this client was made for: the cell belongs to one
//! connector, and reqwest drops `Authorization` when a redirect leaves the origin. A confidential
//! client's secret (kept in the grant's [`super::registration`]) authenticates its refreshes,
//! and only at the authorization server it was registered with; a machine client renews its
//! token by the client-credentials grant ([`super::client_credentials`]), likewise only there.
//!
//! A DPoP-bound token ([`super::dpop`]) goes as `Authorization: DPoP …` with a fresh proof for
//! each request's method and URL; a `use_dpop_nonce` refusal is answered with the server's nonce
//! and the same token, never by a refresh.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::stream::BoxStream;
use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::auth::{AuthError, AuthorizationManager, AuthorizationMetadata};
use rmcp::transport::streamable_http_client::{
    StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};

use super::OAuthError;
use super::dpop::Dpop;
use super::refresh::{CellStore, RefreshError, Renewer, TokenCell};
use super::registration;
use crate::secret::Secret;

type HttpError = StreamableHttpError<reqwest::Error>;
type EventStream = BoxStream<'static, Result<sse_stream::Sse, sse_stream::Error>>;

#[derive(Clone)]
pub struct AuthorizedClient {
    http: reqwest::Client,
    cell: Arc<TokenCell>,
    /// Does the token requests (discovery done once, when the session is set up).
    renewer: Arc<Renewer>,
    /// The last refresh failure this client met, so a failed connection can say why.
    failure: Arc<Mutex<Option<RefreshError>>>,
    /// The key a DPoP-bound token is presented with ([`super::dpop`]).
    dpop: Option<Arc<Dpop>>,
}

/// Why an [`AuthorizedClient`] could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// Discovery of the server's authorization metadata failed.
    #[error(transparent)]
    Discovery(#[from] AuthError),
    /// The stored grant cannot be read.
    #[error(transparent)]
    Credentials(#[from] OAuthError),
}

impl AuthorizedClient {
    /// Binds `cell`'s grant to `server`, the server `manager` was made for, discovering its
    /// authorization server unless the caller already did (rmcp refuses a grant minted by
    /// another issuer). `metadata` is what the caller installed in `manager`, if it did; a
    /// machine client's grant runs against it again when its token expires.
    pub async fn new(
        http: reqwest::Client,
        mut manager: AuthorizationManager,
        cell: Arc<TokenCell>,
        server: &url::Url,
        metadata: Option<AuthorizationMetadata>,
        dpop: Option<Arc<Dpop>>,
        route: crate::network::Route,
    ) -> Result<Self, SetupError> {
        manager.set_credential_store(CellStore(cell.clone()));
        if !manager.initialize_from_store().await? {
            return Err(RefreshError::NeedsSignIn.into());
        }
        let issuer = metadata
            .as_ref()
            .and_then(|metadata| metadata.issuer.as_deref());
        // rmcp restored the client id alone; a confidential client refreshes with its secret.
        if let Some(client) = registration::refresh_client(&cell.grant(), issuer)? {
            manager.configure_client(client)?;
        }
        Ok(Self {
            http,
            cell,
            renewer: Arc::new(Renewer::new(manager, server.clone(), metadata, route)),
            failure: Arc::new(Mutex::new(None)),
            dpop,
        })
    }

    /// The refresh failure behind the last failed request, if that is what failed.
    pub fn failure(&self) -> Option<RefreshError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn note(&self, failure: Option<RefreshError>) {
        *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = failure;
    }

    fn failed(&self, error: RefreshError) -> HttpError {
        self.note(Some(error.clone()));
        StreamableHttpError::Auth(match error {
            RefreshError::Rejected | RefreshError::ClientRejected(_) => {
                AuthError::TokenRefreshRejected(error.to_string())
            }
            RefreshError::NeedsSignIn => AuthError::AuthorizationRequired,
            RefreshError::Unavailable(detail) => AuthError::TokenRefreshFailed(detail),
        })
    }

    /// How `token` goes on a request to `uri` with `method`: as the bearer token, or (a
    /// DPoP-bound token) in the headers with a fresh proof. Returns the bearer and the headers.
    fn present(
        &self,
        token: &Secret,
        method: &'static str,
        uri: &str,
        custom_headers: &HashMap<HeaderName, HeaderValue>,
    ) -> Result<(Option<String>, HashMap<HeaderName, HeaderValue>), HttpError> {
        let Some(dpop) = &self.dpop else {
            return Ok((Some(token.expose().to_owned()), custom_headers.clone()));
        };
        let unusable = |error: String| {
            StreamableHttpError::Auth(AuthError::InternalError(format!("DPoP: {error}")))
        };
        let url = url::Url::parse(uri).map_err(|error| unusable(error.to_string()))?;
        let proof = dpop
            .proof(method, &url, Some(token.expose()))
            .map_err(|error| unusable(error.to_string()))?;
        let mut headers = custom_headers.clone();
        let value = |text: String| {
            let mut value =
                HeaderValue::from_str(&text).map_err(|error| unusable(error.to_string()))?;
            value.set_sensitive(true);
            Ok::<_, HttpError>(value)
        };
        headers.insert(
            reqwest::header::AUTHORIZATION,
            value(format!("DPoP {}", token.expose()))?,
        );
        headers.insert(HeaderName::from_static("dpop"), value(proof)?);
        Ok((None, headers))
    }

    /// The nonce a DPoP server wants (RFC 9449 §9). rmcp's HTTP client reports a 401's
    /// challenge but drops its other headers, so the nonce is asked for here: a JSON-RPC `ping`
    /// (harmless if the server answers it) with a proof and no nonce, whose `DPoP-Nonce` header is
    /// kept. Says whether a new nonce was learned.
    async fn learn_nonce(
        &self,
        uri: &str,
        session_id: Option<&str>,
        token: &Secret,
        custom_headers: &HashMap<HeaderName, HeaderValue>,
    ) -> bool {
        let (Some(dpop), Ok(url)) = (&self.dpop, url::Url::parse(uri)) else {
            return false;
        };
        let Ok((_, headers)) = self.present(token, "POST", uri, custom_headers) else {
            return false;
        };
        let mut request = self
            .http
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(
                reqwest::header::ACCEPT,
                "application/json, text/event-stream",
            )
            .body(r#"{"jsonrpc":"2.0","id":"patchbay-dpop-nonce","method":"ping"}"#);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        if let Some(session) = session_id {
            request = request.header("mcp-session-id", session);
        }
        let Ok(response) = request.send().await else {
            return false;
        };
        let nonce = response
            .headers()
            .get(super::dpop::NONCE_HEADER)
            .and_then(|value| value.to_str().ok());
        dpop.remember_nonce(&url, nonce)
    }

    /// Runs `call` with the current token presented for `method` on `uri`; on a 401, once more
    /// with the cell's answer (or, when a DPoP server asks for a nonce, with the same token and
    /// the nonce).
    async fn send<T, F, Fut>(
        &self,
        method: &'static str,
        uri: &str,
        session_id: Option<&str>,
        custom_headers: &HashMap<HeaderName, HeaderValue>,
        call: F,
    ) -> Result<T, HttpError>
    where
        F: Fn(Option<String>, HashMap<HeaderName, HeaderValue>) -> Fut,
        Fut: Future<Output = Result<T, HttpError>>,
    {
        let token = self
            .cell
            .access_token(&self.renewer)
            .await
            .map_err(|error| self.failed(error))?;
        let (bearer, headers) = self.present(&token, method, uri, custom_headers)?;
        let outcome = match call(bearer, headers).await {
            Err(StreamableHttpError::AuthRequired(challenge))
                if super::dpop::wants_nonce(&challenge.www_authenticate_header)
                    && self
                        .learn_nonce(uri, session_id, &token, custom_headers)
                        .await =>
            {
                let (bearer, headers) = self.present(&token, method, uri, custom_headers)?;
                call(bearer, headers).await
            }
            Err(StreamableHttpError::AuthRequired(challenge)) => {
                let retry: Secret = match self.cell.after_rejection(&self.renewer, &token).await {
                    Ok(retry) => retry,
                    Err(
                        error @ (RefreshError::Rejected
                        | RefreshError::NeedsSignIn
                        | RefreshError::ClientRejected(_)),
                    ) => {
                        self.note(Some(error));
                        return Err(StreamableHttpError::AuthRequired(challenge));
                    }
                    Err(error) => return Err(self.failed(error)),
                };
                let (bearer, headers) = self.present(&retry, method, uri, custom_headers)?;
                call(bearer, headers).await
            }
            outcome => outcome,
        };
        if outcome.is_ok() {
            self.note(None);
        }
        outcome
    }
}

// Each method ignores the transport's `auth_token` (none is configured for OAuth connectors)
// and forwards to reqwest's implementation with the cell's token.
impl StreamableHttpClient for AuthorizedClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.send(
            "POST",
            &uri,
            session_id.as_deref(),
            &custom_headers,
            |token, headers| {
                self.http.post_message(
                    uri.clone(),
                    message.clone(),
                    session_id.clone(),
                    token,
                    headers,
                )
            },
        )
        .await
    }

    async fn post_message_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.send(
            "POST",
            &uri,
            session_id.as_deref(),
            &custom_headers,
            |token, headers| {
                self.http.post_message_with_max_sse_event_size(
                    uri.clone(),
                    message.clone(),
                    session_id.clone(),
                    token,
                    headers,
                    max_sse_event_size,
                )
            },
        )
        .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, HttpError> {
        self.send(
            "POST",
            &uri,
            session_id.as_deref(),
            &custom_headers,
            |token, headers| {
                self.http.post_message_with_response_limits(
                    uri.clone(),
                    message.clone(),
                    session_id.clone(),
                    token,
                    headers,
                    limits,
                )
            },
        )
        .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), HttpError> {
        self.send(
            "DELETE",
            &uri,
            Some(&session_id),
            &custom_headers,
            |token, headers| {
                self.http
                    .delete_session(uri.clone(), session_id.clone(), token, headers)
            },
        )
        .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<EventStream, HttpError> {
        self.send(
            "GET",
            &uri,
            session_id.as_deref(),
            &custom_headers,
            |token, headers| {
                self.http.get_stream(
                    uri.clone(),
                    session_id.clone(),
                    last_event_id.clone(),
                    token,
                    headers,
                )
            },
        )
        .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_token: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
        max_sse_event_size: usize,
    ) -> Result<EventStream, HttpError> {
        self.send(
            "GET",
            &uri,
            session_id.as_deref(),
            &custom_headers,
            |token, headers| {
                self.http.get_stream_with_max_sse_event_size(
                    uri.clone(),
                    session_id.clone(),
                    last_event_id.clone(),
                    token,
                    headers,
                    max_sse_event_size,
                )
            },
        )
        .await
    }
}
