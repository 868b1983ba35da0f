//! A stored connector's credentials: the endpoint with its decrypted token, headers and shared
//! OAuth token cell (see [`crate::oauth::refresh`]), the client registration kept with a grant,
//! what a front end may show of that client, and forgetting a sign-in. Plaintext secrets exist
//! only inside an [`Endpoint`] on its way to a request.

use std::sync::Arc;

use super::connectors::view;
use super::{ConnectorView, Patchbay, blocking, grants, now};
use crate::error::Error;
use crate::mcp::{Endpoint, OAuthCredentials};
use crate::network::{NetworkInput, Route};
use crate::oauth::refresh::GrantVault;
use crate::oauth::refresh::lease::RefreshLock;
use crate::oauth::{Grant, OAuthClientView, Registration};
use crate::secret::Secret;
use crate::store::{
    ConnectorRow, ConnectorStatus, SecretChange, SecretField, SecretOwner, StepUp, Store,
};
use crate::validate;
use url::Url;

impl Patchbay {
    /// The URL and decrypted credentials of a stored connector.
    pub(super) fn endpoint(&self, store: &Store, row: &ConnectorRow) -> Result<Endpoint, Error> {
        let mut endpoint = Endpoint::new(self.connector_url(store, row)?);
        endpoint.timeouts = row.network.timeouts(self.timeouts());
        endpoint.route = self.route(store, row)?;
        endpoint.bearer = self.unsealed(store, row, &SecretField::Token)?;
        if let Some(grant) = self.unsealed(store, row, &SecretField::OAuth)? {
            let cell = self
                .tokens
                .cell(&row.id, Grant(grant), || self.stored_grant(row));
            endpoint.oauth = Some(OAuthCredentials::shared(cell));
        } else if row.auth == crate::store::AuthKind::OAuth {
            endpoint.signed_out = true;
        }
        endpoint.headers = self.headers(store, row)?;
        endpoint.cache_partition = Some(row.id.clone());
        endpoint.elicitation = self.input.clone().map(|inner| {
            Arc::new(crate::mcp::elicitation::ForConnector {
                connector: row.name.clone(),
                inner,
            }) as Arc<dyn crate::mcp::elicitation::Responder>
        });
        Ok(endpoint)
    }

    /// How a stored connector's requests go out: its own proxy and CA, else the app's.
    pub(super) fn route(&self, store: &Store, row: &ConnectorRow) -> Result<Route, Error> {
        Ok(Route {
            settings: row.network.clone(),
            proxy_credentials: self.unsealed(store, row, &SecretField::ProxyAuth)?,
            app: self.app_route(store)?,
        })
    }

    /// How the requests of a connector being added will go out (its sign-in's among them).
    pub(super) fn new_route(&self, network: &NetworkInput) -> Result<Route, Error> {
        let app = blocking(|| self.app_route(&self.store()))?;
        Ok(Route {
            settings: network.settings.clone(),
            proxy_credentials: network.proxy_credentials.clone(),
            app,
        })
    }

    /// How the stored connector `name`'s requests go out.
    pub(super) fn route_of(&self, workspace: &str, name: &str) -> Result<Route, Error> {
        let (_, row) = self.located(workspace, name)?;
        blocking(|| self.route(&self.store(), &row))
    }

    /// The URL a stored connector connects to: the sealed one when its query carries a
    /// credential (the row holds it masked), else the row's.
    pub(super) fn connector_url(&self, store: &Store, row: &ConnectorRow) -> Result<Url, Error> {
        match self.unsealed(store, row, &SecretField::Url)? {
            Some(sealed) => Ok(validate::url(sealed.expose())?),
            None => Ok(validate::url(&row.url)?),
        }
    }

    /// The decrypted custom headers of a stored connector.
    pub(super) fn headers(
        &self,
        store: &Store,
        row: &ConnectorRow,
    ) -> Result<Vec<(String, Secret)>, Error> {
        let mut headers = Vec::with_capacity(row.header_names.len());
        for name in &row.header_names {
            if let Some(value) = self.unsealed(store, row, &SecretField::Header(name.clone()))? {
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
        blocking(|| {
            let (_, row) = self.located(workspace, name)?;
            let Some(grant) = self.readable_grant(&self.store(), &row)? else {
                return Ok(None);
            };
            Ok(grant.registration().unwrap_or_else(|error| {
                tracing::warn!(%error, "the stored client registration is unreadable; registering afresh");
                None
            }))
        })
    }

    /// Forgets a connector's OAuth credentials and client registration (both live in the one
    /// sealed grant); the next sign-in starts from discovery and registration again.
    pub fn forget_credentials(&self, workspace: &str, name: &str) -> Result<ConnectorView, Error> {
        blocking(|| {
            let mut store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            let updated =
                Self::rewrite_connector(&mut store, &workspace, &row.id, name, |_, current| {
                    let updated = ConnectorRow {
                        status: ConnectorStatus::NeedsAuth,
                        updated_at: now(),
                        ..current
                    };
                    let forget = SecretChange::Delete {
                        field: SecretField::OAuth,
                    };
                    Ok((updated, vec![forget]))
                })?;
            // The next sign-in starts afresh, scope selection included.
            store.set_step_up(&updated.id, &StepUp::default())?;
            view(&store, &workspace, updated)
        })
    }

    /// The OAuth client a connector's grant was obtained with — for a machine connector, its
    /// client-credentials client. `None` when the connector has no grant, or one stored before
    /// registrations were kept or unreadable (see [`Patchbay::stored_registration`]).
    pub fn oauth_client(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<OAuthClientView>, Error> {
        Ok(self
            .stored_registration(workspace, name)?
            .map(|registration| registration.view()))
    }

    /// Seals `secret` as connector `connector_id`'s `field`, ready to save with its row.
    pub(super) fn seal(
        &self,
        store: &Store,
        workspace_id: &str,
        connector_id: &str,
        field: SecretField,
        secret: &Secret,
    ) -> Result<SecretChange, Error> {
        let ciphertext = self.vault.seal(
            store,
            workspace_id,
            SecretOwner::Connector(connector_id),
            &field,
            secret,
        )?;
        Ok(SecretChange::Put { field, ciphertext })
    }

    /// Opens connector `row`'s `field`, if it has one.
    pub(super) fn unsealed(
        &self,
        store: &Store,
        row: &ConnectorRow,
        field: &SecretField,
    ) -> Result<Option<Secret>, Error> {
        let owner = SecretOwner::Connector(&row.id);
        let Some(sealed) = store.secret(owner, field)? else {
            return Ok(None);
        };
        Ok(Some(self.vault.open(
            store,
            &row.workspace_id,
            owner,
            field,
            &sealed,
        )?))
    }
}
