//! Model providers: what a person adds, lists, edits and removes, saved per workspace like
//! connectors, and the models each one offers with whether they can call tools.
//!
//! Order, as for connectors: input is validated first, the provider is tested next by listing its
//! models (unless skipped), and the API key is sealed (owner [`SecretOwner::Provider`]) and the
//! row written last, in one transaction, so a failure at any step leaves nothing behind. Views
//! never hold a key; the key is decrypted only to build a [`ModelClient`].
//!
//! Whether a model can call tools is judged in one order everywhere ([`ToolsSource`]): the
//! person's own verdict, then what the provider reports, then the table of well-known models.
//! Finding local servers ([`Patchbay::discover_local_providers`]) lives in [`local`].

mod local;

use std::collections::HashMap;

use serde::Serialize;

use super::{Patchbay, blocking, now};
use crate::error::Error;
use crate::llm::{self, LlmError, ModelClient, ModelInfo, ProviderKind, known_tool_support};
use crate::secret::Secret;
use crate::store::{ProviderRow, SecretChange, SecretField, SecretOwner, Store, Workspace};
use crate::validate;

pub use local::{LOCAL_SERVERS, LocalProvider};

/// What the UI and `provider list --json` see of a provider. Never contains the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProviderView {
    pub id: String,
    pub workspace: String,
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    /// Whether an API key is stored (the key itself never leaves the core).
    pub key_set: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// A new provider, as entered by a person.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    pub name: String,
    pub kind: ProviderKind,
    /// The base URL as the vendor documents it: `https://api.openai.com/v1`,
    /// `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Local servers need none.
    pub api_key: Option<Secret>,
}

/// Changes to an existing provider; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ProviderEdit {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<Secret>,
}

/// One of a provider's models, and whether it can call tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ModelView {
    pub id: String,
    pub display_name: Option<String>,
    /// `None`: nobody knows; a step may still try it.
    pub tools: Option<bool>,
    pub tools_source: ToolsSource,
}

/// Who said whether a model can call tools, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ToolsSource {
    /// The person, for this provider's model ([`Patchbay::set_model_tools`]).
    Override,
    /// The provider's model list (OpenRouter and LM Studio report it).
    Provider,
    /// The table of well-known models ([`known_tool_support`]).
    KnownModels,
    /// None of them: `tools` is `None`.
    Unknown,
}

