//! OAuth token refresh that stays correct under concurrency: one [`TokenCell`] per credential
//! (per connector) for the whole process, shared by every session of that connector.
//!
//! Why not rmcp's own `AuthClient`: each session would hold its own copy of the grant, so two
//! sessions (the status monitor's check and a tool call) refresh with the same refresh token, and
//! an authorization server that rotates refresh tokens and revokes the family on reuse (RFC 9700
//! §4.14) logs the person out; and it refreshes once per failed request, so N concurrent 401s
//! cause N refreshes. Here the cell holds the current grant in memory and an async mutex that a
//! refresh holds from start to finish (single flight). Under that mutex the cell first re-reads
//! the newest sealed grant from the store (another process, e.g. the CLI, may have rotated it or
//! a new sign-in replaced it) and refreshes only if the grant it then holds is still unusable: a
//! task that waited for another's refresh finds the fresh token and sends no request.
//!
//! The token request itself is rmcp's [`AuthorizationManager::refresh_token`] (PKCE-era client
//! auth, RFC 8707 `resource`, keeping the old refresh token when the response has none, a
//! 30-second timeout). The manager reads and writes credentials through [`CellStore`]: its save
//! seals and commits the rotated grant to the store *before* the cell hands out the new access
//! token, so a crash can lose a refresh but never a committed refresh token. Outcomes:
//! `invalid_grant` (or no refresh token at all) marks this cell rejected, so it stops asking the
//! authorization server until a different grant (a new sign-in) appears in the store; network
//! errors and 5xx keep every token, and the caller (the status monitor's backoff) retries.
//!
//! Machine connectors (a grant whose registration is a client-credentials client) have no
//! refresh token: where a refresh would run, the cell runs the client-credentials grant again
//! ([`super::client_credentials::regrant`], against the session's discovered metadata) under
//! the same mutex and lock, and commits the new grant before handing out its token.
//! `invalid_client`/`unauthorized_client` mark the cell rejected with
//! [`RefreshError::ClientRejected`] (new credentials are needed); other failures keep the tokens.
//!
//! Across processes (the desktop app and the CLI on one data directory), the same sequence —
//! re-read, refresh, commit — runs under the credential's [`lease::RefreshLock`], an OS file lock
//! the vault names: a process that wants to refresh while another one does waits for it, then
//! re-reads and finds the committed grant instead of presenting the spent refresh token.
//!
//! Locking: the state sits behind a `std::sync::Mutex` held only for copying; the refresh mutex
//! is a `tokio::sync::Mutex` because it is held across the token request, and the file lock is
//! taken inside it (so one process waits on the file at most once per credential). Tokens are
//! never logged.

pub mod lease;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use rmcp::transport::auth::{
    AuthError, AuthorizationManager, AuthorizationMetadata, CredentialStore, StoredCredentials,
};
use url::Url;

use super::{Grant, client_credentials};
use crate::secret::Secret;

/// Refresh a minute before the absolute expiry: clocks drift and a request takes time to arrive.
/// (At most half the token's lifetime, so a short-lived token is not refreshed on every use.)
pub const REFRESH_MARGIN_SECS: u64 = 60;

/// Seconds since the Unix epoch. Injected so tests can reach a token's expiry without waiting.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The computer's clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or(0)
    })
}

/// A grant that could not be read from or committed to where it is kept, in that place's words
/// (the store's or the vault's error, which never contains a secret).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct GrantVaultError(pub String);

/// Where a credential's grant is kept between uses (for connectors: the sealed row in the store).
pub trait GrantVault: Send + Sync {
    /// The newest committed grant; `None` once the sign-in was forgotten.
    fn load(&self) -> Result<Option<Grant>, GrantVaultError>;
    /// Seals and commits `grant`, renewed from `previous`, only if the stored grant is still
    /// `previous`; returns only once it is durable. A grant stored (or forgotten) meanwhile —
    /// a new sign-in, Forget credentials — stands: nothing is written, and the answer says so.
    fn commit(&self, previous: &Grant, grant: &Grant) -> Result<Committed, GrantVaultError>;
    /// Held around every refresh when other processes share this vault; `None` when none do.
    fn refresh_lock(&self) -> Option<&lease::RefreshLock> {
        None
    }
}

