//! Workspace commands: list, create, rename, delete (the UI confirms deletion first).

use patchbay_core::Workspace;
use tauri::State;

use super::blocking;
use crate::IpcError;
use crate::state::PatchbayState;

#[tauri::command]
pub async fn list_workspaces(state: State<'_, PatchbayState>) -> Result<Vec<Workspace>, IpcError> {
    let core = state.patchbay()?;
    blocking(move || core.workspaces()).await
}

#[tauri::command]
pub async fn add_workspace(
    state: State<'_, PatchbayState>,
    name: String,
) -> Result<Workspace, IpcError> {
    let core = state.patchbay()?;
    blocking(move || core.add_workspace(&name)).await
}

#[tauri::command]
pub async fn rename_workspace(
    state: State<'_, PatchbayState>,
    old_name: String,
    new_name: String,
) -> Result<Workspace, IpcError> {
    let core = state.patchbay()?;
    blocking(move || core.rename_workspace(&old_name, &new_name)).await
}

/// Deletes the workspace with its connectors, secrets and data key.
#[tauri::command]
pub async fn remove_workspace(
    state: State<'_, PatchbayState>,
    name: String,
) -> Result<(), IpcError> {
    let core = state.patchbay()?;
    blocking(move || core.remove_workspace(&name)).await?;
    state.refresh_tray();
    Ok(())
}
