//! Enterprise-managed authorization (SEP-990, "cross-app access"): a person signed in to their
//! company's identity provider (IdP) reaches an MCP server without a consent screen, because
//! the company approved the connection. Two token requests, no browser:
//!
//! 1. RFC 8693 token exchange at the IdP: the person's ID token becomes an ID-JAG (identity
//!    assertion JWT authorization grant) for this MCP server's authorization server and resource.
//! 2. RFC 7523 JWT-bearer grant at that authorization server: the ID-JAG becomes an access token.
//!
//! rmcp's enterprise module sends both requests and checks the ID-JAG's bindings (issuer,
//! audience, client, resource, lifetime). This module finds the MCP server's authorization
//! server the way every other flow does ([`super::discovery`]), picks the client
//! authentication each server advertises, and turns the result into a [`Grant`] that a session
//! uses like any other. Obtaining the ID token (the company sign-in) is the caller's part; the
//! grant carries no refresh token, so when it expires the caller exchanges a fresh ID token.

use oauth2::ClientSecret;
use rmcp::transport::auth::enterprise::{
    EmaAuthorizationServer, EmaClientAuthentication, EmaExchangeRequest,
};
use rmcp::transport::auth::{AuthorizationMetadata, OAuthTokenResponse};
use url::Url;

use super::{Grant, OAuthError, discovery};
use crate::secret::Secret;

/// The company's identity provider and Patchbay's registration there.
#[derive(Debug, Clone)]
pub struct IdentityProvider {
    /// The IdP's issuer identifier, exactly as in its metadata (the ID-JAG's `iss`).
    pub issuer: String,
    pub token_endpoint: String,
    pub client_id: String,
    /// `None` for a public client registration.
    pub client_secret: Option<Secret>,
}

/// Everything one cross-app sign-in needs.
#[derive(Debug, Clone)]
pub struct CrossAppAccess {
    pub idp: IdentityProvider,
    /// The person's OpenID Connect ID token from the IdP.
    pub id_token: Secret,
    /// Patchbay's client registration at the MCP server's authorization server.
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// Scopes to request; empty leaves the choice to the IdP's policy.
    pub scopes: Vec<String>,
}

/// Exchanges the ID token for an access token to `server_url` (both steps described above).
/// Each request is bounded by rmcp's 30-second OAuth HTTP timeout.
pub async fn cross_app_access(
    server_url: &Url,
    access: &CrossAppAccess,
    route: &crate::network::Route,
) -> Result<Grant, OAuthError> {
    let manager = super::http_client::manager(server_url, route, None).await?;
    let metadata = discovery::resolve_metadata(&manager, server_url, route).await?;
    let issuer = metadata.issuer.clone().ok_or_else(|| {
        OAuthError::Credentials(
            "the authorization server's metadata names no issuer, which the ID-JAG must be bound to"
                .into(),
        )
    })?;
    let idp = EmaAuthorizationServer::new(
        access.idp.issuer.clone(),
        access.idp.token_endpoint.clone(),
        access.idp.client_id.clone(),
    )
    .with_client_authentication(match &access.idp.client_secret {
        // IdPs that register confidential clients accept HTTP Basic (RFC 6749 §2.3.1 MUST).
        Some(secret) => EmaClientAuthentication::ClientSecretBasic(client_secret(secret)),
        None => EmaClientAuthentication::None,
    });
    let resource_as = EmaAuthorizationServer::new(
        issuer.clone(),
        metadata.token_endpoint.clone(),
        access.client_id.clone(),
    )
    .with_client_authentication(match &access.client_secret {
        Some(secret) if posts_secrets_only(&metadata) => {
            EmaClientAuthentication::ClientSecretPost(client_secret(secret))
        }
        Some(secret) => EmaClientAuthentication::ClientSecretBasic(client_secret(secret)),
        None => EmaClientAuthentication::None,
    });
    let http = super::http_client::client(server_url, route)?;
    let token = EmaExchangeRequest::new_with_id_token(
        idp,
        resource_as,
        server_url.as_str(),
        access.id_token.expose(),
    )
    .with_scopes(access.scopes.iter().cloned())
    .exchange(http.as_ref(), http.as_ref())
    .await?;

    let mut scopes: Vec<String> = token.scopes.into_iter().collect();
    scopes.sort();
    let mut response = serde_json::json!({
        "access_token": token.access_token.secret(),
        "token_type": "Bearer",
    });
    if let Some(lifetime) = token.expires_in {
        response["expires_in"] = lifetime.as_secs().into();
    }
    if !scopes.is_empty() {
        response["scope"] = scopes.join(" ").into();
    }
    let response: OAuthTokenResponse = serde_json::from_value(response)
        .map_err(|error| OAuthError::Credentials(error.to_string()))?;
    Grant::from_token(&access.client_id, response, scopes, Some(issuer))
}

fn client_secret(secret: &Secret) -> ClientSecret {
    ClientSecret::new(secret.expose().to_owned())
}

/// Whether the server lists `client_secret_post` but not `client_secret_basic`; Basic is the
/// default every confidential-client server must support (RFC 6749 §2.3.1).
fn posts_secrets_only(metadata: &AuthorizationMetadata) -> bool {
    let methods: Vec<&str> = metadata
        .additional_fields
        .get("token_endpoint_auth_methods_supported")
        .and_then(serde_json::Value::as_array)
        .map(|methods| {
            methods
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect()
        })
        .unwrap_or_default();
    methods.contains(&"client_secret_post") && !methods.contains(&"client_secret_basic")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(methods: serde_json::Value) -> Result<AuthorizationMetadata, serde_json::Error> {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://as.example.com",
            "authorization_endpoint": "https://as.example.com/authorize",
            "token_endpoint": "https://as.example.com/token",
            "token_endpoint_auth_methods_supported": methods,
        }))
    }

    #[test]
    fn basic_unless_the_server_accepts_only_posted_secrets() -> Result<(), serde_json::Error> {
        assert!(posts_secrets_only(&metadata(serde_json::json!([
            "client_secret_post"
        ]))?));
        assert!(!posts_secrets_only(&metadata(serde_json::json!([
            "client_secret_post",
            "client_secret_basic"
        ]))?));
        assert!(!posts_secrets_only(&metadata(serde_json::json!([
            "client_secret_basic"
        ]))?));
        assert!(
            !posts_secrets_only(&metadata(serde_json::Value::Null)?),
            "no list: Basic, the method every server must support"
        );
        Ok(())
    }
}
