//! The one error shape that crosses IPC: `{ code, message, hint, diagnosis, redirect_uri }`. The
//! UI branches on `code` (a small closed enum mirroring [`patchbay_core::ErrorKind`], plus the
//! OAuth outcomes it treats differently) and shows `message` and `hint`; a failed connection test
//! carries its [`Diagnosis`] so the dialog can show the stage, and a server that needs a client ID
//! carries the redirect URI to register. Messages come from core's `Display`, which never
//! contains a secret.

use patchbay_core::ErrorKind;
use patchbay_core::mcp::Diagnosis;
use patchbay_core::oauth::OAuthError;
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
    Internal,
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
            ErrorKind::ServerError => Self::ServerError,
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
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            diagnosis: None,
            redirect_uri: None,
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
            hint: error
                .hint()
                .filter(|hint| !hint.is_empty())
                .map(str::to_owned),
            diagnosis: error.diagnosis().cloned().map(Box::new),
            redirect_uri: None,
        }
    }
}

impl From<patchbay_core::validate::InvalidInput> for IpcError {
    fn from(error: patchbay_core::validate::InvalidInput) -> Self {
        patchbay_core::Error::from(error).into()
    }
}

impl From<OAuthError> for IpcError {
    /// Every failed sign-in leaves the connector needing authentication, except one the person
    /// can fix in the dialog (a server that needs a client ID) and a server that never answered.
    fn from(error: OAuthError) -> Self {
        let redirect_uri = match &error {
            OAuthError::NeedsClientId { redirect_uri, .. } => Some(redirect_uri.clone()),
            _ => None,
        };
        let code = match &error {
            OAuthError::NeedsClientId { .. } => ErrorCode::NeedsClientId,
            OAuthError::ServerSilent(_) => ErrorCode::Unreachable,
            _ => ErrorCode::NeedsAuth,
        };
        Self {
            redirect_uri,
            ..Self::new(code, error.to_string())
        }
    }
}
