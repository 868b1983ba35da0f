//! Connection diagnosis: turn "it doesn't work" into the stage that failed, what the server said,
//! and one line of advice.
//!
//! The happy path costs nothing extra: we connect with rmcp first. Only when that fails do we
//! probe step by step (DNS, TCP, one raw initialize POST) to name the failing stage, and follow
//! the spec's backwards-compatibility rule: a 400/404/405 to the initialize POST means "try the
//! legacy HTTP+SSE transport with a GET".

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, WWW_AUTHENTICATE,
};
use serde::Serialize;

use super::{CallError, ConnectError, Endpoint, Session, TransportKind};
use crate::oauth::refresh::RefreshError;
use crate::vocabulary::ConnectorStatus;

/// Where a connection attempt stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Stage {
    Resolve,
    Connect,
    Tls,
    Http,
    Auth,
    Initialize,
    ListTools,
    /// Nothing failed.
    Ready,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Self::Resolve => "DNS lookup",
            Self::Connect => "connection",
            Self::Tls => "TLS",
            Self::Http => "HTTP",
            Self::Auth => "authentication",
            Self::Initialize => "MCP initialize",
            Self::ListTools => "listing tools",
            Self::Ready => "ready",
        }
    }
}

/// What the person can do about a failed check beyond the hint's words, when it is an action a
/// front end offers (the app as a button, the CLI as a command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Remedy {
    /// Sign in again (the app's Re-authenticate).
    SignInAgain,
    /// Enter the machine client's new secret or key (the app's Renew now).
    NewClientCredentials,
}

/// The outcome of testing a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Diagnosis {
    pub ok: bool,
    pub stage: Stage,
    pub transport: Option<TransportKind>,
    pub http_status: Option<u16>,
    pub server_name: Option<String>,
    pub server_version: Option<String>,
    pub protocol_version: Option<String>,
    pub tool_count: Option<u32>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub latency_ms: u64,
    /// The server accepted the connection but never answered in time.
    pub timed_out: bool,
    /// What went wrong, in one line (empty when ok).
    pub detail: String,
    /// What to do about it, in one line (empty when ok). Plain words, never a front end's.
    pub hint: String,
    /// The action behind the hint, when a front end offers one.
    pub remedy: Option<Remedy>,
    /// The proxy and extra CA the check went out with, when not the system's defaults.
    pub route: Option<String>,
}

impl Diagnosis {
    /// This diagnosis with `url`'s query credentials taken out of its texts (an HTTP error
    /// names the URL it failed on): it is shown, and saved as the connector's last error.
    pub fn redacted(mut self, url: &url::Url) -> Self {
        if crate::url_secrets::has_secrets(url) {
            self.detail = crate::url_secrets::redact(&self.detail, url);
            self.hint = crate::url_secrets::redact(&self.hint, url);
        }
        self
    }

    fn failure(stage: Stage, started: Instant, detail: impl Into<String>, hint: &str) -> Self {
        Self {
            ok: false,
            stage,
            transport: None,
            http_status: None,
            server_name: None,
            server_version: None,
            protocol_version: None,
            tool_count: None,
            latency_ms: millis(started.elapsed()),
            timed_out: false,
            detail: detail.into(),
            hint: hint.to_owned(),
            remedy: None,
            route: None,
        }
    }

    fn with_remedy(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
        self
    }

    fn timed_out(mut self) -> Self {
        self.timed_out = true;
        self
    }

    fn with_status(mut self, status: StatusCode) -> Self {
        self.http_status = Some(status.as_u16());
        self
    }

