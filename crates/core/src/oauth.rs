//! OAuth for connectors, on rmcp's implementation of the MCP authorization spec (metadata
//! discovery per RFC 9728/8414 in spec order, issuer checks, RFC 9207 `iss`, PKCE S256 only,
//! RFC 8707 `resource`, scope selection, dynamic/pre-registered/CIMD clients, refresh).
//!
//! This module adds what a desktop client owns: the redirect ([`redirect`]: the app's deep link
//! or [`loopback`]), the pending sign-ins every callback is routed through ([`flows`]), the
//! sign-in itself ([`sign_in`]), the rule
//! that only https (or loopback http) URLs are ever handed to a browser and never through a shell
//! (CVE-2025-6514), and [`Grant`]: the credentials rmcp hands back, with the client
//! [`registration`] they were obtained with, carried as a [`Secret`] so the facade can seal them
//! like any other secret.

pub mod authorized_client;
pub mod client_credentials;
pub mod discovery;
pub mod dpop;
pub mod enterprise;
pub mod flows;
pub mod http_client;
pub mod loopback;
pub mod redirect;
pub mod refresh;
pub mod registration;
pub mod sign_in;
pub mod step_up;
pub mod workload;

pub use client_credentials::{
    ClientAuth, JwtAlgorithm, MachineClient, client_credentials, machine_grant, machine_grant_again,
};
pub use discovery::use_discovered_metadata;
pub use enterprise::{CrossAppAccess, IdentityProvider, cross_app_access};
pub use registration::{
    ClientAuthentication, OAuthClientView, Registration, RegistrationMethod, SigningKey,
};
pub use workload::{Workload, workload_grant};

use std::future::Future;
use std::time::Duration;

use rmcp::transport::auth::StoredCredentials;
use url::Url;

use crate::secret::Secret;

/// How long a person has to finish signing in before the flow gives up.
pub const AUTHORIZE_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("cannot open the loopback redirect listener: {0}")]
    Loopback(std::io::Error),
    #[error("sign-in was not completed within {} minutes", .0.as_secs() / 60)]
    TimedOut(Duration),
    #[error("the authorization server refused: {0}")]
    Denied(String),
    #[error(
        "the server did not say how to sign in within {} seconds (discovery and registration); \
         check the URL, or try again later",
        .0.as_secs()
    )]
    ServerSilent(Duration),
    #[error("refusing to open {0:?}: only https URLs (or http on this computer) are opened")]
    UnsafeUrl(String),
    #[error("cannot open the browser: {0}")]
    Browser(String),
    #[error("{0}")]
    Protocol(#[from] rmcp::transport::auth::AuthError),
    #[error("stored OAuth credentials are unreadable: {0}")]
    Credentials(String),
    /// RFC 9207: the answer's `iss` is not the issuer the sign-in discovered. The received value
    /// is not kept: it is the sender's text.
    #[error(
        "the sign-in answer did not come from the authorization server Patchbay asked; nothing \
         was exchanged"
    )]
    IssuerMismatch,
    /// No pre-registered client, no client ID metadata document, no dynamic registration.
    #[error(
        "this server needs a client ID: {reason}. Register Patchbay with the provider using the \
         redirect URI {redirect_uri}, then enter the client ID (under Advanced in the app, with \
         --client-id in the CLI)"
    )]
    NeedsClientId {
        reason: redirect::NoRegistration,
        /// The redirect URI to register (for loopback: any port).
        redirect_uri: String,
    },
    #[error("enterprise sign-in failed: {0}")]
    Enterprise(#[from] rmcp::transport::auth::enterprise::EmaError),
    /// The token endpoint answered `invalid_client` or `unauthorized_client` to a machine
    /// client's grant.
    #[error(
        "the authorization server rejected the client credentials ({0}): check the client ID, \
         and whether the secret or key was rotated or the client revoked"
    )]
    ClientRejected(String),
    /// A stored machine client's authorization server is not the one discovery finds now: its
    /// credentials are not sent to the new one.
    #[error(
        "this server now uses another authorization server than the one its machine client was \
         registered with; enter the client ID and secret (or key) registered with the new one"
    )]
    AuthorizationServerChanged,
    #[error(
        "no machine client is stored with this connector; enter its client ID and secret (or \
         key)"
    )]
    NoMachineClient,
}

/// OAuth credentials (client id, tokens, issuer) and the client [`Registration`] they came
/// from, as JSON inside a [`Secret`] (the format is described in [`registration`]).
#[derive(Debug, Clone)]
pub struct Grant(pub Secret);

