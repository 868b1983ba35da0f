//! The client-credentials grant (SEP-1046) for machine connectors: no browser, no person. A
//! client registered with the authorization server authenticates itself and receives a token
//! bound to the MCP server (RFC 8707 `resource`).
//!
//! Two ways to authenticate the client, both done by rmcp on Patchbay's discovered metadata:
//! - a client secret, sent as HTTP Basic (`client_secret_basic`) when that is the only method
//!   the server lists, otherwise in the request body (`client_secret_post`);
//! - `private_key_jwt` (RFC 7523 §2.2): a fresh assertion (iss = sub = client id, aud = the
//!   authorization server's issuer, 5-minute lifetime, random jti) signed with the client's
//!   private key. The key never leaves this process; only its signature is sent.

use rmcp::transport::auth::{
    AuthorizationManager, ClientCredentialsConfig, CredentialStore, InMemoryCredentialStore,
    JwtSigningAlgorithm,
};
use url::Url;

use super::{Grant, OAuthError, discovery};
use crate::secret::Secret;

/// How the client proves who it is at the token endpoint.
#[derive(Debug, Clone)]
pub enum ClientAuth {
    /// A client secret (`client_secret_basic` or `client_secret_post`, as the server prefers).
    Secret(Secret),
    /// `private_key_jwt`: a PEM private key (PKCS#8 or PKCS#1 RSA, PKCS#8 or SEC1 EC).
    PrivateKeyJwt {
        private_key_pem: Secret,
        algorithm: JwtAlgorithm,
    },
}

/// The signing algorithms Patchbay offers for `private_key_jwt`. The server lists the ones it
/// accepts in `token_endpoint_auth_signing_alg_values_supported`; a mismatch is refused before
/// anything is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Rs256,
    Rs384,
    Rs512,
    Es256,
    Es384,
}

impl std::str::FromStr for JwtAlgorithm {
    type Err = OAuthError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            _ => {
                return Err(OAuthError::Credentials(format!(
                    "unsupported JWT signing algorithm {:?} (use RS256, RS384, RS512, ES256 or ES384)",
                    name.chars().take(16).collect::<String>()
                )));
            }
        })
    }
}

impl From<JwtAlgorithm> for JwtSigningAlgorithm {
    fn from(algorithm: JwtAlgorithm) -> Self {
        match algorithm {
            JwtAlgorithm::Rs256 => Self::RS256,
            JwtAlgorithm::Rs384 => Self::RS384,
            JwtAlgorithm::Rs512 => Self::RS512,
            JwtAlgorithm::Es256 => Self::ES256,
            JwtAlgorithm::Es384 => Self::ES384,
        }
    }
}

/// A machine connector's client: who it is, how it authenticates, what it asks for.
#[derive(Debug, Clone)]
pub struct MachineClient {
    pub client_id: String,
    pub auth: ClientAuth,
    /// Scopes to request; empty leaves the choice to the authorization server.
    pub scopes: Vec<String>,
}

/// Exchanges a client id and secret for a token bound to `server_url`.
pub async fn client_credentials(
    server_url: &Url,
    client_id: &str,
    client_secret: &Secret,
) -> Result<Grant, OAuthError> {
    machine_grant(
        server_url,
        &MachineClient {
            client_id: client_id.to_owned(),
            auth: ClientAuth::Secret(client_secret.clone()),
            scopes: Vec::new(),
        },
    )
    .await
}

/// Runs the client-credentials grant for `client` against the authorization server of
/// `server_url`. Every request is bounded by rmcp's 30-second OAuth HTTP timeout.
pub async fn machine_grant(server_url: &Url, client: &MachineClient) -> Result<Grant, OAuthError> {
    let resource = Some(server_url.as_str().to_owned());
    let config = match &client.auth {
        ClientAuth::Secret(secret) => ClientCredentialsConfig::ClientSecret {
            client_id: client.client_id.clone(),
            client_secret: secret.expose().to_owned(),
            scopes: client.scopes.clone(),
            resource,
        },
        ClientAuth::PrivateKeyJwt {
            private_key_pem,
            algorithm,
        } => ClientCredentialsConfig::PrivateKeyJwt {
            client_id: client.client_id.clone(),
            signing_key: private_key_pem.expose().as_bytes().to_vec(),
            signing_algorithm: (*algorithm).into(),
            // The issuer from the discovered metadata, which RFC 7523 §3 accepts as audience.
            token_endpoint_audience: None,
            scopes: client.scopes.clone(),
            resource,
        },
    };
    let store = InMemoryCredentialStore::new();
    let mut manager = AuthorizationManager::new(server_url.as_str()).await?;
    manager.set_credential_store(store.clone());
    // The same steps as rmcp's `OAuthState::authenticate_client_credentials`, on metadata found
    // the way every other Patchbay flow finds it.
    discovery::use_discovered_metadata(&mut manager, server_url).await?;
    manager.validate_client_credentials_metadata(&config)?;
    manager.configure_client_credentials(&config)?;
    manager.exchange_client_credentials(&config).await?;
    let stored = store
        .load()
        .await?
        .ok_or_else(|| OAuthError::Credentials("the token exchange stored nothing".into()))?;
    Grant::from_stored(&stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_parse_by_their_jose_names_only() {
        assert_eq!(
            "ES256".parse::<JwtAlgorithm>().ok(),
            Some(JwtAlgorithm::Es256)
        );
        assert_eq!(
            "RS512".parse::<JwtAlgorithm>().ok(),
            Some(JwtAlgorithm::Rs512)
        );
        for refused in ["none", "HS256", "es256", ""] {
            assert!(
                refused.parse::<JwtAlgorithm>().is_err(),
                "{refused:?} must be refused: unsigned, symmetric or misspelt"
            );
        }
    }
}
