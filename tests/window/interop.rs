//! Interop in the real window: install links delivered the way the OS delivers them (a second
//! launch of the binary with the link as its argument) open a confirmation that shows what
//! will be added and adds nothing until the click; hostile links are refused with the reason;
//! a VS Code file pasted into the import dialog is planned, its placeholder asked for, and its
//! server added; the export dialog leaves secrets out unless asked, with a warning.

use anyhow::{Result, ensure};
use patchbay_tests::window::{Desktop, SAVE_LIMIT, UI_LIMIT, fresh_screenshots, testid};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};

use crate::stored_names;

fn encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_links_ask_first_and_hostile_ones_are_refused() -> Result<()> {
    fresh_screenshots("install-link")?;
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, "install-link").await?;
    desktop.wait_for(&testid("add-connector")).await?;

    let link = format!(
        "dev.patchbay.desktop://connect?name=Linked&url={}&auth=none",
        encoded(&url)
    );
    desktop.open_deep_link(&link).await?;
    desktop.wait_for(&testid("install-dialog")).await?;
    let host = desktop
        .wait_for_text(&testid("install-host"), "127.0.0.1", UI_LIMIT)
        .await?;
    desktop
        .wait_for_text(&testid("install-name"), "Linked", UI_LIMIT)
        .await?;
    ensure!(
        host.trim() == "127.0.0.1",
        "the host alone, emphasised: {host:?}"
    );
    desktop.screenshot("01-confirm").await?;
    ensure!(
        stored_names(&sandbox)?.is_empty(),
        "nothing is added before the click"
    );
    desktop.click(&testid("install-confirm")).await?;
    desktop
        .wait_gone(&testid("install-dialog"), SAVE_LIMIT)
        .await?;
    desktop.wait_for_rows(&["Linked"], UI_LIMIT).await?;
    ensure!(stored_names(&sandbox)? == ["Linked"], "added once clicked");

    // Cancel adds nothing.
    let other = format!(
        "dev.patchbay.desktop://connect?name=Other&url={}",
        encoded(&url)
    );
    desktop.open_deep_link(&other).await?;
    desktop.wait_for(&testid("install-cancel")).await?;
    desktop.click(&testid("install-cancel")).await?;
    desktop
        .wait_gone(&testid("install-dialog"), UI_LIMIT)
        .await?;
    ensure!(stored_names(&sandbox)? == ["Linked"], "Cancel adds nothing");

    // A link carrying a token is refused, and says why.
    let hostile = format!(
        "dev.patchbay.desktop://connect?name=Evil&url={}&token=stolen-token",
        encoded(&url)
    );
    desktop.open_deep_link(&hostile).await?;
    let reason = desktop
        .wait_for_text(&testid("install-refused"), "never carry secrets", UI_LIMIT)
        .await?;
    ensure!(
        !reason.contains("stolen-token"),
        "the token is not echoed: {reason}"
    );
    desktop.screenshot("02-refused").await?;
    ensure!(stored_names(&sandbox)? == ["Linked"], "nothing added");
    desktop.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_vscode_file_is_planned_filled_and_imported_and_exports_keep_secrets_out()
-> Result<()> {
    fresh_screenshots("import")?;
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    // One line: WebDriver types a newline as Enter.
    let file = format!(
        r#"{{"inputs": [{{"type": "promptString", "id": "api-key", "description": "Everything API key", "password": true}}], "servers": {{"Fetch": {{"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"]}}, "Everything": {{"type": "http", "url": "{url}", "headers": {{"Authorization": "Bearer ${{input:api-key}}"}}}}}}}}"#
    );
    let desktop = Desktop::launch(&sandbox, "import").await?;
    desktop.wait_for(&testid("import-open")).await?;
    desktop.click(&testid("import-open")).await?;
    desktop.wait_for(&testid("import-dialog")).await?;
    desktop.fill(&testid("import-text"), &file).await?;
    desktop.click(&testid("import-read")).await?;
    desktop.wait_for(&testid("import-candidate")).await?;
    let skipped = desktop
        .wait_for_text(&testid("import-skipped"), "stdio", UI_LIMIT)
        .await?;
    ensure!(skipped.contains("Fetch"), "{skipped}");
    desktop
        .fill(
            &format!("{} input", testid("import-placeholder")),
            "window-import-secret",
        )
        .await?;
    desktop.screenshot("01-plan").await?;
    desktop.click(&testid("import-add")).await?;
    desktop
        .wait_until(
            "Everything imported",
            SAVE_LIMIT,
            "const row = document.querySelector(arguments[0]); \
             return !!row && row.dataset.outcome === 'added';",
            vec![serde_json::json!(testid("import-result"))],
        )
        .await?;
    desktop.screenshot("02-done").await?;
    ensure!(stored_names(&sandbox)? == ["Everything"], "imported");
    let exported = sandbox.run(&["export", "--include-secrets"], None)?;
    ensure!(
        exported.stdout.contains("Bearer window-import-secret"),
        "the typed value was sealed as the token: {exported}"
    );
    // Done.
    desktop
        .click(&format!("{} .button.primary", testid("import-dialog")))
        .await?;
    desktop
        .wait_gone(&testid("import-dialog"), UI_LIMIT)
        .await?;

    desktop.click(&testid("export-open")).await?;
    let preview = desktop
        .wait_for_text(&testid("export-preview"), "Everything", UI_LIMIT)
        .await?;
    ensure!(
        !preview.contains("window-import-secret") && preview.contains("${"),
        "placeholders, not the secret: {preview}"
    );
    desktop.click(&testid("export-secrets")).await?;
    desktop.wait_for(&testid("export-warning")).await?;
    desktop
        .wait_for_text(&testid("export-preview"), "window-import-secret", UI_LIMIT)
        .await?;
    desktop.screenshot("03-export-secrets").await?;
    desktop.quit().await
}