impl Grant {
    /// Credentials with no registration kept (enterprise cross-app access).
    fn from_stored(credentials: &StoredCredentials) -> Result<Self, OAuthError> {
        Self::new(credentials, None)
    }

    /// A token response received now, without a registration kept (the grants that need no
    /// browser and no refresh: enterprise access, workload identity), bound to `issuer` like any
    /// other grant, so a changed authorization server discards it.
    fn from_token(
        client_id: &str,
        token: rmcp::transport::auth::OAuthTokenResponse,
        scopes: Vec<String>,
        issuer: Option<String>,
    ) -> Result<Self, OAuthError> {
        let received_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .ok();
        let stored = StoredCredentials::new(client_id.to_owned(), Some(token), scopes, received_at)
            .with_issuer(issuer);
        Self::from_stored(&stored)
    }

    pub fn to_stored(&self) -> Result<StoredCredentials, OAuthError> {
        serde_json::from_str(self.0.expose())
            .map_err(|error| OAuthError::Credentials(error.to_string()))
    }
}

/// Choices the person made under "Advanced", or a machine connector's client.
#[derive(Debug, Clone, Default)]
pub struct ClientChoice {
    /// A pre-registered client id (skips dynamic registration).
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// A client ID metadata document URL (CIMD), used when the server supports it.
    pub metadata_url: Option<String>,
}

/// Only https URLs, or http to this computer, are ever opened in a browser; and never one whose
/// host is an address no sign-in page lives at (link-local such as cloud metadata, unspecified,
/// multicast, broadcast): metadata pointing there is an attack (CVE-2025-6514's family), not a
/// login. The `url` crate has already normalised decimal, octal and IPv4-mapped spellings.
pub fn ensure_openable(url: &Url) -> Result<(), OAuthError> {
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let refused = || OAuthError::UnsafeUrl(url.as_str().chars().take(200).collect());
    if let Some(address) = host_address(url)
        && unreachable_for_sign_in(address)
    {
        return Err(refused());
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(refused()),
    }
}

/// The host as an IP address, if it is one (IPv4-mapped IPv6 unwrapped).
pub(crate) fn host_address(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(v4.into()),
        url::Host::Ipv6(v6) => Some(v6.to_ipv4_mapped().map_or(v6.into(), Into::into)),
        url::Host::Domain(_) => None,
    }
}

