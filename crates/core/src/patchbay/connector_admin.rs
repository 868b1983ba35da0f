//! Looking after a connector beyond editing it: pausing and resuming it, duplicating it (a
//! second account on the same server), its check history, and the diagnostics report a person
//! pastes into a bug report. The report is built from what is not secret (the masked URL,
//! header names, statuses) and then every stored secret of the connector is searched for in it
//! and masked, so even a server that echoed a token into an error message cannot leak it.

use serde_json::Value;

use super::connectors::{CheckView, ConnectorView, ensure_unique, view};
use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::secret::Secret;
use crate::store::{
    AuthKind, ConnectorRow, ConnectorStatus, SecretChange, SecretField, SecretOwner, Store,
};
use crate::validate;

/// What a copy of an OAuth connector says until someone signs in to it.
const COPY_NEEDS_SIGN_IN: &str =
    "this is a copy: sign in to it (with the same or another account) to use it";

impl Patchbay {
    /// Pauses a connector: the monitor stops checking it and steps refuse it until resumed.
    pub fn pause_connector(&self, workspace: &str, name: &str) -> Result<ConnectorView, Error> {
        self.set_paused(workspace, name, true)
    }

    pub fn resume_connector(&self, workspace: &str, name: &str) -> Result<ConnectorView, Error> {
        self.set_paused(workspace, name, false)
    }

    fn set_paused(
        &self,
        workspace: &str,
        name: &str,
        paused: bool,
    ) -> Result<ConnectorView, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &found, name)?;
            store.set_paused(&row.id, paused)?;
            view(&store, &found, ConnectorRow { paused, ..row })
        })
    }

    /// Switches the desktop notifications of one connector's status changes on or off (the
    /// app-wide switch is [`crate::settings::AppSettings::notifications`]).
    pub fn set_connector_notifications(
        &self,
        workspace: &str,
        name: &str,
        on: bool,
    ) -> Result<ConnectorView, Error> {
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &found, name)?;
            store.set_muted(&row.id, !on)?;
            view(&store, &found, ConnectorRow { muted: !on, ..row })
        })
    }

    /// Copies a connector under `new_name` (default: "NAME (copy)", "NAME (copy 2)", …): its
    /// URL, auth type, headers, token and switched-off tools. An OAuth connector's copy keeps
    /// the client registration but not the sign-in — two connectors sharing one refresh token
    /// would invalidate each other's — so it needs signing in (with the same or another
    /// account); a machine connector's copy renews its own token. Nothing is tested: the copy
    /// starts unchecked (or needing sign-in).
    pub fn duplicate_connector(
        &self,
        workspace: &str,
        name: &str,
        new_name: Option<&str>,
    ) -> Result<ConnectorView, Error> {
        let new_name = new_name
            .map(|n| validate::name(n, "the connector name"))
            .transpose()?;
        blocking(|| {
            let mut store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &found, name)?;
            let copy_name = match new_name {
                Some(chosen) => {
                    ensure_unique(&store, &found, &chosen, None)?;
                    chosen
                }
                None => free_copy_name(&store, &found.id, &row.name)?,
            };
            let id = uuid::Uuid::new_v4().to_string();
            let mut secrets = Vec::new();
            let mut signed_out = false;
            for field in store.secret_fields(SecretOwner::Connector(&row.id))? {
                let Some(plain) = self.unsealed(&store, &row, &field)? else {
                    continue;
                };
                let plain = if field == SecretField::OAuth {
                    let (kept, dropped) = without_tokens(&plain)?;
                    signed_out |= dropped;
                    kept
                } else {
                    plain
                };
                let ciphertext = self.vault.seal(
                    &store,
                    &found.id,
                    SecretOwner::Connector(&id),
                    &field,
                    &plain,
                )?;
                secrets.push(SecretChange::Put { field, ciphertext });
            }
            let timestamp = now();
            let needs_sign_in = row.auth == AuthKind::OAuth && signed_out;
            let copy = ConnectorRow {
                id: id.clone(),
                name: copy_name,
                status: if needs_sign_in {
                    ConnectorStatus::NeedsAuth
                } else {
                    ConnectorStatus::Unknown
                },
                last_checked_at: None,
                last_error: needs_sign_in.then(|| COPY_NEEDS_SIGN_IN.to_owned()),
                created_at: timestamp.clone(),
                updated_at: timestamp.clone(),
                revision: 0,
                paused: false,
                muted: false,
                ..row.clone()
            };
            store.insert_connector(&copy, secrets)?;
            store.copy_disabled_tools(&row.id, &id, &timestamp)?;
            view(&store, &found, copy)
        })
    }

    /// A connector's last `limit` checks, newest first (at most
    /// [`crate::store::CHECK_HISTORY_LIMIT`] are kept).
    pub fn check_history(
        &self,
        workspace: &str,
        name: &str,
        limit: usize,
    ) -> Result<Vec<CheckView>, Error> {
        let (_, row) = self.located(workspace, name)?;
        blocking(|| {
            Ok(self
                .store()
                .check_history(&row.id, limit)?
                .into_iter()
                .map(CheckView::from)
                .collect())
        })
    }

    /// A plain-text report of a connector and its last checks, safe to paste in a bug report:
    /// no secret, no token-bearing URL (see the module's note).
    pub fn diagnostics_report(&self, workspace: &str, name: &str) -> Result<String, Error> {
        let client = self.oauth_client(workspace, name).ok().flatten();
        blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &found, name)?;
            let connector = view(&store, &found, row.clone())?;
            let history = store.check_history(&row.id, 20)?;
            let disabled = store.disabled_tools(&row.id)?;
            let mut report = String::new();
            let mut line = |text: String| {
                report.push_str(&text);
                report.push('\n');
            };
            line(format!(
                "Patchbay {} diagnostics for connector {:?}",
                env!("CARGO_PKG_VERSION"),
                connector.name
            ));
            line(format!("generated: {}", now()));
            line(format!(
                "system: {} {}",
                std::env::consts::OS,
                std::env::consts::ARCH
            ));
            line(format!("url: {}", connector.url));
            line(format!("auth: {}", connector.auth.as_str()));
            if !connector.header_names.is_empty() {
                line(format!(
                    "custom headers: {} (values hidden)",
                    connector.header_names.join(", ")
                ));
            }
            if let Some(client) = &client {
                line(format!(
                    "oauth: {:?} client{}, issuer {}",
                    client.method,
                    if client.machine { " (machine)" } else { "" },
                    client.issuer.as_deref().unwrap_or("not recorded")
                ));
            }
            line(format!(
                "status: {}{}",
                connector.status.as_str(),
                if connector.paused { " (paused)" } else { "" }
            ));
            line(format!(
                "last checked: {}",
                connector.last_checked_at.as_deref().unwrap_or("never")
            ));
            if let Some(error) = &connector.last_error {
                line(format!("last error: {error}"));
            }
            if let Some(count) = connector.tool_count {
                line(format!("tools at the last check: {count}"));
            }
            if !disabled.is_empty() {
                line(format!("tools switched off: {}", disabled.join(", ")));
            }
            line(format!("last {} checks (newest first):", history.len()));
            for check in &history {
                line(format!(
                    "  {}  {:<12} {:>7}  {}{}",
                    check.checked_at,
                    check.status.as_str(),
                    check
                        .latency_ms
                        .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms")),
                    check
                        .tool_count
                        .map_or_else(String::new, |count| format!("{count} tools  ")),
                    check.detail.as_deref().unwrap_or_default()
                ));
            }
            let secrets = self.connector_secrets(&store, &row);
            Ok(mask_all(&report, &secrets))
        })
    }

    /// Every secret value stored for a connector (whole, and the pieces a text could quote:
    /// each query value of its URL, each string in its OAuth grant), for masking a report. A
    /// secret the vault cannot open (a locked keychain) cannot be searched for; the report
    /// holds no field that carries one anyway.
    fn connector_secrets(&self, store: &Store, row: &ConnectorRow) -> Vec<String> {
        let mut values = Vec::new();
        let Ok(fields) = store.secret_fields(SecretOwner::Connector(&row.id)) else {
            return values;
        };
        for field in fields {
            let Ok(Some(plain)) = self.unsealed(store, row, &field) else {
                continue;
            };
            let text = plain.expose();
            match field {
                SecretField::OAuth => {
                    if let Ok(json) = serde_json::from_str::<Value>(text) {
                        collect_strings(&json, &mut values);
                    }
                }
                SecretField::Url => {
                    if let Ok(url) = url::Url::parse(text) {
                        values.extend(url.query_pairs().map(|(_, value)| value.into_owned()));
                    }
                    values.push(text.to_owned());
                }
                _ => values.push(text.to_owned()),
            }
        }
        // Short strings (an expiry, "bearer") are not secrets and would mask ordinary words.
        values.retain(|value| value.len() >= 8);
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        values
    }
}

