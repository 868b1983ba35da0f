//! Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`, never in a release): each
//! feeds outside input to one parser the way Patchbay's own code does, and panics only where
//! a property the parser promises is broken. The property tests beside each parser check the
//! same properties on generated input in every `cargo test`.

use std::io::Cursor;

use bytes::Bytes;
use futures::{StreamExt, stream};

/// The SSE guard in front of `sse-stream`, over `data` cut into chunks of the sizes its first
/// bytes name: it hands over exactly the bytes it got, whatever they are.
pub fn sse(data: &[u8]) {
    let Some((&size, body)) = data.split_first() else {
        return;
    };
    let size = usize::from(size).max(1);
    let chunks: Vec<Result<Bytes, reqwest::Error>> = body
        .chunks(size)
        .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
        .collect();
    let guarded = crate::mcp::fuzz_guard(stream::iter(chunks));
    let pieces: Vec<Vec<u8>> = futures::executor::block_on(
        guarded
            .map(|piece| piece.map(Cursor::into_inner).unwrap_or_default())
            .collect(),
    );
    assert_eq!(pieces.concat(), body, "the guard changed the bytes");
    // And the parser behind it never panics.
    let chunks: Vec<Result<Bytes, reqwest::Error>> = vec![Ok(Bytes::copy_from_slice(body))];
    let events =
        sse_stream::SseStream::from_bytes_stream(crate::mcp::fuzz_guard(stream::iter(chunks)));
    let _: Vec<_> = futures::executor::block_on(events.collect());
}

/// An OAuth callback (a deep link or a loopback request's URL): never panics, never reaches a
/// waiting sign-in without its state.
pub fn callback(text: &str) {
    use crate::oauth::flows::{Delivery, Flows, IssuerCheck};
    let flows = Flows::new();
    let _waiter = flows.register(
        "fuzz-state-0123456789abcdef",
        "dev.patchbay.desktop:/oauth/callback",
        IssuerCheck::default(),
    );
    let delivered = matches!(flows.deliver(text), Delivery::Accepted | Delivery::Rejected);
    assert!(
        !delivered || text.contains("fuzz-state-0123456789abcdef"),
        "delivered without the state: {text:?}"
    );
}

/// A URL a person typed or a file brought: validation never panics, and an accepted URL's
/// query credentials never survive masking.
pub fn url(text: &str) {
    let Ok(url) = crate::validate::url(text) else {
        return;
    };
    let shown = crate::url_secrets::masked(&url);
    let redacted = crate::url_secrets::redact(url.as_str(), &url);
    // A value with the mask's character in it can reappear where a mask now stands next to
    // the same text ("*%00" in "****%00"): only its original places are checked, by the values
    // without it.
    for value in crate::url_secrets::secret_values(&url)
        .into_iter()
        .filter(|value| !value.contains('*'))
    {
        assert!(
            !redacted.contains(&value),
            "{value:?} survived redaction: {redacted} (shown as {shown})"
        );
    }
    if let Ok(reparsed) = url::Url::parse(&shown) {
        let _ = crate::url_secrets::unmask(&reparsed, &url);
    }
}

/// A header line (`Name: value`) or a name: never panics; what is accepted has no line break.
pub fn typed(text: &str) {
    if let Ok((name, value)) = crate::validate::header(text) {
        assert!(!name.contains(['\r', '\n']) && !value.expose().contains(['\r', '\n']));
    }
    let _ = crate::validate::name(text, "the name");
}

/// An authorization server metadata document and the issuer check applied to a legacy one:
/// never panics.
pub fn metadata(data: &[u8]) {
    if let Ok(metadata) =
        serde_json::from_slice::<rmcp::transport::auth::AuthorizationMetadata>(data)
        && let Some(issuer) = metadata.issuer.as_deref()
        && let Ok(server) = url::Url::parse("https://mcp.example/tenant/mcp")
    {
        let _ = crate::oauth::discovery::issuer_on_server_origin(&server, issuer);
    }
}
