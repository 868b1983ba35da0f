//! The one error shape that crosses IPC: `{ code, message, hint, diagnosis }`. The UI branches on
//! `code` (a small closed enum mirroring [`patchbay_core::ErrorKind`]) and shows `message` and
//! `hint`; a failed connection test carries its [`Diagnosis`] so the dialog can show the stage.
//! Messages come from core's `Display`, which never contains a secret.

use patchbay_core::ErrorKind;
use patchbay_core::mcp::Diagnosis;
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
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
            diagnosis: None,
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
        }
    }
}