impl Patchbay {
    pub fn list_providers(&self, workspace: &str) -> Result<Vec<ProviderView>, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            store
                .providers(&workspace.id)?
                .into_iter()
                .map(|row| view(&store, &workspace, row))
                .collect()
        })
    }

    pub fn provider(&self, workspace: &str, name: &str) -> Result<ProviderView, Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = provider_row(&store, &workspace, name)?;
            view(&store, &workspace, row)
        })
    }

    /// Validates, tests (by listing the models, unless `test` is false) and saves a new
    /// provider. On any failure nothing is written.
    pub async fn add_provider(
        &self,
        workspace: &str,
        spec: ProviderSpec,
        test: bool,
    ) -> Result<ProviderView, Error> {
        let name = validate::name(&spec.name, "the provider name")?;
        let base_url = validate::url(&spec.base_url)?;
        let api_key = spec.api_key.as_ref().map(checked_key).transpose()?;
        let workspace = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            ensure_unique(&store, &workspace, &name, None)?;
            // Touch the keychain before the network: a locked keychain should fail fast.
            if api_key.is_some() {
                self.vault.workspace_key(&store, &workspace.id)?;
            }
            Ok(workspace)
        })?;
        if test {
            let client = llm::client(
                spec.kind,
                base_url.clone(),
                api_key.clone(),
                self.model_timeouts(),
            );
            self.listed(base_url.as_str(), client.as_ref()).await?;
        }

        blocking(|| {
            let mut store = self.store();
            // Re-check: another process may have taken the name while we were testing.
            ensure_unique(&store, &workspace, &name, None)?;
            let id = uuid::Uuid::new_v4().to_string();
            let mut secrets = Vec::new();
            if let Some(key) = &api_key {
                secrets.push(self.sealed_key(&store, &workspace.id, &id, key)?);
            }
            let timestamp = now();
            let row = ProviderRow {
                id,
                workspace_id: workspace.id.clone(),
                name,
                kind: spec.kind,
                base_url: base_url.to_string(),
                created_at: timestamp.clone(),
                updated_at: timestamp,
            };
            store.save_provider(&row, secrets)?;
            view(&store, &workspace, row)
        })
    }

    /// Applies an edit. A new base URL or key is tested first (unless `test` is false); fields
    /// left `None` keep their stored value; on failure nothing changes.
    pub async fn edit_provider(
        &self,
        workspace: &str,
        name: &str,
        edit: ProviderEdit,
        test: bool,
    ) -> Result<ProviderView, Error> {
        let new_name = edit
            .name
            .as_deref()
            .map(|name| validate::name(name, "the provider name"))
            .transpose()?;
        let new_url = edit.base_url.as_deref().map(validate::url).transpose()?;
        let new_key = edit.api_key.as_ref().map(checked_key).transpose()?;
        // A rename alone reaches the provider exactly as before: nothing to test.
        let test = test && (new_url.is_some() || new_key.is_some());
        let (workspace, row, stored_key) = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = provider_row(&store, &workspace, name)?;
            if let Some(new_name) = &new_name {
                ensure_unique(&store, &workspace, new_name, Some(&row.id))?;
            }
            if new_key.is_some() {
                self.vault.workspace_key(&store, &workspace.id)?;
            }
            // The stored key is opened only to test a new address with it.
            let stored_key = if test && new_key.is_none() {
                self.provider_key(&store, &row)?
            } else {
                None
            };
            Ok((workspace, row, stored_key))
        })?;
        if test {
            let base_url = match &new_url {
                Some(url) => url.clone(),
                None => validate::url(&row.base_url)?,
            };
            let key = new_key.clone().or(stored_key);
            let client = llm::client(row.kind, base_url.clone(), key, self.model_timeouts());
            self.listed(base_url.as_str(), client.as_ref()).await?;
        }

        blocking(|| {
            let mut store = self.store();
            // Re-read: another process may have renamed or removed it while we were testing.
            let row = store
                .provider_by_id(&row.id)?
                .ok_or_else(|| not_found(&workspace, name))?;
            if let Some(new_name) = &new_name {
                ensure_unique(&store, &workspace, new_name, Some(&row.id))?;
            }
            let mut secrets = Vec::new();
            if let Some(key) = &new_key {
                secrets.push(self.sealed_key(&store, &workspace.id, &row.id, key)?);
            }
            let updated = ProviderRow {
                name: new_name.unwrap_or_else(|| row.name.clone()),
                base_url: new_url.map_or_else(|| row.base_url.clone(), |url| url.to_string()),
                updated_at: now(),
                ..row
            };
            store.save_provider(&updated, secrets)?;
            view(&store, &workspace, updated)
        })
    }

    /// Deletes a provider with its key and the person's tool verdicts on its models.
    pub fn remove_provider(&self, workspace: &str, name: &str) -> Result<(), Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = provider_row(&store, &workspace, name)?;
            Ok(store.delete_provider(&row.id)?)
        })
    }

    /// Lists the provider's models, as [`Patchbay::models`]: a provider that lists its models
    /// with its stored key works.
    pub async fn test_provider(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Vec<ModelView>, Error> {
        self.models(workspace, name).await
    }

    /// The models the provider offers, in its order, each judged for tool use.
    pub async fn models(&self, workspace: &str, provider: &str) -> Result<Vec<ModelView>, Error> {
        let (view, client) = self.provider_client(workspace, provider)?;
        let listed = self.listed(&view.base_url, client.as_ref()).await?;
        let overrides: HashMap<String, bool> = blocking(|| self.store().model_tools(&view.id))?
            .into_iter()
            .collect();
        Ok(listed
            .into_iter()
            .map(|info| {
                let overridden = overrides.get(&info.id).copied();
                let (tools, tools_source) = judged(overridden, info.tools, &info.id);
                ModelView {
                    id: info.id,
                    display_name: info.display_name,
                    tools,
                    tools_source,
                }
            })
            .collect())
    }

    /// Records the person's verdict on whether `model` can call tools; `None` forgets it. The
    /// model need not be listed (a person may type one in), so this never touches the network.
    pub fn set_model_tools(
        &self,
        workspace: &str,
        provider: &str,
        model: &str,
        tools: Option<bool>,
    ) -> Result<(), Error> {
        let model = validate::model(model)?;
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = provider_row(&store, &workspace, provider)?;
            match tools {
                Some(tools) => store.set_model_tools(&row.id, &model, tools)?,
                None => store.clear_model_tools(&row.id, &model)?,
            }
            Ok(())
        })
    }

    /// Whether one model can call tools, and who says so. Works for a model typed in by hand and
    /// offline: when the provider cannot be asked (unreachable, locked keychain, …) the model is
    /// judged by the person's verdict and the table alone.
    pub async fn model_tool_support(
        &self,
        workspace: &str,
        provider: &str,
        model: &str,
    ) -> Result<(Option<bool>, ToolsSource), Error> {
        let model = validate::model(model)?;
        let overridden = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let found = Self::workspace(&store, workspace)?;
            let row = provider_row(&store, &found, provider)?;
            Ok(store.model_tools_override(&row.id, &model)?)
        })?;
        if overridden.is_some() {
            return Ok(judged(overridden, None, &model));
        }
        let reported = match self.listing(workspace, provider).await {
            Ok(listed) => listed
                .into_iter()
                .find(|info| info.id == model)
                .and_then(|info| info.tools),
            Err(error) => {
                // Expected offline; the verdict below says where it came from.
                tracing::debug!(%error, model, "models not listed; judging by name");
                None
            }
        };
        Ok(judged(None, reported, &model))
    }

    /// A client for a stored provider, with its key decrypted, and the provider's view. For the
    /// step runner; the key exists in plaintext only inside the client.
    pub(crate) fn provider_client(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<(ProviderView, Box<dyn ModelClient>), Error> {
        let (view, base_url, key) = blocking(|| -> Result<_, Error> {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = provider_row(&store, &workspace, name)?;
            let key = self.provider_key(&store, &row)?;
            let base_url = validate::url(&row.base_url)?;
            Ok((view(&store, &workspace, row)?, base_url, key))
        })?;
        let client = llm::client(view.kind, base_url, key, self.model_timeouts());
        Ok((view, client))
    }

    /// The stored provider's model list, as the provider reports it.
    async fn listing(&self, workspace: &str, name: &str) -> Result<Vec<ModelInfo>, Error> {
        let (view, client) = self.provider_client(workspace, name)?;
        self.listed(&view.base_url, client.as_ref()).await
    }

    /// Lists models within the facade's request timeout: the client's own limits suit a long
    /// generation, not a list a person is waiting for.
    async fn listed(
        &self,
        base_url: &str,
        client: &dyn ModelClient,
    ) -> Result<Vec<ModelInfo>, Error> {
        let limit = self.timeouts().request;
        match tokio::time::timeout(limit, client.models()).await {
            Ok(listed) => Ok(listed?),
            Err(_elapsed) => Err(LlmError::Unreachable {
                // As the client shows it: a query may carry a key.
                url: base_url
                    .split(['?', '#'])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                reason: format!("no model list within {} s", limit.as_secs()),
            }
            .into()),
        }
    }

    /// Generation's timeouts, connecting as fast as the facade's other requests.
    fn model_timeouts(&self) -> llm::Timeouts {
        llm::Timeouts {
            connect: self.timeouts().connect,
            ..llm::Timeouts::default()
        }
    }

    /// Seals `key` as provider `provider_id`'s API key, ready to save with its row.
    fn sealed_key(
        &self,
        store: &Store,
        workspace_id: &str,
        provider_id: &str,
        key: &Secret,
    ) -> Result<SecretChange, Error> {
        let field = SecretField::ApiKey;
        let ciphertext = self.vault.seal(
            store,
            workspace_id,
            SecretOwner::Provider(provider_id),
            &field,
            key,
        )?;
        Ok(SecretChange::Put { field, ciphertext })
    }

    /// The provider's decrypted API key, if it has one.
    fn provider_key(&self, store: &Store, row: &ProviderRow) -> Result<Option<Secret>, Error> {
        let owner = SecretOwner::Provider(&row.id);
        let field = SecretField::ApiKey;
        let Some(sealed) = store.secret(owner, &field)? else {
            return Ok(None);
        };
        Ok(Some(self.vault.open(
            store,
            &row.workspace_id,
            owner,
            &field,
            &sealed,
        )?))
    }
}