    /// Turns this outcome into a refusal for lack of scope, as the facade judged it
    /// ([`crate::oauth::step_up::Verdict`]): the connector needs authentication when new
    /// credentials may help, and is in error otherwise.
    pub(crate) fn scope_refused(&mut self, verdict: &crate::oauth::step_up::Verdict) {
        self.ok = false;
        self.stage = if verdict.needs_auth() {
            Stage::Auth
        } else {
            Stage::ListTools
        };
        self.detail = verdict.detail();
        self.hint = verdict.hint().to_owned();
        self.remedy = matches!(verdict, crate::oauth::step_up::Verdict::SignInAgain { .. })
            .then_some(Remedy::SignInAgain);
    }

    /// The connector status this outcome implies.
    pub fn status(&self) -> ConnectorStatus {
        match self.stage {
            _ if self.timed_out => ConnectorStatus::Disconnected,
            Stage::Ready => ConnectorStatus::Connected,
            Stage::Auth => ConnectorStatus::NeedsAuth,
            Stage::Resolve | Stage::Connect => ConnectorStatus::Disconnected,
            Stage::Http | Stage::Tls | Stage::Initialize | Stage::ListTools => {
                ConnectorStatus::Error
            }
        }
    }

    /// `stage failed: detail — hint`, for logs and one-line error output.
    pub fn summary(&self) -> String {
        if self.ok {
            return "connected".into();
        }
        format!("{} failed: {}", self.stage.label(), self.detail)
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

const HINT_URL: &str = "check the URL and that the server is running";
const HINT_DNS: &str = "check the host name in the URL (it does not resolve)";
const HINT_TLS_CA: &str = "the server's TLS certificate is not trusted: if it is signed by a private \
     certificate authority (a company's own), add that CA's certificate (PEM) to the connector's \
     network settings; otherwise check the URL (http vs https) and the server's certificate";
const HINT_TLS: &str = "the server's TLS certificate is not trusted or the TLS handshake failed; check the URL \
     (http vs https) and the server's certificate";
const HINT_NO_CREDENTIALS: &str =
    "the server requires authentication: add an access token or choose OAuth";
const HINT_BAD_CREDENTIALS: &str =
    "credentials invalid or expired: update the access token or re-authenticate";
const HINT_FORBIDDEN: &str =
    "the credentials were accepted but lack permission: check the token's scopes or the account";
const HINT_PATH: &str = "the server answers, but not as MCP at this path: check the URL's path (often /mcp, or /sse \
     for older servers)";
const HINT_SERVER: &str =
    "the server reported an internal error; try again later or check its logs";
const HINT_HANG: &str = "the server accepted the connection but did not answer in time: it may be overloaded, stuck, \
     or not an MCP server";
const HINT_PROTOCOL: &str = "the server speaks HTTP but the MCP handshake failed: it may not be an MCP server or may use \
     an unsupported protocol version";
const HINT_LEGACY_STREAM: &str = "the server speaks the older HTTP+SSE transport, but its event stream \
                                  failed or sent something Patchbay refuses; the server may be misbehaving";
const HINT_REDIRECT: &str = "the URL redirects; enter the final URL instead";
const HINT_SIGN_IN: &str = "sign in again";
const HINT_HEADERS: &str = "the server rejected the request's MCP headers: it may speak a newer protocol revision \
     than Patchbay does (2026-07-28, and 2025-11-25 and older); check for a Patchbay update";
const HINT_CAPABILITY: &str = "the server requires a client capability Patchbay does not offer; it cannot be used from Patchbay";
const HINT_VERSION: &str = "the server supports none of the MCP protocol revisions Patchbay speaks (2026-07-28, and \
     2025-11-25 and older)";
const HINT_METHOD: &str = "the server does not know the MCP handshake (server/discover or initialize): it may not be \
     an MCP server, or speak a revision Patchbay does not";
const HINT_NEW_CLIENT_CREDENTIALS: &str =
    "enter the machine client's new secret or key (it was rotated or revoked)";
const HINT_REFRESH: &str = "the authorization server could not renew the access token; the sign-in is kept \
     and Patchbay retries";

/// A connection that failed because the OAuth access token could not be renewed.
fn refresh_failure(failure: RefreshError, started: Instant) -> Diagnosis {
    match failure {
        RefreshError::Rejected | RefreshError::NeedsSignIn => {
            Diagnosis::failure(Stage::Auth, started, failure.to_string(), HINT_SIGN_IN)
                .with_remedy(Remedy::SignInAgain)
        }
        RefreshError::ClientRejected(_) => Diagnosis::failure(
            Stage::Auth,
            started,
            failure.to_string(),
            HINT_NEW_CLIENT_CREDENTIALS,
        )
        .with_remedy(Remedy::NewClientCredentials),
        // Not Stage::Auth: the tokens are fine, the authorization server is not (retry later).
        RefreshError::Unavailable(_) => {
            Diagnosis::failure(Stage::Http, started, failure.to_string(), HINT_REFRESH)
        }
    }
}

/// Connects, diagnosing the failure if there is one.
pub(super) async fn connect(endpoint: &Endpoint) -> Result<Session, Diagnosis> {
    let started = Instant::now();
    if !proxy_configured() {
        preflight(endpoint, started).await?;
    }
    let request_timeout = endpoint.timeouts.request;
    let rmcp_error = match tokio::time::timeout(request_timeout, Session::streamable(endpoint))
        .await
    {
        Ok(Ok(session)) => return Ok(session),
        Ok(Err(ConnectError::Refresh(failure))) => return Err(refresh_failure(failure, started)),
        Ok(Err(ConnectError::Other(error) | ConnectError::LegacyStream(error))) => error,
        Err(_) => {
            return Err(Diagnosis::failure(
                Stage::Initialize,
                started,
                format!(
                    "no answer to initialize within {}s",
                    request_timeout.as_secs()
                ),
                HINT_HANG,
            )
            .timed_out());
        }
    };
    tracing::debug!(error = %rmcp_error, "streamable HTTP connect failed; probing");
    Err(match probe(endpoint, started).await {
        Probe::Diagnosed(diagnosis) => diagnosis,
        Probe::TryLegacy(status) => {
            match tokio::time::timeout(request_timeout, Session::legacy(endpoint)).await {
                Ok(Ok(session)) => return Ok(session),
                // A legacy SSE server whose stream went wrong: say what, not the POST's status.
                Ok(Err(ConnectError::LegacyStream(detail))) => {
                    let mut diagnosis =
                        Diagnosis::failure(Stage::Initialize, started, detail, HINT_LEGACY_STREAM);
                    diagnosis.transport = Some(TransportKind::LegacySse);
                    diagnosis
                }
                Ok(Err(legacy_error)) => {
                    tracing::debug!(error = %legacy_error, "legacy SSE connect failed");
                    let detail = if status == StatusCode::NOT_FOUND {
                        "HTTP 404 Not Found: there is no MCP endpoint at this URL".to_owned()
                    } else {
                        format!("the server rejected the MCP request with HTTP {status}")
                    };
                    Diagnosis::failure(Stage::Http, started, detail, HINT_PATH).with_status(status)
                }
                Err(_) => Diagnosis::failure(
                    Stage::Initialize,
                    started,
                    format!("no answer within {}s", request_timeout.as_secs()),
                    HINT_HANG,
                )
                .timed_out(),
            }
        }
        Probe::LooksLikeMcp(status) => Diagnosis::failure(
            Stage::Initialize,
            started,
            crate::vocabulary::first_line(&rmcp_error),
            HINT_PROTOCOL,
        )
        .with_status(status),
    })
}

/// DNS and TCP, each with the connect timeout, so the two commonest failures get their own words.
async fn preflight(endpoint: &Endpoint, started: Instant) -> Result<(), Diagnosis> {
    let url = &endpoint.url;
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let limit = endpoint.timeouts.connect;
    let addresses =
        match tokio::time::timeout(limit, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(addresses)) => addresses.collect::<Vec<_>>(),
            Ok(Err(error)) => {
                return Err(Diagnosis::failure(
                    Stage::Resolve,
                    started,
                    format!("cannot resolve {host}: {error}"),
                    HINT_DNS,
                ));
            }
            Err(_) => {
                return Err(Diagnosis::failure(
                    Stage::Resolve,
                    started,
                    format!("resolving {host} timed out"),
                    HINT_DNS,
                ));
            }
        };
    if addresses.is_empty() {
        return Err(Diagnosis::failure(
            Stage::Resolve,
            started,
            format!("{host} has no addresses"),
            HINT_DNS,
        ));
    }
    match tokio::time::timeout(limit, tokio::net::TcpStream::connect(addresses.as_slice())).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(error)) => Err(Diagnosis::failure(
            Stage::Connect,
            started,
            format!("cannot connect to {host}:{port}: {error}"),
            HINT_URL,
        )),
        Err(_) => Err(Diagnosis::failure(
            Stage::Connect,
            started,
            format!(
                "connecting to {host}:{port} timed out after {}s",
                limit.as_secs()
            ),
            HINT_URL,
        )),
    }
}

