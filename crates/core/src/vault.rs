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
//! - A data key seals at most [`NONCE_BUDGET`] ciphertexts (random 96-bit nonces, NIST SP
//!   800-38D §8.3; counted by [`crate::store::key_usage`]). The seal that would pass it first
//!   rotates the key: a new data key, every ciphertext of the workspace opened and sealed again
//!   with it, in one transaction, so a crash leaves either the old key and ciphertexts or the new
//!   ones. The old key stays as the previous key, which [`Vault::open`] tries second, so a
//!   ciphertext another process sealed before the rotation and stored after it still opens.

use std::sync::{Arc, Mutex, PoisonError};

use crate::crypto::{self, CryptoError, Key};
use crate::keychain::{Keychain, KeychainError};
use crate::secret::Secret;
use crate::store::{Binding, Sealed, SecretField, SecretOwner, Store, StoreError, key_usage};

/// The keychain account holding the master key, under the app identifier's service.
const MASTER_ACCOUNT: &str = "master-key";
/// The `meta` row holding the sealed check value.
const KEY_CHECK: &str = "master_key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"patchbay master key check";

/// Seals per data key before it is rotated: 2^32, NIST SP 800-38D §8.3's limit for random
/// 96-bit nonces. `PATCHBAY_NONCE_BUDGET` may lower it (tests exercise rotations with it); it
/// cannot raise it.
pub const NONCE_BUDGET: u64 = 1 << 32;

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
    budget: u64,
}

impl Vault {
    pub fn new(keychain: Arc<dyn Keychain>, service: &str) -> Self {
        let budget = std::env::var("PATCHBAY_NONCE_BUDGET")
            .ok()
            .and_then(|value| value.parse::<u64>().ok())
            .map_or(NONCE_BUDGET, |budget| budget.clamp(1, NONCE_BUDGET));
        Self {
            keychain,
            service: service.to_owned(),
            master: Mutex::new(None),
            budget,
        }
    }

    /// This vault with a smaller seal budget per data key (tests).
    pub fn with_nonce_budget(mut self, budget: u64) -> Self {
        self.budget = budget.clamp(1, NONCE_BUDGET);
        self
    }

    /// Loads (or, on a store with no secrets yet, creates) the master key.
    pub fn master_key(&self, store: &Store) -> Result<Key, VaultError> {
        let mut cached = self.master.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let key = match self.keychain.get(MASTER_ACCOUNT)? {
            Some(bytes) => self.verified(store, &bytes)?,
            // Made under the database's write lock, and only if no other process made one in the
            // meantime: two first writers (the app and the CLI) must not each make a key, or the
            // secrets sealed with the one the keychain forgets become noise after a restart.
            None => store.exclusively(|| match self.keychain.get(MASTER_ACCOUNT)? {
                Some(bytes) => self.verified(store, &bytes),
                None => self.created(store),
            })?,
        };
        *cached = Some(key.clone());
        Ok(key)
    }

