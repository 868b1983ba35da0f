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
    AuthError, AuthorizationRequest, CredentialStore, InMemoryCredentialStore, InMemoryStateStore,
    OAuthState, StateStore, StoredAuthorizationState,
};
use url::Url;

use super::discovery;
use super::dpop::{self, Dpop};
use super::flows::{Flows, IssuerCheck};
use super::loopback::Loopback;
use super::redirect::{self, DEEP_LINK_REDIRECT_URI, RedirectChoice};
use super::registration::{Registration, RegistrationMethod};
use super::step_up::Reauthentication;
use super::{ClientChoice, Grant, OAuthError, ensure_openable, fetch_challenge};
use oauth2::TokenResponse;

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
    /// How discovery, registration and token requests go out: the proxy and extra CAs the
    /// connector's MCP requests use.
    pub route: crate::network::Route,
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
    /// The proof-of-possession key of a sign-in to a DPoP authorization server.
    dpop: Option<Arc<Dpop>>,
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
    let (started, client, reused) =
        prepared.map_err(|_| OAuthError::ServerSilent(PREPARE_LIMIT))??;
    // A reused dynamic registration that does not end in a grant is not offered again by this
    // process (the server may have dropped the client: its page then shows an error, no redirect).
    let mut abandoned = reused
        .filter(|registration| registration.method == RegistrationMethod::Dynamic)
        .map(|registration| Abandoned(Some(abandonment(registration))));
    let Started {
        mut state,
        credentials,
        recorded,
        redirect_uri,
        listener,
        dpop,
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
    let mut registration = Registration::of_sign_in(&client, &stored, &redirect_uri);
    if let Some(previous) = reused.filter(|previous| previous.client_id == stored.client_id) {
        // Still the client it was: a reused dynamic registration stays dynamic.
        registration.method = previous.method;
    }
    if let Some(abandoned) = &mut abandoned {
        abandoned.0 = None;
    }
    let grant = Grant::new(&stored, Some(&registration))?;
    // The key is kept only when the token is bound to it; a `Bearer` answer is used as such.
    let bound = stored
        .token_response
        .as_ref()
        .is_some_and(|token| dpop::is_dpop_token(token.token_type().as_ref()));
    match dpop {
        Some(dpop) if bound => grant.with_dpop(dpop.key()),
        _ => Ok(grant),
    }
}

/// Discovery and registration: everything before the browser opens. `previous` is reused when
/// its authorization server is the one discovery finds (and then returned as the third element).
async fn prepare<'a>(
    request: &SignInRequest,
    previous: Option<&'a Registration>,
    scopes: &[String],
) -> Result<(Started, ClientChoice, Option<&'a Registration>), OAuthError> {
    // The server's own 401 challenge names the scope it wants (spec: scope selection step 1).
    let challenge = match request.challenge.clone() {
        Some(challenge) => Some(challenge),
        None => fetch_challenge(&request.server_url, &request.route).await,
    };
    let dpop = dpop::for_sign_in(&request.server_url, challenge.as_deref(), &request.route).await?;
    let reuse = previous
        .filter(|_| request.client.client_id.is_none())
        .filter(|registration| !was_abandoned(registration))
        .and_then(|registration| {
            let (redirect, port) = reuse_redirect(request.redirect, registration)?;
            Some((registration, registration.reusable()?, redirect, port))
        });
    let fresh = || {
        start_first(
            request,
            &request.client,
            (request.redirect, None),
            &challenge,
            scopes,
            dpop.clone(),
        )
    };
    let Some((registration, client, redirect, port)) = reuse else {
        return Ok((fresh().await?, request.client.clone(), None));
    };
    let dynamic = registration.method == RegistrationMethod::Dynamic;
    match start_first(
        request,
        &client,
        (redirect, port),
        &challenge,
        scopes,
        dpop.clone(),
    )
    .await
    {
        Ok(started) if registration.belongs_to(started.issuer().as_deref()) => {
            Ok((started, client, Some(registration)))
        }
        Ok(started) => {
            tracing::info!("the authorization server changed; registering Patchbay afresh");
            drop(started);
            Ok((fresh().await?, request.client.clone(), None))
        }
        // A registration of Patchbay's own is replaceable (say its loopback port is taken now).
        Err(error) if dynamic => {
            tracing::info!(%error, "the stored registration cannot be used; registering afresh");
            Ok((fresh().await?, request.client.clone(), None))
        }
        Err(error) => Err(error),
    }
}

/// Reused dynamic registrations (issuer and client ID) whose sign-in did not end in a grant.
static ABANDONED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn abandonment(registration: &Registration) -> String {
    format!(
        "{} {}",
        registration.issuer.as_deref().unwrap_or_default(),
        registration.client_id
    )
}

fn was_abandoned(registration: &Registration) -> bool {
    let key = abandonment(registration);
    ABANDONED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains(&key)
}

/// Notes its registration in [`ABANDONED`] when dropped still holding it: the sign-in failed,
/// timed out or was cancelled (dropped) before it produced a grant.
struct Abandoned(Option<String>);

impl Drop for Abandoned {
    fn drop(&mut self) {
        if let Some(client_id) = self.0.take() {
            ABANDONED
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(client_id);
        }
    }
}