fn proxy_configured() -> bool {
    [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some_and(|value| !value.is_empty()))
}

enum Probe {
    Diagnosed(Diagnosis),
    /// 400/404/405: the spec says to try the legacy transport.
    TryLegacy(StatusCode),
    /// The server answers initialize like an MCP server would; rmcp's error is the story.
    LooksLikeMcp(StatusCode),
}

/// What one probe request got back.
struct Answer {
    status: StatusCode,
    content_type: String,
    challenged: bool,
    location: Option<String>,
    /// The JSON-RPC error of a 400 answer, when the body is one.
    refusal: Option<RpcRefusal>,
}

/// A server's JSON-RPC error object.
#[derive(Debug, serde::Deserialize)]
struct RpcRefusal {
    code: i32,
    #[serde(default)]
    message: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct RpcAnswer {
    error: RpcRefusal,
}

/// How much of a 400 answer is read for its JSON-RPC error.
const REFUSAL_LIMIT: usize = 64 * 1024;

/// Probe requests as the failed session sent them, to read the status, content type and error
/// body rmcp's error may hide: `server/discover` with the 2026-07-28 headers first, then, when
/// that is refused as an older server would refuse it, `initialize`. Custom headers, the access
/// token and the OAuth token go along, so a server is judged on the credentials it was given.
async fn probe(endpoint: &Endpoint, started: Instant) -> Probe {
    let client = match endpoint.http_client() {
        Ok(client) => client,
        Err(error) => {
            return Probe::Diagnosed(Diagnosis::failure(Stage::Connect, started, error, HINT_URL));
        }
    };
    let mut headers = match endpoint.header_map(true) {
        Ok(headers) => headers,
        Err(error) => {
            return Probe::Diagnosed(Diagnosis::failure(
                Stage::Http,
                started,
                error.to_string(),
                HINT_URL,
            ));
        }
    };
    if let Some(token) = endpoint
        .oauth
        .as_ref()
        .and_then(|oauth| oauth.access_token())
        && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
    {
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    let (discover, discover_headers) = crate::vocabulary::discover_request();
    let mut extra = headers.clone();
    for (name, value) in discover_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            extra.insert(name, value);
        }
    }
    let answer = match post(&client, endpoint, extra, &discover, started).await {
        Ok(answer) => answer,
        Err(diagnosed) => return diagnosed,
    };
    let modern_refusal = answer
        .refusal
        .as_ref()
        .is_some_and(|refusal| MODERN_REFUSALS.contains(&refusal.code));
    let answer = if answer.status == StatusCode::BAD_REQUEST && !modern_refusal {
        // Not a 2026-07-28 server (or not MCP): ask as older servers expect.
        let mut extra = headers;
        if let Ok(value) = HeaderValue::from_str(&crate::vocabulary::PROTOCOL_VERSION.to_string()) {
            extra.insert("mcp-protocol-version", value);
        }
        let initialize = crate::vocabulary::initialize_request();
        match post(&client, endpoint, extra, &initialize, started).await {
            Ok(answer) => answer,
            Err(diagnosed) => return diagnosed,
        }
    } else {
        answer
    };
    classify(answer, endpoint, started)
}

