//! Rows for the connector workbench: each connector's recent checks (written with its status,
//! in one transaction, and kept to the last [`CHECK_HISTORY_LIMIT`]), the tools a person
//! switched off per connector, and the paused flag. None of it is secret: check details are the
//! same redacted texts a connector's last error holds.

use std::collections::HashMap;

use rusqlite::params;

use super::{ConnectorStatus, SecretField, SecretOwner, Store, StoreError};

/// How many checks a connector keeps; older ones are deleted as new ones arrive.
pub const CHECK_HISTORY_LIMIT: usize = 50;

/// One check's outcome, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct CheckEntry<'a> {
    pub status: ConnectorStatus,
    /// What went wrong (redacted), `None` when the check passed.
    pub error: Option<&'a str>,
    pub checked_at: &'a str,
    /// How long the check took, when it got as far as timing one.
    pub latency_ms: Option<u64>,
    /// How many tools the server listed, when it listed them.
    pub tool_count: Option<u32>,
}

/// What a connector list shows beside a connector's row ([`Store::row_extras`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowExtras {
    pub token_set: bool,
    pub tool_count: Option<u32>,
    /// Newest first.
    pub recent: Vec<CheckRow>,
}

/// A check as read: checked at, status, latency, tool count, detail.
type StoredCheck = (String, String, Option<i64>, Option<i64>, Option<String>);

fn check_row(
    (checked_at, status, latency_ms, tool_count, detail): StoredCheck,
) -> Result<CheckRow, StoreError> {
    let status = ConnectorStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown status {status:?}")))?;
    Ok(CheckRow {
        checked_at,
        status,
        latency_ms: latency_ms.and_then(|ms| u64::try_from(ms).ok()),
        tool_count: tool_count.and_then(|count| u32::try_from(count).ok()),
        detail,
    })
}

/// A recorded check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    pub checked_at: String,
    pub status: ConnectorStatus,
    pub latency_ms: Option<u64>,
    pub tool_count: Option<u32>,
    pub detail: Option<String>,
}

