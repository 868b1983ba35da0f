//! The store side of OAuth token refresh: a connector's sealed grant, read back (newest first,
//! whichever process wrote it) and committed, so a rotated refresh token is durable before the
//! new access token is used, and the connector's refresh lock in the data directory, which
//! orders refreshes across the processes sharing the store. The store lock is held only for the
//! synchronous database work, inside [`super::blocking`] (a refresh runs on an async worker).

use std::sync::{Arc, Mutex, PoisonError};

use crate::oauth::Grant;
use crate::oauth::refresh::lease::RefreshLock;
use crate::oauth::refresh::{Committed, GrantVault, GrantVaultError};
use crate::store::{SecretField, SecretOwner, Store};
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

    fn commit(&self, previous: &Grant, grant: &Grant) -> Result<Committed, GrantVaultError> {
        let failed = |error: &dyn std::fmt::Display| GrantVaultError(error.to_string());
        super::blocking(|| {
            let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
            let owner = SecretOwner::Connector(&self.connector_id);
            let Some(stored) = store
                .secret(owner, &SecretField::OAuth)
                .map_err(|error| failed(&error))?
            else {
                // Forgotten (or the connector deleted) while renewing.
                return Ok(Committed::Superseded);
            };
            let current = self
                .vault
                .open(
                    &store,
                    &self.workspace_id,
                    owner,
                    &SecretField::OAuth,
                    &stored,
                )
                .map_err(|error| failed(&error))?;
            if current != previous.0 {
                return Ok(Committed::Superseded);
            }
            let ciphertext = self
                .vault
                .seal(
                    &store,
                    &self.workspace_id,
                    owner,
                    &SecretField::OAuth,
                    &grant.0,
                )
                .map_err(|error| failed(&error))?;
            // Replaced only if still the ciphertext compared above: another process's Forget or
            // sign-in in between wins.
            let replaced = store
                .replace_secret_if(owner, &SecretField::OAuth, &stored.ciphertext, &ciphertext)
                .map_err(|error| failed(&error))?;
            Ok(if replaced {
                Committed::Saved
            } else {
                Committed::Superseded
            })
        })
    }
}
