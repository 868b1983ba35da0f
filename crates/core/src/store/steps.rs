//! Rows for LLM steps: saved step definitions (JSON text the facade reads and writes), runs
//! (summary columns plus the sealed transcript, which only the vault opens), and the tools a
//! person allowed "always". Policy — what a definition means, who may run what — is the
//! facade's.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A saved step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRow {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    /// The step's settings as JSON (no secrets).
    pub definition: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A finished run as lists show it; the transcript stays sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub id: String,
    pub workspace_id: String,
    pub step_name: Option<String>,
    pub provider: String,
    pub model: String,
    /// The outcome's kind (`answered`, `max_rounds`, `cancelled`, `failed`, …).
    pub outcome: String,
    pub started_at: String,
    pub duration_ms: u64,
    pub rounds: u32,
    pub tool_calls: u32,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A tool a person allowed always, for one connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub connector_id: String,
    pub tool: String,
    pub created_at: String,
}

const STEP_COLUMNS: &str = "id, workspace_id, name, definition, created_at, updated_at";
const RUN_COLUMNS: &str = "id, workspace_id, step_name, provider, model, outcome, started_at, \
                           duration_ms, rounds, tool_calls, input_tokens, output_tokens";

fn read_step(row: &rusqlite::Row<'_>) -> rusqlite::Result<StepRow> {
    Ok(StepRow {
        id: row.get(0)?,
        workspace_id: row.get(1)?,
        name: row.get(2)?,
        definition: row.get(3)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

fn read_run(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let number = |index: usize| -> rusqlite::Result<u64> {
        Ok(u64::try_from(row.get::<_, i64>(index)?).unwrap_or(0))
    };
    Ok(RunRow {
        id: row.get(0)?,
        workspace_id: row.get(1)?,
        step_name: row.get(2)?,
        provider: row.get(3)?,
        model: row.get(4)?,
        outcome: row.get(5)?,
        started_at: row.get(6)?,
        duration_ms: number(7)?,
        rounds: u32::try_from(number(8)?).unwrap_or(u32::MAX),
        tool_calls: u32::try_from(number(9)?).unwrap_or(u32::MAX),
        input_tokens: number(10)?,
        output_tokens: number(11)?,
    })
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    pub fn steps(&self, workspace_id: &str) -> Result<Vec<StepRow>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {STEP_COLUMNS} FROM steps WHERE workspace_id = ?1 ORDER BY name"
        ))?;
        let rows = statement.query_map([workspace_id], read_step)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn step_by_name(
        &self,
        workspace_id: &str,
        name: &str,
    ) -> Result<Option<StepRow>, StoreError> {
        Ok(self
            .connection
            .query_row(
                &format!("SELECT {STEP_COLUMNS} FROM steps WHERE workspace_id = ?1 AND name = ?2"),
                params![workspace_id, name],
                read_step,
            )
            .optional()?)
    }

    /// Inserts or replaces (by id) a step.
    pub fn save_step(&self, step: &StepRow) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO steps (id, workspace_id, name, definition, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name,
                definition = excluded.definition, updated_at = excluded.updated_at",
            params![
                step.id,
                step.workspace_id,
                step.name,
                step.definition,
                step.created_at,
                step.updated_at
            ],
        )?;
        Ok(())
    }

    pub fn delete_step(&self, id: &str) -> Result<(), StoreError> {
        self.connection
            .execute("DELETE FROM steps WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Saves a finished run with its sealed transcript.
    pub fn insert_run(&self, run: &RunRow, transcript: &[u8]) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO runs (id, workspace_id, step_name, provider, model, outcome, started_at,
                               duration_ms, rounds, tool_calls, input_tokens, output_tokens,
                               transcript)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                run.id,
                run.workspace_id,
                run.step_name,
                run.provider,
                run.model,
                run.outcome,
                run.started_at,
                signed(run.duration_ms),
                i64::from(run.rounds),
                i64::from(run.tool_calls),
                signed(run.input_tokens),
                signed(run.output_tokens),
                transcript
            ],
        )?;
        super::key_usage::count_seals(&self.connection, &run.workspace_id, 1)?;
        Ok(())
    }

    /// A workspace's runs, newest first; only those of `step` when given.
    pub fn runs(
        &self,
        workspace_id: &str,
        step: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RunRow>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {RUN_COLUMNS} FROM runs
             WHERE workspace_id = ?1 AND (?2 IS NULL OR step_name = ?2 COLLATE NOCASE)
             ORDER BY started_at DESC, rowid DESC LIMIT ?3"
        ))?;
        let rows = statement.query_map(
            params![workspace_id, step, i64::try_from(limit).unwrap_or(i64::MAX)],
            read_run,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A run and its sealed transcript; ids may be given by a unique prefix (as people copy
    /// them from a list).
    pub fn run(
        &self,
        workspace_id: &str,
        id: &str,
    ) -> Result<Option<(RunRow, Vec<u8>)>, StoreError> {
        let mut statement = self.connection.prepare(&format!(
            "SELECT {RUN_COLUMNS}, transcript FROM runs
             WHERE workspace_id = ?1 AND id LIKE ?2 || '%' ESCAPE '\\' LIMIT 2"
        ))?;
        let escaped = id
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let mut found = statement
            .query_map(params![workspace_id, escaped], |row| {
                Ok((read_run(row)?, row.get::<_, Vec<u8>>(12)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(if found.len() == 1 { found.pop() } else { None })
    }

    pub fn approvals(&self, workspace_id: &str) -> Result<Vec<ApprovalRow>, StoreError> {
        let mut statement = self.connection.prepare(
            "SELECT connector_id, tool, created_at FROM tool_approvals
             WHERE workspace_id = ?1 ORDER BY connector_id, tool",
        )?;
        let rows = statement.query_map([workspace_id], |row| {
            Ok(ApprovalRow {
                connector_id: row.get(0)?,
                tool: row.get(1)?,
                created_at: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn allow_always(
        &self,
        workspace_id: &str,
        connector_id: &str,
        tool: &str,
        now: &str,
    ) -> Result<(), StoreError> {
        self.connection.execute(
            "INSERT INTO tool_approvals (workspace_id, connector_id, tool, created_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (connector_id, tool) DO NOTHING",
            params![workspace_id, connector_id, tool, now],
        )?;
        Ok(())
    }

    /// Revokes an "always"; true if there was one.
    pub fn revoke_always(&self, connector_id: &str, tool: &str) -> Result<bool, StoreError> {
        Ok(self.connection.execute(
            "DELETE FROM tool_approvals WHERE connector_id = ?1 AND tool = ?2",
            params![connector_id, tool],
        )? > 0)
    }
}
