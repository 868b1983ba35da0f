//! A connector's OAuth client registration: which client Patchbay is at which authorization
//! server (client id, optional client secret, the issuer it belongs to, how it was obtained, the
//! redirect URI it was used with). It is kept inside the connector's [`Grant`], so it is sealed
//! with the tokens, replaced by each sign-in and deleted with them ("forget credentials and
//! registration").
//!
//! Storage: a grant is rmcp's `StoredCredentials` JSON object with one extra member,
//! `"registration"`. Grants stored before registrations were kept are plain `StoredCredentials`
//! and read as "no registration"; rmcp ignores the extra member, so the tokens parse the same
//! either way.
//!
//! Binding (MCP authorization 2026-07-28: client credentials are bound to the authorization
//! server that issued them): a registration is used only with the issuer it records, compared
//! exactly. Its secret authenticates refreshes ([`refresh_client`]) only for the same client at
//! the same issuer as the tokens; a later sign-in reuses it only when discovery finds the same
//! issuer again ([`Registration::reusable`]), and otherwise registers afresh with the new server.
//!
//! Machine connectors ([`RegistrationMethod::ClientCredentials`]) keep their client here too:
//! the id, the secret or the `private_key_jwt` signing key, the scopes they ask for, and the
//! issuer; they have no redirect URI. Their tokens are renewed by running the grant again
//! ([`super::client_credentials`]), never by a refresh, and such a client is never reused for a
//! person's sign-in.
//!
//! The client secret and the signing key are [`Secret`]s: never printed, logged or shown in a
//! view ([`OAuthClientView`] is what front ends see); they leave the process only sealed, or in
//! the token request (HTTP Basic header, or body when the server accepts only
//! `client_secret_post`; a key only as the signature of an assertion).

use rmcp::transport::auth::{OAuthClientConfig, StoredCredentials};
use serde::{Deserialize, Serialize};

use super::client_credentials::{ClientAuth, JwtAlgorithm, MachineClient};
use super::{ClientChoice, Grant, OAuthError};
use crate::secret::Secret;

/// The grant's JSON member that holds the registration.
const MEMBER: &str = "registration";

/// How the client came to be known to the authorization server (the spec's registration order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RegistrationMethod {
    /// A client id (and optional secret) the person registered with the provider and entered.
    PreRegistered,
    /// A client ID metadata document URL (CIMD): the URL is the client id.
    MetadataDocument,
    /// Dynamic client registration (RFC 7591) during the sign-in.
    Dynamic,
    /// A machine client the person registered with the provider: it obtains its tokens itself
    /// with the client-credentials grant (no person, no redirect).
    ClientCredentials,
}

/// A machine client's `private_key_jwt` key. `Debug` shows no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// PEM (PKCS#8 or PKCS#1 RSA, PKCS#8 or SEC1 EC).
    pub pem: Secret,
    pub algorithm: JwtAlgorithm,
}

/// One client registration. `Debug` shows no secret ([`Secret`] is redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// A machine client's key, when it authenticates with `private_key_jwt` instead of a secret.
    pub signing_key: Option<SigningKey>,
    /// The issuer of the authorization server it belongs to; `None` if its metadata named none
    /// (such a registration is never reused: it cannot be bound).
    pub issuer: Option<String>,
    pub method: RegistrationMethod,
    /// The redirect URI the sign-in used (for loopback, with that sign-in's port); empty for a
    /// machine client, which has none.
    pub redirect_uri: String,
    /// The scopes a machine client asks for (empty: the authorization server chooses); empty
    /// for sign-ins, whose scopes come from discovery.
    pub scopes: Vec<String>,
}

/// How a client authenticates at the token endpoint, as a view may say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClientAuthentication {
    /// A public client (PKCE only).
    None,
    ClientSecret,
    PrivateKeyJwt,
}

/// What front ends may show of a connector's OAuth client (`connector show`): no secret, no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OAuthClientView {
    pub client_id: String,
    pub method: RegistrationMethod,
    /// A machine connector: nobody signs in; Patchbay renews its token with the
    /// client-credentials grant.
    pub machine: bool,
    pub authentication: ClientAuthentication,
    pub issuer: Option<String>,
}

