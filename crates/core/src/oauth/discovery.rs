//! Authorization server metadata for a connector: rmcp's discovery (RFC 9728 protected resource
//! metadata, then RFC 8414 / OpenID Connect, with RFC 8414 §3.3 issuer checks), plus one
//! compatibility rule for servers written to the 2025-03-26 MCP revision.
//!
//! Under 2025-03-26 there is no protected resource metadata: the MCP server's origin is the
//! authorization base URL, and the metadata sits at `{origin}/.well-known/oauth-authorization-server`.
//! RFC 8414 §3.3 wants that document's `issuer` to be exactly `{origin}`. Servers of that era
//! that mount their OAuth endpoints under a path sometimes name that path in the issuer
//! (`{origin}/oauth`) — so does the 2025-03-26 back-compat mock of the conformance suite 0.1.x
//! (fixed upstream in later releases) — and rmcp rightly refuses the mismatch.
//!
//! Patchbay accepts such a document only when all of these hold:
//! - rmcp refused it for an issuer mismatch (every other outcome is rmcp's answer as is);
//! - the server publishes no protected resource metadata: no `resource_metadata` in its 401
//!   challenge and nothing at either well-known location. A server that speaks 2025-06-18 or
//!   later therefore keeps strict issuer validation;
//! - the document was served at the origin's root well-known URL and names an issuer on that
//!   same origin (scheme, host and port), without query or fragment.
//!
//! The issuer check exists against metadata that impersonates another authorization server
//! (mix-up attacks). An issuer on another origin is still refused; one on the MCP server's own
//! origin names nothing the origin's owner does not already control. The accepted issuer is
//! then enforced as usual: it is stored with the tokens and RFC 9207 `iss` is checked against it.

use std::time::Duration;

use rmcp::transport::auth::{
    AuthError, AuthorizationManager, AuthorizationMetadata, AuthorizationRequest,
    AuthorizationSession, OAuthState,
};
use url::Url;

use crate::network::Route;

use super::OAuthError;

/// Each probe of the legacy path; the server is the one we are about to sign in to.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a metadata document read (real ones are a few KiB).
const METADATA_LIMIT: usize = 1024 * 1024;

/// The revision whose discovery rules the fallback follows; its spec asks clients to send it.
const LEGACY_REVISION: &str = "2025-03-26";

/// Discovers the metadata for `server_url` and installs it in `manager`, so later steps
/// (restoring stored credentials, refreshing) use it instead of discovering again.
pub async fn use_discovered_metadata(
    manager: &mut AuthorizationManager,
    server_url: &Url,
    route: &Route,
) -> Result<(), OAuthError> {
    let metadata = resolve_metadata(manager, server_url, route).await?;
    manager.set_metadata(metadata);
    Ok(())
}

/// rmcp's metadata resolution, with the 2025-03-26 fallback described in the module docs.
pub(crate) async fn resolve_metadata(
    manager: &AuthorizationManager,
    server_url: &Url,
    route: &Route,
) -> Result<AuthorizationMetadata, OAuthError> {
    match manager.resolve_metadata().await {
        Ok(resolution) => Ok(resolution.metadata),
        Err(error @ AuthError::AuthorizationServerMismatch { .. }) => {
            legacy_metadata(server_url, route).await.ok_or(error.into())
        }
        Err(error) => Err(error.into()),
    }
}

/// [`OAuthState::start_authorization`], with the 2025-03-26 fallback: when rmcp refuses the
/// metadata for an issuer mismatch and the server qualifies, the session starts from the
/// legacy metadata the same way rmcp starts it from discovered metadata.
pub(crate) async fn start_authorization(
    mut state: OAuthState,
    request: AuthorizationRequest,
    server_url: &Url,
    route: &Route,
) -> Result<OAuthState, OAuthError> {
    let error = match state.start_authorization(request.clone()).await {
        Ok(()) => return Ok(state),
        Err(error @ AuthError::AuthorizationServerMismatch { .. }) => error,
        Err(error) => return Err(error.into()),
    };
    // rmcp hands the manager back unchanged (apart from the challenge's scope hint) on failure.
    let OAuthState::Unauthorized(mut manager) = state else {
        return Err(error.into());
    };
    let Some(metadata) = legacy_metadata(server_url, route).await else {
        return Err(error.into());
    };
    tracing::info!(
        server = %server_url,
        "using 2025-03-26 authorization metadata whose issuer names a path on the server's origin"
    );
    manager.set_metadata(metadata);
    let session = AuthorizationSession::new(manager, request)
        .await
        .map_err(|(_, error)| OAuthError::from(error))?;
    Ok(OAuthState::Session(session))
}

