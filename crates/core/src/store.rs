//! The SQLite file: workspaces, connectors, model providers and their encrypted secrets.
//!
//! The store only moves rows; it never sees a plaintext secret (the [`crate::vault`] seals them
//! first) and never decides policy (the [`crate::patchbay`] facade validates input). Every
//! multi-row change runs in one transaction, so a crash leaves either the old or the new state.
//! Pragmas: WAL (readers never block the monitor's writes), `synchronous=FULL` (a saved connector
//! survives power loss), `busy_timeout` (the CLI and the app share the file), `foreign_keys`
//! (deleting a workspace deletes its connectors and secrets), `secure_delete` (deleted secrets are
//! overwritten, not left in free pages).

mod damage;
pub mod key_usage;
mod migrations;
mod providers;
mod secrets;
mod steps;
mod workbench;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

pub use crate::vocabulary::{AuthKind, ConnectorStatus};
pub use migrations::MIGRATIONS;
pub use providers::ProviderRow;
pub use secrets::{Binding, Sealed, SecretChange, SecretField, SecretOwner};
pub use steps::{ApprovalRow, RunRow, StepRow};
pub use workbench::{CHECK_HISTORY_LIMIT, CheckEntry, CheckRow, RowExtras};

/// How long a writer waits for another process (the CLI beside the app) to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "this data directory was written by a newer Patchbay (schema {found}, this build knows \
         {supported}); upgrade Patchbay"
    )]
    TooNew { found: usize, supported: usize },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("cannot make the database file private to you: {0}")]
    Io(std::io::Error),
    /// `PRAGMA quick_check` found damage (only seen inside [`Store::open`], which reports it
    /// as [`StoreError::Damaged`]).
    #[error("the database failed its integrity check: {0}")]
    Unsound(String),
    /// The database file was damaged and has been moved aside; the next open starts afresh.
    #[error(
        "the database {path} is damaged ({cause}); it was moved aside to {aside}, nothing was \
         deleted and the keychain's master key is kept. Patchbay starts with an empty database \
         next time: add the connectors again, or put a backup back at {path}"
    )]
    Damaged {
        cause: String,
        path: String,
        aside: String,
    },
    /// The row was written by someone else (another window, the CLI) since it was read.
    #[error("it was changed elsewhere (another window or a `patchbay` command) meanwhile")]
    Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

/// A connector row as stored (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorRow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub url: String,
    pub auth: AuthKind,
    pub header_names: Vec<String>,
    pub status: ConnectorStatus,
    pub last_checked_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Bumped by every [`Store::save_connector`]; a write carries the revision it read.
    pub revision: i64,
    /// Paused: not checked, not offered to steps. Written only by [`Store::set_paused`].
    pub paused: bool,
    /// Its status changes are not announced by a notification. Written only by
    /// [`Store::set_muted`].
    pub muted: bool,
    /// Its own timeouts, where the app's do not suit it.
    pub network: crate::network::ConnectorNetwork,
}

#[cfg(test)]
impl ConnectorRow {
    /// A token connector at revision 0, for tests of the store and the vault.
    pub(crate) fn for_test(id: &str, workspace_id: &str, name: &str, now: &str) -> Self {
        Self {
            id: id.into(),
            workspace_id: workspace_id.into(),
            name: name.into(),
            url: "https://mcp.example/mcp".into(),
            auth: AuthKind::Token,
            header_names: Vec::new(),
            status: ConnectorStatus::Unknown,
            last_checked_at: None,
            last_error: None,
            created_at: now.into(),
            updated_at: now.into(),
            revision: 0,
            paused: false,
            muted: false,
            network: Default::default(),
        }
    }
}

/// A connector's step-up state ([`crate::oauth::step_up`]). Scopes are space-separated, as
/// servers write them. Not part of [`ConnectorRow`]: saving a row leaves it alone, and only the
/// step-up bookkeeping writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepUp {
    /// Scopes a server refused a request for (`403 insufficient_scope`) that the grant lacks:
    /// the next re-authentication asks for them too.
    pub needed: Option<String>,
    /// Scopes the last re-authentication asked for that the server did not grant: they are not
    /// asked for again by themselves.
    pub refused: Option<String>,
}

