//! The Connectors page's main path in the real window: add a connector (tested, saved, shown as
//! Connected), edit it (rename), delete it (after confirmation); and a wrong URL, which shows the
//! failing stage and a hint in the dialog, keeps the form filled and saves nothing.

use anyhow::{Result, ensure};
use patchbay_tests::window::{Desktop, SAVE_LIMIT, UI_LIMIT, fresh_screenshots, testid};
use patchbay_tests::{EverythingMode, Sandbox, free_port, server_everything};

use crate::{stored, stored_names};

/// server-everything ignores the token; it is here to be encrypted, stored and never shown again.
const TOKEN: &str = "window-test-token-3f9a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_edit_and_delete_a_connector() -> Result<()> {
    let label = "connectors";
    fresh_screenshots(label)?;
    let server = server_everything(EverythingMode::StreamableHttp)?;
    let url = server.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, label).await?;

    desktop.wait_for_rows(&[], UI_LIMIT).await?;
    desktop.screenshot("01-empty").await?;

    // Add.
    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), "Everything").await?;
    desktop.fill(&testid("field-url"), &url).await?;
    desktop.choose(&testid("field-auth"), "token").await?;
    desktop.fill(&testid("field-token"), TOKEN).await?;
    ensure!(
        desktop.attribute(&testid("field-token"), "type").await? == "password",
        "the token field must be masked"
    );
    desktop.screenshot("02-add-dialog").await?;
    desktop.click(&testid("save-connector")).await?;
    desktop
        .wait_gone(&testid("save-connector"), SAVE_LIMIT)
        .await?;
    desktop.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    desktop
        .wait_for_status("Everything", "connected", UI_LIMIT)
        .await?;
    desktop.wait_for_toast("Connected to").await?;
    desktop.screenshot("03-added-connected").await?;

    let saved = stored(&sandbox)?;
    ensure!(saved.len() == 1, "one connector saved: {saved:?}");
    ensure!(
        saved[0]["name"] == "Everything"
            && saved[0]["url"] == url.as_str()
            && saved[0]["auth"] == "token"
            && saved[0]["token_set"] == true
            && saved[0]["status"] == "connected",
        "the CLI sees what the window saved: {saved:?}"
    );
    let html = desktop
        .script("return document.documentElement.outerHTML;", vec![])
        .await?;
    ensure!(
        !html.as_str().unwrap_or_default().contains(TOKEN),
        "the token must never come back to the page"
    );

    // Edit: rename. The dialog is seeded with the stored values, never with the token.
    desktop
        .click(&Desktop::in_row("Everything", "edit-connector"))
        .await?;
    desktop.wait_for(&testid("field-name")).await?;
    ensure!(
        desktop.value(&testid("field-name")).await? == "Everything"
            && desktop.value(&testid("field-url")).await? == url,
        "the edit dialog starts from the stored name and URL"
    );
    ensure!(
        desktop.value(&testid("field-token")).await?.is_empty(),
        "the edit dialog must not hold the stored token"
    );
    desktop
        .fill(&testid("field-name"), "Everything Renamed")
        .await?;
    desktop.screenshot("04-edit-dialog").await?;
    desktop.click(&testid("save-connector")).await?;
    desktop
        .wait_gone(&testid("save-connector"), SAVE_LIMIT)
        .await?;
    desktop
        .wait_for_rows(&["Everything Renamed"], UI_LIMIT)
        .await?;
    desktop
        .wait_for_status("Everything Renamed", "connected", UI_LIMIT)
        .await?;
    desktop.screenshot("05-renamed").await?;
    let saved = stored(&sandbox)?;
    ensure!(
        saved.len() == 1
            && saved[0]["name"] == "Everything Renamed"
            && saved[0]["token_set"] == true,
        "the rename is stored and an empty token field kept the token: {saved:?}"
    );

    // Delete, after confirming.
    desktop
        .click(&Desktop::in_row("Everything Renamed", "delete-connector"))
        .await?;
    desktop.wait_for(&testid("confirm-delete")).await?;
    desktop.screenshot("06-confirm-delete").await?;
    ensure!(
        stored_names(&sandbox)? == ["Everything Renamed"],
        "nothing is deleted before the confirmation"
    );
    desktop.click(&testid("confirm-delete")).await?;
    desktop.wait_for_rows(&[], UI_LIMIT).await?;
    desktop.wait_for_toast("Deleted Everything Renamed").await?;
    desktop.screenshot("07-deleted").await?;
    ensure!(
        stored_names(&sandbox)?.is_empty(),
        "the CLI no longer sees the deleted connector"
    );

    desktop.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_url_shows_the_diagnosis_and_saves_nothing() -> Result<()> {
    let label = "wrong-url";
    fresh_screenshots(label)?;
    let server = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for_rows(&[], UI_LIMIT).await?;

    // Nothing listens on this port: the connection stage fails.
    let refused = format!("http://127.0.0.1:{}/mcp", free_port()?);
    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), "Broken").await?;
    desktop.fill(&testid("field-url"), &refused).await?;
    desktop.choose(&testid("field-auth"), "none").await?;
    desktop.click(&testid("save-connector")).await?;
    let report = desktop
        .wait_for_text(&testid("dialog-error"), "Connection", SAVE_LIMIT)
        .await?;
    ensure!(
        report.contains("Try:") && report.contains("server is running"),
        "the dialog names the failing stage and gives a hint: {report}"
    );
    desktop.screenshot("01-connection-refused").await?;
    ensure!(
        desktop.value(&testid("field-name")).await? == "Broken"
            && desktop.value(&testid("field-url")).await? == refused,
        "a failed save keeps the form filled"
    );
    ensure!(
        stored_names(&sandbox)?.is_empty(),
        "a failed test saves nothing"
    );

    // A real server, wrong path: the HTTP stage fails with the status.
    let wrong_path = format!("http://127.0.0.1:{}/not-mcp", server.port);
    desktop.fill(&testid("field-url"), &wrong_path).await?;
    desktop.click(&testid("save-connector")).await?;
    let report = desktop
        .wait_for_text(&testid("dialog-error"), "404", SAVE_LIMIT)
        .await?;
    ensure!(
        report.contains("HTTP") && report.contains("Try:"),
        "the dialog names the HTTP stage, the status and a hint: {report}"
    );
    desktop.screenshot("02-http-404").await?;
    ensure!(
        stored_names(&sandbox)?.is_empty(),
        "a failed test saves nothing"
    );
    ensure!(
        desktop.rows().await?.is_empty(),
        "no row appears for a connector that was not saved"
    );

    desktop.quit().await?;
    // The server stays up until the window has gone: no check races its shutdown.
    drop(server);
    Ok(())
}
