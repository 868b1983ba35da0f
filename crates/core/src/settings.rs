//! The app's own settings, one JSON value in the store's `meta` table (so a setting added later
//! needs no migration, and a value this version cannot read is the default, never a failure to
//! open): how often the monitor checks connected connectors, whether status changes notify,
//! the theme, the default timeouts every connector uses unless it sets its own
//! ([`crate::network`]), the proxy and extra CA certificates every connector uses unless it
//! sets its own, and whether the person has been told that closing the window keeps Patchbay
//! running in the tray. The proxy's credentials are the one secret: sealed apart with the
//! master key (`meta` key [`PROXY_CREDENTIALS_KEY`]), never in this JSON.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mcp::Timeouts;
use crate::network::{MAX_CONNECT_TIMEOUT_SECS, MAX_REQUEST_TIMEOUT_SECS, ProxySetting};
use crate::validate::InvalidInput;

/// The `meta` key the settings are kept under.
pub(crate) const META_KEY: &str = "app_settings";
/// The `meta` key of the app proxy's sealed credentials.
pub(crate) const PROXY_CREDENTIALS_KEY: &str = "app_proxy_credentials";

/// The shortest and longest monitor interval a person may choose.
pub const MIN_MONITOR_INTERVAL_SECS: u32 = 10;
pub const MAX_MONITOR_INTERVAL_SECS: u32 = 24 * 60 * 60;

/// Light, dark, or as the desktop is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AppSettings {
    /// Seconds between checks of a connected connector.
    pub monitor_interval_secs: u32,
    /// A desktop notification when a connector stops working.
    pub notifications: bool,
    pub theme: Theme,
    /// Seconds to connect, for connectors without their own.
    pub connect_timeout_secs: u32,
    /// Seconds a request may take, for connectors without their own.
    pub request_timeout_secs: u32,
    /// The person was told, once, that closing the window keeps Patchbay in the tray.
    pub tray_notice_shown: bool,
    /// The proxy for connectors without their own.
    pub proxy: ProxySetting,
    /// Whether the explicit proxy's credentials are stored (sealed; set on their own).
    pub proxy_credentials_set: bool,
    /// Extra CA certificates (PEM) every connector trusts besides the system's.
    pub ca_pem: Option<String>,
}

impl Default for AppSettings {
    fn default() -> Self {
        let timeouts = Timeouts::default();
        Self {
            monitor_interval_secs: 60,
            notifications: true,
            theme: Theme::System,
            connect_timeout_secs: u32::try_from(timeouts.connect.as_secs()).unwrap_or(10),
            request_timeout_secs: u32::try_from(timeouts.request.as_secs()).unwrap_or(30),
            tray_notice_shown: false,
            proxy: ProxySetting::System,
            proxy_credentials_set: false,
            ca_pem: None,
        }
    }
}

impl AppSettings {
    /// Refuses values out of range, saying which and what is allowed.
    pub fn validated(self) -> Result<Self, InvalidInput> {
        let range = |value: u32, min: u32, max: u32, what: &str| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(InvalidInput::Other(format!(
                    "{what} must be between {min} and {max} seconds, not {value}"
                )))
            }
        };
        range(
            self.monitor_interval_secs,
            MIN_MONITOR_INTERVAL_SECS,
            MAX_MONITOR_INTERVAL_SECS,
            "the monitor interval",
        )?;
        range(
            self.connect_timeout_secs,
            1,
            MAX_CONNECT_TIMEOUT_SECS,
            "the connect timeout",
        )?;
        range(
            self.request_timeout_secs,
            1,
            MAX_REQUEST_TIMEOUT_SECS,
            "the request timeout",
        )?;
        if let ProxySetting::Explicit { url } = &self.proxy {
            crate::network::proxy_url(url)?;
        }
        if let Some(pem) = &self.ca_pem {
            crate::network::certificates(pem)?;
        }
        Ok(self)
    }

    /// The timeouts connectors without their own use.
    pub fn timeouts(&self) -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(self.connect_timeout_secs.into()),
            request: Duration::from_secs(self.request_timeout_secs.into()),
        }
    }

    pub fn monitor_interval(&self) -> Duration {
        Duration::from_secs(self.monitor_interval_secs.into())
    }

    /// From the stored bytes; unreadable or out-of-range values are the defaults.
    pub(crate) fn from_stored(bytes: Option<&[u8]>) -> Self {
        bytes
            .and_then(|bytes| serde_json::from_slice::<Self>(bytes).ok())
            .and_then(|settings| settings.validated().ok())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_unknown_and_bad_values_read_as_defaults() {
        assert_eq!(AppSettings::from_stored(None), AppSettings::default());
        assert_eq!(
            AppSettings::from_stored(Some(b"not json")),
            AppSettings::default()
        );
        let partial = AppSettings::from_stored(Some(br#"{"theme":"dark","future":1}"#));
        assert_eq!(partial.theme, Theme::Dark);
        assert_eq!(partial.monitor_interval_secs, 60);
        assert_eq!(
            AppSettings::from_stored(Some(br#"{"monitor_interval_secs":0}"#)),
            AppSettings::default()
        );
    }

    #[test]
    fn values_out_of_range_are_refused_with_the_range() {
        let error = AppSettings {
            monitor_interval_secs: 5,
            ..AppSettings::default()
        }
        .validated()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            error.contains("between 10 and 86400 seconds, not 5"),
            "{error}"
        );
        assert!(
            AppSettings {
                request_timeout_secs: 0,
                ..AppSettings::default()
            }
            .validated()
            .is_err()
        );
    }
}
