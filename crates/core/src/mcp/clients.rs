//! HTTP clients shared between connections that go out the same way. Building a reqwest client
//! loads the system's trust store (OpenSSL parses every root certificate: measured ~50 ms in a
//! debug build on the bench machine, most of a loopback connect), and a client is a cheap handle
//! onto one connection pool, so each configuration — timeouts and route (proxy, credentials,
//! extra CAs, the desktop's proxy) — gets one client, reused by every session, check and step
//! that needs it. The map is small (one entry per distinct configuration) and is cleared past
//! [`MAX_CLIENTS`] so changed settings cannot grow it without bound.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

/// What a client is built from, as a hash (the route's secrets are not kept in the key).
pub(super) type Key = u64;

const MAX_CLIENTS: usize = 64;

static CLIENTS: LazyLock<Mutex<HashMap<Key, reqwest::Client>>> = LazyLock::new(Mutex::default);

/// The client for `key`, built by `build` the first time.
pub(super) fn shared(
    key: Key,
    build: impl FnOnce() -> Result<reqwest::Client, String>,
) -> Result<reqwest::Client, String> {
    if let Some(client) = CLIENTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Ok(client.clone());
    }
    // Built outside the lock: it takes milliseconds, and a race only builds one twice.
    let client = build()?;
    let mut clients = CLIENTS.lock().unwrap_or_else(PoisonError::into_inner);
    if clients.len() >= MAX_CLIENTS {
        clients.clear();
    }
    clients.insert(key, client.clone());
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_per_key_built_once() {
        let builds = std::cell::Cell::new(0);
        let build = || {
            builds.set(builds.get() + 1);
            reqwest::Client::builder()
                .build()
                .map_err(|error| error.to_string())
        };
        let key = 0xbe_ac_40;
        assert!(shared(key, build).is_ok());
        assert!(shared(key, build).is_ok());
        assert_eq!(builds.get(), 1);
        assert!(shared(key + 1, build).is_ok());
        assert_eq!(builds.get(), 2);
    }
}
