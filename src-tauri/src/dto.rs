//! The shapes that cross IPC in addition to core's views: what the UI sends (inputs with secrets,
//! which flow into Rust and never back) and the events the shell pushes. All derive `ts_rs::TS`
//! so `ui/src/lib/bindings.ts` is generated, never hand-copied.

use patchbay_core::{
    Approve, AuthKind, CallRecord, ClientChoice, ConnectorStatus, Diagnosis, JwtAlgorithm,
    MachineCredential, ProviderKind, RedirectChoice, RunEvent, Secret, SignInOptions, Turn,
};
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
    /// Its own timeouts, proxy and CA; absent: the app's.
    #[serde(default)]
    #[ts(optional)]
    pub network: Option<patchbay_core::ConnectorNetwork>,
    /// The explicit proxy's `user:password` (sealed).
    #[serde(default)]
    #[ts(optional)]
    pub proxy_credentials: Option<String>,
}

/// The Edit form: `null` keeps a field; an empty token also keeps the stored one.
#[derive(Deserialize, TS)]
pub struct ConnectorEditInput {
    pub name: Option<String>,
    pub url: Option<String>,
    pub token: Option<String>,
    pub headers: Option<Vec<HeaderInput>>,
    /// A new auth type (`none`, or `token` with `token`); absent keeps it.
    #[serde(default)]
    #[ts(optional)]
    pub auth: Option<AuthKind>,
    /// Its own timeouts as they should be (a field left out goes back to the app's); absent
    /// keeps them.
    #[serde(default)]
    #[ts(optional)]
    pub network: Option<patchbay_core::ConnectorNetwork>,
    /// New `user:password` for the explicit proxy; absent or empty keeps the stored ones.
    #[serde(default)]
    #[ts(optional)]
    pub proxy_credentials: Option<String>,
    /// Moves a credential from the URL's query into a sealed header.
    #[serde(default)]
    #[ts(optional)]
    pub query_to_header: Option<QueryToHeader>,
}

/// A query parameter to move into a header.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct QueryToHeader {
    pub parameter: String,
    pub header: String,
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

/// The settings as the form shows them, as a change: each one set, or back to the app's.
fn network_edit(
    wanted: patchbay_core::ConnectorNetwork,
    credentials: Option<String>,
) -> patchbay_core::NetworkEdit {
    use patchbay_core::Change;
    fn change<T>(value: Option<T>) -> Change<T> {
        value.map_or(Change::Default, Change::Set)
    }
    patchbay_core::NetworkEdit {
        connect_timeout_secs: change(wanted.connect_timeout_secs),
        request_timeout_secs: change(wanted.request_timeout_secs),
        proxy: change(wanted.proxy),
        // New credentials when typed; otherwise kept (core drops them with their proxy).
        proxy_credentials: credentials
            .filter(|credentials| !credentials.is_empty())
            .map_or(Change::Keep, |credentials| {
                Change::Set(Secret::new(credentials))
            }),
        ca_pem: change(wanted.ca_pem),
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
            network: patchbay_core::NetworkInput {
                settings: input.network.unwrap_or_default(),
                proxy_credentials: input
                    .proxy_credentials
                    .filter(|credentials| !credentials.is_empty())
                    .map(Secret::new),
            },
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
            auth: input.auth,
            network: input
                .network
                .map(|wanted| network_edit(wanted, input.proxy_credentials))
                .unwrap_or_default(),
            query_to_header: input
                .query_to_header
                .map(|moved| (moved.parameter, moved.header)),
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
    pub diagnosis: Option<Diagnosis>,
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

impl SignInInput {
    /// Core's options for this sign-in, with the pre-registered client entered under Advanced.
    pub fn options(self, client: Option<OAuthClientInput>) -> SignInOptions {
        let client = client
            .map(|client| ClientChoice {
                client_id: Some(client.client_id).filter(|id| !id.trim().is_empty()),
                client_secret: client
                    .client_secret
                    .filter(|secret| !secret.is_empty())
                    .map(Secret::new),
                metadata_url: None,
            })
            .unwrap_or_default();
        SignInOptions {
            client,
            redirect: self.redirect,
            flow_id: Some(self.flow_id),
            // The app forgets a reused registration whose sign-in did not finish by itself.
            new_client: false,
        }
    }
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

impl From<MachineClientInput> for patchbay_core::MachineClientInput {
    /// As entered; core checks it before any request.
    fn from(input: MachineClientInput) -> Self {
        let credential = match input.credential {
            MachineCredentialInput::ClientSecret { secret } => {
                MachineCredential::ClientSecret(Secret::new(secret))
            }
            MachineCredentialInput::PrivateKey { pem, algorithm } => {
                MachineCredential::PrivateKey {
                    pem: Secret::new(pem),
                    algorithm: algorithm.into(),
                }
            }
        };
        Self {
            client_id: input.client_id,
            credential,
        }
    }
}

/// The Add Provider form.
#[derive(Deserialize, TS)]
pub struct ProviderInput {
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    /// Local servers need none; an empty one is none.
    pub api_key: Option<String>,
}

/// The Edit Provider form: `null` keeps a field; an empty key also keeps the stored one.
#[derive(Deserialize, TS)]
pub struct ProviderEditInput {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub api_key: Option<String>,
}

impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInput")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Event `input-requested`: connector `connector`'s server asks the person something while a
/// tool runs; answer with `answer_input(id, …)`. A form has `schema` (a flat JSON Schema object:
/// strings, numbers, integers, booleans, enums); URL mode has `url`, a page to visit (shown,
/// never opened by Patchbay). After `limit_secs` the question is cancelled.
#[derive(Debug, Clone, Serialize, TS)]
pub struct InputRequested {
    pub id: String,
    pub connector: String,
    pub message: String,
    #[ts(type = "unknown")]
    pub schema: Option<serde_json::Value>,
    pub url: Option<String>,
    #[ts(type = "number")]
    pub limit_secs: u64,
}

/// Event `input-closed`: question `id` no longer waits (answered, timed out, or its call ended).
#[derive(Debug, Clone, Serialize, TS)]
pub struct InputClosed {
    pub id: String,
}

/// What the person did with a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InputAction {
    /// Send the form (or, for a URL, "I went to the page").
    Accept,
    Decline,
    Cancel,
}

/// The person's answer to a question: the form's values when sent.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct InputAnswer {
    pub action: InputAction,
    #[ts(type = "Record<string, unknown> | null")]
    pub content: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A person's answer to an approval the run waits for.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalAnswer {
    Once,
    Always,
    Deny,
}

impl From<ApprovalAnswer> for Approve {
    fn from(answer: ApprovalAnswer) -> Self {
        match answer {
            ApprovalAnswer::Once => Self::Once,
            ApprovalAnswer::Always => Self::Always,
            ApprovalAnswer::Deny => Self::Deny,
        }
    }
}

/// Event `step-run`: something happened in run `run_id`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StepRunEvent {
    pub run_id: String,
    pub event: StepRunEventKind,
}

