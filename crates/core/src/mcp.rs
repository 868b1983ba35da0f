//! The MCP client: connect to a remote server over Streamable HTTP (falling back to the legacy
//! HTTP+SSE transport the way the spec's backwards-compatibility section describes), send the
//! bearer token and custom headers on every request, and list or call what the server offers.
//!
//! Every network step has a timeout ([`Timeouts`]). A failed connection comes back as a
//! [`Diagnosis`]: which stage failed, what the server said, and a one-line hint for the person
//! looking at it. Nothing here knows about the store; callers hand in an [`Endpoint`].

mod clients;
mod diagnosis;
pub mod elicitation;
mod legacy_sse;
mod lifecycle;
mod listening;
pub mod listing_cache;
mod sse_guard;

/// The SSE guard, for the fuzz targets (`crate::fuzzing`).
#[cfg(feature = "fuzzing")]
pub(crate) fn fuzz_guard(
    body: impl futures::Stream<Item = Result<bytes::Bytes, reqwest::Error>> + Send + 'static,
) -> sse_guard::Guarded {
    sse_guard::Guarded::new(body)
}

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, CallToolResult, CancelledNotification,
    CancelledNotificationParam, ClientCapabilities, ClientConfig, ClientNotification,
    ClientRequest, Implementation, Prompt, Resource, ServerResult, Tool,
};
use rmcp::service::{ClientServiceExt, PeerRequestOptions, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, InsufficientScopeError, StreamableHttpClientTransportConfig,
};
use rmcp::{RoleClient, ServiceExt};
use url::Url;

pub(crate) use diagnosis::diagnose_detailed;
pub use diagnosis::{Diagnosis, Remedy, Stage, diagnose};
pub use legacy_sse::{LegacySseError, LegacySseTransport};
pub use lifecycle::Lifecycle;
use listening::Listening;

use crate::oauth::Grant;
use crate::oauth::authorized_client::{AuthorizedClient, SetupError};
use crate::oauth::dpop::Dpop;
use crate::oauth::http_client::manager as oauth_manager;
use crate::oauth::refresh::{RefreshError, TokenCell};
use crate::vocabulary::PROTOCOL_VERSION;

use crate::secret::Secret;

/// How long each part of talking to a server may take.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// TCP (and TLS) connection set-up.
    pub connect: Duration,
    /// One request: the whole initialize handshake, one page of tools, one tool call.
    pub request: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect is generous for any reachable host; 30 s per request allows slow tools
    /// without leaving a hung server unnoticed for long.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
        }
    }
}

/// Where and how to reach one server.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: Url,
    pub bearer: Option<Secret>,
    pub headers: Vec<(String, Secret)>,
    pub timeouts: Timeouts,
    /// OAuth credentials; tokens are attached and refreshed by [`AuthorizedClient`].
    pub oauth: Option<OAuthCredentials>,
    /// Who answers the server's `elicitation/create` requests. `None` (the default) does not
    /// announce the capability; see [`elicitation`].
    pub elicitation: Option<std::sync::Arc<dyn elicitation::Responder>>,
    /// An OAuth connector without a sign-in (signed out, or never finished): a server that
    /// asks for credentials is told to be signed in to, not given a token.
    pub signed_out: bool,
    /// Whose lists a server's private cache hints may be kept for (the connector's id);
    /// `None` keeps only lists the server calls public ([`listing_cache`]).
    pub cache_partition: Option<String>,
    /// The proxy and extra CA certificates requests go out with ([`crate::network`]).
    pub route: crate::network::Route,
}

/// An OAuth credential: the [`TokenCell`] holding its grant, shared by every session of one
/// connector (the facade's) or private to one use ([`OAuthCredentials::detached`]).
#[derive(Clone)]
pub struct OAuthCredentials(std::sync::Arc<TokenCell>);

