//! [`Patchbay`]: the one object front ends hold. It validates input, talks to servers, seals
//! secrets and writes the store, in that order, so a failure at any step leaves nothing behind.
//!
//! Locking: the store sits behind a `std::sync::Mutex` that is only ever held for synchronous
//! database work; every network await happens with the guard dropped (one slow server must never
//! block another connector, the UI, or the status monitor).

mod grants;
mod oauth_client;
mod step_up;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::Error;
use crate::keychain::Keychain;
use crate::mcp::{self, Diagnosis, Endpoint, OAuthCredentials, Session, Timeouts};
use crate::oauth::refresh::lease::RefreshLock;
use crate::oauth::refresh::{Clock, GrantVault, TokenCells, system_clock};
use crate::oauth::{Grant, Registration};
use crate::secret::Secret;
use crate::store::{
    AuthKind, ConnectorRow, ConnectorStatus, SecretChange, StepUp, Store, Workspace,
};
use crate::validate::{self, InvalidInput};
use crate::vault::Vault;

const TOKEN_FIELD: &str = "token";
const OAUTH_FIELD: &str = "oauth";
const HEADER_FIELD_PREFIX: &str = "header:";

/// What the UI and `connector list --json` see of a connector. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorView {
    pub id: String,
    pub workspace: String,
    pub name: String,
    pub url: String,
    pub auth: AuthKind,
    /// Whether an access token is stored (the token itself never leaves the core).
    pub token_set: bool,
    /// Names of the custom headers; their values are secrets.
    pub header_names: Vec<String>,
    pub status: ConnectorStatus,
    pub last_checked_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A new connector, as entered by a person.
#[derive(Debug, Clone)]
pub struct ConnectorSpec {
    pub name: String,
    pub url: String,
    pub auth: AuthKind,
    pub token: Option<Secret>,
    /// `(name, value)` pairs.
    pub headers: Vec<(String, Secret)>,
    /// For OAuth connectors: the credentials from [`crate::oauth::authorize`].
    pub oauth: Option<Grant>,
}

/// Changes to an existing connector; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ConnectorEdit {
    pub name: Option<String>,
    pub url: Option<String>,
    pub token: Option<Secret>,
    pub headers: Option<Vec<(String, Secret)>>,
}

/// A connector that was saved, and the test that allowed it (absent with `--skip-test`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Saved {
    pub connector: ConnectorView,
    pub diagnosis: Option<Diagnosis>,
}

pub struct Patchbay {
    store: Arc<Mutex<Store>>,
    vault: Arc<Vault>,
    data_dir: PathBuf,
    timeouts: Timeouts,
    /// Each OAuth connector's current tokens, shared by all its sessions (single-flight refresh).
    tokens: TokenCells,
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

impl Patchbay {
    /// Opens the store in `data_dir` (created with owner-only permissions if missing). The
    /// keychain is not touched until a secret is needed, so listing works while it is locked.
    pub fn open(
        data_dir: &Path,
        keychain: Arc<dyn Keychain>,
        keychain_service: &str,
    ) -> Result<Self, Error> {
        create_private_dir(data_dir).map_err(|source| Error::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&data_dir.join(crate::paths::DATABASE_FILE), &now())?;
        Ok(Self {
            store: Arc::new(Mutex::new(store)),
            vault: Arc::new(Vault::new(keychain, keychain_service)),
            data_dir: data_dir.to_owned(),
            timeouts: Timeouts::default(),
            tokens: TokenCells::new(system_clock()),
        })
    }

    /// The clock OAuth token expiry is judged by (tests move it forward). Call before use.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.tokens = TokenCells::new(clock);
        self
    }

    /// Overrides the network timeouts (the CLI's `--timeout`).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // --- workspaces -----------------------------------------------------------------------

    pub fn workspaces(&self) -> Result<Vec<Workspace>, Error> {
        Ok(self.store().workspaces()?)
    }

    fn workspace(store: &Store, name: &str) -> Result<Workspace, Error> {
        store
            .workspace_by_name(name.trim())?
            .ok_or_else(|| Error::NotFound {
                what: "workspace",
                name: name.to_owned(),
                place: String::new(),
            })
    }

