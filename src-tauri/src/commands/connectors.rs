//! Connector commands: reading (and, with the Desktop issue, editing) the connectors of a
//! workspace.

use patchbay_core::ConnectorView;
use tauri::State;

use crate::IpcError;
use crate::state::PatchbayState;

/// The connectors of `workspace`, in the store's order. Secrets never cross: a view only says
/// whether one is set.
#[tauri::command]
pub async fn list_connectors(
    state: State<'_, PatchbayState>,
    workspace: String,
) -> Result<Vec<ConnectorView>, IpcError> {
    let patchbay = state.patchbay()?;
    // SQLite reads block: keep them off the async workers (and off the main thread).
    tauri::async_runtime::spawn_blocking(move || patchbay.list_connectors(&workspace))
        .await
        .map_err(|error| IpcError::new(crate::ErrorCode::Internal, error.to_string()))?
        .map_err(IpcError::from)
}