/// How a stored client signs in again: a client registered with a loopback redirect URI goes
/// back to loopback, not to the app's deep link first. A dynamic registration is used only with
/// the exact redirect URI it registered (the deep link, or loopback on the same port); `None`
/// when the request cannot use that one.
fn reuse_redirect(
    requested: RedirectChoice,
    registration: &Registration,
) -> Option<(RedirectChoice, Option<u16>)> {
    let registered = Url::parse(&registration.redirect_uri).ok();
    let loopback = registered
        .as_ref()
        .filter(|uri| uri.scheme() == "http" && uri.host_str() == Some("127.0.0.1"));
    let allows_loopback = requested.attempts().contains(&RedirectChoice::Loopback);
    if registration.method != RegistrationMethod::Dynamic {
        return Some(if loopback.is_some() && allows_loopback {
            (RedirectChoice::Loopback, None)
        } else {
            (requested, None)
        });
    }
    match loopback {
        Some(uri) if allows_loopback => Some((RedirectChoice::Loopback, uri.port())),
        Some(_) => None,
        None => (registration.redirect_uri == DEEP_LINK_REDIRECT_URI
            && requested == RedirectChoice::DeepLink)
            .then_some((RedirectChoice::DeepLink, None)),
    }
}

/// Prepares the authorization with `client`, trying `redirect`'s choices in order.
async fn start_first(
    request: &SignInRequest,
    client: &ClientChoice,
    (redirect, port): (RedirectChoice, Option<u16>),
    challenge: &Option<String>,
    scopes: &[String],
    dpop: Option<Arc<Dpop>>,
) -> Result<Started, OAuthError> {
    let mut refusal = None;
    let mut started = None;
    for &choice in redirect.attempts() {
        let attempt = start(
            request,
            client,
            (choice, port),
            challenge.clone(),
            scopes,
            dpop.clone(),
        );
        match attempt.await {
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
    (choice, port): (RedirectChoice, Option<u16>),
    challenge: Option<String>,
    scopes: &[String],
    dpop: Option<Arc<Dpop>>,
) -> Result<Started, OAuthError> {
    let (redirect_uri, listener) = match choice {
        RedirectChoice::DeepLink => (DEEP_LINK_REDIRECT_URI.to_owned(), None),
        RedirectChoice::Loopback => {
            let listener = Loopback::bind(port).await?;
            (listener.redirect_uri(), Some(listener))
        }
    };
    let credentials = InMemoryCredentialStore::new();
    let recorded = RecordingStateStore::default();
    let mut manager =
        super::http_client::manager(&request.server_url, &request.route, dpop.clone()).await?;
    manager.set_credential_store(credentials.clone());
    manager.set_state_store(recorded.clone());
    let authorization = authorization_request(client, &redirect_uri, challenge, scopes);
    let state = discovery::start_authorization(
        OAuthState::Unauthorized(manager),
        authorization,
        &request.server_url,
        &request.route,
    )
    .await?;
    Ok(Started {
        state,
        credentials,
        recorded,
        redirect_uri,
        listener,
        dpop,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(method: RegistrationMethod, redirect_uri: &str) -> Registration {
        Registration {
            client_id: "client".into(),
            client_secret: None,
            signing_key: None,
            issuer: Some("https://auth.example".into()),
            method,
            redirect_uri: redirect_uri.into(),
            scopes: Vec::new(),
        }
    }

    #[test]
    fn a_dynamic_registration_signs_in_again_only_with_the_redirect_it_registered() {
        let loopback = registered(
            RegistrationMethod::Dynamic,
            "http://127.0.0.1:4711/callback",
        );
        assert_eq!(
            reuse_redirect(RedirectChoice::DeepLink, &loopback),
            Some((RedirectChoice::Loopback, Some(4711))),
            "the same port, or the server would refuse the redirect"
        );
        assert_eq!(
            reuse_redirect(RedirectChoice::Loopback, &loopback),
            Some((RedirectChoice::Loopback, Some(4711)))
        );
        let deep_link = registered(RegistrationMethod::Dynamic, DEEP_LINK_REDIRECT_URI);
        assert_eq!(
            reuse_redirect(RedirectChoice::DeepLink, &deep_link),
            Some((RedirectChoice::DeepLink, None))
        );
        assert_eq!(
            reuse_redirect(RedirectChoice::Loopback, &deep_link),
            None,
            "the CLI cannot receive the app's link: it registers its own client"
        );
        let entered = registered(
            RegistrationMethod::PreRegistered,
            "http://127.0.0.1:4711/callback",
        );
        assert_eq!(
            reuse_redirect(RedirectChoice::DeepLink, &entered),
            Some((RedirectChoice::Loopback, None)),
            "a client the person registered takes any loopback port (RFC 8252 §7.3)"
        );
    }

    #[test]
    fn a_reused_registration_whose_sign_in_did_not_finish_is_not_offered_again() {
        let first = registered(RegistrationMethod::Dynamic, DEEP_LINK_REDIRECT_URI);
        let other_server = Registration {
            issuer: Some("https://other.example".into()),
            ..first.clone()
        };
        assert!(!was_abandoned(&first));
        drop(Abandoned(Some(abandonment(&first))));
        assert!(was_abandoned(&first));
        assert!(
            !was_abandoned(&other_server),
            "the same client ID at another server is another client"
        );
        let mut finished = Abandoned(Some(abandonment(&other_server)));
        finished.0 = None;
        drop(finished);
        assert!(
            !was_abandoned(&other_server),
            "a finished sign-in leaves no note"
        );
    }
}