fn unreachable_for_sign_in(address: std::net::IpAddr) -> bool {
    match address {
        std::net::IpAddr::V4(v4) => {
            v4.is_link_local() || v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()
        }
        std::net::IpAddr::V6(v6) => {
            v6.is_unspecified() || v6.is_multicast() || (v6.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Runs the authorization-code flow for `server_url` on a loopback redirect, for callers that
/// cannot receive deep links (the CLI, the conformance client): discovery, registration, a
/// browser visit (done by `browser`, which receives the vetted authorization URL and must not
/// wait for the person), and the callback. Returns the credentials to store. The desktop app
/// uses [`sign_in::sign_in`] with its own [`flows::Flows`] and the deep link.
pub async fn authorize<B, F>(
    server_url: &Url,
    client: ClientChoice,
    challenge: Option<String>,
    limit: Duration,
    done_page: &str,
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Url) -> F,
    F: Future<Output = Result<(), sign_in::BrowserError>>,
{
    authorize_again(
        server_url, client, None, challenge, limit, done_page, browser,
    )
    .await
}

/// [`authorize`] for a connector signed in before, whose stored grant has the registration
/// `previous` (see [`sign_in::sign_in_reusing`]: a pre-registered client is reused with the
/// authorization server it belongs to).
pub async fn authorize_again<B, F>(
    server_url: &Url,
    client: ClientChoice,
    previous: Option<&Registration>,
    challenge: Option<String>,
    limit: Duration,
    done_page: &str,
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Url) -> F,
    F: Future<Output = Result<(), sign_in::BrowserError>>,
{
    let request = loopback_request(server_url, client, challenge, limit, done_page);
    sign_in::sign_in_reusing(&flows::Flows::new(), request, previous, |visit| {
        browser(visit.authorization_url)
    })
    .await
}

/// Signs in again to a stored connector on a loopback redirect (the CLI's `connector login`):
/// [`authorize_again`] with the connector's registration, asking for `again`'s scopes when a
/// step-up is due ([`step_up`]).
pub async fn reauthenticate<B, F>(
    again: &step_up::Reauthentication,
    client: ClientChoice,
    limit: Duration,
    done_page: &str,
    browser: B,
) -> Result<Grant, OAuthError>
where
    B: FnOnce(Url) -> F,
    F: Future<Output = Result<(), sign_in::BrowserError>>,
{
    let request = loopback_request(&again.server_url, client, None, limit, done_page);
    sign_in::reauthenticate(&flows::Flows::new(), request, again, |visit| {
        browser(visit.authorization_url)
    })
    .await
}

/// A sign-in that comes back on a loopback redirect (callers without deep links).
fn loopback_request(
    server_url: &Url,
    client: ClientChoice,
    challenge: Option<String>,
    limit: Duration,
    done_page: &str,
) -> sign_in::SignInRequest {
    sign_in::SignInRequest {
        server_url: server_url.clone(),
        client,
        challenge,
        redirect: redirect::RedirectChoice::Loopback,
        limit,
        done_page: done_page.to_owned(),
        // The system's proxy and trust store: these helpers serve callers without stored
        // connectors (a connector's own route goes through the facade's sign-in).
        route: crate::network::Route::default(),
    }
}

/// The `WWW-Authenticate` header of an unauthenticated request, if the server sends one. The
/// request is the one a session opens with: `server/discover` (2026-07-28), then `initialize`
/// for an older server, so a server that lets one of them through unauthenticated and
/// challenges the other still names its scope before the first sign-in.
pub async fn fetch_challenge(server_url: &Url, route: &crate::network::Route) -> Option<String> {
    // Redirects only within the server's origin: the challenge is the server's own, and a
    // redirect must not turn this probe into a request to wherever it points (blind SSRF).
    let origin = server_url.origin();
    let same_origin = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.url().origin() == origin && attempt.previous().len() < 10 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(same_origin);
    let client = route.apply(builder).ok()?.build().ok()?;
    let (discover, headers) = crate::vocabulary::discover_request();
    let mut request = client.post(server_url.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if let Some(challenge) = challenge_of(request.json(&discover)).await {
        return Some(challenge);
    }
    let initialize = crate::vocabulary::initialize_request();
    challenge_of(client.post(server_url.clone()).json(&initialize)).await
}

/// The challenge of a 401 answer to `request`.
async fn challenge_of(request: reqwest::RequestBuilder) -> Option<String> {
    let response = request
        .header(
            reqwest::header::ACCEPT,
            "application/json, text/event-stream",
        )
        .send()
        .await
        .ok()?;
    if response.status() != reqwest::StatusCode::UNAUTHORIZED {
        return None;
    }
    response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The page the browser shows after the redirect. It sends the person back to the app through
/// the deep link when there is one.
pub fn done_page(deep_link: Option<&str>) -> String {
    let forward = deep_link
        .map(|link| format!(r#"<meta http-equiv="refresh" content="0;url={link}">"#))
        .unwrap_or_default();
    format!(
        "<!doctype html><html><head><meta charset=utf-8><title>Patchbay</title>{forward}</head>\
         <body style=\"font-family:system-ui;text-align:center;margin-top:20vh\">\
         <h1>Signed in</h1><p>You can close this tab and return to Patchbay.</p></body></html>"
    )
}

/// Opens `url` in the default browser without a shell: the URL is one argv element.
pub fn open_in_browser(url: &Url) -> Result<(), sign_in::BrowserError> {
    ensure_openable(url).map_err(|error| error.to_string())?;
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        // rundll32 takes the URL as data; `cmd /c start` would parse it as a command line.
        "rundll32"
    } else {
        "xdg-open"
    };
    let mut command = std::process::Command::new(program);
    if cfg!(windows) {
        command.arg("url.dll,FileProtocolHandler");
    }
    command
        .arg(url.as_str())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|error| sign_in::BrowserError(format!("{program}: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_opened() {
        for ok in [
            "https://auth.example.com/authorize?x=1",
            "http://127.0.0.1:8080/a",
            "http://localhost/a",
        ] {
            assert!(
                ensure_openable(&Url::parse(ok).expect("url")).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://auth.example.com/authorize",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "calc:",
            "ms-msdt:/id",
            "smb://attacker/share",
            "http://127.0.0.1.evil.com/",
            "https://169.254.169.254/latest/meta-data",
            "https://2852039166/",
            "https://0251.0376.0251.0376/",
            "https://[::ffff:169.254.169.254]/",
            "https://[fe80::1]/",
            "https://0.0.0.0/",
            "https://224.0.0.1/",
            "https://255.255.255.255/",
            "-https://auth.example.com/",
        ] {
            // Whatever does not even parse as a URL can never reach the browser either.
            if let Ok(url) = Url::parse(bad) {
                assert!(ensure_openable(&url).is_err(), "{bad} must be refused");
            }
        }
    }
}
