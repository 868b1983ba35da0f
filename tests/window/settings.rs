//! Settings and quitting in the real window: the theme chosen on the Settings page is applied at
//! once and saved where the CLI reads it, the About section tells the truth about the tray
//! (the test's desktop has none, so closing quits), and Ctrl+Q ends the app.

use anyhow::{Result, ensure};
use patchbay_tests::Sandbox;
use patchbay_tests::window::{Desktop, UI_LIMIT, fresh_screenshots, testid};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_page_saves_what_the_cli_reads_and_ctrl_q_quits() -> Result<()> {
    fresh_screenshots("settings")?;
    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, "settings").await?;
    desktop.wait_for(&testid("nav-settings")).await?;
    desktop.click(&testid("nav-settings")).await?;
    desktop.wait_for(&testid("settings-page")).await?;
    desktop
        .wait_for_text(
            &testid("settings-tray-note"),
            "closing the window quits",
            UI_LIMIT,
        )
        .await?;
    let version = desktop
        .wait_for_text(&testid("settings-version"), ".", UI_LIMIT)
        .await?;
    ensure!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");

    desktop
        .click(&format!("label:has({})", testid("settings-theme-dark")))
        .await?;
    let theme = desktop
        .script(
            "return document.documentElement.dataset.theme ?? '';",
            vec![],
        )
        .await?;
    ensure!(theme == "dark", "applied at once: {theme}");
    desktop.click(&testid("settings-save")).await?;
    desktop.wait_for_toast("Settings saved").await?;
    desktop.screenshot("01-dark").await?;
    let shown = sandbox.run(&["settings", "show", "--json"], None)?;
    let settings: Value = serde_json::from_str(&shown.stdout)?;
    ensure!(settings["theme"] == "dark", "saved: {shown}");

    desktop
        .script(
            "document.dispatchEvent(new KeyboardEvent('keydown', \
             {key: 'q', code: 'KeyQ', ctrlKey: true, bubbles: true})); return true;",
            vec![],
        )
        .await
        .ok();
    desktop.wait_exited(UI_LIMIT).await
}
