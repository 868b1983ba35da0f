//! How much each workspace data key has sealed, and what a key rotation rewrites (checklist 39;
//! the rotation itself is the vault's). AES-GCM with random 96-bit nonces is safe for at most
//! 2^32 messages per key (NIST SP 800-38D §8.3), so every stored ciphertext counts against its
//! workspace key: a secret put, a refreshed grant committed, a run's transcript. Counting
//! happens where the ciphertext is stored, in the same statement or transaction; a write that
//! loses a compare-and-swap still counts (counting high only rotates sooner). A rotated-out key
//! is kept as the previous key, so a ciphertext another process sealed just before the rotation
//! and stores just after it still opens.

use rusqlite::{OptionalExtension, params};

use super::secrets::{Binding, Sealed, SecretField, SecretOwner};
use super::{Store, StoreError};

/// One stored ciphertext of a workspace, as a rotation reads it.
pub struct StoredCiphertext {
    pub owner_kind: String,
    pub owner_id: String,
    /// `None` for a run's transcript (kept in its run row, not in `secrets`).
    pub field: Option<String>,
    pub sealed: Sealed,
}

/// Adds `count` seals to the workspace's key.
pub(super) fn count_seals(
    connection: &rusqlite::Connection,
    workspace_id: &str,
    count: usize,
) -> Result<(), StoreError> {
    if count > 0 {
        connection.execute(
            "UPDATE workspaces SET sealed_count = sealed_count + ?2 WHERE id = ?1",
            params![workspace_id, i64::try_from(count).unwrap_or(i64::MAX)],
        )?;
    }
    Ok(())
}

impl Store {
    /// How many ciphertexts the workspace's current key has sealed into the store.
    pub fn sealed_count(&self, workspace_id: &str) -> Result<u64, StoreError> {
        let count: Option<i64> = self
            .connection
            .query_row(
                "SELECT sealed_count FROM workspaces WHERE id = ?1",
                [workspace_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(count.map_or(0, |count| u64::try_from(count).unwrap_or(0)))
    }

    /// How often the workspace's key was rotated.
    pub fn key_rotations(&self, workspace_id: &str) -> Result<u64, StoreError> {
        let count: Option<i64> = self
            .connection
            .query_row(
                "SELECT key_rotations FROM workspaces WHERE id = ?1",
                [workspace_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(count.map_or(0, |count| u64::try_from(count).unwrap_or(0)))
    }

    /// The key the workspace's current key replaced, if it was ever rotated.
    pub fn previous_wrapped_key(&self, workspace_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT previous_wrapped_key FROM workspaces WHERE id = ?1",
                [workspace_id],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Every ciphertext sealed with the workspace's key: its secrets and its runs' transcripts.
    pub fn workspace_ciphertexts(
        &self,
        workspace_id: &str,
    ) -> Result<Vec<StoredCiphertext>, StoreError> {
        let mut all = Vec::new();
        let mut secrets = self.connection.prepare(
            "SELECT owner_kind, owner_id, field, binding, ciphertext FROM secrets
             WHERE workspace_id = ?1",
        )?;
        let rows = secrets.query_map([workspace_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, Vec<u8>>(4)?,
            ))
        })?;
        for row in rows {
            let (owner_kind, owner_id, field, binding, ciphertext) = row?;
            all.push(StoredCiphertext {
                owner_kind,
                owner_id,
                field: Some(field),
                sealed: Sealed {
                    ciphertext,
                    binding: Binding::parse(binding)?,
                },
            });
        }
        let mut runs = self
            .connection
            .prepare("SELECT id, transcript FROM runs WHERE workspace_id = ?1")?;
        let rows = runs.query_map([workspace_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })?;
        for row in rows {
            let (id, ciphertext) = row?;
            all.push(StoredCiphertext {
                owner_kind: "run".into(),
                owner_id: id,
                field: None,
                sealed: Sealed {
                    ciphertext,
                    binding: Binding::Owner,
                },
            });
        }
        Ok(all)
    }

    /// Replaces one ciphertext during a rotation (sealed with the owner binding).
    pub fn rewrite_ciphertext(
        &self,
        stored: &StoredCiphertext,
        ciphertext: &[u8],
    ) -> Result<(), StoreError> {
        match &stored.field {
            Some(field) => self.connection.execute(
                "UPDATE secrets SET ciphertext = ?4, binding = ?5
                 WHERE owner_kind = ?1 AND owner_id = ?2 AND field = ?3",
                params![
                    stored.owner_kind,
                    stored.owner_id,
                    field,
                    ciphertext,
                    Binding::Owner.stored()
                ],
            )?,
            None => self.connection.execute(
                "UPDATE runs SET transcript = ?2 WHERE id = ?1",
                params![stored.owner_id, ciphertext],
            )?,
        };
        Ok(())
    }

    /// Makes `wrapped_key` the workspace's key and `previous` the one before it, with `sealed`
    /// ciphertexts to its name (those the rotation rewrote).
    pub fn set_rotated_key(
        &self,
        workspace_id: &str,
        wrapped_key: &[u8],
        previous: Option<&[u8]>,
        sealed: usize,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE workspaces SET wrapped_key = ?2, previous_wrapped_key = ?3,
                 sealed_count = ?4, key_rotations = key_rotations + 1
             WHERE id = ?1",
            params![
                workspace_id,
                wrapped_key,
                previous,
                i64::try_from(sealed).unwrap_or(i64::MAX)
            ],
        )?;
        Ok(())
    }
}

/// What an owner kind read back from the store names.
pub fn owner<'a>(kind: &str, id: &'a str) -> Option<SecretOwner<'a>> {
    match kind {
        "connector" => Some(SecretOwner::Connector(id)),
        "provider" => Some(SecretOwner::Provider(id)),
        "run" => Some(SecretOwner::Run(id)),
        _ => None,
    }
}

/// The field a stored ciphertext is: its spelling in `secrets`, or a run's transcript.
pub fn field(stored: &StoredCiphertext) -> Option<SecretField> {
    match &stored.field {
        Some(field) => SecretField::parse(field),
        None => Some(SecretField::Transcript),
    }
}
