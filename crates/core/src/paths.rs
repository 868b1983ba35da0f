//! Where Patchbay keeps its data: `PATCHBAY_DATA_DIR` when set, else the OS app-data directory
//! of [`crate::APP_IDENTIFIER`] (the same directory Tauri's `app_data_dir` resolves to:
//! `~/.local/share/dev.patchbay.desktop` on Linux, `~/Library/Application Support/…` on macOS,
//! `%APPDATA%\…` on Windows). The CLI's `--data-dir` overrides both.

use std::path::PathBuf;

/// The environment variable that points the CLI and the app at another data directory.
pub const DATA_DIR_ENV: &str = "PATCHBAY_DATA_DIR";
/// The environment variable that changes the keychain service name (tests use it to stay away
/// from the developer's real Patchbay entry).
pub const KEYCHAIN_SERVICE_ENV: &str = "PATCHBAY_KEYCHAIN_SERVICE";
/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "patchbay.db";

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot determine a data directory: this system reports no home directory; set {DATA_DIR_ENV}"
)]
pub struct NoDataDir;

/// `PATCHBAY_DATA_DIR`, else the OS default.
pub fn data_dir_from_env() -> Result<PathBuf, NoDataDir> {
    match std::env::var_os(DATA_DIR_ENV) {
        Some(value) if !value.is_empty() => Ok(PathBuf::from(value)),
        _ => default_data_dir(),
    }
}

pub fn default_data_dir() -> Result<PathBuf, NoDataDir> {
    directories::BaseDirs::new()
        .map(|dirs| dirs.data_dir().join(crate::APP_IDENTIFIER))
        .ok_or(NoDataDir)
}

/// The keychain service name: `PATCHBAY_KEYCHAIN_SERVICE`, else the app identifier.
pub fn keychain_service_from_env() -> String {
    std::env::var(KEYCHAIN_SERVICE_ENV)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| crate::APP_IDENTIFIER.to_owned())
}
