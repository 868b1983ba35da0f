//! One authorization-code sign-in, start to finish. rmcp does discovery, registration, PKCE and
//! the code exchange (through [`discovery::start_authorization`]); this module decides what rmcp
//! cannot: which redirect to use and when to fall back to loopback ([`super::redirect`]), that no
//! way of identifying the client is left ([`OAuthError::NeedsClientId`]), and how the answer gets
//! back — registered in [`Flows`] before the browser opens, delivered there by the deep link or
//! the loopback listener, and checked against the `state` and issuer rmcp recorded.
//!
//! Nothing here reads or writes stored credentials: a failed, refused or abandoned sign-in
//! leaves a connector's existing grant exactly as it was. Dropping the future cancels the
//! sign-in: its flow is unregistered and its loopback listener closed.
//!
//! The grant it returns carries the client [`Registration`] it used. Signing in again with that
//! registration ([`sign_in_reusing`]) reuses a pre-registered client when discovery finds the
//! issuer it was registered with; when the authorization server changed, the prepared
//! authorization is dropped before the browser opens (nothing of the client reached the new
//! server: preparing it sends only discovery requests) and the sign-in registers afresh.
//! [`reauthenticate`] does the same for a stored connector and, when a server refused a request
//! for lack of scope, asks for the step-up's scopes ([`super::step_up`]) instead of letting rmcp
//! select them from the server's 401 challenge (which names only its initial scopes).

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rmcp::transport::auth::{
    AuthError, AuthorizationManager, AuthorizationRequest, CredentialStore,
    InMemoryCredentialStore, InMemoryStateStore, OAuthState, StateStore, StoredAuthorizationState,
};
use url::Url;

use super::discovery;
use super::flows::{Flows, IssuerCheck};
use super::loopback::Loopback;
use super::redirect::{self, DEEP_LINK_REDIRECT_URI, RedirectChoice};
use super::registration::Registration;
use super::step_up::Reauthentication;
use super::{ClientChoice, Grant, OAuthError, ensure_openable, fetch_challenge};

/// How long discovery and registration may take together before the sign-in gives up: they are
/// a handful of small requests, each well under a second from a healthy server, so one silent
/// for this long is not going to answer, and the person should hear so in plain words (rmcp
/// alone would wait 30 s per request and then report a generic discovery failure).
pub const PREPARE_LIMIT: Duration = Duration::from_secs(30);

/// What to sign in to, and how.
#[derive(Debug, Clone)]
pub struct SignInRequest {
    pub server_url: Url,
    pub client: ClientChoice,
    /// The server's `WWW-Authenticate` challenge, if the caller has one; fetched otherwise.
    pub challenge: Option<String>,
    pub redirect: RedirectChoice,
    /// How long the person has to finish in the browser.
    pub limit: Duration,
    /// The page the loopback listener shows after the redirect.
    pub done_page: String,
}

/// A browser that could not be opened (or a stand-in that failed), in the front end's words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct BrowserError(pub String);

impl From<String> for BrowserError {
    fn from(reason: String) -> Self {
        Self(reason)
    }
}

/// Where the browser is being sent, and where it will come back to.
#[derive(Debug, Clone)]
pub struct Visit {
    /// Vetted by [`ensure_openable`]: https, or http on this computer.
    pub authorization_url: Url,
    pub redirect_uri: String,
}

/// A started authorization: rmcp's session and what the callback will be checked against.
struct Started {
    state: OAuthState,
    credentials: InMemoryCredentialStore,
    recorded: RecordingStateStore,
    redirect_uri: String,
    listener: Option<Loopback>,
}

impl Started {
    /// The issuer of the authorization server this authorization was prepared for.
    fn issuer(&self) -> Option<String> {
        self.recorded.last().and_then(|(_, issuer)| issuer.expected)
    }
}

/// Runs the sign-in. `browser` receives the [`Visit`] once the flow is registered and must not
/// wait for the person; an error from it ends the sign-in.
pub async fn sign_in<B, F>(
    flows: &Flows,
    request: SignInRequest,
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Visit) -> F,
    F: Future<Output = Result<(), BrowserError>>,
{
    run(flows, request, None, &[], browser).await
}

/// [`sign_in`] again for a connector whose stored grant has the registration `previous`: unless
/// the person entered a client this time, a pre-registered client is reused when the
/// authorization server is the one it was registered with (see the module docs).
pub async fn sign_in_reusing<B, F>(
    flows: &Flows,
    request: SignInRequest,
    previous: Option<&Registration>,
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Visit) -> F,
    F: Future<Output = Result<(), BrowserError>>,
{
    run(flows, request, previous, &[], browser).await
}

