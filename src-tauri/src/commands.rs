//! The commands the webview may invoke, one file per feature. Each is a few lines: fetch the core
//! from state, delegate, map the error. Blocking SQLite work runs on the blocking pool.

pub mod connectors;
pub mod machine;
pub mod oauth;
pub mod workspaces;

use crate::IpcError;

/// Runs synchronous core work (SQLite) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, patchbay_core::Error> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(IpcError::internal)?
        .map_err(IpcError::from)
}