    /// The keychain's key, checked against the store's check value (written if absent).
    fn verified(&self, store: &Store, bytes: &[u8]) -> Result<Key, VaultError> {
        let key = Key::from_bytes(bytes).map_err(VaultError::MalformedMasterKey)?;
        match store.meta(KEY_CHECK)? {
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
        Ok(key)
    }

    /// A new master key, on a store that nothing sealed yet.
    fn created(&self, store: &Store) -> Result<Key, VaultError> {
        if store.meta(KEY_CHECK)?.is_some() || store.has_wrapped_keys()? {
            return Err(VaultError::MasterKeyMissing {
                service: self.service.clone(),
            });
        }
        let key = Key::generate();
        self.keychain.set(MASTER_ACCOUNT, key.as_bytes())?;
        // Read back: a keychain that accepts writes but forgets them must fail now, not after
        // secrets were sealed with a key nobody kept.
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

    /// The data key the workspace's current one replaced, if it was ever rotated.
    fn previous_key(&self, store: &Store, workspace_id: &str) -> Result<Option<Key>, VaultError> {
        let Some(wrapped) = store.previous_wrapped_key(workspace_id)? else {
            return Ok(None);
        };
        let master = self.master_key(store)?;
        let damaged = |source| VaultError::Decrypt {
            what: "the previous workspace key".into(),
            source,
        };
        let bytes = master
            .open(&crypto::workspace_key_aad(workspace_id), &wrapped)
            .map_err(damaged)?;
        Ok(Some(Key::from_bytes(&bytes).map_err(damaged)?))
    }

    /// Rotates the workspace's data key when it has sealed its budget (see the module's
    /// invariants). Under the database's write lock, in one transaction; another process that
    /// rotated meanwhile is noticed by the count it reset. A ciphertext that opens with neither
    /// key is left as it is (it was damaged before; its owner reports it).
    fn rotate_if_due(&self, store: &Store, workspace_id: &str) -> Result<(), VaultError> {
        if store.sealed_count(workspace_id)? < self.budget {
            return Ok(());
        }
        let master = self.master_key(store)?;
        store.exclusively(|| -> Result<(), VaultError> {
            if store.sealed_count(workspace_id)? < self.budget {
                return Ok(());
            }
            let Some(current_wrapped) = store.wrapped_key(workspace_id)? else {
                return Ok(());
            };
            let current = self.workspace_key(store, workspace_id)?;
            let previous = self.previous_key(store, workspace_id)?;
            let new = Key::generate();
            let mut resealed = 0;
            for stored in store.workspace_ciphertexts(workspace_id)? {
                let (Some(owner), Some(field)) = (
                    key_usage::owner(&stored.owner_kind, &stored.owner_id),
                    key_usage::field(&stored),
                ) else {
                    continue;
                };
                let old_aad = aad(workspace_id, owner, &field, stored.sealed.binding);
                let plain = current
                    .open(&old_aad, &stored.sealed.ciphertext)
                    .or_else(|error| match &previous {
                        Some(previous) => previous.open(&old_aad, &stored.sealed.ciphertext),
                        None => Err(error),
                    });
                let Ok(plain) = plain else {
                    tracing::warn!(
                        owner = stored.owner_kind,
                        "a damaged ciphertext is left as it is by the key rotation"
                    );
                    continue;
                };
                let sealed = new.seal(&aad(workspace_id, owner, &field, Binding::Owner), &plain);
                store.rewrite_ciphertext(&stored, &sealed)?;
                resealed += 1;
            }
            let wrapped = master.seal(&crypto::workspace_key_aad(workspace_id), new.as_bytes());
            store.set_rotated_key(workspace_id, &wrapped, Some(&current_wrapped), resealed)?;
            tracing::info!(resealed, "rotated a workspace key at its nonce budget");
            Ok(())
        })
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
        self.rotate_if_due(store, workspace_id)?;
        let key = self.workspace_key(store, workspace_id)?;
        Ok(key.seal(
            &aad(workspace_id, owner, field, Binding::Owner),
            secret.expose().as_bytes(),
        ))
    }

    /// Seals an app-wide secret (not a workspace's: the app's proxy credentials) with the master
    /// key, bound to its name.
    pub fn seal_app_secret(
        &self,
        store: &Store,
        name: &str,
        secret: &Secret,
    ) -> Result<Vec<u8>, VaultError> {
        let master = self.master_key(store)?;
        Ok(master.seal(&app_secret_aad(name), secret.expose().as_bytes()))
    }

    /// Opens an app-wide secret sealed by [`Vault::seal_app_secret`].
    pub fn open_app_secret(
        &self,
        store: &Store,
        name: &str,
        sealed: &[u8],
    ) -> Result<Secret, VaultError> {
        let master = self.master_key(store)?;
        let decrypt_error = |source| VaultError::Decrypt {
            what: format!("the app's {name}"),
            source,
        };
        let plain = master
            .open(&app_secret_aad(name), sealed)
            .map_err(decrypt_error)?;
        let text = String::from_utf8(plain.to_vec()).map_err(|_| VaultError::Decrypt {
            what: format!("the app's {name}"),
            source: crypto::CryptoError::Authentication,
        })?;
        Ok(Secret::new(text))
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
        let aad = aad(workspace_id, owner, field, sealed.binding);
        let plain = match key.open(&aad, &sealed.ciphertext) {
            Ok(plain) => plain,
            // Sealed by another process just before a rotation, stored just after it.
            Err(error) => match self.previous_key(store, workspace_id)? {
                Some(previous) => previous
                    .open(&aad, &sealed.ciphertext)
                    .map_err(|_| decrypt_error(error))?,
                None => return Err(decrypt_error(error)),
            },
        };
        let text = String::from_utf8(plain.to_vec())
            .map_err(|_| decrypt_error(CryptoError::Authentication))?;
        Ok(Secret::new(text))
    }
}

/// The associated data of an app-wide secret: a domain no workspace secret's AAD starts with.
fn app_secret_aad(name: &str) -> Vec<u8> {
    format!("patchbay app secret\0{name}").into_bytes()
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zeroize::Zeroizing;

    use super::*;
    use crate::keychain::MemoryKeychain;

    /// A keychain as slow as a real Secret Service, so two first writers overlap.
    struct Slow(Arc<MemoryKeychain>);

    impl Keychain for Slow {
        fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError> {
            std::thread::sleep(Duration::from_millis(30));
            self.0.get(account)
        }
        fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
            std::thread::sleep(Duration::from_millis(30));
            self.0.set(account, secret)
        }
        fn delete(&self, account: &str) -> Result<(), KeychainError> {
            self.0.delete(account)
        }
    }

    /// Before, both saw no key, each made one, and the keychain kept the last: the other
    /// process sealed secrets with a key that was gone after a restart.
    #[test]
    fn two_first_writers_at_once_end_up_with_one_master_key() -> Result<(), VaultError> {
        for _ in 0..5 {
            let dir = tempfile::tempdir().map_err(StoreError::Io)?;
            let path = dir.path().join("patchbay.db");
            drop(Store::open(&path, "2026-01-01T00:00:00Z")?);
            let keychain: Arc<dyn Keychain> = Arc::new(Slow(MemoryKeychain::new()));
            let keys: Vec<Result<Vec<u8>, String>> = std::thread::scope(|scope| {
                let writers: Vec<_> = (0..2)
                    .map(|_| {
                        let keychain = keychain.clone();
                        let path = path.clone();
                        scope.spawn(move || {
                            let store = Store::open(&path, "2026-01-01T00:00:00Z")
                                .map_err(|error| error.to_string())?;
                            Vault::new(keychain, "test")
                                .master_key(&store)
                                .map(|key| key.as_bytes().to_vec())
                                .map_err(|error| error.to_string())
                        })
                    })
                    .collect();
                writers
                    .into_iter()
                    .map(|writer| writer.join().unwrap_or_else(|_| Err("panicked".into())))
                    .collect()
            });
            let kept = keychain.get(MASTER_ACCOUNT)?.map(|key| key.to_vec());
            assert_eq!(keys.len(), 2);
            for key in keys {
                assert_eq!(
                    key.ok(),
                    kept,
                    "each writer holds the key the keychain kept"
                );
            }
        }
        Ok(())
    }

    /// Checklist 39: a data key seals at most its budget; the seal past it rotates the key, every
    /// ciphertext of the workspace (secrets and run transcripts) still opens, and one sealed with
    /// the old key but stored after the rotation (another process's write in flight) opens too.
    #[test]
    fn a_key_is_rotated_at_its_budget_and_everything_still_opens() -> Result<(), VaultError> {
        use crate::store::{ConnectorRow, RunRow, SecretChange};
        const NOW: &str = "2026-12-07T05:00:00Z";
        let mut store = Store::open_in_memory(NOW)?;
        let vault = Vault::new(MemoryKeychain::new(), "rotation").with_nonce_budget(4);
        let workspace = store.workspaces()?.remove(0).id;
        let mut row = ConnectorRow {
            header_names: vec!["X-Team".into()],
            ..ConnectorRow::for_test("c1", &workspace, "Rotating", NOW)
        };
        let owner = SecretOwner::Connector("c1");
        let put = |vault: &Vault, store: &Store, field: SecretField, value: &str| {
            vault
                .seal(store, &workspace, owner, &field, &Secret::new(value))
                .map(|ciphertext| SecretChange::Put { field, ciphertext })
        };
        let header = put(&vault, &store, SecretField::Header("X-Team".into()), "blue")?;
        row.revision = store.insert_connector(&row, vec![header])?;
        let transcript = vault.seal(
            &store,
            &workspace,
            SecretOwner::Run("r1"),
            &SecretField::Transcript,
            &Secret::new("the transcript"),
        )?;
        let run = RunRow {
            id: "r1".into(),
            workspace_id: workspace.clone(),
            step_name: None,
            provider: "p".into(),
            model: "m".into(),
            outcome: "answered".into(),
            started_at: NOW.into(),
            duration_ms: 1,
            rounds: 1,
            tool_calls: 0,
            input_tokens: 0,
            output_tokens: 0,
        };
        store.insert_run(&run, &transcript)?;
        // Sealed now, stored only after the first rotation: a write in flight elsewhere.
        let other = SecretField::Header("X-Other".into());
        let in_flight = vault.seal(&store, &workspace, owner, &other, &Secret::new("in flight"))?;
        let key_before = store.wrapped_key(&workspace)?;
        for round in 0..10 {
            let token = put(&vault, &store, SecretField::Token, &format!("tok-{round}"))?;
            let mut changes = vec![token];
            let lands_now =
                store.key_rotations(&workspace)? == 1 && store.secret(owner, &other)?.is_none();
            if lands_now {
                changes.push(SecretChange::Put {
                    field: other.clone(),
                    ciphertext: in_flight.clone(),
                });
            }
            row.revision = store.save_connector(&row, changes)?;
            if lands_now {
                let sealed = store.secret(owner, &other)?.ok_or_else(|| {
                    VaultError::Store(StoreError::Corrupt("the in-flight write".into()))
                })?;
                let opened = vault.open(&store, &workspace, owner, &other, &sealed)?;
                assert_eq!(opened.expose(), "in flight", "opened with the previous key");
            }
            // Past the budget only by the write sealed before a rotation and stored after it.
            assert!(
                store.sealed_count(&workspace)? <= 5,
                "the key never seals past its budget"
            );
        }
        assert!(
            store.key_rotations(&workspace)? >= 3,
            "rotated at the budget"
        );
        assert_ne!(store.wrapped_key(&workspace)?, key_before);
        let open = |owner, field: &SecretField, sealed: &Sealed| {
            vault
                .open(&store, &workspace, owner, field, sealed)
                .map(|secret| secret.expose().to_owned())
        };
        let stored = |field: SecretField| -> Result<Sealed, VaultError> {
            store
                .secret(owner, &field)?
                .ok_or_else(|| VaultError::Store(StoreError::Corrupt("missing".into())))
        };
        assert_eq!(
            open(owner, &SecretField::Token, &stored(SecretField::Token)?)?,
            "tok-9"
        );
        let header = SecretField::Header("X-Team".into());
        assert_eq!(open(owner, &header, &stored(header.clone())?)?, "blue");
        let (_, transcript) = store
            .run(&workspace, "r1")?
            .ok_or_else(|| VaultError::Store(StoreError::Corrupt("no run".into())))?;
        let run_owner = SecretOwner::Run("r1");
        let sealed_transcript = Sealed {
            ciphertext: transcript,
            binding: Binding::Owner,
        };
        assert_eq!(
            open(run_owner, &SecretField::Transcript, &sealed_transcript)?,
            "the transcript"
        );
        assert_eq!(open(owner, &other, &stored(other.clone())?)?, "in flight");
        Ok(())
    }
}
