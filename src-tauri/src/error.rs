//! The one error shape that crosses IPC: `{ code, message }`. The UI branches on `code` (a small
//! closed enum mirroring [`patchbay_core::ErrorKind`]) and shows `message`; it never parses
//! message text. Messages come from core's `Display`, which never contains a secret.

use patchbay_core::ErrorKind;
use serde::Serialize;

/// What kind of failure a command met. Serialized as the variant name (`"NeedsAuth"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<patchbay_core::Error> for IpcError {
    fn from(error: patchbay_core::Error) -> Self {
        Self::new(error.kind().into(), error.to_string())
    }
}
