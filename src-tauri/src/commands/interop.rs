//! Import and export of `mcp.json`-style files, and install links. The window reads the file
//! the person chose and sends its text; `import_plan` says what would be added and what is
//! skipped, then `import_connector` adds each server the person confirms (tested first, like
//! any Add). Install links reach the app as deep links (a second launch's argument, or the
//! launch itself): the shell keeps the last one and tells the window (`install-offer`), which
//! takes it with `take_install_offer` and shows the confirmation; nothing is added until the
//! person clicks. Core does the reading and the saving.

use patchbay_core::{ConfigFormat, ImportPlan, Saved};
use tauri::{AppHandle, Emitter, Manager, Runtime, State};

use crate::IpcError;
use crate::dto::{INSTALL_EVENT, LinkOffer, PlaceholderValue};
use crate::state::PatchbayState;

#[tauri::command]
pub async fn import_plan(
    state: State<'_, PatchbayState>,
    workspace: String,
    text: String,
    format: Option<ConfigFormat>,
) -> Result<ImportPlan, IpcError> {
    Ok(state.patchbay()?.import_plan(&workspace, &text, format)?)
}

#[tauri::command]
pub async fn import_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    text: String,
    format: Option<ConfigFormat>,
    name: String,
    values: Vec<PlaceholderValue>,
) -> Result<Saved, IpcError> {
    let values = PlaceholderValue::sealed(values);
    let saved = state
        .patchbay()?
        .import_connector(&workspace, &text, format, &name, &values, true)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

/// The workspace's connectors as a file in `format`; secrets only when asked for.
#[tauri::command]
pub async fn export_workspace(
    state: State<'_, PatchbayState>,
    workspace: String,
    format: ConfigFormat,
    include_secrets: bool,
) -> Result<String, IpcError> {
    Ok(state
        .patchbay()?
        .export_workspace(&workspace, format, include_secrets)?)
}

/// The install link that arrived last, once: the window shows it and it is gone.
#[tauri::command]
pub fn take_install_offer(state: State<'_, PatchbayState>) -> Option<LinkOffer> {
    state.take_install_offer()
}

/// An install link from the OS: read (refused links say why), kept for the window, which is
/// brought forward and told.
pub fn receive_install_link<R: Runtime>(app: &AppHandle<R>, link: &str) {
    let state = app.state::<PatchbayState>();
    let offer = match state.patchbay() {
        Ok(core) => match core.read_install_link(link) {
            Ok(offer) => LinkOffer {
                offer: Some(offer),
                refused: None,
            },
            Err(error) => LinkOffer {
                offer: None,
                refused: Some(error.to_string()),
            },
        },
        Err(error) => LinkOffer {
            offer: None,
            refused: Some(error.message),
        },
    };
    if offer.refused.is_some() {
        tracing::warn!("refused an install link");
    }
    state.keep_install_offer(offer);
    crate::tray::show_main(app);
    if let Err(error) = app.emit(INSTALL_EVENT, ()) {
        tracing::warn!(%error, "telling the window about an install link");
    }
}
