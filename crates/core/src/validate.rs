//! Input rules for names, URLs, tokens and headers, each failing with a message a person can act
//! on. Applied by the facade before anything touches the network or the store.

use url::Url;

use crate::secret::Secret;

/// Names are shown in lists and menus; 64 characters is plenty and keeps layouts sane.
pub const MAX_NAME_CHARS: usize = 64;
/// Model ids are paths at some providers (`accounts/fireworks/models/…`, Hugging Face repos with a
/// file name), so they get more room than names.
pub const MAX_MODEL_CHARS: usize = 256;
/// Longer URLs are almost certainly pasted by mistake.
pub const MAX_URL_BYTES: usize = 2048;
/// Real tokens (JWTs included) stay well below this; larger values are likely the wrong paste,
/// and many servers reject headers above 8-16 KiB anyway.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
pub const MAX_HEADER_VALUE_BYTES: usize = 8 * 1024;
pub const MAX_HEADERS: usize = 32;

/// Headers that Patchbay sets itself; a custom value would break the protocol or the auth.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "host",
    "content-length",
    "content-type",
    "accept",
    "connection",
    "transfer-encoding",
    "mcp-session-id",
    "mcp-protocol-version",
    "last-event-id",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidInput {
    #[error("{what} must not be empty")]
    Empty { what: &'static str },
    #[error("{what} is too long ({length} characters; at most {max})")]
    TooLong {
        what: &'static str,
        length: usize,
        max: usize,
    },
    #[error("{what} must not contain control characters or line breaks")]
    ControlCharacters { what: &'static str },
    #[error(
        "{what} must not contain text-direction controls (they make it read differently than it is)"
    )]
    DirectionControls { what: &'static str },
    #[error("{0:?} is not a valid URL: {1}")]
    Url(String, String),
    #[error("the URL must start with http:// or https:// (got {0}://)")]
    UrlScheme(String),
    #[error(
        "the URL must not contain a user name or password; use an access token or a header instead"
    )]
    UrlCredentials,
    #[error("header {0:?} must look like `Name: value`")]
    HeaderSyntax(String),
    #[error("{0:?} is not a valid header name")]
    HeaderName(String),
    #[error("header {0:?} is set by Patchbay itself and cannot be overridden")]
    ReservedHeader(String),
    #[error("header {0:?} is given twice")]
    DuplicateHeader(String),
    #[error("at most {MAX_HEADERS} custom headers are allowed")]
    TooManyHeaders,
    #[error("{0}")]
    Other(String),
}

pub fn name(value: &str, what: &'static str) -> Result<String, InvalidInput> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidInput::Empty { what });
    }
    let length = trimmed.chars().count();
    if length > MAX_NAME_CHARS {
        return Err(InvalidInput::TooLong {
            what,
            length,
            max: MAX_NAME_CHARS,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidInput::ControlCharacters { what });
    }
    if trimmed.chars().any(is_bidi_control) {
        return Err(InvalidInput::DirectionControls { what });
    }
    Ok(trimmed.to_owned())
}

