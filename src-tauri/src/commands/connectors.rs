//! Connector commands. Add and edit test the connection first and save only on success; the
//! failure carries the diagnosis. Secrets arrive in inputs and never leave: views only say
//! `token_set`.

use patchbay_core::{ConnectorView, Diagnosis, Saved};
use tauri::State;

use crate::IpcError;
use crate::dto::{ConnectorEditInput, ConnectorInput};
use crate::state::PatchbayState;

#[tauri::command]
pub async fn list_connectors(
    state: State<'_, PatchbayState>,
    workspace: String,
) -> Result<Vec<ConnectorView>, IpcError> {
    let core = state.patchbay()?;
    Ok(core.list_connectors(&workspace)?)
}

#[tauri::command]
pub async fn add_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    input: ConnectorInput,
) -> Result<Saved, IpcError> {
    let saved = state
        .patchbay()?
        .add_connector(&workspace, input.into(), true)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

#[tauri::command]
pub async fn edit_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    input: ConnectorEditInput,
) -> Result<Saved, IpcError> {
    let saved = state
        .patchbay()?
        .edit_connector(&workspace, &name, input.into(), true)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

#[tauri::command]
pub async fn remove_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<(), IpcError> {
    let core = state.patchbay()?;
    core.remove_connector(&workspace, &name)?;
    state.refresh_tray();
    Ok(())
}

/// Tests a stored connector now and records the outcome.
#[tauri::command]
pub async fn test_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<Diagnosis, IpcError> {
    let diagnosis = state.patchbay()?.test_connector(&workspace, &name).await?;
    state.refresh_tray();
    Ok(diagnosis)
}

/// Asks the monitor to check one connector (or all) now; results arrive as events.
#[tauri::command]
pub fn check_now(
    state: State<'_, PatchbayState>,
    connector_id: Option<String>,
) -> Result<(), IpcError> {
    state.check_now(connector_id)
}