    pub fn add_workspace(&self, name: &str) -> Result<Workspace, Error> {
        let name = validate::name(name, "the workspace name")?;
        let store = self.store();
        if store.workspace_by_name(&name)?.is_some() {
            return Err(Error::Duplicate {
                what: "workspace",
                name,
                place: String::new(),
            });
        }
        // The data key is created on first use, so a locked keychain does not block this.
        Ok(store.insert_workspace(&name, None, &now(), &uuid::Uuid::new_v4().to_string())?)
    }

    pub fn rename_workspace(&self, old: &str, new: &str) -> Result<Workspace, Error> {
        let new = validate::name(new, "the workspace name")?;
        let store = self.store();
        let workspace = Self::workspace(&store, old)?;
        if let Some(existing) = store.workspace_by_name(&new)?
            && existing.id != workspace.id
        {
            return Err(Error::Duplicate {
                what: "workspace",
                name: new,
                place: String::new(),
            });
        }
        store.rename_workspace(&workspace.id, &new)?;
        Ok(Workspace {
            name: new,
            ..workspace
        })
    }

    /// Deletes a workspace with its connectors, secrets and data key. The last workspace stays.
    pub fn remove_workspace(&self, name: &str) -> Result<(), Error> {
        let store = self.store();
        let workspace = Self::workspace(&store, name)?;
        if store.workspaces()?.len() <= 1 {
            return Err(Error::InvalidInput(InvalidInput::Other(format!(
                "{:?} is the only workspace; create another before removing it",
                workspace.name
            ))));
        }
        let connectors = store.connectors(&workspace.id)?;
        store.delete_workspace(&workspace.id)?;
        for row in connectors {
            self.tokens.forget(&row.id);
            RefreshLock::for_connector(&self.data_dir, &row.id).remove();
        }
        Ok(())
    }

    // --- connectors: reading --------------------------------------------------------------

    pub fn list_connectors(&self, workspace: &str) -> Result<Vec<ConnectorView>, Error> {
        let store = self.store();
        let workspace = Self::workspace(&store, workspace)?;
        store
            .connectors(&workspace.id)?
            .into_iter()
            .map(|row| view(&store, &workspace, row))
            .collect()
    }

    pub fn connector(&self, workspace: &str, name: &str) -> Result<ConnectorView, Error> {
        let store = self.store();
        let workspace = Self::workspace(&store, workspace)?;
        let row = Self::row(&store, &workspace, name)?;
        view(&store, &workspace, row)
    }

    fn row(store: &Store, workspace: &Workspace, name: &str) -> Result<ConnectorRow, Error> {
        store
            .connector_by_name(&workspace.id, name.trim())?
            .ok_or_else(|| Error::NotFound {
                what: "connector",
                name: name.to_owned(),
                place: format!(" in workspace {:?}", workspace.name),
            })
    }

    /// The URL and decrypted credentials of a stored connector.
    fn endpoint(&self, store: &Store, row: &ConnectorRow) -> Result<Endpoint, Error> {
        let mut endpoint = Endpoint::new(validate::url(&row.url)?);
        endpoint.timeouts = self.timeouts;
        if let Some(blob) = store.secret(&row.id, TOKEN_FIELD)? {
            endpoint.bearer =
                Some(
                    self.vault
                        .open(store, &row.workspace_id, &row.id, TOKEN_FIELD, &blob)?,
                );
        }
        if let Some(blob) = store.secret(&row.id, OAUTH_FIELD)? {
            let grant =
                Grant(
                    self.vault
                        .open(store, &row.workspace_id, &row.id, OAUTH_FIELD, &blob)?,
                );
            let cell = self.tokens.cell(&row.id, grant, || self.stored_grant(row));
            endpoint.oauth = Some(OAuthCredentials::shared(cell));
        }
        endpoint.headers = self.headers(store, row)?;
        Ok(endpoint)
    }

    /// The decrypted custom headers of a stored connector.
    fn headers(&self, store: &Store, row: &ConnectorRow) -> Result<Vec<(String, Secret)>, Error> {
        let mut headers = Vec::with_capacity(row.header_names.len());
        for name in &row.header_names {
            let field = format!("{HEADER_FIELD_PREFIX}{name}");
            if let Some(blob) = store.secret(&row.id, &field)? {
                let value = self
                    .vault
                    .open(store, &row.workspace_id, &row.id, &field, &blob)?;
                headers.push((name.clone(), value));
            }
        }
        Ok(headers)
    }

