//! DPoP (RFC 9449; MCP's DPoP extension, SEP-1932): access tokens bound to a key only Patchbay
//! holds, so a token that leaks (a log, a proxy, a compromised server) is useless without the key.
//!
//! When a connector's authorization server advertises `ES256` in
//! `dpop_signing_alg_values_supported`, the sign-in makes a fresh P-256 key for that connector and
//! proves possession of it in every token request ([`super::http_client`]: authorization code and
//! refresh). If the server then issues a `DPoP` token, the key is sealed in the connector's
//! [`Grant`] beside the tokens (member `"dpop"`, the PKCS#8 document in base64url) and every
//! request to the MCP server carries `Authorization: DPoP <token>` and a fresh proof bound to the
//! request's method and URL and to the token (`ath`) ([`super::authorized_client`]). A server that
//! answers a `Bearer` token anyway gets the token as `Bearer`, and no key is kept.
//!
//! Nonces (RFC 9449 §8, §9): a server that wants one answers `use_dpop_nonce` with the value in a
//! `DPoP-Nonce` header; the request is sent once more with it, and the last nonce from each origin
//! is used from then on.
//!
//! A proof is a compact JWS written here (header, claims, ES256 signature by aws-lc-rs, already
//! in the tree for rmcp's JWT client authentication): no JWT crate builds `dpop+jwt` proofs with
//! the public key in the header and the `ath` claim, and the format is a few lines.
//! The key is a [`Secret`] everywhere: never printed or logged, only sealed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rmcp::transport::auth::AuthError;
use serde_json::{Value, json};
use url::Url;

use super::{Grant, OAuthError};
use crate::secret::Secret;

/// The grant's JSON member that holds the key.
const MEMBER: &str = "dpop";

/// The only proof algorithm Patchbay signs with (the one every DPoP server must accept in
/// practice, and the MCP extension's example).
pub const ALGORITHM: &str = "ES256";

/// The header that carries a proof, and the one a server sends a nonce in.
pub const PROOF_HEADER: &str = "DPoP";
pub const NONCE_HEADER: &str = "DPoP-Nonce";