impl OAuthCredentials {
    /// A grant used on its own (a sign-in being tested before it is saved, a one-off client):
    /// refreshes stay in memory; [`OAuthCredentials::grant`] returns the newest.
    pub fn detached(grant: Grant) -> Self {
        Self(TokenCell::detached(grant))
    }

    /// A connector's process-wide cell.
    pub fn shared(cell: std::sync::Arc<TokenCell>) -> Self {
        Self(cell)
    }

    /// The current grant, including any refresh.
    pub fn grant(&self) -> Grant {
        self.0.grant()
    }

    /// The access token held now, not renewed.
    pub(crate) fn access_token(&self) -> Option<Secret> {
        self.0.current_access_token()
    }
}

impl std::fmt::Debug for OAuthCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OAuthCredentials(<redacted>)")
    }
}

impl Endpoint {
    pub fn new(url: Url) -> Self {
        crate::url_secrets::remember(&url);
        Self {
            url,
            bearer: None,
            headers: Vec::new(),
            timeouts: Timeouts::default(),
            oauth: None,
            elicitation: None,
            signed_out: false,
            cache_partition: None,
            route: crate::network::Route::default(),
        }
    }

    /// Custom headers plus the bearer token, ready for reqwest. Values are marked sensitive so
    /// reqwest and http never print them.
    fn header_map(&self, with_bearer: bool) -> Result<HeaderMap, HeaderError> {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HeaderError::Name(name.clone()))?;
            let mut value = HeaderValue::from_str(value.expose())
                .map_err(|_| HeaderError::Value(name.to_string()))?;
            value.set_sensitive(true);
            map.insert(name, value);
        }
        if with_bearer && let Some(token) = &self.bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| HeaderError::Token)?;
            value.set_sensitive(true);
            map.insert(reqwest::header::AUTHORIZATION, value);
        }
        Ok(map)
    }

    /// The HTTP client for this endpoint's timeouts and route, shared ([`clients`]).
    fn http_client(&self) -> Result<reqwest::Client, String> {
        use std::hash::{Hash, Hasher};
        let mut key = std::collections::hash_map::DefaultHasher::new();
        self.timeouts.connect.hash(&mut key);
        self.timeouts.request.hash(&mut key);
        self.route.fingerprint().hash(&mut key);
        clients::shared(key.finish(), || {
            let builder = reqwest::Client::builder()
                .connect_timeout(self.timeouts.connect)
                .read_timeout(self.timeouts.request)
                .user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")))
                .redirect(same_origin_redirects());
            self.route
                .apply(builder)?
                .build()
                .map_err(|error| error.to_string())
        })
    }
}

/// Redirects are followed only within the server's own origin. reqwest drops `Authorization` on
/// a cross-origin hop but forwards every other header, and custom headers carry secrets (API
/// keys): a server must not be able to send them elsewhere (checklist 21). A cross-origin
/// redirect ends the request with the 3xx, which the diagnosis reports.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    /// reqwest's own default limit.
    const MAX_REDIRECTS: usize = 10;
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else {
            attempt.follow()
        }
    })
}

/// Which wire protocol a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TransportKind {
    StreamableHttp,
    LegacySse,
}

/// Why a Streamable HTTP connection failed.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The OAuth access token could not be renewed.
    Refresh(RefreshError),
    /// The server answered the legacy GET with an event stream, which then failed (broke off,
    /// sent no usable endpoint, or an event Patchbay refuses): it is a legacy SSE server.
    LegacyStream(String),
    Other(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refresh(failure) => failure.fmt(f),
            Self::LegacyStream(error) | Self::Other(error) => f.write_str(error),
        }
    }
}

/// A custom header or token that cannot be sent as an HTTP header.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HeaderError {
    #[error("invalid header name {0:?}")]
    Name(String),
    #[error("invalid value for header {0}")]
    Value(String),
    #[error("the access token contains characters not allowed in a header")]
    Token,
}

impl From<HeaderError> for ConnectError {
    fn from(error: HeaderError) -> Self {
        Self::Other(error.to_string())
    }
}

