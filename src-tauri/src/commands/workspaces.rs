//! Workspace commands: list, create, rename, delete (the UI confirms deletion first).

use patchbay_core::Workspace;
use tauri::State;

use crate::IpcError;
use crate::state::PatchbayState;

#[tauri::command]
pub async fn list_workspaces(state: State<'_, PatchbayState>) -> Result<Vec<Workspace>, IpcError> {
    let core = state.patchbay()?;
    Ok(core.workspaces()?)
}

#[tauri::command]
pub async fn add_workspace(
    state: State<'_, PatchbayState>,
    name: String,
) -> Result<Workspace, IpcError> {
    let core = state.patchbay()?;
    Ok(core.add_workspace(&name)?)
}

#[tauri::command]
pub async fn rename_workspace(
    state: State<'_, PatchbayState>,
    old_name: String,
    new_name: String,
) -> Result<Workspace, IpcError> {
    let core = state.patchbay()?;
    Ok(core.rename_workspace(&old_name, &new_name)?)
}

/// Deletes the workspace with its connectors, secrets and data key.
#[tauri::command]
pub async fn remove_workspace(
    state: State<'_, PatchbayState>,
    name: String,
) -> Result<(), IpcError> {
    let core = state.patchbay()?;
    core.remove_workspace(&name)?;
    state.refresh_tray();
    Ok(())
}
