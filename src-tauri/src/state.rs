//! What the commands run against: the [`Patchbay`] opened once at startup, or the reason it
//! could not be opened. A failed open (no data directory, keychain unavailable) must not keep the
//! window from appearing: every command then returns that error, and the UI shows it.

use std::sync::Arc;

use patchbay_core::{Patchbay, keychain, paths};

use crate::{ErrorCode, IpcError};

pub struct PatchbayState {
    opened: Result<Arc<Patchbay>, IpcError>,
}

impl PatchbayState {
    /// Opens the store in `PATCHBAY_DATA_DIR` (else the OS app-data dir) with the OS keychain.
    pub fn open_from_env() -> Self {
        let opened = open_from_env().map(Arc::new);
        if let Err(error) = &opened {
            tracing::error!(code = ?error.code, "cannot open Patchbay: {}", error.message);
        }
        Self { opened }
    }

    /// A state over an already opened core, or a stored failure (tests use both).
    pub fn new(opened: Result<Patchbay, IpcError>) -> Self {
        Self {
            opened: opened.map(Arc::new),
        }
    }

    /// The opened core, or the error that kept it from opening.
    pub fn patchbay(&self) -> Result<Arc<Patchbay>, IpcError> {
        self.opened.clone()
    }
}

fn open_from_env() -> Result<Patchbay, IpcError> {
    let data_dir = paths::data_dir_from_env()
        .map_err(|error| IpcError::new(ErrorCode::Internal, error.to_string()))?;
    // `PATCHBAY_KEYCHAIN_SERVICE` lets tests keep away from the real Patchbay keychain entry.
    let service = paths::keychain_service_from_env();
    Ok(Patchbay::open(
        &data_dir,
        keychain::os_keychain(&service),
        &service,
    )?)
}
