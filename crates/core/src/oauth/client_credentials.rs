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
//!
//! A machine grant has no refresh token. It keeps its client in its [`Registration`] (method
//! [`RegistrationMethod::ClientCredentials`], the secret or key sealed with the tokens), so when
//! the access token expires the connector's [`super::refresh::TokenCell`] runs the grant again
//! ([`regrant`]) under the same single-flight and cross-process lock as a refresh, with nobody
//! asked. The client's credentials go only to the authorization server it was registered with:
//! a stored client is used again only when discovery finds the same issuer.
//!
//! Outcomes of a grant: `invalid_client` or `unauthorized_client` means the authorization server
//! no longer accepts this client (its secret was rotated, its key or the client revoked) — the
//! person has to enter new credentials; anything else (network, 5xx, a malformed answer) leaves
//! the stored grant alone and is tried again later.

use rmcp::transport::auth::{
    AuthError, AuthorizationMetadata, ClientCredentialsConfig, CredentialStore,
    InMemoryCredentialStore, JwtSigningAlgorithm, StoredCredentials,
};
use url::Url;

use crate::network::Route;

use super::refresh::RefreshError;
use super::{Grant, OAuthError, Registration, discovery};
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

impl JwtAlgorithm {
    /// The JOSE name (`ES256`), as stored and as the server lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
        }
    }
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
        &Route::default(),
    )
    .await
}

/// Runs the client-credentials grant for `client` against the authorization server of
/// `server_url`. The grant keeps the client as its registration, bound to the issuer discovery
/// found, so the token can be renewed the same way later. Every request is bounded by rmcp's
/// 30-second OAuth HTTP timeout.
pub async fn machine_grant(
    server_url: &Url,
    client: &MachineClient,
    route: &Route,
) -> Result<Grant, OAuthError> {
    grant_at(server_url, client, None, route).await
}

/// Runs a machine connector's grant again on request (`connector login`, Re-authenticate):
/// with `replacement` credentials when the person entered new ones (a rotated secret or key;
/// `client_id` replaces the stored id), else with the client stored in `previous` — and then only
/// if discovery finds the authorization server that client was registered with.
pub async fn machine_grant_again(
    server_url: &Url,
    previous: Option<&Registration>,
    client_id: Option<String>,
    replacement: Option<ClientAuth>,
    route: &Route,
) -> Result<Grant, OAuthError> {
    let stored = previous.and_then(Registration::machine_client);
    let scopes = stored
        .as_ref()
        .map(|client| client.scopes.clone())
        .unwrap_or_default();
    let client_id = client_id
        .or_else(|| stored.as_ref().map(|client| client.client_id.clone()))
        .ok_or(OAuthError::NoMachineClient)?;
    let (auth, bound_to) = match (replacement, stored) {
        (Some(auth), _) => (auth, None),
        (None, Some(stored)) if stored.client_id == client_id => {
            // `machine_client` is only `Some` for a registration that records its issuer.
            let issuer = previous
                .and_then(|registration| registration.issuer.clone())
                .ok_or(OAuthError::NoMachineClient)?;
            (stored.auth, Some(issuer))
        }
        (None, _) => return Err(OAuthError::NoMachineClient),
    };
    let client = MachineClient {
        client_id,
        auth,
        scopes,
    };
    grant_at(server_url, &client, bound_to.as_deref(), route).await
}

/// The grant, against freshly discovered metadata; `bound_to` is the issuer a stored client
/// belongs to (its credentials are sent nowhere else).
async fn grant_at(
    server_url: &Url,
    client: &MachineClient,
    bound_to: Option<&str>,
    route: &Route,
) -> Result<Grant, OAuthError> {
    let manager = super::http_client::manager(server_url, route, None).await?;
    let metadata = discovery::resolve_metadata(&manager, server_url, route).await?;
    if let Some(issuer) = bound_to
        && metadata.issuer.as_deref() != Some(issuer)
    {
        return Err(OAuthError::AuthorizationServerChanged);
    }
    let credentials = exchange_elsewhere(server_url, metadata, client, route)
        .await
        .map_err(|error| match rejection(&error) {
            Some(code) => OAuthError::ClientRejected(code.to_owned()),
            None => error.into(),
        })?;
    let registration = Registration::of_machine(client, credentials.issuer.clone());
    Grant::new(&credentials, Some(&registration))
}

