//! The `secrets` table: ciphertexts keyed by their owner (a connector, a model provider, …) and a
//! field of that owner. The store never sees plaintext; [`crate::vault`] seals and opens.
//!
//! Owners are general since schema v3 (before, every secret belonged to a connector). A secret is
//! deleted with its owner: connectors by a trigger, providers likewise, and everything in a
//! workspace by the `workspace_id` foreign key. Each row records which associated-data layout it
//! was sealed with ([`Binding`]): rows written before v3 name only the connector in their AAD and
//! keep opening with that layout until they are next written, when they are sealed afresh with
//! the owner kind in the AAD. No ciphertext is rewritten by the migration itself (it has no key).

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// Who a secret belongs to. The kind is part of the ciphertext's associated data, so a blob
/// copied from a connector to a provider with the same id does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretOwner<'a> {
    Connector(&'a str),
    Provider(&'a str),
    /// A step run; its sealed transcript lives in its own row, not in `secrets`.
    Run(&'a str),
}

impl<'a> SecretOwner<'a> {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Connector(_) => "connector",
            Self::Provider(_) => "provider",
            Self::Run(_) => "run",
        }
    }

    pub fn id(self) -> &'a str {
        match self {
            Self::Connector(id) | Self::Provider(id) | Self::Run(id) => id,
        }
    }
}

/// Which of its owner's secrets a row holds. Stored as text (`token`, `oauth`, `header:NAME`,
/// `api_key`): the spelling is part of every sealed blob's associated data, so it never changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretField {
    /// A connector's static access token.
    Token,
    /// A connector's OAuth grant (tokens and client registration, as JSON).
    OAuth,
    /// The value of a connector's custom header with this name.
    Header(String),
    /// A connector's whole URL, when its query carries a credential (the row keeps it masked:
    /// [`crate::url_secrets`]).
    Url,
    /// A model provider's API key.
    ApiKey,
    /// A run's transcript.
    Transcript,
    /// A connector's explicit proxy's credentials, `user:password`.
    ProxyAuth,
}

impl SecretField {
    const HEADER_PREFIX: &'static str = "header:";

    pub fn as_stored(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Self::Token => "token".into(),
            Self::OAuth => "oauth".into(),
            Self::ApiKey => "api_key".into(),
            Self::Url => "url".into(),
            Self::Transcript => "transcript".into(),
            Self::ProxyAuth => "proxy_auth".into(),
            Self::Header(name) => format!("{}{name}", Self::HEADER_PREFIX).into(),
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "token" => Some(Self::Token),
            "oauth" => Some(Self::OAuth),
            "api_key" => Some(Self::ApiKey),
            "url" => Some(Self::Url),
            "transcript" => Some(Self::Transcript),
            "proxy_auth" => Some(Self::ProxyAuth),
            other => other
                .strip_prefix(Self::HEADER_PREFIX)
                .map(|name| Self::Header(name.to_owned())),
        }
    }

    /// How error messages name it ("the stored token").
    pub fn describe(&self) -> String {
        match self {
            Self::Token => "access token".into(),
            Self::OAuth => "OAuth sign-in".into(),
            Self::ApiKey => "API key".into(),
            Self::Url => "URL (with its credentials)".into(),
            Self::Transcript => "transcript".into(),
            Self::ProxyAuth => "proxy credentials".into(),
            Self::Header(name) => format!("{name} header"),
        }
    }
}

/// Which associated-data layout a ciphertext was sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// Before schema v3: workspace, connector id, field.
    ConnectorOnly,
    /// Since v3: workspace, owner kind, owner id, field.
    Owner,
}

impl Binding {
    pub(super) fn stored(self) -> i64 {
        match self {
            Self::ConnectorOnly => 1,
            Self::Owner => 2,
        }
    }

    pub(super) fn parse(value: i64) -> Result<Self, StoreError> {
        match value {
            1 => Ok(Self::ConnectorOnly),
            2 => Ok(Self::Owner),
            other => Err(StoreError::Corrupt(format!(
                "unknown secret binding {other}"
            ))),
        }
    }
}

/// A ciphertext as stored, with the layout it was sealed with.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub binding: Binding,
}

/// A change to one secret field, applied in the same transaction as its owner's row. New
/// ciphertexts are always sealed with [`Binding::Owner`].
pub enum SecretChange {
    Put {
        field: SecretField,
        ciphertext: Vec<u8>,
    },
    Delete {
        field: SecretField,
    },
}

