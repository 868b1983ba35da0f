//! The names the model sees for the connectors' tools: `connector__tool`, cleaned to what every
//! provider accepts (`^[a-zA-Z0-9_-]{1,64}$`), with a short hash when cleaning makes two names
//! equal or a name too long, and an explicit map back to (connector, tool). The model's name is
//! never parsed back: a name not in the map is a tool the model made up.

use std::collections::HashMap;

/// The longest tool name providers accept.
const MAX_NAME: usize = 64;
/// Characters of hash appended to a shortened or clashing name: 32 bits, plenty for the few
/// dozen tools a step offers.
const HASH_CHARS: usize = 8;

/// Which connector's which tool a model-facing name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolRef {
    pub connector: String,
    pub tool: String,
}

/// Model-facing names, both ways.
#[derive(Debug, Default)]
pub struct ToolNames {
    by_name: HashMap<String, ToolRef>,
    ordered: Vec<(String, ToolRef)>,
}

impl ToolNames {
    /// Names for `tools` (connector, tool), in order; each pair gets exactly one name.
    pub fn new<'a>(tools: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut names = Self::default();
        for (connector, tool) in tools {
            let wanted = clean(&format!("{connector}__{tool}"));
            let name = if wanted.len() <= MAX_NAME && !names.by_name.contains_key(&wanted) {
                wanted
            } else {
                hashed(&wanted, connector, tool, &names.by_name)
            };
            let reference = ToolRef {
                connector: connector.to_owned(),
                tool: tool.to_owned(),
            };
            names.by_name.insert(name.clone(), reference.clone());
            names.ordered.push((name, reference));
        }
        names
    }

    /// What the model's `name` stands for; `None` for a name Patchbay never offered.
    pub fn resolve(&self, name: &str) -> Option<&ToolRef> {
        self.by_name.get(name)
    }

    /// Every (model-facing name, tool), in the order they were given.
    pub fn iter(&self) -> impl Iterator<Item = &(String, ToolRef)> {
        self.ordered.iter()
    }

    pub fn len(&self) -> usize {
        self.ordered.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ordered.is_empty()
    }
}

/// Every character outside `[a-zA-Z0-9_-]` becomes `_`; an empty name becomes `tool`.
fn clean(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "tool".into()
    } else {
        cleaned
    }
}

/// `wanted` shortened to leave room for `_` and a hash of the exact pair; a further clash (a
/// hash collision) takes the next salt.
fn hashed(wanted: &str, connector: &str, tool: &str, taken: &HashMap<String, ToolRef>) -> String {
    let keep = MAX_NAME - HASH_CHARS - 1;
    let prefix: String = wanted.chars().take(keep).collect();
    (0u32..)
        .map(|salt| {
            let digest = fnv1a(&format!("{connector}\0{tool}\0{salt}"));
            format!(
                "{prefix}_{:0width$x}",
                digest & 0xffff_ffff,
                width = HASH_CHARS
            )
        })
        .find(|name| !taken.contains_key(name))
        .unwrap_or_else(|| prefix.clone())
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust releases, and these
/// names end up in saved transcripts).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(name: &str) -> bool {
        (1..=MAX_NAME).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    }

    #[test]
    fn plain_names_read_connector_then_tool() {
        let names = ToolNames::new([("Everything", "echo"), ("Everything", "get-sum")]);
        let all: Vec<&str> = names.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(all, ["Everything__echo", "Everything__get-sum"]);
        assert_eq!(
            names.resolve("Everything__get-sum"),
            Some(&ToolRef {
                connector: "Everything".into(),
                tool: "get-sum".into()
            })
        );
        assert_eq!(
            names.resolve("Everything__nope"),
            None,
            "made-up names resolve to nothing"
        );
    }

    #[test]
    fn cleaned_clashes_and_long_names_get_distinct_valid_names() {
        let long = "a".repeat(80);
        let names = ToolNames::new([
            ("My Server", "do it"),
            ("My_Server", "do_it"),
            ("Docs", long.as_str()),
            ("Docs", &format!("{long}b")),
            ("Ünïcode", "tööl"),
        ]);
        let all: Vec<&String> = names.iter().map(|(name, _)| name).collect();
        for name in &all {
            assert!(valid(name), "{name:?} must match ^[a-zA-Z0-9_-]{{1,64}}$");
        }
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(
            unique.len(),
            all.len(),
            "every tool keeps its own name: {all:?}"
        );
        for (name, reference) in names.iter() {
            assert_eq!(
                names.resolve(name),
                Some(reference),
                "the map goes back exactly"
            );
        }
    }

    #[test]
    fn names_are_stable() {
        let first = ToolNames::new([("Docs", &*"x".repeat(70))]);
        let second = ToolNames::new([("Docs", &*"x".repeat(70))]);
        assert_eq!(
            first.iter().next().map(|(name, _)| name.clone()),
            second.iter().next().map(|(name, _)| name.clone())
        );
    }
}
