//! Workload identity federation (SEP-1933): a machine whose credential is a JWT its platform
//! issues (a Kubernetes service-account token, a cloud workload identity, a CI job's OIDC
//! token). One RFC 7523 JWT-bearer token request at the MCP server's authorization server turns
//! it into an access token. There is no refresh token and no retry: a refused assertion
//! (`invalid_grant`, `invalid_scope`, `unauthorized_client`) is reported as the server said it,
//! never retried or swapped for another grant; when the token expires the caller presents a
//! fresh assertion.
//!
//! Hand-written, as one form POST: rmcp's JWT-bearer request is bound to its enterprise ID-JAG
//! type (`EmaIdJag`, which cannot be built from an arbitrary assertion), and oauth2 has no
//! JWT-bearer grant.

use std::time::Duration;

use oauth2::TokenResponse;
use rmcp::transport::auth::OAuthTokenResponse;
use url::Url;

use super::{Grant, OAuthError, discovery};
use crate::secret::Secret;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The same bound rmcp gives its own OAuth requests.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// A workload's identity: its client ID at the authorization server and the platform's JWT.
#[derive(Debug, Clone)]
pub struct Workload {
    pub client_id: String,
    pub assertion: Secret,
    /// Scopes to request; empty leaves the choice to the server.
    pub scopes: Vec<String>,
}

/// The token endpoint's error answer (RFC 6749 §5.2).
#[derive(serde::Deserialize)]
struct Refusal {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Exchanges the workload's JWT for an access token to `server_url`.
pub async fn workload_grant(
    server_url: &Url,
    workload: &Workload,
    route: &crate::network::Route,
) -> Result<Grant, OAuthError> {
    let manager = super::http_client::manager(server_url, route, None).await?;
    let metadata = discovery::resolve_metadata(&manager, server_url, route).await?;
    let scope = workload.scopes.join(" ");
    let mut form = vec![
        ("grant_type", JWT_BEARER),
        ("assertion", workload.assertion.expose()),
        ("client_id", workload.client_id.as_str()),
        // RFC 8707: the token is for this server, as in every other grant.
        ("resource", server_url.as_str()),
    ];
    if !scope.is_empty() {
        form.push(("scope", scope.as_str()));
    }
    let builder = reqwest::Client::builder()
        .timeout(TOKEN_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none());
    let http = route
        .apply(builder)
        .map_err(OAuthError::Denied)?
        .build()
        .map_err(|error| OAuthError::Denied(error.to_string()))?;
    let response = http
        .post(&metadata.token_endpoint)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .header(reqwest::header::ACCEPT, "application/json")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&form)
                .finish(),
        )
        .send()
        .await
        .map_err(|error| OAuthError::Denied(format!("the token request failed: {error}")))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|error| OAuthError::Denied(format!("the token answer was cut off: {error}")))?;
    if !status.is_success() {
        let said = serde_json::from_slice::<Refusal>(&body).map_or_else(
            |_| format!("HTTP {status}"),
            |refusal| match refusal.error_description {
                Some(description) => format!("{}: {}", refusal.error, description),
                None => refusal.error,
            },
        );
        let said = crate::vocabulary::first_line(&said);
        return Err(if said.starts_with("unauthorized_client") {
            OAuthError::ClientRejected(said)
        } else {
            OAuthError::Denied(said)
        });
    }
    let token: OAuthTokenResponse = serde_json::from_slice(&body)
        .map_err(|error| OAuthError::Denied(format!("unreadable token answer: {error}")))?;
    let granted: Vec<String> = token.scopes().map_or_else(
        || workload.scopes.clone(),
        |scopes| scopes.iter().map(|scope| scope.to_string()).collect(),
    );
    Grant::from_token(&workload.client_id, token, granted, metadata.issuer.clone())
}
