//! Plain words every layer shares: how a connector authenticates ([`AuthKind`]), what state it
//! is in ([`ConnectorStatus`]), and how a foreign error text is cut down to one line. The bottom
//! of the crate: it imports nothing of ours, so the MCP client can speak of a connector's status
//! without knowing the store, and the store can keep it without knowing the MCP client; and the
//! protocol revision both the MCP client and the sign-in speak.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuthKind {
    None,
    Token,
    #[serde(rename = "oauth")]
    OAuth,
}

impl AuthKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Token => "token",
            Self::OAuth => "oauth",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "none" => Some(Self::None),
            "token" => Some(Self::Token),
            "oauth" => Some(Self::OAuth),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ConnectorStatus {
    /// Never checked.
    Unknown,
    Connected,
    /// Unreachable: DNS, refused, timed out.
    Disconnected,
    /// The server wants (new) credentials: 401, expired or revoked token.
    NeedsAuth,
    /// Reachable but broken: not MCP, protocol errors, 5xx.
    Error,
}

impl ConnectorStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
            Self::NeedsAuth => "needs_auth",
            Self::Error => "error",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Unknown,
            Self::Connected,
            Self::Disconnected,
            Self::NeedsAuth,
            Self::Error,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

/// The first line of a server's or library's error text, at most 300 characters: enough to
/// recognise the failure, too little for a server to fill a dialog or a log with its own prose.
pub(crate) fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

/// The revision Patchbay asks for in the `initialize` handshake (servers older than 2026-07-28;
/// newer ones are asked with `server/discover` first, see `mcp::lifecycle`). rmcp negotiates
/// down when a server answers with an older supported revision.
pub(crate) const PROTOCOL_VERSION: rmcp::model::ProtocolVersion =
    rmcp::model::ProtocolVersion::V_2025_11_25;

/// The revision of the `server/discover` lifecycle Patchbay speaks.
pub(crate) const DISCOVER_VERSION: rmcp::model::ProtocolVersion =
    rmcp::model::ProtocolVersion::V_2026_07_28;

/// A raw 2026-07-28 `server/discover` request and the headers that revision requires on it, for
/// the probes that need to see the HTTP answer itself.
pub(crate) fn discover_request() -> (serde_json::Value, [(&'static str, String); 2]) {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "server/discover",
        "params": { "_meta": {
            "io.modelcontextprotocol/protocolVersion": DISCOVER_VERSION.to_string(),
            "io.modelcontextprotocol/clientInfo":
                { "name": "patchbay", "version": env!("CARGO_PKG_VERSION") },
            "io.modelcontextprotocol/clientCapabilities": {}
        } }
    });
    let headers = [
        ("mcp-protocol-version", DISCOVER_VERSION.to_string()),
        ("mcp-method", "server/discover".to_owned()),
    ];
    (body, headers)
}

/// A raw `initialize` request, for the probes that need to see the HTTP answer itself (the
/// connection diagnosis, and the OAuth challenge lookup).
pub(crate) fn initialize_request() -> serde_json::Value {
    serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION.to_string(), "capabilities": {},
            "clientInfo": { "name": "patchbay", "version": env!("CARGO_PKG_VERSION") }
        }
    })
}
