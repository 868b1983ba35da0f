//! A real model, end to end: Qwen2.5-Coder 1.5B served by llama.cpp on this machine (started by
//! `cargo xtask test` from ../shared/llm, which sets `PATCHBAY_LOCAL_MODEL_URL`) completes a
//! tool-call loop through the `patchbay` CLI against the real server-everything. Ignored in a
//! plain `cargo test` (it needs the model server and minutes of CPU); `cargo xtask test` runs it
//! with `--ignored`. Asserts what the loop did — which tool, with which arguments, that the
//! result reached the model — and the answer only loosely (it mentions the sum).

use anyhow::{Context, Result, ensure};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};
use serde_json::Value;

/// What the model server's README says makes the 1.5B model finish a loop.
const SYSTEM: &str = "You can call tools. After a tool result arrives, do not call the tool \
                      again; answer in plain text.";

fn model_url() -> Result<String> {
    std::env::var("PATCHBAY_LOCAL_MODEL_URL").context(
        "PATCHBAY_LOCAL_MODEL_URL is not set: run this through `cargo xtask test`, which starts \
         the local model server",
    )
}

#[test]
#[ignore = "needs the local model server; `cargo xtask test` starts it and runs this"]
fn a_real_model_calls_a_real_tool_through_the_cli() -> Result<()> {
    let base = model_url()?;
    let everything = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    let url = everything.everything_url(EverythingMode::StreamableHttp);
    let added = sandbox.run(
        &["connector", "add", "--name", "Everything", "--url", &url],
        None,
    )?;
    ensure!(added.code == 0, "{added}");
    let provider = sandbox.run(
        &[
            "provider",
            "add",
            "--name",
            "local",
            "--kind",
            "openai-compatible",
            "--base-url",
            &format!("{base}/v1"),
        ],
        None,
    )?;
    ensure!(provider.code == 0, "{provider}");
    let models = sandbox.run(&["models", "local", "--json"], None)?;
    let models: Value = serde_json::from_str(&models.stdout).context("models --json")?;
    let model = models[0]["id"]
        .as_str()
        .context("the local server lists its model")?
        .to_owned();
    let started = std::time::Instant::now();
    let run = sandbox.run_with_env(
        &[
            "run",
            "--model",
            &format!("local/{model}"),
            "--connector",
            "Everything",
            "--enable",
            "Everything:get-sum",
            "--approve",
            "auto",
            "--temperature",
            "0",
            "--seed",
            "7",
            "--system",
            SYSTEM,
            "--prompt",
            "What is 17 plus 25? Use the get-sum tool.",
            "--json",
        ],
        None,
        // CPU prompt processing is slow: minutes, not seconds.
        &[("PATCHBAY_TIMEOUT", "600")],
    )?;
    let seconds = started.elapsed().as_secs_f64();
    ensure!(run.code == 0, "the real run must complete: {run}");
    let record: Value =
        serde_json::from_str(&run.stdout).context("run --json prints the record")?;
    let transcript = &record["transcript"];
    let calls: Vec<&Value> = transcript["turns"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|turn| turn["calls"].as_array().into_iter().flatten())
        .collect();
    let first = calls.first().context("the model called a tool")?;
    ensure!(
        first["connector"] == "Everything"
            && first["tool"] == "get-sum"
            && first["is_error"] == false,
        "the model called get-sum and it worked: {first}"
    );
    let (a, b) = (
        first["arguments"]["a"].as_f64(),
        first["arguments"]["b"].as_f64(),
    );
    ensure!(
        matches!((a, b), (Some(x), Some(y)) if (x, y) == (17.0, 25.0) || (x, y) == (25.0, 17.0)),
        "with the numbers from the prompt: {first}"
    );
    ensure!(
        first["result"].to_string().contains("42"),
        "the tool's result (the sum) came back: {first}"
    );
    let answer = transcript["answer"].as_str().unwrap_or_default();
    ensure!(
        answer.contains("42"),
        "the answer mentions the sum: {answer:?}"
    );
    eprintln!(
        "real model: {model}, {} rounds, {} tool calls, {seconds:.0} s, outcome {}",
        transcript["rounds"],
        calls.len(),
        transcript["outcome"]["kind"]
    );
    Ok(())
}
