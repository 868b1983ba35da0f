//! How a session starts. MCP 2026-07-28 opens with `server/discover` and carries the protocol
//! version, client info and capabilities in every request's `_meta` (rmcp adds them, and the
//! `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers); servers of 2025-11-25 and older
//! need the `initialize` handshake. Patchbay asks with `server/discover` first and falls back to
//! `initialize`: rmcp's `ClientLifecycleMode::Auto` does that for a server that answers the
//! discovery with a JSON-RPC error (and negotiates the version when the server offers others),
//! and [`super::Session`] opens a second connection for a server that refuses it at the HTTP
//! level, as 2025 servers with sessions do (400 "not initialized").
//!
//! Which start worked is remembered per server URL for the life of the process, so only the
//! first connection to an older server pays for the discovery request.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;
use serde::Serialize;
use url::Url;

/// How a session started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Lifecycle {
    /// `server/discover` and per-request metadata (2026-07-28 and later).
    Discover,
    /// The `initialize` handshake (2025-11-25 and older).
    Initialize,
}

impl Lifecycle {
    /// rmcp's mode for this start. Discovery falls back on its own when the server answers it
    /// with a JSON-RPC error that marks an older server.
    pub(super) fn mode(self) -> ClientLifecycleMode {
        match self {
            Self::Discover => ClientLifecycleMode::Auto {
                preferred_versions: vec![crate::vocabulary::DISCOVER_VERSION],
                legacy_version: Some(crate::vocabulary::PROTOCOL_VERSION),
            },
            Self::Initialize => ClientLifecycleMode::Initialize,
        }
    }

    /// The start a negotiated version implies.
    pub(super) fn of(version: &ProtocolVersion) -> Self {
        if version.has_initialize() {
            Self::Initialize
        } else {
            Self::Discover
        }
    }
}

/// What worked last time, per server URL (without its query: a token in it is not kept).
static REMEMBERED: Mutex<Option<HashMap<String, Lifecycle>>> = Mutex::new(None);

fn key(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The start to try first with `url`: the one that worked last time, or discovery.
pub(super) fn first_for(url: &Url) -> Lifecycle {
    REMEMBERED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|known| known.get(&key(url)).copied())
        .unwrap_or(Lifecycle::Discover)
}

/// Notes the start that worked with `url`.
pub(super) fn remember(url: &Url, lifecycle: Lifecycle) {
    REMEMBERED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(key(url), lifecycle);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_first_then_what_worked() {
        let url = Url::parse("http://127.0.0.1:9/lifecycle-test/mcp?token=abc").unwrap();
        assert_eq!(first_for(&url), Lifecycle::Discover);
        remember(&url, Lifecycle::Initialize);
        let same_server = Url::parse("http://127.0.0.1:9/lifecycle-test/mcp").unwrap();
        assert_eq!(first_for(&same_server), Lifecycle::Initialize);
        let other = Url::parse("http://127.0.0.1:9/other/mcp").unwrap();
        assert_eq!(first_for(&other), Lifecycle::Discover);
    }

    #[test]
    fn the_version_tells_the_start() {
        assert_eq!(
            Lifecycle::of(&crate::vocabulary::DISCOVER_VERSION),
            Lifecycle::Discover
        );
        assert_eq!(
            Lifecycle::of(&ProtocolVersion::V_2025_11_25),
            Lifecycle::Initialize
        );
        assert_eq!(
            Lifecycle::of(&ProtocolVersion::V_2025_03_26),
            Lifecycle::Initialize
        );
    }
}
