//! End-to-end tests against real peers. Run them through `cargo xtask test`, which installs the
//! npm peers, builds the `patchbay` binary and runs this suite inside `dbus-run-session` with an
//! unlocked gnome-keyring, so the real Secret Service holds the master key.

mod callback;
mod cli;
mod concurrent;
mod crash;
mod discovery;
mod fake_http;
mod hostile;
mod input;
mod interop;
mod keychain;
mod machine;
mod mcp;
mod network;
mod oauth;
mod protocol;
mod providers;
mod real_model;
mod refresh;
mod registration;
mod secrets;
mod status;
mod step_up;
mod steps;
mod steps_cli;
mod timeouts;
mod workbench;