impl From<String> for ConnectError {
    fn from(error: String) -> Self {
        Self::Other(error)
    }
}

/// How long a call's answer waits for progress notifications still being dispatched.
const PROGRESS_STRAGGLERS: Duration = Duration::from_millis(50);

/// A progress notification of a call, as the server sent it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// Told of each request a server refuses for lack of scope, with the scope it named (the facade
/// records the step-up need on the connector; see [`crate::oauth::step_up`]).
pub type ScopeRefusalHook = std::sync::Arc<dyn Fn(Option<&str>) + Send + Sync>;

/// An initialized MCP session. Dropping it cancels the background task and closes the stream.
pub struct Session {
    service: RunningService<RoleClient, elicitation::Handler>,
    transport: TransportKind,
    request_timeout: Duration,
    connected_in: Duration,
    on_scope_refusal: Option<ScopeRefusalHook>,
    /// Where this connection's tool lists may be kept ([`listing_cache`]).
    listing: listing_cache::Keys,
    /// The URL whose query credentials are taken out of this session's error texts
    /// ([`crate::url_secrets`]); `None` when it has none.
    redacting: Option<Url>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("the server did not answer within {0:?}")]
    Timeout(Duration),
    /// HTTP 403 `insufficient_scope`: the token lacks a scope this call needs. Signing in again
    /// with `challenge` (the server's WWW-Authenticate header) asks for it (step-up).
    #[error("the server requires more permissions{}; sign in again to grant them", .required_scope.as_deref().map(|s| format!(" (scope {s})")).unwrap_or_default())]
    InsufficientScope {
        challenge: String,
        required_scope: Option<String>,
    },
    /// HTTP 401 to a request of an open session: the server no longer accepts the credentials
    /// (a revoked or expired token without refresh, or a server that now trusts another
    /// authorization server, SEP-2352). Signing in again fixes it.
    #[error("the server no longer accepts the sign-in (HTTP 401); sign in again")]
    Unauthorized { challenge: String },
    #[error("{0}")]
    Service(rmcp::ServiceError),
    /// A [`CallError::Service`] whose text had the URL's query credentials taken out.
    #[error("{0}")]
    Failed(String),
}

impl From<rmcp::ServiceError> for CallError {
    fn from(error: rmcp::ServiceError) -> Self {
        // rmcp reports a 403 insufficient_scope deep in its transport error chain.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(current) = source {
            if let Some(scope) = current.downcast_ref::<InsufficientScopeError>() {
                return Self::InsufficientScope {
                    challenge: scope.www_authenticate_header.clone(),
                    required_scope: scope.required_scope.clone(),
                };
            }
            if let Some(refused) = current.downcast_ref::<AuthRequiredError>() {
                return Self::Unauthorized {
                    challenge: refused.www_authenticate_header.clone(),
                };
            }
            source = current.source();
        }
        Self::Service(error)
    }
}

fn client_info() -> ClientConfig {
    let mut info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("patchbay", env!("CARGO_PKG_VERSION")),
    );
    info.protocol_version = PROTOCOL_VERSION;
    info
}

/// Patchbay's client info, answering elicitation through the endpoint's responder, if any, and
/// dropping cached tool lists when the server says its tools changed.
fn client_handler(endpoint: &Endpoint) -> elicitation::Handler {
    elicitation::Handler::new(client_info(), endpoint.elicitation.clone())
        .forgetting(listing_cache::Keys::of(endpoint))
}

/// The HTTP client a Streamable HTTP session goes through.
enum Http {
    Plain(reqwest::Client),
    /// Attaches the OAuth token and renews it.
    Authorized(AuthorizedClient),
}