/// Makes `path` (created if missing) and its `-wal` and `-shm` files, where they exist,
/// readable and writable by their owner only.
fn private_file(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .map_err(StoreError::Io)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(StoreError::Io(error)),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

pub struct Store {
    connection: Connection,
}

const CONNECTOR_COLUMNS: &str = "id, workspace_id, name, url, auth, header_names, status, \
                                 last_checked_at, last_error, created_at, updated_at, revision, \
                                 paused, network, muted";

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it. The file is private
    /// to its owner (0600, tightened if an older version left it readable to others); SQLite
    /// gives its `-wal` and `-shm` files the database's mode.
    ///
    /// Two processes opening a new database at once can find it locked while the other switches
    /// it to WAL (SQLite answers that without waiting); the open is then tried again, within the
    /// busy timeout.
    ///
    /// A damaged database file is moved aside, never deleted ([`damage`]), and reported as
    /// [`StoreError::Damaged`]; the next open starts with an empty one.
    pub fn open(path: &Path, now: &str) -> Result<Self, StoreError> {
        private_file(path)?;
        match Self::open_retrying(path, now) {
            Err(error) => match damage::damage_of(&error) {
                Some(cause) => Err(damage::set_aside(path, cause, now)),
                None => Err(error),
            },
            opened => opened,
        }
    }

    fn open_retrying(path: &Path, now: &str) -> Result<Self, StoreError> {
        let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
        loop {
            match Self::configure(Connection::open(path)?, now) {
                Err(StoreError::Sqlite(error))
                    if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                opened => return opened,
            }
        }
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory(now: &str) -> Result<Self, StoreError> {
        Self::configure(Connection::open_in_memory()?, now)
    }

    fn configure(mut connection: Connection, now: &str) -> Result<Self, StoreError> {
        connection.busy_timeout(BUSY_TIMEOUT)?;
        damage::check(&connection)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "secure_delete", "ON")?;
        migrations::migrate(&mut connection)?;
        let store = Self { connection };
        store.ensure_default_workspace(now)?;
        // What an earlier process could not empty (another one was reading) goes now.
        store.scrub();
        Ok(store)
    }

    fn ensure_default_workspace(&self, now: &str) -> Result<(), StoreError> {
        let count: i64 =
            self.connection
                .query_row("SELECT COUNT(*) FROM workspaces", [], |row| row.get(0))?;
        if count == 0 {
            self.connection.execute(
                "INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![uuid::Uuid::new_v4().to_string(), DEFAULT_WORKSPACE, now],
            )?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<usize, StoreError> {
        let version: i64 = self
            .connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))?;
        Ok(usize::try_from(version).unwrap_or(usize::MAX))
    }

    // --- meta -----------------------------------------------------------------------------

    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .connection
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?)
    }

    /// Runs `work` holding the database's write lock (other processes wait for it, up to the busy
    /// timeout), committing what it wrote through this store if it succeeds.
    pub fn exclusively<T, E: From<StoreError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let transaction = rusqlite::Transaction::new_unchecked(
            &self.connection,
            rusqlite::TransactionBehavior::Immediate,
        )
        .map_err(StoreError::from)?;
        let outcome = work()?;
        transaction.commit().map_err(StoreError::from)?;
        Ok(outcome)
    }

    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn delete_meta(&self, key: &str) -> Result<(), StoreError> {
        self.connection
            .execute("DELETE FROM meta WHERE key = ?1", params![key])?;
        self.scrub();
        Ok(())
    }

    // --- workspaces -----------------------------------------------------------------------

    pub fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT id, name, created_at FROM workspaces ORDER BY created_at, name")?;
        let rows = statement.query_map([], |row| {
            Ok(Workspace {
                id: row.get(0)?,
                name: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn workspace_by_name(&self, name: &str) -> Result<Option<Workspace>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT id, name, created_at FROM workspaces WHERE name = ?1",
                [name],
                |row| {
                    Ok(Workspace {
                        id: row.get(0)?,
                        name: row.get(1)?,
                        created_at: row.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Inserts a workspace together with its wrapped data key.
    pub fn insert_workspace(
        &self,
        name: &str,
        wrapped_key: Option<&[u8]>,
        now: &str,
        id: &str,
    ) -> Result<Workspace, StoreError> {
        self.connection.execute(
            "INSERT INTO workspaces (id, name, wrapped_key, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, name, wrapped_key, now],
        )?;
        Ok(Workspace {
            id: id.to_owned(),
            name: name.to_owned(),
            created_at: now.to_owned(),
        })
    }

    pub fn rename_workspace(&self, id: &str, new_name: &str) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE workspaces SET name = ?2 WHERE id = ?1",
            params![id, new_name],
        )?;
        Ok(())
    }

    /// Deletes a workspace, its wrapped key, its connectors and their secrets.
    /// Deletes a workspace with its wrapped key, connectors, providers and secrets.
    pub fn delete_workspace(&self, id: &str) -> Result<(), StoreError> {
        self.connection
            .execute("DELETE FROM workspaces WHERE id = ?1", [id])?;
        self.scrub();
        Ok(())
    }

    pub fn wrapped_key(&self, workspace_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT wrapped_key FROM workspaces WHERE id = ?1",
                [workspace_id],
                |row| row.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Sets the wrapped key only if none is set yet; returns whether it was set (another process
    /// may have won the race, in which case the caller reloads).
    pub fn set_wrapped_key_if_absent(
        &self,
        workspace_id: &str,
        wrapped_key: &[u8],
    ) -> Result<bool, StoreError> {
        let changed = self.connection.execute(
            "UPDATE workspaces SET wrapped_key = ?2 WHERE id = ?1 AND wrapped_key IS NULL",
            params![workspace_id, wrapped_key],
        )?;
        Ok(changed == 1)
    }

    /// Whether any ciphertext exists that the master key protects.
    pub fn has_wrapped_keys(&self) -> Result<bool, StoreError> {
        Ok(self.connection.query_row(
            "SELECT EXISTS (SELECT 1 FROM workspaces WHERE wrapped_key IS NOT NULL)",
            [],
            |row| row.get(0),
        )?)
    }

    // --- connectors -----------------------------------------------------------------------

    pub fn connectors(&self, workspace_id: &str) -> Result<Vec<ConnectorRow>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {CONNECTOR_COLUMNS} FROM connectors WHERE workspace_id = ?1 ORDER BY name"
        ))?;
        let rows = statement.query_map([workspace_id], read_connector)?;
        rows.map(|row| row?).collect()
    }

    pub fn connector_by_name(
        &self,
        workspace_id: &str,
        name: &str,
    ) -> Result<Option<ConnectorRow>, StoreError> {
        self.connection
            .query_row(
                &format!(
                    "SELECT {CONNECTOR_COLUMNS} FROM connectors \
                     WHERE workspace_id = ?1 AND name = ?2"
                ),
                params![workspace_id, name],
                read_connector,
            )
            .optional()?
            .transpose()
    }

    pub fn connector_by_id(&self, id: &str) -> Result<Option<ConnectorRow>, StoreError> {
        self.connection
            .query_row(
                &format!("SELECT {CONNECTOR_COLUMNS} FROM connectors WHERE id = ?1"),
                [id],
                read_connector,
            )
            .optional()?
            .transpose()
    }

    /// Inserts a new connector row (revision 0) with its secrets, atomically.
    pub fn insert_connector(
        &mut self,
        row: &ConnectorRow,
        secrets: Vec<SecretChange>,
    ) -> Result<i64, StoreError> {
        self.write_connector(
            &ConnectorRow {
                revision: 0,
                ..row.clone()
            },
            secrets,
            true,
        )
    }

    /// Updates a connector row if it is still at `row.revision` (compare and swap:
    /// [`StoreError::Changed`] when another writer changed or deleted it meanwhile, and nothing
    /// is written) and applies its secret changes, atomically. Returns the new revision.
    pub fn save_connector(
        &mut self,
        row: &ConnectorRow,
        secrets: Vec<SecretChange>,
    ) -> Result<i64, StoreError> {
        self.write_connector(row, secrets, false)
    }

    fn write_connector(
        &mut self,
        row: &ConnectorRow,
        secrets: Vec<SecretChange>,
        new: bool,
    ) -> Result<i64, StoreError> {
        let header_names = serde_json::to_string(&row.header_names)
            .map_err(|error| StoreError::Corrupt(error.to_string()))?;
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let values = params![
            row.id,
            row.workspace_id,
            row.name,
            row.url,
            row.auth.as_str(),
            header_names,
            row.status.as_str(),
            row.last_checked_at,
            row.last_error,
            row.created_at,
            row.updated_at,
            row.revision,
            row.network.stored(),
        ];
        let updated = if new {
            0
        } else {
            transaction.execute(
                "UPDATE connectors SET
                name = ?3, url = ?4, auth = ?5, header_names = ?6, status = ?7,
                last_checked_at = ?8, last_error = ?9, updated_at = ?11, network = ?13,
                revision = revision + 1
             WHERE id = ?1 AND workspace_id = ?2 AND revision = ?12",
                values,
            )?
        };
        let revision = if updated == 1 {
            row.revision + 1
        } else if !new {
            // Changed, or deleted, by another writer since it was read.
            return Err(StoreError::Changed);
        } else {
            transaction.execute(
                "INSERT INTO connectors (id, workspace_id, name, url, auth, header_names, status,
                                         last_checked_at, last_error, created_at, updated_at,
                                         revision, network)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                values,
            )?;
            row.revision
        };
        let secrets_changed = !secrets.is_empty();
        secrets::apply(
            &transaction,
            &row.workspace_id,
            SecretOwner::Connector(&row.id),
            secrets,
        )?;
        transaction.commit()?;
        if secrets_changed {
            self.scrub();
        }
        Ok(revision)
    }

    pub fn delete_connector(&self, id: &str) -> Result<(), StoreError> {
        self.connection
            .execute("DELETE FROM connectors WHERE id = ?1", [id])?;
        self.scrub();
        Ok(())
    }

    /// Replaced and deleted secrets leave their old bytes in the write-ahead log until a
    /// checkpoint copies the log into the database (where `secure_delete` zeroes freed space)
    /// and empties it; this runs one after each such change, and at open. While another process
    /// is in the middle of reading, the checkpoint stops short; the next change finishes it.
    pub(crate) fn scrub(&self) {
        let checkpoint = self
            .connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        match checkpoint {
            Ok(0) => {}
            Ok(_) => tracing::debug!("the write-ahead log is in use; emptied at the next change"),
            Err(error) => tracing::warn!(%error, "emptying the write-ahead log"),
        }
    }

    /// A connector's step-up state; the default when there is no such connector.
    pub fn step_up(&self, id: &str) -> Result<StepUp, StoreError> {
        Ok(self
            .connection
            .query_row(
                "SELECT step_up_scope, step_up_refused FROM connectors WHERE id = ?1",
                [id],
                |row| {
                    Ok(StepUp {
                        needed: row.get(0)?,
                        refused: row.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    pub fn set_step_up(&self, id: &str, step_up: &StepUp) -> Result<(), StoreError> {
        self.connection.execute(
            "UPDATE connectors SET step_up_scope = ?2, step_up_refused = ?3 WHERE id = ?1",
            params![id, step_up.needed, step_up.refused],
        )?;
        Ok(())
    }

    /// Raw access for tests that tamper with ciphertexts.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }
}

/// The workspace every store starts with.
pub const DEFAULT_WORKSPACE: &str = "Default";

/// A row SQLite could read, or why its contents are not a connector.
type RowResult = Result<ConnectorRow, StoreError>;

fn read_connector(row: &rusqlite::Row<'_>) -> rusqlite::Result<RowResult> {
    let auth: String = row.get(4)?;
    let header_names: String = row.get(5)?;
    let status: String = row.get(6)?;
    let Some(auth) = AuthKind::parse(&auth) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "unknown auth kind {auth:?}"
        ))));
    };
    let Some(status) = ConnectorStatus::parse(&status) else {
        return Ok(Err(StoreError::Corrupt(format!(
            "unknown status {status:?}"
        ))));
    };
    let header_names = match serde_json::from_str(&header_names) {
        Ok(names) => names,
        Err(error) => return Ok(Err(StoreError::Corrupt(format!("header names: {error}")))),
    };
    Ok(Ok(ConnectorRow {
        id: row.get(0)?,
        workspace_id: row.get(1)?,
        name: row.get(2)?,
        url: row.get(3)?,
        auth,
        header_names,
        status,
        last_checked_at: row.get(7)?,
        last_error: row.get(8)?,
        created_at: row.get(9)?,
        updated_at: row.get(10)?,
        revision: row.get(11)?,
        paused: row.get(12)?,
        network: crate::network::ConnectorNetwork::from_stored(
            row.get::<_, Option<String>>(13)?.as_deref(),
        ),
        muted: row.get(14)?,
    }))
}

#[cfg(test)]
mod private_files {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_database_and_its_journal_are_private_even_in_an_open_directory() -> Result<(), StoreError>
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().map_err(StoreError::Io)?;
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .map(|metadata| metadata.permissions().mode() & 0o777)
                .map_err(StoreError::Io)
        };
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(StoreError::Io)?;
        let path = dir.path().join("patchbay.db");
        // An older version's database, readable by everyone.
        std::fs::write(&path, b"").map_err(StoreError::Io)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
            .map_err(StoreError::Io)?;
        let store = Store::open(&path, "2026-01-01T00:00:00Z")?;
        store.insert_workspace("Private", None, "2026-01-01T00:00:00Z", "w-private")?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for file in [path.clone(), wal.into(), shm.into()] {
            assert_eq!(mode(&file)?, 0o600, "{}", file.display());
        }
        Ok(())
    }
}

#[cfg(test)]
mod opening {
    use super::*;

    /// Before, both read `user_version` 0 outside the write transaction and the second failed
    /// with "table ... already exists".
    #[test]
    fn two_processes_opening_a_new_data_directory_at_once_both_succeed() -> Result<(), StoreError> {
        for _ in 0..20 {
            let dir = tempfile::tempdir().map_err(StoreError::Io)?;
            let path = dir.path().join("patchbay.db");
            let opened: Vec<Result<usize, String>> = std::thread::scope(|scope| {
                let openers: Vec<_> = (0..2)
                    .map(|_| {
                        scope.spawn(|| {
                            Store::open(&path, "2026-01-01T00:00:00Z")
                                .and_then(|store| Ok(store.workspaces()?.len()))
                                .map_err(|error| error.to_string())
                        })
                    })
                    .collect();
                openers
                    .into_iter()
                    .map(|opener| opener.join().unwrap_or_else(|_| Err("panicked".into())))
                    .collect()
            });
            assert_eq!(
                opened,
                vec![Ok(1), Ok(1)],
                "one Default workspace, both opened"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod scrubbing {
    use super::*;

    /// The bytes of the database and its write-ahead log.
    fn on_disk(path: &Path) -> Result<Vec<u8>, StoreError> {
        let mut bytes = std::fs::read(path).map_err(StoreError::Io)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        match std::fs::read(&wal) {
            Ok(wal) => bytes.extend(wal),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(StoreError::Io(error)),
        }
        Ok(bytes)
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack
            .windows(needle.len())
            .any(|window| window == needle)
    }

    /// Checklist 44. Before, a deleted connector's ciphertext stayed in `-wal` while another
    /// process (the app) kept the database open: nothing emptied the log.
    #[test]
    fn deleted_and_replaced_secrets_leave_no_bytes_behind_while_another_process_is_open()
    -> Result<(), StoreError> {
        const NOW: &str = "2026-01-01T00:00:00Z";
        let dir = tempfile::tempdir().map_err(StoreError::Io)?;
        let path = dir.path().join("patchbay.db");
        let _app = Store::open(&path, NOW)?;
        let mut cli = Store::open(&path, NOW)?;
        let workspace = cli
            .workspaces()?
            .into_iter()
            .next()
            .ok_or(StoreError::Corrupt("no workspace".into()))?;
        let row = ConnectorRow::for_test("c1", &workspace.id, "Docs", NOW);
        let put = |ciphertext: &[u8]| {
            vec![SecretChange::Put {
                field: SecretField::Token,
                ciphertext: ciphertext.to_vec(),
            }]
        };
        let first = b"SNTL-first-ciphertext-4c1d".repeat(8);
        let second = b"SNTL-second-ciphertext-9e2a".repeat(8);
        let revision = cli.insert_connector(&row, put(&first))?;
        cli.save_connector(&ConnectorRow { revision, ..row }, put(&second))?;
        assert!(
            !contains(&on_disk(&path)?, &first),
            "the replaced ciphertext is gone"
        );
        assert!(
            contains(&on_disk(&path)?, &second),
            "the test sees ciphertexts"
        );
        cli.delete_connector("c1")?;
        assert!(
            !contains(&on_disk(&path)?, &second),
            "the deleted ciphertext is gone from the database and its log"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-01-01T00:00:00Z";

    #[test]
    fn migrations_reach_latest_and_are_idempotent() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let path = directory.path().join("patchbay.db");
        let store = Store::open(&path, NOW)?;
        assert_eq!(store.schema_version()?, MIGRATIONS.len());
        drop(store);
        let store = Store::open(&path, NOW)?;
        assert_eq!(
            store.schema_version()?,
            MIGRATIONS.len(),
            "reopening must not re-run"
        );
        assert_eq!(
            store.workspaces()?.len(),
            1,
            "exactly one Default workspace"
        );
        Ok(())
    }

    #[test]
    fn a_version_1_database_gains_the_step_up_columns_and_keeps_its_rows() -> Result<(), StoreError>
    {
        let directory = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let path = directory.path().join("patchbay.db");
        {
            let mut connection = Connection::open(&path)?;
            let transaction = connection.transaction()?;
            transaction.execute_batch(MIGRATIONS[0])?;
            transaction.pragma_update(None, "user_version", 1)?;
            transaction.execute(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'Default', ?1)",
                [NOW],
            )?;
            transaction.execute(
                "INSERT INTO connectors (id, workspace_id, name, url, auth, created_at, updated_at)
                 VALUES ('c', 'w', 'Docs', 'https://example.com/mcp', 'oauth', ?1, ?1)",
                [NOW],
            )?;
            transaction.commit()?;
        }
        let store = Store::open(&path, NOW)?;
        assert_eq!(store.schema_version()?, MIGRATIONS.len());
        let row = store.connector_by_id("c")?;
        assert_eq!(
            row.map(|row| row.name),
            Some("Docs".to_owned()),
            "the connector survives the migration"
        );
        assert_eq!(
            store.step_up("c")?,
            StepUp::default(),
            "an old connector has no step-up need"
        );
        let step_up = StepUp {
            needed: Some("files:write".into()),
            refused: Some("admin".into()),
        };
        store.set_step_up("c", &step_up)?;
        assert_eq!(store.step_up("c")?, step_up, "the need is kept");
        let row = store
            .connector_by_id("c")?
            .ok_or(StoreError::Corrupt("gone".into()))?;
        let mut store = store;
        store.save_connector(&row, Vec::new())?;
        assert_eq!(
            store.step_up("c")?,
            step_up,
            "saving the row leaves the step-up state alone"
        );
        Ok(())
    }

    #[test]
    fn refuses_newer_schema() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let path = directory.path().join("patchbay.db");
        drop(Store::open(&path, NOW)?);
        Connection::open(&path)?.pragma_update(None, "user_version", 99)?;
        assert!(
            matches!(
                Store::open(&path, NOW),
                Err(StoreError::TooNew { found: 99, .. })
            ),
            "a database from the future must not be touched"
        );
        Ok(())
    }

    #[test]
    fn pragmas_are_set() -> Result<(), StoreError> {
        let directory = tempfile::tempdir().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let store = Store::open(&directory.path().join("p.db"), NOW)?;
        let connection = store.connection();
        let journal: String = connection.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        let synchronous: i64 = connection.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
        let foreign_keys: i64 = connection.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
        let secure_delete: i64 = connection.query_row("PRAGMA secure_delete", [], |r| r.get(0))?;
        assert_eq!(
            (journal.as_str(), synchronous, foreign_keys, secure_delete),
            ("wal", 2, 1, 1)
        );
        Ok(())
    }
}
