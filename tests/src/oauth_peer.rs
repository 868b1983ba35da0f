//! A mock OAuth peer: an authorization server (protected-resource and authorization-server
//! metadata, dynamic registration, an auto-approving `/authorize` with PKCE S256, a token
//! endpoint) and an MCP resource server (Streamable HTTP with JSON responses: `initialize`,
//! notifications, `tools/list`, `tools/call`, `ping`) that validates bearer tokens, on one
//! 127.0.0.1 port.
//!
//! It is a mock because no real peer we can run offline behaves the way these tests need: the
//! SDK's OAuth demo issues no refresh tokens, and none rotates refresh tokens and revokes the
//! whole family when one is reused (RFC 9700 §4.14), the behaviour that punishes a client which
//! refreshes twice. Every behaviour a test may want to bend is a switch in [`Behaviour`] (change
//! it at any time with [`OAuthPeer::set`]), and everything a test may want to check is recorded:
//! refresh requests, reused refresh tokens, the `Authorization` header of every request, tool
//! calls, registrations and the client of every authorization request and token request. Tokens
//! are `AT-<port>-<n>` / `RT-<port>-<n>`, so a token names the peer that issued it.
//!
//! Client authentication at the token endpoint: a dynamically registered client is public (its
//! `client_id` in the form); the pre-registered confidential client of
//! [`Behaviour::confidential_client`] must authenticate with `client_secret_basic` (RFC 6749
//! §2.3.1) on every token request, and a refresh token is accepted only from the client it was
//! issued to (§6). A machine client ([`Behaviour::machine_client`]) gets tokens with the
//! client-credentials grant (see [`machine`]). A tool that needs a scope beyond a first
//! sign-in's, refused with `403 insufficient_scope` without it, is [`Behaviour::scoped_tool`]
//! (see [`scopes`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use sha2::Digest;

mod machine;
mod scopes;

pub use machine::{MachineAnswer, MachineAuth, MachineGrant, MachinePeerClient};
pub use scopes::ScopedTool;

/// How the token endpoint answers a refresh request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshAnswer {
    /// Rotate (or not) per [`Behaviour::rotate_refresh_tokens`], detect reuse.
    Normal,
    /// `400 {"error": "invalid_grant"}` whatever the token.
    InvalidGrant,
    /// This HTTP status with a non-JSON body, as a failing proxy would send.
    Status(u16),
}

/// The switches. `Default` is a well-behaved, strict server.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// `resource` in the protected-resource metadata; `None` is the MCP URL (correct).
    pub prm_resource: Option<String>,
    /// `issuer` in the authorization-server metadata and `iss` on the callback; `None` is the
    /// peer's base URL (correct).
    pub issuer: Option<String>,
    /// `expires_in` of access tokens issued from now on, also enforced by the resource server;
    /// `None` omits it (and the token never expires).
    pub token_lifetime: Option<Duration>,
    /// A refresh returns a new refresh token and marks the old one used; otherwise the response
    /// carries no refresh token and the old one stays valid.
    pub rotate_refresh_tokens: bool,
    /// Presenting a used refresh token revokes its whole family (every access and refresh token
    /// descended from the same sign-in).
    pub revoke_family_on_reuse: bool,
    pub refresh: RefreshAnswer,
    /// A pre-registered confidential client `(client_id, client_secret)`: the metadata then
    /// advertises `client_secret_basic`, `/authorize` accepts this id with any loopback redirect
    /// URI (RFC 8252 §7.3) or the app's deep link, and its token requests without the secret in
    /// an HTTP Basic header are refused with `401 invalid_client`.
    pub confidential_client: Option<(String, String)>,
    /// The authorization server the protected-resource metadata names; `None` is this peer. Set
    /// it to another peer's base URL to move the resource to another authorization server.
    pub authorization_server: Option<String>,
    /// How long the token endpoint waits before answering a refresh request (widens the window
    /// in which two clients refresh at once).
    pub refresh_delay: Option<Duration>,
    /// A machine client served the client-credentials grant; the metadata then advertises the
    /// grant and the client's one authentication method.
    pub machine_client: Option<MachinePeerClient>,
    /// How the token endpoint answers the machine client once it authenticated.
    pub machine_answer: MachineAnswer,
    /// How long the token endpoint waits before answering a client-credentials request.
    pub grant_delay: Option<Duration>,
    /// A tool that needs a scope a first sign-in does not get (step-up); `None`: no scopes.
    pub scoped_tool: Option<ScopedTool>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            prm_resource: None,
            issuer: None,
            token_lifetime: Some(Duration::from_secs(3600)),
            rotate_refresh_tokens: true,
            revoke_family_on_reuse: true,
            refresh: RefreshAnswer::Normal,
            confidential_client: None,
            authorization_server: None,
            refresh_delay: None,
            machine_client: None,
            machine_answer: MachineAnswer::Normal,
            grant_delay: None,
            scoped_tool: None,
        }
    }
}

