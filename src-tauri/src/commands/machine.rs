//! Machine connectors: OAuth connectors whose own client obtains tokens with the
//! client-credentials grant (no browser, no person), and what the UI may show of any OAuth
//! connector's client.
//!
//! Adding one runs the grant, tests the connection and saves, in that order, so nothing is saved
//! on any failure. The grant keeps its client (the secret or key sealed with the tokens), and
//! core renews the token by itself when it expires; "Renew now" (Re-authenticate) runs the grant
//! again on request, with the stored client or with a new secret or key the person entered.
//! Secrets and keys arrive in inputs and never leave: [`OAuthClientView`] holds neither.

use patchbay_core::oauth::{self, OAuthClientView, Registration};
use patchbay_core::validate::{self, InvalidInput};
use patchbay_core::{AuthKind, Saved};
use tauri::State;

use super::blocking;
use crate::IpcError;
use crate::dto::{ConnectorInput, MachineClientInput};
use crate::state::PatchbayState;

/// Gets a token for `client`, then tests and saves the new OAuth connector `input`. Nothing is
/// saved on any failure; a rejected client comes back as `NeedsAuth` with core's explanation.
#[tauri::command]
pub async fn add_machine_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    input: ConnectorInput,
    client: MachineClientInput,
) -> Result<Saved, IpcError> {
    let core = state.patchbay()?;
    if input.auth != AuthKind::OAuth || input.token.as_deref().is_some_and(|t| !t.is_empty()) {
        return Err(InvalidInput::Other(
            "a machine client is for OAuth connectors, which take no access token".into(),
        )
        .into());
    }
    // The person's mistakes first, before any request leaves.
    validate::name(&input.name, "the connector name")?;
    let server = validate::url(&input.url)?;
    let client = client.into_client()?;
    let grant = oauth::machine_grant(&server, &client).await?;
    let mut spec: patchbay_core::ConnectorSpec = input.into();
    spec.oauth = Some(grant);
    let saved = core.add_connector(&workspace, spec, true).await?;
    state.refresh_tray();
    Ok(saved)
}

/// Runs a machine connector's grant again now (Re-authenticate): with the client stored with
/// it, or with `client` when the person entered a new secret or key (a rotated secret, a new
/// key). The stored client is only sent to the authorization server it was registered with.
/// Its stored credentials are replaced only once the new token works.
#[tauri::command]
pub async fn renew_machine_connector(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    client: Option<MachineClientInput>,
) -> Result<Saved, IpcError> {
    let core = state.patchbay()?;
    let replacement = client.map(MachineClientInput::into_client).transpose()?;
    let (connector, previous) = {
        let (core, workspace, name) = (core.clone(), workspace.clone(), name.clone());
        blocking(move || {
            let connector = core.connector(&workspace, &name)?;
            let previous = core.stored_registration(&workspace, &name)?;
            Ok((connector, previous))
        })
        .await?
    };
    if connector.auth != AuthKind::OAuth {
        return Err(InvalidInput::Other(format!("{name:?} does not use OAuth")).into());
    }
    let server = validate::url(&connector.url)?;
    // A browser sign-in's registration is no machine client; only a machine one is reused.
    let machine = previous.filter(Registration::is_machine);
    let (client_id, auth) = match replacement {
        Some(client) => (Some(client.client_id), Some(client.auth)),
        None => (None, None),
    };
    let grant = oauth::machine_grant_again(&server, machine.as_ref(), client_id, auth).await?;
    let saved = core.sign_in(&workspace, &name, grant).await?;
    state.refresh_tray();
    Ok(saved)
}

/// The OAuth client a connector's tokens were obtained with (client id, how it was obtained,
/// whether it is a machine client, how it authenticates, issuer), for its details; `null` when
/// it has none stored. Reads the sealed grant, so it needs the keychain.
#[tauri::command]
pub async fn oauth_client(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<Option<OAuthClientView>, IpcError> {
    let core = state.patchbay()?;
    blocking(move || core.oauth_client(&workspace, &name)).await
}
