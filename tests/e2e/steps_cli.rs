//! The CLI contract of LLM steps (scripts depend on it): `patchbay run` prints the answer (or the
//! whole record with `--json`), `step save|list|show|run|remove`, `runs list|show`, approvals;
//! exit codes as elsewhere (0, 2 bad input or unknown names, 1 other failures); a run that must
//! ask and has no terminal fails at once. Against the real server-everything and the scripted
//! provider (a mock model: the loop, not the model, is under test here).

use anyhow::{Context, Result, ensure};
use patchbay_tests::model_peer::{ModelPeer, Turn};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};
use serde_json::{Value, json};

/// A sandbox with connector `Everything` and provider `scripted` (no key).
async fn sandbox(script: Vec<Turn>) -> Result<(Sandbox, ModelPeer, patchbay_tests::Peer)> {
    let everything = server_everything(EverythingMode::StreamableHttp)?;
    let model = ModelPeer::start(script).await?;
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
            "scripted",
            "--kind",
            "openai-compatible",
            "--base-url",
            &model.base_url(),
            "--skip-test",
        ],
        None,
    )?;
    ensure!(provider.code == 0, "{provider}");
    Ok((sandbox, model, everything))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_prints_the_answer_and_json_prints_the_whole_record() -> Result<()> {
    let (sandbox, _model, _everything) = sandbox(vec![
        Turn::tool_call("Everything__get-sum", json!({"a": 40, "b": 2})),
        Turn::text("The sum is 42."),
        Turn::text("Plain answer."),
    ])
    .await?;
    let run = sandbox.run(
        &[
            "run",
            "--model",
            "scripted/scripted-model",
            "--connector",
            "Everything",
            "--enable",
            "Everything:get-sum",
            "--approve",
            "auto",
            "--prompt",
            "Add 40 and 2",
            "--json",
        ],
        None,
    )?;
    ensure!(run.code == 0, "{run}");
    let record: Value = serde_json::from_str(&run.stdout).context("--json is the run record")?;
    let call = &record["transcript"]["turns"][0]["calls"][0];
    ensure!(
        call["connector"] == "Everything"
            && call["tool"] == "get-sum"
            && call["arguments"] == json!({"a": 40, "b": 2})
            && call["result"].to_string().contains("42")
            && call["duration_ms"].is_u64(),
        "each call with connector, tool, arguments, result, duration: {call}"
    );
    ensure!(
        record["transcript"]["usage"]["output"] == 14
            && record["transcript"]["answer"] == "The sum is 42.",
        "usage and answer: {}",
        record["transcript"]
    );
    let plain = sandbox.run(
        &[
            "run",
            "--model",
            "scripted/scripted-model",
            "--prompt",
            "Say something",
        ],
        None,
    )?;
    ensure!(
        plain.code == 0
            && plain.stdout.trim() == "Plain answer."
            && plain.stderr.contains("Answered"),
        "without --json the answer alone is on stdout: {plain}"
    );
    let runs = sandbox.run(&["runs", "list", "--json"], None)?;
    let runs: Value = serde_json::from_str(&runs.stdout)?;
    ensure!(
        runs.as_array().map(Vec::len) == Some(2),
        "both runs are kept: {runs}"
    );
    let id = runs[1]["id"].as_str().unwrap_or_default();
    let shown = sandbox.run(&["runs", "show", &id[..8]], None)?;
    ensure!(
        shown.code == 0
            && shown.stdout.contains("Everything.get-sum")
            && shown.stdout.contains("Add 40 and 2"),
        "a run's transcript by a short id: {shown}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_steps_run_by_name_and_bad_input_exits_2() -> Result<()> {
    let (sandbox, _model, _everything) = sandbox(vec![
        Turn::tool_call("Everything__echo", json!({"message": "saved"})),
        Turn::text("Echoed."),
    ])
    .await?;
    let saved = sandbox.run(
        &[
            "step",
            "save",
            "Echo it",
            "--model",
            "scripted/scripted-model",
            "--connector",
            "Everything",
            "--enable",
            "Everything:echo",
            "--approve",
            "auto",
            "--max-rounds",
            "3",
            "--prompt",
            "Echo 'saved'",
        ],
        None,
    )?;
    ensure!(saved.code == 0, "{saved}");
    let list = sandbox.run(&["step", "list"], None)?;
    ensure!(
        list.stdout.contains("Echo it") && list.stdout.contains("scripted/scripted-model"),
        "{list}"
    );
    let shown = sandbox.run(&["step", "show", "echo it"], None)?;
    let shown: Value = serde_json::from_str(&shown.stdout)?;
    ensure!(
        shown["max_rounds"] == 3 && shown["connectors"][0]["tools"] == json!(["echo"]),
        "{shown}"
    );
    let ran = sandbox.run(&["step", "run", "Echo it"], None)?;
    ensure!(ran.code == 0 && ran.stdout.contains("Echoed."), "{ran}");
    let by_step = sandbox.run(&["runs", "list", "--step", "Echo it", "--json"], None)?;
    ensure!(
        by_step.stdout.contains("\"step\": \"Echo it\""),
        "{by_step}"
    );

    for (args, words) in [
        (
            vec!["run", "--model", "no-slash", "--prompt", "x"],
            "PROVIDER/MODEL",
        ),
        (
            vec!["run", "--model", "nobody/m", "--prompt", "x"],
            "no provider named",
        ),
        (
            vec!["run", "--model", "scripted/m", "--prompt", "  "],
            "the prompt",
        ),
        (
            vec![
                "run",
                "--model",
                "scripted/m",
                "--prompt",
                "x",
                "--max-rounds",
                "0",
            ],
            "max rounds",
        ),
        (
            vec![
                "run",
                "--model",
                "scripted/m",
                "--prompt",
                "x",
                "--approve",
                "sometimes",
            ],
            "approval policy",
        ),
        (
            vec![
                "run",
                "--model",
                "scripted/m",
                "--prompt",
                "x",
                "--connector",
                "Nope",
            ],
            "no connector named",
        ),
        (
            vec![
                "run",
                "--model",
                "scripted/m",
                "--prompt",
                "x",
                "--enable",
                "Nope:echo",
            ],
            "not a --connector",
        ),
        (vec!["step", "run", "Missing"], "no step named"),
    ] {
        let run = sandbox.run(&args, None)?;
        ensure!(
            run.code == 2 && run.stderr.contains(words),
            "{args:?} must exit 2 with {words:?}: {run}"
        );
    }
    let removed = sandbox.run(&["step", "remove", "Echo it"], None)?;
    ensure!(removed.code == 0, "{removed}");
    let after = sandbox.run(&["runs", "list", "--json"], None)?;
    ensure!(
        after.stdout.contains("Echo it"),
        "a removed step's runs are kept: {after}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_must_ask_without_a_terminal_fails_at_once() -> Result<()> {
    let (sandbox, model, _everything) = sandbox(vec![
        Turn::tool_call("Everything__echo", json!({"message": "ask me"})),
        Turn::text("never reached"),
    ])
    .await?;
    let started = std::time::Instant::now();
    let run = sandbox.run(
        &[
            "run",
            "--model",
            "scripted/scripted-model",
            "--connector",
            "Everything",
            "--enable",
            "Everything:echo",
            "--prompt",
            "echo something",
        ],
        // stdin is a pipe, not a terminal: nobody can answer.
        Some(""),
    )?;
    ensure!(
        run.code == 2 && run.stderr.contains("nobody can answer"),
        "a clear failure, not a hang: {run}"
    );
    ensure!(started.elapsed().as_secs() < 30, "it fails at once");
    ensure!(
        model.conversation_requests().len() == 1,
        "nothing more was asked of the model"
    );
    let runs = sandbox.run(&["runs", "list", "--json"], None)?;
    ensure!(
        runs.stdout.contains("\"outcome\": \"failed\""),
        "the failed run is kept: {runs}"
    );
    Ok(())
}