/// One request the peer received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query string, if any (tokens must never travel in it).
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub accept: Option<String>,
    /// For MCP POSTs, the JSON-RPC method.
    pub rpc_method: Option<String>,
}

struct AccessToken {
    family: u64,
    expires_at: Option<Instant>,
}

struct RefreshToken {
    family: u64,
    used: bool,
    /// The client it was issued to; only that client may refresh with it.
    client_id: String,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    /// The scopes granted to this authorization.
    scopes: Vec<String>,
}

#[derive(Default)]
struct Record {
    behaviour: Behaviour,
    clients: HashMap<String, Vec<String>>,
    codes: HashMap<String, PendingCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    revoked_families: HashSet<u64>,
    counter: u64,
    refresh_requests: usize,
    reused_refresh_tokens: usize,
    refresh_resources: Vec<Option<String>>,
    /// The authenticated client of each refresh request that got that far.
    refresh_clients: Vec<String>,
    /// The `client_id` of each authorization request.
    authorize_clients: Vec<String>,
    registrations: usize,
    seen: Vec<Seen>,
    tool_calls: usize,
    machine_grants: Vec<MachineGrant>,
    /// The scopes granted to each token family (a sign-in and its refreshes).
    family_scopes: HashMap<u64, Vec<String>>,
    /// The `scope` parameter of each authorization request.
    authorize_scopes: Vec<Option<String>>,
    /// Calls refused with `403 insufficient_scope`.
    scope_refusals: usize,
}

struct Peer {
    base: String,
    port: u16,
    record: Mutex<Record>,
}

impl Peer {
    fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn mcp_url(&self) -> String {
        format!("{}/mcp", self.base)
    }

    fn issuer(&self, record: &Record) -> String {
        record
            .behaviour
            .issuer
            .clone()
            .unwrap_or_else(|| self.base.clone())
    }
}

/// A running peer; stopped when dropped.
pub struct OAuthPeer {
    peer: Arc<Peer>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for OAuthPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl OAuthPeer {
    /// Starts a peer on a free 127.0.0.1 port on the current tokio runtime.
    pub async fn start(behaviour: Behaviour) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let peer = Arc::new(Peer {
            base: format!("http://127.0.0.1:{port}"),
            port,
            record: Mutex::new(Record {
                behaviour,
                ..Record::default()
            }),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(peer.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("oauth peer stopped: {error}");
            }
        });
        Ok(Self { peer, task })
    }

    pub fn base_url(&self) -> &str {
        &self.peer.base
    }

    /// The MCP endpoint (the protected resource).
    pub fn mcp_url(&self) -> String {
        self.peer.mcp_url()
    }

    /// Changes switches; applies to the next request.
    pub fn set(&self, change: impl FnOnce(&mut Behaviour)) {
        change(&mut self.peer.record().behaviour);
    }

    /// The authorization server forgets every dynamically registered client (as servers that
    /// expire unused registrations do): `/authorize` then refuses them with an error page.
    pub fn forget_registered_clients(&self) {
        self.peer.record().clients.clear();
    }

