//! Machine connectors: OAuth connectors whose own client obtains tokens with the
//! client-credentials grant (no browser, no person). Adding one checks the client as entered,
//! runs the grant, tests the connection and saves, in that order, so nothing is saved on any
//! failure. "Renew now" runs the grant again with the stored client or with a new secret or key
//! (a rotated secret); the stored client is only sent to the authorization server it was
//! registered with. Secrets and keys arrive here and never leave but sealed or in the token
//! request.

use super::sign_in::{SignInFront, SignInStep};
use super::{ConnectorSpec, Patchbay, Saved, blocking};
use crate::error::Error;
use crate::oauth::{self, ClientAuth, JwtAlgorithm, MachineClient, Registration};
use crate::secret::Secret;
use crate::store::AuthKind;
use crate::validate::{self, InvalidInput};

/// Client ids are opaque strings; one longer than this is a wrong paste.
const MAX_CLIENT_ID_BYTES: usize = 1024;
/// Far above any real client secret or PEM key (an RSA-4096 key is ~3.3 KiB), far below
/// trouble.
pub const MAX_MACHINE_SECRET_BYTES: usize = 64 * 1024;

/// How a machine client proves who it is at the token endpoint, as a person entered it.
#[derive(Debug, Clone)]
pub enum MachineCredential {
    /// A client secret; sent as `client_secret_basic` or `client_secret_post`, as the
    /// authorization server advertises.
    ClientSecret(Secret),
    /// `private_key_jwt`: a PEM private key, which never leaves Patchbay (only signatures do).
    PrivateKey {
        pem: Secret,
        algorithm: JwtAlgorithm,
    },
}

/// A machine client as a person entered it; checked by core before any request leaves.
#[derive(Debug, Clone)]
pub struct MachineClientInput {
    pub client_id: String,
    pub credential: MachineCredential,
}

impl Patchbay {
    /// Gets a token for `client`, then tests (unless `test` is false) and saves the new OAuth
    /// connector `spec`. Nothing is saved on any failure; a rejected client is
    /// [`crate::ErrorKind::NeedsAuth`] with the server's reason.
    pub async fn add_machine_connector(
        &self,
        workspace: &str,
        mut spec: ConnectorSpec,
        client: MachineClientInput,
        test: bool,
        front: &dyn SignInFront,
    ) -> Result<Saved, Error> {
        if spec.auth != AuthKind::OAuth || spec.token.is_some() {
            return Err(InvalidInput::Other(
                "a machine client is for OAuth connectors, which take no access token".into(),
            )
            .into());
        }
        // The person's mistakes first, before any request leaves.
        validate::name(&spec.name, "the connector name")?;
        let server = validate::url(&spec.url)?;
        self.ensure_name_free(workspace, &spec.name)?;
        let client = client_of(&client.client_id, client.credential)?;
        front.progress(SignInStep::RequestingToken {
            client_id: &client.client_id,
            server: &server,
        });
        let route = self.new_route(&spec.network)?;
        spec.oauth = Some(oauth::machine_grant(&server, &client, &route).await?);
        if test {
            front.progress(SignInStep::Testing);
        }
        self.add_connector(workspace, spec, test).await
    }

    /// Runs a machine connector's grant again now ("Renew now"): with the client stored with it,
    /// or with what the person entered — a new secret or key for the stored client, or another
    /// client (which then needs its own secret or key). The stored client is only sent to the
    /// authorization server it was registered with. The stored credentials are replaced only
    /// once the new token works.
    pub async fn renew_machine_connector(
        &self,
        workspace: &str,
        name: &str,
        client_id: Option<String>,
        credential: Option<MachineCredential>,
        front: &dyn SignInFront,
    ) -> Result<Saved, Error> {
        let (_, row) = self.located(workspace, name)?;
        let server = blocking(|| self.connector_url(&self.store(), &row))?;
        if row.auth != AuthKind::OAuth {
            return Err(InvalidInput::Other(format!("{:?} does not use OAuth", row.name)).into());
        }
        // A browser sign-in's registration is no machine client; only a machine one is reused.
        let stored = self
            .stored_registration(workspace, name)?
            .filter(Registration::is_machine);
        let stored_id = stored.as_ref().map(|client| client.client_id.clone());
        let client_id = client_id
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        let new_client = client_id
            .as_ref()
            .is_some_and(|id| Some(id) != stored_id.as_ref());
        let auth = match credential {
            Some(credential) => {
                let id = client_id.clone().or(stored_id.clone()).unwrap_or_default();
                Some(client_of(&id, credential)?.auth)
            }
            None => None,
        };
        if (stored.is_none() || new_client) && (client_id.is_none() || auth.is_none()) {
            return Err(oauth::OAuthError::NoMachineClient.into());
        }
        let shown_id = client_id.clone().or(stored_id).unwrap_or_default();
        front.progress(SignInStep::RequestingToken {
            client_id: &shown_id,
            server: &server,
        });
        let route = self.route_of(workspace, name)?;
        let grant =
            oauth::machine_grant_again(&server, stored.as_ref(), client_id, auth, &route).await?;
        front.progress(SignInStep::Testing);
        self.sign_in(workspace, name, grant).await
    }
}

/// The client to run the grant with, checked: an empty or oversized field, control characters
/// in the id, or a key that is not PEM is the person's to fix before any request.
fn client_of(client_id: &str, credential: MachineCredential) -> Result<MachineClient, Error> {
    let client_id = client_id.trim();
    if client_id.is_empty() {
        return Err(InvalidInput::Empty {
            what: "the client ID",
        }
        .into());
    }
    if client_id.len() > MAX_CLIENT_ID_BYTES {
        return Err(InvalidInput::TooLong {
            what: "the client ID",
            length: client_id.len(),
            max: MAX_CLIENT_ID_BYTES,
        }
        .into());
    }
    if client_id.chars().any(char::is_control) {
        return Err(InvalidInput::ControlCharacters {
            what: "the client ID",
        }
        .into());
    }
    let auth = match credential {
        MachineCredential::ClientSecret(secret) => ClientAuth::Secret(Secret::new(bounded(
            secret.expose().trim(),
            "the client secret",
        )?)),
        MachineCredential::PrivateKey { pem, algorithm } => {
            let pem = bounded(pem.expose().trim(), "the private key")?;
            // rmcp would refuse it only when signing, with a less helpful message.
            if !(pem.starts_with("-----BEGIN ") && pem.contains("PRIVATE KEY-----")) {
                return Err(InvalidInput::Other(
                    "the private key must be PEM text, starting with \"-----BEGIN PRIVATE \
                     KEY-----\" (PKCS#8), \"-----BEGIN RSA PRIVATE KEY-----\" or \"-----BEGIN \
                     EC PRIVATE KEY-----\""
                        .into(),
                )
                .into());
            }
            ClientAuth::PrivateKeyJwt {
                private_key_pem: Secret::new(pem),
                algorithm,
            }
        }
    };
    Ok(MachineClient {
        client_id: client_id.to_owned(),
        auth,
        scopes: Vec::new(),
    })
}

/// `value` if it is neither empty nor too long for `what`.
fn bounded<'a>(value: &'a str, what: &'static str) -> Result<&'a str, InvalidInput> {
    if value.is_empty() {
        return Err(InvalidInput::Empty { what });
    }
    if value.len() > MAX_MACHINE_SECRET_BYTES {
        return Err(InvalidInput::TooLong {
            what,
            length: value.len(),
            max: MAX_MACHINE_SECRET_BYTES,
        });
    }
    Ok(value)
}
