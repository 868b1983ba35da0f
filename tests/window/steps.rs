//! LLM steps in the real window, against the real server-everything and the scripted provider
//! (`model_peer`: a mock model, because the loop and the page are under test; the real model
//! runs in `real_model` below, through `cargo xtask test`). Try in a step from a connector row
//! opens the Steps page with that connector; a model that cannot call tools hides the connector
//! picker and says why, a tool-capable one shows it; running shows the tool call, asks for
//! approval inline with the full arguments, and shows the answer; a tool result that carries
//! markup is shown as text, never run; the run is kept in the history and the CLI sees it; a
//! tool that asks the person something while it runs gets its answer through a dialog.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_tests::model_peer::{ModelPeer, Turn};
use patchbay_tests::window::{Desktop, UI_LIMIT, fresh_screenshots, testid};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};
use serde_json::{Value, json};

/// How long a scripted run may take in the window (a few local round trips).
const RUN_LIMIT: Duration = Duration::from_secs(30);
/// Markup in a tool result: if the page ever rendered it as HTML, this would run.
const HOSTILE: &str = "<img src=x onerror=\"window.__pwned = true\">";

/// A sandbox with connector `Everything` and provider `scripted`, whose model `plain-model` the
/// person marked as unable to call tools.
async fn prepared(script: Vec<Turn>) -> Result<(Sandbox, ModelPeer, patchbay_tests::Peer)> {
    let everything = server_everything(EverythingMode::StreamableHttp)?;
    let model = ModelPeer::start(script).await?;
    model.set_models(vec!["tool-model".into(), "plain-model".into()]);
    let sandbox = Sandbox::new()?;
    let url = everything.everything_url(EverythingMode::StreamableHttp);
    for args in [
        vec![
            "connector",
            "add",
            "--name",
            "Everything",
            "--url",
            url.as_str(),
        ],
        vec![
            "provider",
            "add",
            "--name",
            "scripted",
            "--kind",
            "openai-compatible",
            "--base-url",
            &model.base_url(),
        ],
        vec!["models", "scripted", "--set-tools", "plain-model", "no"],
    ] {
        let run = sandbox.run(&args, None)?;
        ensure!(run.code == 0, "{args:?}: {run}");
    }
    Ok((sandbox, model, everything))
}

/// [`prepared`] with `script`, the window launched (screenshots under `label`), and Try in a
/// step clicked on the connector's row: the Steps page, a new step with that connector.
async fn tried_in_a_step(
    label: &str,
    script: Vec<Turn>,
) -> Result<(Sandbox, ModelPeer, patchbay_tests::Peer, Desktop)> {
    fresh_screenshots(label)?;
    let (sandbox, model, everything) = prepared(script).await?;
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    desktop
        .click(&Desktop::in_row("Everything", "try-in-step"))
        .await?;
    desktop.wait_for(&testid("steps-page")).await?;
    desktop.wait_for(&testid("step-provider")).await?;
    Ok((sandbox, model, everything, desktop))
}