/// The registration as sealed inside the grant. Private: the only place a secret is plain text
/// outside a request, and only on its way into the sealed JSON.
#[derive(Serialize, Deserialize)]
struct Stored {
    client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// PEM, with its algorithm's JOSE name (machine clients using `private_key_jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing_algorithm: Option<String>,
    issuer: Option<String>,
    method: RegistrationMethod,
    redirect_uri: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<String>,
}

impl Registration {
    /// The registration a finished sign-in used: the client the person entered, the client ID
    /// metadata document, or else the one dynamic registration produced (its id is in
    /// `credentials`; rmcp does not hand out a registration's secret, and Patchbay registers as
    /// a public client, `token_endpoint_auth_method: none`).
    pub(crate) fn of_sign_in(
        client: &ClientChoice,
        credentials: &StoredCredentials,
        redirect_uri: &str,
    ) -> Self {
        let method = if client.client_id.as_deref() == Some(credentials.client_id.as_str()) {
            RegistrationMethod::PreRegistered
        } else if client.metadata_url.as_deref() == Some(credentials.client_id.as_str()) {
            RegistrationMethod::MetadataDocument
        } else {
            RegistrationMethod::Dynamic
        };
        Self {
            client_id: credentials.client_id.clone(),
            client_secret: match method {
                RegistrationMethod::PreRegistered => client.client_secret.clone(),
                _ => None,
            },
            signing_key: None,
            issuer: credentials.issuer.clone(),
            method,
            redirect_uri: redirect_uri.to_owned(),
            scopes: Vec::new(),
        }
    }

    /// The registration of a machine client whose grant came from the authorization server
    /// `issuer`.
    pub(crate) fn of_machine(client: &MachineClient, issuer: Option<String>) -> Self {
        let (client_secret, signing_key) = match &client.auth {
            ClientAuth::Secret(secret) => (Some(secret.clone()), None),
            ClientAuth::PrivateKeyJwt {
                private_key_pem,
                algorithm,
            } => (
                None,
                Some(SigningKey {
                    pem: private_key_pem.clone(),
                    algorithm: *algorithm,
                }),
            ),
        };
        Self {
            client_id: client.client_id.clone(),
            client_secret,
            signing_key,
            issuer,
            method: RegistrationMethod::ClientCredentials,
            redirect_uri: String::new(),
            scopes: client.scopes.clone(),
        }
    }

    /// The machine client to run the client-credentials grant with again: `None` unless this is
    /// a machine client with a secret or key, bound to an issuer.
    pub fn machine_client(&self) -> Option<MachineClient> {
        if self.method != RegistrationMethod::ClientCredentials || self.issuer.is_none() {
            return None;
        }
        let auth = match (&self.signing_key, &self.client_secret) {
            (Some(key), _) => ClientAuth::PrivateKeyJwt {
                private_key_pem: key.pem.clone(),
                algorithm: key.algorithm,
            },
            (None, Some(secret)) => ClientAuth::Secret(secret.clone()),
            (None, None) => return None,
        };
        Some(MachineClient {
            client_id: self.client_id.clone(),
            auth,
            scopes: self.scopes.clone(),
        })
    }

    /// Whether this is a machine connector's client (client-credentials grant).
    pub fn is_machine(&self) -> bool {
        self.method == RegistrationMethod::ClientCredentials
    }

    /// What a front end may show of this client.
    pub fn view(&self) -> OAuthClientView {
        OAuthClientView {
            client_id: self.client_id.clone(),
            method: self.method,
            machine: self.is_machine(),
            authentication: match (&self.signing_key, &self.client_secret) {
                (Some(_), _) => ClientAuthentication::PrivateKeyJwt,
                (None, Some(_)) => ClientAuthentication::ClientSecret,
                (None, None) => ClientAuthentication::None,
            },
            issuer: self.issuer.clone(),
        }
    }

