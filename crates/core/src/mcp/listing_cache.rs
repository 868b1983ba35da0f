//! Cache hints on tool lists (SEP-2549): a 2026-07-28 server says how long its `tools/list`
//! stays fresh (`ttlMs`) and whether it is the same for every caller (`cacheScope`). Patchbay
//! opens a session per use, so rmcp's cache, which lives and dies with one connection, saves
//! nothing; this one lives for the process, so a step run right after another, or a connector's
//! tools shown again, does not list them again while the server says they are fresh.
//!
//! - A `public` list is kept per URL; a `private` one (or one without a scope) only for the
//!   connector it was listed for ([`super::Endpoint::cache_partition`]), and not at all for a
//!   connection that names none.
//! - No hint, or `ttlMs: 0`, keeps nothing (servers older than 2026-07-28 send none). Hints are
//!   capped at [`MAX_TTL`], so a server that changes without notifying is seen again soon.
//! - `notifications/tools/list_changed` drops the list at once. Health checks always list live.
//! - At most [`MAX_ENTRIES`] lists are kept; expired ones go first, then the oldest.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rmcp::model::{CacheScope, Tool};

use super::Endpoint;

/// The longest a server's hint is honoured.
pub const MAX_TTL: Duration = Duration::from_secs(15 * 60);
/// How many lists are kept at most.
pub const MAX_ENTRIES: usize = 256;

struct Entry {
    tools: Vec<Tool>,
    stored: Instant,
    fresh_until: Instant,
}

static LISTS: LazyLock<Mutex<HashMap<String, Entry>>> = LazyLock::new(Mutex::default);

fn lists() -> std::sync::MutexGuard<'static, HashMap<String, Entry>> {
    LISTS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where one connection's lists are kept: shared with every caller of the URL, and private to
/// its connector (if it names one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    public: String,
    private: Option<String>,
}

impl Keys {
    pub fn of(endpoint: &Endpoint) -> Self {
        let mut url = endpoint.url.clone();
        url.set_fragment(None);
        let public = url.to_string();
        let private = endpoint
            .cache_partition
            .as_ref()
            .map(|partition| format!("{partition}\n{public}"));
        Self { public, private }
    }
}

/// The tools listed under `keys`, while fresh.
pub fn get(keys: &Keys) -> Option<Vec<Tool>> {
    let now = Instant::now();
    let lists = lists();
    [keys.private.as_deref(), Some(keys.public.as_str())]
        .into_iter()
        .flatten()
        .filter_map(|key| lists.get(key))
        .find(|entry| entry.fresh_until > now)
        .map(|entry| entry.tools.clone())
}

/// Keeps `tools` as their hints allow (`ttl_ms`, `scope`: the merged list's).
pub fn put(keys: &Keys, tools: &[Tool], ttl_ms: Option<u64>, scope: Option<CacheScope>) {
    let Some(ttl) = ttl_ms
        .filter(|ttl| *ttl > 0)
        .map(|ttl| Duration::from_millis(ttl).min(MAX_TTL))
    else {
        return;
    };
    let key = match scope {
        Some(CacheScope::Public) => keys.public.clone(),
        _ => match &keys.private {
            Some(private) => private.clone(),
            None => return,
        },
    };
    let now = Instant::now();
    let mut lists = lists();
    lists.retain(|_, entry| entry.fresh_until > now);
    while lists.len() >= MAX_ENTRIES {
        let oldest = lists
            .iter()
            .min_by_key(|(_, entry)| entry.stored)
            .map(|(key, _)| key.clone());
        match oldest {
            Some(oldest) => lists.remove(&oldest),
            None => break,
        };
    }
    lists.insert(
        key,
        Entry {
            tools: tools.to_vec(),
            stored: now,
            fresh_until: now + ttl,
        },
    );
}

/// Drops what is kept under `keys` (the server said its tools changed).
pub fn forget(keys: &Keys) {
    let mut lists = lists();
    lists.remove(&keys.public);
    if let Some(private) = &keys.private {
        lists.remove(private);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn endpoint(url: &str, partition: Option<&str>) -> Endpoint {
        let mut endpoint = Endpoint::new(url.parse().unwrap_or_else(|_| panic!("{url}")));
        endpoint.cache_partition = partition.map(str::to_owned);
        endpoint
    }

    fn tool(name: &str) -> Vec<Tool> {
        vec![Tool::new(
            name.to_owned(),
            "a tool",
            Arc::new(serde_json::Map::new()),
        )]
    }

    fn names(tools: Option<Vec<Tool>>) -> Option<Vec<String>> {
        tools.map(|tools| tools.iter().map(|tool| tool.name.to_string()).collect())
    }

    #[test]
    fn a_private_list_stays_with_its_connector_and_a_public_one_with_its_url() {
        let a = Keys::of(&endpoint(
            "https://private.example/mcp",
            Some("connector-a"),
        ));
        let b = Keys::of(&endpoint(
            "https://private.example/mcp",
            Some("connector-b"),
        ));
        let anonymous = Keys::of(&endpoint("https://private.example/mcp", None));
        put(&a, &tool("mine"), Some(60_000), Some(CacheScope::Private));
        assert_eq!(names(get(&a)), Some(vec!["mine".to_owned()]));
        assert_eq!(
            get(&b).map(|_| ()),
            None,
            "another connector's list is not shared"
        );
        assert_eq!(get(&anonymous).map(|_| ()), None);
        put(&anonymous, &tool("lost"), Some(60_000), None);
        assert_eq!(
            get(&anonymous).map(|_| ()),
            None,
            "no partition, nothing private kept"
        );

        let shared = Keys::of(&endpoint("https://public.example/mcp", Some("connector-a")));
        put(
            &shared,
            &tool("everyone"),
            Some(60_000),
            Some(CacheScope::Public),
        );
        let other = Keys::of(&endpoint(
            "https://public.example/mcp#x",
            Some("connector-b"),
        ));
        assert_eq!(names(get(&other)), Some(vec!["everyone".to_owned()]));
        forget(&other);
        assert_eq!(get(&shared).map(|_| ()), None, "list_changed drops it");
    }

    #[test]
    fn no_hint_or_zero_keeps_nothing() {
        let keys = Keys::of(&endpoint("https://hintless.example/mcp", Some("c")));
        put(&keys, &tool("t"), None, Some(CacheScope::Public));
        put(&keys, &tool("t"), Some(0), Some(CacheScope::Public));
        assert_eq!(get(&keys).map(|_| ()), None);
    }
}