/// Unicode's bidirectional formatting characters: in a name they make it read differently than
/// it is ("Trojan Source"), in the app's lists as in a terminal.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// A model id as a person typed it (or picked it from a provider's list).
pub fn model(value: &str) -> Result<String, InvalidInput> {
    let what = "the model";
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidInput::Empty { what });
    }
    let length = trimmed.chars().count();
    if length > MAX_MODEL_CHARS {
        return Err(InvalidInput::TooLong {
            what,
            length,
            max: MAX_MODEL_CHARS,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(InvalidInput::ControlCharacters { what });
    }
    Ok(trimmed.to_owned())
}

pub fn url(value: &str) -> Result<Url, InvalidInput> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(InvalidInput::Empty { what: "the URL" });
    }
    if trimmed.len() > MAX_URL_BYTES {
        return Err(InvalidInput::TooLong {
            what: "the URL",
            length: trimmed.len(),
            max: MAX_URL_BYTES,
        });
    }
    let parsed = Url::parse(trimmed)
        .map_err(|error| InvalidInput::Url(trimmed.into(), error.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(InvalidInput::UrlScheme(parsed.scheme().into()));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(InvalidInput::Url(trimmed.into(), "it has no host".into()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(InvalidInput::UrlCredentials);
    }
    Ok(parsed)
}

pub fn token(value: &Secret) -> Result<(), InvalidInput> {
    printable_secret(
        value,
        "the access token",
        "the access token must be printable ASCII without spaces (paste only the token, without \
         \"Bearer \")",
    )
}

/// A model provider's API key: sent as a header, so held to the same rules as a token.
pub fn api_key(value: &Secret) -> Result<(), InvalidInput> {
    printable_secret(
        value,
        "the API key",
        "the API key must be printable ASCII without spaces (paste only the key, without \
         \"Bearer \")",
    )
}

/// A secret sent as (part of) a header value: not empty, not huge, and nothing that could end
/// the header early or be a wrong paste (spaces, line breaks, non-ASCII).
fn printable_secret(
    value: &Secret,
    what: &'static str,
    unprintable: &str,
) -> Result<(), InvalidInput> {
    let secret = value.expose().trim();
    if secret.is_empty() {
        return Err(InvalidInput::Empty { what });
    }
    if secret.len() > MAX_TOKEN_BYTES {
        return Err(InvalidInput::TooLong {
            what,
            length: secret.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    if !secret.bytes().all(|byte| (0x21..0x7f).contains(&byte)) {
        return Err(InvalidInput::Other(unprintable.into()));
    }
    Ok(())
}

/// Parses `Name: value` into a validated (name, secret value) pair.
pub fn header(line: &str) -> Result<(String, Secret), InvalidInput> {
    let Some((name, value)) = line.split_once(':') else {
        let shown: String = line.chars().take(40).collect();
        return Err(InvalidInput::HeaderSyntax(shown));
    };
    let name = name.trim();
    let value = value.trim();
    if name.is_empty() || !name.bytes().all(is_token_byte) || name.len() > 128 {
        return Err(InvalidInput::HeaderName(name.chars().take(40).collect()));
    }
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(InvalidInput::ReservedHeader(name.into()));
    }
    if value.len() > MAX_HEADER_VALUE_BYTES {
        return Err(InvalidInput::TooLong {
            what: "the header value",
            length: value.len(),
            max: MAX_HEADER_VALUE_BYTES,
        });
    }
    if value
        .bytes()
        .any(|byte| byte.is_ascii_control() && byte != b'\t')
    {
        return Err(InvalidInput::ControlCharacters {
            what: "a header value",
        });
    }
    Ok((name.to_owned(), Secret::new(value)))
}

pub fn headers(lines: &[String]) -> Result<Vec<(String, Secret)>, InvalidInput> {
    if lines.len() > MAX_HEADERS {
        return Err(InvalidInput::TooManyHeaders);
    }
    let mut parsed: Vec<(String, Secret)> = Vec::with_capacity(lines.len());
    for line in lines {
        let (name, value) = header(line)?;
        if parsed
            .iter()
            .any(|(existing, _)| existing.eq_ignore_ascii_case(&name))
        {
            return Err(InvalidInput::DuplicateHeader(name));
        }
        parsed.push((name, value));
    }
    Ok(parsed)
}

/// RFC 9110 `tchar`.
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("  GitHub ", "the name"), Ok("GitHub".into()));
        assert_eq!(
            name("   ", "the name"),
            Err(InvalidInput::Empty { what: "the name" })
        );
        assert!(matches!(
            name(&"x".repeat(65), "the name"),
            Err(InvalidInput::TooLong { .. })
        ));
        assert!(
            name(&"é".repeat(64), "the name").is_ok(),
            "limit counts characters, not bytes"
        );
        assert!(matches!(
            name("a\nb", "the name"),
            Err(InvalidInput::ControlCharacters { .. })
        ));
        assert!(matches!(
            name("invoice\u{202e}fdp.exe", "the name"),
            Err(InvalidInput::DirectionControls { .. })
        ));
        assert!(
            name("שלום GitHub", "the name").is_ok(),
            "right-to-left text is fine"
        );
    }

    #[test]
    fn models() {
        assert_eq!(
            model(" qwen2.5:7b-instruct "),
            Ok("qwen2.5:7b-instruct".into())
        );
        assert!(model("accounts/fireworks/models/llama-v3p1-405b-instruct").is_ok());
        assert!(matches!(model(""), Err(InvalidInput::Empty { .. })));
        assert!(matches!(
            model(&"m".repeat(MAX_MODEL_CHARS + 1)),
            Err(InvalidInput::TooLong { .. })
        ));
        assert!(matches!(
            model("a\tb"),
            Err(InvalidInput::ControlCharacters { .. })
        ));
    }

    #[test]
    fn urls() {
        assert!(url("https://mcp.example.com/mcp").is_ok());
        assert!(url("http://127.0.0.1:3000/mcp").is_ok());
        assert_eq!(
            url("ftp://x.example").err(),
            Some(InvalidInput::UrlScheme("ftp".into()))
        );
        assert!(matches!(
            url("file:///etc/passwd"),
            Err(InvalidInput::UrlScheme(_))
        ));
        assert!(matches!(url("not a url"), Err(InvalidInput::Url(..))));
        assert_eq!(
            url("https://u:p@example.com").err(),
            Some(InvalidInput::UrlCredentials)
        );
        assert!(matches!(url(""), Err(InvalidInput::Empty { .. })));
        let long = format!("https://example.com/{}", "a".repeat(3000));
        assert!(matches!(url(&long), Err(InvalidInput::TooLong { .. })));
    }

    #[test]
    fn tokens() {
        assert!(token(&Secret::new("abc.def-ghi_jkl")).is_ok());
        assert!(token(&Secret::new("")).is_err());
        assert!(token(&Secret::new("x".repeat(MAX_TOKEN_BYTES + 1))).is_err());
        assert!(
            token(&Secret::new("abc\r\nX-Evil: 1")).is_err(),
            "header injection"
        );
        assert!(
            token(&Secret::new("Bearer abc")).is_err(),
            "spaces mean a wrong paste"
        );
        assert!(
            api_key(&Secret::new(" sk-abc123\n")).is_ok(),
            "surrounding space is trimmed"
        );
        assert_eq!(
            api_key(&Secret::new("")),
            Err(InvalidInput::Empty {
                what: "the API key"
            })
        );
        assert!(
            api_key(&Secret::new("sk-abc\r\nX-Evil: 1")).is_err(),
            "header injection"
        );
    }

    #[test]
    fn header_rules() {
        let (name, value) = header("X-Api-Key: s3cret").expect("a valid header");
        assert_eq!((name.as_str(), value.expose()), ("X-Api-Key", "s3cret"));
        assert!(matches!(
            header("no colon"),
            Err(InvalidInput::HeaderSyntax(_))
        ));
        assert!(matches!(
            header("Bad Name: v"),
            Err(InvalidInput::HeaderName(_))
        ));
        assert!(matches!(
            header("Authorization: x"),
            Err(InvalidInput::ReservedHeader(_))
        ));
        assert!(matches!(
            header("X-A: a\rb"),
            Err(InvalidInput::ControlCharacters { .. })
        ));
        let huge = format!("X-A: {}", "v".repeat(MAX_HEADER_VALUE_BYTES + 1));
        assert!(matches!(header(&huge), Err(InvalidInput::TooLong { .. })));
        assert!(matches!(
            headers(&["X-A: 1".into(), "x-a: 2".into()]),
            Err(InvalidInput::DuplicateHeader(_))
        ));
    }
}