/// What [`GrantVault::commit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    Saved,
    /// The stored grant was no longer the one renewed: left as it was.
    Superseded,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// `invalid_grant`: the authorization server will not renew this sign-in.
    #[error("the authorization server rejected the stored sign-in (invalid_grant)")]
    Rejected,
    /// No access token, no refresh token, or the sign-in was forgotten or belongs elsewhere.
    #[error("the stored sign-in cannot be used or renewed")]
    NeedsSignIn,
    /// A machine client's grant was refused with this OAuth error code (`invalid_client`,
    /// `unauthorized_client`): its credentials no longer work.
    #[error(
        "the authorization server no longer accepts this machine connector's client credentials \
         ({0}): the client secret or key was rotated or revoked"
    )]
    ClientRejected(String),
    /// Network error, 5xx, or a failed commit: every token is kept; try again later.
    #[error("renewing the access token failed: {0}")]
    Unavailable(String),
}

/// The parts of a grant the cell decides with, parsed once per grant.
struct Tokens {
    grant: Grant,
    access: Option<Secret>,
    received_at: Option<u64>,
    expires_at: Option<u64>,
    margin: u64,
}

#[derive(serde::Deserialize)]
struct GrantView {
    token_response: Option<TokenView>,
    token_received_at: Option<u64>,
}

#[derive(serde::Deserialize)]
struct TokenView {
    access_token: String,
    expires_in: Option<u64>,
}

impl Tokens {
    fn parse(grant: Grant) -> Self {
        let view: Option<GrantView> = serde_json::from_str(grant.0.expose()).ok();
        let received_at = view.as_ref().and_then(|view| view.token_received_at);
        let token = view.and_then(|view| view.token_response);
        let lifetime = token.as_ref().and_then(|token| token.expires_in);
        Self {
            grant,
            received_at,
            expires_at: lifetime
                .zip(received_at)
                .map(|(life, at)| at.saturating_add(life)),
            margin: lifetime.map_or(0, |life| REFRESH_MARGIN_SECS.min(life / 2)),
            access: token.map(|token| Secret::new(token.access_token)),
        }
    }

    /// Not within the refresh margin of its expiry (a token without a known expiry is used
    /// until the server rejects it).
    fn fresh(&self, now: u64) -> bool {
        self.access.is_some()
            && self
                .expires_at
                .is_none_or(|expires_at| now.saturating_add(self.margin) < expires_at)
    }

    fn unexpired(&self, now: u64) -> bool {
        self.access.is_some() && self.expires_at.is_none_or(|expires_at| now < expires_at)
    }
}

struct State {
    tokens: Tokens,
    /// Why this grant cannot be renewed (`invalid_grant`, no refresh token, issuer changed, a
    /// rejected machine client). Cleared when a different grant is adopted.
    rejected: Option<RefreshError>,
    /// The grant a refresh in progress renews (what its commit compares the store with).
    renewing: Option<Grant>,
}

/// What a session hands its cell to renew the grant: rmcp's manager for the server (the
/// refresh-token grant, with the client it restored), and the server URL and the authorization
/// server metadata discovered for this session, which a machine client's client-credentials
/// grant runs against.
pub struct Renewer {
    manager: AuthorizationManager,
    server: Url,
    metadata: Option<AuthorizationMetadata>,
    /// The way the session's requests go out, which a machine client's grant goes too.
    route: crate::network::Route,
}

impl Renewer {
    pub(crate) fn new(
        manager: AuthorizationManager,
        server: Url,
        metadata: Option<AuthorizationMetadata>,
        route: crate::network::Route,
    ) -> Self {
        Self {
            manager,
            server,
            metadata,
            route,
        }
    }
}

/// One credential's current grant and its single-flight refresh.
pub struct TokenCell {
    state: Mutex<State>,
    /// Held for a whole refresh: re-read, token request, commit.
    refreshing: tokio::sync::Mutex<()>,
    vault: Option<Arc<dyn GrantVault>>,
    clock: Clock,
}

