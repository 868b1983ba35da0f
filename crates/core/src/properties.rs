//! Property tests of the parsers that take outside input (issue 11; the SSE guard's are beside
//! it in `mcp/sse_guard/properties.rs`): OAuth callbacks and deep links, credentials in a URL's
//! query, and the names and headers a person types or a file brings. Each runs proptest's 256
//! generated cases per property in `cargo test`; `fuzz/` holds the matching fuzz targets.

use proptest::prelude::*;
use url::Url;

use crate::oauth::flows::{Delivery, Flows, IssuerCheck};
use crate::{url_secrets, validate};

const REDIRECT: &str = "dev.patchbay.desktop:/oauth/callback";

proptest! {
    /// Whatever arrives as a callback (a deep link, a loopback request) never panics and never
    /// reaches a waiting sign-in unless it carries that sign-in's state, once.
    #[test]
    fn a_callback_reaches_its_flow_only_with_its_state(
        text in ".{0,200}",
        query in prop::collection::vec(("(code|state|iss|error|[a-z]{1,5})", "[ -~]{0,20}"), 0..6),
        state in "[A-Za-z0-9_-]{16,43}",
    ) {
        let flows = Flows::new();
        let _waiter = flows.register(&state, REDIRECT, IssuerCheck::default());
        // Arbitrary text, and a well-formed callback with arbitrary parameters.
        let mut url = Url::parse(REDIRECT).unwrap();
        url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for candidate in [text.clone(), url.to_string()] {
            let carries_state = Url::parse(&candidate)
                .map(|url| url.query_pairs().any(|(k, v)| k == "state" && v == state.as_str()))
                .unwrap_or(false);
            let delivery = flows.deliver(&candidate);
            prop_assert!(
                !matches!(delivery, Delivery::Accepted | Delivery::Rejected) || carries_state,
                "{candidate:?} was delivered: {delivery:?}"
            );
        }
        prop_assert!(flows.pending() <= 1);
    }

    /// A credential in the query never survives masking, and text quoting it is redacted.
    #[test]
    fn a_query_credential_is_never_shown(
        name in "(api_key|token|access_token|x-api-key|sig|password|apiKey)",
        value in "[A-Za-z0-9._~+/=-]{6,40}",
        other in "[a-z]{1,8}",
        path in "(/|/mcp|/v1/sse)",
    ) {
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let url = Url::parse(&format!("https://mcp.example{path}?{other}=1&{name}={encoded}")).unwrap();
        prop_assert!(url_secrets::has_secrets(&url));
        let shown = url_secrets::masked(&url);
        prop_assert!(!shown.contains(&encoded) && !shown.contains(&value), "{shown}");
        prop_assert!(Url::parse(&shown).is_ok(), "the masked URL is still a URL: {shown}");
        let quoted = format!("error sending request for url ({url}): value {value}");
        let redacted = url_secrets::redact(&quoted, &url);
        prop_assert!(!redacted.contains(&value) && !redacted.contains(&encoded), "{redacted}");
        // Unmasking what was shown gives back the URL.
        let unmasked = url_secrets::unmask(&Url::parse(&shown).unwrap(), &url).unwrap();
        prop_assert_eq!(unmasked, url);
    }

    /// Names never keep control or BiDi characters or outer spaces; headers never let a line
    /// break through (header injection) and keep their value exactly.
    #[test]
    fn typed_names_and_headers_are_clean_or_refused(text in "\\PC{0,80}|[\\x00-\\x1f\\u{202a}-\\u{202e} a-z:]{0,40}") {
        if let Ok(name) = validate::name(&text, "the name") {
            prop_assert!(!name.chars().any(|c| c.is_control() || validate::is_bidi_control(c)));
            prop_assert_eq!(name.trim(), name.as_str());
            prop_assert!(!name.is_empty());
        }
        if let Ok((header, value)) = validate::header(&text) {
            prop_assert!(!header.is_empty());
            prop_assert!(!header.contains(['\r', '\n', ':']) && !value.expose().contains(['\r', '\n']));
        }
    }
}
