//! Checking connectors: a test a person asks for, the status monitor's rounds, and the sessions
//! that list and call tools. Every outcome is recorded on the connector as its status (step-up
//! needs included: see [`super::step_up`]); the store lock is never held across a request.

use super::ConnectorView;
use super::connectors::view;
use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::mcp::{self, Diagnosis, Endpoint, Session};
use crate::store::{ConnectorRow, ConnectorStatus};

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
        self.check_endpoint(&row.id, &endpoint).await
    }

    /// Records a check's outcome on the connector with this id (if it still exists).
    pub fn record(&self, connector_id: &str, diagnosis: &Diagnosis) -> Result<(), Error> {
        blocking(|| {
            let error =
                (!diagnosis.ok).then(|| format!("{} — {}", diagnosis.summary(), diagnosis.hint));
            self.store()
                .set_status(connector_id, diagnosis.status(), error.as_deref(), &now())?;
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

    /// Checks one connector by id and records the outcome. `Ok(None)` if it was deleted.
    pub async fn check_by_id(&self, id: &str) -> Result<Option<Diagnosis>, Error> {
        let endpoint = blocking(|| {
            let store = self.store();
            let Some(row) = store.connector_by_id(id)? else {
                return Ok(None);
            };
            match self.endpoint(&store, &row) {
                Ok(endpoint) => Ok(Some(endpoint)),
                Err(error @ Error::Vault(crate::vault::VaultError::Decrypt { .. })) => {
                    let message = format!("{error} — {DAMAGED_SECRET}");
                    store.set_status(id, ConnectorStatus::Error, Some(&message), &now())?;
                    Err(error)
                }
                Err(error) => Err(error),
            }
        })?;
        let Some(endpoint) = endpoint else {
            return Ok(None);
        };
        Ok(Some(self.check_endpoint(id, &endpoint).await?))
    }

    /// Records a failure that produced no diagnosis (e.g. a check that timed out as a whole).
    pub fn record_failure(
        &self,
        connector_id: &str,
        status: ConnectorStatus,
        message: &str,
    ) -> Result<(), Error> {
        blocking(|| {
            self.store()
                .set_status(connector_id, status, Some(message), &now())?;
            Ok(())
        })
    }

    /// An open MCP session with a stored connector, for listing and calling tools. A request it
    /// sends that the server refuses for lack of scope is recorded on the connector (its status,
    /// and the step-up need: see [`Patchbay::reauthentication`]).
    pub async fn session(&self, workspace: &str, name: &str) -> Result<Session, Error> {
        let (row, endpoint) = self.stored_endpoint(workspace, name)?;
        match Session::connect(&endpoint).await {
            Ok(session) => Ok(session.on_scope_refusal(self.scope_hook(&row.id, &endpoint))),
            Err(diagnosis) => {
                self.record(&row.id, &diagnosis)?;
                Err(Error::ConnectionFailed(Box::new(diagnosis)))
            }
        }
    }
}
