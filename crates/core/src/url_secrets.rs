//! Credentials in a URL's query string (`https://host/mcp?api_key=…`, which some hosted MCP
//! servers ask for): found by parameter name, masked wherever a URL is stored or shown, and
//! redacted from text that may quote the URL (an HTTP library's error names the URL it failed
//! on). The connector keeps the whole URL sealed like a token (issue 11); everything else sees
//! [`masked`]. Hand-written: it is a name list and a string rewrite over the `url` crate.

use url::Url;

/// What a secret value is shown as.
pub const MASK: &str = "****";

/// Words that make a query parameter a credential (matched inside the lower-cased name, so
/// `x-api-key`, `access_token`, `sessionId` and `sig` all count). A harmless parameter that
/// matches is masked too: that only hides more.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "secret",
    "password",
    "passwd",
    "pwd",
    "auth",
    "sig",
    "credential",
    "session",
    "jwt",
    "bearer",
    "code",
];

/// Whether a query parameter named `name` carries a credential.
pub fn is_secret_parameter(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| lower.contains(word))
}

/// The raw (still percent-encoded) `name=value` pairs of `url`'s query whose value is a
/// credential.
fn secret_pairs(url: &Url) -> Vec<(&str, &str)> {
    url.query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, value)| !value.is_empty() && is_secret_raw_name(name))
        .collect()
}

/// Whether `url` carries a credential in its query.
pub fn has_secrets(url: &Url) -> bool {
    !secret_pairs(url).is_empty()
}