impl Store {
    /// Records a check's outcome on the connector `id` if it is still at `revision`, the row
    /// the check was made with: a check that was running while the connector was edited, signed
    /// in again or had its credentials forgotten describes a connector that is gone, and its
    /// outcome is dropped (returns false). Status writes do not bump the revision. A recorded
    /// outcome is added to the connector's history in the same transaction.
    pub fn set_status(
        &mut self,
        id: &str,
        revision: i64,
        entry: &CheckEntry<'_>,
    ) -> Result<bool, StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let written = transaction.execute(
            "UPDATE connectors SET status = ?3, last_error = ?4, last_checked_at = ?5
             WHERE id = ?1 AND revision = ?2",
            params![
                id,
                revision,
                entry.status.as_str(),
                entry.error,
                entry.checked_at
            ],
        )?;
        if written != 1 {
            return Ok(false);
        }
        transaction.execute(
            "INSERT INTO check_history (connector_id, checked_at, status, latency_ms, tool_count,
                                        detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                entry.checked_at,
                entry.status.as_str(),
                entry.latency_ms.and_then(|ms| i64::try_from(ms).ok()),
                entry.tool_count,
                entry.error
            ],
        )?;
        transaction.execute(
            "DELETE FROM check_history WHERE connector_id = ?1 AND id NOT IN
                (SELECT id FROM check_history WHERE connector_id = ?1 ORDER BY id DESC LIMIT ?2)",
            params![id, i64::try_from(CHECK_HISTORY_LIMIT).unwrap_or(i64::MAX)],
        )?;
        transaction.commit()?;
        Ok(true)
    }

    /// A connector's last `limit` checks, newest first.
    pub fn check_history(
        &self,
        connector_id: &str,
        limit: usize,
    ) -> Result<Vec<CheckRow>, StoreError> {
        let mut statement = self.connection.prepare(
            "SELECT checked_at, status, latency_ms, tool_count, detail FROM check_history
             WHERE connector_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(
            params![connector_id, i64::try_from(limit).unwrap_or(i64::MAX)],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                ))
            },
        )?;
        rows.map(|row| check_row(row?)).collect()
    }

    /// What a list of a workspace's connectors shows beside each row — whether a token is
    /// stored, the last tool count, the `recent` newest checks — for every connector at once, in
    /// three queries (per connector, 10,000 connectors took 30,000 queries and 200 ms to list;
    /// `cargo xtask bench`, P8). Connectors without any are absent from the map.
    pub fn row_extras(
        &self,
        workspace_id: &str,
        recent: usize,
    ) -> Result<HashMap<String, RowExtras>, StoreError> {
        let mut extras: HashMap<String, RowExtras> = HashMap::new();
        let mut tokens = self.connection.prepare_cached(
            "SELECT owner_id FROM secrets
             WHERE workspace_id = ?1 AND owner_kind = ?2 AND field = ?3",
        )?;
        let owners = tokens.query_map(
            params![
                workspace_id,
                SecretOwner::Connector("").kind(),
                SecretField::Token.as_stored()
            ],
            |row| row.get::<_, String>(0),
        )?;
        for owner in owners {
            extras.entry(owner?).or_default().token_set = true;
        }
        let mut counts = self.connection.prepare_cached(
            "SELECT history.connector_id, history.tool_count FROM check_history AS history
             JOIN (SELECT MAX(check_history.id) AS id FROM check_history
                   JOIN connectors ON connectors.id = check_history.connector_id
                   WHERE connectors.workspace_id = ?1 AND check_history.tool_count IS NOT NULL
                   GROUP BY check_history.connector_id) AS latest
             ON history.id = latest.id",
        )?;
        let rows = counts.query_map([workspace_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (connector, count) = row?;
            extras.entry(connector).or_default().tool_count = u32::try_from(count).ok();
        }
        let mut checks = self.connection.prepare_cached(
            "SELECT connector_id, checked_at, status, latency_ms, tool_count, detail FROM (
                 SELECT check_history.*, ROW_NUMBER() OVER (
                     PARTITION BY check_history.connector_id ORDER BY check_history.id DESC
                 ) AS newest
                 FROM check_history
                 JOIN connectors ON connectors.id = check_history.connector_id
                 WHERE connectors.workspace_id = ?1)
             WHERE newest <= ?2 ORDER BY connector_id, newest",
        )?;
        let rows = checks.query_map(
            params![workspace_id, i64::try_from(recent).unwrap_or(i64::MAX)],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    (
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<i64>>(3)?,
                        row.get::<_, Option<i64>>(4)?,
                        row.get::<_, Option<String>>(5)?,
                    ),
                ))
            },
        )?;
        for row in rows {
            let (connector, check) = row?;
            extras
                .entry(connector)
                .or_default()
                .recent
                .push(check_row(check)?);
        }
        Ok(extras)
    }

    /// The tool count of the connector's last check that listed tools.
    pub fn last_tool_count(&self, connector_id: &str) -> Result<Option<u32>, StoreError> {
        use rusqlite::OptionalExtension;
        let count: Option<i64> = self
            .connection
            .query_row(
                "SELECT tool_count FROM check_history
                 WHERE connector_id = ?1 AND tool_count IS NOT NULL ORDER BY id DESC LIMIT 1",
                [connector_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(count.and_then(|count| u32::try_from(count).ok()))
    }

    /// Pauses or resumes a connector. Not a revision of the row: a check or an edit in flight
    /// is not refused for it. Returns false when there is no such connector.
    pub fn set_paused(&self, id: &str, paused: bool) -> Result<bool, StoreError> {
        let written = self.connection.execute(
            "UPDATE connectors SET paused = ?2 WHERE id = ?1",
            params![id, paused],
        )?;
        Ok(written == 1)
    }

    /// Switches a connector's notifications off (`muted`) or on; `false` if it is gone.
    pub fn set_muted(&self, id: &str, muted: bool) -> Result<bool, StoreError> {
        let written = self.connection.execute(
            "UPDATE connectors SET muted = ?2 WHERE id = ?1",
            params![id, muted],
        )?;
        Ok(written == 1)
    }

    /// The tools switched off for a connector, by name.
    pub fn disabled_tools(&self, connector_id: &str) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT tool FROM disabled_tools WHERE connector_id = ?1 ORDER BY tool")?;
        let rows = statement.query_map([connector_id], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Switches `tools` of a connector on or off (idempotent).
    pub fn set_tools_enabled(
        &mut self,
        connector_id: &str,
        tools: &[String],
        enabled: bool,
        now: &str,
    ) -> Result<(), StoreError> {
        let transaction = self.connection.transaction()?;
        for tool in tools {
            if enabled {
                transaction.execute(
                    "DELETE FROM disabled_tools WHERE connector_id = ?1 AND tool = ?2",
                    params![connector_id, tool],
                )?;
            } else {
                transaction.execute(
                    "INSERT OR IGNORE INTO disabled_tools (connector_id, tool, created_at)
                     VALUES (?1, ?2, ?3)",
                    params![connector_id, tool, now],
                )?;
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Copies one connector's switched-off tools to another (a duplicate keeps them).
    pub fn copy_disabled_tools(&self, from: &str, to: &str, now: &str) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT OR IGNORE INTO disabled_tools (connector_id, tool, created_at)
             SELECT ?2, tool, ?3 FROM disabled_tools WHERE connector_id = ?1",
            params![from, to, now],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ConnectorRow;

    const NOW: &str = "2026-12-07T00:00:00Z";

    fn store_with_connector() -> Result<Store, StoreError> {
        let mut store = Store::open_in_memory(NOW)?;
        let workspace = store.workspaces()?.remove(0);
        store.insert_connector(
            &ConnectorRow::for_test("c1", &workspace.id, "one", NOW),
            vec![],
        )?;
        Ok(store)
    }

    fn entry(status: ConnectorStatus, at: &str) -> CheckEntry<'_> {
        CheckEntry {
            status,
            error: None,
            checked_at: at,
            latency_ms: Some(12),
            tool_count: Some(3),
        }
    }

    #[test]
    fn the_history_keeps_the_newest_checks_and_goes_with_its_connector() -> Result<(), StoreError> {
        let mut store = store_with_connector()?;
        let stamps: Vec<String> = (0..CHECK_HISTORY_LIMIT + 7)
            .map(|i| format!("2026-12-07T00:{:02}:{:02}Z", i / 60, i % 60))
            .collect();
        for stamp in &stamps {
            assert!(store.set_status("c1", 0, &entry(ConnectorStatus::Connected, stamp))?);
        }
        let history = store.check_history("c1", 1000)?;
        assert_eq!(history.len(), CHECK_HISTORY_LIMIT);
        assert_eq!(history[0].checked_at, stamps[stamps.len() - 1]);
        assert_eq!(history[CHECK_HISTORY_LIMIT - 1].checked_at, stamps[7]);
        assert_eq!(store.last_tool_count("c1")?, Some(3));
        // A check of an older revision is not recorded, in the status nor the history.
        assert!(!store.set_status("c1", 5, &entry(ConnectorStatus::Error, NOW))?);
        assert_eq!(
            store.check_history("c1", 1)?[0].status,
            ConnectorStatus::Connected
        );
        store.delete_connector("c1")?;
        let left: i64 =
            store
                .connection()
                .query_row("SELECT COUNT(*) FROM check_history", [], |row| row.get(0))?;
        assert_eq!(left, 0);
        Ok(())
    }

    #[test]
    fn the_whole_lists_extras_are_what_each_connector_reads_alone() -> Result<(), StoreError> {
        let mut store = store_with_connector()?;
        let workspace = store.workspaces()?.remove(0);
        store.insert_connector(
            &ConnectorRow::for_test("c2", &workspace.id, "two", NOW),
            vec![crate::store::SecretChange::Put {
                field: SecretField::Token,
                ciphertext: vec![1, 2, 3],
            }],
        )?;
        store.insert_connector(
            &ConnectorRow::for_test("c3", &workspace.id, "three", NOW),
            vec![],
        )?;
        for (i, connector) in ["c1", "c2", "c1", "c2", "c1"].iter().enumerate() {
            let stamp = format!("2026-12-07T00:00:0{i}Z");
            let mut check = entry(ConnectorStatus::Connected, &stamp);
            check.tool_count = (i < 3).then_some(i as u32);
            assert!(store.set_status(connector, 0, &check)?);
        }
        let extras = store.row_extras(&workspace.id, 2)?;
        for id in ["c1", "c2", "c3"] {
            let alone = RowExtras {
                token_set: store
                    .secret_fields(SecretOwner::Connector(id))?
                    .contains(&SecretField::Token),
                tool_count: store.last_tool_count(id)?,
                recent: store.check_history(id, 2)?,
            };
            assert_eq!(extras.get(id).cloned().unwrap_or_default(), alone, "{id}");
        }
        assert_eq!(extras.get("c1").map(|e| e.tool_count), Some(Some(2)));
        assert!(!extras.contains_key("c3"));
        Ok(())
    }

    #[test]
    fn disabled_tools_and_the_paused_flag_are_kept_per_connector() -> Result<(), StoreError> {
        let mut store = store_with_connector()?;
        let tools = vec!["echo".to_owned(), "get-sum".to_owned()];
        store.set_tools_enabled("c1", &tools, false, NOW)?;
        store.set_tools_enabled("c1", &tools[..1], false, NOW)?;
        assert_eq!(store.disabled_tools("c1")?, tools);
        store.set_tools_enabled("c1", &tools[1..], true, NOW)?;
        assert_eq!(store.disabled_tools("c1")?, vec!["echo".to_owned()]);
        assert!(store.set_paused("c1", true)?);
        let row = store.connector_by_id("c1")?.ok_or(StoreError::Changed)?;
        assert!(row.paused);
        // Pausing is not a revision: an edit made from the row read before still saves.
        assert_eq!(row.revision, 0);
        assert!(!store.set_paused("nobody", true)?);
        Ok(())
    }
}
