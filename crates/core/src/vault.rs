//! The key hierarchy: one master key in the OS keychain wraps one data key per workspace (kept in
//! SQLite), and each data key seals that workspace's secrets.
//!
//! Invariants:
//! - The master key is created only when nothing in the store depends on an earlier one. If the
//!   keychain entry disappears while wrapped keys exist, opening fails with
//!   [`VaultError::MasterKeyMissing`]; a fresh key is never made silently.
//! - A check value (a sealed constant in `meta`) proves the keychain holds the right key; a
//!   different key fails with [`VaultError::MasterKeyMismatch`].
//! - Keychain failures surface as [`VaultError::Keychain`] before anything is written.
//! - Deleting a workspace deletes its wrapped data key, so its ciphertexts become noise.

use std::sync::{Arc, Mutex, PoisonError};

use crate::crypto::{self, CryptoError, Key};
use crate::keychain::{Keychain, KeychainError};
use crate::secret::Secret;
use crate::store::{Binding, Sealed, SecretField, SecretOwner, Store, StoreError};

/// The keychain account holding the master key, under the app identifier's service.
const MASTER_ACCOUNT: &str = "master-key";
/// The `meta` row holding the sealed check value.
const KEY_CHECK: &str = "master_key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"patchbay master key check";

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(
        "the master key is missing from the OS keychain, but this data directory holds secrets \
         sealed with it. Restore the keychain entry (service {service:?}, account \
         \"master-key\") from a backup, or remove the data directory to start over; Patchbay \
         will not silently create a new key"
    )]
    MasterKeyMissing { service: String },
    #[error(
        "the master key in the OS keychain does not match this data directory (it was replaced \
         or belongs to another installation); restore the original keychain entry"
    )]
    MasterKeyMismatch,
    #[error("the keychain returned a malformed master key: {0}")]
    MalformedMasterKey(CryptoError),
    #[error("cannot decrypt {what}: {source}")]
    Decrypt { what: String, source: CryptoError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Vault {
    keychain: Arc<dyn Keychain>,
    service: String,
    master: Mutex<Option<Key>>,
}

impl Vault {
    pub fn new(keychain: Arc<dyn Keychain>, service: &str) -> Self {
        Self {
            keychain,
            service: service.to_owned(),
            master: Mutex::new(None),
        }
    }

    /// Loads (or, on a store with no secrets yet, creates) the master key.
    pub fn master_key(&self, store: &Store) -> Result<Key, VaultError> {
        let mut cached = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let check = store.meta(KEY_CHECK)?;
        let key = match self.keychain.get(MASTER_ACCOUNT)? {
            Some(bytes) => {
                let key = Key::from_bytes(&bytes).map_err(VaultError::MalformedMasterKey)?;
                match check {
                    Some(check) => {
                        let plain = key
                            .open(crypto::KEY_CHECK_AAD, &check)
                            .map_err(|_| VaultError::MasterKeyMismatch)?;
                        if plain.as_slice() != KEY_CHECK_PLAINTEXT {
                            return Err(VaultError::MasterKeyMismatch);
                        }
                    }
                    None if store.has_wrapped_keys()? => return Err(VaultError::MasterKeyMismatch),
                    None => store.set_meta(
                        KEY_CHECK,
                        &key.seal(crypto::KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT),
                    )?,
                }
                key
            }
            None => {
                if check.is_some() || store.has_wrapped_keys()? {
                    return Err(VaultError::MasterKeyMissing {
                        service: self.service.clone(),
                    });
                }
                let key = Key::generate();
                self.keychain.set(MASTER_ACCOUNT, key.as_bytes())?;
                // Read back: a keychain that accepts writes but forgets them must fail now, not
                // after secrets were sealed with a key nobody kept.
                let stored = self.keychain.get(MASTER_ACCOUNT)?;
                if stored.as_deref().map(Vec::as_slice) != Some(key.as_bytes().as_slice()) {
                    return Err(VaultError::Keychain(KeychainError::Other(
                        "the keychain did not keep the new master key".into(),
                    )));
                }
                store.set_meta(
                    KEY_CHECK,
                    &key.seal(crypto::KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT),
                )?;
                key
            }
        };
        *cached = Some(key.clone());
        Ok(key)
    }

    /// A fresh data key for a new workspace, wrapped by the master key.
    pub fn new_wrapped_key(
        &self,
        store: &Store,
        workspace_id: &str,
    ) -> Result<Vec<u8>, VaultError> {
        let master = self.master_key(store)?;
        let data_key = Key::generate();
        Ok(master.seal(
            &crypto::workspace_key_aad(workspace_id),
            data_key.as_bytes(),
        ))
    }

    /// The workspace's data key, creating it on first use.
    pub fn workspace_key(&self, store: &Store, workspace_id: &str) -> Result<Key, VaultError> {
        let master = self.master_key(store)?;
        let aad = crypto::workspace_key_aad(workspace_id);
        loop {
            if let Some(wrapped) = store.wrapped_key(workspace_id)? {
                let bytes = master
                    .open(&aad, &wrapped)
                    .map_err(|source| VaultError::Decrypt {
                        what: "the workspace key".into(),
                        source,
                    })?;
                return Key::from_bytes(&bytes).map_err(|source| VaultError::Decrypt {
                    what: "the workspace key".into(),
                    source,
                });
            }
            let wrapped = master.seal(&aad, Key::generate().as_bytes());
            // Another process may create it at the same moment; then we read theirs.
            store.set_wrapped_key_if_absent(workspace_id, &wrapped)?;
        }
    }

    /// Seals `secret` as `owner`'s `field` in `workspace_id` (always with the owner-kind AAD).
    pub fn seal(
        &self,
        store: &Store,
        workspace_id: &str,
        owner: SecretOwner<'_>,
        field: &SecretField,
        secret: &Secret,
    ) -> Result<Vec<u8>, VaultError> {
        let key = self.workspace_key(store, workspace_id)?;
        Ok(key.seal(
            &aad(workspace_id, owner, field, Binding::Owner),
            secret.expose().as_bytes(),
        ))
    }

    /// Opens a stored secret with the AAD layout it was sealed with.
    pub fn open(
        &self,
        store: &Store,
        workspace_id: &str,
        owner: SecretOwner<'_>,
        field: &SecretField,
        sealed: &Sealed,
    ) -> Result<Secret, VaultError> {
        let key = self.workspace_key(store, workspace_id)?;
        let decrypt_error = |source| VaultError::Decrypt {
            what: format!("the stored {}", field.as_stored()),
            source,
        };
        let plain = key
            .open(
                &aad(workspace_id, owner, field, sealed.binding),
                &sealed.ciphertext,
            )
            .map_err(decrypt_error)?;
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| decrypt_error(CryptoError::Authentication))?;
        Ok(Secret::new(text))
    }
}

fn aad(
    workspace_id: &str,
    owner: SecretOwner<'_>,
    field: &SecretField,
    binding: Binding,
) -> Vec<u8> {
    match (binding, owner) {
        (Binding::ConnectorOnly, SecretOwner::Connector(id)) => {
            crypto::connector_secret_aad(workspace_id, id, &field.as_stored())
        }
        // Only connectors had secrets before owners were general; a legacy binding on any
        // other owner is damage, and this AAD (which nothing was sealed with) makes it fail.
        (Binding::ConnectorOnly, other) => crypto::owned_secret_aad(
            workspace_id,
            "legacy-mismatch",
            other.id(),
            &field.as_stored(),
        ),
        (Binding::Owner, owner) => {
            crypto::owned_secret_aad(workspace_id, owner.kind(), owner.id(), &field.as_stored())
        }
    }
}
