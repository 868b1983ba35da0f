//! Checking connectors: a test a person asks for, the status monitor's rounds, and the sessions
//! that list and call tools. Every outcome is recorded on the connector as its status (step-up
//! needs included: see [`super::step_up`]); the store lock is never held across a request.

use std::time::Duration;

use super::ConnectorView;
use super::connectors::view;
use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::mcp::{self, Diagnosis, Endpoint, Session};
use crate::store::{CheckEntry, ConnectorRow, ConnectorStatus};

/// What a check records beside a stored secret that no longer decrypts.
const DAMAGED_SECRET: &str =
    "this connector's stored secret is damaged; enter it again (other connectors are unaffected)";

impl Patchbay {
    /// Diagnoses an endpoint and turns a failed diagnosis into an error.
    pub(super) async fn checked(&self, endpoint: &Endpoint) -> Result<Diagnosis, Error> {
        let diagnosis = mcp::diagnose(endpoint).await;
        if diagnosis.ok {
            Ok(diagnosis)
        } else {
            Err(Error::ConnectionFailed(Box::new(diagnosis)))
        }
    }

    pub(super) fn stored_endpoint(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<(ConnectorRow, Endpoint), Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            let endpoint = self.endpoint(&store, &row)?;
            Ok((row, endpoint))
        })
    }

    /// Tests a stored connector and records the outcome as its status (a recorded step-up need
    /// included: see [`Patchbay::step_up`]).
    pub async fn test_connector(&self, workspace: &str, name: &str) -> Result<Diagnosis, Error> {
        let (row, endpoint) = self.stored_endpoint(workspace, name)?;
        self.check_endpoint(&row, &endpoint).await
    }

    /// Records a check's outcome on the connector it was made with (if it still exists and was
    /// not changed meanwhile: see [`crate::store::Store::set_status`]).
    pub(super) fn record(&self, row: &ConnectorRow, diagnosis: &Diagnosis) -> Result<(), Error> {
        blocking(|| {
            let error =
                (!diagnosis.ok).then(|| format!("{} — {}", diagnosis.summary(), diagnosis.hint));
            self.store().set_status(
                &row.id,
                row.revision,
                &CheckEntry {
                    status: diagnosis.status(),
                    error: error.as_deref(),
                    checked_at: &now(),
                    latency_ms: Some(diagnosis.latency_ms),
                    tool_count: diagnosis.tool_count,
                },
            )?;
            Ok(())
        })
    }

    /// Every connector of every workspace (the status monitor checks them all).
    pub fn all_connectors(&self) -> Result<Vec<ConnectorView>, Error> {
        blocking(|| {
            let store = self.store();
            let mut all = Vec::new();
            for workspace in store.workspaces()? {
                for row in store.connectors(&workspace.id)? {
                    all.push(view(&store, &workspace, row)?);
                }
            }
            Ok(all)
        })
    }

    /// Checks one connector by id, within `limit` as a whole, and records the outcome (a check
    /// that did not finish as disconnected: [`Error::CheckTimedOut`]). `Ok(None)` if it was
    /// deleted.
    pub async fn check_by_id(&self, id: &str, limit: Duration) -> Result<Option<Diagnosis>, Error> {
        let stored = blocking(|| {
            let mut store = self.store();
            let Some(row) = store.connector_by_id(id)? else {
                return Ok(None);
            };
            match self.endpoint(&store, &row) {
                Ok(endpoint) => Ok(Some((row, endpoint))),
                Err(error @ Error::Vault(crate::vault::VaultError::Decrypt { .. })) => {
                    let message = format!("{error} — {DAMAGED_SECRET}");
                    store.set_status(
                        id,
                        row.revision,
                        &CheckEntry {
                            status: ConnectorStatus::Error,
                            error: Some(&message),
                            checked_at: &now(),
                            latency_ms: None,
                            tool_count: None,
                        },
                    )?;
                    Err(error)
                }
                Err(error) => Err(error),
            }
        })?;
        let Some((row, endpoint)) = stored else {
            return Ok(None);
        };
        match tokio::time::timeout(limit, self.check_endpoint(&row, &endpoint)).await {
            Ok(checked) => Ok(Some(checked?)),
            Err(_) => {
                let error = Error::CheckTimedOut {
                    seconds: limit.as_secs(),
                };
                let message = error.to_string();
                blocking(|| {
                    self.store().set_status(
                        id,
                        row.revision,
                        &CheckEntry {
                            status: ConnectorStatus::Disconnected,
                            error: Some(&message),
                            checked_at: &now(),
                            latency_ms: Some(limit.as_millis().try_into().unwrap_or(u64::MAX)),
                            tool_count: None,
                        },
                    )
                })?;
                Err(error)
            }
        }
    }

    /// An open MCP session with a stored connector, for listing and calling tools. A request it
    /// sends that the server refuses for lack of scope is recorded on the connector (its status,
    /// and the step-up need: see [`Patchbay::reauthentication`]).
    pub async fn session(&self, workspace: &str, name: &str) -> Result<Session, Error> {
        let (row, endpoint) = self.stored_endpoint(workspace, name)?;
        match Session::connect(&endpoint).await {
            Ok(session) => Ok(session.on_scope_refusal(self.scope_hook(&row, &endpoint))),
            Err(diagnosis) => {
                self.record(&row, &diagnosis)?;
                Err(Error::ConnectionFailed(Box::new(diagnosis)))
            }
        }
    }
}