/// Runs `client`'s grant at the authorization server described by `metadata` (as rmcp's
/// `OAuthState::authenticate_client_credentials` does, on metadata found the way every other
/// Patchbay flow finds it) and returns the credentials rmcp stored.
async fn exchange(
    server_url: &Url,
    metadata: AuthorizationMetadata,
    client: &MachineClient,
    route: &Route,
) -> Result<StoredCredentials, AuthError> {
    let config = config(server_url, client);
    let store = InMemoryCredentialStore::new();
    let mut manager = super::http_client::manager(server_url, route, None).await?;
    manager.set_metadata(metadata);
    manager.set_credential_store(store.clone());
    manager.validate_client_credentials_metadata(&config)?;
    manager.configure_client_credentials(&config)?;
    manager.exchange_client_credentials(&config).await?;
    store
        .load()
        .await?
        .ok_or_else(|| AuthError::InternalError("the token exchange stored nothing".into()))
}

/// [`exchange`] on a blocking-pool thread that drives it with the runtime's handle, so the
/// caller's future stays `Send` (a session's HTTP client and the desktop's commands need that):
/// rmcp's exchange future is not, as its `private_key_jwt` path keeps a form serializer across
/// an await. Each request is bounded by rmcp's 30-second timeout; the exchange finishes even if
/// the caller stops waiting, and its result is then dropped unused.
async fn exchange_elsewhere(
    server_url: &Url,
    metadata: AuthorizationMetadata,
    client: &MachineClient,
    route: &Route,
) -> Result<StoredCredentials, AuthError> {
    let handle = tokio::runtime::Handle::current();
    let (server_url, client, route) = (server_url.clone(), client.clone(), route.clone());
    tokio::task::spawn_blocking(move || {
        handle.block_on(exchange(&server_url, metadata, &client, &route))
    })
    .await
    .map_err(|error| AuthError::InternalError(format!("the token request stopped: {error}")))?
}

fn config(server_url: &Url, client: &MachineClient) -> ClientCredentialsConfig {
    let resource = Some(server_url.as_str().to_owned());
    match &client.auth {
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
    }
}

/// A machine connector's token has expired (or was refused): runs the stored client's grant
/// again against the session's discovered `metadata`, for the connector's
/// [`super::refresh::TokenCell`], which holds its refresh lock around this and commits the
/// result before using it. The client goes only to the issuer it was registered with.
pub(crate) async fn regrant(
    server_url: &Url,
    metadata: &AuthorizationMetadata,
    registration: &Registration,
    route: &Route,
) -> Result<Grant, RefreshError> {
    let client = registration
        .machine_client()
        .ok_or(RefreshError::NeedsSignIn)?;
    if !registration.belongs_to(metadata.issuer.as_deref()) {
        tracing::warn!("the authorization server changed; the machine client is not sent to it");
        return Err(RefreshError::NeedsSignIn);
    }
    let credentials = exchange_elsewhere(server_url, metadata.clone(), &client, route)
        .await
        .map_err(|error| match rejection(&error) {
            Some(code) => RefreshError::ClientRejected(code.to_owned()),
            None => {
                tracing::debug!(%error, "client-credentials grant failed; keeping the tokens");
                RefreshError::Unavailable(crate::vocabulary::first_line(&error.to_string()))
            }
        })?;
    Grant::new(&credentials, Some(registration))
        .map_err(|error| RefreshError::Unavailable(error.to_string()))
}

/// The OAuth error codes that mean the authorization server no longer accepts the client
/// (RFC 6749 §5.2): retrying with the same credentials cannot help.
const CLIENT_REJECTED: [&str; 2] = ["invalid_client", "unauthorized_client"];