/// Signs in again to a stored connector ([`sign_in_reusing`] with its registration), asking for
/// `again.scopes` when a step-up is due: the union of the grant's scopes and the ones a server
/// refused a request for (see [`super::step_up`]). `request.challenge` still seeds discovery.
pub async fn reauthenticate<B, F>(
    flows: &Flows,
    request: SignInRequest,
    again: &Reauthentication,
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Visit) -> F,
    F: Future<Output = Result<(), BrowserError>>,
{
    if again.required.is_some() {
        tracing::info!(scopes = ?again.scopes, "signing in again for more scopes (step-up)");
    }
    run(
        flows,
        request,
        again.previous.as_ref(),
        &again.scopes,
        browser,
    )
    .await
}

/// The sign-in; `scopes`, when not empty, replace rmcp's scope selection.
async fn run<B, F>(
    flows: &Flows,
    request: SignInRequest,
    previous: Option<&Registration>,
    scopes: &[String],
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Visit) -> F,
    F: Future<Output = Result<(), BrowserError>>,
{
    let prepared = tokio::time::timeout(PREPARE_LIMIT, prepare(&request, previous, scopes)).await;
    let (started, client) = prepared.map_err(|_| OAuthError::ServerSilent(PREPARE_LIMIT))??;
    let Started {
        mut state,
        credentials,
        recorded,
        redirect_uri,
        listener,
    } = started;

    let authorization_url = Url::parse(&state.get_authorization_url().await?)
        .map_err(|error| OAuthError::UnsafeUrl(error.to_string()))?;
    ensure_openable(&authorization_url)?;
    let sent_state = authorization_url
        .query_pairs()
        .find(|(key, _)| key == "state")
        .map(|(_, value)| value.into_owned());
    let (csrf, issuer) = recorded
        .last()
        .filter(|(csrf, _)| Some(csrf) == sent_state.as_ref())
        .ok_or_else(|| OAuthError::Credentials("the authorization URL has no state".into()))?;
    let waiter = flows.register(&csrf, &redirect_uri, issuer);
    let _listening = listener.map(|listener| {
        ListenerTask(tokio::spawn(
            listener.serve(flows.clone(), request.done_page.clone()),
        ))
    });

    browser(Visit {
        authorization_url,
        redirect_uri: redirect_uri.clone(),
    })
    .await
    .map_err(|BrowserError(reason)| OAuthError::Browser(reason))?;
    let callback = waiter.wait(request.limit).await?;
    if let Some(error) = callback.error {
        return Err(OAuthError::Denied(error.to_owned()));
    }
    let code = callback
        .code
        .ok_or_else(|| OAuthError::Denied("no authorization code".into()))?;
    // rmcp checks state (its PKCE verifier is stored under it) and iss again before exchanging.
    state
        .handle_callback_with_issuer(code.expose(), &callback.state, callback.issuer.as_deref())
        .await?;
    let stored = credentials
        .load()
        .await?
        .ok_or_else(|| OAuthError::Credentials("the token exchange stored nothing".into()))?;
    let registration = Registration::of_sign_in(&client, &stored, &redirect_uri);
    Grant::new(&stored, Some(&registration))
}

/// Discovery and registration: everything before the browser opens. `previous` is reused when
/// its authorization server is the one discovery finds.
async fn prepare(
    request: &SignInRequest,
    previous: Option<&Registration>,
    scopes: &[String],
) -> Result<(Started, ClientChoice), OAuthError> {
    // The server's own 401 challenge names the scope it wants (spec: scope selection step 1).
    let challenge = match request.challenge.clone() {
        Some(challenge) => Some(challenge),
        None => fetch_challenge(&request.server_url).await,
    };
    let reuse = previous
        .filter(|_| request.client.client_id.is_none())
        .and_then(|registration| Some((registration, registration.reusable()?)));
    let fresh = || {
        start_first(
            request,
            &request.client,
            request.redirect,
            &challenge,
            scopes,
        )
    };
    let (started, client) = match reuse {
        Some((registration, client)) => {
            let redirect = reuse_redirect(request.redirect, registration);
            let started = start_first(request, &client, redirect, &challenge, scopes).await?;
            if registration.belongs_to(started.issuer().as_deref()) {
                (started, client)
            } else {
                tracing::info!("the authorization server changed; registering Patchbay afresh");
                drop(started);
                (fresh().await?, request.client.clone())
            }
        }
        None => (fresh().await?, request.client.clone()),
    };
    Ok((started, client))
}

/// A reused client goes back to the kind of redirect it was used with: a client registered
/// with a loopback redirect URI is not sent to the app's deep link first.
fn reuse_redirect(requested: RedirectChoice, registration: &Registration) -> RedirectChoice {
    let loopback = Url::parse(&registration.redirect_uri)
        .is_ok_and(|uri| uri.scheme() == "http" && uri.host_str() == Some("127.0.0.1"));
    if loopback && requested.attempts().contains(&RedirectChoice::Loopback) {
        RedirectChoice::Loopback
    } else {
        requested
    }
}