/// JSON-RPC errors only a server of 2026-07-28 or later sends: it speaks the new revision and
/// objects to something specific (a header, a capability, the version).
const MODERN_REFUSALS: [i32; 3] = [-32020, -32021, -32022];

/// One probe POST; a session it opens on the server is closed again.
async fn post(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    headers: HeaderMap,
    body: &serde_json::Value,
    started: Instant,
) -> Result<Answer, Probe> {
    let request = client
        .post(endpoint.url.clone())
        .headers(headers.clone())
        .header(ACCEPT, "application/json, text/event-stream")
        .json(body)
        .timeout(endpoint.timeouts.request);
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Err(Probe::Diagnosed(describe_transport_error(
                &error, endpoint, started,
            )));
        }
    };
    let status = response.status();
    if let Some(session) = response.headers().get("mcp-session-id").cloned() {
        // Our probe opened a session; close it rather than leave it on the server.
        let delete = client
            .delete(endpoint.url.clone())
            .headers(headers)
            .header("mcp-session-id", session);
        if let Err(error) = delete.send().await {
            tracing::debug!(%error, "closing the probe session");
        }
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let challenged = response.headers().contains_key(WWW_AUTHENTICATE);
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(|location| location.chars().take(200).collect::<String>());
    let refusal = if status == StatusCode::BAD_REQUEST && content_type.contains("json") {
        crate::bounded::read_limited(response, REFUSAL_LIMIT)
            .await
            .and_then(|bytes| serde_json::from_slice::<RpcAnswer>(&bytes).ok())
            .map(|answer| answer.error)
    } else {
        None
    };
    Ok(Answer {
        status,
        content_type,
        challenged,
        location,
        refusal,
    })
}