/// `invalid_client` or `unauthorized_client`, if that is what the token endpoint answered.
/// rmcp reports a failed client-credentials exchange as text: `Token exchange failed: Server
/// returned error response: CODE[: description]` (the secret path, via oauth2) or `Token exchange
/// failed: CODE: description` (`private_key_jwt`). Only the code in that position counts, never
/// words of the server's description; transport failures and 5xx bodies that are not OAuth
/// errors carry no code there.
fn rejection(error: &AuthError) -> Option<&'static str> {
    let AuthError::ClientCredentialsError(message) = error else {
        return None;
    };
    let rest = message.strip_prefix("Token exchange failed: ")?;
    let rest = rest
        .strip_prefix("Server returned error response: ")
        .unwrap_or(rest);
    let code = rest.split(':').next().unwrap_or_default().trim();
    CLIENT_REJECTED
        .into_iter()
        .find(|rejected| *rejected == code)
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
        for algorithm in [JwtAlgorithm::Rs256, JwtAlgorithm::Es384] {
            assert_eq!(
                algorithm.as_str().parse::<JwtAlgorithm>().ok(),
                Some(algorithm),
                "the stored name reads back"
            );
        }
    }

    /// Desktop commands and a session's HTTP client run on a multi-threaded runtime: the grant's
    /// future must be `Send` (rmcp's exchange alone is not).
    #[test]
    fn a_grant_can_run_in_a_send_task() -> Result<(), url::ParseError> {
        fn send<T: Send>(_: &T) {}
        let url = Url::parse("https://mcp.example.com/mcp")?;
        let client = MachineClient {
            client_id: "svc".into(),
            auth: ClientAuth::Secret(Secret::new("s")),
            scopes: Vec::new(),
        };
        let route = Route::default();
        let first = machine_grant(&url, &client, &route);
        send(&first);
        let again = machine_grant_again(&url, None, None, None, &route);
        send(&again);
        let metadata = AuthorizationMetadata::default();
        let registration = Registration::of_machine(&client, None);
        let renewal = regrant(&url, &metadata, &registration, &route);
        send(&renewal);
        Ok(())
    }

    /// The secret path's message, built the way rmcp builds it from oauth2's error.
    fn server_said(code: BasicErrorResponseType, description: Option<&str>) -> AuthError {
        let response = BasicErrorResponse::new(code, description.map(str::to_owned), None);
        let error: RequestTokenError<std::io::Error, BasicErrorResponse> =
            RequestTokenError::ServerResponse(response);
        AuthError::ClientCredentialsError(format!("Token exchange failed: {error}"))
    }

    use oauth2::RequestTokenError;
    use oauth2::basic::{BasicErrorResponse, BasicErrorResponseType};

    #[test]
    fn only_a_rejected_client_is_told_apart_from_a_failure_to_retry() {
        assert_eq!(
            rejection(&server_said(BasicErrorResponseType::InvalidClient, None)),
            Some("invalid_client")
        );
        assert_eq!(
            rejection(&server_said(
                BasicErrorResponseType::UnauthorizedClient,
                Some("client disabled")
            )),
            Some("unauthorized_client")
        );
        assert_eq!(
            rejection(&AuthError::ClientCredentialsError(
                "Token exchange failed: invalid_client: signature does not verify".into()
            )),
            Some("invalid_client"),
            "the private_key_jwt path words it without oauth2's prefix"
        );
        for retry in [
            server_said(
                BasicErrorResponseType::InvalidRequest,
                Some("invalid_client is what you will get next"),
            ),
            server_said(
                BasicErrorResponseType::Extension("server_error".into()),
                None,
            ),
            AuthError::ClientCredentialsError("Token exchange failed: HTTP 503".into()),
            AuthError::ClientCredentialsError(
                "Token exchange parse error: expected value at line 1 column 1".into(),
            ),
            AuthError::ClientCredentialsError("Token exchange failed: Request failed".into()),
            AuthError::TokenRefreshRejected("invalid_client".into()),
        ] {
            assert_eq!(
                rejection(&retry),
                None,
                "{retry}: not a rejected client (a description or another error kind)"
            );
        }
    }
}
