//! The facade's error type and the small kind enum front ends branch on (CLI exit codes, the
//! desktop's IPC error codes). Module errors stay typed underneath; `kind()` is the only
//! classification anyone needs. A kind exists only if some front end branches on it.

use crate::keychain::KeychainError;
use crate::mcp::Diagnosis;
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
    #[error("no {what} named {name:?}{place}")]
    NotFound {
        what: &'static str,
        name: String,
        place: String,
    },
    #[error("{}", .0.summary())]
    ConnectionFailed(Box<Diagnosis>),
    #[error("{0}")]
    Call(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
}

/// What kind of failure this is, for exit codes and UI branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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
    /// The server was reached but failed (not MCP, protocol error, 5xx).
    ServerError,
    /// A bug or local fault: database, file system.
    Internal,
}

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidInput(_) | Self::Duplicate { .. } => ErrorKind::InvalidInput,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::ConnectionFailed(diagnosis) => match diagnosis.status() {
                crate::ConnectorStatus::NeedsAuth => ErrorKind::NeedsAuth,
                crate::ConnectorStatus::Disconnected => ErrorKind::Unreachable,
                _ => ErrorKind::ServerError,
            },
            Self::Call(_) => ErrorKind::ServerError,
            Self::Vault(
                VaultError::Keychain(KeychainError::Unavailable { .. })
                | VaultError::MasterKeyMissing { .. }
                | VaultError::MasterKeyMismatch,
            ) => ErrorKind::KeychainUnavailable,
            Self::Vault(_) | Self::Store(_) | Self::DataDir { .. } => ErrorKind::Internal,
        }
    }

    /// One line of advice to print under the error, when there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Self::ConnectionFailed(diagnosis) => Some(&diagnosis.hint),
            Self::NotFound {
                what: "connector", ..
            } => Some("run `patchbay connector list` to see the connectors of this workspace"),
            Self::NotFound {
                what: "workspace", ..
            } => Some("run `patchbay workspace list` to see the workspaces"),
            Self::Vault(VaultError::Decrypt { .. }) => Some(
                "this connector's stored secret is damaged; set it again with `patchbay connector \
                 edit NAME --token-stdin` (other connectors are unaffected)",
            ),
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
}

/// The first line of a server's or library's error text, at most 300 characters: enough to
/// recognise the failure, too little for a server to fill a dialog or a log with its own prose.
pub(crate) fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}
