//! The store side of OAuth token refresh: a connector's sealed grant, read back (newest first,
//! whichever process wrote it) and committed, so a rotated refresh token is durable before the
//! new access token is used, and the connector's refresh lock in the data directory, which
//! orders refreshes across the processes sharing the store. The store lock is held only for the
//! synchronous database work.

use std::sync::{Arc, Mutex, PoisonError};

use super::OAUTH_FIELD;
use crate::oauth::Grant;
use crate::oauth::refresh::GrantVault;
use crate::oauth::refresh::lease::RefreshLock;
use crate::store::{SecretChange, Store};
use crate::vault::Vault;

pub(super) struct StoredGrant {
    pub(super) store: Arc<Mutex<Store>>,
    pub(super) vault: Arc<Vault>,
    pub(super) workspace_id: String,
    pub(super) connector_id: String,
    pub(super) lock: RefreshLock,
}

impl GrantVault for StoredGrant {
    fn load(&self) -> Result<Option<Grant>, String> {
        let store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(blob) = store
            .secret(&self.connector_id, OAUTH_FIELD)
            .map_err(|error| error.to_string())?
        else {
            return Ok(None);
        };
        self.vault
            .open(
                &store,
                &self.workspace_id,
                &self.connector_id,
                OAUTH_FIELD,
                &blob,
            )
            .map(|secret| Some(Grant(secret)))
            .map_err(|error| error.to_string())
    }

    fn refresh_lock(&self) -> Option<&RefreshLock> {
        Some(&self.lock)
    }

    fn commit(&self, grant: &Grant) -> Result<(), String> {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let ciphertext = self
            .vault
            .seal(
                &store,
                &self.workspace_id,
                &self.connector_id,
                OAUTH_FIELD,
                &grant.0,
            )
            .map_err(|error| error.to_string())?;
        let Some(row) = store
            .connector_by_id(&self.connector_id)
            .map_err(|error| error.to_string())?
        else {
            return Err("the connector was deleted".into());
        };
        store
            .save_connector(
                &row,
                vec![SecretChange::Put {
                    field: OAUTH_FIELD.into(),
                    ciphertext,
                }],
            )
            .map_err(|error| error.to_string())
    }
}
