//! The app's settings as use cases: read them, save a whole set (validated; the default
//! timeouts take effect for the next connection unless a front end overrode them), and set the
//! app proxy's credentials, which are sealed with the master key and dropped when the proxy
//! changes. Every connection's route starts from here ([`Patchbay::app_route`]).

use super::{Patchbay, blocking};
use crate::error::Error;
use crate::network::{AppRoute, ProxySetting};
use crate::secret::Secret;
use crate::settings::{AppSettings, META_KEY, PROXY_CREDENTIALS_KEY};
use crate::store::Store;
use crate::validate::InvalidInput;

/// How the app proxy's credentials are named in their sealing.
const PROXY_CREDENTIALS: &str = "proxy credentials";

impl Patchbay {
    /// The app's settings (the defaults where none are stored).
    pub fn settings(&self) -> Result<AppSettings, Error> {
        blocking(|| Self::stored_settings(&self.store()))
    }

    fn stored_settings(store: &Store) -> Result<AppSettings, Error> {
        let mut settings = AppSettings::from_stored(store.meta(META_KEY)?.as_deref());
        settings.proxy_credentials_set = matches!(settings.proxy, ProxySetting::Explicit { .. })
            && store.meta(PROXY_CREDENTIALS_KEY)?.is_some();
        Ok(settings)
    }

    /// Saves `settings` whole, after checking every value; returns what was saved. The app
    /// proxy's stored credentials stay only while the proxy stays the same explicit one.
    pub fn save_settings(&self, settings: AppSettings) -> Result<AppSettings, Error> {
        let settings = settings.validated()?;
        let saved = blocking(|| {
            let store = self.store();
            let before = Self::stored_settings(&store)?;
            if before.proxy_credentials_set && settings.proxy != before.proxy {
                store.delete_meta(PROXY_CREDENTIALS_KEY)?;
            }
            let bytes = serde_json::to_vec(&AppSettings {
                proxy_credentials_set: false,
                ..settings
            })
            .map_err(|error| Error::Internal(format!("cannot write the settings: {error}")))?;
            store.set_meta(META_KEY, &bytes)?;
            Self::stored_settings(&store)
        })?;
        let mut base = self
            .timeouts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !base.overridden {
            base.timeouts = saved.timeouts();
        }
        Ok(saved)
    }

    /// Stores (`Some`, `user:password`) or forgets (`None`) the app proxy's credentials; the
    /// app's proxy must be an explicit one.
    pub fn set_proxy_credentials(&self, credentials: Option<Secret>) -> Result<AppSettings, Error> {
        blocking(|| {
            let store = self.store();
            let settings = Self::stored_settings(&store)?;
            match credentials.filter(|credentials| !credentials.expose().is_empty()) {
                Some(credentials) => {
                    if !matches!(settings.proxy, ProxySetting::Explicit { .. }) {
                        return Err(InvalidInput::Other(
                            "proxy credentials need an explicit proxy in the settings first".into(),
                        )
                        .into());
                    }
                    let sealed =
                        self.vault
                            .seal_app_secret(&store, PROXY_CREDENTIALS, &credentials)?;
                    store.set_meta(PROXY_CREDENTIALS_KEY, &sealed)?;
                }
                None => store.delete_meta(PROXY_CREDENTIALS_KEY)?,
            }
            Self::stored_settings(&store)
        })
    }

    /// The app's proxy (with its credentials) and extra CA, for a connection's route.
    pub(super) fn app_route(&self, store: &Store) -> Result<AppRoute, Error> {
        let settings = Self::stored_settings(store)?;
        let proxy_credentials = match store.meta(PROXY_CREDENTIALS_KEY)? {
            Some(sealed) if settings.proxy_credentials_set => Some(self.vault.open_app_secret(
                store,
                PROXY_CREDENTIALS,
                &sealed,
            )?),
            _ => None,
        };
        Ok(AppRoute {
            proxy: match settings.proxy {
                ProxySetting::System => None,
                other => Some(other),
            },
            proxy_credentials,
            ca_pem: settings.ca_pem,
        })
    }
}