/// `text` with each of `secrets` (longest first) replaced by `****`.
fn mask_all(text: &str, secrets: &[String]) -> String {
    let mut masked = text.to_owned();
    for secret in secrets {
        if masked.contains(secret.as_str()) {
            masked = masked.replace(secret.as_str(), "****");
        }
    }
    crate::secret::redact_remembered(&masked).into_owned()
}

fn collect_strings(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::String(text) => into.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, into)),
        Value::Object(members) => members
            .values()
            .for_each(|item| collect_strings(item, into)),
        _ => {}
    }
}

/// An OAuth grant without its tokens (the registration kept), and whether it had any.
fn without_tokens(grant: &Secret) -> Result<(Secret, bool), Error> {
    let mut json: Value = serde_json::from_str(grant.expose())
        .map_err(|error| Error::Internal(format!("the stored sign-in is not JSON: {error}")))?;
    let had = json
        .get("token_response")
        .is_some_and(|tokens| !tokens.is_null());
    if let Some(members) = json.as_object_mut() {
        members.insert("token_response".to_owned(), Value::Null);
    }
    Ok((Secret::new(json.to_string()), had))
}

/// "NAME (copy)", or "NAME (copy N)" with the first N free in the workspace.
fn free_copy_name(store: &Store, workspace_id: &str, name: &str) -> Result<String, Error> {
    for n in 1..1000 {
        let candidate = if n == 1 {
            format!("{name} (copy)")
        } else {
            format!("{name} (copy {n})")
        };
        if store.connector_by_name(workspace_id, &candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(Error::Internal(format!(
        "no free name for a copy of {name:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_replaces_every_occurrence_longest_first() {
        let secrets = vec!["abcdefghijkl".to_owned(), "abcdefgh".to_owned()];
        let masked = mask_all("x abcdefghijkl y abcdefgh z", &secrets);
        assert_eq!(masked, "x **** y **** z");
    }

    #[test]
    fn a_copied_grant_keeps_its_registration_and_loses_its_tokens() -> Result<(), Error> {
        let grant = Secret::new(
            serde_json::json!({
                "client_id": "client-1",
                "token_response": {"access_token": "at-123456789", "refresh_token": "rt-123456789"},
                "registration": {"client_id": "client-1"}
            })
            .to_string(),
        );
        let (kept, dropped) = without_tokens(&grant)?;
        assert!(dropped);
        assert!(!kept.expose().contains("at-123456789"));
        assert!(!kept.expose().contains("rt-123456789"));
        assert!(kept.expose().contains("registration"));
        Ok(())
    }
}
