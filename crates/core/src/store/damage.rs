//! A damaged database (checklist 43): flipped bytes, a truncated file. SQLite recovers a torn
//! write-ahead log by itself (a deleted or mismatched `-wal` only loses frames it cannot trust,
//! and Patchbay empties the log after every secret change), but a damaged database file it can
//! only report. Opening runs `PRAGMA quick_check`; damage found then (or reported by SQLite as
//! corrupt or "not a database") moves the database and its `-wal`/`-shm` aside under a dated
//! name — never deleted, so a person or a recovery tool can still read them — and the open fails
//! with an error that says so. The next open starts with an empty database, so a damaged file
//! cannot make the app fail at every start. The keychain's master key is not touched.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::StoreError;

/// Why `error` means the database file itself is damaged.
pub(super) fn damage_of(error: &StoreError) -> Option<String> {
    match error {
        StoreError::Sqlite(error)
            if matches!(
                error.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
            ) =>
        {
            Some(error.to_string())
        }
        StoreError::Unsound(cause) => Some(cause.clone()),
        _ => None,
    }
}

/// `PRAGMA quick_check` (the structure of every page, without the slower index comparison).
/// Until it passes, closing the connection does not checkpoint: SQLite would otherwise copy a
/// damaging log into the database and delete the log on the way out, and the files set aside
/// would not be the ones that were found.
pub(super) fn check(connection: &Connection) -> Result<(), StoreError> {
    use rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE;
    connection.set_db_config(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    let findings: Vec<String> = connection
        .prepare("PRAGMA quick_check")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    match findings.as_slice() {
        [ok] if ok == "ok" => {
            connection.set_db_config(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)?;
            Ok(())
        }
        _ => Err(StoreError::Unsound(
            findings.into_iter().take(3).collect::<Vec<_>>().join("; "),
        )),
    }
}

/// Renames the database at `path` and its `-wal` and `-shm` files to
/// `<name>.damaged-<timestamp>[-wal|-shm]`; the error that reports it.
pub(super) fn set_aside(path: &Path, cause: String, now: &str) -> StoreError {
    let stamp: String = now.chars().filter(char::is_ascii_alphanumeric).collect();
    let aside = |suffix: &str| -> (PathBuf, PathBuf) {
        let mut from = path.as_os_str().to_owned();
        from.push(suffix);
        let mut to = path.as_os_str().to_owned();
        to.push(format!(".damaged-{stamp}{suffix}"));
        (PathBuf::from(from), PathBuf::from(to))
    };
    let (_, database_aside) = aside("");
    for suffix in ["", "-wal", "-shm"] {
        let (from, to) = aside(suffix);
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && !suffix.is_empty() => {}
            Err(error) => {
                return StoreError::Damaged {
                    cause,
                    path: path.display().to_string(),
                    aside: format!("nowhere: moving it aside failed ({error})"),
                };
            }
        }
    }
    tracing::error!(%cause, aside = %database_aside.display(), "the database was damaged");
    StoreError::Damaged {
        cause,
        path: path.display().to_string(),
        aside: database_aside.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SecretChange, SecretField, SecretOwner, Store, StoreError};
    use crate::store::ConnectorRow;

    const NOW: &str = "2026-12-07T04:00:00Z";

    /// A database with one connector and its token, closed.
    fn written(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("patchbay.db");
        let mut store = Store::open(&path, NOW).unwrap();
        let workspace = store.workspaces().unwrap().remove(0);
        // Enough rows that the file has pages beyond the schema's.
        for index in 0..40 {
            let row = ConnectorRow::for_test(
                &format!("c{index}"),
                &workspace.id,
                &format!("Connector {index}"),
                NOW,
            );
            let token = SecretChange::Put {
                field: SecretField::Token,
                ciphertext: vec![7; 200],
            };
            store.insert_connector(&row, vec![token]).unwrap();
        }
        drop(store);
        path
    }

    fn damaged(path: &std::path::Path, harm: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut bytes = std::fs::read(path).unwrap();
        harm(&mut bytes);
        std::fs::write(path, &bytes).unwrap();
        bytes
    }

    fn set_aside_files(dir: &std::path::Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.contains(".damaged-"))
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_damaged_database_is_moved_aside_with_a_clear_error_and_the_next_open_starts_afresh() {
        type Harm = fn(&mut Vec<u8>);
        let cases: [(&str, Harm); 3] = [
            ("the header's magic string", |bytes| bytes[0..16].fill(0x55)),
            ("a b-tree page's header", |bytes| {
                // Page 2 onwards hold tables; scribble over the first bytes of several pages.
                for page in 1..bytes.len() / 4096 {
                    bytes[page * 4096..page * 4096 + 12].fill(0xA5);
                }
            }),
            ("a truncated file", |bytes| {
                bytes.truncate(bytes.len() / 2 + 100)
            }),
        ];
        for (case, harm) in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = written(dir.path());
            let original = damaged(&path, harm);
            let error = Store::open(&path, NOW).err();
            let Some(StoreError::Damaged { aside, .. }) = &error else {
                panic!("{case}: expected a damaged-database error, got {error:?}");
            };
            let message = error.as_ref().map(ToString::to_string).unwrap_or_default();
            assert!(
                message.contains("damaged") && message.contains(aside.as_str()),
                "{case}: {message}"
            );
            assert_eq!(
                std::fs::read(aside).unwrap(),
                original,
                "{case}: the damaged file is kept as it was"
            );
            assert_eq!(
                set_aside_files(dir.path()).first().map(String::as_str),
                std::path::Path::new(aside)
                    .file_name()
                    .and_then(|n| n.to_str()),
                "{case}"
            );
            // No crash loop: the next start opens an empty database.
            let store = Store::open(&path, NOW).unwrap();
            let workspace = store.workspaces().unwrap().remove(0);
            assert!(
                store.connectors(&workspace.id).unwrap().is_empty(),
                "{case}"
            );
        }
    }

    #[test]
    fn a_deleted_write_ahead_log_loses_nothing_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path());
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let _ = std::fs::remove_file(&wal);
        let store = Store::open(&path, NOW).unwrap();
        let workspace = store.workspaces().unwrap().remove(0);
        assert_eq!(store.connectors(&workspace.id).unwrap().len(), 40);
        assert!(
            store
                .secret(SecretOwner::Connector("c39"), &SecretField::Token)
                .unwrap()
                .is_some(),
            "the last committed secret is there (the log is emptied after each secret change)"
        );
        assert!(set_aside_files(dir.path()).is_empty(), "nothing set aside");
    }

    /// Another database's log beside this one: SQLite cannot tell whose log it is and applies
    /// its frames, which damages the pages they land on; that is found, and both files are kept.
    #[test]
    fn a_mismatched_write_ahead_log_is_found_and_both_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path());
        let other_dir = tempfile::tempdir().unwrap();
        let other_path = other_dir.path().join("patchbay.db");
        let other = Store::open(&other_path, NOW).unwrap();
        other
            .connection()
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0; CREATE TABLE scratch (x); \
                 INSERT INTO scratch VALUES (1);",
            )
            .unwrap();
        let mut other_wal = other_path.as_os_str().to_owned();
        other_wal.push("-wal");
        let foreign = std::fs::read(&other_wal).unwrap();
        assert!(!foreign.is_empty(), "the foreign log has frames");
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        std::fs::write(&wal, &foreign).unwrap();
        let database = std::fs::read(&path).unwrap();

        let error = Store::open(&path, NOW).err();
        assert!(
            matches!(error, Some(StoreError::Damaged { .. })),
            "{error:?}"
        );
        let aside = set_aside_files(dir.path());
        assert_eq!(aside.len(), 3, "the database, its log and index: {aside:?}");
        let kept = |suffix: &str| {
            let name = aside.iter().find(|name| name.ends_with(suffix)).unwrap();
            std::fs::read(dir.path().join(name)).unwrap()
        };
        assert_eq!(kept("-wal"), foreign);
        assert_eq!(kept("Z"), database);
        assert!(
            Store::open(&path, NOW).is_ok(),
            "the next start opens afresh"
        );
    }
}
