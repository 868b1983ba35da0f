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
];

/// Brings the schema up to date. Refuses a database written by a newer Patchbay.
pub fn migrate(connection: &mut Connection) -> Result<(), super::StoreError> {
    let current: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let current = usize::try_from(current).unwrap_or(usize::MAX);
    if current > MIGRATIONS.len() {
        return Err(super::StoreError::TooNew {
            found: current,
            supported: MIGRATIONS.len(),
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.pragma_update(
            None,
            "user_version",
            i64::try_from(index + 1).unwrap_or(i64::MAX),
        )?;
        transaction.commit()?;
    }
    Ok(())
}
