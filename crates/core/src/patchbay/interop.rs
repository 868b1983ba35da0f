//! Import and export of `mcp.json`-style files ([`crate::interop`]) and install links
//! ([`crate::install_link`]) as use cases: an import is planned (what would be added, what is
//! skipped and why — a name the workspace has already included), then each server the person
//! confirms is added like any connector (tested first, secrets sealed; placeholders filled with
//! the values the person gave, never stored as literals). An export writes a workspace's
//! connectors with placeholders for every secret unless the person asks for them.

use serde::Serialize;

use super::{ConnectorSpec, Patchbay, Saved, blocking};
use crate::error::Error;
use crate::install_link::{self, InstallOffer};
use crate::interop::{self, CandidateView, ConfigFormat, Exported, FileValue, Skipped};
use crate::secret::Secret;
use crate::store::{AuthKind, SecretField, SecretOwner};
use crate::validate::InvalidInput;

/// What importing a file would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportPlan {
    pub format: ConfigFormat,
    pub candidates: Vec<CandidateView>,
    pub skipped: Vec<Skipped>,
}

fn file_error(error: interop::InteropError) -> Error {
    InvalidInput::Other(error.to_string()).into()
}

impl Patchbay {
    /// Reads a configuration file (`format` detected when `None`) against a workspace: the
    /// servers it would add, and those skipped and why.
    pub fn import_plan(
        &self,
        workspace: &str,
        text: &str,
        format: Option<ConfigFormat>,
    ) -> Result<ImportPlan, Error> {
        let plan = interop::plan(text, format).map_err(file_error)?;
        let taken: Vec<String> = blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            Ok::<_, Error>(
                store
                    .connectors(&found.id)?
                    .into_iter()
                    .map(|row| row.name.to_lowercase())
                    .collect(),
            )
        })?;
        let mut skipped = plan.skipped;
        let mut candidates = Vec::new();
        for candidate in &plan.candidates {
            if taken.contains(&candidate.name.to_lowercase()) {
                skipped.push(Skipped {
                    name: candidate.name.clone(),
                    reason: format!(
                        "the workspace has a connector named {:?} already",
                        candidate.name
                    ),
                });
            } else {
                candidates.push(CandidateView::of(candidate));
            }
        }
        Ok(ImportPlan {
            format: plan.format,
            candidates,
            skipped,
        })
    }

    /// Adds server `name` of a configuration file, its placeholders filled from `values`
    /// (`(reference, value)`), tested first unless `test` is false.
    pub async fn import_connector(
        &self,
        workspace: &str,
        text: &str,
        format: Option<ConfigFormat>,
        name: &str,
        values: &[(String, Secret)],
        test: bool,
    ) -> Result<Saved, Error> {
        let plan = interop::plan(text, format).map_err(file_error)?;
        let candidate = plan
            .candidates
            .into_iter()
            .find(|candidate| candidate.name == name)
            .ok_or_else(|| Error::NotFound {
                what: "server",
                name: name.to_owned(),
                place: " in the file".to_owned(),
            })?;
        let resolve = |value: &FileValue| -> Result<Secret, Error> {
            match value {
                FileValue::Literal(secret) => Ok(secret.clone()),
                FileValue::Template(template) => interop::fill(template, values)
                    .map_err(|missing| InvalidInput::Other(missing).into()),
            }
        };
        let url = resolve(&FileValue::Template(candidate.url.clone()))?;
        let token = candidate.token.as_ref().map(resolve).transpose()?;
        let headers = candidate
            .headers
            .iter()
            .map(|(header, value)| Ok((header.clone(), resolve(value)?)))
            .collect::<Result<Vec<_>, Error>>()?;
        let spec = ConnectorSpec {
            name: candidate.name.clone(),
            url: url.expose().to_owned(),
            auth: candidate.auth,
            token,
            headers,
            oauth: None,
            network: Default::default(),
        };
        self.add_connector(workspace, spec, test).await
    }

    /// A workspace's connectors as a configuration file in `format`, pretty JSON. Secrets
    /// (tokens, header values, URL query credentials) are placeholders unless
    /// `include_secrets`.
    pub fn export_workspace(
        &self,
        workspace: &str,
        format: ConfigFormat,
        include_secrets: bool,
    ) -> Result<String, Error> {
        let connectors = blocking(|| {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let mut exported = Vec::new();
            for row in store.connectors(&found.id)? {
                let fields = store.secret_fields(SecretOwner::Connector(&row.id))?;
                let secret = |field: &SecretField| -> Result<Option<Secret>, Error> {
                    if include_secrets && fields.contains(field) {
                        self.unsealed(&store, &row, field)
                    } else {
                        Ok(None)
                    }
                };
                let url = if include_secrets {
                    self.connector_url(&store, &row)?.to_string()
                } else {
                    row.url.clone()
                };
                let url_secrets = if include_secrets {
                    Vec::new()
                } else {
                    url::Url::parse(&row.url)
                        .map(|parsed| {
                            parsed
                                .query_pairs()
                                .filter(|(_, value)| value == crate::url_secrets::MASK)
                                .map(|(name, _)| name.into_owned())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                exported.push(Exported {
                    name: row.name.clone(),
                    url,
                    url_secrets,
                    auth: row.auth,
                    token: if row.auth == AuthKind::Token {
                        secret(&SecretField::Token)?
                    } else {
                        None
                    },
                    headers: row
                        .header_names
                        .iter()
                        .map(|header| {
                            Ok((
                                header.clone(),
                                secret(&SecretField::Header(header.clone()))?,
                            ))
                        })
                        .collect::<Result<_, Error>>()?,
                });
            }
            Ok::<_, Error>(exported)
        })?;
        let file = interop::export(&connectors, format);
        serde_json::to_string_pretty(&file)
            .map_err(|error| Error::Internal(format!("cannot write the file: {error}")))
    }

    /// Reads an install link into the connector it offers (nothing is added: the front end
    /// shows the offer and adds it only when the person confirms).
    pub fn read_install_link(&self, link: &str) -> Result<InstallOffer, Error> {
        install_link::parse(link).map_err(|error| InvalidInput::Other(error.to_string()).into())
    }
}