/// The probe's answer in a person's words.
fn classify(answer: Answer, endpoint: &Endpoint, started: Instant) -> Probe {
    let Answer {
        status,
        content_type,
        challenged,
        location,
        refusal,
    } = answer;
    // A JSON-RPC error is an MCP server speaking: its words name the cause (not a reason to
    // try the legacy transport, as a bare 400 is).
    if status == StatusCode::BAD_REQUEST
        && let Some(refusal) = &refusal
    {
        return Probe::Diagnosed(refused(refusal, started).with_status(status));
    }
    match status {
        StatusCode::UNAUTHORIZED => {
            if endpoint.oauth.is_some() || endpoint.signed_out {
                let detail = if endpoint.signed_out {
                    "HTTP 401 Unauthorized: this OAuth connector is signed out"
                } else {
                    "HTTP 401 Unauthorized: the server no longer accepts the sign-in"
                };
                return Probe::Diagnosed(
                    Diagnosis::failure(Stage::Auth, started, detail, HINT_SIGN_IN)
                        .with_remedy(Remedy::SignInAgain)
                        .with_status(status),
                );
            }
            let (detail, hint) = if endpoint.bearer.is_some() {
                (
                    "HTTP 401 Unauthorized: the server rejected the access token",
                    HINT_BAD_CREDENTIALS,
                )
            } else {
                (
                    "HTTP 401 Unauthorized: the server requires credentials",
                    HINT_NO_CREDENTIALS,
                )
            };
            let detail = if challenged {
                detail.to_owned()
            } else {
                format!("{detail} (no WWW-Authenticate challenge)")
            };
            Probe::Diagnosed(
                Diagnosis::failure(Stage::Auth, started, detail, hint).with_status(status),
            )
        }
        StatusCode::FORBIDDEN => Probe::Diagnosed(
            Diagnosis::failure(Stage::Auth, started, "HTTP 403 Forbidden", HINT_FORBIDDEN)
                .with_status(status),
        ),
        StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => {
            Probe::TryLegacy(status)
        }
        status if status.is_redirection() => {
            let location = location.unwrap_or_default();
            Probe::Diagnosed(
                Diagnosis::failure(
                    Stage::Http,
                    started,
                    format!("HTTP {status}: redirects to {location}"),
                    HINT_REDIRECT,
                )
                .with_status(status),
            )
        }
        status if status.is_server_error() => Probe::Diagnosed(
            Diagnosis::failure(Stage::Http, started, format!("HTTP {status}"), HINT_SERVER)
                .with_status(status),
        ),
        status
            if status.is_success()
                && (content_type.starts_with("application/json")
                    || content_type.starts_with("text/event-stream")) =>
        {
            Probe::LooksLikeMcp(status)
        }
        status if status.is_success() => {
            let shown = if content_type.is_empty() {
                "no content type"
            } else {
                &content_type
            };
            Probe::Diagnosed(
                Diagnosis::failure(
                    Stage::Http,
                    started,
                    format!("HTTP {status} with {shown}: this is not an MCP endpoint"),
                    HINT_PATH,
                )
                .with_status(status),
            )
        }
        status => Probe::Diagnosed(
            Diagnosis::failure(Stage::Http, started, format!("HTTP {status}"), HINT_PATH)
                .with_status(status),
        ),
    }
}

