//! The connector workbench's commands: a connector's tools (with the per-connector enabled
//! switch and the budget), a person's tool call (progress streams as `tool-progress` events
//! under the window's call id; `cancel_tool_call` ends it), resources, prompts, server details,
//! check history, the diagnostics report, and pause / resume / duplicate. While a connector's
//! tools are open the window can `watch_tools`: a `tools-changed` event follows each
//! `notifications/tools/list_changed` until `unwatch_tools`. Core does the work.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use patchbay_core::{
    CallOutcome, CheckView, ConnectorView, PromptFilled, PromptItem, ResourceCatalog, ResourceRead,
    ServerDetails, ToolCatalog,
};
use serde_json::{Map, Value};
use tauri::{AppHandle, Emitter, Runtime, State};
use tokio_util::sync::CancellationToken;

use crate::dto::{TOOL_PROGRESS_EVENT, TOOLS_CHANGED_EVENT, ToolProgress, ToolsChanged};
use crate::state::PatchbayState;
use crate::{ErrorCode, IpcError};

/// The longest call or watch id the window may choose (it sends a UUID).
const MAX_ID_LEN: usize = 64;

/// Cancel switches of the calls and watches in flight, by the window's id.
#[derive(Clone, Default)]
pub struct Switches(Arc<Mutex<HashMap<String, CancellationToken>>>);

impl Switches {
    fn begin(&self, id: &str) -> Result<Switch, IpcError> {
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                format!("a call id has 1 to {MAX_ID_LEN} characters"),
            ));
        }
        let token = CancellationToken::new();
        let mut switches = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if switches.contains_key(id) {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                format!("call id {id:?} is in use"),
            ));
        }
        switches.insert(id.to_owned(), token.clone());
        Ok(Switch {
            switches: self.clone(),
            id: id.to_owned(),
            token,
        })
    }

    fn cancel(&self, id: &str) {
        if let Some(token) = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
        {
            token.cancel();
        }
    }
}

/// One call's or watch's switch, removed when it ends.
struct Switch {
    switches: Switches,
    id: String,
    token: CancellationToken,
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.switches
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

#[tauri::command]
pub async fn tool_catalog(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ToolCatalog, IpcError> {
    Ok(state.patchbay()?.tool_catalog(&workspace, &name).await?)
}

#[tauri::command]
pub async fn set_tools_enabled(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    tools: Vec<String>,
    enabled: bool,
) -> Result<ToolCatalog, IpcError> {
    Ok(state
        .patchbay()?
        .set_tools_enabled(&workspace, &name, &tools, enabled)
        .await?)
}

/// Calls a tool under the window's `call_id`; progress arrives as `tool-progress` events.
#[tauri::command]
pub async fn call_tool<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    tool: String,
    arguments: Option<Map<String, Value>>,
    call_id: String,
) -> Result<CallOutcome, IpcError> {
    let core = state.patchbay()?;
    let switch = state.switches().begin(&call_id)?;
    let on_progress = |progress| {
        let event = ToolProgress {
            call_id: call_id.clone(),
            progress,
        };
        if let Err(error) = app.emit(TOOL_PROGRESS_EVENT, event) {
            tracing::debug!(%error, "sending a tool's progress to the window");
        }
    };
    let outcome = core
        .call_tool_shown(
            &workspace,
            &name,
            &tool,
            arguments,
            &on_progress,
            switch.token.clone(),
        )
        .await;
    Ok(outcome?)
}

/// Ends call (or watch) `call_id`; a late Cancel does nothing.
#[tauri::command]
pub fn cancel_tool_call(state: State<'_, PatchbayState>, call_id: String) {
    state.switches().cancel(&call_id);
}

/// Keeps a session open with the connector until `unwatch_tools(watch_id)`, sending a
/// `tools-changed` event each time the server says its tools changed.
#[tauri::command]
pub async fn watch_tools<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    watch_id: String,
) -> Result<(), IpcError> {
    let core = state.patchbay()?;
    let switch = state.switches().begin(&watch_id)?;
    let on_change = || {
        let event = ToolsChanged {
            workspace: workspace.clone(),
            connector: name.clone(),
        };
        if let Err(error) = app.emit(TOOLS_CHANGED_EVENT, event) {
            tracing::debug!(%error, "telling the window the tools changed");
        }
    };
    core.watch_tool_list(&workspace, &name, &on_change, switch.token.clone())
        .await?;
    Ok(())
}

#[tauri::command]
pub fn unwatch_tools(state: State<'_, PatchbayState>, watch_id: String) {
    state.switches().cancel(&watch_id);
}

#[tauri::command]
pub async fn resource_catalog(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ResourceCatalog, IpcError> {
    Ok(state
        .patchbay()?
        .resource_catalog(&workspace, &name)
        .await?)
}

#[tauri::command]
pub async fn read_resource(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    uri: String,
) -> Result<ResourceRead, IpcError> {
    Ok(state
        .patchbay()?
        .read_resource_shown(&workspace, &name, &uri)
        .await?)
}

#[tauri::command]
pub async fn prompt_catalog(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<Vec<PromptItem>, IpcError> {
    Ok(state.patchbay()?.prompt_catalog(&workspace, &name).await?)
}

#[tauri::command]
pub async fn get_prompt(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    prompt: String,
    arguments: Option<Map<String, Value>>,
) -> Result<PromptFilled, IpcError> {
    Ok(state
        .patchbay()?
        .get_prompt_shown(&workspace, &name, &prompt, arguments)
        .await?)
}

#[tauri::command]
pub async fn server_details(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ServerDetails, IpcError> {
    Ok(state.patchbay()?.server_details(&workspace, &name).await?)
}

#[tauri::command]
pub async fn check_history(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<Vec<CheckView>, IpcError> {
    Ok(state.patchbay()?.check_history(&workspace, &name, 50)?)
}

#[tauri::command]
pub async fn diagnostics_report(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<String, IpcError> {
    Ok(state.patchbay()?.diagnostics_report(&workspace, &name)?)
}

#[tauri::command]
pub async fn pause_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ConnectorView, IpcError> {
    let view = state.patchbay()?.pause_connector(&workspace, &name)?;
    state.refresh_tray();
    Ok(view)
}

/// Switches the notifications of one connector's status changes on or off.
#[tauri::command]
pub async fn set_connector_notifications(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    on: bool,
) -> Result<ConnectorView, IpcError> {
    Ok(state
        .patchbay()?
        .set_connector_notifications(&workspace, &name, on)?)
}

#[tauri::command]
pub async fn resume_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ConnectorView, IpcError> {
    let view = state.patchbay()?.resume_connector(&workspace, &name)?;
    state.refresh_tray();
    // Checked again at once, not at the next round.
    if let Err(error) = state.check_now(Some(view.id.clone())) {
        tracing::debug!("check after resume skipped: {}", error.message);
    }
    Ok(view)
}

#[tauri::command]
pub async fn duplicate_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    new_name: Option<String>,
) -> Result<ConnectorView, IpcError> {
    let view = state
        .patchbay()?
        .duplicate_connector(&workspace, &name, new_name.as_deref())?;
    state.refresh_tray();
    if let Err(error) = state.check_now(Some(view.id.clone())) {
        tracing::debug!("check of the copy skipped: {}", error.message);
    }
    Ok(view)
}
