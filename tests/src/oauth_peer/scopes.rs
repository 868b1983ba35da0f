//! The mock peer's scopes, for step-up authorization: with a [`ScopedTool`], the 401 challenge
//! names a base scope, `/authorize` grants the scopes it is asked for (all but the tool's when
//! the tool's scope is not grantable), token responses may name the scopes granted, and calling
//! the tool with a token that lacks its scope is refused with `403` and
//! `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"` (RFC 6750 §3.1), the way the
//! MCP authorization spec's scope challenge handling describes (listing tools too, when
//! [`ScopedTool::guards_listing`]). Without one the peer has no
//! scopes at all, as before.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A tool that needs a scope a first sign-in does not get.
#[derive(Debug, Clone)]
pub struct ScopedTool {
    /// Its name, listed after `echo`.
    pub name: String,
    /// The scope it needs.
    pub scope: String,
    /// The scope the 401 challenge names: what a first sign-in asks for.
    pub base_scope: String,
    /// Whether `/authorize` grants [`Self::scope`] when asked (false: a server that never does).
    pub grantable: bool,
    /// Whether token responses name the scopes granted (RFC 6749 §5.1); when they do not, a
    /// client takes what it asked for as granted.
    pub scope_in_token_response: bool,
    /// Whether `tools/list` needs the scope too (a connection check then meets the refusal).
    pub guards_listing: bool,
}

impl ScopedTool {
    /// `name` needs `scope`; a sign-in gets `base_scope` at first; the server grants what is
    /// asked for and says what it granted.
    pub fn new(name: &str, scope: &str, base_scope: &str) -> Self {
        Self {
            name: name.into(),
            scope: scope.into(),
            base_scope: base_scope.into(),
            grantable: true,
            scope_in_token_response: true,
            guards_listing: false,
        }
    }

    /// The scopes `/authorize` grants to a request asking for `requested` (space-separated).
    pub(super) fn grant(&self, requested: &str) -> Vec<String> {
        requested
            .split_whitespace()
            .filter(|scope| self.grantable || *scope != self.scope)
            .map(str::to_owned)
            .collect()
    }

    /// Its `tools/list` entry.
    pub(super) fn listing(&self) -> Value {
        json!({
            "name": self.name,
            "description": format!("Needs the {} scope", self.scope),
            "inputSchema": { "type": "object", "properties": {} },
        })
    }

    /// Whether a `tools/call` with `params` calls this tool.
    pub(super) fn is_called(&self, params: &Value) -> bool {
        params.get("name").and_then(Value::as_str) == Some(self.name.as_str())
    }

    /// The refusal of a JSON-RPC request (`method`, `params`) sent with a token whose scopes are
    /// `held`; `None` lets it through.
    pub(super) fn refusal(
        &self,
        method: &str,
        params: &Value,
        held: &[String],
        base: &str,
    ) -> Option<Response> {
        let guarded = match method {
            "tools/call" => self.is_called(params),
            "tools/list" => self.guards_listing,
            _ => false,
        };
        if !guarded || held.contains(&self.scope) {
            return None;
        }
        let challenge = format!(
            r#"Bearer error="insufficient_scope", scope="{}", resource_metadata="{base}/.well-known/oauth-protected-resource/mcp", error_description="the tool needs more permissions""#,
            self.scope
        );
        Some(
            (
                StatusCode::FORBIDDEN,
                [(header::WWW_AUTHENTICATE, challenge)],
            )
                .into_response(),
        )
    }
}