/// The key as it will be sent: validated, surrounding whitespace (a pasted newline) removed.
fn checked_key(key: &Secret) -> Result<Secret, Error> {
    validate::api_key(key)?;
    Ok(Secret::new(key.expose().trim()))
}

/// Whether a model can call tools and who says so: the person, the provider, the table.
fn judged(
    overridden: Option<bool>,
    reported: Option<bool>,
    model: &str,
) -> (Option<bool>, ToolsSource) {
    if let Some(tools) = overridden {
        return (Some(tools), ToolsSource::Override);
    }
    if let Some(tools) = reported {
        return (Some(tools), ToolsSource::Provider);
    }
    match known_tool_support(model) {
        Some(tools) => (Some(tools), ToolsSource::KnownModels),
        None => (None, ToolsSource::Unknown),
    }
}

fn not_found(workspace: &Workspace, name: &str) -> Error {
    Error::NotFound {
        what: "provider",
        name: name.to_owned(),
        place: format!(" in workspace {:?}", workspace.name),
    }
}

fn provider_row(store: &Store, workspace: &Workspace, name: &str) -> Result<ProviderRow, Error> {
    store
        .provider_by_name(&workspace.id, name.trim())?
        .ok_or_else(|| not_found(workspace, name))
}

fn ensure_unique(
    store: &Store,
    workspace: &Workspace,
    name: &str,
    except_id: Option<&str>,
) -> Result<(), Error> {
    match store.provider_by_name(&workspace.id, name)? {
        Some(existing) if Some(existing.id.as_str()) != except_id => Err(Error::Duplicate {
            what: "provider",
            name: name.to_owned(),
            place: format!(" in workspace {:?}", workspace.name),
        }),
        _ => Ok(()),
    }
}