async fn shown(desktop: &Desktop, css: &str) -> Result<bool> {
    Ok(desktop
        .script(
            "const e = document.querySelector(arguments[0]); \
             return e !== null && e.getClientRects().length > 0;",
            vec![json!(css)],
        )
        .await?
        == Value::Bool(true))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_a_connector_in_a_step_with_an_approval() -> Result<()> {
    let (sandbox, model, _everything, desktop) = tried_in_a_step(
        "steps",
        vec![
            Turn::tool_call("Everything__echo", json!({"message": HOSTILE})),
            Turn::text("The server echoed your markup back."),
        ],
    )
    .await?;
    desktop.screenshot("00-try-in-step").await?;
    desktop.choose(&testid("step-provider"), "scripted").await?;

    // A model that cannot call tools: no connector picker, and the page says why.
    desktop.fill(&testid("step-model"), "plain-model").await?;
    let reason = desktop
        .wait_for_text(
            &testid("connector-picker-hidden-reason"),
            "cannot call tools",
            UI_LIMIT,
        )
        .await?;
    ensure!(
        !shown(&desktop, &testid("connector-picker")).await?,
        "the picker is hidden for a model without tools ({reason})"
    );
    desktop.screenshot("01-model-without-tools").await?;

    // A tool-capable one: the picker, with the connector from the row already chosen.
    desktop.fill(&testid("step-model"), "tool-model").await?;
    desktop.wait_for(&testid("connector-picker")).await?;
    let checked = desktop
        .script(
            "return document.querySelector('[data-testid=\"step-connector-Everything\"]').checked;",
            vec![],
        )
        .await?;
    ensure!(
        checked == Value::Bool(true),
        "Try in a step chose the connector"
    );
    desktop.choose(&testid("step-approval"), "ask").await?;
    desktop
        .fill(&testid("step-prompt"), "Echo something back to me.")
        .await?;
    desktop.screenshot("02-tool-capable-model").await?;

    // Run: the call waits for approval, with its full arguments shown.
    desktop.click(&testid("step-run")).await?;
    let card = desktop
        .wait_for_text(&testid("approval-card"), "echo", RUN_LIMIT)
        .await?;
    ensure!(
        card.contains("onerror"),
        "the approval shows the full arguments: {card}"
    );
    desktop.screenshot("03-approval").await?;
    desktop.click(&testid("approve-once")).await?;

    let answer = desktop
        .wait_for_text(&testid("run-answer"), "echoed your markup", RUN_LIMIT)
        .await?;
    let calls = desktop.text(&testid("call-card")).await?;
    ensure!(
        calls.contains("Echo:") && calls.contains("onerror"),
        "the call card shows the result as text: {calls}"
    );
    let pwned = desktop
        .script("return window.__pwned === true;", vec![])
        .await?;
    ensure!(
        pwned == Value::Bool(false),
        "markup in a tool result never runs"
    );
    let outcome = desktop.text(&testid("run-outcome")).await?;
    ensure!(
        outcome.to_lowercase().contains("answer"),
        "the outcome is shown: {outcome} / {answer}"
    );
    desktop.screenshot("04-answered").await?;

    // The model received the tool's result; the run is in the history, for the CLI too.
    let sent = model
        .conversation_requests()
        .last()
        .map(|request| request.raw.clone())
        .unwrap_or_default();
    ensure!(
        sent.contains("Echo:"),
        "the tool's result reached the model"
    );
    desktop.wait_for(&testid("past-run")).await?;
    desktop.screenshot("05-history").await?;
    let runs = sandbox.run(&["runs", "list", "--json"], None)?;
    let runs: Value = serde_json::from_str(&runs.stdout).context("runs list --json")?;
    ensure!(
        runs[0]["outcome"] == "answered" && runs[0]["tool_calls"] == 1,
        "the CLI sees the run: {runs}"
    );
    desktop.quit().await
}

/// The real model (started by `cargo xtask test`) completes a loop in the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the local model server; `cargo xtask test` starts it and runs this"]
async fn real_model_in_the_window() -> Result<()> {
    let label = "real-model";
    fresh_screenshots(label)?;
    let base = std::env::var("PATCHBAY_LOCAL_MODEL_URL")
        .context("PATCHBAY_LOCAL_MODEL_URL is not set: run through `cargo xtask test`")?;
    let everything = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    let url = everything.everything_url(EverythingMode::StreamableHttp);
    for args in [
        vec![
            "connector",
            "add",
            "--name",
            "Everything",
            "--url",
            url.as_str(),
        ],
        vec![
            "provider",
            "add",
            "--name",
            "local",
            "--kind",
            "openai-compatible",
            "--base-url",
            &format!("{base}/v1"),
        ],
    ] {
        let run = sandbox.run(&args, None)?;
        ensure!(run.code == 0, "{args:?}: {run}");
    }
    let models = sandbox.run(&["models", "local", "--json"], None)?;
    let models: Value = serde_json::from_str(&models.stdout)?;
    let model = models[0]["id"].as_str().context("a model")?.to_owned();
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    desktop
        .click(&Desktop::in_row("Everything", "try-in-step"))
        .await?;
    desktop.wait_for(&testid("steps-page")).await?;
    desktop.choose(&testid("step-provider"), "local").await?;
    desktop.fill(&testid("step-model"), &model).await?;
    desktop.wait_for(&testid("connector-picker")).await?;
    // Only the tool the test needs: every schema costs the CPU model seconds.
    desktop
        .fill(&testid("step-tools-Everything"), "get-sum")
        .await?;
    desktop.choose(&testid("step-approval"), "auto").await?;
    // The settings the CLI's real-model test uses: temperature 0 and a fixed seed make the run
    // repeatable (without them the 1.5B model sometimes wanders off and never says the sum).
    desktop
        .click(&format!("{} summary", testid("step-sampling")))
        .await?;
    desktop.fill(&testid("step-temperature"), "0").await?;
    desktop.fill(&testid("step-seed"), "7").await?;
    desktop
        .fill(
            &testid("step-system"),
            "You can call tools. After a tool result arrives, do not call the tool again; answer in plain text.",
        )
        .await?;
    desktop
        .fill(
            &testid("step-prompt"),
            "What is 17 plus 25? Use the get-sum tool.",
        )
        .await?;
    desktop.click(&testid("step-run")).await?;
    let started = std::time::Instant::now();
    // Wait for the run to end, however it ends, so a run that fails says so at once instead of
    // leaving the test to time out waiting for an answer that will never come.
    let outcome = desktop
        .wait_until(
            "the run to end",
            Duration::from_secs(600),
            "const e = document.querySelector('[data-testid=\"run-outcome\"]'); \
             const failed = document.querySelector('[data-testid=\"run-error\"]'); \
             return e ? e.dataset.outcome : (failed ? 'error: ' + failed.innerText : null);",
            vec![],
        )
        .await?;
    let outcome = outcome.as_str().unwrap_or_default().to_owned();
    let page = desktop.text(&testid("run-panel")).await?;
    ensure!(
        outcome == "answered" || outcome == "repeated_call",
        "the real run ended with an answer, not {outcome:?}:\n{page}"
    );
    let call = desktop.text(&testid("call-card")).await?;
    ensure!(
        call.contains("get-sum") && call.contains("42"),
        "the real model called get-sum and its result (the sum) came back: {call}"
    );
    let answer = desktop.text(&testid("run-answer")).await?;
    ensure!(
        answer.contains("42"),
        "the answer mentions the sum: {answer:?}\n{page}"
    );
    desktop.screenshot("01-answered").await?;
    eprintln!(
        "real model in the window: {model}, {:.0} s, outcome {outcome}, answer {answer:?}",
        started.elapsed().as_secs_f64()
    );
    desktop.quit().await
}

/// A tool that asks the person something while it runs (MCP elicitation): the real
/// server-everything's `trigger-elicitation-request`, called by the scripted model in a step.
/// The window asks in a dialog naming the connector, checks the form before sending, and the
/// tool gets the answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_asking_for_input_is_answered_in_a_dialog() -> Result<()> {
    let (_sandbox, _model, _everything, desktop) = tried_in_a_step(
        "question",
        vec![
            Turn::tool_call("Everything__trigger-elicitation-request", json!({})),
            Turn::text("Thanks, that is all I needed."),
        ],
    )
    .await?;
    desktop.choose(&testid("step-provider"), "scripted").await?;
    desktop.fill(&testid("step-model"), "tool-model").await?;
    desktop.wait_for(&testid("connector-picker")).await?;
    desktop.choose(&testid("step-approval"), "auto").await?;
    desktop
        .fill(&testid("step-prompt"), "Ask me for my details.")
        .await?;
    desktop.click(&testid("step-run")).await?;

    let asked = desktop
        .wait_for_text(&testid("question-dialog"), "Everything asks", RUN_LIMIT)
        .await;
    if asked.is_err() {
        desktop.screenshot("99-not-asked").await?;
    }
    asked?;
    let dialog = desktop
        .wait_for_text(
            &testid("question-dialog"),
            "String with email format",
            UI_LIMIT,
        )
        .await?;
    ensure!(
        dialog.contains("Please provide inputs") && dialog.contains("String with email format"),
        "the server's message and form are shown, field by field: {dialog}"
    );
    desktop.screenshot("00-question").await?;
    // Sending without the required name says so next to it, and sends nothing.
    desktop.click(&testid("question-send")).await?;
    desktop
        .wait_for_text(&testid("question-field-name"), "Required", UI_LIMIT)
        .await?;
    desktop.screenshot("01-required").await?;
    desktop
        .fill(
            &format!("{} input", testid("question-field-name")),
            "Ada Lovelace",
        )
        .await?;
    desktop.click(&testid("question-send")).await?;

    let calls = desktop
        .wait_for_text(&testid("call-card"), "Ada Lovelace", RUN_LIMIT)
        .await?;
    ensure!(
        calls.contains("User provided the requested information"),
        "the tool got the accepted answer: {calls}"
    );
    desktop
        .wait_for_text(&testid("run-answer"), "all I needed", RUN_LIMIT)
        .await?;
    ensure!(
        !shown(&desktop, &testid("question-dialog")).await?,
        "the dialog is gone once answered"
    );
    desktop.screenshot("02-answered").await?;
    desktop.quit().await
}
