//! The one error shape that crosses IPC: `{ code, message, hint, diagnosis, redirect_uri }`. The
//! UI branches on `code` (a closed enum mirroring [`patchbay_core::ErrorKind`] one to one) and
//! shows `message` and `hint`; a failed connection test carries its [`Diagnosis`] so the dialog
//! can show the stage, and a server that needs a client ID carries the redirect URI to register.
//! Messages come from core's `Display`, which never contains a secret; hints are core's
//! [`Hint`]s in the app's words (a button or a sentence, never a command line).

use patchbay_core::{Diagnosis, ErrorKind, Hint};
use serde::Serialize;
use ts_rs::TS;

/// What kind of failure a command met. Serialized as the variant name (`"NeedsAuth"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub enum ErrorCode {
    InvalidInput,
    NotFound,
    KeychainUnavailable,
    Unreachable,
    NeedsAuth,
    /// OAuth: the server offers no way for Patchbay to register itself; the person must enter a
    /// client ID (the UI opens "Advanced" and shows `redirect_uri`).
    NeedsClientId,
    ServerError,
    /// The person stopped it (Cancel); the UI says nothing more.
    Cancelled,
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order (generated into the UI's bindings).
    pub const ALL: [Self; 9] = [
        Self::InvalidInput,
        Self::NotFound,
        Self::KeychainUnavailable,
        Self::Unreachable,
        Self::NeedsAuth,
        Self::NeedsClientId,
        Self::ServerError,
        Self::Cancelled,
        Self::Internal,
    ];
}

impl From<ErrorKind> for ErrorCode {
    // Exhaustive on purpose: a new kind in core must be given a code here.
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidInput => Self::InvalidInput,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::KeychainUnavailable => Self::KeychainUnavailable,
            ErrorKind::Unreachable => Self::Unreachable,
            ErrorKind::NeedsAuth => Self::NeedsAuth,
            ErrorKind::NeedsClientId => Self::NeedsClientId,
            ErrorKind::ServerError => Self::ServerError,
            ErrorKind::Cancelled => Self::Cancelled,
            ErrorKind::Internal => Self::Internal,
        }
    }
}

/// A failed command, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, TS)]
#[error("{message}")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
    pub diagnosis: Option<Box<Diagnosis>>,
    /// With `NeedsClientId`: the redirect URI to register the client with.
    pub redirect_uri: Option<String>,
    /// A step run that failed or was cancelled after it started: its saved record's id (the
    /// transcript so far is kept).
    pub run_id: Option<String>,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            diagnosis: None,
            redirect_uri: None,
            run_id: None,
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, error.to_string())
    }
}

impl From<patchbay_core::Error> for IpcError {
    fn from(error: patchbay_core::Error) -> Self {
        Self {
            code: error.kind().into(),
            message: error.to_string(),
            hint: error.hint().and_then(|hint| in_app_words(&hint)),
            diagnosis: error.diagnosis().cloned().map(Box::new),
            redirect_uri: error.redirect_uri_to_register().map(str::to_owned),
            run_id: error.run_record().map(|record| record.id.clone()),
        }
    }
}

impl From<patchbay_core::InvalidInput> for IpcError {
    fn from(error: patchbay_core::InvalidInput) -> Self {
        patchbay_core::Error::from(error).into()
    }
}

/// Core's hint as the app says it: the buttons and places a person sees in the window. `None`
/// where the UI shows the remedy itself (the client ID fields for `NeedsClientId`).
fn in_app_words(hint: &Hint) -> Option<String> {
    Some(match hint {
        Hint::ListConnectors { workspace } => format!(
            "it may have been renamed or removed; the connectors of {workspace:?} are listed on \
             the Connectors page"
        ),
        Hint::ListWorkspaces => "choose a workspace from the workspace menu".into(),
        Hint::ReenterCredentials { connector, .. } => format!(
            "the stored secret of {connector:?} is damaged; open Edit and enter it again (other \
             connectors are unaffected)"
        ),
        Hint::SignInAgain {
            connector, scope, ..
        } => match scope {
            Some(scope) => format!("use Re-authenticate on {connector:?} to grant scope {scope}"),
            None => format!("use Re-authenticate on {connector:?}"),
        },
        Hint::EnterClientId { .. } => return None,
        Hint::Advice { text } => text.clone(),
    })
}
