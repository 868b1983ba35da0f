//! Model-provider commands: list, add (tested first), edit, remove, test, the models with their
//! "can call tools" verdicts (and the person's override), and local servers found on this
//! computer's loopback ports — probed only when the provider picker asks. API keys arrive in
//! inputs and never come back: views say only `key_set`.

use patchbay_core::{LocalProvider, ModelView, ProviderEdit, ProviderSpec, ProviderView, Secret};
use tauri::State;

use crate::IpcError;
use crate::dto::{ProviderEditInput, ProviderInput};
use crate::state::PatchbayState;

#[tauri::command]
pub async fn list_providers(
    state: State<'_, PatchbayState>,
    workspace: String,
) -> Result<Vec<ProviderView>, IpcError> {
    Ok(state.patchbay()?.list_providers(&workspace)?)
}

#[tauri::command]
pub async fn add_provider(
    state: State<'_, PatchbayState>,
    workspace: String,
    input: ProviderInput,
) -> Result<ProviderView, IpcError> {
    let spec = ProviderSpec {
        name: input.name,
        kind: input.kind,
        base_url: input.base_url,
        api_key: input.api_key.filter(|key| !key.is_empty()).map(Secret::new),
    };
    Ok(state
        .patchbay()?
        .add_provider(&workspace, spec, true)
        .await?)
}

#[tauri::command]
pub async fn edit_provider(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    input: ProviderEditInput,
) -> Result<ProviderView, IpcError> {
    let edit = ProviderEdit {
        name: input.name,
        base_url: input.base_url,
        api_key: input.api_key.filter(|key| !key.is_empty()).map(Secret::new),
    };
    Ok(state
        .patchbay()?
        .edit_provider(&workspace, &name, edit, true)
        .await?)
}

#[tauri::command]
pub async fn remove_provider(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<(), IpcError> {
    Ok(state.patchbay()?.remove_provider(&workspace, &name)?)
}

/// The provider's models with their tool verdicts (a failure says why it cannot be reached).
#[tauri::command]
pub async fn list_models(
    state: State<'_, PatchbayState>,
    workspace: String,
    provider: String,
) -> Result<Vec<ModelView>, IpcError> {
    Ok(state.patchbay()?.models(&workspace, &provider).await?)
}

/// The person's verdict on whether a model can call tools; `null` clears it.
#[tauri::command]
pub async fn set_model_tools(
    state: State<'_, PatchbayState>,
    workspace: String,
    provider: String,
    model: String,
    tools: Option<bool>,
) -> Result<(), IpcError> {
    Ok(state
        .patchbay()?
        .set_model_tools(&workspace, &provider, &model, tools)?)
}

/// Model servers already running on this computer (Ollama, LM Studio, llama.cpp on their
/// default loopback ports). Nothing else is contacted.
#[tauri::command]
pub async fn discover_local_providers(
    state: State<'_, PatchbayState>,
) -> Result<Vec<LocalProvider>, IpcError> {
    Ok(state.patchbay()?.discover_local_providers().await)
}
