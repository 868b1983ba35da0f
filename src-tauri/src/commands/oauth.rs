//! OAuth commands: sign in to a new connector (Authorize), sign in again to an existing one
//! (Re-authenticate), cancel a waiting sign-in, forget credentials. The browser is opened by
//! tauri-plugin-opener (never through a shell); the redirect comes back to a loopback listener
//! in Rust, whose success page forwards the browser to Patchbay's deep link. The webview never
//! sees the code or the tokens.

use patchbay_core::oauth::{self, ClientChoice, Grant};
use patchbay_core::{ConnectorView, Saved, Secret};
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_opener::OpenerExt;
use tokio_util::sync::CancellationToken;

use crate::dto::{AUTHORIZE_EVENT, AuthorizeWaiting, ConnectorInput, OAuthClientInput};
use crate::state::PatchbayState;
use crate::{ErrorCode, IpcError};

/// Where the loopback success page sends the browser: back into the app.
const DEEP_LINK_DONE: &str = "dev.patchbay.desktop://oauth/done";

async fn sign_in<R: Runtime>(
    app: &AppHandle<R>,
    state: &PatchbayState,
    url: &str,
    client: Option<OAuthClientInput>,
) -> Result<Grant, IpcError> {
    let server = patchbay_core::validate::url(url)
        .map_err(|e| IpcError::from(patchbay_core::Error::from(e)))?;
    let choice = client
        .map(|client| ClientChoice {
            client_id: Some(client.client_id).filter(|id| !id.trim().is_empty()),
            client_secret: client
                .client_secret
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            metadata_url: None,
        })
        .unwrap_or_default();
    let cancel = CancellationToken::new();
    state.set_authorization(Some(cancel.clone()));
    let handle = app.clone();
    let done_page = oauth::done_page(Some(DEEP_LINK_DONE));
    let flow = oauth::authorize(
        &server,
        choice,
        None,
        oauth::AUTHORIZE_TIMEOUT,
        &done_page,
        |authorize_url| async move {
            let waiting = AuthorizeWaiting {
                authorize_url: authorize_url.to_string(),
            };
            if let Err(error) = handle.emit(AUTHORIZE_EVENT, waiting) {
                tracing::warn!(%error, "announcing the sign-in URL");
            }
            handle
                .opener()
                .open_url(authorize_url.as_str(), None::<&str>)
                .map_err(|e| e.to_string())
        },
    );
    let result = tokio::select! {
        result = flow => result.map_err(|error| IpcError::new(ErrorCode::NeedsAuth, error.to_string())),
        () = cancel.cancelled() => Err(IpcError::new(ErrorCode::InvalidInput, "sign-in cancelled")),
    };
    state.set_authorization(None);
    result
}

/// Authorize, then test and save a new OAuth connector. Nothing is saved on any failure.
#[tauri::command]
pub async fn authorize_connector<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    input: ConnectorInput,
    client: Option<OAuthClientInput>,
) -> Result<Saved, IpcError> {
    let grant = sign_in(&app, &state, &input.url, client).await?;
    let mut spec: patchbay_core::ConnectorSpec = input.into();
    spec.oauth = Some(grant);
    let saved = state
        .patchbay()?
        .add_connector(&workspace, spec, true)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

/// Sign in again to an existing OAuth connector (expired or revoked tokens).
#[tauri::command]
pub async fn reauthorize_connector<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    client: Option<OAuthClientInput>,
) -> Result<Saved, IpcError> {
    let core = state.patchbay()?;
    let url = core.connector(&workspace, &name)?.url;
    let grant = sign_in(&app, &state, &url, client).await?;
    let saved = core.sign_in(&workspace, &name, grant).await?;
    state.refresh_tray();
    Ok(saved)
}

/// Stops a sign-in that is waiting for the browser.
#[tauri::command]
pub fn cancel_authorization(state: State<'_, PatchbayState>) {
    state.cancel_authorization();
}

/// Forgets tokens and client registration; the connector then needs authentication.
#[tauri::command]
pub async fn forget_credentials(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<ConnectorView, IpcError> {
    let core = state.patchbay()?;
    let view =
        tauri::async_runtime::spawn_blocking(move || core.forget_credentials(&workspace, &name))
            .await
            .map_err(IpcError::internal)??;
    state.refresh_tray();
    Ok(view)
}
