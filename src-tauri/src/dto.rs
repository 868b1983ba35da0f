//! The shapes that cross IPC in addition to core's views: what the UI sends (inputs with secrets,
//! which flow into Rust and never back) and the events the shell pushes. All derive `ts_rs::TS`
//! so `ui/src/lib/bindings.ts` is generated, never hand-copied.

use patchbay_core::oauth::redirect::RedirectChoice;
use patchbay_core::oauth::step_up::scopes;
use patchbay_core::oauth::{ClientAuth, JwtAlgorithm, MachineClient};
use patchbay_core::store::StepUp;
use patchbay_core::validate::InvalidInput;
use patchbay_core::{AuthKind, ConnectorStatus, Saved, Secret};
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

/// A connector's step-up state (core's [`StepUp`]) as lists of scopes, for Re-authenticate to say
/// what it will ask for beyond the grant.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StepUpView {
    /// Scopes a server refused a request for (`403 insufficient_scope`) that the grant lacks;
    /// Re-authenticate asks for them too.
    pub needed: Vec<String>,
    /// Scopes the last re-authentication asked for that the server did not grant. Patchbay
    /// does not ask for them by itself again; Re-authenticate, chosen on purpose, does.
    pub refused: Vec<String>,
}

impl From<StepUp> for StepUpView {
    fn from(step_up: StepUp) -> Self {
        Self {
            needed: scopes(step_up.needed.as_deref().unwrap_or_default()),
            refused: scopes(step_up.refused.as_deref().unwrap_or_default()),
        }
    }
}

/// What Re-authenticate returns: the saved connector, and the scopes it asked for that the
/// server did not grant (empty when it granted them all, or did not say what it granted).
#[derive(Debug, Clone, Serialize, TS)]
pub struct Reauthorized {
    pub saved: Saved,
    pub not_granted: Vec<String>,
}

/// A machine connector's client as entered in the dialog: nobody signs in; Patchbay obtains
/// tokens with the client-credentials grant and renews them by itself.
#[derive(Deserialize, TS)]
pub struct MachineClientInput {
    pub client_id: String,
    pub credential: MachineCredentialInput,
}

/// How the machine client proves who it is at the token endpoint.
#[derive(Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MachineCredentialInput {
    /// A client secret; sent as `client_secret_basic` or `client_secret_post`, as the
    /// authorization server advertises.
    ClientSecret { secret: String },
    /// `private_key_jwt`: a PEM private key, which never leaves Patchbay (only signatures do).
    PrivateKey {
        pem: String,
        algorithm: SigningAlgorithm,
    },
}

/// The JWT signing algorithms offered for `private_key_jwt` (core's [`JwtAlgorithm`]).
/// Named as JOSE names them (`"ES256"`), which is also how the UI lists them.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "UPPERCASE")]
pub enum SigningAlgorithm {
    Rs256,
    Rs384,
    Rs512,
    Es256,
    Es384,
}

impl From<SigningAlgorithm> for JwtAlgorithm {
    fn from(algorithm: SigningAlgorithm) -> Self {
        match algorithm {
            SigningAlgorithm::Rs256 => Self::Rs256,
            SigningAlgorithm::Rs384 => Self::Rs384,
            SigningAlgorithm::Rs512 => Self::Rs512,
            SigningAlgorithm::Es256 => Self::Es256,
            SigningAlgorithm::Es384 => Self::Es384,
        }
    }
}

impl std::fmt::Debug for MachineClientInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineClientInput")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Client ids are opaque strings; one longer than this is a wrong paste.
const MAX_CLIENT_ID_BYTES: usize = 1024;
/// Far above any real client secret or PEM key (an RSA-4096 key is ~3.3 KiB), far below
/// trouble; the CLI's stdin limit.
const MAX_MACHINE_SECRET_BYTES: usize = 64 * 1024;

impl MachineClientInput {
    /// The client to run the grant with. Checked here, before any request: an empty or
    /// oversized field, or a key that is not PEM, is the person's to fix in the form.
    pub fn into_client(self) -> Result<MachineClient, InvalidInput> {
        let client_id = self.client_id.trim();
        if client_id.is_empty() {
            return Err(InvalidInput::Empty {
                what: "the client ID",
            });
        }
        if client_id.len() > MAX_CLIENT_ID_BYTES {
            return Err(InvalidInput::TooLong {
                what: "the client ID",
                length: client_id.len(),
                max: MAX_CLIENT_ID_BYTES,
            });
        }
        if client_id.chars().any(char::is_control) {
            return Err(InvalidInput::ControlCharacters {
                what: "the client ID",
            });
        }
        let auth = match self.credential {
            MachineCredentialInput::ClientSecret { secret } => {
                ClientAuth::Secret(Secret::new(bounded(secret.trim(), "the client secret")?))
            }
            MachineCredentialInput::PrivateKey { pem, algorithm } => {
                let pem = bounded(pem.trim(), "the private key")?;
                // rmcp would refuse it only when signing, with a less helpful message.
                if !(pem.starts_with("-----BEGIN ") && pem.contains("PRIVATE KEY-----")) {
                    return Err(InvalidInput::Other(
                        "the private key must be PEM text, starting with \"-----BEGIN PRIVATE \
                         KEY-----\" (PKCS#8), \"-----BEGIN RSA PRIVATE KEY-----\" or \"-----BEGIN \
                         EC PRIVATE KEY-----\""
                            .into(),
                    ));
                }
                ClientAuth::PrivateKeyJwt {
                    private_key_pem: Secret::new(pem),
                    algorithm: algorithm.into(),
                }
            }
        };
        Ok(MachineClient {
            client_id: client_id.to_owned(),
            auth,
            scopes: Vec::new(),
        })
    }
}

/// `value` if it is neither empty nor too long for `what`.
fn bounded<'a>(value: &'a str, what: &'static str) -> Result<&'a str, InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput::Empty { what });
    }
    if value.len() > MAX_MACHINE_SECRET_BYTES {
        return Err(InvalidInput::TooLong {
            what,
            length: value.len(),
            max: MAX_MACHINE_SECRET_BYTES,
        });
    }
    Ok(value)
}

pub const AUTHORIZE_EVENT: &str = "authorize-waiting";
pub const STATUS_EVENT: &str = "connector-status";
pub const FOCUS_EVENT: &str = "focus-connector";
