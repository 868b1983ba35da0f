//! The facade's side of step-up authorization ([`crate::oauth::step_up`]): recording on the
//! connector what a `403 insufficient_scope` means — met by a session (tools, calls) or by a
//! check (test, status monitor) — and what signing in again must ask for.
//!
//! A refusal that signing in again may cure sets the connector to needs-authentication and adds
//! the scope to its recorded need, which later checks keep showing (listing tools may work while
//! one tool does not) until a new grant is saved. One that it cannot cure (asked for before and
//! not granted, or not an OAuth sign-in) sets it to error with the reason. The store lock is held
//! only for the synchronous reads and writes, never across a request.

use std::sync::{Arc, Mutex, PoisonError};

use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::mcp::{self, Diagnosis, Endpoint, OAuthCredentials, ScopeRefusalHook};
use crate::oauth::Grant;
use crate::oauth::step_up::{self as scopes, Reauthentication, Verdict};
use crate::store::{
    CheckEntry, ConnectorRow, ConnectorStatus, SecretField, StepUp, Store, StoreError,
};

/// A connector's step-up state as lists of scopes, for Re-authenticate to say what it will ask
/// for beyond the grant.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepUpView {
    /// Scopes a server refused a request for (`403 insufficient_scope`) that the grant lacks;
    /// Re-authenticate asks for them too.
    pub needed: Vec<String>,
    /// Scopes the last re-authentication asked for that the server did not grant. Patchbay
    /// does not ask for them by itself again; Re-authenticate, chosen on purpose, does.
    pub refused: Vec<String>,
}

impl Patchbay {
    /// [`Patchbay::step_up`] as lists of scopes. Reads only the store, not the sealed grant.
    pub fn step_up_view(&self, workspace: &str, name: &str) -> Result<StepUpView, Error> {
        let step_up = self.step_up(workspace, name)?;
        Ok(StepUpView {
            needed: scopes::scopes(step_up.needed.as_deref().unwrap_or_default()),
            refused: scopes::scopes(step_up.refused.as_deref().unwrap_or_default()),
        })
    }