/// What happened (core's run events, owned for the trip to the window).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepRunEventKind {
    RoundStarted {
        round: u32,
    },
    /// A piece of the model's text; a turn that ends in tool calls may have streamed stray
    /// text first (`turn_finished` has the turn as it counts).
    Text {
        delta: String,
    },
    CallRequested {
        id: String,
        name: String,
        connector: Option<String>,
        tool: Option<String>,
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
    },
    /// The run waits for the person: answer with `answer_approval(run_id, request_id, …)`.
    ApprovalNeeded {
        request_id: String,
        connector: String,
        tool: String,
        #[ts(type = "unknown")]
        arguments: serde_json::Value,
        read_only: bool,
        destructive: bool,
    },
    CallFinished {
        call: CallRecord,
    },
    TurnFinished {
        turn: Turn,
    },
}

impl From<RunEvent<'_>> for StepRunEventKind {
    fn from(event: RunEvent<'_>) -> Self {
        match event {
            RunEvent::RoundStarted { round } => Self::RoundStarted { round },
            RunEvent::Text { delta } => Self::Text {
                delta: delta.to_owned(),
            },
            RunEvent::CallRequested {
                id,
                name,
                connector,
                tool,
                arguments,
            } => Self::CallRequested {
                id: id.to_owned(),
                name: name.to_owned(),
                connector: connector.map(str::to_owned),
                tool: tool.map(str::to_owned),
                arguments: arguments.clone(),
            },
            RunEvent::CallFinished { call } => Self::CallFinished { call: call.clone() },
            RunEvent::TurnFinished { turn } => Self::TurnFinished { turn: turn.clone() },
        }
    }
}

pub const STEP_RUN_EVENT: &str = "step-run";
pub const TOOL_PROGRESS_EVENT: &str = "tool-progress";
pub const TOOLS_CHANGED_EVENT: &str = "tools-changed";

/// A progress notification for the window's tool call `call_id`.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ToolProgress {
    pub call_id: String,
    pub progress: patchbay_core::Progress,
}

/// A connector's server said its tools changed (while the window watches them).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ToolsChanged {
    pub workspace: String,
    pub connector: String,
}
pub const INPUT_EVENT: &str = "input-requested";
pub const INPUT_CLOSED_EVENT: &str = "input-closed";
pub const AUTHORIZE_EVENT: &str = "authorize-waiting";
pub const STATUS_EVENT: &str = "connector-status";
pub const FOCUS_EVENT: &str = "focus-connector";
/// An install link arrived: the window takes it with `take_install_offer`.
pub const INSTALL_EVENT: &str = "install-offer";

/// An install link as the confirmation shows it: the connector it offers, or why it was
/// refused (a hostile or malformed link is never half-read).
#[derive(Debug, Clone, Serialize, TS)]
pub struct LinkOffer {
    pub offer: Option<patchbay_core::InstallOffer>,
    /// Why the link was refused, as a sentence.
    pub refused: Option<String>,
}

/// A value for one of an imported file's placeholders (`${input:…}`, `${env:…}`).
/// No `Debug`: the value is a secret.
#[derive(Deserialize, TS)]
pub struct PlaceholderValue {
    /// As written in the file, e.g. `${input:api-key}`.
    pub reference: String,
    pub value: String,
}

impl PlaceholderValue {
    pub fn sealed(values: Vec<Self>) -> Vec<(String, Secret)> {
        values
            .into_iter()
            .map(|value| (value.reference, Secret::new(value.value)))
            .collect()
    }
}