fn view(store: &Store, workspace: &Workspace, row: ProviderRow) -> Result<ProviderView, Error> {
    let key_set = store
        .secret_fields(SecretOwner::Provider(&row.id))?
        .contains(&SecretField::ApiKey);
    Ok(ProviderView {
        id: row.id,
        workspace: workspace.name.clone(),
        name: row.name,
        kind: row.kind,
        base_url: row.base_url,
        key_set,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_person_outranks_the_provider_which_outranks_the_table() {
        assert_eq!(
            judged(Some(false), Some(true), "gpt-4o"),
            (Some(false), ToolsSource::Override),
            "the person's verdict wins over everything"
        );
        assert_eq!(
            judged(None, Some(false), "gpt-4o"),
            (Some(false), ToolsSource::Provider),
            "what the provider reports wins over the table"
        );
        assert_eq!(
            judged(None, None, "gpt-4o"),
            (Some(true), ToolsSource::KnownModels)
        );
        assert_eq!(
            judged(None, None, "text-embedding-3-small"),
            (Some(false), ToolsSource::KnownModels)
        );
        assert_eq!(
            judged(None, None, "my-finetune"),
            (None, ToolsSource::Unknown),
            "an unknown model is never guessed"
        );
    }

    #[test]
    fn tool_sources_serialize_in_snake_case() -> Result<(), serde_json::Error> {
        assert_eq!(
            serde_json::to_string(&[
                ToolsSource::Override,
                ToolsSource::Provider,
                ToolsSource::KnownModels,
                ToolsSource::Unknown
            ])?,
            r#"["override","provider","known_models","unknown"]"#
        );
        Ok(())
    }
}
