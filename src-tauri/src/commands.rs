//! The IPC commands, one file per feature under `commands/`. Each is a few lines that delegate
//! to patchbay-core; anything longer belongs in core, where it can be tested without a window.
//! A new command is also listed in `build.rs` and granted in `capabilities/`.

pub mod connectors;
