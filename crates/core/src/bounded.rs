//! Reading what a server sends with an upper bound: a body Patchbay reads whole (a refusal's
//! JSON-RPC error, an authorization server's metadata) is taken only up to a limit, so a hostile
//! or broken server cannot make the process hold an endless answer.

/// At most `limit` bytes of the body; `None` for a longer or broken one.
pub(crate) async fn read_limited(mut response: reqwest::Response, limit: usize) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if bytes.len() + chunk.len() > limit {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    Some(bytes)
}
