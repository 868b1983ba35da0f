//! Reads `tauri.conf.json` (a symlink to the one at the repository root, so cargo and the Tauri
//! CLI see the same file) and declares the app's own commands, which puts them under the
//! capability ACL like any plugin command: a command missing from `capabilities/` is refused.
//!
//! The command names come from the one list in `src/lib.rs` (the `commands![…]` invocation that
//! also registers them and names them in the generated bindings), and the build fails when
//! `capabilities/default.json` does not allow exactly those commands, so no list can drift.

use std::collections::BTreeSet;

/// The names in `src/lib.rs`'s `commands![ module::name, … ];`.
fn command_names() -> Vec<String> {
    let source = std::fs::read_to_string("src/lib.rs").unwrap_or_else(|error| {
        panic!("cannot read src/lib.rs for the command list: {error}");
    });
    let start = source
        .find("\ncommands![")
        .unwrap_or_else(|| panic!("src/lib.rs has no `commands![…]` list"));
    let body = &source[start + "\ncommands![".len()..];
    let end = body
        .find("];")
        .unwrap_or_else(|| panic!("src/lib.rs's `commands![` list is not closed"));
    body[..end]
        .split(',')
        .filter_map(|entry| entry.trim().rsplit("::").next().map(str::to_owned))
        .filter(|name| !name.is_empty())
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=capabilities/default.json");
    let names = command_names();
    let capabilities = std::fs::read_to_string("capabilities/default.json")
        .unwrap_or_else(|error| panic!("cannot read capabilities/default.json: {error}"));
    let allowed: BTreeSet<String> = capabilities
        .split('"')
        .filter_map(|text| text.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect();
    let listed: BTreeSet<String> = names.iter().cloned().collect();
    if allowed != listed {
        panic!(
            "capabilities/default.json must allow exactly the commands in src/lib.rs:\n  \
             missing: {:?}\n  not commands: {:?}",
            listed.difference(&allowed).collect::<Vec<_>>(),
            allowed.difference(&listed).collect::<Vec<_>>()
        );
    }
    // The manifest wants 'static names; a build script ends right after, so leaking is free.
    let names: Vec<&'static str> = names
        .into_iter()
        .map(|name| &*Box::leak(name.into_boxed_str()))
        .collect();
    let names: &'static [&'static str] = Box::leak(names.into_boxed_slice());
    let manifest = tauri_build::AppManifest::new().commands(names);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; print the whole chain first.
        panic!("tauri-build failed: {error:#}");
    }
}
