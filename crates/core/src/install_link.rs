//! Install links: a web page or a colleague's message offers a connector as
//! `dev.patchbay.desktop://connect?name=…&url=…&auth=none|token|oauth`, or as
//! `dev.patchbay.desktop://install?config=BASE64` where the config is JSON
//! `{"name", "url", "auth"?, "type"?}` (the form VS Code's `vscode:mcp/install` links use, base64
//! so it survives chat apps). [`parse`] reads one into what a confirmation shows; nothing is
//! added without the person's click, and a link is untrusted input from anywhere:
//!
//! - it never carries a secret — a token, key, password or header parameter refuses the link,
//!   as does a URL with credentials in its user part or its query;
//! - only http(s) server URLs, with a host; control and BiDi characters, oversized values,
//!   repeated or unknown parameters are refused with a message that says which.

use base64::Engine;
use serde::Serialize;
use url::Url;

use crate::store::AuthKind;
use crate::validate::{self, InvalidInput};

/// The longest link read (a real one is a few hundred bytes).
pub const MAX_LINK_BYTES: usize = 4096;

/// Parameter names that carry secrets: a link with one is refused, never half-read.
const SECRET_PARAMETERS: &[&str] = &[
    "token",
    "access_token",
    "accesstoken",
    "api_key",
    "apikey",
    "key",
    "secret",
    "client_secret",
    "password",
    "headers",
    "header",
    "authorization",
    "bearer",
];

/// A connector a link offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InstallOffer {
    pub name: String,
    pub url: String,
    /// The server's host, for the confirmation to show plainly.
    pub host: String,
    pub auth: AuthKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is longer than {MAX_LINK_BYTES} characters")]
    TooLong,
    #[error("this is not a Patchbay install link ({0})")]
    NotOurs(String),
    #[error(
        "install links never carry secrets, and this one has {0:?}: add the connector, then \
         enter its token in Patchbay"
    )]
    Secret(String),
    #[error("the link has {0:?} twice")]
    Repeated(String),
    #[error("the link has a parameter Patchbay does not know: {0:?}")]
    Unknown(String),
    #[error("the link lacks {0:?}")]
    Missing(&'static str),
    #[error("the link's auth must be none, token or oauth, not {0:?}")]
    Auth(String),
    #[error("the link's config is not base64 JSON with a name and a url: {0}")]
    Config(String),
    #[error("the server URL in the link carries credentials; install links never carry secrets")]
    UrlSecret,
    /// A value the link carries is refused the way typed input would be.
    #[error("{0}")]
    Invalid(String),
}

impl From<InvalidInput> for LinkError {
    fn from(error: InvalidInput) -> Self {
        LinkError::Invalid(error.to_string())
    }
}

/// Reads an install link.
pub fn parse(link: &str) -> Result<InstallOffer, LinkError> {
    let link = link.trim();
    if link.len() > MAX_LINK_BYTES {
        return Err(LinkError::TooLong);
    }
    if link
        .chars()
        .any(|c| c.is_control() || validate::is_bidi_control(c))
    {
        return Err(InvalidInput::ControlCharacters { what: "the link" }.into());
    }
    let parsed = Url::parse(link).map_err(|error| LinkError::NotOurs(error.to_string()))?;
    if parsed.scheme() != crate::oauth::redirect::SCHEME {
        return Err(LinkError::NotOurs(format!(
            "its scheme is {:?}",
            parsed.scheme()
        )));
    }
    let action = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (name, value) in parsed.query_pairs() {
        let name = name.to_ascii_lowercase();
        if SECRET_PARAMETERS.contains(&name.as_str()) {
            return Err(LinkError::Secret(name));
        }
        if pairs.iter().any(|(known, _)| *known == name) {
            return Err(LinkError::Repeated(name));
        }
        pairs.push((name, value.into_owned()));
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.clone())
    };
    let (name, url, auth) = match action.as_str() {
        "connect" => {
            if let Some((unknown, _)) = pairs
                .iter()
                .find(|(name, _)| !["name", "url", "auth"].contains(&name.as_str()))
            {
                return Err(LinkError::Unknown(unknown.clone()));
            }
            (
                get("name").ok_or(LinkError::Missing("name"))?,
                get("url").ok_or(LinkError::Missing("url"))?,
                get("auth"),
            )
        }
        "install" => {
            if let Some((unknown, _)) = pairs.iter().find(|(name, _)| name != "config") {
                return Err(LinkError::Unknown(unknown.clone()));
            }
            let config = get("config").ok_or(LinkError::Missing("config"))?;
            config_fields(&config)?
        }
        other => {
            return Err(LinkError::NotOurs(format!(
                "it asks for {other:?}, not connect or install"
            )));
        }
    };
    let auth = match auth.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("none" | "") => AuthKind::None,
        Some("token") => AuthKind::Token,
        Some("oauth") => AuthKind::OAuth,
        Some(other) => return Err(LinkError::Auth(other.to_owned())),
    };
    let name = validate::name(&name, "the connector name")?;
    let url = validate::url(&url)?;
    if crate::url_secrets::has_secrets(&url) {
        return Err(LinkError::UrlSecret);
    }
    Ok(InstallOffer {
        name,
        host: url.host_str().unwrap_or_default().to_owned(),
        url: url.to_string(),
        auth,
    })
}

