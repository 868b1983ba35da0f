//! The commands the webview may invoke, one file per feature. Each is a few lines: fetch the core
//! from state, delegate, map the error. Core runs its own SQLite and keychain work off the async
//! workers, so a command never needs to know which calls block.

pub mod connectors;
pub mod interop;
pub mod machine;
pub mod oauth;
pub mod providers;
pub mod settings;
pub mod steps;
pub mod workbench;
pub mod workspaces;
