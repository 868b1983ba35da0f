//! patchbay-core: everything Patchbay knows, with no window attached.
//!
//! The desktop shell (`src-tauri`) and the `patchbay` CLI are thin front ends over [`Patchbay`],
//! the facade defined in [`patchbay`], with one room per feature under `patchbay/`. They use
//! only what this file re-exports at the crate root (the `pub use` block below is the facade's
//! public API, and `cargo xtask test` fails when a front end reaches into a module path).
//! Modules stay public for the end-to-end tests, which exercise the layers directly.
//!
//! Layers, bottom up; a module imports only from layers below it:
//! 1. [`secret`] (values that cannot be printed), [`process_guard`] (private files, no core
//!    dumps, panics that print no secret), [`vocabulary`] (connector status, auth kind,
//!    the MCP revision, one-line error text), [`paths`] (where data lives).
//! 2. [`crypto`] (AES-256-GCM with associated data), [`keychain`] (where the master key lives),
//!    [`validate`] (input a person typed), [`url_secrets`] (credentials in a URL's query),
//!    [`llm`] (the language-model wire client; it knows no store, connector or MCP, and the
//!    store names its [`ProviderKind`]).
//! 3. [`store`] (SQLite: rows, migrations, owner-keyed ciphertexts; connectors and providers).
//! 4. [`vault`] (the key hierarchy over the keychain and the store).
//! 5. [`oauth`] (sign-in flows, registrations, refresh, step-up), then [`mcp`] (the MCP client
//!    and connection diagnosis, which authenticates through `oauth`), then [`runner`] (the LLM
//!    step loop over an `llm` client and `mcp` sessions, and the transcript it keeps).
//! 6. [`error`] (the one error vocabulary front ends map), [`patchbay`] (the facade and its
//!    rooms: workspaces, connectors, credentials, sign_in, machine, checks, step_up, tools,
//!    providers, steps, runs), [`status`] (the monitor that checks connectors through the
//!    facade). `error` names the runner's record and the layers' errors, never the facade.
//!
//! This crate never imports tauri; a check in `cargo xtask test` enforces it.

mod bounded;
pub mod crypto;
pub mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod install_link;
pub mod interop;
pub mod keychain;
pub mod llm;
pub mod mcp;
pub mod network;
pub mod oauth;
pub mod patchbay;
pub mod paths;
pub mod process_guard;
#[cfg(test)]
mod properties;
pub mod runner;
pub mod secret;
pub mod settings;
pub mod status;
pub mod store;
pub mod url_secrets;
pub mod validate;
pub mod vault;
pub mod vocabulary;
pub mod workbench;

// --- The facade's public API: everything a front end may name. ------------------------------
pub use error::{Error, ErrorKind, Hint};
pub use install_link::{InstallOffer, is_install_link};
pub use interop::{
    CandidateView, ConfigFormat, MAX_FILE_BYTES as MAX_IMPORT_BYTES, Placeholder, Skipped,
};
pub use keychain::{Keychain, MemoryKeychain, os_keychain};
pub use llm::ProviderKind;
pub use mcp::Progress;
pub use mcp::elicitation::Responder;
pub use mcp::{Diagnosis, Remedy, Stage, Timeouts, TransportKind};
pub use network::{
    Change, ConnectorNetwork, MAX_CA_PEM_BYTES, MAX_CONNECT_TIMEOUT_SECS, MAX_REQUEST_TIMEOUT_SECS,
    NetworkEdit, NetworkInput, ProxySetting,
};
pub use oauth::flows::Delivery;
pub use oauth::redirect::{RedirectChoice, SCHEME as DEEP_LINK_SCHEME};
pub use oauth::{
    AUTHORIZE_TIMEOUT, ClientAuthentication, ClientChoice, JwtAlgorithm, OAuthClientView,
    RegistrationMethod, open_in_browser,
};
pub use patchbay::ImportPlan;
pub use patchbay::{
    AlwaysAllowed, ApprovalPolicy, Approve, RunSummary, StepConnector, StepFront, StepSpec,
    StepView,
};
pub use patchbay::{
    BrowserError, ConnectorEdit, ConnectorSpec, ConnectorView, LocalProvider, MachineClientInput,
    MachineCredential, ModelView, Patchbay, ProviderEdit, ProviderSpec, ProviderView, Reauthorized,
    RedirectUris, Saved, SignInFront, SignInOptions, SignInStep, StepUpView, ToolsSource, Visit,
};
pub use patchbay::{
    CheckView, ConnectorBudget, PromptFilled, PromptMessageView, RECENT_CHECKS, ResourceRead,
    ServerDetails, StepBudget,
};
pub use paths::{data_dir_from_env, default_data_dir, keychain_service_from_env};
pub use process_guard::harden as harden_process;
pub use runner::{
    Approval, ApprovalRequest, CallRecord, OfferedTool, Outcome, ResultPart, RunEvent, RunRecord,
    TokenUsage, Transcript, Turn,
};
pub use secret::{Secret, redact_remembered};
pub use settings::{AppSettings, MAX_MONITOR_INTERVAL_SECS, MIN_MONITOR_INTERVAL_SECS, Theme};
pub use status::{
    Aggregate, CheckOutcome, MonitorConfig, MonitorHandle, Summary, TransitionAlerts,
    spawn as spawn_monitor,
};
pub use store::CHECK_HISTORY_LIMIT;
pub use store::{AuthKind, ConnectorStatus, DEFAULT_WORKSPACE, Workspace};
pub use url_secrets::{secret_parameters as url_secret_parameters, shown as shown_url};
pub use validate::{InvalidInput, header as parse_header, is_bidi_control};
pub use workbench::{
    Budget, CallOutcome, PromptArgumentItem, PromptItem, ResourceCatalog, ResourceItem, ShownPart,
    TemplateItem, ToolCatalog, ToolHints, ToolView, decoded_size, resource_bytes, shown_resource,
};

/// The application identifier: names the OS app-data directory and the keychain service.
pub const APP_IDENTIFIER: &str = "dev.patchbay.desktop";