    /// Server-side expiry: every access token issued so far is rejected from now on.
    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for token in self.peer.record().access.values_mut() {
            token.expires_at = Some(now);
        }
    }

    /// What a client that crashed after the token response but before saving it leaves behind:
    /// every live refresh token is used once here and the rotated result thrown away.
    pub fn rotate_out_of_band(&self) {
        let mut record = self.peer.record();
        for token in record.refresh.values_mut() {
            token.used = true;
        }
    }

    /// Refresh-token grant requests received, whatever their outcome.
    pub fn refresh_requests(&self) -> usize {
        self.peer.record().refresh_requests
    }

    /// Refresh requests that presented an already-used refresh token.
    pub fn reused_refresh_tokens(&self) -> usize {
        self.peer.record().reused_refresh_tokens
    }

    /// The `resource` parameter of each refresh request (RFC 8707).
    pub fn refresh_resources(&self) -> Vec<Option<String>> {
        self.peer.record().refresh_resources.clone()
    }

    /// The client each refresh request authenticated as (or named, for a public client).
    pub fn refresh_clients(&self) -> Vec<String> {
        self.peer.record().refresh_clients.clone()
    }

    /// The `client_id` of every authorization request, in order.
    pub fn authorize_clients(&self) -> Vec<String> {
        self.peer.record().authorize_clients.clone()
    }

    /// Dynamic client registrations received.
    pub fn registrations(&self) -> usize {
        self.peer.record().registrations
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.peer.record().seen.clone()
    }

    /// Every access token this peer issued.
    pub fn issued_access_tokens(&self) -> Vec<String> {
        self.peer.record().access.keys().cloned().collect()
    }

    /// Successful `tools/call` requests.
    pub fn tool_calls(&self) -> usize {
        self.peer.record().tool_calls
    }

    /// Every client-credentials request, in order, whatever its outcome.
    pub fn machine_grants(&self) -> Vec<MachineGrant> {
        self.peer.record().machine_grants.clone()
    }

    /// The `scope` parameter of every authorization request, in order.
    pub fn authorize_scopes(&self) -> Vec<Option<String>> {
        self.peer.record().authorize_scopes.clone()
    }

    /// Tool calls refused with `403 insufficient_scope`.
    pub fn scope_refusals(&self) -> usize {
        self.peer.record().scope_refusals
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn handle(
    State(peer): State<Arc<Peer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let rpc: Option<Value> = serde_json::from_slice(&body).ok();
    peer.record().seen.push(Seen {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().map(str::to_owned),
        authorization: authorization.clone(),
        accept: headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        rpc_method: rpc
            .as_ref()
            .and_then(|rpc| rpc.get("method"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    });
    let query: HashMap<String, String> = uri
        .query()
        .map(|query| form(query.as_bytes()))
        .unwrap_or_default();
    match (&method, uri.path()) {
        (&Method::GET, "/.well-known/oauth-protected-resource/mcp")
        | (&Method::GET, "/.well-known/oauth-protected-resource") => {
            let record = peer.record();
            let resource = record
                .behaviour
                .prm_resource
                .clone()
                .unwrap_or_else(|| peer.mcp_url());
            let authorization_server = record
                .behaviour
                .authorization_server
                .clone()
                .unwrap_or_else(|| peer.issuer(&record));
            json_response(
                StatusCode::OK,
                json!({
                    "resource": resource,
                    "authorization_servers": [authorization_server],
                    "bearer_methods_supported": ["header"],
                }),
            )
        }
        (&Method::GET, "/.well-known/oauth-authorization-server") => {
            let record = peer.record();
            let base = &peer.base;
            let mut auth_methods = vec!["none"];
            if record.behaviour.confidential_client.is_some() {
                auth_methods.push("client_secret_basic");
            }
            let mut grant_types = vec!["authorization_code", "refresh_token"];
            if let Some(machine) = &record.behaviour.machine_client {
                // Basic must be the only secret method listed for a client to choose it.
                auth_methods.retain(|method| *method == "none");
                auth_methods.push(machine.auth.method());
                grant_types.push("client_credentials");
            }
            json_response(
                StatusCode::OK,
                json!({
                    "issuer": peer.issuer(&record),
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "registration_endpoint": format!("{base}/register"),
                    "response_types_supported": ["code"],
                    "grant_types_supported": grant_types,
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": auth_methods,
                    "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
                    "authorization_response_iss_parameter_supported": true,
                }),
            )
        }
        (&Method::POST, "/register") => register(&peer, &body),
        (&Method::GET, "/authorize") => authorize(&peer, &query),
        (&Method::POST, "/token") => {
            let form = form(&body);
            let delay = match form.get("grant_type").map(String::as_str) {
                Some("refresh_token") => peer.record().behaviour.refresh_delay,
                Some("client_credentials") => peer.record().behaviour.grant_delay,
                _ => None,
            };
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            token(&peer, &form, authorization.as_deref())
        }
        (_, "/mcp") => mcp(&peer, &method, authorization.as_deref(), rpc),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn register(peer: &Peer, body: &[u8]) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let redirect_uris: Vec<String> = request
        .get("redirect_uris")
        .and_then(Value::as_array)
        .map(|uris| {
            uris.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut record = peer.record();
    record.registrations += 1;
    record.counter += 1;
    let client_id = format!("client-{}-{}", peer.port, record.counter);
    record
        .clients
        .insert(client_id.clone(), redirect_uris.clone());
    json_response(
        StatusCode::CREATED,
        json!({
            "client_id": client_id,
            "redirect_uris": redirect_uris,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }),
    )
}

fn authorize(peer: &Peer, query: &HashMap<String, String>) -> Response {
    let field = |name: &str| query.get(name).cloned().unwrap_or_default();
    let (client_id, redirect_uri) = (field("client_id"), field("redirect_uri"));
    let mut record = peer.record();
    record.authorize_clients.push(client_id.clone());
    record.authorize_scopes.push(query.get("scope").cloned());
    let requested = field("scope");
    let scopes = match &record.behaviour.scoped_tool {
        Some(tool) => tool.grant(&requested),
        None => requested.split_whitespace().map(str::to_owned).collect(),
    };
    let preregistered = record
        .behaviour
        .confidential_client
        .as_ref()
        .is_some_and(|(id, _)| *id == client_id)
        && (redirect_uri.starts_with("http://127.0.0.1:")
            || redirect_uri == "dev.patchbay.desktop:/oauth/callback");
    let registered = preregistered
        || record
            .clients
            .get(&client_id)
            .is_some_and(|uris| uris.contains(&redirect_uri));
    if !registered || field("code_challenge_method") != "S256" || field("response_type") != "code" {
        return (
            StatusCode::BAD_REQUEST,
            "unknown client, redirect URI or PKCE method",
        )
            .into_response();
    }
    record.counter += 1;
    let code = format!("code-{}-{}", peer.port, record.counter);
    record.codes.insert(
        code.clone(),
        PendingCode {
            client_id,
            redirect_uri: redirect_uri.clone(),
            challenge: field("code_challenge"),
            scopes,
        },
    );
    let Ok(mut location) = url::Url::parse(&redirect_uri) else {
        return (StatusCode::BAD_REQUEST, "bad redirect URI").into_response();
    };
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &field("state"))
        .append_pair("iss", &peer.issuer(&record));
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

fn oauth_error(error: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, json!({ "error": error }))
}

/// Issues an access token (and a refresh token when `with_refresh`) in `family`, to `client_id`.
fn issue(
    peer: &Peer,
    record: &mut Record,
    family: u64,
    client_id: &str,
    with_refresh: bool,
) -> Value {
    record.counter += 1;
    let access = format!("AT-{}-{}", peer.port, record.counter);
    let lifetime = record.behaviour.token_lifetime;
    record.access.insert(
        access.clone(),
        AccessToken {
            family,
            expires_at: lifetime.map(|lifetime| Instant::now() + lifetime),
        },
    );
    let mut body = json!({ "access_token": access, "token_type": "Bearer" });
    if let Some(lifetime) = lifetime {
        body["expires_in"] = lifetime.as_secs().into();
    }
    if record
        .behaviour
        .scoped_tool
        .as_ref()
        .is_some_and(|tool| tool.scope_in_token_response)
    {
        let scopes = record
            .family_scopes
            .get(&family)
            .cloned()
            .unwrap_or_default();
        body["scope"] = scopes.join(" ").into();
    }
    if with_refresh {
        let refresh = format!("RT-{}-{}", peer.port, record.counter);
        record.refresh.insert(
            refresh.clone(),
            RefreshToken {
                family,
                used: false,
                client_id: client_id.to_owned(),
            },
        );
        body["refresh_token"] = refresh.into();
    }
    body
}

/// RFC 6749 §2.3.1's Basic credentials: form-urlencoded id and secret, joined by a colon.
fn basic_credentials(client_id: &str, secret: &str) -> String {
    let encode =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The client a token request comes from: the confidential client only with its secret in an
/// HTTP Basic header; any other client by the form's `client_id` (public clients). `None`: the
/// client failed to authenticate (`invalid_client`).
fn token_client(
    record: &Record,
    form: &HashMap<String, String>,
    authorization: Option<&str>,
) -> Option<String> {
    let confidential = record.behaviour.confidential_client.as_ref();
    if let Some(header) = authorization {
        return match confidential {
            Some((id, secret)) if header == basic_credentials(id, secret) => Some(id.clone()),
            _ => None,
        };
    }
    let client_id = form.get("client_id").cloned().unwrap_or_default();
    // No secret, or one sent as client_secret_post, which this server does not accept.
    confidential
        .is_none_or(|(id, _)| *id != client_id)
        .then_some(client_id)
}

fn token(peer: &Peer, form: &HashMap<String, String>, authorization: Option<&str>) -> Response {
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let mut record = peer.record();
    if field("grant_type") == "client_credentials" {
        return machine::grant(peer, &mut record, form, authorization);
    }
    let Some(client_id) = token_client(&record, form, authorization) else {
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_client" }),
        );
    };
    match field("grant_type").as_str() {
        "authorization_code" => {
            let Some(pending) = record.codes.remove(&field("code")) else {
                return oauth_error("invalid_grant");
            };
            let digest = sha2::Sha256::digest(field("code_verifier").as_bytes());
            let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
            if pending.client_id != client_id
                || pending.redirect_uri != field("redirect_uri")
                || pending.challenge != challenge
            {
                return oauth_error("invalid_grant");
            }
            record.counter += 1;
            let family = record.counter;
            record.family_scopes.insert(family, pending.scopes);
            json_response(
                StatusCode::OK,
                issue(peer, &mut record, family, &client_id, true),
            )
        }
        "refresh_token" => {
            record.refresh_requests += 1;
            record.refresh_resources.push(form.get("resource").cloned());
            match record.behaviour.refresh {
                RefreshAnswer::InvalidGrant => return oauth_error("invalid_grant"),
                RefreshAnswer::Status(status) => {
                    let status =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                    return (status, "upstream unavailable").into_response();
                }
                RefreshAnswer::Normal => {}
            }
            let presented = field("refresh_token");
            let Some(stored) = record.refresh.get(&presented) else {
                return oauth_error("invalid_grant");
            };
            let (family, used) = (stored.family, stored.used);
            if stored.client_id != client_id {
                return oauth_error("invalid_grant");
            }
            record.refresh_clients.push(client_id.clone());
            if record.revoked_families.contains(&family) {
                return oauth_error("invalid_grant");
            }
            if used {
                record.reused_refresh_tokens += 1;
                if record.behaviour.revoke_family_on_reuse {
                    record.revoked_families.insert(family);
                }
                return oauth_error("invalid_grant");
            }
            let rotate = record.behaviour.rotate_refresh_tokens;
            if rotate && let Some(stored) = record.refresh.get_mut(&presented) {
                stored.used = true;
            }
            json_response(
                StatusCode::OK,
                issue(peer, &mut record, family, &client_id, rotate),
            )
        }
        _ => oauth_error("unsupported_grant_type"),
    }
}

fn mcp(peer: &Peer, method: &Method, authorization: Option<&str>, rpc: Option<Value>) -> Response {
    let token = authorization.and_then(|value| value.strip_prefix("Bearer "));
    // The scopes of a valid token; `None` for a missing, unknown, revoked or expired one.
    let held = {
        let record = peer.record();
        token
            .and_then(|token| record.access.get(token))
            .filter(|access| {
                !record.revoked_families.contains(&access.family)
                    && access
                        .expires_at
                        .is_none_or(|expires_at| Instant::now() < expires_at)
            })
            .map(|access| {
                record
                    .family_scopes
                    .get(&access.family)
                    .cloned()
                    .unwrap_or_default()
            })
    };
    let scoped_tool = peer.record().behaviour.scoped_tool.clone();
    let Some(held) = held else {
        let error = if token.is_some() {
            r#"error="invalid_token", "#
        } else {
            ""
        };
        let scope = scoped_tool
            .as_ref()
            .map(|tool| format!(r#"scope="{}", "#, tool.base_scope))
            .unwrap_or_default();
        let challenge = format!(
            r#"Bearer {error}{scope}resource_metadata="{}/.well-known/oauth-protected-resource/mcp""#,
            peer.base
        );
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    };
    match *method {
        Method::POST => {}
        Method::DELETE => return StatusCode::OK.into_response(),
        _ => return StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
    let Some(rpc) = rpc else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let Some(id) = rpc.get("id").cloned() else {
        return StatusCode::ACCEPTED.into_response();
    };
    let params = rpc.get("params").cloned().unwrap_or(Value::Null);
    let rpc_method = rpc
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if let Some(tool) = &scoped_tool
        && let Some(refusal) = tool.refusal(rpc_method, &params, &held, &peer.base)
    {
        peer.record().scope_refusals += 1;
        return refusal;
    }
    let result = match rpc_method {
        "initialize" => {
            let version = params
                .get("protocolVersion")
                .cloned()
                .unwrap_or_else(|| "2025-11-25".into());
            let body = json!({ "jsonrpc": "2.0", "id": id, "result": {
                "protocolVersion": version,
                "capabilities": { "tools": {} },
                "serverInfo": { "name": "oauth-peer", "version": "1.0.0" },
            }});
            let session = format!("session-{}", peer.port);
            return (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "application/json".to_owned()),
                    (header::HeaderName::from_static("mcp-session-id"), session),
                ],
                body.to_string(),
            )
                .into_response();
        }
        "ping" => json!({}),
        "tools/list" => {
            let mut tools = vec![json!({
                "name": "echo",
                "description": "Echoes the message back",
                "inputSchema": { "type": "object", "properties": { "message": { "type": "string" } } },
            })];
            tools.extend(scoped_tool.as_ref().map(ScopedTool::listing));
            json!({ "tools": tools })
        }
        "tools/call"
            if scoped_tool
                .as_ref()
                .is_some_and(|tool| tool.is_called(&params)) =>
        {
            peer.record().tool_calls += 1;
            json!({ "content": [{ "type": "text", "text": "done with more permissions" }] })
        }
        "tools/call" => {
            peer.record().tool_calls += 1;
            let message = params
                .pointer("/arguments/message")
                .and_then(Value::as_str)
                .unwrap_or_default();
            json!({ "content": [{ "type": "text", "text": format!("echo: {message}") }] })
        }
        other => {
            return json_response(
                StatusCode::OK,
                json!({ "jsonrpc": "2.0", "id": id,
                        "error": { "code": -32601, "message": format!("unknown method {other}") } }),
            );
        }
    };
    json_response(
        StatusCode::OK,
        json!({ "jsonrpc": "2.0", "id": id, "result": result }),
    )
}