/// A server's JSON-RPC refusal of the probe, with the advice its code calls for.
fn refused(refusal: &RpcRefusal, started: Instant) -> Diagnosis {
    let message = crate::vocabulary::first_line(&refusal.message);
    let mut detail = format!(
        "the server refused the MCP request: {message} (JSON-RPC {})",
        refusal.code
    );
    let hint = match refusal.code {
        -32020 => HINT_HEADERS,
        -32021 => HINT_CAPABILITY,
        -32022 => {
            let supported = refusal
                .data
                .as_ref()
                .and_then(|data| data.get("supported"))
                .and_then(serde_json::Value::as_array)
                .map(|versions| {
                    versions
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|versions| !versions.is_empty());
            if let Some(supported) = supported {
                detail.push_str(&format!("; it supports {supported}"));
            }
            HINT_VERSION
        }
        -32601 => HINT_METHOD,
        _ => HINT_PROTOCOL,
    };
    Diagnosis::failure(Stage::Initialize, started, detail, hint)
}

fn describe_transport_error(
    error: &reqwest::Error,
    endpoint: &Endpoint,
    started: Instant,
) -> Diagnosis {
    let chain = error_chain(error);
    if error.is_timeout() {
        return Diagnosis::failure(
            Stage::Initialize,
            started,
            format!("no answer within {}s", endpoint.timeouts.request.as_secs()),
            HINT_HANG,
        )
        .timed_out();
    }
    let lowered = chain.to_ascii_lowercase();
    if endpoint.url.scheme() == "https"
        && ["certificate", "tls", "ssl", "handshake"]
            .iter()
            .any(|word| lowered.contains(word))
    {
        return Diagnosis::failure(Stage::Tls, started, chain, HINT_TLS);
    }
    if error.is_connect() {
        return Diagnosis::failure(Stage::Connect, started, chain, HINT_URL);
    }
    Diagnosis::failure(Stage::Http, started, chain, HINT_URL)
}

/// `outer: inner: innermost`, deduplicated, on one line.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    crate::vocabulary::first_line(&parts.join(": "))
}

/// Connects, lists tools and reports everything a person checking a connector wants to see.
pub async fn diagnose(endpoint: &Endpoint) -> Diagnosis {
    diagnose_detailed(endpoint).await.0
}