/// The name, URL and auth of an `install` link's base64 JSON config.
fn config_fields(config: &str) -> Result<(String, String, Option<String>), LinkError> {
    let trimmed = config.trim().trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
        .map_err(|error| LinkError::Config(error.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|error| LinkError::Config(error.to_string()))?;
    let Some(fields) = value.as_object() else {
        return Err(LinkError::Config("it is not a JSON object".into()));
    };
    for key in fields.keys() {
        let lower = key.to_ascii_lowercase();
        if SECRET_PARAMETERS.contains(&lower.as_str()) {
            return Err(LinkError::Secret(key.clone()));
        }
        if !["name", "url", "auth", "type"].contains(&lower.as_str()) {
            return Err(LinkError::Unknown(key.clone()));
        }
    }
    let text = |key: &str| fields.get(key).and_then(serde_json::Value::as_str);
    if let Some(kind) = text("type")
        && !["http", "sse", "streamable-http"].contains(&kind)
    {
        return Err(LinkError::Config(format!(
            "its type {kind:?} is not a remote server"
        )));
    }
    Ok((
        text("name").ok_or(LinkError::Missing("name"))?.to_owned(),
        text("url").ok_or(LinkError::Missing("url"))?.to_owned(),
        text("auth").map(str::to_owned),
    ))
}

/// Whether `link` is an install link (rather than an OAuth callback), by its action.
pub fn is_install_link(link: &str) -> bool {
    // By its start, not by parsing: a hostile link that does not even parse is still one to
    // refuse with a message, not an OAuth callback to drop.
    let link = link.trim_start().to_ascii_lowercase();
    ["connect", "install"].iter().any(|host| {
        link.strip_prefix(crate::oauth::redirect::SCHEME)
            .and_then(|rest| rest.strip_prefix("://"))
            .and_then(|rest| rest.strip_prefix(host))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['?', '/', '#']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(link: &str) -> InstallOffer {
        parse(link).unwrap_or_else(|error| panic!("{link}: {error}"))
    }

    #[test]
    fn connect_and_install_links_read_the_same_offer() {
        let offer = ok(
            "dev.patchbay.desktop://connect?name=Linear&url=https%3A%2F%2Fmcp.linear.app%2Fmcp&auth=oauth",
        );
        assert_eq!(offer.name, "Linear");
        assert_eq!(offer.url, "https://mcp.linear.app/mcp");
        assert_eq!(offer.host, "mcp.linear.app");
        assert_eq!(offer.auth, AuthKind::OAuth);
        let config = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            r#"{"name":"Linear","url":"https://mcp.linear.app/mcp","type":"http","auth":"oauth"}"#,
        );
        assert_eq!(
            ok(&format!("dev.patchbay.desktop://install?config={config}")),
            offer
        );
        let plain = ok("dev.patchbay.desktop://connect?name=A&url=http://127.0.0.1:3000/mcp");
        assert_eq!(plain.auth, AuthKind::None);
    }

    #[test]
    fn hostile_links_are_refused_with_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            (
                "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp&token=abc",
                "never carry secrets",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp&API_KEY=abc",
                "never carry secrets",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=https://user:pw@a.example/mcp",
                "user name or password",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp%3Fapi_key%3Dsecret",
                "carries credentials",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=javascript:alert(1)",
                "javascript",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=file:///etc/passwd",
                "file",
            ),
            (
                "dev.patchbay.desktop://connect?name=A%0Ab&url=https://a.example/mcp",
                "control",
            ),
            (
                "dev.patchbay.desktop://connect?name=A%E2%80%AEb&url=https://a.example/mcp",
                "control",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&name=B&url=https://a.example/mcp",
                "twice",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp&then=x",
                "does not know",
            ),
            (
                "dev.patchbay.desktop://connect?url=https://a.example/mcp",
                "lacks \"name\"",
            ),
            (
                "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp&auth=magic",
                "auth must be",
            ),
            (
                "dev.patchbay.desktop://delete?name=A",
                "not connect or install",
            ),
            (
                "https://evil.example/connect?name=A&url=https://a.example",
                "scheme",
            ),
            ("dev.patchbay.desktop://install?config=!!!", "base64"),
        ];
        for (link, words) in cases {
            let error = parse(link).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(error.contains(words), "{link}: {error:?} lacks {words:?}");
        }
        let huge = format!(
            "dev.patchbay.desktop://connect?name={}&url=https://a.example/mcp",
            "a".repeat(MAX_LINK_BYTES)
        );
        assert_eq!(parse(&huge), Err(LinkError::TooLong));
        let secret_config = base64::engine::general_purpose::STANDARD
            .encode(r#"{"name":"A","url":"https://a.example/mcp","headers":{"X":"y"}}"#);
        assert!(matches!(
            parse(&format!(
                "dev.patchbay.desktop://install?config={secret_config}"
            )),
            Err(LinkError::Secret(_))
        ));
    }

    #[test]
    fn callbacks_are_not_install_links() {
        assert!(is_install_link(
            "dev.patchbay.desktop://connect?name=A&url=https://a"
        ));
        assert!(!is_install_link(
            "dev.patchbay.desktop://oauth/callback?code=x&state=y"
        ));
        assert!(!is_install_link(
            "dev.patchbay.desktop:/oauth/callback?code=x&state=y"
        ));
        assert!(!is_install_link("dev.patchbay.desktop://connected"));
        assert!(!is_install_link("https://connect.example/?url=x"));
        // Hostile ones are still install links, so they are refused with a message.
        for hostile in [
            "DEV.PATCHBAY.DESKTOP://Connect?name=A",
            "dev.patchbay.desktop://connect?name=\u{7}&url=https://a",
            "dev.patchbay.desktop://install#",
        ] {
            assert!(is_install_link(hostile), "{hostile:?}");
            assert!(parse(hostile).is_err(), "{hostile:?}");
        }
    }
}