impl TokenCell {
    pub fn new(grant: Grant, vault: Option<Arc<dyn GrantVault>>, clock: Clock) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                tokens: Tokens::parse(grant),
                rejected: None,
                renewing: None,
            }),
            refreshing: tokio::sync::Mutex::new(()),
            vault,
            clock,
        })
    }

    /// A cell of its own, kept in memory only: a sign-in being tested before it is saved, or a
    /// one-off client. Read the (possibly refreshed) result with [`TokenCell::grant`].
    pub fn detached(grant: Grant) -> Arc<Self> {
        Self::new(grant, None, system_clock())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current grant, including any refresh.
    pub fn grant(&self) -> Grant {
        self.state().tokens.grant.clone()
    }

    /// The access token held now, without renewing it (the connection diagnosis sends it as
    /// the failed session did).
    pub fn current_access_token(&self) -> Option<Secret> {
        self.state().tokens.access.clone()
    }

    /// Takes `grant` if it was issued after the one held (a new sign-in stored meanwhile).
    /// An older one is ignored: the cell may already hold a newer refresh. One issued in the
    /// same second (times are whole seconds) is taken: the cell commits every refresh to the
    /// store, so a stored grant that differs from the held one is a sign-in saved since — a
    /// re-authentication right after the first sign-in must not keep the old token.
    pub fn adopt_if_newer(&self, grant: Grant) {
        let mut state = self.state();
        if grant.0 == state.tokens.grant.0 {
            return;
        }
        let candidate = Tokens::parse(grant);
        if candidate.received_at >= state.tokens.received_at {
            state.tokens = candidate;
            state.rejected = None;
        }
    }

    /// The access token to send, renewed first (one refresh at a time) when it is within the
    /// refresh margin of its expiry.
    pub async fn access_token(&self, renewer: &Renewer) -> Result<Secret, RefreshError> {
        let now = (self.clock)();
        {
            let state = self.state();
            if state.rejected.is_none()
                && state.tokens.fresh(now)
                && let Some(token) = &state.tokens.access
            {
                return Ok(token.clone());
            }
        }
        match self
            .refresh_unless(renewer, |tokens, now| tokens.fresh(now))
            .await
        {
            // The authorization server is down but the token has not expired yet: use it.
            Err(RefreshError::Unavailable(detail)) => {
                let state = self.state();
                match &state.tokens.access {
                    Some(token) if state.tokens.unexpired((self.clock)()) => Ok(token.clone()),
                    _ => Err(RefreshError::Unavailable(detail)),
                }
            }
            outcome => outcome,
        }
    }

    /// The token to retry with after the server answered 401 to `rejected`: the current one if
    /// someone already replaced `rejected`, else a refreshed one.
    pub async fn after_rejection(
        &self,
        renewer: &Renewer,
        rejected: &Secret,
    ) -> Result<Secret, RefreshError> {
        self.refresh_unless(renewer, |tokens, now| {
            tokens.access.as_ref() != Some(rejected) && tokens.fresh(now)
        })
        .await
    }

    async fn refresh_unless(
        &self,
        renewer: &Renewer,
        usable: impl Fn(&Tokens, u64) -> bool,
    ) -> Result<Secret, RefreshError> {
        let _turn = self.refreshing.lock().await;
        let _lease = match self.vault.as_ref().and_then(|vault| vault.refresh_lock()) {
            Some(lock) => Some(
                lock.acquire()
                    .await
                    .map_err(|error| RefreshError::Unavailable(error.to_string()))?,
            ),
            None => None,
        };
        self.reload()?;
        let grant = {
            let state = self.state();
            if let Some(rejected) = &state.rejected {
                return Err(rejected.clone());
            }
            if usable(&state.tokens, (self.clock)())
                && let Some(token) = &state.tokens.access
            {
                return Ok(token.clone());
            }
            state.tokens.grant.clone()
        };
        // The newest committed grant decides (another process may have replaced the client).
        if let Some(registration) = grant.registration().ok().flatten()
            && registration.is_machine()
        {
            return self.regrant(renewer, &grant, &registration).await;
        }
        // The manager's save (CellStore::save) commits the rotated grant and only then updates
        // this cell, so the token read below is durable.
        self.state().renewing = Some(grant);
        let refreshed = renewer.manager.refresh_token().await;
        self.state().renewing = None;
        match refreshed {
            Ok(_) => self
                .state()
                .tokens
                .access
                .clone()
                .ok_or(RefreshError::NeedsSignIn),
            Err(AuthError::TokenRefreshRejected(_)) => {
                self.state().rejected = Some(RefreshError::Rejected);
                Err(RefreshError::Rejected)
            }
            Err(AuthError::AuthorizationRequired) => {
                self.state().rejected = Some(RefreshError::NeedsSignIn);
                Err(RefreshError::NeedsSignIn)
            }
            // The sign-in was forgotten while renewing (the commit found it gone): say so.
            Err(_) if self.state().rejected.is_some() => Err(self
                .state()
                .rejected
                .clone()
                .unwrap_or(RefreshError::NeedsSignIn)),
            Err(error) => {
                tracing::debug!(%error, "token refresh failed; keeping the tokens");
                Err(RefreshError::Unavailable(crate::vocabulary::first_line(
                    &error.to_string(),
                )))
            }
        }
    }

    /// A machine client's renewal: its client-credentials grant again, committed before the
    /// token is handed out. Runs under the refresh mutex and lock like a refresh.
    async fn regrant(
        &self,
        renewer: &Renewer,
        previous: &Grant,
        registration: &super::Registration,
    ) -> Result<Secret, RefreshError> {
        let Some(metadata) = &renewer.metadata else {
            return Err(RefreshError::Unavailable(
                "the authorization server's metadata is unknown".into(),
            ));
        };
        match client_credentials::regrant(&renewer.server, metadata, registration, &renewer.route)
            .await
        {
            Ok(grant) => {
                self.commit(previous, grant).map_err(|error| {
                    RefreshError::Unavailable(format!("cannot save the new token: {error}"))
                })?;
                self.state()
                    .tokens
                    .access
                    .clone()
                    .ok_or(RefreshError::NeedsSignIn)
            }
            Err(error @ (RefreshError::ClientRejected(_) | RefreshError::NeedsSignIn)) => {
                self.state().rejected = Some(error.clone());
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// Adopts the newest committed grant: under the refresh mutex nothing in this process is
    /// committing, so a stored grant that differs is newer (another process, or a new sign-in).
    fn reload(&self) -> Result<(), RefreshError> {
        let Some(vault) = &self.vault else {
            return Ok(());
        };
        match vault.load() {
            Ok(Some(grant)) => {
                let mut state = self.state();
                if grant.0 != state.tokens.grant.0 {
                    state.tokens = Tokens::parse(grant);
                    state.rejected = None;
                }
                Ok(())
            }
            Ok(None) => Err(RefreshError::NeedsSignIn),
            Err(error) => Err(RefreshError::Unavailable(format!(
                "cannot read the stored sign-in: {error}"
            ))),
        }
    }

    /// Commits a grant renewed from `previous`, then makes it current. When a new sign-in was
    /// stored (or the sign-in forgotten) while renewing, that stands and is adopted instead.
    fn commit(&self, previous: &Grant, grant: Grant) -> Result<(), GrantVaultError> {
        if let Some(vault) = &self.vault
            && vault.commit(previous, &grant)? == Committed::Superseded
        {
            tracing::info!("the sign-in changed while its token was renewed; keeping the change");
            return self.reload().map_err(|error| {
                if error == RefreshError::NeedsSignIn {
                    self.state().rejected = Some(RefreshError::NeedsSignIn);
                }
                GrantVaultError(format!("the sign-in changed while renewing: {error}"))
            });
        }
        let mut state = self.state();
        state.tokens = Tokens::parse(grant);
        state.rejected = None;
        Ok(())
    }
}

/// Every credential's cell, keyed by connector id; one per [`crate::Patchbay`].
pub struct TokenCells {
    cells: Mutex<HashMap<String, Arc<TokenCell>>>,
    clock: Clock,
}

impl TokenCells {
    pub fn new(clock: Clock) -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// The cell of `connector_id`, created from `grant` (the stored one) on first use; later a
    /// newer stored grant (a new sign-in) replaces the one it holds.
    pub fn cell(
        &self,
        connector_id: &str,
        grant: Grant,
        vault: impl FnOnce() -> Arc<dyn GrantVault>,
    ) -> Arc<TokenCell> {
        let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cell) = cells.get(connector_id) {
            cell.adopt_if_newer(grant);
            return cell.clone();
        }
        let cell = TokenCell::new(grant, Some(vault()), self.clock.clone());
        cells.insert(connector_id.to_owned(), cell.clone());
        cell
    }

    /// Drops the cell of a deleted connector.
    pub fn forget(&self, connector_id: &str) {
        self.cells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(connector_id);
    }
}

/// rmcp's view of a cell: loads the current grant, commits refreshed ones through the cell.
pub(crate) struct CellStore(pub(crate) Arc<TokenCell>);

fn store_error(error: impl std::fmt::Display) -> AuthError {
    AuthError::CredentialStoreError(error.to_string())
}

#[async_trait::async_trait]
impl CredentialStore for CellStore {
    async fn load(&self) -> Result<Option<StoredCredentials>, AuthError> {
        self.0.grant().to_stored().map(Some).map_err(store_error)
    }

    /// Keeps the renewed grant's client registration (and DPoP key) with the refreshed
    /// credentials, and commits them only over the grant they were renewed from.
    async fn save(&self, credentials: StoredCredentials) -> Result<(), AuthError> {
        let previous = self
            .0
            .state()
            .renewing
            .clone()
            .unwrap_or_else(|| self.0.grant());
        let grant = previous
            .with_credentials(&credentials)
            .map_err(store_error)?;
        self.0
            .commit(&previous, grant)
            .map_err(|error| AuthError::CredentialStoreError(error.0))
    }

    /// rmcp clears credentials minted by a previous authorization server (issuer changed). The
    /// stored grant stays for the person to replace; the cell stops using it.
    async fn clear(&self) -> Result<(), AuthError> {
        self.0.state().rejected = Some(RefreshError::NeedsSignIn);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(access: &str, received_at: u64, expires_in: Option<u64>) -> Grant {
        let mut token = serde_json::json!({
            "access_token": access, "token_type": "Bearer", "refresh_token": "rt",
        });
        if let Some(life) = expires_in {
            token["expires_in"] = life.into();
        }
        Grant(Secret::new(
            serde_json::json!({
                "client_id": "c", "token_response": token, "token_received_at": received_at,
            })
            .to_string(),
        ))
    }

    #[test]
    fn a_token_is_due_a_minute_before_expiry_or_at_half_a_short_lifetime() {
        let tokens = Tokens::parse(grant("a", 1_000, Some(3_600)));
        assert!(
            tokens.fresh(1_000 + 3_600 - 61),
            "61 s before expiry it is still used"
        );
        assert!(
            !tokens.fresh(1_000 + 3_600 - 60),
            "60 s before expiry it is refreshed"
        );
        let short = Tokens::parse(grant("a", 1_000, Some(30)));
        assert!(
            short.fresh(1_014),
            "a 30 s token is used for its first half"
        );
        assert!(!short.fresh(1_015), "and refreshed in its second half");
        let unknown = Tokens::parse(grant("a", 1_000, None));
        assert!(unknown.fresh(u64::MAX / 2), "no expiry: used until a 401");
    }

    #[test]
    fn only_a_newer_grant_is_adopted() {
        let cell = TokenCell::detached(grant("current", 2_000, Some(3_600)));
        cell.adopt_if_newer(grant("older", 1_000, Some(3_600)));
        assert!(
            cell.grant().0.expose().contains("current"),
            "an older stored grant must not replace a refreshed one"
        );
        cell.adopt_if_newer(grant("newer", 3_000, Some(3_600)));
        assert!(
            cell.grant().0.expose().contains("newer"),
            "a new sign-in must be taken"
        );
        cell.adopt_if_newer(grant("same-second", 3_000, Some(3_600)));
        assert!(
            cell.grant().0.expose().contains("same-second"),
            "a sign-in saved in the same second as the held grant must be taken (re-authenticating \
             right after signing in kept the old token: a flaky step-up test found it)"
        );
    }
}
