//! The shapes that cross IPC in addition to core's views: what the UI sends (inputs with secrets,
//! which flow into Rust and never back) and the events the shell pushes. All derive `ts_rs::TS`
//! so `ui/src/lib/bindings.ts` is generated, never hand-copied.

use patchbay_core::oauth::redirect::RedirectChoice;
use patchbay_core::{AuthKind, ConnectorStatus, Secret};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A custom header as typed in the dialog.
#[derive(Deserialize, TS)]
pub struct HeaderInput {
    pub name: String,
    pub value: String,
}

/// The Add Connector form.
#[derive(Deserialize, TS)]
pub struct ConnectorInput {
    pub name: String,
    pub url: String,
    pub auth: AuthKind,
    pub token: Option<String>,
    pub headers: Vec<HeaderInput>,
}

/// The Edit form: `null` keeps a field; an empty token also keeps the stored one.
#[derive(Deserialize, TS)]
pub struct ConnectorEditInput {
    pub name: Option<String>,
    pub url: Option<String>,
    pub token: Option<String>,
    pub headers: Option<Vec<HeaderInput>>,
}

// Inputs carry secrets: keep them out of any debug output.
impl std::fmt::Debug for ConnectorInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectorInput")
            .field("name", &self.name)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

fn secret_headers(headers: Vec<HeaderInput>) -> Vec<(String, Secret)> {
    headers
        .into_iter()
        .map(|header| (header.name, Secret::new(header.value)))
        .collect()
}

impl From<ConnectorInput> for patchbay_core::ConnectorSpec {
    fn from(input: ConnectorInput) -> Self {
        Self {
            name: input.name,
            url: input.url,
            auth: input.auth,
            token: input
                .token
                .filter(|token| !token.is_empty())
                .map(Secret::new),
            headers: secret_headers(input.headers),
            oauth: None,
        }
    }
}

impl From<ConnectorEditInput> for patchbay_core::ConnectorEdit {
    fn from(input: ConnectorEditInput) -> Self {
        Self {
            name: input.name,
            url: input.url,
            token: input
                .token
                .filter(|token| !token.is_empty())
                .map(Secret::new),
            headers: input.headers.map(secret_headers),
        }
    }
}

/// Event `connector-status`: a background check finished.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StatusEvent {
    pub connector_id: String,
    pub workspace: String,
    pub name: String,
    pub previous: ConnectorStatus,
    pub current: ConnectorStatus,
    pub diagnosis: Option<patchbay_core::mcp::Diagnosis>,
    pub error: Option<String>,
}

/// Event `focus-connector`: the user picked a connector in the tray menu.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FocusConnector {
    pub connector_id: String,
    pub workspace: String,
}

/// A pre-registered OAuth client, entered under "Advanced".
#[derive(Deserialize, TS)]
pub struct OAuthClientInput {
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for OAuthClientInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClientInput")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// How one sign-in runs: the id the UI cancels it by (several may run at once), and where the
/// browser should come back to.
#[derive(Debug, Deserialize, TS)]
pub struct SignInInput {
    pub flow_id: String,
    pub redirect: RedirectChoice,
}

/// Event `authorize-waiting`: sign-in `flow_id` sent the browser to `authorize_url`; the dialog
/// offers "copy link". `redirect_uri` is where the browser comes back (loopback when the server
/// refused the app's link).
#[derive(Debug, Clone, Serialize, TS)]
pub struct AuthorizeWaiting {
    pub flow_id: String,
    pub authorize_url: String,
    pub redirect_uri: String,
}

/// The redirect URIs a person registers for a pre-registered client, per choice.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RedirectUris {
    /// The app's own link (RFC 8252 §7.1).
    pub deep_link: String,
    /// The loopback redirect; any port (RFC 8252 §7.3).
    pub loopback: String,
}

pub const AUTHORIZE_EVENT: &str = "authorize-waiting";
pub const STATUS_EVENT: &str = "connector-status";
pub const FOCUS_EVENT: &str = "focus-connector";