impl Http {
    /// One connection, started the way `lifecycle` says.
    async fn start(
        &self,
        endpoint: &Endpoint,
        config: StreamableHttpClientTransportConfig,
        lifecycle: Lifecycle,
    ) -> Result<RunningService<RoleClient, elicitation::Handler>, ConnectError> {
        match self {
            Self::Plain(client) => {
                serve_through(client.clone(), endpoint, config, lifecycle, |_, error| {
                    error.into()
                })
                .await
            }
            // A failed token refresh explains the failure better than rmcp's error.
            Self::Authorized(client) => {
                serve_through(
                    client.clone(),
                    endpoint,
                    config,
                    lifecycle,
                    |client, error| {
                        client
                            .failure()
                            .map_or_else(|| error.into(), ConnectError::Refresh)
                    },
                )
                .await
            }
        }
    }
}

/// One connection through `client`, handed out once the server can reach us ([`listening`]);
/// a server slower than that to answer its standalone stream is used anyway (it may only lose
/// what it sends before the stream opens). `explain` turns rmcp's failure into the connection
/// error.
async fn serve_through<C>(
    client: C,
    endpoint: &Endpoint,
    config: StreamableHttpClientTransportConfig,
    lifecycle: Lifecycle,
    explain: impl FnOnce(&C, String) -> ConnectError,
) -> Result<RunningService<RoleClient, elicitation::Handler>, ConnectError>
where
    C: rmcp::transport::streamable_http_client::StreamableHttpClient + Sync,
{
    let client = Listening::new(client);
    let transport = StreamableHttpClientTransport::with_client(client.clone(), config);
    let service = client_handler(endpoint)
        .serve_with_lifecycle(transport, lifecycle.mode())
        .await
        .map_err(|error| explain(client.inner(), error.to_string()))?;
    let wait = listening::STANDALONE_WAIT.min(endpoint.timeouts.request);
    if !client.ready(wait).await {
        tracing::debug!(
            ?wait,
            "the standalone stream was not answered in time; going on"
        );
    }
    Ok(service)
}

impl Session {
    /// Connects and initializes, choosing the transport. On failure, explains why.
    pub async fn connect(endpoint: &Endpoint) -> Result<Self, Diagnosis> {
        diagnosis::connect(endpoint)
            .await
            .map_err(|diagnosis| diagnosis.redacted(&endpoint.url))
    }

    async fn streamable(endpoint: &Endpoint) -> Result<Self, ConnectError> {
        let started = Instant::now();
        let client = endpoint.http_client()?;
        let custom: HashMap<HeaderName, HeaderValue> = endpoint
            .header_map(false)?
            .into_iter()
            .filter_map(|(k, v)| Some((k?, v)))
            .collect();
        let mut config = StreamableHttpClientTransportConfig::with_uri(endpoint.url.as_str())
            .custom_headers(custom);
        if let Some(token) = &endpoint.bearer {
            config = config.auth_header(token.expose());
        }
        let http = match &endpoint.oauth {
            None => Http::Plain(client),
            Some(oauth) => {
                // A DPoP-bound grant proves its key at the token endpoint and to the server.
                let dpop = oauth
                    .0
                    .grant()
                    .dpop_key()
                    .map_err(|error| error.to_string())?
                    .map(Dpop::new);
                let mut manager = oauth_manager(&endpoint.url, &endpoint.route, dpop.clone())
                    .await
                    .map_err(|error| error.to_string())?;
                // Discovery with Patchbay's 2025-03-26 rule, before rmcp would discover on its own.
                let metadata = crate::oauth::discovery::resolve_metadata(
                    &manager,
                    &endpoint.url,
                    &endpoint.route,
                )
                .await
                .map_err(|error| error.to_string())?;
                manager.set_metadata(metadata.clone());
                let auth_client = AuthorizedClient::new(
                    client,
                    manager,
                    oauth.0.clone(),
                    &endpoint.url,
                    Some(metadata),
                    dpop,
                    endpoint.route.clone(),
                )
                .await
                .map_err(|error| match error {
                    SetupError::Refresh(failure) => ConnectError::Refresh(failure),
                    SetupError::Discovery(error) => ConnectError::Other(error.to_string()),
                    SetupError::Credentials(error) => ConnectError::Other(error.to_string()),
                })?;
                Http::Authorized(auth_client)
            }
        };
        let first = lifecycle::first_for(&endpoint.url);
        let service = match http.start(endpoint, config.clone(), first).await {
            Ok(service) => service,
            // A 2025 server with sessions refuses `server/discover` at the HTTP level (400, no
            // JSON-RPC answer rmcp could read), which ends that connection: start over with
            // `initialize` on a new one.
            Err(ConnectError::Other(error)) if first == Lifecycle::Discover => {
                tracing::debug!(%error, "server/discover failed; starting with initialize");
                http.start(endpoint, config, Lifecycle::Initialize).await?
            }
            Err(error) => return Err(error),
        };
        if let Some(info) = service.peer_info() {
            lifecycle::remember(&endpoint.url, Lifecycle::of(&info.protocol_version));
        }
        Ok(Self {
            service,
            transport: TransportKind::StreamableHttp,
            request_timeout: endpoint.timeouts.request,
            connected_in: started.elapsed(),
            on_scope_refusal: None,
            listing: listing_cache::Keys::of(endpoint),
            redacting: crate::url_secrets::has_secrets(&endpoint.url).then(|| endpoint.url.clone()),
        })
    }

