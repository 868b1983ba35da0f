//! Connectors: what a person adds, lists, edits and removes. Input is validated first, the
//! connection is tested next (unless skipped), and secrets are sealed and the row written last,
//! in one transaction, so a failure at any step leaves nothing behind. Views never hold a secret.

use crate::network::{Change, ConnectorNetwork, NetworkEdit, NetworkInput, ProxySetting, Route};
use serde::Serialize;

use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::mcp::{self, Diagnosis, Endpoint, OAuthCredentials};
use crate::oauth::Grant;
use crate::oauth::refresh::lease::RefreshLock;
use crate::oauth::step_up::Verdict;
use crate::secret::Secret;
use crate::store::{
    AuthKind, CheckEntry, CheckRow, ConnectorRow, ConnectorStatus, RowExtras, SecretChange,
    SecretField, SecretOwner, StepUp, Store, StoreError, Workspace,
};
use crate::url_secrets;
use crate::validate::{self, InvalidInput};

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
    /// Paused: not checked, not offered to steps, until resumed.
    pub paused: bool,
    /// Its status changes are not announced by a desktop notification.
    pub muted: bool,
    /// How many tools the server listed at its last check that listed them.
    pub tool_count: Option<u32>,
    /// The last few checks, newest first (the whole history: [`Patchbay::check_history`]).
    pub recent: Vec<CheckView>,
    /// Its own timeouts (absent: the app's).
    pub network: ConnectorNetwork,
}

/// How many checks a connector's view carries, for a glance at its history.
pub const RECENT_CHECKS: usize = 12;

/// One recorded check of a connector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckView {
    pub checked_at: String,
    pub status: ConnectorStatus,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub latency_ms: Option<u64>,
    pub tool_count: Option<u32>,
    /// What went wrong (never a secret: URL credentials are masked), `None` when it passed.
    pub detail: Option<String>,
}

impl From<CheckRow> for CheckView {
    fn from(row: CheckRow) -> Self {
        Self {
            checked_at: row.checked_at,
            status: row.status,
            latency_ms: row.latency_ms,
            tool_count: row.tool_count,
            detail: row.detail,
        }
    }
}

/// The history entry of a check made while saving a connector.
fn history_entry<'a>(
    diagnosis: &Diagnosis,
    error: Option<&'a str>,
    checked_at: &'a str,
) -> CheckEntry<'a> {
    CheckEntry {
        status: diagnosis.status(),
        error,
        checked_at,
        latency_ms: Some(diagnosis.latency_ms),
        tool_count: diagnosis.tool_count,
    }
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
    /// Its own timeouts, proxy and CA; the default is the app's.
    pub network: NetworkInput,
}

/// Changes to an existing connector; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ConnectorEdit {
    pub name: Option<String>,
    pub url: Option<String>,
    pub token: Option<Secret>,
    pub headers: Option<Vec<(String, Secret)>>,
    /// A new auth type: `None` (the stored credentials are deleted once the edit is saved) or
    /// `Token` (with `token`). Switching to OAuth is a sign-in, not an edit.
    pub auth: Option<AuthKind>,
    /// Changes to its own timeouts, proxy and CA.
    pub network: NetworkEdit,
    /// Moves a credential out of the URL's query into a sealed header: `(parameter, header)`
    /// (for a server that accepts either; the URL then carries no secret).
    pub query_to_header: Option<(String, String)>,
}

/// A connector that was saved, and the test that allowed it (absent with `--skip-test`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Saved {
    pub connector: ConnectorView,
    pub diagnosis: Option<Diagnosis>,
}

