//! The mock peer's client-credentials grant (SEP-1046) for machine clients: one client
//! ([`MachinePeerClient`]) that must authenticate the one way the metadata advertises —
//! `client_secret_basic` (RFC 6749 §2.3.1), `client_secret_post`, or `private_key_jwt` (RFC 7523
//! §2.2) — and gets an access token with no refresh token. Every request is recorded
//! ([`MachineGrant`]); a wrong secret is answered `401 invalid_client`, as a server does once a
//! secret was rotated or revoked.
//!
//! A mock, not a real authorization server: for `private_key_jwt` it checks the assertion's
//! type, header and claims (iss = sub = client id, aud = issuer, unexpired) but not its
//! signature, which would need a JOSE library in the tests; the conformance suite's
//! `auth/client-credentials-jwt` scenario checks Patchbay's signatures.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::{Peer, Record, basic_credentials, issue, json_response};

/// How the machine client must authenticate at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineAuth {
    SecretBasic,
    SecretPost,
    PrivateKeyJwt,
}

impl MachineAuth {
    /// The `token_endpoint_auth_methods_supported` entry.
    pub(super) fn method(self) -> &'static str {
        match self {
            Self::SecretBasic => "client_secret_basic",
            Self::SecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// The machine client the token endpoint knows.
#[derive(Debug, Clone)]
pub struct MachinePeerClient {
    pub client_id: String,
    /// Its secret (unused with [`MachineAuth::PrivateKeyJwt`]). Change it to rotate the secret:
    /// the old one is refused from then on.
    pub client_secret: String,
    pub auth: MachineAuth,
}

/// How the token endpoint answers a client-credentials request from the authenticated client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineAnswer {
    /// A fresh access token (no refresh token).
    Normal,
    /// `400 {"error": CODE}`, e.g. `unauthorized_client`.
    Refuse(&'static str),
    /// This HTTP status with a non-JSON body, as a failing proxy would send.
    Status(u16),
}

/// One client-credentials request the peer received.
#[derive(Debug, Clone)]
pub struct MachineGrant {
    /// How the client authenticated; `None` when it failed to (`invalid_client`).
    pub authenticated: Option<MachineAuth>,
    /// The `resource` parameter (RFC 8707).
    pub resource: Option<String>,
    /// Whether an access token was issued.
    pub issued: bool,
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Whether the request authenticates as `client` in the way it must.
fn authenticates(
    client: &MachinePeerClient,
    issuer: &str,
    form: &HashMap<String, String>,
    authorization: Option<&str>,
) -> bool {
    let field = |name: &str| form.get(name).map(String::as_str);
    match client.auth {
        MachineAuth::SecretBasic => {
            authorization == Some(&basic_credentials(&client.client_id, &client.client_secret))
                && field("client_secret").is_none()
        }
        MachineAuth::SecretPost => {
            authorization.is_none()
                && field("client_id") == Some(&client.client_id)
                && field("client_secret") == Some(&client.client_secret)
        }
        MachineAuth::PrivateKeyJwt => {
            authorization.is_none()
                && field("client_secret").is_none()
                && field("client_assertion_type") == Some(JWT_BEARER)
                && field("client_assertion")
                    .is_some_and(|assertion| assertion_names(assertion, &client.client_id, issuer))
        }
    }
}

/// RFC 7523 §3's claims for a client assertion, and an asymmetric signing algorithm.
fn assertion_names(assertion: &str, client_id: &str, issuer: &str) -> bool {
    let decode = |part: &str| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    let mut parts = assertion.split('.');
    let (Some(header), Some(claims), Some(signature)) = (
        parts.next().and_then(decode),
        parts.next().and_then(decode),
        parts.next(),
    ) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or_default();
    header["alg"]
        .as_str()
        .is_some_and(|alg| alg.starts_with("ES") || alg.starts_with("RS"))
        && !signature.is_empty()
        && claims["iss"] == client_id
        && claims["sub"] == client_id
        && claims["aud"] == issuer
        && claims["exp"].as_u64().is_some_and(|exp| exp > now)
}

/// The token endpoint's `grant_type=client_credentials`.
pub(super) fn grant(
    peer: &Peer,
    record: &mut Record,
    form: &HashMap<String, String>,
    authorization: Option<&str>,
) -> Response {
    let issuer = peer.issuer(record);
    let resource = form.get("resource").cloned();
    let Some(client) = record.behaviour.machine_client.clone() else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({ "error": "unsupported_grant_type" }),
        );
    };
    if !authenticates(&client, &issuer, form, authorization) {
        record.machine_grants.push(MachineGrant {
            authenticated: None,
            resource,
            issued: false,
        });
        return json_response(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_client" }),
        );
    }
    let answer = record.behaviour.machine_answer;
    record.machine_grants.push(MachineGrant {
        authenticated: Some(client.auth),
        resource,
        issued: answer == MachineAnswer::Normal,
    });
    match answer {
        MachineAnswer::Refuse(code) => {
            json_response(StatusCode::BAD_REQUEST, json!({ "error": code }))
        }
        MachineAnswer::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, "upstream unavailable").into_response()
        }
        MachineAnswer::Normal => {
            record.counter += 1;
            let family = record.counter;
            json_response(
                StatusCode::OK,
                issue(peer, record, family, &client.client_id, false),
            )
        }
    }
}
