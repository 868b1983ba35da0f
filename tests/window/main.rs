//! End-to-end tests of the real desktop window through WebDriver (tauri-driver + WebKitWebDriver),
//! against a real server-everything, with the real Secret Service holding the master key. Run them
//! through `cargo xtask test`, which builds the app and the CLI, installs tauri-driver, and runs
//! this binary under `xvfb-run` inside `dbus-run-session` with an unlocked gnome-keyring.
//!
//! A separate binary from `e2e` so that cargo runs it alone: windows take turns (the app is
//! single-instance) and status timings should not compete with `e2e`'s parallel peers for CPU.
//! Each state is saved as `target/e2e-screenshots/<test>-<step>.png`; the CLI, on the same data
//! dir and keychain namespace, checks what was (and was not) saved.

mod connectors;
mod installed;
mod interop;
mod machine;
mod navigation;
mod oauth;
mod restart;
mod settings;
mod status;
mod steps;
mod tray;
mod workbench;

use anyhow::{Context, Result, ensure};
use patchbay_tests::Sandbox;
use serde_json::Value;

/// The store as the CLI sees it: `patchbay connector list --json`.
fn stored(sandbox: &Sandbox) -> Result<Vec<Value>> {
    let run = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(run.code == 0, "patchbay connector list failed: {run}");
    let value: Value = serde_json::from_str(&run.stdout)
        .with_context(|| format!("connector list printed no JSON: {run}"))?;
    value
        .as_array()
        .cloned()
        .context("connector list --json is not an array")
}

/// The names in the store, in the CLI's order.
fn stored_names(sandbox: &Sandbox) -> Result<Vec<String>> {
    Ok(stored(sandbox)?
        .iter()
        .filter_map(|connector| connector["name"].as_str().map(str::to_owned))
        .collect())
}

/// Adds a connector through the Add dialog and waits until its row shows Connected.
async fn add_through_dialog(
    desktop: &patchbay_tests::window::Desktop,
    name: &str,
    url: &str,
    token: &str,
) -> Result<()> {
    use patchbay_tests::window::{SAVE_LIMIT, UI_LIMIT, testid};
    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), name).await?;
    desktop.fill(&testid("field-url"), url).await?;
    desktop.choose(&testid("field-auth"), "token").await?;
    desktop.fill(&testid("field-token"), token).await?;
    desktop.click(&testid("save-connector")).await?;
    desktop
        .wait_gone(&testid("save-connector"), SAVE_LIMIT)
        .await?;
    desktop.wait_for_status(name, "connected", UI_LIMIT).await?;
    Ok(())
}
