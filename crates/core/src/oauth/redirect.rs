//! Where the browser sends the person back to (RFC 8252 §7). The first choice of an app that can
//! receive deep links is its private-use URI scheme, the reverse-DNS form of its identifier
//! (§7.1): [`DEEP_LINK_REDIRECT_URI`], which the OS hands to the running app. Everything else —
//! the CLI, the conformance client, a person who picks it — uses the loopback redirect (§7.3,
//! [`super::loopback`]), which always works.
//!
//! The MCP spec (2025-06-18, 2025-11-25) says redirect URIs must be localhost or https, and some
//! servers enforce it at registration: when dynamic client registration refuses the app's
//! scheme, the sign-in retries with loopback by itself ([`no_registration`]). When no way of
//! identifying the client is left, the sign-in fails with [`NoRegistration`] so the UI can ask
//! for a client ID and show the URI to register.

use rmcp::transport::auth::AuthError;
use serde::{Deserialize, Serialize};

/// Patchbay's private-use scheme: [`crate::APP_IDENTIFIER`], reverse-DNS as §7.1 asks.
pub const SCHEME: &str = "dev.patchbay.desktop";
/// The app's redirect URI (one slash after the scheme, as in RFC 8252 §7.1's example).
pub const DEEP_LINK_REDIRECT_URI: &str = "dev.patchbay.desktop:/oauth/callback";
/// Where the loopback success page sends the browser on, so the person lands back in the app.
pub const DEEP_LINK_DONE: &str = "dev.patchbay.desktop:/oauth/done";
/// The loopback redirect URI as a person registers it: the port is chosen per sign-in, and RFC
/// 8252 §7.3 has authorization servers accept any port on a loopback redirect URI.
pub const LOOPBACK_REDIRECT_URI_TO_REGISTER: &str = "http://127.0.0.1/callback";

/// How a sign-in wants the browser to come back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RedirectChoice {
    /// The app's deep link, switching to loopback when registration refuses it. Only for a
    /// caller that receives deep links (the desktop app).
    #[default]
    DeepLink,
    /// A loopback listener on 127.0.0.1 at a random port.
    Loopback,
}

impl RedirectChoice {
    /// The redirect URI a person registers for this choice.
    pub fn uri_to_register(self) -> &'static str {
        match self {
            Self::DeepLink => DEEP_LINK_REDIRECT_URI,
            Self::Loopback => LOOPBACK_REDIRECT_URI_TO_REGISTER,
        }
    }

    /// The redirects to try, in order.
    pub(crate) fn attempts(self) -> &'static [RedirectChoice] {
        match self {
            Self::DeepLink => &[Self::DeepLink, Self::Loopback],
            Self::Loopback => &[Self::Loopback],
        }
    }
}

/// Why no client could be identified with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoRegistration {
    /// No pre-registered client, no client ID metadata document it supports, no registration
    /// endpoint.
    NotOffered,
    /// Its registration endpoint refused Patchbay with this HTTP status.
    Refused(u16),
}

impl std::fmt::Display for NoRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotOffered => f.write_str("it does not let apps register themselves"),
            Self::Refused(status) => write!(f, "it refused to register Patchbay (HTTP {status})"),
        }
    }
}

/// Whether a failed start of the authorization means the server would not identify Patchbay by
/// dynamic registration: it has no registration endpoint, or its endpoint answered 4xx (refusing
/// this redirect URI, or this client at all). `None` for anything else — network trouble and 5xx
/// are not a refusal. Registration is only attempted without a pre-registered client or a
/// client ID metadata document the server supports (rmcp applies the spec's order), so either
/// answer means those were not available.
///
/// rmcp reports registration failures only as text ("Dynamic registration failed: Registration
/// failed: HTTP 400 Bad Request: {body}", "… Dynamic client registration not supported"), so
/// this reads the text; a test against a real registration endpoint pins the format.
pub(crate) fn no_registration(error: &AuthError) -> Option<NoRegistration> {
    let AuthError::RegistrationFailed(message) = error else {
        return None;
    };
    if message.contains("Dynamic client registration not supported") {
        return Some(NoRegistration::NotOffered);
    }
    let (_, after) = message.split_once("HTTP ")?;
    let status: u16 = after.get(..3)?.parse().ok()?;
    (400..500)
        .contains(&status)
        .then_some(NoRegistration::Refused(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_the_app_identifier() {
        assert_eq!(SCHEME, crate::APP_IDENTIFIER, "RFC 8252 §7.1: reverse DNS");
        let url = url::Url::parse(DEEP_LINK_REDIRECT_URI).expect("a URL");
        assert_eq!(url.scheme(), SCHEME);
        assert_eq!(
            url.as_str(),
            DEEP_LINK_REDIRECT_URI,
            "it serializes unchanged, so a callback's base compares equal"
        );
        assert!(DEEP_LINK_DONE.starts_with(SCHEME));
    }

    #[test]
    fn only_a_missing_or_4xx_registration_is_a_refusal() {
        let refused =
            |message: &str| no_registration(&AuthError::RegistrationFailed(message.to_owned()));
        assert_eq!(
            refused(
                "Dynamic registration failed: Registration failed: HTTP 400 Bad Request: \
                 {\"error\":\"invalid_redirect_uri\",\"note\":\"HTTP 500\"}"
            ),
            Some(NoRegistration::Refused(400))
        );
        assert_eq!(
            refused(
                "Dynamic registration failed: Registration failed: Dynamic client registration \
                 not supported"
            ),
            Some(NoRegistration::NotOffered)
        );
        assert_eq!(
            refused("Registration failed: HTTP 503 Service Unavailable: x"),
            None
        );
        assert_eq!(
            refused("Dynamic registration failed: HTTP request error: connection refused"),
            None
        );
        assert_eq!(no_registration(&AuthError::AuthorizationRequired), None);
    }
}
