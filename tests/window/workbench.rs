//! The connector workbench in the real window, against the real server-everything: open a
//! connector's detail view, switch a tool off (the CLI sees it), try a tool from the
//! playground (a required field is checked before anything is sent), see an image result,
//! browse resources, prompts and the server's details, and copy diagnostics that hold no
//! secret of the connector.

use anyhow::{Result, ensure};
use patchbay_tests::window::{Desktop, UI_LIMIT, fresh_screenshots, testid};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};
use serde_json::{Value, json};

const TOKEN: &str = "tok-window-5e1f9a3c7b";
const QUERY_KEY: &str = "qk-window-2d4c6e8a0b";

fn tool(name: &str, inner: &str) -> String {
    format!("{} {}", testid(&format!("tool-{name}")), testid(inner))
}

async fn click_tab(desktop: &Desktop, tab: &str) -> Result<()> {
    desktop.click(&testid(&format!("tab-{tab}"))).await?;
    desktop.wait_for(&testid(&format!("panel-{tab}"))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connectors_tools_playground_and_diagnostics() -> Result<()> {
    fresh_screenshots("workbench")?;
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    // server-everything ignores credentials: a token and a query key ride along unused, so
    // the diagnostics can be searched for them.
    let url = format!(
        "{}?api_key={QUERY_KEY}",
        peer.everything_url(EverythingMode::StreamableHttp)
    );
    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Everything",
            "--url",
            &url,
            "--token-stdin",
        ],
        Some(TOKEN),
    )?;
    ensure!(added.code == 0, "{added}");

    let desktop = Desktop::launch(&sandbox, "workbench").await?;
    desktop.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    desktop.screenshot("00-list").await?;
    desktop
        .click(&Desktop::in_row("Everything", "open-connector"))
        .await?;
    desktop.wait_for(&testid("connector-detail")).await?;
    click_tab(&desktop, "tools").await?;
    desktop.wait_for(&testid("tool-get-env")).await?;
    desktop
        .wait_for_text(&testid("tool-budget"), "tools enabled", UI_LIMIT)
        .await?;
    desktop.screenshot("01-tools").await?;

    // Switch a tool off: the row says so at once, and once it is saved (the switch shows it
    // on screen before Rust has answered) the store, read by the CLI, has it.
    // The switch as a person clicks it: its label (the checkbox itself is drawn by the track).
    desktop
        .click(&format!("label:has({})", testid("tool-enabled-get-env")))
        .await?;
    desktop
        .wait_until(
            "get-env switched off and saved",
            UI_LIMIT,
            "const row = document.querySelector(arguments[0]); \
             return !!row && row.dataset.enabled === 'false' && row.dataset.saving === 'false';",
            vec![json!(testid("tool-get-env"))],
        )
        .await?;
    let listed = sandbox.run(&["tools", "Everything", "--json"], None)?;
    let tools: Value = serde_json::from_str(&listed.stdout)?;
    let get_env = tools
        .as_array()
        .and_then(|tools| tools.iter().find(|tool| tool["name"] == "get-env"))
        .cloned()
        .unwrap_or(Value::Null);
    ensure!(
        get_env["enabled"] == false,
        "the CLI sees the switch: {get_env}"
    );

    // The playground: a required field left empty is refused at the field, nothing is sent.
    desktop.click(&tool("echo", "expand-tool")).await?;
    desktop.wait_for(&tool("echo", "arg-message")).await?;
    desktop.click(&tool("echo", "run-tool")).await?;
    let refused = desktop
        .script(
            "const row = document.querySelector(arguments[0]); \
             return !!row && !row.querySelector('[data-testid=\"call-result\"]') \
               && row.textContent.toLowerCase().includes('required');",
            vec![json!(testid("tool-echo"))],
        )
        .await?;
    ensure!(
        refused == Value::Bool(true),
        "an empty required field is refused at the field"
    );
    desktop.screenshot("02-required").await?;
    desktop
        .fill(&tool("echo", "arg-message"), "hello from the window")
        .await?;
    desktop.click(&tool("echo", "run-tool")).await?;
    desktop
        .wait_for_text(
            &tool("echo", "call-result"),
            "hello from the window",
            UI_LIMIT,
        )
        .await?;
    desktop.screenshot("03-echo").await?;

    // An image result, shown as an image.
    desktop
        .click(&tool("get-tiny-image", "expand-tool"))
        .await?;
    desktop
        .wait_for(&tool("get-tiny-image", "run-tool"))
        .await?;
    desktop.click(&tool("get-tiny-image", "run-tool")).await?;
    desktop
        .wait_for(&tool("get-tiny-image", "result-image"))
        .await?;
    let image = desktop
        .script(
            "const img = document.querySelector(arguments[0]); \
             return {src: img.getAttribute('src').slice(0, 30), width: img.naturalWidth};",
            vec![json!(tool("get-tiny-image", "result-image"))],
        )
        .await?;
    ensure!(
        image["src"]
            .as_str()
            .is_some_and(|src| src.starts_with("data:image/png;base64,"))
            && image["width"].as_u64().is_some_and(|width| width > 0),
        "the image is decoded and shown: {image}"
    );
    desktop
        .script(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
            vec![json!(tool("get-tiny-image", "result-image"))],
        )
        .await?;
    desktop.screenshot("04-image").await?;

    click_tab(&desktop, "resources").await?;
    desktop.wait_for(&testid("resource-item")).await?;
    desktop
        .click("[data-testid=\"resource-item\"][data-uri=\"demo://resource/static/document/architecture.md\"]")
        .await?;
    desktop
        .wait_for_text(&testid("resource-preview"), "Architecture", UI_LIMIT)
        .await?;
    desktop.screenshot("05-resources").await?;
    click_tab(&desktop, "prompts").await?;
    desktop.click(&testid("prompt-args-prompt")).await?;
    desktop.fill(&testid("prompt-arg-city"), "Lisbon").await?;
    desktop.click(&testid("get-prompt")).await?;
    desktop
        .wait_for_text(&testid("prompt-messages"), "Lisbon", UI_LIMIT)
        .await?;
    desktop.screenshot("06-prompts").await?;
    click_tab(&desktop, "server").await?;
    desktop
        .wait_for_text(&testid("server-details"), "everything", UI_LIMIT)
        .await?;
    desktop.screenshot("07-server").await?;

    click_tab(&desktop, "history").await?;
    desktop.wait_for(&testid("check-history")).await?;
    desktop.click(&testid("copy-diagnostics")).await?;
    let report = desktop
        .wait_for_text(
            &testid("diagnostics-report"),
            "diagnostics for connector",
            UI_LIMIT,
        )
        .await?;
    ensure!(
        !report.contains(TOKEN) && !report.contains(QUERY_KEY),
        "the report holds no secret: {report}"
    );
    ensure!(
        report.contains("api_key=****") && report.contains("get-env"),
        "it says what it can (the masked URL, the tool switched off): {report}"
    );
    desktop.screenshot("08-history").await?;
    desktop.quit().await?;
    Ok(())
}
