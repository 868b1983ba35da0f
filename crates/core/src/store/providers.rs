//! The `providers` and `model_tools` tables: model providers saved per workspace (schema v4),
//! and the person's verdict on whether a provider's model can call tools.
//!
//! Like connectors, a provider row holds no secret: its API key lives in `secrets` under
//! [`SecretOwner::Provider`], written in the same transaction as the row ([`Store::save_provider`])
//! and deleted with it by trigger. Overrides in `model_tools` go with their provider by foreign
//! key; both go with their workspace. Names are unique per workspace, case-insensitively.

use rusqlite::{OptionalExtension, params};

use super::secrets::{self, SecretChange, SecretOwner};
use super::{Store, StoreError};
use crate::llm::ProviderKind;

/// A provider row as stored (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub kind: ProviderKind,
    /// The base URL as vendors document it (`https://api.openai.com/v1`).
    pub base_url: String,
    pub created_at: String,
    pub updated_at: String,
}

const PROVIDER_COLUMNS: &str = "id, workspace_id, name, kind, base_url, created_at, updated_at";

impl Store {
    pub fn providers(&self, workspace_id: &str) -> Result<Vec<ProviderRow>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {PROVIDER_COLUMNS} FROM providers WHERE workspace_id = ?1 ORDER BY name"
        ))?;
        let rows = statement.query_map([workspace_id], read_provider)?;
        rows.map(|row| row?).collect()
    }

    pub fn provider_by_name(
        &self,
        workspace_id: &str,
        name: &str,
    ) -> Result<Option<ProviderRow>, StoreError> {
        self.connection
            .query_row(
                &format!(
                    "SELECT {PROVIDER_COLUMNS} FROM providers \
                     WHERE workspace_id = ?1 AND name = ?2"
                ),
                params![workspace_id, name],
                read_provider,
            )
            .optional()?
            .transpose()
    }

    pub fn provider_by_id(&self, id: &str) -> Result<Option<ProviderRow>, StoreError> {
        self.connection
            .query_row(
                &format!("SELECT {PROVIDER_COLUMNS} FROM providers WHERE id = ?1"),
                [id],
                read_provider,
            )
            .optional()?
            .transpose()
    }

    /// Inserts a provider, or updates the one with its id (the workspace and creation time stay),
    /// and applies its secret changes, atomically.
    pub fn save_provider(
        &mut self,
        row: &ProviderRow,
        secrets: Vec<SecretChange>,
    ) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        transaction.execute(
            "INSERT INTO providers (id, workspace_id, name, kind, base_url, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET
                name = excluded.name, kind = excluded.kind, base_url = excluded.base_url,
                updated_at = excluded.updated_at",
            params![
                row.id,
                row.workspace_id,
                row.name,
                row.kind.as_str(),
                row.base_url,
                row.created_at,
                row.updated_at,
            ],
        )?;
        let secrets_changed = !secrets.is_empty();
        secrets::apply(
            &transaction,
            &row.workspace_id,
            SecretOwner::Provider(&row.id),
            secrets,
        )?;
        transaction.commit()?;
        if secrets_changed {
            self.scrub();
        }
        Ok(())
    }

    /// Deletes a provider; its secrets and tool overrides go with it.
    pub fn delete_provider(&self, id: &str) -> Result<(), StoreError> {
        self.connection
            .execute("DELETE FROM providers WHERE id = ?1", [id])?;
        self.scrub();
        Ok(())
    }

    // --- model tool overrides ---------------------------------------------------------------

    /// Every override of a provider's models: `(model, can call tools)`, sorted by model.
    pub fn model_tools(&self, provider_id: &str) -> Result<Vec<(String, bool)>, StoreError> {
        let mut statement = self.connection.prepare(
            "SELECT model, tools FROM model_tools WHERE provider_id = ?1 ORDER BY model",
        )?;
        let rows = statement.query_map([provider_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The person's verdict on one model, if they gave one.
    pub fn model_tools_override(
        &self,
        provider_id: &str,
        model: &str,
    ) -> Result<Option<bool>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT tools FROM model_tools WHERE provider_id = ?1 AND model = ?2",
                params![provider_id, model],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn set_model_tools(
        &self,
        provider_id: &str,
        model: &str,
        tools: bool,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO model_tools (provider_id, model, tools) VALUES (?1, ?2, ?3)
             ON CONFLICT (provider_id, model) DO UPDATE SET tools = excluded.tools",
            params![provider_id, model, tools],
        )?;
        Ok(())
    }

    /// Forgets the person's verdict on one model (back to what the provider or the table says).
    pub fn clear_model_tools(&self, provider_id: &str, model: &str) -> Result<(), StoreError> {
        self.connection.execute(
            "DELETE FROM model_tools WHERE provider_id = ?1 AND model = ?2",
            params![provider_id, model],
        )?;
        Ok(())
    }
}

fn read_provider(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<ProviderRow, StoreError>> {
    let kind: String = row.get(3)?;
    let Some(kind) = ProviderKind::parse(&kind) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "unknown provider kind {kind:?}"
        ))));
    };
    Ok(Ok(ProviderRow {
        id: row.get(0)?,
        workspace_id: row.get(1)?,
        name: row.get(2)?,
        kind,
        base_url: row.get(4)?,
        created_at: row.get(5)?,
        updated_at: row.get(6)?,
    }))
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;
    use crate::store::{MIGRATIONS, SecretField};

    const NOW: &str = "2026-01-01T00:00:00Z";

    fn corrupt(error: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(error.to_string())
    }

    fn provider(id: &str, workspace_id: &str, name: &str) -> ProviderRow {
        ProviderRow {
            id: id.into(),
            workspace_id: workspace_id.into(),
            name: name.into(),
            kind: ProviderKind::OpenAiCompatible,
            base_url: "http://127.0.0.1:11434/v1".into(),
            created_at: NOW.into(),
            updated_at: NOW.into(),
        }
    }

    fn key(ciphertext: &[u8]) -> Vec<SecretChange> {
        vec![SecretChange::Put {
            field: SecretField::ApiKey,
            ciphertext: ciphertext.to_vec(),
        }]
    }

    fn secret_rows(store: &Store) -> Result<i64, StoreError> {
        Ok(store
            .connection()
            .query_row("SELECT COUNT(*) FROM secrets", [], |row| row.get(0))?)
    }

    #[test]
    fn a_version_3_database_gains_providers_and_keeps_its_rows() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(corrupt)?;
        let path = directory.path().join("patchbay.db");
        {
            let mut connection = Connection::open(&path)?;
            let transaction = connection.transaction()?;
            for sql in &MIGRATIONS[..3] {
                transaction.execute_batch(sql)?;
            }
            transaction.pragma_update(None, "user_version", 3)?;
            transaction.execute(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Default', ?1)",
                [NOW],
            )?;
            transaction.execute(
                "INSERT INTO connectors (id, workspace_id, name, url, auth, created_at, updated_at)
                 VALUES ('c', 'w', 'Docs', 'https://example.com/mcp', 'token', ?1, ?1)",
                [NOW],
            )?;
            transaction.execute(
                "INSERT INTO secrets (workspace_id, owner_kind, owner_id, field, binding, ciphertext)
                 VALUES ('w', 'connector', 'c', 'token', 2, x'01')",
                [],
            )?;
            transaction.commit()?;
        }
        let mut store = Store::open(&path, NOW)?;
        assert_eq!(store.schema_version()?, MIGRATIONS.len());
        assert_eq!(
            store.connector_by_id("c")?.map(|row| row.name),
            Some("Docs".to_owned()),
            "the connector survives the migration"
        );
        assert_eq!(
            store.secret_fields(SecretOwner::Connector("c"))?,
            vec![SecretField::Token],
            "the connector's secret survives the migration"
        );
        assert_eq!(store.providers("w")?, Vec::new(), "no providers yet");
        store.save_provider(&provider("p", "w", "Local"), key(b"sealed"))?;
        assert_eq!(
            store.provider_by_name("w", "local")?.map(|row| row.id),
            Some("p".to_owned()),
            "names are found case-insensitively"
        );
        Ok(())
    }

    #[test]
    fn providers_are_saved_updated_and_unique_per_workspace() -> Result<(), StoreError> {
        let mut store = Store::open_in_memory(NOW)?;
        let workspace = store
            .workspaces()?
            .pop()
            .ok_or_else(|| corrupt("no workspace"))?;
        let other = store.insert_workspace("Other", None, NOW, "w2")?;
        let row = provider("p", &workspace.id, "Local");
        store.save_provider(&row, key(b"one"))?;
        store.save_provider(&provider("q", &other.id, "Local"), Vec::new())?;
        assert!(
            store
                .save_provider(&provider("r", &workspace.id, "LOCAL"), Vec::new())
                .is_err(),
            "a name is unique within its workspace, whatever the case"
        );
        let renamed = ProviderRow {
            name: "Ollama".into(),
            kind: ProviderKind::Anthropic,
            base_url: "https://api.anthropic.com/v1".into(),
            updated_at: "2026-02-01T00:00:00Z".into(),
            ..row.clone()
        };
        store.save_provider(&renamed, Vec::new())?;
        assert_eq!(store.provider_by_id("p")?, Some(renamed.clone()));
        assert_eq!(store.providers(&workspace.id)?, vec![renamed]);
        assert_eq!(
            store.secret_fields(SecretOwner::Provider("p"))?,
            vec![SecretField::ApiKey],
            "saving without secret changes keeps the key"
        );
        store.save_provider(
            &provider("p", &workspace.id, "Ollama"),
            vec![SecretChange::Delete {
                field: SecretField::ApiKey,
            }],
        )?;
        assert_eq!(store.secret_fields(SecretOwner::Provider("p"))?, Vec::new());
        Ok(())
    }

    #[test]
    fn deleting_a_provider_deletes_its_secrets_and_overrides() -> Result<(), StoreError> {
        let mut store = Store::open_in_memory(NOW)?;
        let workspace = store
            .workspaces()?
            .pop()
            .ok_or_else(|| corrupt("no workspace"))?;
        store.save_provider(&provider("p", &workspace.id, "Doomed"), key(b"a"))?;
        store.save_provider(&provider("q", &workspace.id, "Kept"), key(b"b"))?;
        store.set_model_tools("p", "gpt-4o", false)?;
        store.set_model_tools("p", "mystery", true)?;
        store.set_model_tools("q", "gpt-4o", true)?;
        assert_eq!(store.model_tools_override("p", "gpt-4o")?, Some(false));
        store.set_model_tools("p", "gpt-4o", true)?;
        assert_eq!(
            store.model_tools("p")?,
            vec![("gpt-4o".to_owned(), true), ("mystery".to_owned(), true)],
            "setting again replaces the verdict"
        );
        store.clear_model_tools("p", "mystery")?;
        assert_eq!(store.model_tools_override("p", "mystery")?, None);
        assert_eq!(secret_rows(&store)?, 2);

        store.delete_provider("p")?;
        assert_eq!(store.provider_by_id("p")?, None);
        assert_eq!(
            secret_rows(&store)?,
            1,
            "the provider's key is deleted with it, the other provider's is kept"
        );
        assert_eq!(store.secret_fields(SecretOwner::Provider("q"))?.len(), 1);
        let overrides: i64 = store.connection().query_row(
            "SELECT COUNT(*) FROM model_tools WHERE provider_id = 'p'",
            [],
            |row| row.get(0),
        )?;
        assert_eq!(overrides, 0, "the overrides are deleted with the provider");
        assert_eq!(store.model_tools("q")?, vec![("gpt-4o".to_owned(), true)]);
        Ok(())
    }

    #[test]
    fn deleting_a_workspace_deletes_its_providers() -> Result<(), StoreError> {
        let mut store = Store::open_in_memory(NOW)?;
        let other = store.insert_workspace("Other", None, NOW, "w2")?;
        store.save_provider(&provider("p", &other.id, "Gone"), key(b"a"))?;
        store.set_model_tools("p", "gpt-4o", false)?;
        store.delete_workspace(&other.id)?;
        assert_eq!(store.provider_by_id("p")?, None);
        assert_eq!(secret_rows(&store)?, 0, "the key goes with the workspace");
        let overrides: i64 =
            store
                .connection()
                .query_row("SELECT COUNT(*) FROM model_tools", [], |row| row.get(0))?;
        assert_eq!(overrides, 0, "the overrides go with the workspace");
        Ok(())
    }

    #[test]
    fn the_schema_refuses_unknown_kinds_and_verdicts() -> Result<(), StoreError> {
        let mut store = Store::open_in_memory(NOW)?;
        let workspace = store
            .workspaces()?
            .pop()
            .ok_or_else(|| corrupt("no workspace"))?;
        store.save_provider(&provider("p", &workspace.id, "Local"), Vec::new())?;
        let connection = store.connection();
        assert!(
            connection
                .execute("UPDATE providers SET kind = 'gemini' WHERE id = 'p'", [])
                .is_err(),
            "only the two wire formats are stored"
        );
        assert!(
            connection
                .execute(
                    "INSERT INTO model_tools (provider_id, model, tools) VALUES ('p', 'm', 2)",
                    [],
                )
                .is_err(),
            "a verdict is yes or no"
        );
        assert!(
            connection
                .execute(
                    "INSERT INTO model_tools (provider_id, model, tools) VALUES ('x', 'm', 1)",
                    [],
                )
                .is_err(),
            "an override belongs to an existing provider"
        );
        Ok(())
    }
}