    /// The client to sign in with again, when it may be reused: a pre-registered client (one
    /// the person entered) or a dynamic registration (with the redirect URI it registered, so
    /// servers do not fill up with one client per sign-in), bound to an issuer. The caller checks
    /// that issuer against what discovery finds before the client is used
    /// ([`Registration::belongs_to`]) and registers afresh when it changed.
    pub fn reusable(&self) -> Option<ClientChoice> {
        let kind = match self.method {
            RegistrationMethod::PreRegistered => true,
            RegistrationMethod::Dynamic => !self.redirect_uri.is_empty(),
            RegistrationMethod::MetadataDocument | RegistrationMethod::ClientCredentials => false,
        };
        (kind && self.issuer.is_some()).then(|| ClientChoice {
            client_id: Some(self.client_id.clone()),
            client_secret: self.client_secret.clone(),
            metadata_url: None,
        })
    }

    /// Whether this registration was made with the authorization server `issuer` (exact
    /// comparison; an unknown issuer matches nothing).
    pub fn belongs_to(&self, issuer: Option<&str>) -> bool {
        self.issuer.is_some() && self.issuer.as_deref() == issuer
    }

    fn to_stored(&self) -> Stored {
        Stored {
            client_id: self.client_id.clone(),
            client_secret: self
                .client_secret
                .as_ref()
                .map(|secret| secret.expose().to_owned()),
            signing_key: self
                .signing_key
                .as_ref()
                .map(|key| key.pem.expose().to_owned()),
            signing_algorithm: self
                .signing_key
                .as_ref()
                .map(|key| key.algorithm.as_str().to_owned()),
            issuer: self.issuer.clone(),
            method: self.method,
            redirect_uri: self.redirect_uri.clone(),
            scopes: self.scopes.clone(),
        }
    }

    fn from_stored(stored: Stored) -> Result<Self, OAuthError> {
        let signing_key = match (stored.signing_key, stored.signing_algorithm) {
            (None, _) => None,
            (Some(pem), Some(algorithm)) => Some(SigningKey {
                pem: Secret::new(pem),
                algorithm: algorithm.parse().map_err(|_| {
                    OAuthError::Credentials(
                        "the stored client registration names an unknown signing algorithm".into(),
                    )
                })?,
            }),
            (Some(_), None) => {
                return Err(OAuthError::Credentials(
                    "the stored client registration has a key without its algorithm".into(),
                ));
            }
        };
        Ok(Self {
            client_id: stored.client_id,
            client_secret: stored.client_secret.map(Secret::new),
            signing_key,
            issuer: stored.issuer,
            method: stored.method,
            redirect_uri: stored.redirect_uri,
            scopes: stored.scopes,
        })
    }
}

fn unreadable(error: impl std::fmt::Display) -> OAuthError {
    OAuthError::Credentials(error.to_string())
}

/// A parse failure without serde's message, which can quote the value it choked on (a secret).
fn malformed(error: &serde_json::Error) -> OAuthError {
    OAuthError::Credentials(format!(
        "the stored client registration is malformed ({:?} error at line {} column {})",
        error.classify(),
        error.line(),
        error.column()
    ))
}

impl Grant {
    /// Credentials and the registration they were obtained with, as one sealed JSON object.
    pub(crate) fn new(
        credentials: &StoredCredentials,
        registration: Option<&Registration>,
    ) -> Result<Self, OAuthError> {
        let mut json = serde_json::to_value(credentials).map_err(unreadable)?;
        if let Some(registration) = registration {
            let object = json
                .as_object_mut()
                .ok_or_else(|| unreadable("the credentials are not a JSON object"))?;
            object.insert(
                MEMBER.to_owned(),
                serde_json::to_value(registration.to_stored()).map_err(unreadable)?,
            );
        }
        Ok(Self(Secret::new(json.to_string())))
    }

    /// The registration kept with these credentials; `None` for grants stored before
    /// registrations were kept, and for machine grants.
    pub fn registration(&self) -> Result<Option<Registration>, OAuthError> {
        #[derive(Deserialize)]
        struct Envelope {
            registration: Option<Stored>,
        }
        let envelope: Envelope =
            serde_json::from_str(self.0.expose()).map_err(|error| malformed(&error))?;
        envelope
            .registration
            .map(Registration::from_stored)
            .transpose()
    }