    async fn legacy(endpoint: &Endpoint) -> Result<Self, ConnectError> {
        let started = Instant::now();
        let client = endpoint.http_client()?;
        let transport =
            LegacySseTransport::connect(client, &endpoint.url, endpoint.header_map(true)?)
                .await
                .map_err(|error| match error {
                    LegacySseError::Http(_)
                    | LegacySseError::Status(_)
                    | LegacySseError::NotEventStream(_) => ConnectError::Other(error.to_string()),
                    _ => ConnectError::LegacyStream(error.to_string()),
                })?;
        let service = client_handler(endpoint)
            .serve(transport)
            .await
            .map_err(|error| error.to_string())?;
        Ok(Self {
            service,
            transport: TransportKind::LegacySse,
            request_timeout: endpoint.timeouts.request,
            connected_in: started.elapsed(),
            on_scope_refusal: None,
            listing: listing_cache::Keys::of(endpoint),
            redacting: crate::url_secrets::has_secrets(&endpoint.url).then(|| endpoint.url.clone()),
        })
    }

    /// Calls `hook` whenever a request of this session is refused for lack of scope.
    pub fn on_scope_refusal(mut self, hook: ScopeRefusalHook) -> Self {
        self.on_scope_refusal = Some(hook);
        self
    }

    pub fn transport(&self) -> TransportKind {
        self.transport
    }

    /// `error` with this session's URL credentials taken out of its text.
    fn redacted(&self, error: CallError) -> CallError {
        match (error, &self.redacting) {
            (CallError::Service(error), Some(url)) => {
                CallError::Failed(crate::url_secrets::redact(&error.to_string(), url))
            }
            (error, _) => error,
        }
    }

    pub fn connected_in(&self) -> Duration {
        self.connected_in
    }

    /// The server's name and version, as it announced them.
    pub fn server(&self) -> Option<(String, String)> {
        let info = self.service.peer_info()?;
        let server = info.server_info.as_ref()?;
        Some((server.name.clone(), server.version.clone()))
    }

    pub fn protocol_version(&self) -> Option<String> {
        Some(self.service.peer_info()?.protocol_version.to_string())
    }

    async fn bounded<T>(
        &self,
        work: impl Future<Output = Result<T, rmcp::ServiceError>>,
    ) -> Result<T, CallError> {
        let result = tokio::time::timeout(self.request_timeout, work)
            .await
            .map_err(|_| CallError::Timeout(self.request_timeout))?
            .map_err(|error| self.redacted(CallError::from(error)));
        if let (Err(CallError::InsufficientScope { required_scope, .. }), Some(hook)) =
            (&result, &self.on_scope_refusal)
        {
            hook(required_scope.as_deref());
        }
        result
    }