/// Prepares the authorization with `client`, trying `redirect`'s choices in order.
async fn start_first(
    request: &SignInRequest,
    client: &ClientChoice,
    redirect: RedirectChoice,
    challenge: &Option<String>,
    scopes: &[String],
) -> Result<Started, OAuthError> {
    let mut refusal = None;
    let mut started = None;
    for &choice in redirect.attempts() {
        match start(request, client, choice, challenge.clone(), scopes).await {
            Ok(authorization) => {
                started = Some(authorization);
                break;
            }
            Err(OAuthError::Protocol(error)) => match redirect::no_registration(&error) {
                // Servers that allow only localhost/https redirect URIs refuse the app's scheme
                // here; the next attempt (if any) is loopback.
                Some(reason @ redirect::NoRegistration::Refused(status)) => {
                    tracing::info!(status, ?choice, "dynamic client registration refused");
                    refusal = Some((reason, choice));
                }
                Some(reason) => {
                    return Err(OAuthError::NeedsClientId {
                        reason,
                        redirect_uri: choice.uri_to_register().to_owned(),
                    });
                }
                None => return Err(OAuthError::Protocol(error)),
            },
            Err(error) => return Err(error),
        }
    }
    started.ok_or_else(|| {
        let (reason, choice) =
            refusal.unwrap_or((redirect::NoRegistration::NotOffered, request.redirect));
        OAuthError::NeedsClientId {
            reason,
            redirect_uri: choice.uri_to_register().to_owned(),
        }
    })
}

/// Discovery, registration and the authorization URL for one client and redirect choice.
async fn start(
    request: &SignInRequest,
    client: &ClientChoice,
    choice: RedirectChoice,
    challenge: Option<String>,
    scopes: &[String],
) -> Result<Started, OAuthError> {
    let (redirect_uri, listener) = match choice {
        RedirectChoice::DeepLink => (DEEP_LINK_REDIRECT_URI.to_owned(), None),
        RedirectChoice::Loopback => {
            let listener = Loopback::bind().await?;
            (listener.redirect_uri(), Some(listener))
        }
    };
    let credentials = InMemoryCredentialStore::new();
    let recorded = RecordingStateStore::default();
    let mut manager = AuthorizationManager::new(request.server_url.as_str()).await?;
    manager.set_credential_store(credentials.clone());
    manager.set_state_store(recorded.clone());
    let authorization = authorization_request(client, &redirect_uri, challenge, scopes);
    let state = discovery::start_authorization(
        OAuthState::Unauthorized(manager),
        authorization,
        &request.server_url,
    )
    .await?;
    Ok(Started {
        state,
        credentials,
        recorded,
        redirect_uri,
        listener,
    })
}

fn authorization_request(
    client: &ClientChoice,
    redirect_uri: &str,
    challenge: Option<String>,
    scopes: &[String],
) -> AuthorizationRequest {
    let mut request = AuthorizationRequest::new(redirect_uri)
        .with_initial_scope_selection()
        .with_client_name("Patchbay");
    // Explicit scopes take precedence over the initial selection (rmcp still adds
    // `offline_access` when the authorization server offers it).
    if !scopes.is_empty() {
        request = request.with_scopes(scopes.iter().cloned());
    }
    if let Some(id) = &client.client_id {
        request = request.with_preregistered_client(id.clone());
        if let Some(secret) = &client.client_secret {
            request = request.with_client_secret(secret.expose());
        }
    }
    if let Some(url) = &client.metadata_url {
        request = request.with_client_metadata_url(url.clone());
    }
    if let Some(challenge) = challenge {
        request = request.with_challenge(challenge);
    }
    request
}

/// rmcp's in-memory state store, remembering the last `state` saved and the issuer check rmcp
/// will apply to it at the exchange, so a callback can be held to the same check (and routed by
/// the same `state`) before it reaches the flow.
#[derive(Clone, Default)]
struct RecordingStateStore {
    inner: InMemoryStateStore,
    last: Arc<Mutex<Option<(String, IssuerCheck)>>>,
}

impl RecordingStateStore {
    fn last(&self) -> Option<(String, IssuerCheck)> {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl StateStore for RecordingStateStore {
    async fn save(
        &self,
        csrf_token: &str,
        state: StoredAuthorizationState,
    ) -> Result<(), AuthError> {
        let issuer = IssuerCheck {
            expected: state.expected_issuer.clone(),
            required: state.require_issuer,
        };
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((csrf_token.to_owned(), issuer));
        self.inner.save(csrf_token, state).await
    }

    async fn load(&self, csrf_token: &str) -> Result<Option<StoredAuthorizationState>, AuthError> {
        self.inner.load(csrf_token).await
    }

    async fn delete(&self, csrf_token: &str) -> Result<(), AuthError> {
        self.inner.delete(csrf_token).await
    }
}

/// The loopback listener's task, stopped when the sign-in ends however it ends.
struct ListenerTask(tokio::task::JoinHandle<()>);

impl Drop for ListenerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}
