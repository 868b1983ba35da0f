//! Where the master key lives: the OS keychain (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows) behind the small [`Keychain`] trait, plus an in-memory
//! implementation for tests. Entries are namespaced by a service name (the app identifier), so
//! tests never touch the developer's real Patchbay entry.
//!
//! Failures are classified: [`KeychainError::Unavailable`] means "no secure storage right now"
//! (no D-Bus session, no Secret Service, a locked keyring) and always carries a fix-it hint.
//! There is never a plaintext fallback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("secure storage unavailable: {detail}. {hint}")]
    Unavailable { detail: String, hint: &'static str },
    #[error("keychain error: {0}")]
    Other(String),
}

/// Platform-specific advice printed with every "secure storage unavailable" error.
#[cfg(target_os = "linux")]
pub const UNAVAILABLE_HINT: &str = "Patchbay keeps its master key in the Secret Service: run a \
     desktop session with a keyring (GNOME Keyring or KWallet) and unlock it; headless, run \
     inside `dbus-run-session` and unlock with `gnome-keyring-daemon --unlock --components=secrets`";
#[cfg(target_os = "macos")]
pub const UNAVAILABLE_HINT: &str =
    "Patchbay keeps its master key in the macOS Keychain: unlock the login keychain and retry";
#[cfg(target_os = "windows")]
pub const UNAVAILABLE_HINT: &str =
    "Patchbay keeps its master key in Windows Credential Manager: sign in to a user session";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub const UNAVAILABLE_HINT: &str = "this platform has no supported keychain";

/// A place to keep a few named secrets outside the database.
pub trait Keychain: Send + Sync {
    /// `Ok(None)` when there is no such entry.
    fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError>;
    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeychainError>;
    fn delete(&self, account: &str) -> Result<(), KeychainError>;
}

/// The OS keychain through the `keyring` crate, under one service name.
pub struct OsKeychain {
    service: String,
}

/// The keychain of this OS for `service` (normally [`crate::APP_IDENTIFIER`]).
pub fn os_keychain(service: &str) -> Arc<dyn Keychain> {
    Arc::new(OsKeychain {
        service: service.to_owned(),
    })
}

impl OsKeychain {
    fn entry(&self, account: &str) -> Result<keyring::Entry, KeychainError> {
        let entry = keyring::Entry::new(&self.service, account).map_err(classify)?;
        ensure_persistent(keyring_core::get_default_store().as_deref())?;
        Ok(entry)
    }
}

/// The master key must outlive logouts and reboots: a store that keeps secrets only in memory
/// (a mock) or in the kernel (keyutils, gone at reboot) would silently orphan every ciphertext.
/// Such a store counts as no secure storage at all (checklist 35).
fn ensure_persistent(store: Option<&keyring_core::CredentialStore>) -> Result<(), KeychainError> {
    let Some(store) = store else {
        return Err(KeychainError::Unavailable {
            detail: "no keychain store is configured".into(),
            hint: UNAVAILABLE_HINT,
        });
    };
    match store.persistence() {
        keyring_core::CredentialPersistence::UntilDelete => Ok(()),
        _ => Err(KeychainError::Unavailable {
            detail: format!(
                "the keychain store {:?} would lose the master key at logout or reboot",
                store.vendor()
            ),
            hint: UNAVAILABLE_HINT,
        }),
    }
}

impl Keychain for OsKeychain {
    fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError> {
        match self.entry(account)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(classify(error)),
        }
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        self.entry(account)?.set_secret(secret).map_err(classify)
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }
}

fn classify(error: keyring::Error) -> KeychainError {
    match error {
        keyring::Error::PlatformFailure(_)
        | keyring::Error::NoStorageAccess(_)
        | keyring::Error::NoDefaultStore => KeychainError::Unavailable {
            detail: error.to_string(),
            hint: UNAVAILABLE_HINT,
        },
        other => KeychainError::Other(other.to_string()),
    }
}

/// An in-process keychain for tests and for `--keychain memory` in throwaway runs.
#[derive(Default)]
pub struct MemoryKeychain {
    entries: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
    unavailable: Mutex<bool>,
}

impl MemoryKeychain {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Makes every later call fail as a missing Secret Service would.
    pub fn set_unavailable(&self, unavailable: bool) {
        *self
            .unavailable
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = unavailable;
    }

    fn check(&self) -> Result<(), KeychainError> {
        if *self
            .unavailable
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
        {
            return Err(KeychainError::Unavailable {
                detail: "the test keychain was switched off".into(),
                hint: UNAVAILABLE_HINT,
            });
        }
        Ok(())
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zeroizing<Vec<u8>>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl Keychain for MemoryKeychain {
    fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, KeychainError> {
        self.check()?;
        Ok(self.entries().get(account).cloned())
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeychainError> {
        self.check()?;
        self.entries()
            .insert(account.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), KeychainError> {
        self.check()?;
        self.entries().remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_store_that_keeps_secrets_until_deleted_is_accepted() {
        // keyring-core's mock keeps secrets in the entry itself: it must be refused.
        let mock = keyring_core::mock::Store::new().expect("the mock store");
        assert!(
            matches!(
                ensure_persistent(Some(mock.as_ref())),
                Err(KeychainError::Unavailable { .. })
            ),
            "a store that forgets secrets must count as no secure storage"
        );
        assert!(
            matches!(
                ensure_persistent(None),
                Err(KeychainError::Unavailable { .. })
            ),
            "no store at all is no secure storage"
        );
    }
}
