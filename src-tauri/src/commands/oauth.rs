//! OAuth commands: sign in to a new connector (Authorize), sign in again to an existing one
//! (Re-authenticate, which says which scopes the server did not grant), what a step-up will ask
//! for, cancel a waiting sign-in by its flow id, forget credentials, and the redirect URIs a
//! person registers for a pre-registered client. Each is one core use case; the shell supplies
//! only its [`WindowFront`]: the browser (tauri-plugin-opener, never a shell) and the event that
//! lets the dialog offer "copy link".
//!
//! The browser comes back through Patchbay's deep link, which the shell hands to core in Rust
//! (see `register_deep_links`), or through a loopback listener whose success page forwards to
//! the deep link. The webview never sees the code or the tokens; it learns only the
//! authorization URL and the redirect URI.

use patchbay_core::{
    BrowserError, ConnectorView, Reauthorized, RedirectUris, Saved, SignInFront, SignInStep,
    StepUpView, Visit,
};
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use crate::IpcError;
use crate::dto::{
    AUTHORIZE_EVENT, AuthorizeWaiting, ConnectorInput, OAuthClientInput, SignInInput,
};
use crate::state::PatchbayState;

/// The window's side of a sign-in: announce the URL to the dialog, open the browser.
struct WindowFront<R: Runtime> {
    app: AppHandle<R>,
    flow_id: String,
}

#[async_trait::async_trait]
impl<R: Runtime> SignInFront for WindowFront<R> {
    async fn visit(&self, visit: Visit) -> Result<(), BrowserError> {
        let waiting = AuthorizeWaiting {
            flow_id: self.flow_id.clone(),
            authorize_url: visit.authorization_url.to_string(),
            redirect_uri: visit.redirect_uri,
        };
        if let Err(error) = self.app.emit(AUTHORIZE_EVENT, waiting) {
            tracing::warn!(%error, "announcing the sign-in URL");
        }
        // No browser is no dead end: the dialog offers the link to copy, and the flow waits.
        if let Err(error) = self
            .app
            .opener()
            .open_url(visit.authorization_url.as_str(), None::<&str>)
        {
            tracing::warn!(%error, "opening the browser");
        }
        Ok(())
    }

    /// The dialog shows its own working line; the steps go to the log.
    fn progress(&self, step: SignInStep<'_>) {
        tracing::debug!(?step, "sign-in");
    }
}

/// Authorize, then test and save a new OAuth connector. Nothing is saved on any failure.
#[tauri::command]
pub async fn authorize_connector<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    input: ConnectorInput,
    client: Option<OAuthClientInput>,
    flow: SignInInput,
) -> Result<Saved, IpcError> {
    let front = WindowFront {
        app,
        flow_id: flow.flow_id.clone(),
    };
    let options = flow.options(client);
    let saved = state
        .patchbay()?
        .authorize_connector(&workspace, input.into(), options, true, &front)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

/// Sign in again to an existing OAuth connector (expired or revoked tokens, or a step-up).
#[tauri::command]
pub async fn reauthorize_connector<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    client: Option<OAuthClientInput>,
    flow: SignInInput,
) -> Result<Reauthorized, IpcError> {
    let front = WindowFront {
        app,
        flow_id: flow.flow_id.clone(),
    };
    let options = flow.options(client);
    let reauthorized = state
        .patchbay()?
        .reauthenticate(&workspace, &name, options, &front)
        .await?;
    state.refresh_tray();
    Ok(reauthorized)
}

/// What Re-authenticate will ask for beyond the connector's grant.
#[tauri::command]
pub async fn connector_step_up(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<StepUpView, IpcError> {
    let core = state.patchbay()?;
    Ok(core.step_up_view(&workspace, &name)?)
}

/// Stops the sign-in `flow_id` if it is still waiting; a late Cancel does nothing.
#[tauri::command]
pub fn cancel_authorization(state: State<'_, PatchbayState>, flow_id: String) {
    if let Ok(core) = state.patchbay() {
        core.cancel_sign_in(&flow_id);
    }
}

/// The redirect URIs to register for a pre-registered client.
#[tauri::command]
pub fn oauth_redirect_uris() -> RedirectUris {
    RedirectUris::get()
}

/// Forgets tokens and client registration; the connector then needs authentication.
#[tauri::command]
pub async fn forget_credentials(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ConnectorView, IpcError> {
    let core = state.patchbay()?;
    let view = core.forget_credentials(&workspace, &name)?;
    state.refresh_tray();
    Ok(view)
}