/// A connector's proof-of-possession key. `Debug` shows no key.
pub struct DpopKey {
    pkcs8: Secret,
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

fn key_error(what: &str) -> OAuthError {
    OAuthError::Credentials(format!("the DPoP key {what}"))
}

impl DpopKey {
    /// A new P-256 key from the system's random source.
    pub fn generate() -> Result<Self, OAuthError> {
        let document =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| key_error("could not be made"))?;
        Self::from_pkcs8(document.as_ref())
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, OAuthError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| key_error("stored with this sign-in is unreadable"))?;
        Ok(Self {
            pkcs8: Secret::new(URL_SAFE_NO_PAD.encode(der)),
            pair,
        })
    }

    /// The key as stored (base64url PKCS#8).
    fn from_stored(text: &str) -> Result<Self, OAuthError> {
        let der = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| key_error("stored with this sign-in is unreadable"))?;
        Self::from_pkcs8(&der)
    }

    /// The public key's coordinates, base64url: an uncompressed P-256 point is 0x04, then x
    /// and y, 32 bytes each.
    fn coordinates(&self) -> (String, String) {
        let point = self.pair.public_key().as_ref();
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(32.min(point.len()));
        (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y))
    }

    /// The public key as a JWK (RFC 7517).
    fn jwk(&self) -> Value {
        let (x, y) = self.coordinates();
        json!({ "kty": "EC", "crv": "P-256", "x": x, "y": y })
    }

    /// The JWK SHA-256 thumbprint (RFC 7638), what a bound token's `cnf.jkt` names.
    pub fn thumbprint(&self) -> String {
        // RFC 7638 §3: the required members in lexicographic order, no whitespace.
        let (x, y) = self.coordinates();
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()))
    }

    /// A proof for one request (RFC 9449 §4.2): `method` and `url` (without query and
    /// fragment), a fresh `jti`, now as `iat`, `ath` when an access token is presented, and the
    /// server's nonce when it gave one.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, OAuthError> {
        let header = json!({ "typ": "dpop+jwt", "alg": ALGORITHM, "jwk": self.jwk() });
        let issued = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or_default();
        let mut claims = json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": method,
            "htu": target(url),
            "iat": issued,
        });
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD
                .encode(digest(&SHA256, token.as_bytes()))
                .into();
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        // ES256 in JWS is the fixed-size r || s, which is what this signing mode returns.
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signing_input.as_bytes())
            .map_err(|_| key_error("could not sign a proof"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// `htu`: the request's URL without query and fragment (RFC 9449 §4.2).
fn target(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// An origin, as nonces are kept per server.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A connector's key and the nonces its servers gave, shared by its token requests and its MCP
/// requests.
#[derive(Debug)]
pub struct Dpop {
    key: DpopKey,
    nonces: Mutex<HashMap<String, String>>,
}

impl Dpop {
    pub fn new(key: DpopKey) -> Arc<Self> {
        Arc::new(Self {
            key,
            nonces: Mutex::new(HashMap::new()),
        })
    }

    pub fn key(&self) -> &DpopKey {
        &self.key
    }

    /// A proof for a request to `url`, with the last nonce that origin gave.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
    ) -> Result<String, OAuthError> {
        let nonce = self.nonce(url);
        self.key.proof(method, url, access_token, nonce.as_deref())
    }

    fn nonce(&self, url: &Url) -> Option<String> {
        self.nonces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&origin(url))
            .cloned()
    }

    /// Keeps the nonce a response from `url` carried; says whether it is new.
    pub fn remember_nonce(&self, url: &Url, nonce: Option<&str>) -> bool {
        let Some(nonce) = nonce.filter(|nonce| is_nonce(nonce)) else {
            return false;
        };
        let mut nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
        nonces.insert(origin(url), nonce.to_owned()).as_deref() != Some(nonce)
    }
}

/// RFC 9449 §8.1: `nonce = 1*NQCHAR` (visible ASCII but `"` and `\`), and short enough to be
/// a nonce.
fn is_nonce(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 512
        && value
            .bytes()
            .all(|byte| (0x21..=0x7e).contains(&byte) && byte != b'"' && byte != b'\\')
}

/// Whether `challenge` (a `WWW-Authenticate` value or an OAuth error body) asks for a nonce.
pub fn wants_nonce(challenge: &str) -> bool {
    challenge.contains("use_dpop_nonce")
}

/// Whether authorization server metadata (its JSON members beyond the standard ones) accepts
/// Patchbay's proofs.
pub fn advertised(additional_fields: &HashMap<String, Value>) -> bool {
    additional_fields
        .get("dpop_signing_alg_values_supported")
        .and_then(Value::as_array)
        .is_some_and(|algorithms| algorithms.iter().any(|alg| alg == ALGORITHM))
}

impl Grant {
    /// The grant with `key` kept beside its tokens (a DPoP-bound token needs it for every use).
    pub(crate) fn with_dpop(self, key: &DpopKey) -> Result<Self, OAuthError> {
        let mut json: Value = serde_json::from_str(self.0.expose())
            .map_err(|error| OAuthError::Credentials(error.to_string()))?;
        let object = json
            .as_object_mut()
            .ok_or_else(|| OAuthError::Credentials("the grant is not a JSON object".into()))?;
        object.insert(MEMBER.to_owned(), key.pkcs8.expose().into());
        Ok(Self(Secret::new(json.to_string())))
    }

    /// The DPoP key kept with this grant, if its token is DPoP-bound.
    pub fn dpop_key(&self) -> Result<Option<DpopKey>, OAuthError> {
        let json: Value = serde_json::from_str(self.0.expose())
            .map_err(|error| OAuthError::Credentials(error.to_string()))?;
        json.get(MEMBER)
            .and_then(Value::as_str)
            .map(DpopKey::from_stored)
            .transpose()
    }
}

/// A fresh key for a sign-in to `server_url` when its authorization server takes Patchbay's
/// proofs. Its metadata is looked up first, from the server's `challenge` like the sign-in's own
/// discovery and through rmcp's address policy. A discovery that fails here fails the sign-in
/// with the same error (not a second time); an issuer mismatch is left to the sign-in, which
/// knows the 2025-03-26 exception ([`super::discovery`]).
pub(crate) async fn for_sign_in(
    server_url: &Url,
    challenge: Option<&str>,
    route: &crate::network::Route,
) -> Result<Option<Arc<Dpop>>, OAuthError> {
    let manager = super::http_client::manager(server_url, route, None).await?;
    match manager.resolve_metadata_from_challenge(challenge).await {
        Ok(resolution) if advertised(&resolution.metadata.additional_fields) => {
            Ok(Some(Dpop::new(DpopKey::generate()?)))
        }
        Ok(_) | Err(AuthError::AuthorizationServerMismatch { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Whether a token response's `token_type` is `DPoP` (case-insensitive, RFC 9449 §5).
pub fn is_dpop_token(token_type: &str) -> bool {
    token_type.eq_ignore_ascii_case("dpop")
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    use super::*;

    fn decode(part: &str) -> Value {
        let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    #[test]
    fn a_proof_is_an_es256_jws_over_the_request_with_the_public_key_only() -> Result<(), OAuthError>
    {
        let key = DpopKey::generate()?;
        let url = Url::parse("https://mcp.example/mcp?tenant=a#x").map_err(|_| key_error(""))?;
        let proof = key.proof("POST", &url, Some("token-1"), Some("n-1"))?;
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3, "a compact JWS");
        let header = decode(parts[0]);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["kty"], "EC");
        assert!(
            header["jwk"].get("d").is_none(),
            "no private key in the proof"
        );
        let claims = decode(parts[1]);
        assert_eq!(claims["htm"], "POST");
        assert_eq!(
            claims["htu"], "https://mcp.example/mcp",
            "no query or fragment"
        );
        assert_eq!(claims["nonce"], "n-1");
        assert_eq!(
            claims["ath"],
            URL_SAFE_NO_PAD.encode(digest(&SHA256, b"token-1")),
            "bound to the token"
        );
        // The signature verifies with the key the header names.
        let point = [
            vec![4u8],
            URL_SAFE_NO_PAD
                .decode(header["jwk"]["x"].as_str().unwrap_or_default())
                .unwrap_or_default(),
            URL_SAFE_NO_PAD
                .decode(header["jwk"]["y"].as_str().unwrap_or_default())
                .unwrap_or_default(),
        ]
        .concat();
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap_or_default();
        let signed = format!("{}.{}", parts[0], parts[1]);
        assert!(
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                .verify(signed.as_bytes(), &signature)
                .is_ok()
        );
        let again = decode(
            key.proof("POST", &url, None, None)?
                .split('.')
                .nth(1)
                .unwrap_or(""),
        );
        assert_ne!(again["jti"], claims["jti"], "every proof is fresh");
        assert!(again.get("ath").is_none() && again.get("nonce").is_none());
        Ok(())
    }

    #[test]
    fn the_key_survives_the_grant_and_is_never_printed() -> Result<(), OAuthError> {
        let key = DpopKey::generate()?;
        let grant = Grant(Secret::new(r#"{"client_id":"c"}"#)).with_dpop(&key)?;
        let restored = grant.dpop_key()?.ok_or_else(|| key_error("missing"))?;
        assert_eq!(restored.thumbprint(), key.thumbprint());
        assert!(!format!("{key:?}").contains(key.pkcs8.expose()));
        assert!(Grant(Secret::new("{}")).dpop_key()?.is_none());
        Ok(())
    }

    #[test]
    fn a_refresh_keeps_the_key_beside_the_new_tokens() -> Result<(), OAuthError> {
        let key = DpopKey::generate()?;
        let credentials = rmcp::transport::auth::StoredCredentials::new(
            "client".into(),
            None,
            vec!["files:read".into()],
            None,
        );
        let grant = Grant::new(&credentials, None)?.with_dpop(&key)?;
        let refreshed = grant.with_credentials(&credentials)?;
        let kept = refreshed.dpop_key()?.ok_or_else(|| key_error("dropped"))?;
        assert_eq!(kept.thumbprint(), key.thumbprint());
        Ok(())
    }

    #[test]
    fn only_es256_in_the_metadata_turns_dpop_on() {
        let fields =
            |value: Value| HashMap::from([("dpop_signing_alg_values_supported".to_owned(), value)]);
        assert!(advertised(&fields(json!(["RS256", "ES256"]))));
        assert!(!advertised(&fields(json!(["RS256"]))));
        assert!(!advertised(&fields(json!("ES256"))));
        assert!(!advertised(&HashMap::new()));
        assert!(is_dpop_token("DPoP") && is_dpop_token("dpop") && !is_dpop_token("Bearer"));
    }

    #[test]
    fn nonces_are_kept_per_origin_and_must_be_nonce_characters() {
        let Ok(key) = DpopKey::generate() else {
            panic!("a key")
        };
        let dpop = Dpop::new(key);
        let (Ok(a), Ok(b)) = (
            Url::parse("https://as.example/token"),
            Url::parse("https://rs.example/mcp"),
        ) else {
            panic!("urls")
        };
        assert!(dpop.remember_nonce(&a, Some("abc")));
        assert!(
            !dpop.remember_nonce(&a, Some("abc")),
            "the same nonce is not new"
        );
        assert!(!dpop.remember_nonce(&b, Some("bad\"nonce")));
        assert!(!dpop.remember_nonce(&b, Some("")));
        assert_eq!(dpop.nonce(&a).as_deref(), Some("abc"));
        assert_eq!(dpop.nonce(&b), None);
    }
}
