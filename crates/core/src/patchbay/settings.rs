//! The app's settings as use cases: read them, and save a whole set (validated; the default
//! timeouts take effect for the next connection unless a front end overrode them).

use super::{Patchbay, blocking};
use crate::error::Error;
use crate::settings::{AppSettings, META_KEY};

impl Patchbay {
    /// The app's settings (the defaults where none are stored).
    pub fn settings(&self) -> Result<AppSettings, Error> {
        blocking(|| {
            let store = self.store();
            Ok(AppSettings::from_stored(store.meta(META_KEY)?.as_deref()))
        })
    }

    /// Saves `settings` whole, after checking every value; returns what was saved.
    pub fn save_settings(&self, settings: AppSettings) -> Result<AppSettings, Error> {
        let settings = settings.validated()?;
        let bytes = serde_json::to_vec(&settings)
            .map_err(|error| Error::Internal(format!("cannot write the settings: {error}")))?;
        blocking(|| {
            self.store().set_meta(META_KEY, &bytes)?;
            Ok::<_, Error>(())
        })?;
        let mut base = self
            .timeouts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !base.overridden {
            base.timeouts = settings.timeouts();
        }
        Ok(settings)
    }
}
