//! Versioned schema migrations, applied in order inside one transaction each and recorded in
//! `PRAGMA user_version`. Hand-written because it is fifteen lines; `rusqlite_migration` pins
//! its own rusqlite range, which would tie our SQLite upgrades to its release cadence.
//! Append new migrations; never edit a released one.

use rusqlite::Connection;

/// Each entry moves the schema from version `index` to `index + 1`.
pub const MIGRATIONS: &[&str] = &[
    // v1: workspaces with wrapped data keys, connectors, encrypted secrets, key check.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) STRICT;
    CREATE TABLE workspaces (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        wrapped_key BLOB,
        created_at  TEXT NOT NULL
    ) STRICT;
    CREATE TABLE connectors (
        id              TEXT PRIMARY KEY,
        workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name            TEXT NOT NULL COLLATE NOCASE,
        url             TEXT NOT NULL,
        auth            TEXT NOT NULL CHECK (auth IN ('none', 'token', 'oauth')),
        header_names    TEXT NOT NULL DEFAULT '[]',
        status          TEXT NOT NULL DEFAULT 'unknown'
                        CHECK (status IN ('unknown', 'connected', 'disconnected', 'needs_auth', 'error')),
        last_checked_at TEXT,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        UNIQUE (workspace_id, name)
    ) STRICT;
    CREATE INDEX connectors_by_workspace ON connectors(workspace_id);
    CREATE TABLE secrets (
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        field        TEXT NOT NULL,
        ciphertext   BLOB NOT NULL,
        PRIMARY KEY (connector_id, field)
    ) STRICT;
    "#,
    // v2: step-up authorization (see `crate::oauth::step_up`): the scopes a server refused a
    // request for that the connector's grant lacks, and those the last re-authentication asked
    // for that the server did not grant. Space-separated, as servers write scopes; NULL: none.
    r#"
    ALTER TABLE connectors ADD COLUMN step_up_scope TEXT;
    ALTER TABLE connectors ADD COLUMN step_up_refused TEXT;
    "#,
    // v3: secrets belong to an owner of any kind (a connector, a model provider, …), not only to
    // a connector (see `super::secrets`). Rows keep their ciphertexts; `binding = 1` marks those
    // sealed with the old associated data (which names only the connector), opened that way until
    // they are next written. Deleting an owner deletes its secrets by trigger (a column cannot
    // reference two tables); deleting a workspace deletes them by foreign key.
    r#"
    CREATE TABLE secrets_v3 (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('connector', 'provider')),
        owner_id     TEXT NOT NULL,
        field        TEXT NOT NULL,
        binding      INTEGER NOT NULL CHECK (binding IN (1, 2)),
        ciphertext   BLOB NOT NULL,
        PRIMARY KEY (owner_kind, owner_id, field)
    ) STRICT;
    INSERT INTO secrets_v3 (workspace_id, owner_kind, owner_id, field, binding, ciphertext)
        SELECT connectors.workspace_id, 'connector', secrets.connector_id, secrets.field, 1,
               secrets.ciphertext
        FROM secrets JOIN connectors ON connectors.id = secrets.connector_id;
    DROP TABLE secrets;
    ALTER TABLE secrets_v3 RENAME TO secrets;
    CREATE INDEX secrets_by_workspace ON secrets(workspace_id);
    CREATE TRIGGER connector_secrets_go_with_it AFTER DELETE ON connectors BEGIN
        DELETE FROM secrets WHERE owner_kind = 'connector' AND owner_id = OLD.id;
    END;
    "#,
    // v4: model providers (see `super::providers`), saved per workspace like connectors, their
    // API keys in `secrets` (owner kind 'provider', deleted with the provider by trigger), and the
    // person's "can call tools" verdict per model, which outranks what a provider reports.
    // `UNIQUE (workspace_id, name)` indexes providers by workspace already.
    r#"
    CREATE TABLE providers (
        id           TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name         TEXT NOT NULL COLLATE NOCASE,
        kind         TEXT NOT NULL CHECK (kind IN ('openai-compatible', 'anthropic')),
        base_url     TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        UNIQUE (workspace_id, name)
    ) STRICT;
    CREATE TRIGGER provider_secrets_go_with_it AFTER DELETE ON providers BEGIN
        DELETE FROM secrets WHERE owner_kind = 'provider' AND owner_id = OLD.id;
    END;
    CREATE TABLE model_tools (
        provider_id TEXT NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
        model       TEXT NOT NULL,
        tools       INTEGER NOT NULL CHECK (tools IN (0, 1)),
        PRIMARY KEY (provider_id, model)
    ) STRICT;
    "#,
    // v5: LLM steps (see `super::steps`): saved step definitions (JSON, no secrets; connectors
    // and providers named, so a renamed one is reported, not silently swapped), every run with
    // its transcript sealed by the workspace key (tool results can hold private data; the
    // columns beside it are what lists show without decrypting), and the "always allow this
    // tool" answers, visible and revocable, deleted with their connector.
    r#"
    CREATE TABLE steps (
        id           TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name         TEXT NOT NULL COLLATE NOCASE,
        definition   TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        UNIQUE (workspace_id, name)
    ) STRICT;
    CREATE TABLE runs (
        id            TEXT PRIMARY KEY,
        workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        step_name     TEXT,
        provider      TEXT NOT NULL,
        model         TEXT NOT NULL,
        outcome       TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        duration_ms   INTEGER NOT NULL,
        rounds        INTEGER NOT NULL,
        tool_calls    INTEGER NOT NULL,
        input_tokens  INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        transcript    BLOB NOT NULL
    ) STRICT;
    CREATE INDEX runs_by_workspace ON runs(workspace_id, started_at);
    CREATE TABLE tool_approvals (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        tool         TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (connector_id, tool)
    ) STRICT;
    "#,
    // v6: a connector row's revision, bumped by every write of the row (not by status writes):
    // an edit or a sign-in that tested the connection for many seconds saves only over the row
    // it read, and a check's status is recorded only on the row it checked (issue 11).
    r#"
    ALTER TABLE connectors ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    "#,
    // v7: each workspace key's usage (checklist 39, see `super::key_usage`): how many
    // ciphertexts it sealed, how often it was rotated, and the key it replaced (kept so a
    // ciphertext sealed just before a rotation still opens).
    r#"
    ALTER TABLE workspaces ADD COLUMN sealed_count INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE workspaces ADD COLUMN key_rotations INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE workspaces ADD COLUMN previous_wrapped_key BLOB;
    "#,
    // v8: the connector workbench (issue 12, see `super::workbench`): a paused connector is not
    // checked nor offered to steps; tools a person switched off per connector (never offered to
    // a model); and each connector's recent checks, kept bounded, deleted with the connector.
    r#"
    ALTER TABLE connectors ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
    CREATE TABLE disabled_tools (
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        tool         TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        PRIMARY KEY (connector_id, tool)
    ) STRICT;
    CREATE TABLE check_history (
        id           INTEGER PRIMARY KEY,
        connector_id TEXT NOT NULL REFERENCES connectors(id) ON DELETE CASCADE,
        checked_at   TEXT NOT NULL,
        status       TEXT NOT NULL,
        latency_ms   INTEGER,
        tool_count   INTEGER,
        detail       TEXT
    ) STRICT;
    CREATE INDEX check_history_by_connector ON check_history(connector_id, id);
    "#,
    // v9: a connector's own network settings (issue 13, see `crate::network`): JSON, NULL when
    // everything is the app's default, so settings added later need no migration.
    r#"
    ALTER TABLE connectors ADD COLUMN network TEXT;
    "#,
    // v10: a connector whose status changes are not announced by a desktop notification
    // (issue 13); the app-wide switch is in the settings.
    r#"
    ALTER TABLE connectors ADD COLUMN muted INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1));
    "#,
];

/// Brings the schema up to date. Refuses a database written by a newer Patchbay.
///
/// Each step takes the write lock first and reads the version under it, so two processes
/// opening a new data directory at once (the app and the CLI) apply each step once: the second
/// waits, then finds it done.
pub fn migrate(connection: &mut Connection) -> Result<(), super::StoreError> {
    loop {
        let transaction =
            connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = transaction.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let current = usize::try_from(current).unwrap_or(usize::MAX);
        if current > MIGRATIONS.len() {
            return Err(super::StoreError::TooNew {
                found: current,
                supported: MIGRATIONS.len(),
            });
        }
        let Some(sql) = MIGRATIONS.get(current) else {
            return Ok(());
        };
        transaction.execute_batch(sql)?;
        transaction.pragma_update(
            None,
            "user_version",
            i64::try_from(current + 1).unwrap_or(i64::MAX),
        )?;
        transaction.commit()?;
    }
}
