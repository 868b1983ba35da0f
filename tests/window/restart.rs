//! Restarting the app: a second process on the same data dir and keychain namespace lists the
//! connector the first one saved, and its monitor decrypts the stored token to check it (a token
//! that no longer decrypted would turn the row to Error). The CLI, a third process, decrypts it
//! too.

use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use patchbay_tests::window::{Desktop, UI_LIMIT, fresh_screenshots};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};

use crate::{add_through_dialog, stored};

const TOKEN: &str = "restart-test-token-81c2";

/// The stored `last_checked_at` of the only connector.
fn last_checked(sandbox: &Sandbox) -> Result<String> {
    let saved = stored(sandbox)?;
    ensure!(saved.len() == 1, "one connector: {saved:?}");
    Ok(saved[0]["last_checked_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connectors_and_secrets_survive_a_restart() -> Result<()> {
    let label = "restart";
    fresh_screenshots(label)?;
    let server = server_everything(EverythingMode::StreamableHttp)?;
    let url = server.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;

    let first = Desktop::launch(&sandbox, label).await?;
    first.wait_for_rows(&[], UI_LIMIT).await?;
    add_through_dialog(&first, "Everything", &url, TOKEN).await?;
    first.screenshot("01-before-restart").await?;
    first.quit().await?;
    let before = last_checked(&sandbox)?;

    let second = Desktop::launch(&sandbox, label).await?;
    second.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    second.screenshot("02-after-restart").await?;
    // The new process checks on start and then every second; each check decrypts the token.
    let started = Instant::now();
    while last_checked(&sandbox)? == before {
        if started.elapsed() > Duration::from_secs(10) {
            bail!("the restarted app did not check the connector within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let saved = stored(&sandbox)?;
    ensure!(
        saved[0]["status"] == "connected" && saved[0]["token_set"] == true,
        "the restarted app decrypted the token and connected: {saved:?}"
    );
    second
        .wait_for_status("Everything", "connected", UI_LIMIT)
        .await?;
    second.screenshot("03-checked-after-restart").await?;

    let test = sandbox.run(&["connector", "test", "Everything"], None)?;
    ensure!(
        test.code == 0,
        "the CLI decrypts the token the window stored: {test}"
    );

    second.quit().await?;
    drop(server);
    Ok(())
}