impl Patchbay {
    pub fn list_connectors(&self, workspace: &str) -> Result<Vec<ConnectorView>, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let mut extras = store.row_extras(&workspace.id, RECENT_CHECKS)?;
            Ok(store
                .connectors(&workspace.id)?
                .into_iter()
                .map(|row| {
                    let extra = extras.remove(&row.id).unwrap_or_default();
                    view_with(&workspace, row, extra)
                })
                .collect())
        })
    }

    pub fn connector(&self, workspace: &str, name: &str) -> Result<ConnectorView, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            view(&store, &workspace, row)
        })
    }

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
        let NetworkInput {
            settings,
            proxy_credentials,
        } = spec.network;
        let mut network = settings.validated()?;
        let proxy_credentials = proxy_credentials.filter(|credentials| {
            matches!(network.proxy, Some(ProxySetting::Explicit { .. }))
                && !credentials.expose().is_empty()
        });
        network.proxy_credentials_set = proxy_credentials.is_some();
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
        let (workspace, app_route) = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            ensure_unique(&store, &workspace, &name, None)?;
            // Touch the keychain before the network: a locked keychain should fail fast.
            if token.is_some()
                || !headers.is_empty()
                || pending.is_some()
                || proxy_credentials.is_some()
            {
                self.vault.workspace_key(&store, &workspace.id)?;
            }
            let app_route = self.app_route(&store)?;
            Ok((workspace, app_route))
        })?;
        let mut endpoint = Endpoint::new(url.clone());
        endpoint.timeouts = network.timeouts(self.timeouts());
        endpoint.route = Route {
            settings: network.clone(),
            proxy_credentials: proxy_credentials.clone(),
            app: app_route,
        };
        endpoint.bearer = token.clone();
        endpoint.headers = headers.clone();
        endpoint.oauth = pending.clone();
        // A sign-in that worked is kept even when the server then refuses to list tools for lack
        // of scope: the connector is saved as needing authentication with the scope recorded,
        // so Re-authenticate (`connector login`) asks for it, instead of a dead end with
        // nothing saved to re-authenticate.
        let mut step_up = None;
        let diagnosis = match (&pending, test) {
            (_, false) => None,
            (Some(pending), true) => {
                let (mut diagnosis, refusal) = mcp::diagnose_detailed(&endpoint).await;
                match refusal {
                    Some(required) if !diagnosis.ok => {
                        let verdict =
                            Verdict::judge(required.as_deref(), Some(&pending.grant()), None);
                        diagnosis.scope_refused(&verdict);
                        step_up = Some(verdict);
                    }
                    _ if diagnosis.ok => {}
                    _ => return Err(Error::ConnectionFailed(Box::new(diagnosis))),
                }
                Some(diagnosis)
            }
            (None, true) => Some(self.checked(&endpoint).await?),
        };

        blocking(|| {
            let mut store = self.store();
            // Re-check: another process may have taken the name while we were testing.
            ensure_unique(&store, &workspace, &name, None)?;
            let id = uuid::Uuid::new_v4().to_string();
            let timestamp = now();
            let mut secrets = Vec::new();
            if let Some(token) = &token {
                secrets.push(self.seal(&store, &workspace.id, &id, SecretField::Token, token)?);
            }
            secrets.extend(self.sealed_headers(&store, &workspace.id, &id, &[], &headers)?);
            if url_secrets::has_secrets(&url) {
                secrets.push(self.sealed_url(&store, &workspace.id, &id, &url)?);
            }
            if let Some(credentials) = &proxy_credentials {
                secrets.push(self.seal(
                    &store,
                    &workspace.id,
                    &id,
                    SecretField::ProxyAuth,
                    credentials,
                )?);
            }
            if let Some(pending) = &pending {
                let grant = pending.grant();
                secrets.push(self.seal(
                    &store,
                    &workspace.id,
                    &id,
                    SecretField::OAuth,
                    &grant.0,
                )?);
            }
            let row = ConnectorRow {
                id,
                workspace_id: workspace.id.clone(),
                name,
                url: url_secrets::masked(&url),
                auth: spec.auth,
                header_names: headers.iter().map(|(name, _)| name.clone()).collect(),
                status: diagnosis
                    .as_ref()
                    .map_or(ConnectorStatus::Unknown, Diagnosis::status),
                last_checked_at: diagnosis.as_ref().map(|_| timestamp.clone()),
                last_error: step_up.as_ref().map(Verdict::message),
                created_at: timestamp.clone(),
                updated_at: timestamp.clone(),
                revision: 0,
                paused: false,
                muted: false,
                network,
            };
            store.insert_connector(&row, secrets)?;
            if let Some(diagnosis) = &diagnosis {
                store.set_status(
                    &row.id,
                    0,
                    &history_entry(diagnosis, row.last_error.as_deref(), &timestamp),
                )?;
            }
            if let Some(Verdict::SignInAgain { required }) = &step_up {
                store.set_step_up(
                    &row.id,
                    &StepUp {
                        needed: Some(required.clone()),
                        refused: None,
                    },
                )?;
            }
            let connector = view(&store, &workspace, row)?;
            Ok(Saved {
                connector,
                diagnosis,
            })
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
        let network_edit = edit.network;
        if let Some(token) = &edit.token {
            validate::token(token)?;
        }
        let (workspace, row, mut endpoint) = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            if let Some(new_name) = &new_name {
                ensure_unique(&store, &workspace, new_name, Some(&row.id))?;
            }
            let auth = edit.auth.unwrap_or(row.auth);
            if auth == AuthKind::OAuth && row.auth != AuthKind::OAuth {
                return Err(InvalidInput::Other(format!(
                    "switching {:?} to OAuth needs a browser sign-in; add the server again as an \
                     OAuth connector (then remove this one)",
                    row.name
                ))
                .into());
            }
            if auth == AuthKind::Token && row.auth != AuthKind::Token && edit.token.is_none() {
                return Err(InvalidInput::Other(format!(
                    "switching {:?} to a token needs the token",
                    row.name
                ))
                .into());
            }
            if edit.token.is_some() && auth != AuthKind::Token {
                return Err(InvalidInput::Other(format!(
                    "{:?} uses auth type {:?}; a token applies only to token connectors",
                    row.name,
                    row.auth.as_str()
                ))
                .into());
            }
            let endpoint = self.endpoint(&store, &row)?;
            Ok((workspace, row, endpoint))
        })?;
        // A URL edited from the masked one keeps the stored credentials still shown masked.
        let new_url = match new_url {
            Some(url) => Some(url_secrets::unmask(&url, &endpoint.url).map_err(|name| {
                InvalidInput::Other(format!(
                    "the URL's {name:?} is masked ({}); enter its value",
                    url_secrets::MASK
                ))
            })?),
            None => None,
        };
        let mut new_headers = new_headers;
        let new_url = match &edit.query_to_header {
            None => new_url,
            Some((parameter, header)) => {
                let from = new_url.clone().unwrap_or_else(|| endpoint.url.clone());
                let (url, value) =
                    url_secrets::take_parameter(&from, parameter).ok_or_else(|| {
                        InvalidInput::Other(format!("the URL has no query parameter {parameter:?}"))
                    })?;
                let moved = validate_headers(vec![(header.clone(), value)])?;
                let mut headers = new_headers.unwrap_or_else(|| endpoint.headers.clone());
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case(header));
                headers.extend(moved);
                new_headers = Some(headers);
                Some(url)
            }
        };
        if let Some(url) = &new_url {
            endpoint.url = url.clone();
        }
        if let Some(token) = &edit.token {
            endpoint.bearer = Some(Secret::new(token.expose().trim()));
        }
        // A new auth type is tested without the old type's credentials.
        let new_auth = edit.auth.filter(|auth| *auth != row.auth);
        if new_auth.is_some() {
            if new_auth != Some(AuthKind::Token) {
                endpoint.bearer = None;
            }
            endpoint.oauth = None;
        }
        if let Some(headers) = &new_headers {
            endpoint.headers = headers.clone();
        }
        let (settings, proxy_credentials) = network_edit.apply(&row.network);
        let new_network = settings.validated()?;
        endpoint.timeouts = new_network.timeouts(self.timeouts());
        endpoint.route.settings = new_network.clone();
        match &proxy_credentials {
            Change::Set(credentials) => {
                endpoint.route.proxy_credentials = Some(credentials.clone())
            }
            Change::Default => endpoint.route.proxy_credentials = None,
            Change::Keep => {}
        }
        let diagnosis = if test {
            Some(self.checked(&endpoint).await?)
        } else {
            None
        };

        blocking(|| {
            let mut store = self.store();
            if let Some(new_name) = &new_name {
                ensure_unique(&store, &workspace, new_name, Some(&row.id))?;
            }
            let mut secrets = Vec::new();
            if let Some(token) = &endpoint.bearer
                && edit.token.is_some()
            {
                secrets.push(self.seal(
                    &store,
                    &workspace.id,
                    &row.id,
                    SecretField::Token,
                    token,
                )?);
            }
            if new_url.is_some() {
                secrets.push(self.sealed_url(&store, &workspace.id, &row.id, &endpoint.url)?);
            }
            match &proxy_credentials {
                Change::Set(credentials) => secrets.push(self.seal(
                    &store,
                    &workspace.id,
                    &row.id,
                    SecretField::ProxyAuth,
                    credentials,
                )?),
                Change::Default if row.network.proxy_credentials_set => {
                    secrets.push(SecretChange::Delete {
                        field: SecretField::ProxyAuth,
                    });
                }
                _ => {}
            }
            if new_auth.is_some() {
                if row.auth == AuthKind::Token {
                    secrets.push(SecretChange::Delete {
                        field: SecretField::Token,
                    });
                }
                if row.auth == AuthKind::OAuth {
                    secrets.push(SecretChange::Delete {
                        field: SecretField::OAuth,
                    });
                }
            }
            if new_headers.is_some() {
                secrets.extend(self.sealed_headers(
                    &store,
                    &workspace.id,
                    &row.id,
                    &row.header_names,
                    &endpoint.headers,
                )?);
            }
            let timestamp = now();
            let previous_auth = row.auth;
            let updated = ConnectorRow {
                name: new_name.unwrap_or(row.name.clone()),
                auth: new_auth.unwrap_or(row.auth),
                url: match &new_url {
                    Some(url) => url_secrets::masked(url),
                    None => row.url.clone(),
                },
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
                network: new_network,
                ..row
            };
            // Only over the row this edit was tested with: a rename, URL or header change made
            // elsewhere during the test is not reverted (nor its header secrets orphaned).
            let revision = match store.save_connector(&updated, secrets) {
                Err(StoreError::Changed) => {
                    return Err(Error::Changed {
                        what: "connector",
                        name: name.to_owned(),
                    });
                }
                saved => saved?,
            };
            if new_auth.is_some() && previous_auth == AuthKind::OAuth {
                self.tokens.forget(&updated.id);
            }
            if let Some(diagnosis) = &diagnosis {
                store.set_status(
                    &updated.id,
                    revision,
                    &history_entry(
                        diagnosis,
                        updated.last_error.as_deref(),
                        &updated.updated_at,
                    ),
                )?;
            }
            let connector = view(
                &store,
                &workspace,
                ConnectorRow {
                    revision,
                    ..updated
                },
            )?;
            Ok(Saved {
                connector,
                diagnosis,
            })
        })
    }

    pub fn remove_connector(&self, workspace: &str, name: &str) -> Result<(), Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            store.delete_connector(&row.id)?;
            self.tokens.forget(&row.id);
            RefreshLock::for_connector(&self.data_dir, &row.id).remove();
            Ok(())
        })
    }
    /// Refuses `name` when the workspace has a connector by that name already (checked again
    /// when saving: another process may take it meanwhile). A front end's early check, so a
    /// person does not sign in only to learn the name is taken.
    pub(super) fn ensure_name_free(&self, workspace: &str, name: &str) -> Result<(), Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            ensure_unique(&store, &workspace, name.trim(), None)
        })
    }

    /// The secret change for a connector's URL: sealed whole when its query carries a credential
    /// (the row keeps it masked), else none kept.
    fn sealed_url(
        &self,
        store: &Store,
        workspace_id: &str,
        connector_id: &str,
        url: &url::Url,
    ) -> Result<SecretChange, Error> {
        if !url_secrets::has_secrets(url) {
            return Ok(SecretChange::Delete {
                field: SecretField::Url,
            });
        }
        let whole = Secret::new(url.as_str());
        self.seal(store, workspace_id, connector_id, SecretField::Url, &whole)
    }

    /// The secret changes that replace a connector's headers `old` with `new`.
    fn sealed_headers(
        &self,
        store: &Store,
        workspace_id: &str,
        connector_id: &str,
        old: &[String],
        new: &[(String, Secret)],
    ) -> Result<Vec<SecretChange>, Error> {
        let mut changes: Vec<SecretChange> = old
            .iter()
            .map(|name| SecretChange::Delete {
                field: SecretField::Header(name.clone()),
            })
            .collect();
        for (name, value) in new {
            let field = SecretField::Header(name.clone());
            changes.push(self.seal(store, workspace_id, connector_id, field, value)?);
        }
        Ok(changes)
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

pub(super) fn ensure_unique(
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

pub(super) fn view(
    store: &Store,
    workspace: &Workspace,
    row: ConnectorRow,
) -> Result<ConnectorView, Error> {
    let extras = RowExtras {
        token_set: store
            .secret_fields(SecretOwner::Connector(&row.id))?
            .contains(&SecretField::Token),
        tool_count: store.last_tool_count(&row.id)?,
        recent: store.check_history(&row.id, RECENT_CHECKS)?,
    };
    Ok(view_with(workspace, row, extras))
}

/// A connector's view from its row and what the store keeps beside it.
fn view_with(workspace: &Workspace, row: ConnectorRow, extras: RowExtras) -> ConnectorView {
    let RowExtras {
        token_set,
        tool_count,
        recent,
    } = extras;
    let recent = recent.into_iter().map(CheckView::from).collect();
    ConnectorView {
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
        paused: row.paused,
        muted: row.muted,
        tool_count,
        recent,
        network: row.network,
    }
}
