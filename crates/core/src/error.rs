//! The facade's one error type, the small kind enum front ends branch on (CLI exit codes, the
//! desktop's IPC error codes), and [`Hint`]: what a person can do about a failure, as data.
//!
//! Module errors stay typed underneath ([`OAuthError`], [`CallError`], the store's and vault's);
//! every one a facade method can return arrives here, so the CLI and the app classify the same
//! failure the same way. `kind()` is the only classification anyone needs, and a kind exists only
//! if some front end branches on it. Core never words a remedy as a command line or a button:
//! [`Error::hint`] names the action and its subject, and each front end says it its own way.

use serde::Serialize;

use crate::keychain::KeychainError;
use crate::llm::LlmError;
use crate::mcp::{CallError, Diagnosis};
use crate::oauth::OAuthError;
use crate::oauth::step_up::Verdict;
use crate::store::StoreError;
use crate::validate::InvalidInput;
use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidInput(#[from] InvalidInput),
    #[error("{what} {name:?} already exists{place}")]
    Duplicate {
        what: &'static str,
        name: String,
        place: String,
    },
    /// What this change was made over was changed by another writer meanwhile (another window
    /// or a `patchbay` command, during a test that took seconds); nothing was saved.
    #[error(
        "{what} {name:?} was changed elsewhere (another window or a `patchbay` command) while \
         this change was being tested; nothing was saved — look at it again and repeat the change"
    )]
    Changed { what: &'static str, name: String },
    #[error("no {what} named {name:?}{place}")]
    NotFound {
        what: &'static str,
        name: String,
        place: String,
    },
    #[error("{}", .0.summary())]
    ConnectionFailed(Box<Diagnosis>),
    /// A request to a connected server failed (`what`: "listing tools", "calling \"echo\"").
    #[error("{what}: {source}")]
    Request { what: String, source: CallError },
    /// A request refused for lack of scope, judged for its connector (see
    /// [`crate::oauth::step_up`]); the refusal is recorded on the connector already.
    #[error("{what}: {}", verdict.message())]
    ScopeRefused {
        what: String,
        verdict: Verdict,
        workspace: String,
        connector: String,
    },
    /// A sign-in (browser or machine client) that did not produce credentials.
    #[error("{0}")]
    SignIn(#[from] OAuthError),
    /// A model provider failed (unreachable, refused the key, no such model, …).
    #[error(transparent)]
    Model(#[from] LlmError),
    /// A step run that started and then failed or was cancelled: its record (saved, with the
    /// transcript so far) and why.
    #[error("{cause}")]
    RunFailed {
        record: Box<crate::runner::RunRecord>,
        cause: Box<Error>,
    },
    /// The person (or the program on their behalf) stopped it.
    #[error("{0} cancelled")]
    Cancelled(&'static str),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    /// A whole check that did not finish in its time (recorded on the connector as
    /// disconnected).
    #[error("the check did not finish within {seconds}s")]
    CheckTimedOut { seconds: u64 },
    /// A local fault outside the store (a background task that died).
    #[error("{0}")]
    Internal(String),
}

/// What kind of failure this is, for exit codes and UI branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorKind {
    /// The request itself is wrong: fix the input.
    InvalidInput,
    /// The named workspace or connector does not exist.
    NotFound,
    /// The OS keychain is unreachable, locked, or lost the master key.
    KeychainUnavailable,
    /// The server could not be reached.
    Unreachable,
    /// The server wants (new) credentials.
    NeedsAuth,
    /// OAuth: the server offers no way for Patchbay to register itself; the person must enter a
    /// client ID (registered with [`Error::redirect_uri_to_register`]).
    NeedsClientId,
    /// The server was reached but failed (not MCP, protocol error, 5xx).
    ServerError,
    /// The person stopped it; nothing to report beyond that.
    Cancelled,
    /// A bug or local fault: database, file system.
    Internal,
}

/// What a person can do about a failure: an action and its subject. The CLI renders it as a
/// command line, the app as a sentence or a button; core never words it for either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Hint {
    /// See which connectors the workspace has.
    ListConnectors { workspace: String },
    /// See which workspaces exist.
    ListWorkspaces,
    /// A stored credential of this connector is damaged: enter it again (others are unaffected).
    ReenterCredentials {
        workspace: String,
        connector: String,
    },
    /// Sign in to this connector again, asking for `scope` too when one is named.
    SignInAgain {
        workspace: String,
        connector: String,
        scope: Option<String>,
    },
    /// Register a client with the server and enter its ID; the redirect URI to register it with.
    EnterClientId { redirect_uri: String },
    /// Advice in plain words with no action attached (a diagnosis's: "check the URL's path").
    Advice { text: String },
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidInput(_) | Self::Duplicate { .. } | Self::Changed { .. } => {
                ErrorKind::InvalidInput
            }
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::CheckTimedOut { .. } => ErrorKind::Unreachable,
            Self::ConnectionFailed(diagnosis) => match diagnosis.status() {
                crate::ConnectorStatus::NeedsAuth => ErrorKind::NeedsAuth,
                crate::ConnectorStatus::Disconnected => ErrorKind::Unreachable,
                _ => ErrorKind::ServerError,
            },
            Self::Request { source, .. } => match source {
                CallError::Timeout(_) => ErrorKind::Unreachable,
                CallError::InsufficientScope { .. } | CallError::Unauthorized { .. } => {
                    ErrorKind::NeedsAuth
                }
                CallError::Service(_) | CallError::Failed(_) => ErrorKind::ServerError,
            },
            Self::ScopeRefused { verdict, .. } if verdict.needs_auth() => ErrorKind::NeedsAuth,
            Self::ScopeRefused { .. } => ErrorKind::ServerError,
            // Every failed sign-in leaves the connector needing authentication, except one the
            // person fixes by entering a client ID, a server that never answered, and their own
            // mistakes in what they entered.
            Self::SignIn(error) => match error {
                OAuthError::NeedsClientId { .. } => ErrorKind::NeedsClientId,
                OAuthError::ServerSilent(_) => ErrorKind::Unreachable,
                OAuthError::NoMachineClient => ErrorKind::InvalidInput,
                _ => ErrorKind::NeedsAuth,
            },
            Self::Model(error) => match error {
                LlmError::Unreachable { .. } => ErrorKind::Unreachable,
                LlmError::Unauthorized { .. } => ErrorKind::NeedsAuth,
                LlmError::UnknownModel { .. } => ErrorKind::NotFound,
                LlmError::ContextTooLong { .. } => ErrorKind::InvalidInput,
                LlmError::RateLimited { .. }
                | LlmError::Provider { .. }
                | LlmError::BadResponse(_) => ErrorKind::ServerError,
            },
            Self::RunFailed { cause, .. } => cause.kind(),
            Self::Cancelled(_) => ErrorKind::Cancelled,
            Self::Vault(
                VaultError::Keychain(KeychainError::Unavailable { .. })
                | VaultError::MasterKeyMissing { .. }
                | VaultError::MasterKeyMismatch,
            ) => ErrorKind::KeychainUnavailable,
            Self::Vault(_) | Self::Store(_) | Self::DataDir { .. } | Self::Internal(_) => {
                ErrorKind::Internal
            }
        }
    }

    /// What to do about it, when there is something to say. `workspace` and `connector` name
    /// the subject for errors that do not carry it (a damaged secret met while using one).
    pub fn hint(&self) -> Option<Hint> {
        match self {
            Self::ConnectionFailed(diagnosis) => {
                (!diagnosis.hint.is_empty()).then(|| Hint::Advice {
                    text: diagnosis.hint.clone(),
                })
            }
            Self::NotFound {
                what: "connector",
                place,
                ..
            } => Some(Hint::ListConnectors {
                workspace: workspace_of(place),
            }),
            Self::NotFound {
                what: "workspace", ..
            } => Some(Hint::ListWorkspaces),
            Self::ScopeRefused {
                verdict: Verdict::SignInAgain { required },
                workspace,
                connector,
                ..
            } => Some(Hint::SignInAgain {
                workspace: workspace.clone(),
                connector: connector.clone(),
                scope: Some(required.clone()),
            }),
            Self::SignIn(OAuthError::NeedsClientId { redirect_uri, .. }) => {
                Some(Hint::EnterClientId {
                    redirect_uri: redirect_uri.clone(),
                })
            }
            _ => None,
        }
    }

    /// [`Error::hint`], with the connector a front end was acting on as the subject where the
    /// error itself does not name one (a damaged stored secret).
    pub fn hint_for(&self, workspace: &str, connector: &str) -> Option<Hint> {
        match self {
            Self::Vault(VaultError::Decrypt { .. }) => Some(Hint::ReenterCredentials {
                workspace: workspace.to_owned(),
                connector: connector.to_owned(),
            }),
            _ => self.hint(),
        }
    }

    /// The saved record of a step run that failed or was cancelled.
    pub fn run_record(&self) -> Option<&crate::runner::RunRecord> {
        match self {
            Self::RunFailed { record, .. } => Some(record),
            _ => None,
        }
    }

    /// The diagnosis behind a failed connection, if that is what this is.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            Self::ConnectionFailed(diagnosis) => Some(diagnosis),
            _ => None,
        }
    }

    /// With [`ErrorKind::NeedsClientId`]: the redirect URI to register the client with.
    pub fn redirect_uri_to_register(&self) -> Option<&str> {
        match self {
            Self::SignIn(OAuthError::NeedsClientId { redirect_uri, .. }) => Some(redirect_uri),
            _ => None,
        }
    }
}

/// The workspace name in a [`Error::NotFound`]'s place (` in workspace "Work"`).
fn workspace_of(place: &str) -> String {
    place
        .strip_prefix(" in workspace ")
        .and_then(|quoted| serde_json::from_str::<String>(quoted).ok())
        .unwrap_or_else(|| crate::store::DEFAULT_WORKSPACE.to_owned())
}