/// [`diagnose`], and the scope the server named when it refused to list tools for lack of scope
/// (`Some(None)`: refused without naming one), for the facade to judge and record.
///
/// The whole check — preflight, the Streamable HTTP attempt, the probe, the legacy transport and
/// listing tools — ends within the request timeout (`--timeout`), however its stages add up.
pub(crate) async fn diagnose_detailed(endpoint: &Endpoint) -> (Diagnosis, Option<Option<String>>) {
    let started = Instant::now();
    let budget = endpoint.timeouts.request;
    let (mut diagnosis, refusal) =
        match tokio::time::timeout(budget, checked(endpoint, started)).await {
            Ok((diagnosis, refusal)) => (diagnosis.redacted(&endpoint.url), refusal),
            Err(_) => (
                Diagnosis::failure(
                    Stage::Initialize,
                    started,
                    format!(
                        "the server did not finish answering within {}s",
                        budget.as_secs()
                    ),
                    HINT_HANG,
                )
                .timed_out(),
                None,
            ),
        };
    diagnosis.route = endpoint.route.describe();
    if diagnosis.stage == Stage::Tls
        && endpoint.route.settings.ca_pem.is_none()
        && endpoint.route.app.ca_pem.is_none()
    {
        diagnosis.hint = HINT_TLS_CA.to_owned();
    }
    (diagnosis, refusal)
}

async fn checked(endpoint: &Endpoint, started: Instant) -> (Diagnosis, Option<Option<String>>) {
    let session = match connect(endpoint).await {
        Ok(session) => session,
        Err(diagnosis) => return (diagnosis, None),
    };
    let mut diagnosis = Diagnosis {
        ok: true,
        stage: Stage::Ready,
        transport: Some(session.transport()),
        http_status: None,
        server_name: None,
        server_version: None,
        protocol_version: session.protocol_version(),
        tool_count: None,
        latency_ms: 0,
        timed_out: false,
        detail: String::new(),
        hint: String::new(),
        remedy: None,
        route: None,
    };
    if let Some((name, version)) = session.server() {
        diagnosis.server_name = Some(name);
        diagnosis.server_version = Some(version);
    }
    let mut refusal = None;
    match session.list_tools().await {
        Ok(tools) => diagnosis.tool_count = Some(u32::try_from(tools.len()).unwrap_or(u32::MAX)),
        Err(CallError::InsufficientScope { required_scope, .. }) => {
            // Judged without the connector's history (what its last re-authentication was
            // refused); the facade, which has it, judges again.
            let grant = endpoint.oauth.as_ref().map(super::OAuthCredentials::grant);
            let verdict = crate::oauth::step_up::Verdict::judge(
                required_scope.as_deref(),
                grant.as_ref(),
                None,
            );
            diagnosis.scope_refused(&verdict);
            diagnosis.http_status = Some(StatusCode::FORBIDDEN.as_u16());
            refusal = Some(required_scope);
        }
        Err(CallError::Unauthorized { .. }) => {
            diagnosis.ok = false;
            diagnosis.stage = Stage::Auth;
            diagnosis.http_status = Some(StatusCode::UNAUTHORIZED.as_u16());
            if endpoint.oauth.is_some() {
                diagnosis.detail =
                    "HTTP 401 Unauthorized: the server stopped accepting the sign-in".into();
                diagnosis.hint = HINT_SIGN_IN.to_owned();
                diagnosis.remedy = Some(Remedy::SignInAgain);
            } else {
                diagnosis.detail =
                    "HTTP 401 Unauthorized: the server stopped accepting the credentials".into();
                diagnosis.hint = HINT_BAD_CREDENTIALS.to_owned();
            }
        }
        Err(error) => {
            diagnosis.ok = false;
            diagnosis.stage = Stage::ListTools;
            diagnosis.detail = crate::vocabulary::first_line(&error.to_string());
            diagnosis.hint = HINT_PROTOCOL.to_owned();
        }
    }
    diagnosis.latency_ms = millis(started.elapsed());
    session.close().await;
    (diagnosis, refusal)
}
