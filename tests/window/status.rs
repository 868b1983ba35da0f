//! Live status in the window: server-everything is killed and the row turns Disconnected within
//! the monitor's backoff window, then restarted on the same port and the row turns Connected
//! again — each change pushed to the page by the app's monitor, with nobody clicking.

use std::time::Duration;

use anyhow::{Result, ensure};
use patchbay_tests::window::{Desktop, UI_LIMIT, fresh_screenshots};
use patchbay_tests::{EverythingMode, Sandbox, free_port, server_everything_on};

use crate::stored;

/// The app runs its monitor every 1 s and backs off to at most 2 s (see `Desktop::launch`): a
/// change is due within 3 s. The extra seconds absorb event delivery and a busy 2-core runner.
const BACKOFF_WINDOW: Duration = Duration::from_secs(3);
const SLACK: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_follows_the_server_down_and_up() -> Result<()> {
    let label = "status";
    fresh_screenshots(label)?;
    let port = free_port()?;
    let mut server = server_everything_on(EverythingMode::StreamableHttp, port)?;
    let url = server.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    // Seeded with the CLI (the window's Add path has its own test): the app must show a
    // connector another process added to the same data dir.
    let added = sandbox.run(
        &["connector", "add", "--name", "Everything", "--url", &url],
        None,
    )?;
    ensure!(added.code == 0, "seeding with the CLI: {added}");

    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    desktop
        .wait_for_status("Everything", "connected", UI_LIMIT)
        .await?;
    desktop.screenshot("01-connected").await?;

    server.kill();
    let down = desktop
        .wait_for_status("Everything", "disconnected", BACKOFF_WINDOW + SLACK)
        .await?;
    eprintln!("window showed Disconnected {down:?} after the server was killed");
    desktop.screenshot("02-disconnected").await?;
    let saved = stored(&sandbox)?;
    ensure!(
        saved[0]["status"] == "disconnected",
        "the change is persisted, so the CLI sees it too: {saved:?}"
    );

    let server = server_everything_on(EverythingMode::StreamableHttp, port)?;
    let up = desktop
        .wait_for_status("Everything", "connected", BACKOFF_WINDOW + SLACK)
        .await?;
    eprintln!("window showed Connected {up:?} after the server listened again");
    desktop.screenshot("03-connected-again").await?;

    desktop.quit().await?;
    drop(server);
    Ok(())
}
