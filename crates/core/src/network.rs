//! A connector's own network settings: how long to wait to connect and for each request, where
//! the app-wide default does not suit it (a server that is slow on purpose, one behind a slow
//! VPN). Stored with the connector as JSON (`connectors.network`), so settings added later need
//! no migration; an absent field is the default. Nothing here is secret.
//!
//! A tool call's request timeout is how long the server may stay silent: each progress
//! notification it sends for the call starts the wait again, up to the hard ceiling of the call
//! ([`crate::mcp::Session::call_tool_watched`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mcp::Timeouts;
use crate::validate::InvalidInput;

/// The longest connect timeout a connector may set.
pub const MAX_CONNECT_TIMEOUT_SECS: u32 = 300;
/// The longest request timeout a connector may set (a long call that reports progress may run
/// longer: see the module note).
pub const MAX_REQUEST_TIMEOUT_SECS: u32 = 3600;

/// A connector's network settings; `None` everywhere is "as the app says".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectorNetwork {
    /// Seconds to set up the TCP and TLS connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<u32>,
    /// Seconds one request may take (or a tool call stay silent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u32>,
}

impl ConnectorNetwork {
    /// Refuses timeouts of zero or past the ceilings, saying which.
    pub fn validated(self) -> Result<Self, InvalidInput> {
        let check = |value: Option<u32>, max: u32, what: &str| match value {
            Some(0) => Err(InvalidInput::Other(format!(
                "the {what} timeout must be at least 1 second"
            ))),
            Some(value) if value > max => Err(InvalidInput::Other(format!(
                "the {what} timeout must be at most {max} seconds, not {value}"
            ))),
            _ => Ok(()),
        };
        check(
            self.connect_timeout_secs,
            MAX_CONNECT_TIMEOUT_SECS,
            "connect",
        )?;
        check(
            self.request_timeout_secs,
            MAX_REQUEST_TIMEOUT_SECS,
            "request",
        )?;
        Ok(self)
    }

    /// The timeouts to use: this connector's where it sets them, else `base`.
    pub fn timeouts(&self, base: Timeouts) -> Timeouts {
        Timeouts {
            connect: self
                .connect_timeout_secs
                .map_or(base.connect, |secs| Duration::from_secs(secs.into())),
            request: self
                .request_timeout_secs
                .map_or(base.request, |secs| Duration::from_secs(secs.into())),
        }
    }

    /// As stored: `None` when everything is the default.
    pub(crate) fn stored(&self) -> Option<String> {
        (*self != Self::default()).then(|| serde_json::to_string(self).unwrap_or_default())
    }

    /// From the stored column; a value this version cannot read is the default (a newer
    /// Patchbay may have added settings), never a failure to list connectors.
    pub(crate) fn from_stored(text: Option<&str>) -> Self {
        text.and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }
}

/// A change to one setting: keep it, set it, or go back to the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Default,
}

impl<T: Copy> Change<T> {
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Set(value) => Some(value),
            Self::Default => None,
        }
    }
}

/// Changes to a connector's network settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetworkEdit {
    pub connect_timeout_secs: Change<u32>,
    pub request_timeout_secs: Change<u32>,
}

impl NetworkEdit {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn apply(&self, current: ConnectorNetwork) -> ConnectorNetwork {
        ConnectorNetwork {
            connect_timeout_secs: self
                .connect_timeout_secs
                .apply(current.connect_timeout_secs),
            request_timeout_secs: self
                .request_timeout_secs
                .apply(current.request_timeout_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connectors_timeouts_override_the_apps_and_only_where_set() {
        let base = Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(30),
        };
        let own = ConnectorNetwork {
            connect_timeout_secs: None,
            request_timeout_secs: Some(120),
        };
        let used = own.timeouts(base);
        assert_eq!(used.connect, Duration::from_secs(10));
        assert_eq!(used.request, Duration::from_secs(120));
    }

    #[test]
    fn bad_timeouts_are_refused_with_the_limit() {
        for (network, expected) in [
            (
                ConnectorNetwork {
                    connect_timeout_secs: Some(0),
                    ..Default::default()
                },
                "at least 1 second",
            ),
            (
                ConnectorNetwork {
                    request_timeout_secs: Some(MAX_REQUEST_TIMEOUT_SECS + 1),
                    ..Default::default()
                },
                "at most 3600 seconds",
            ),
        ] {
            let error = network.validated().err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains(expected)),
                "{error:?}"
            );
        }
    }

    #[test]
    fn stored_text_round_trips_and_unknown_text_is_the_default() {
        assert_eq!(ConnectorNetwork::default().stored(), None);
        let own = ConnectorNetwork {
            connect_timeout_secs: Some(3),
            request_timeout_secs: None,
        };
        let text = own.stored();
        assert_eq!(text.as_deref(), Some(r#"{"connect_timeout_secs":3}"#));
        assert_eq!(ConnectorNetwork::from_stored(text.as_deref()), own);
        assert_eq!(
            ConnectorNetwork::from_stored(Some("not json")),
            ConnectorNetwork::default()
        );
        // A setting a newer version added is ignored, the rest kept.
        assert_eq!(
            ConnectorNetwork::from_stored(Some(r#"{"connect_timeout_secs":3,"proxy":"x"}"#)),
            own
        );
    }

    #[test]
    fn an_edit_keeps_sets_or_resets_each_setting() {
        let current = ConnectorNetwork {
            connect_timeout_secs: Some(3),
            request_timeout_secs: Some(90),
        };
        let edit = NetworkEdit {
            connect_timeout_secs: Change::Default,
            request_timeout_secs: Change::Keep,
        };
        assert_eq!(
            edit.apply(current),
            ConnectorNetwork {
                connect_timeout_secs: None,
                request_timeout_secs: Some(90)
            }
        );
        assert!(NetworkEdit::default().is_empty());
    }
}