    /// Every tool, following pagination to the end, asked of the server (a health check must);
    /// the list is kept as the server's cache hints allow ([`listing_cache`]).
    pub async fn list_tools(&self) -> Result<Vec<Tool>, CallError> {
        let listed = self
            .bounded(self.service.peer().list_all_tools_with_cache_hint())
            .await?;
        listing_cache::put(
            &self.listing,
            &listed.items,
            listed.ttl_ms,
            listed.cache_scope,
        );
        Ok(listed.items)
    }

    /// Every tool, from the list kept while the server's cache hints say it is fresh (SEP-2549),
    /// else from the server.
    pub async fn list_tools_cached(&self) -> Result<Vec<Tool>, CallError> {
        match listing_cache::get(&self.listing) {
            Some(tools) => Ok(tools),
            None => self.list_tools().await,
        }
    }

    pub async fn list_resources(&self) -> Result<Vec<Resource>, CallError> {
        self.bounded(self.service.peer().list_all_resources()).await
    }

    pub async fn list_prompts(&self) -> Result<Vec<Prompt>, CallError> {
        self.bounded(self.service.peer().list_all_prompts()).await
    }

    pub async fn call_tool(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<CallToolResult, CallError> {
        let mut params = CallToolRequestParams::new(name.to_owned());
        if let Some(arguments) = arguments {
            params = params.with_arguments(arguments);
        }
        // The service's call_tool (not the peer's) answers a 2026-07-28 server's input-required
        // results (SEP-2322) through the client handler and sends the request again with the
        // answers and the server's request state, for a bounded number of rounds.
        self.bounded(self.service.call_tool(params)).await
    }

    /// Calls a tool for a step run, patiently: `idle` is how long the server may stay silent —
    /// every progress notification it sends for this call starts the wait again, so a long
    /// tool that reports progress is never timed out — and `limit` bounds the whole call.
    /// Dropping the future (a cancelled run) tells the server with `notifications/cancelled`.
    pub async fn call_tool_patiently(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        idle: Duration,
        limit: Duration,
    ) -> Result<CallToolResult, CallError> {
        self.call_tool_watched(name, arguments, idle, limit, &|_| {})
            .await
    }

    /// [`Session::call_tool_patiently`], telling `on_progress` of each progress notification
    /// the server sends for this call.
    pub async fn call_tool_watched(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        idle: Duration,
        limit: Duration,
        on_progress: &(dyn Fn(Progress) + Send + Sync),
    ) -> Result<CallToolResult, CallError> {
        use futures::StreamExt;
        let arguments_again = arguments.clone();
        let mut params = CallToolRequestParams::new(name.to_owned());
        if let Some(arguments) = arguments {
            params = params.with_arguments(arguments);
        }
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let options = PeerRequestOptions::with_timeout(idle)
            .reset_timeout_on_progress()
            .with_max_total_timeout(limit);
        let sent = self
            .service
            .peer()
            .send_request_with_option(request, options)
            .await;
        let result = match sent {
            Ok(handle) => {
                let mut abandoned = Abandoned {
                    peer: Some(handle.peer.clone()),
                    id: handle.id.clone(),
                };
                let mut progress = self
                    .service
                    .service()
                    .progress
                    .subscribe(handle.progress_token.clone())
                    .await;
                let answer = handle.await_response();
                tokio::pin!(answer);
                let reported = std::sync::atomic::AtomicBool::new(false);
                let tell = |update: rmcp::model::ProgressNotificationParam| {
                    reported.store(true, std::sync::atomic::Ordering::Relaxed);
                    on_progress(Progress {
                        progress: update.progress,
                        total: update.total,
                        message: update.message,
                    });
                };
                // Progress first: a server's last notification and its answer often arrive
                // together, and the notification came first.
                let answer = loop {
                    tokio::select! {
                        biased;
                        Some(update) = progress.next() => tell(update),
                        answer = &mut answer => break answer,
                    }
                };
                // Notifications are dispatched apart from answers: what is still on its way
                // when the answer lands is given a moment (only for a server that reports
                // progress at all), never more.
                while reported.load(std::sync::atomic::Ordering::Relaxed)
                    && let Ok(Some(update)) =
                        tokio::time::timeout(PROGRESS_STRAGGLERS, progress.next()).await
                {
                    tell(update);
                }
                abandoned.peer = None;
                match answer {
                    Ok(ServerResult::CallToolResult(result)) => Ok(result),
                    // The server needs input first (SEP-2322): ask again through the driver
                    // that answers such rounds (the first round asked nothing of the server's
                    // tool but the question).
                    Ok(ServerResult::InputRequiredResult(_)) => {
                        let mut params = CallToolRequestParams::new(name.to_owned());
                        if let Some(arguments) = arguments_again {
                            params = params.with_arguments(arguments);
                        }
                        tokio::time::timeout(limit, self.service.call_tool(params))
                            .await
                            .map_err(|_| CallError::Timeout(limit))?
                            .map_err(CallError::from)
                    }
                    Ok(_) => Err(CallError::Service(rmcp::ServiceError::UnexpectedResponse)),
                    Err(rmcp::ServiceError::Timeout { timeout }) => {
                        Err(CallError::Timeout(timeout))
                    }
                    Err(error) => Err(CallError::from(error)),
                }
            }
            Err(error) => Err(CallError::from(error)),
        }
        .map_err(|error| self.redacted(error));
        if let (Err(CallError::InsufficientScope { required_scope, .. }), Some(hook)) =
            (&result, &self.on_scope_refusal)
        {
            hook(required_scope.as_deref());
        }
        result
    }

    /// How many times the server said its tool list changed since this session opened.
    pub fn tool_list_changes(&self) -> u32 {
        self.service
            .service()
            .tools_changed
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// What the server said of itself when the session opened.
    pub fn peer_info(&self) -> Option<std::sync::Arc<rmcp::model::ServerPeerInfo>> {
        self.service.peer_info()
    }

    pub async fn list_resource_templates(
        &self,
    ) -> Result<Vec<rmcp::model::ResourceTemplate>, CallError> {
        self.bounded(self.service.peer().list_all_resource_templates())
            .await
    }

    pub async fn read_resource(
        &self,
        uri: &str,
    ) -> Result<rmcp::model::ReadResourceResult, CallError> {
        self.bounded(
            self.service
                .read_resource(rmcp::model::ReadResourceRequestParams::new(uri)),
        )
        .await
    }

    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
    ) -> Result<rmcp::model::GetPromptResult, CallError> {
        let mut params = rmcp::model::GetPromptRequestParams::new(name);
        params.arguments = arguments;
        self.bounded(self.service.get_prompt(params)).await
    }

    /// Ends the session politely (DELETE for Streamable HTTP sessions).
    pub async fn close(self) {
        if let Err(error) = self.service.cancel().await {
            tracing::debug!(%error, "closing the MCP session");
        }
    }
}

/// A request whose answer nobody awaits any more: dropped while armed, it tells the server the
/// request is cancelled, so the server can stop the work (rmcp does the same for its own calls).
struct Abandoned {
    peer: Option<rmcp::Peer<RoleClient>>,
    id: rmcp::model::RequestId,
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        let Some(peer) = self.peer.take() else {
            return;
        };
        let notification = ClientNotification::CancelledNotification(CancelledNotification::new(
            CancelledNotificationParam::new(
                Some(self.id.clone()),
                Some("the step run was cancelled".into()),
            ),
        ));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = peer.send_notification(notification).await {
                    tracing::debug!(%error, "telling the server a call was cancelled");
                }
            });
        }
    }
}
