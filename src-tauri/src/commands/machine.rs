//! Machine connectors: OAuth connectors whose own client obtains tokens with the
//! client-credentials grant (no browser, no person), and what the UI may show of any OAuth
//! connector's client. Core checks the client, runs the grant, tests and saves; secrets and keys
//! arrive in inputs and never leave ([`OAuthClientView`] holds neither).

use patchbay_core::{BrowserError, OAuthClientView, Saved, SignInFront, SignInStep, Visit};
use tauri::State;

use crate::IpcError;
use crate::dto::{ConnectorInput, MachineClientInput};
use crate::state::PatchbayState;

/// A machine client's grant opens no browser; the dialog shows its own working line.
struct QuietFront;

#[async_trait::async_trait]
impl SignInFront for QuietFront {
    async fn visit(&self, _visit: Visit) -> Result<(), BrowserError> {
        Err(BrowserError(
            "a machine client signs in without a browser".into(),
        ))
    }

    fn progress(&self, step: SignInStep<'_>) {
        tracing::debug!(?step, "machine client");
    }
}

/// Gets a token for `client`, then tests and saves the new OAuth connector `input`. Nothing is
/// saved on any failure; a rejected client comes back as `NeedsAuth` with core's explanation.
#[tauri::command]
pub async fn add_machine_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    input: ConnectorInput,
    client: MachineClientInput,
) -> Result<Saved, IpcError> {
    let saved = state
        .patchbay()?
        .add_machine_connector(&workspace, input.into(), client.into(), true, &QuietFront)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

/// Runs a machine connector's grant again now (Renew now): with the client stored with it, or
/// with `client` when the person entered a new secret or key.
#[tauri::command]
pub async fn renew_machine_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    client: Option<MachineClientInput>,
) -> Result<Saved, IpcError> {
    let (client_id, credential) = match client.map(patchbay_core::MachineClientInput::from) {
        Some(client) => (Some(client.client_id), Some(client.credential)),
        None => (None, None),
    };
    let saved = state
        .patchbay()?
        .renew_machine_connector(&workspace, &name, client_id, credential, &QuietFront)
        .await?;
    state.refresh_tray();
    Ok(saved)
}

/// The OAuth client a connector's tokens were obtained with, for its details; `null` when it
/// has none stored. Reads the sealed grant, so it needs the keychain.
#[tauri::command]
pub async fn oauth_client(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<Option<OAuthClientView>, IpcError> {
    let core = state.patchbay()?;
    Ok(core.oauth_client(&workspace, &name)?)
}