/// The root-level metadata of a server that publishes no protected resource metadata, when its
/// issuer is on the server's own origin; `None` whenever that cannot be established.
async fn legacy_metadata(server_url: &Url, route: &Route) -> Option<AuthorizationMetadata> {
    let builder = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Patchbay/", env!("CARGO_PKG_VERSION")));
    let client = route.apply(builder).ok()?.build().ok()?;
    if let Some(challenge) = super::fetch_challenge(server_url, route).await
        && challenge.to_ascii_lowercase().contains("resource_metadata")
    {
        return None;
    }
    for url in protected_resource_metadata_urls(server_url) {
        // A document there, or no clear answer, means this is not a 2025-03-26 server.
        let response = client.get(url).send().await.ok()?;
        if !response.status().is_client_error() {
            return None;
        }
    }
    let mut metadata_url = server_url.clone();
    metadata_url.set_path("/.well-known/oauth-authorization-server");
    metadata_url.set_query(None);
    metadata_url.set_fragment(None);
    let response = client
        .get(metadata_url)
        .header("MCP-Protocol-Version", LEGACY_REVISION)
        .send()
        .await
        .ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    let body = crate::bounded::read_limited(response, METADATA_LIMIT).await?;
    let metadata: AuthorizationMetadata = serde_json::from_slice(&body).ok()?;
    issuer_on_server_origin(server_url, metadata.issuer.as_deref()?).then_some(metadata)
}

/// RFC 9728 §3.1: path-inserted, then at the root (the order rmcp probes too).
fn protected_resource_metadata_urls(server_url: &Url) -> Vec<Url> {
    let mut urls = Vec::new();
    let path = server_url.path().trim_matches('/');
    let mut at = |well_known: String| {
        let mut url = server_url.clone();
        url.set_path(&well_known);
        url.set_query(None);
        url.set_fragment(None);
        urls.push(url);
    };
    if !path.is_empty() {
        at(format!("/.well-known/oauth-protected-resource/{path}"));
    }
    at("/.well-known/oauth-protected-resource".into());
    urls
}

/// Whether `issuer` is an issuer identifier (RFC 8414 §2: no query or fragment) on the same
/// origin as the MCP server.
pub(crate) fn issuer_on_server_origin(server_url: &Url, issuer: &str) -> bool {
    let Ok(issuer) = Url::parse(issuer) else {
        return false;
    };
    issuer.query().is_none()
        && issuer.fragment().is_none()
        && issuer.username().is_empty()
        && issuer.password().is_none()
        && issuer.origin() == server_url.origin()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Result<Url, url::ParseError> {
        Url::parse(text)
    }

    #[test]
    fn a_legacy_issuer_must_live_on_the_servers_own_origin() -> Result<(), url::ParseError> {
        let server = url("http://localhost:3000/mcp")?;
        for same in [
            "http://localhost:3000",
            "http://localhost:3000/",
            "http://localhost:3000/oauth",
            "http://localhost:3000/tenant/a",
        ] {
            assert!(
                issuer_on_server_origin(&server, same),
                "{same} is the server's origin"
            );
        }
        for other in [
            "https://evil.example.com",
            "http://localhost:3001/oauth",
            "https://localhost:3000/oauth",
            "http://127.0.0.1:3000/oauth",
            "http://localhost:3000/oauth?x=1",
            "http://localhost:3000/oauth#f",
            "http://user@localhost:3000/oauth",
            "not a url",
        ] {
            assert!(
                !issuer_on_server_origin(&server, other),
                "{other} must be refused: another origin, or not an issuer identifier"
            );
        }
        Ok(())
    }

    #[test]
    fn protected_resource_metadata_is_looked_for_path_inserted_then_at_the_root()
    -> Result<(), url::ParseError> {
        let urls = protected_resource_metadata_urls(&url("https://api.example.com/v1/mcp?x=1")?);
        let urls: Vec<&str> = urls.iter().map(Url::as_str).collect();
        assert_eq!(
            urls,
            [
                "https://api.example.com/.well-known/oauth-protected-resource/v1/mcp",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ]
        );
        let root = protected_resource_metadata_urls(&url("https://api.example.com/")?);
        assert_eq!(root.len(), 1, "a server at the root has one location");
        Ok(())
    }
}