/// `url` with every credential in its query replaced by [`MASK`] (the parameters and their
/// order kept, so a person recognises the URL); `url` itself when it has none.
pub fn masked(url: &Url) -> String {
    let Some(query) = url.query().filter(|_| has_secrets(url)) else {
        return url.to_string();
    };
    let masked_query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if !value.is_empty() && is_secret_raw_name(name) => {
                format!("{name}={MASK}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    let mut shown = url.clone();
    shown.set_query(Some(&masked_query.join("&")));
    shown.to_string()
}

/// A URL as a person typed it, fit to show: [`masked`] when it parses (text that is no URL is
/// refused before it is used, and shown as typed).
pub fn shown(text: &str) -> String {
    Url::parse(text.trim()).map_or_else(|_| text.to_owned(), |url| masked(&url))
}

/// The names of the query parameters of `text` that carry credentials (none when it is not a
/// URL), for a front end to offer moving them into a header.
pub fn secret_parameters(text: &str) -> Vec<String> {
    Url::parse(text.trim())
        .map(|url| {
            url.query_pairs()
                .filter(|(name, _)| is_secret_parameter(name))
                .map(|(name, _)| name.into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// [`is_secret_parameter`] for a name as it is written in the query (percent-encoded).
fn is_secret_raw_name(raw_name: &str) -> bool {
    let decoded: String = url::form_urlencoded::parse(raw_name.as_bytes())
        .map(|(name, _)| name.into_owned())
        .collect();
    is_secret_parameter(&decoded)
}

/// `edited`, a URL a person changed starting from the [`masked`] one they were shown, with each
/// credential still [`MASK`]ed taken from `stored` (the same parameter of the stored URL), so
/// changing `region=` does not turn the key into `****`. `Err` names a masked parameter the
/// stored URL has no value for.
pub fn unmask(edited: &Url, stored: &Url) -> Result<Url, String> {
    let Some(query) = edited.query() else {
        return Ok(edited.clone());
    };
    let known = secret_pairs(stored);
    let mut pairs = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some((name, MASK)) if is_secret_raw_name(name) => {
                let value = known
                    .iter()
                    .find(|(stored_name, _)| *stored_name == name)
                    .map(|(_, value)| *value)
                    .ok_or_else(|| name.to_owned())?;
                pairs.push(format!("{name}={value}"));
            }
            _ => pairs.push(pair.to_owned()),
        }
    }
    let mut whole = edited.clone();
    whole.set_query(Some(&pairs.join("&")));
    Ok(whole)
}

/// The credential values in `url`'s query, each as written (percent-encoded) and decoded.
pub(crate) fn secret_values(url: &Url) -> Vec<String> {
    secret_pairs(url)
        .into_iter()
        .flat_map(|(_, raw)| {
            let decoded = url::form_urlencoded::parse(format!("v={raw}").as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            [raw.to_owned(), decoded]
        })
        .collect()
}

/// Adds `url`'s credentials to the values this process takes out of every log line
/// ([`crate::secret::redact_remembered`]): libraries below Patchbay (the HTTP client, rmcp)
/// quote the URL in their own log events and errors.
pub fn remember(url: &Url) {
    for value in secret_values(url) {
        crate::secret::remember_for_redaction(&value);
    }
}

/// `text` with `url`'s credentials taken out: the whole URL (as written and as its origin and
/// path with the query) becomes [`masked`], and each credential value, raw or decoded, becomes
/// [`MASK`] wherever else it appears.
pub fn redact(text: &str, url: &Url) -> String {
    let pairs = secret_pairs(url);
    if pairs.is_empty() {
        return text.to_owned();
    }
    let mut redacted = text.replace(url.as_str(), &masked(url));
    for value in secret_values(url) {
        if !value.is_empty() {
            redacted = redacted.replace(&value, MASK);
        }
    }
    redacted
}

/// `url` without its query parameter `name`, and that parameter's (decoded) value; `None`
/// when the query has no such parameter.
pub fn take_parameter(url: &Url, name: &str) -> Option<(Url, crate::secret::Secret)> {
    let mut value = None;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter_map(|(key, found)| {
            if key == name && value.is_none() {
                value = Some(crate::secret::Secret::new(found.into_owned()));
                None
            } else {
                Some((key.into_owned(), found.into_owned()))
            }
        })
        .collect();
    let value = value?;
    let mut without = url.clone();
    if kept.is_empty() {
        without.set_query(None);
    } else {
        without.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some((without, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn credentials_are_found_by_name_and_masked_in_place() {
        let keyed = url("https://mcp.example/v1?region=eu&api_key=abc123&X-Access-Token=t%2Fk#top");
        assert!(has_secrets(&keyed));
        assert_eq!(
            masked(&keyed),
            "https://mcp.example/v1?region=eu&api_key=****&X-Access-Token=****#top"
        );
        let plain = url("https://mcp.example/v1?region=eu&page=2");
        assert!(!has_secrets(&plain));
        assert_eq!(masked(&plain), plain.as_str());
        // An empty value hides nothing.
        assert!(!has_secrets(&url("https://mcp.example/?token=")));
        for name in [
            "apikey",
            "access_token",
            "sessionId",
            "sig",
            "Password",
            "client_secret",
        ] {
            assert!(is_secret_parameter(name), "{name}");
        }
        for name in ["region", "page", "format", "lang"] {
            assert!(!is_secret_parameter(name), "{name}");
        }
    }

    #[test]
    fn an_edited_masked_url_keeps_its_stored_credentials() {
        let stored = url("https://mcp.example/v1?region=eu&api_key=abc123");
        let edited = url("https://mcp.example/v2?region=us&api_key=****");
        assert_eq!(
            unmask(&edited, &stored).unwrap().as_str(),
            "https://mcp.example/v2?region=us&api_key=abc123"
        );
        let new_key = url("https://mcp.example/v2?api_key=xyz789");
        assert_eq!(unmask(&new_key, &stored).unwrap(), new_key);
        let unknown = url("https://mcp.example/v2?token=****");
        assert_eq!(unmask(&unknown, &stored).unwrap_err(), "token");
    }

    #[test]
    fn text_quoting_the_url_or_its_values_is_redacted() {
        let keyed = url("https://mcp.example/v1?api_key=s3cr%2Bt-value");
        let text = format!(
            "error sending request for url ({keyed}): refused; the key s3cr+t-value, raw s3cr%2Bt-value"
        );
        let redacted = redact(&text, &keyed);
        assert!(!redacted.contains("s3cr"), "{redacted}");
        assert!(
            redacted.contains("https://mcp.example/v1?api_key=****"),
            "{redacted}"
        );
        let plain = url("https://mcp.example/v1");
        assert_eq!(redact("as is", &plain), "as is");
    }

    #[test]
    fn a_parameter_is_taken_out_with_its_value_and_the_rest_kept() {
        let url = Url::parse("https://mcp.example/mcp?api_key=s%2Fcret&region=eu").expect("url");
        let (without, value) = take_parameter(&url, "api_key").expect("found");
        assert_eq!(without.as_str(), "https://mcp.example/mcp?region=eu");
        assert_eq!(value.expose(), "s/cret");
        let only = Url::parse("https://mcp.example/mcp?token=t").expect("url");
        let (without, _) = take_parameter(&only, "token").expect("found");
        assert_eq!(without.as_str(), "https://mcp.example/mcp");
        assert!(take_parameter(&only, "api_key").is_none());
    }
}