    /// The same registration (and DPoP key, [`super::dpop`]) with refreshed credentials.
    pub(crate) fn with_credentials(
        &self,
        credentials: &StoredCredentials,
    ) -> Result<Self, OAuthError> {
        let refreshed = Self::new(credentials, self.registration()?.as_ref())?;
        match self.dpop_key()? {
            Some(key) => refreshed.with_dpop(&key),
            None => Ok(refreshed),
        }
    }
}

/// The client configuration refreshes of `grant` need when its client has a secret (a
/// confidential pre-registered client): rmcp restores only the client id from stored
/// credentials, so without this the token endpoint sees an unauthenticated refresh. `None` when
/// there is no secret, or the registration is not the credentials' client at `issuer` (the
/// authorization server discovered for this session): a secret only ever goes to the server it
/// was registered with.
pub(crate) fn refresh_client(
    grant: &Grant,
    issuer: Option<&str>,
) -> Result<Option<OAuthClientConfig>, OAuthError> {
    let Some(registration) = grant.registration()? else {
        return Ok(None);
    };
    // A machine grant has no refresh token: it is renewed by its grant, not a refresh.
    if registration.is_machine() {
        return Ok(None);
    }
    let Some(secret) = &registration.client_secret else {
        return Ok(None);
    };
    let credentials = grant.to_stored()?;
    if registration.client_id != credentials.client_id
        || !registration.belongs_to(issuer)
        || credentials.issuer.as_deref() != issuer
    {
        return Ok(None);
    }
    Ok(Some(
        OAuthClientConfig::new(registration.client_id, registration.redirect_uri)
            .with_client_secret(secret.expose()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://auth.example.com";
    const SENTINEL: &str = "SNTL-client-secret-1b2c";

    fn credentials(client_id: &str, issuer: Option<&str>) -> StoredCredentials {
        StoredCredentials::new(client_id.to_owned(), None, vec![], Some(1_000))
            .with_issuer(issuer.map(str::to_owned))
    }

    fn preregistered() -> Registration {
        Registration {
            client_id: "client".into(),
            client_secret: Some(Secret::new(SENTINEL)),
            signing_key: None,
            issuer: Some(ISSUER.into()),
            method: RegistrationMethod::PreRegistered,
            redirect_uri: "http://127.0.0.1:4711/callback".into(),
            scopes: Vec::new(),
        }
    }

    #[test]
    fn a_grant_stored_before_registrations_reads_as_having_none() -> Result<(), OAuthError> {
        let old = Grant(Secret::new(
            r#"{"client_id":"c","token_response":null,"granted_scopes":[],"token_received_at":5,"issuer":"https://auth.example.com"}"#,
        ));
        assert_eq!(old.registration()?, None, "old JSON has no registration");
        assert_eq!(
            old.to_stored()?.client_id,
            "c",
            "and its credentials read as before"
        );
        assert_eq!(refresh_client(&old, Some(ISSUER))?.map(|_| ()), None);
        Ok(())
    }

    #[test]
    fn the_registration_round_trips_and_survives_a_refresh() -> Result<(), OAuthError> {
        let grant = Grant::new(&credentials("client", Some(ISSUER)), Some(&preregistered()))?;
        assert_eq!(grant.registration()?, Some(preregistered()));
        assert_eq!(
            grant.to_stored()?.client_id,
            "client",
            "rmcp's view of the grant ignores the extra member"
        );
        let refreshed = grant.with_credentials(&credentials("client", Some(ISSUER)))?;
        assert_eq!(
            refreshed.registration()?,
            Some(preregistered()),
            "a refresh keeps the registration"
        );
        Ok(())
    }

    #[test]
    fn the_secret_is_never_printed() -> Result<(), OAuthError> {
        let grant = Grant::new(&credentials("client", Some(ISSUER)), Some(&preregistered()))?;
        let printed = format!(
            "{:?} {:?} {:?} {:?}",
            preregistered(),
            grant,
            grant.registration()?,
            preregistered().reusable()
        );
        assert!(!printed.contains(SENTINEL), "Debug leaked it: {printed}");
        Ok(())
    }

    /// serde's own message would quote the unknown value ("unknown variant `SNTL-…`").
    #[test]
    fn a_malformed_registration_is_reported_without_its_text() {
        let grant = Grant(Secret::new(format!(
            r#"{{"client_id":"c","token_response":null,"registration":{{"client_id":"c","issuer":null,"method":"{SENTINEL}","redirect_uri":"x"}}}}"#
        )));
        match grant.registration() {
            Err(error) => assert!(
                !error.to_string().contains(SENTINEL),
                "the error quotes the stored value: {error}"
            ),
            Ok(registration) => panic!("a malformed registration must not parse: {registration:?}"),
        }
    }

    #[test]
    fn a_secret_authenticates_refreshes_only_at_its_own_server() -> Result<(), OAuthError> {
        let grant = Grant::new(&credentials("client", Some(ISSUER)), Some(&preregistered()))?;
        assert!(
            refresh_client(&grant, Some(ISSUER))?.is_some(),
            "the same client at the same issuer refreshes with its secret"
        );
        for other in [
            Some("https://other.example.com"),
            Some("https://auth.example.com/"),
            None,
        ] {
            assert!(
                refresh_client(&grant, other)?.is_none(),
                "{other:?}: a secret never goes to another authorization server"
            );
        }
        let other_client = Grant::new(
            &credentials("another", Some(ISSUER)),
            Some(&preregistered()),
        )?;
        assert!(
            refresh_client(&other_client, Some(ISSUER))?.is_none(),
            "a registration for another client id is not used"
        );
        let public = Registration {
            client_secret: None,
            ..preregistered()
        };
        let grant = Grant::new(&credentials("client", Some(ISSUER)), Some(&public))?;
        assert!(
            refresh_client(&grant, Some(ISSUER))?.is_none(),
            "a public client needs no configuration beyond its id"
        );
        Ok(())
    }

    #[test]
    fn a_pre_registered_or_dynamic_client_bound_to_an_issuer_is_reused() {
        let chosen = preregistered().reusable();
        assert_eq!(
            chosen
                .as_ref()
                .and_then(|choice| choice.client_id.as_deref()),
            Some("client")
        );
        assert_eq!(
            chosen.and_then(|choice| choice.client_secret),
            Some(Secret::new(SENTINEL))
        );
        let dynamic = Registration {
            method: RegistrationMethod::Dynamic,
            client_secret: None,
            redirect_uri: "http://127.0.0.1:4711/callback".into(),
            ..preregistered()
        };
        assert_eq!(
            dynamic.reusable().and_then(|choice| choice.client_id),
            Some("client".to_owned()),
            "Patchbay's own registration is reused, not made again at every sign-in"
        );
        let without_redirect = Registration {
            redirect_uri: String::new(),
            ..dynamic
        };
        assert!(without_redirect.reusable().is_none());
        let metadata_document = Registration {
            method: RegistrationMethod::MetadataDocument,
            ..preregistered()
        };
        assert!(
            metadata_document.reusable().is_none(),
            "a metadata document URL is offered by every sign-in anyway"
        );
        let unbound = Registration {
            issuer: None,
            ..preregistered()
        };
        assert!(
            unbound.reusable().is_none(),
            "an unbound client is not reused"
        );
        assert!(
            !unbound.belongs_to(None),
            "an unknown issuer matches nothing"
        );
    }

    #[test]
    fn the_sign_in_records_how_the_client_was_obtained() {
        let entered = ClientChoice {
            client_id: Some("client".into()),
            client_secret: Some(Secret::new(SENTINEL)),
            metadata_url: None,
        };
        let uri = "dev.patchbay.desktop:/oauth/callback";
        let registration =
            Registration::of_sign_in(&entered, &credentials("client", Some(ISSUER)), uri);
        assert_eq!(
            registration,
            Registration {
                redirect_uri: uri.into(),
                ..preregistered()
            }
        );
        let document = ClientChoice {
            metadata_url: Some("https://patchbay.dev/client.json".into()),
            ..ClientChoice::default()
        };
        let cimd = Registration::of_sign_in(
            &document,
            &credentials("https://patchbay.dev/client.json", Some(ISSUER)),
            uri,
        );
        assert_eq!(cimd.method, RegistrationMethod::MetadataDocument);
        let dynamic =
            Registration::of_sign_in(&document, &credentials("client-42", Some(ISSUER)), uri);
        assert_eq!(
            (dynamic.method, dynamic.client_secret),
            (RegistrationMethod::Dynamic, None),
            "the server did not support the document: it registered a client"
        );
    }

    const KEY_SENTINEL: &str = "SNTL-private-key-9d1e";

    fn machine(auth: ClientAuth) -> Registration {
        Registration::of_machine(
            &MachineClient {
                client_id: "svc".into(),
                auth,
                scopes: vec!["tools:read".into()],
            },
            Some(ISSUER.into()),
        )
    }

    fn keyed() -> ClientAuth {
        ClientAuth::PrivateKeyJwt {
            private_key_pem: Secret::new(KEY_SENTINEL),
            algorithm: JwtAlgorithm::Es256,
        }
    }

    #[test]
    fn a_machine_client_round_trips_with_its_secret_or_key() -> Result<(), OAuthError> {
        for registration in [
            machine(ClientAuth::Secret(Secret::new(SENTINEL))),
            machine(keyed()),
        ] {
            let grant = Grant::new(&credentials("svc", Some(ISSUER)), Some(&registration))?;
            let read = grant.registration()?;
            assert_eq!(read.as_ref(), Some(&registration), "it reads back whole");
            let client = read.and_then(|read| read.machine_client());
            assert!(
                client.as_ref().is_some_and(
                    |client| client.client_id == "svc" && client.scopes == ["tools:read"]
                ),
                "the grant can be run again from it: {client:?}"
            );
            assert_eq!(
                refresh_client(&grant, Some(ISSUER))?.map(|_| ()),
                None,
                "a machine grant is renewed by its grant, never by a refresh"
            );
            assert!(
                registration.reusable().is_none(),
                "a machine client is never used for a person's sign-in"
            );
            let shown = format!(
                "{registration:?} {grant:?} {client:?} {}",
                serde_json::to_string(&registration.view()).map_err(unreadable)?
            );
            assert!(
                !shown.contains(SENTINEL) && !shown.contains(KEY_SENTINEL),
                "neither Debug nor the view shows the secret or key: {shown}"
            );
        }
        let view = machine(keyed()).view();
        assert_eq!(
            (view.machine, view.authentication, view.method),
            (
                true,
                ClientAuthentication::PrivateKeyJwt,
                RegistrationMethod::ClientCredentials
            )
        );
        assert_eq!(
            preregistered().view().authentication,
            ClientAuthentication::ClientSecret
        );
        Ok(())
    }

    #[test]
    fn only_a_bound_machine_client_with_credentials_is_run_again() {
        assert!(
            preregistered().machine_client().is_none(),
            "a sign-in's client has no client-credentials grant"
        );
        let unbound = Registration {
            issuer: None,
            ..machine(keyed())
        };
        assert!(unbound.machine_client().is_none(), "no issuer, no binding");
        let bare = Registration {
            client_secret: None,
            signing_key: None,
            ..machine(keyed())
        };
        assert!(
            bare.machine_client().is_none(),
            "nothing to authenticate with"
        );
    }

    #[test]
    fn a_stored_key_without_a_known_algorithm_is_malformed_and_not_quoted() {
        let grant = Grant(Secret::new(format!(
            r#"{{"client_id":"svc","token_response":null,"registration":{{"client_id":"svc","signing_key":"{KEY_SENTINEL}","signing_algorithm":"HS256","issuer":"{ISSUER}","method":"client_credentials","redirect_uri":""}}}}"#
        )));
        match grant.registration() {
            Err(error) => assert!(
                !error.to_string().contains(KEY_SENTINEL),
                "the error quotes the key: {error}"
            ),
            Ok(registration) => panic!("an HS256 key must not be accepted: {registration:?}"),
        }
    }
}