    /// A connector's step-up state: the scopes a server refused a request for that its grant
    /// lacks (re-authentication asks for them), and those the server did not grant when last
    /// asked.
    pub fn step_up(&self, workspace: &str, name: &str) -> Result<StepUp, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            Ok(store.step_up(&row.id)?)
        })
    }

    /// What signing in again to an OAuth connector needs: its URL, its stored client
    /// registration, and the scopes to ask for when a step-up is due (the union of the grant's
    /// scopes and the recorded need). Run the sign-in with [`crate::oauth::reauthenticate`] (or
    /// [`crate::oauth::sign_in::reauthenticate`]), then save it with [`Patchbay::sign_in`].
    pub fn reauthentication(&self, workspace: &str, name: &str) -> Result<Reauthentication, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            let server_url = self.connector_url(&store, &row)?;
            let grant = self.readable_grant(&store, &row)?;
            let previous = grant.as_ref().and_then(|grant| {
                grant.registration().unwrap_or_else(|error| {
                    tracing::warn!(%error, "the stored client registration is unreadable; registering afresh");
                    None
                })
            });
            let step_up = store.step_up(&row.id)?;
            let extra = scopes::union(
                &scopes::scopes(step_up.needed.as_deref().unwrap_or_default()),
                step_up.refused.as_deref().unwrap_or_default(),
            );
            let required = (!extra.is_empty()).then(|| extra.join(" "));
            let scopes = match &required {
                Some(required) => scopes::union(
                    &grant.as_ref().map(scopes::granted).unwrap_or_default(),
                    required,
                ),
                None => Vec::new(),
            };
            Ok(Reauthentication {
                server_url,
                previous,
                required,
                scopes,
            })
        })
    }

    /// How a refusal that named `required` is judged for this connector (a front end's words
    /// after a failed call; the session has recorded it already).
    pub fn scope_verdict(
        &self,
        workspace: &str,
        name: &str,
        required: Option<&str>,
    ) -> Result<Verdict, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            let grant = self.readable_grant(&store, &row)?;
            let refused = store.step_up(&row.id)?.refused;
            Ok(Verdict::judge(required, grant.as_ref(), refused.as_deref()))
        })
    }

    /// A connector's OAuth grant; `None` when it has none or it cannot be decrypted (signing
    /// in again must work even when the old grant is damaged).
    pub(super) fn readable_grant(
        &self,
        store: &Store,
        row: &ConnectorRow,
    ) -> Result<Option<Grant>, Error> {
        match self.unsealed(store, row, &SecretField::OAuth) {
            Ok(secret) => Ok(secret.map(Grant)),
            Err(error @ Error::Vault(crate::vault::VaultError::Decrypt { .. })) => {
                tracing::warn!(%error, "the stored sign-in is unreadable; signing in afresh");
                Ok(None)
            }
            Err(error) => Err(error),
        }
    }

    /// Records each scope refusal a session of this connector meets.
    pub(super) fn scope_hook(&self, row: &ConnectorRow, endpoint: &Endpoint) -> ScopeRefusalHook {
        let store = self.store.clone();
        let connector = (row.id.clone(), row.revision);
        let oauth = endpoint.oauth.clone();
        Arc::new(move |required| {
            let grant = oauth.as_ref().map(OAuthCredentials::grant);
            let (id, revision) = (&connector.0, connector.1);
            match blocking(|| record_refusal(&store, id, revision, required, grant.as_ref())) {
                Ok(verdict) => tracing::info!(?verdict, "a request was refused for lack of scope"),
                Err(error) => tracing::warn!(%error, "recording a refusal for lack of scope"),
            }
        })
    }

    /// Diagnoses a stored connector and records the outcome, step-up included: a refusal to
    /// list tools is judged and recorded, and a recorded need outlives a check that passes.
    pub(super) async fn check_endpoint(
        &self,
        row: &ConnectorRow,
        endpoint: &Endpoint,
    ) -> Result<Diagnosis, Error> {
        let connector_id = row.id.as_str();
        let (mut diagnosis, refusal) = mcp::diagnose_detailed(endpoint).await;
        let verdict = match refusal {
            Some(required) => {
                let grant = endpoint.oauth.as_ref().map(OAuthCredentials::grant);
                Some(blocking(|| {
                    record_refusal(
                        &self.store,
                        connector_id,
                        row.revision,
                        required.as_deref(),
                        grant.as_ref(),
                    )
                })?)
            }
            None if diagnosis.ok => blocking(|| -> Result<_, Error> {
                let mut store = self.store();
                Ok(match store.step_up(connector_id)?.needed {
                    Some(required) => {
                        let verdict = Verdict::SignInAgain { required };
                        store.set_status(
                            connector_id,
                            row.revision,
                            &CheckEntry {
                                status: ConnectorStatus::NeedsAuth,
                                error: Some(&verdict.message()),
                                checked_at: &now(),
                                latency_ms: Some(diagnosis.latency_ms),
                                tool_count: diagnosis.tool_count,
                            },
                        )?;
                        Some(verdict)
                    }
                    None => None,
                })
            })?,
            None => None,
        };
        match verdict {
            Some(verdict) => diagnosis.scope_refused(&verdict),
            None => self.record(row, &diagnosis)?,
        }
        Ok(diagnosis)
    }
}

/// Judges a refusal for lack of scope and records it on the connector: its status and message,
/// and, when signing in again may help, the scope added to its need.
fn record_refusal(
    store: &Mutex<Store>,
    connector_id: &str,
    revision: i64,
    required: Option<&str>,
    grant: Option<&Grant>,
) -> Result<Verdict, StoreError> {
    let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
    let mut step_up = store.step_up(connector_id)?;
    let verdict = Verdict::judge(required, grant, step_up.refused.as_deref());
    if let Verdict::SignInAgain { required } = &verdict {
        let needed = scopes::scopes(step_up.needed.as_deref().unwrap_or_default());
        step_up.needed = Some(scopes::union(&needed, required).join(" "));
        store.set_step_up(connector_id, &step_up)?;
    }
    let status = if verdict.needs_auth() {
        ConnectorStatus::NeedsAuth
    } else {
        ConnectorStatus::Error
    };
    store.set_status(
        connector_id,
        revision,
        &CheckEntry {
            status,
            error: Some(&verdict.message()),
            checked_at: &now(),
            latency_ms: None,
            tool_count: None,
        },
    )?;
    Ok(verdict)
}

/// The step-up state once `grant`, from a re-authentication, is saved: no need left (the
/// sign-in asked for it: [`Patchbay::reauthentication`]), and what it asked for beyond the old
/// grant but did not get remembered, so it is not asked for again by itself.
pub(super) fn after_sign_in(before: &StepUp, grant: &Grant) -> StepUp {
    let asked = scopes::union(
        &scopes::scopes(before.needed.as_deref().unwrap_or_default()),
        before.refused.as_deref().unwrap_or_default(),
    );
    let refused = scopes::missing(&asked.join(" "), &scopes::granted(grant));
    StepUp {
        needed: None,
        refused: (!refused.is_empty()).then(|| refused.join(" ")),
    }
}