impl Store {
    pub fn secret(
        &self,
        owner: SecretOwner<'_>,
        field: &SecretField,
    ) -> Result<Option<Sealed>, StoreError> {
        let found: Option<(Vec<u8>, i64)> = self
            .connection
            .query_row(
                "SELECT ciphertext, binding FROM secrets
                 WHERE owner_kind = ?1 AND owner_id = ?2 AND field = ?3",
                params![owner.kind(), owner.id(), field.as_stored()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        found
            .map(|(ciphertext, binding)| {
                Ok(Sealed {
                    ciphertext,
                    binding: Binding::parse(binding)?,
                })
            })
            .transpose()
    }

    /// Replaces the secret's ciphertext with `new` only if it is still `expected` (compare and
    /// swap, atomic across processes); says whether it did. Sealed with [`Binding::Owner`].
    pub fn replace_secret_if(
        &self,
        owner: SecretOwner<'_>,
        field: &SecretField,
        expected: &[u8],
        new: &[u8],
    ) -> Result<bool, StoreError> {
        // Counted first, whether or not the swap happens (checklist 39: counting high is safe).
        self.connection.execute(
            "UPDATE workspaces SET sealed_count = sealed_count + 1 WHERE id =
                 (SELECT workspace_id FROM secrets
                  WHERE owner_kind = ?1 AND owner_id = ?2 AND field = ?3)",
            params![owner.kind(), owner.id(), field.as_stored()],
        )?;
        let changed = self.connection.execute(
            "UPDATE secrets SET ciphertext = ?1, binding = ?2
             WHERE owner_kind = ?3 AND owner_id = ?4 AND field = ?5 AND ciphertext = ?6",
            params![
                new,
                Binding::Owner.stored(),
                owner.kind(),
                owner.id(),
                field.as_stored(),
                expected
            ],
        )?;
        if changed > 0 {
            self.scrub();
        }
        Ok(changed > 0)
    }

    /// The fields an owner has secrets in (names only), sorted.
    pub fn secret_fields(&self, owner: SecretOwner<'_>) -> Result<Vec<SecretField>, StoreError> {
        let mut statement = self.connection.prepare(
            "SELECT field FROM secrets WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY field",
        )?;
        let rows = statement.query_map(params![owner.kind(), owner.id()], |row| {
            row.get::<_, String>(0)
        })?;
        let mut fields = Vec::new();
        for stored in rows {
            let stored = stored?;
            fields.push(
                SecretField::parse(&stored).ok_or_else(|| {
                    StoreError::Corrupt(format!("unknown secret field {stored:?}"))
                })?,
            );
        }
        Ok(fields)
    }
}

/// Applies `changes` for `owner` inside `transaction` (the caller commits).
pub(super) fn apply(
    transaction: &rusqlite::Transaction<'_>,
    workspace_id: &str,
    owner: SecretOwner<'_>,
    changes: Vec<SecretChange>,
) -> Result<(), StoreError> {
    let puts = changes
        .iter()
        .filter(|change| matches!(change, SecretChange::Put { .. }))
        .count();
    super::key_usage::count_seals(transaction, workspace_id, puts)?;
    for change in changes {
        match change {
            SecretChange::Put { field, ciphertext } => transaction.execute(
                "INSERT INTO secrets (workspace_id, owner_kind, owner_id, field, binding, ciphertext)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (owner_kind, owner_id, field) DO UPDATE SET
                    ciphertext = excluded.ciphertext, binding = excluded.binding",
                params![
                    workspace_id,
                    owner.kind(),
                    owner.id(),
                    field.as_stored(),
                    Binding::Owner.stored(),
                    ciphertext
                ],
            )?,
            SecretChange::Delete { field } => transaction.execute(
                "DELETE FROM secrets WHERE owner_kind = ?1 AND owner_id = ?2 AND field = ?3",
                params![owner.kind(), owner.id(), field.as_stored()],
            )?,
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_spellings_round_trip_and_never_change() {
        for (field, stored) in [
            (SecretField::Token, "token"),
            (SecretField::OAuth, "oauth"),
            (SecretField::ApiKey, "api_key"),
            (SecretField::Header("X-Team".into()), "header:X-Team"),
        ] {
            assert_eq!(
                field.as_stored(),
                stored,
                "spellings are part of sealed AAD"
            );
            assert_eq!(SecretField::parse(stored), Some(field));
        }
        assert_eq!(SecretField::parse("something"), None);
    }
}
