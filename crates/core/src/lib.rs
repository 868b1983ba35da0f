//! patchbay-core: everything Patchbay knows, with no window attached.
//!
//! The desktop shell (`src-tauri`) and the `patchbay` CLI are thin front ends over [`Patchbay`],
//! the facade defined in [`patchbay`]. Layers, bottom up: [`secret`] (values that cannot be
//! printed), [`crypto`] (AES-256-GCM with associated data), [`keychain`] (where the master key
//! lives), [`store`] (SQLite), [`vault`] (the key hierarchy over the two), [`mcp`] (the MCP client
//! and connection diagnosis). This crate never imports tauri; a check in `cargo xtask test`
//! enforces it.

pub mod crypto;
pub mod error;
pub mod keychain;
pub mod mcp;
pub mod oauth;
pub mod patchbay;
pub mod paths;
pub mod secret;
pub mod status;
pub mod store;
pub mod validate;
pub mod vault;

pub use error::{Error, ErrorKind};
pub use patchbay::{ConnectorEdit, ConnectorSpec, ConnectorView, Patchbay, Saved};
pub use secret::Secret;
pub use store::{AuthKind, ConnectorStatus, Workspace};

/// The application identifier: names the OS app-data directory and the keychain service.
pub const APP_IDENTIFIER: &str = "dev.patchbay.desktop";
