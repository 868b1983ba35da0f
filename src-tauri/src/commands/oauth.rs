//! OAuth commands: sign in to a new connector (Authorize), sign in again to an existing one
//! (Re-authenticate, which says which scopes the server did not grant), what a step-up will ask
//! for, cancel a waiting sign-in by its flow id, forget credentials, and the redirect URIs a
//! person registers for a pre-registered client.
//!
//! The browser is opened by tauri-plugin-opener (never through a shell). It comes back through
//! Patchbay's deep link, which the shell delivers to core's flow registry in Rust (see
//! `register_deep_links`), or through a loopback listener whose success page forwards to the deep
//! link. The webview never sees the code or the tokens; it learns only the authorization URL (for
//! "copy link") and the redirect URI.

use patchbay_core::oauth::redirect::{self, RedirectChoice};
use patchbay_core::oauth::sign_in::{self, SignInRequest, Visit};
use patchbay_core::oauth::step_up::Reauthentication;
use patchbay_core::oauth::{self, ClientChoice, Grant};
use patchbay_core::{ConnectorView, Saved, Secret};
use tauri::{AppHandle, Emitter, Runtime, State};
use tauri_plugin_opener::OpenerExt;

use super::blocking;
use crate::dto::{
    AUTHORIZE_EVENT, AuthorizeWaiting, ConnectorInput, OAuthClientInput, Reauthorized,
    RedirectUris, SignInInput, StepUpView,
};
use crate::state::PatchbayState;
use crate::{ErrorCode, IpcError};

fn client_choice(client: Option<OAuthClientInput>) -> ClientChoice {
    client
        .map(|client| ClientChoice {
            client_id: Some(client.client_id).filter(|id| !id.trim().is_empty()),
            client_secret: client
                .client_secret
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            metadata_url: None,
        })
        .unwrap_or_default()
}

/// Runs one sign-in until it returns credentials, fails, or is cancelled by its flow id.
/// `again` is what re-authenticating an existing connector needs: its stored client
/// registration (a pre-registered client is reused with the same authorization server) and the
/// scopes a step-up must ask for (the grant's plus those a 403 insufficient_scope named).
async fn run_sign_in<R: Runtime>(
    app: &AppHandle<R>,
    state: &PatchbayState,
    url: &str,
    client: Option<OAuthClientInput>,
    flow: SignInInput,
    again: Option<&Reauthentication>,
) -> Result<Grant, IpcError> {
    let running = state.begin_sign_in(&flow.flow_id)?;
    let server = patchbay_core::validate::url(url)
        .map_err(|e| IpcError::from(patchbay_core::Error::from(e)))?;
    let request = SignInRequest {
        server_url: server,
        client: client_choice(client),
        challenge: None,
        redirect: flow.redirect,
        limit: oauth::AUTHORIZE_TIMEOUT,
        done_page: oauth::done_page(Some(redirect::DEEP_LINK_DONE)),
    };
    let handle = app.clone();
    let flow_id = flow.flow_id;
    let browser = |visit: Visit| async move {
        let waiting = AuthorizeWaiting {
            flow_id,
            authorize_url: visit.authorization_url.to_string(),
            redirect_uri: visit.redirect_uri,
        };
        if let Err(error) = handle.emit(AUTHORIZE_EVENT, waiting) {
            tracing::warn!(%error, "announcing the sign-in URL");
        }
        // No browser is no dead end: the dialog offers the link to copy, and the flow waits.
        if let Err(error) = handle
            .opener()
            .open_url(visit.authorization_url.as_str(), None::<&str>)
        {
            tracing::warn!(%error, "opening the browser");
        }
        Ok(())
    };
    let flows = state.flows();
    let signing_in = async move {
        match again {
            Some(again) => sign_in::reauthenticate(flows, request, again, browser).await,
            None => sign_in::sign_in(flows, request, browser).await,
        }
    };
    tokio::select! {
        result = signing_in => result.map_err(IpcError::from),
        () = running.cancelled() => Err(IpcError::new(ErrorCode::InvalidInput, "sign-in cancelled")),
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
    let grant = run_sign_in(&app, &state, &input.url, client, flow, None).await?;
    let mut spec: patchbay_core::ConnectorSpec = input.into();
    spec.oauth = Some(grant);
    let saved = state
        .patchbay()?
        .add_connector(&workspace, spec, true)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

/// Sign in again to an existing OAuth connector (expired or revoked tokens, or a step-up). Its
/// stored credentials are replaced only once the new ones work. The result names the scopes it
/// asked for that the server left out, so the person learns it now rather than at the next
/// refused call.
#[tauri::command]
pub async fn reauthorize_connector<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    client: Option<OAuthClientInput>,
    flow: SignInInput,
) -> Result<Reauthorized, IpcError> {
    let core = state.patchbay()?;
    let again = core.reauthentication(&workspace, &name)?;
    let url = again.server_url.to_string();
    let grant = run_sign_in(&app, &state, &url, client, flow, Some(&again)).await?;
    let not_granted = again.not_granted(&grant);
    if !not_granted.is_empty() {
        tracing::warn!(
            ?not_granted,
            "the server did not grant every scope asked for"
        );
    }
    let saved = core.sign_in(&workspace, &name, grant).await?;
    state.refresh_tray();
    Ok(Reauthorized { saved, not_granted })
}

/// What Re-authenticate will ask for beyond the connector's grant: the scopes a server refused
/// a request for (`403 insufficient_scope`), and those it did not grant last time. Reads only
/// the store, not the sealed grant.
#[tauri::command]
pub async fn connector_step_up(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<StepUpView, IpcError> {
    let core = state.patchbay()?;
    blocking(move || core.step_up(&workspace, &name))
        .await
        .map(StepUpView::from)
}

/// Stops the sign-in `flow_id` if it is still waiting; a late Cancel does nothing.
#[tauri::command]
pub fn cancel_authorization(state: State<'_, PatchbayState>, flow_id: String) {
    state.cancel_sign_in(&flow_id);
}

/// The redirect URIs to register for a pre-registered client.
#[tauri::command]
pub fn oauth_redirect_uris() -> RedirectUris {
    RedirectUris {
        deep_link: RedirectChoice::DeepLink.uri_to_register().to_owned(),
        loopback: RedirectChoice::Loopback.uri_to_register().to_owned(),
    }
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
