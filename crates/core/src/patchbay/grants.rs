//! The store side of OAuth token refresh: a connector's sealed grant, read back (newest first,
//! whichever process wrote it) and committed, so a rotated refresh token is durable before the
//! new access token is used, and the connector's refresh lock in the data directory, which
//! orders refreshes across the processes sharing the store. The store lock is held only for the
//! synchronous database work, inside [`super::blocking`] (a refresh runs on an async worker).

use std::sync::{Arc, Mutex, PoisonError};

use crate::oauth::Grant;
use crate::oauth::refresh::lease::RefreshLock;
use crate::oauth::refresh::{GrantVault, GrantVaultError};
use crate::store::{SecretChange, SecretField, SecretOwner, Store};
use crate::vault::Vault;

pub(super) struct StoredGrant {
    pub(super) store: Arc<Mutex<Store>>,
    pub(super) vault: Arc<Vault>,
    pub(super) workspace_id: String,
    pub(super) connector_id: String,
    pub(super) lock: RefreshLock,
}

impl GrantVault for StoredGrant {
    fn load(&self) -> Result<Option<Grant>, GrantVaultError> {
        super::blocking(|| {
            let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
            let Some(blob) = store
                .secret(
                    SecretOwner::Connector(&self.connector_id),
                    &SecretField::OAuth,
                )
                .map_err(|error| GrantVaultError(error.to_string()))?
            else {
                return Ok(None);
            };
            self.vault
                .open(
                    &store,
                    &self.workspace_id,
                    SecretOwner::Connector(&self.connector_id),
                    &SecretField::OAuth,
                    &blob,
                )
                .map(|secret| Some(Grant(secret)))
                .map_err(|error| GrantVaultError(error.to_string()))
        })
    }

    fn refresh_lock(&self) -> Option<&RefreshLock> {
        Some(&self.lock)
    }

    fn commit(&self, grant: &Grant) -> Result<(), GrantVaultError> {
        super::blocking(|| {
            let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
            let ciphertext = self
                .vault
                .seal(
                    &store,
                    &self.workspace_id,
                    SecretOwner::Connector(&self.connector_id),
                    &SecretField::OAuth,
                    &grant.0,
                )
                .map_err(|error| GrantVaultError(error.to_string()))?;
            let Some(row) = store
                .connector_by_id(&self.connector_id)
                .map_err(|error| GrantVaultError(error.to_string()))?
            else {
                return Err(GrantVaultError("the connector was deleted".into()));
            };
            store
                .save_connector(
                    &row,
                    vec![SecretChange::Put {
                        field: SecretField::OAuth,
                        ciphertext,
                    }],
                )
                .map_err(|error| GrantVaultError(error.to_string()))
        })
    }
}