    /// Where `row`'s refreshed grants are read from and committed to (sealed).
    fn stored_grant(&self, row: &ConnectorRow) -> Arc<dyn GrantVault> {
        Arc::new(grants::StoredGrant {
            store: self.store.clone(),
            vault: self.vault.clone(),
            workspace_id: row.workspace_id.clone(),
            connector_id: row.id.clone(),
            lock: RefreshLock::for_connector(&self.data_dir, &row.id),
        })
    }

    /// The client registration kept with a connector's OAuth grant, to sign in again with the
    /// same client ([`crate::oauth::sign_in::sign_in_reusing`], [`crate::oauth::authorize_again`]).
    /// `None` when there is no grant, it was stored before registrations were kept, or it cannot
    /// be decrypted or read: re-authenticating must work even when the old grant is damaged.
    pub fn stored_registration(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<Registration>, Error> {
        let store = self.store();
        let workspace = Self::workspace(&store, workspace)?;
        let row = Self::row(&store, &workspace, name)?;
        let Some(grant) = self.readable_grant(&store, &row)? else {
            return Ok(None);
        };
        Ok(grant.registration().unwrap_or_else(|error| {
            tracing::warn!(%error, "the stored client registration is unreadable; registering afresh");
            None
        }))
    }

    /// Replaces a connector's OAuth credentials after a new sign-in (re-authenticate, or a
    /// machine connector's grant run again), testing them first. A recorded step-up need is
    /// cleared; scopes the sign-in asked for and did not get are remembered, so they are not
    /// asked for again by themselves (see [`Patchbay::reauthentication`]).
    pub async fn sign_in(&self, workspace: &str, name: &str, grant: Grant) -> Result<Saved, Error> {
        let (workspace, row, mut endpoint) = {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            if row.auth != AuthKind::OAuth {
                return Err(
                    InvalidInput::Other(format!("{:?} does not use OAuth", row.name)).into(),
                );
            }
            // Not `self.endpoint()`: re-authenticating must work even if the old grant is damaged.
            let mut endpoint = Endpoint::new(validate::url(&row.url)?);
            endpoint.timeouts = self.timeouts;
            endpoint.headers = self.headers(&store, &row)?;
            (workspace, row, endpoint)
        };
        // Tested on its own: a refresh during the test changes what gets sealed below.
        let pending = OAuthCredentials::detached(grant);
        endpoint.oauth = Some(pending.clone());
        let diagnosis = self.checked(&endpoint).await?;
        let grant = pending.grant();
        let mut store = self.store();
        let ciphertext = self
            .vault
            .seal(&store, &workspace.id, &row.id, OAUTH_FIELD, &grant.0)?;
        let step_up = step_up::after_sign_in(&store.step_up(&row.id)?, &grant);
        let updated = ConnectorRow {
            status: diagnosis.status(),
            last_checked_at: Some(now()),
            last_error: None,
            updated_at: now(),
            ..row
        };
        store.save_connector(
            &updated,
            vec![SecretChange::Put {
                field: OAUTH_FIELD.into(),
                ciphertext,
            }],
        )?;
        store.set_step_up(&updated.id, &step_up)?;
        let connector = view(&store, &workspace, updated)?;
        Ok(Saved {
            connector,
            diagnosis: Some(diagnosis),
        })
    }

    /// Forgets a connector's OAuth credentials and client registration (both live in the one
    /// sealed grant); the next sign-in starts from discovery and registration again.
    pub fn forget_credentials(&self, workspace: &str, name: &str) -> Result<ConnectorView, Error> {
        let mut store = self.store();
        let workspace = Self::workspace(&store, workspace)?;
        let row = Self::row(&store, &workspace, name)?;
        let updated = ConnectorRow {
            status: ConnectorStatus::NeedsAuth,
            updated_at: now(),
            ..row
        };
        store.save_connector(
            &updated,
            vec![SecretChange::Delete {
                field: OAUTH_FIELD.into(),
            }],
        )?;
        // The next sign-in starts afresh, scope selection included.
        store.set_step_up(&updated.id, &StepUp::default())?;
        view(&store, &workspace, updated)
    }

    // --- connectors: writing --------------------------------------------------------------

    /// Validates, tests (unless `test` is false) and saves a new connector. On any failure
    /// nothing is written.
    pub async fn add_connector(
        &self,
        workspace: &str,
        spec: ConnectorSpec,
        test: bool,
    ) -> Result<Saved, Error> {
        let name = validate::name(&spec.name, "the connector name")?;
        let url = validate::url(&spec.url)?;
        let headers = validate_headers(spec.headers)?;
        let token = match (spec.auth, spec.token) {
            (AuthKind::Token, Some(token)) => {
                validate::token(&token)?;
                Some(Secret::new(token.expose().trim()))
            }
            (AuthKind::Token, None) => {
                return Err(InvalidInput::Empty {
                    what: "the access token",
                }
                .into());
            }
            (AuthKind::None, None) => None,
            (AuthKind::None, Some(_)) => {
                return Err(InvalidInput::Other(
                    "a token was given but the auth type is \"none\"; use --auth token".into(),
                )
                .into());
            }
            (AuthKind::OAuth, Some(_)) => {
                return Err(InvalidInput::Other(
                    "OAuth connectors do not take an access token".into(),
                )
                .into());
            }
            (AuthKind::OAuth, None) => None,
        };
        if spec.auth == AuthKind::OAuth && spec.oauth.is_none() {
            return Err(InvalidInput::Other(
                "an OAuth connector needs a completed sign-in (Authorize) before it can be saved"
                    .into(),
            )
            .into());
        }
        let pending = spec.oauth.clone().map(OAuthCredentials::detached);
        let workspace = {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            ensure_unique(&store, &workspace, &name, None)?;
            // Touch the keychain before the network: a locked keychain should fail fast.
            if token.is_some() || !headers.is_empty() || pending.is_some() {
                self.vault.workspace_key(&store, &workspace.id)?;
            }
            workspace
        };
        let mut endpoint = Endpoint::new(url.clone());
        endpoint.timeouts = self.timeouts;
        endpoint.bearer = token.clone();
        endpoint.headers = headers.clone();
        endpoint.oauth = pending.clone();
        let diagnosis = if test {
            Some(self.checked(&endpoint).await?)
        } else {
            None
        };

        let mut store = self.store();
        // Re-check: another process may have taken the name while we were testing.
        ensure_unique(&store, &workspace, &name, None)?;
        let id = uuid::Uuid::new_v4().to_string();
        let timestamp = now();
        let mut secrets = Vec::new();
        if let Some(token) = &token {
            secrets.push(SecretChange::Put {
                field: TOKEN_FIELD.into(),
                ciphertext: self
                    .vault
                    .seal(&store, &workspace.id, &id, TOKEN_FIELD, token)?,
            });
        }
        for (header, value) in &headers {
            let field = format!("{HEADER_FIELD_PREFIX}{header}");
            secrets.push(SecretChange::Put {
                ciphertext: self.vault.seal(&store, &workspace.id, &id, &field, value)?,
                field,
            });
        }
        if let Some(pending) = &pending {
            let grant = pending.grant();
            secrets.push(SecretChange::Put {
                field: OAUTH_FIELD.into(),
                ciphertext: self
                    .vault
                    .seal(&store, &workspace.id, &id, OAUTH_FIELD, &grant.0)?,
            });
        }
        let row = ConnectorRow {
            id,
            workspace_id: workspace.id.clone(),
            name,
            url: url.to_string(),
            auth: spec.auth,
            header_names: headers.iter().map(|(name, _)| name.clone()).collect(),
            status: diagnosis
                .as_ref()
                .map_or(ConnectorStatus::Unknown, Diagnosis::status),
            last_checked_at: diagnosis.as_ref().map(|_| timestamp.clone()),
            last_error: None,
            created_at: timestamp.clone(),
            updated_at: timestamp,
        };
        store.save_connector(&row, secrets)?;
        let connector = view(&store, &workspace, row)?;
        Ok(Saved {
            connector,
            diagnosis,
        })
    }

    /// Applies an edit after testing the result (unless `test` is false). Fields left `None`
    /// keep their stored value; on failure nothing changes.
    pub async fn edit_connector(
        &self,
        workspace: &str,
        name: &str,
        edit: ConnectorEdit,
        test: bool,
    ) -> Result<Saved, Error> {
        let new_name = edit
            .name
            .as_deref()
            .map(|n| validate::name(n, "the connector name"))
            .transpose()?;
        let new_url = edit.url.as_deref().map(validate::url).transpose()?;
        let new_headers = edit.headers.map(validate_headers).transpose()?;
        if let Some(token) = &edit.token {
            validate::token(token)?;
        }
        let (workspace, row, mut endpoint) = {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            if let Some(new_name) = &new_name {
                ensure_unique(&store, &workspace, new_name, Some(&row.id))?;
            }
            if edit.token.is_some() && row.auth != AuthKind::Token {
                return Err(InvalidInput::Other(format!(
                    "{:?} uses auth type {:?}; a token applies only to token connectors",
                    row.name,
                    row.auth.as_str()
                ))
                .into());
            }
            let endpoint = self.endpoint(&store, &row)?;
            (workspace, row, endpoint)
        };
        if let Some(url) = &new_url {
            endpoint.url = url.clone();
        }
        if let Some(token) = &edit.token {
            endpoint.bearer = Some(Secret::new(token.expose().trim()));
        }
        if let Some(headers) = &new_headers {
            endpoint.headers = headers.clone();
        }
        let diagnosis = if test {
            Some(self.checked(&endpoint).await?)
        } else {
            None
        };

        let mut store = self.store();
        if let Some(new_name) = &new_name {
            ensure_unique(&store, &workspace, new_name, Some(&row.id))?;
        }
        let mut secrets = Vec::new();
        if let Some(token) = &endpoint.bearer
            && edit.token.is_some()
        {
            secrets.push(SecretChange::Put {
                field: TOKEN_FIELD.into(),
                ciphertext: self
                    .vault
                    .seal(&store, &workspace.id, &row.id, TOKEN_FIELD, token)?,
            });
        }
        if new_headers.is_some() {
            for old in &row.header_names {
                secrets.push(SecretChange::Delete {
                    field: format!("{HEADER_FIELD_PREFIX}{old}"),
                });
            }
            for (header, value) in &endpoint.headers {
                let field = format!("{HEADER_FIELD_PREFIX}{header}");
                secrets.push(SecretChange::Put {
                    ciphertext: self
                        .vault
                        .seal(&store, &workspace.id, &row.id, &field, value)?,
                    field,
                });
            }
        }
        let timestamp = now();
        let updated = ConnectorRow {
            name: new_name.unwrap_or(row.name.clone()),
            url: endpoint.url.to_string(),
            header_names: endpoint
                .headers
                .iter()
                .map(|(name, _)| name.clone())
                .collect(),
            status: diagnosis.as_ref().map_or(row.status, Diagnosis::status),
            last_checked_at: diagnosis
                .as_ref()
                .map(|_| timestamp.clone())
                .or(row.last_checked_at.clone()),
            last_error: if diagnosis.is_some() {
                None
            } else {
                row.last_error.clone()
            },
            updated_at: timestamp,
            ..row
        };
        store.save_connector(&updated, secrets)?;
        let connector = view(&store, &workspace, updated)?;
        Ok(Saved {
            connector,
            diagnosis,
        })
    }

    pub fn remove_connector(&self, workspace: &str, name: &str) -> Result<(), Error> {
        let store = self.store();
        let workspace = Self::workspace(&store, workspace)?;
        let row = Self::row(&store, &workspace, name)?;
        store.delete_connector(&row.id)?;
        self.tokens.forget(&row.id);
        RefreshLock::for_connector(&self.data_dir, &row.id).remove();
        Ok(())
    }

    // --- talking to servers ---------------------------------------------------------------

    /// Diagnoses an endpoint and turns a failed diagnosis into an error.
    async fn checked(&self, endpoint: &Endpoint) -> Result<Diagnosis, Error> {
        let diagnosis = mcp::diagnose(endpoint).await;
        if diagnosis.ok {
            Ok(diagnosis)
        } else {
            Err(Error::ConnectionFailed(Box::new(diagnosis)))
        }
    }

    fn stored_endpoint(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<(ConnectorRow, Endpoint), Error> {
        let store = self.store();
        let workspace = Self::workspace(&store, workspace)?;
        let row = Self::row(&store, &workspace, name)?;
        let endpoint = self.endpoint(&store, &row)?;
        Ok((row, endpoint))
    }

    /// Tests a stored connector and records the outcome as its status (a recorded step-up need
    /// included: see [`Patchbay::step_up`]).
    pub async fn test_connector(&self, workspace: &str, name: &str) -> Result<Diagnosis, Error> {
        let (row, endpoint) = self.stored_endpoint(workspace, name)?;
        self.check_endpoint(&row.id, &endpoint).await
    }

    /// Records a check's outcome on the connector with this id (if it still exists).
    pub fn record(&self, connector_id: &str, diagnosis: &Diagnosis) -> Result<(), Error> {
        let error =
            (!diagnosis.ok).then(|| format!("{} — {}", diagnosis.summary(), diagnosis.hint));
        self.store()
            .set_status(connector_id, diagnosis.status(), error.as_deref(), &now())?;
        Ok(())
    }

    /// Every connector of every workspace (the status monitor checks them all).
    pub fn all_connectors(&self) -> Result<Vec<ConnectorView>, Error> {
        let store = self.store();
        let mut all = Vec::new();
        for workspace in store.workspaces()? {
            for row in store.connectors(&workspace.id)? {
                all.push(view(&store, &workspace, row)?);
            }
        }
        Ok(all)
    }

    /// Checks one connector by id and records the outcome. `Ok(None)` if it was deleted.
    pub async fn check_by_id(&self, id: &str) -> Result<Option<Diagnosis>, Error> {
        let endpoint = {
            let store = self.store();
            let Some(row) = store.connector_by_id(id)? else {
                return Ok(None);
            };
            match self.endpoint(&store, &row) {
                Ok(endpoint) => endpoint,
                Err(error @ Error::Vault(crate::vault::VaultError::Decrypt { .. })) => {
                    let message = format!("{error} — {}", error.hint().unwrap_or_default());
                    store.set_status(id, ConnectorStatus::Error, Some(&message), &now())?;
                    return Err(error);
                }
                Err(error) => return Err(error),
            }
        };
        Ok(Some(self.check_endpoint(id, &endpoint).await?))
    }

    /// Records a failure that produced no diagnosis (e.g. a check that timed out as a whole).
    pub fn record_failure(
        &self,
        connector_id: &str,
        status: ConnectorStatus,
        message: &str,
    ) -> Result<(), Error> {
        self.store()
            .set_status(connector_id, status, Some(message), &now())?;
        Ok(())
    }

    /// An open MCP session with a stored connector, for listing and calling tools. A request it
    /// sends that the server refuses for lack of scope is recorded on the connector (its status,
    /// and the step-up need: see [`Patchbay::reauthentication`]).
    pub async fn session(&self, workspace: &str, name: &str) -> Result<Session, Error> {
        let (row, endpoint) = self.stored_endpoint(workspace, name)?;
        match Session::connect(&endpoint).await {
            Ok(session) => Ok(session.on_scope_refusal(self.scope_hook(&row.id, &endpoint))),
            Err(diagnosis) => {
                self.record(&row.id, &diagnosis)?;
                Err(Error::ConnectionFailed(Box::new(diagnosis)))
            }
        }
    }
}

fn validate_headers(headers: Vec<(String, Secret)>) -> Result<Vec<(String, Secret)>, Error> {
    let lines: Vec<String> = headers
        .iter()
        .map(|(name, value)| format!("{name}: {}", value.expose()))
        .collect();
    let parsed = validate::headers(&lines)?;
    drop(
        lines
            .into_iter()
            .map(zeroize::Zeroizing::new)
            .collect::<Vec<_>>(),
    );
    Ok(parsed)
}

fn ensure_unique(
    store: &Store,
    workspace: &Workspace,
    name: &str,
    except_id: Option<&str>,
) -> Result<(), Error> {
    match store.connector_by_name(&workspace.id, name)? {
        Some(existing) if Some(existing.id.as_str()) != except_id => Err(Error::Duplicate {
            what: "connector",
            name: name.to_owned(),
            place: format!(" in workspace {:?}", workspace.name),
        }),
        _ => Ok(()),
    }
}

fn view(store: &Store, workspace: &Workspace, row: ConnectorRow) -> Result<ConnectorView, Error> {
    let token_set = store
        .secret_fields(&row.id)?
        .iter()
        .any(|field| field == TOKEN_FIELD);
    Ok(ConnectorView {
        id: row.id,
        workspace: workspace.name.clone(),
        name: row.name,
        url: row.url,
        auth: row.auth,
        token_set,
        header_names: row.header_names,
        status: row.status,
        last_checked_at: row.last_checked_at,
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Creates the data directory readable by its owner only: it holds (encrypted) credentials.
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
