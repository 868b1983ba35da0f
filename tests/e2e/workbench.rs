//! The connector workbench through the `patchbay` binary, against the real server-everything:
//! tools with their enabled switch and budget, every content kind a call can return, progress,
//! resources (text and binary), prompts with arguments, check history, the redacted
//! diagnostics report, pause / resume / duplicate, and the switch honoured by steps (the
//! scripted provider records what the model was offered: a mock model, because the loop and
//! not the model is under test).

use anyhow::{Context, Result, ensure};
use patchbay_tests::model_peer::{ModelPeer, Turn};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};
use serde_json::{Value, json};

fn added(sandbox: &Sandbox, name: &str, url: &str) -> Result<()> {
    let added = sandbox.run(&["connector", "add", "--name", name, "--url", url], None)?;
    ensure!(added.code == 0, "{added}");
    Ok(())
}

fn json_of(sandbox: &Sandbox, args: &[&str]) -> Result<Value> {
    let mut all = args.to_vec();
    all.push("--json");
    let run = sandbox.run(&all, None)?;
    ensure!(run.code == 0, "{run}");
    serde_json::from_str(&run.stdout).with_context(|| format!("{args:?} prints JSON: {run}"))
}

fn tool<'a>(tools: &'a Value, name: &str) -> Result<&'a Value> {
    tools
        .as_array()
        .and_then(|tools| tools.iter().find(|tool| tool["name"] == name))
        .with_context(|| format!("tool {name} in {tools}"))
}

#[test]
fn tools_list_their_schemas_annotations_and_switch_and_the_switch_is_kept() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    added(
        &sandbox,
        "ev",
        &peer.everything_url(EverythingMode::StreamableHttp),
    )?;
    let tools = json_of(&sandbox, &["tools", "ev"])?;
    let echo = tool(&tools, "echo")?;
    ensure!(
        echo["enabled"] == true
            && echo["inputSchema"]["properties"]["message"]["type"] == "string"
            && echo["annotations"]["readOnlyHint"] == true
            && echo["tokens"].as_u64().is_some_and(|tokens| tokens > 10),
        "the server's tool with its schema, annotations, switch and size: {echo}"
    );

    let disabled = sandbox.run(&["tool", "disable", "ev", "echo", "get-sum"], None)?;
    ensure!(disabled.code == 0, "{disabled}");
    ensure!(
        disabled.stderr.contains("tools enabled")
            && disabled.stderr.contains("4 characters per token"),
        "the budget and how it is estimated: {disabled}"
    );
    let tools = json_of(&sandbox, &["tools", "ev"])?;
    ensure!(
        tool(&tools, "echo")?["enabled"] == false
            && tool(&tools, "get-sum")?["enabled"] == false
            && tool(&tools, "get-tiny-image")?["enabled"] == true,
        "the switch is kept per connector: {tools}"
    );
    let human = sandbox.run(&["tools", "ev"], None)?;
    ensure!(
        human
            .stdout
            .lines()
            .any(|line| line.starts_with("echo\t") && line.ends_with("\tdisabled")),
        "{human}"
    );

    // A typo is refused with the names the server has, and nothing changes.
    let typo = sandbox.run(&["tool", "disable", "ev", "ecko"], None)?;
    ensure!(
        typo.code == 2
            && typo.stderr.contains("no tool \"ecko\"")
            && typo.stderr.contains("get-sum"),
        "{typo}"
    );
    let enabled = sandbox.run(&["tool", "enable", "ev", "echo"], None)?;
    ensure!(enabled.code == 0, "{enabled}");
    let tools = json_of(&sandbox, &["tools", "ev"])?;
    ensure!(tool(&tools, "echo")?["enabled"] == true, "{tools}");

    // A disabled tool can still be called by hand, with a note.
    let call = sandbox.run(
        &["call", "ev", "get-sum", "--args", r#"{"a": 2, "b": 3}"#],
        None,
    )?;
    ensure!(
        call.code == 0 && call.stdout.contains('5') && call.stderr.contains("disabled"),
        "{call}"
    );
    Ok(())
}

#[test]
fn calls_show_every_content_kind_and_progress() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    added(
        &sandbox,
        "ev",
        &peer.everything_url(EverythingMode::StreamableHttp),
    )?;

    let image = sandbox.run(&["call", "ev", "get-tiny-image"], None)?;
    ensure!(
        image.code == 0 && image.stdout.contains("[image: image/png,"),
        "an image is described by type and size: {image}"
    );
    let raw = json_of(&sandbox, &["call", "ev", "get-tiny-image"])?;
    let data = raw["content"]
        .as_array()
        .and_then(|parts| parts.iter().find(|part| part["type"] == "image"))
        .and_then(|part| part["data"].as_str())
        .context("--json carries the image's data")?;
    ensure!(
        data.starts_with("iVBOR"),
        "a PNG, base64: {}",
        &data[..16.min(data.len())]
    );

    let structured = sandbox.run(
        &[
            "call",
            "ev",
            "get-structured-content",
            "--args",
            r#"{"location": "New York"}"#,
        ],
        None,
    )?;
    ensure!(
        structured.code == 0
            && structured.stdout.contains("structured content:")
            && structured.stdout.contains("\"temperature\""),
        "{structured}"
    );

    let links = sandbox.run(
        &[
            "call",
            "ev",
            "get-resource-links",
            "--args",
            r#"{"count": 2}"#,
        ],
        None,
    )?;
    ensure!(
        links.code == 0 && links.stdout.matches("[link: ").count() == 2,
        "two resource links: {links}"
    );

    let args_file = sandbox.data_dir().join("reference.json");
    std::fs::write(&args_file, r#"{"resourceType": "Text", "resourceId": 1}"#)?;
    let reference = sandbox.run(
        &[
            "call",
            "ev",
            "get-resource-reference",
            "--args-file",
            args_file.to_str().context("utf-8 path")?,
        ],
        None,
    )?;
    ensure!(
        reference.code == 0 && reference.stdout.contains("[resource demo://resource/"),
        "an embedded resource: {reference}"
    );
    let from_stdin = sandbox.run(
        &["call", "ev", "echo", "--args-file", "-"],
        Some(r#"{"message": "through stdin"}"#),
    )?;
    ensure!(from_stdin.stdout.contains("through stdin"), "{from_stdin}");

    let long = sandbox.run(
        &[
            "call",
            "ev",
            "trigger-long-running-operation",
            "--args",
            r#"{"duration": 2, "steps": 4}"#,
        ],
        None,
    )?;
    let updates = long.stderr.matches("progress: ").count();
    ensure!(
        long.code == 0 && updates >= 3 && long.stderr.contains("progress: 100 %"),
        "progress as the server sends it ({updates} updates): {long}"
    );

    // Bad arguments: not JSON, not an object, a missing file — exit 2, nothing sent.
    for args in [
        vec!["call", "ev", "echo", "--args", "{"],
        vec!["call", "ev", "echo", "--args", "[1]"],
        vec![
            "call",
            "ev",
            "echo",
            "--args-file",
            "/nonexistent/args.json",
        ],
    ] {
        let bad = sandbox.run(&args, None)?;
        ensure!(
            bad.code == 2 && bad.stderr.starts_with("error: "),
            "{args:?}: {bad}"
        );
    }
    // The tool's own failure (an unknown tool) is a failure, exit 1.
    let unknown = sandbox.run(&["call", "ev", "no-such-tool"], None)?;
    ensure!(unknown.code == 1, "{unknown}");
    Ok(())
}

#[test]
fn resources_read_text_and_binary_and_prompts_take_arguments() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    added(
        &sandbox,
        "ev",
        &peer.everything_url(EverythingMode::StreamableHttp),
    )?;

    let catalog = json_of(&sandbox, &["resource", "list", "ev"])?;
    let resources = catalog["resources"].as_array().context("resources")?;
    ensure!(!resources.is_empty(), "{catalog}");
    let templates = catalog["templates"].as_array().context("templates")?;
    ensure!(
        templates.iter().any(|template| template["uri_template"]
            .as_str()
            .is_some_and(|t| t.contains('{'))),
        "server-everything lists URI templates: {catalog}"
    );

    let text = sandbox.run(
        &[
            "resource",
            "read",
            "ev",
            "demo://resource/static/document/architecture.md",
        ],
        None,
    )?;
    ensure!(
        text.code == 0 && text.stdout.contains("Architecture"),
        "{text}"
    );

    let blob_uri = "demo://resource/dynamic/blob/1";
    let blob = sandbox.run(&["resource", "read", "ev", blob_uri], None)?;
    ensure!(
        blob.code == 0 && blob.stdout.contains("binary,") && blob.stdout.contains("bytes"),
        "a binary resource is described by size: {blob}"
    );
    let out = sandbox.data_dir().join("blob.bin");
    let saved = sandbox.run(
        &[
            "resource",
            "read",
            "ev",
            blob_uri,
            "--out",
            out.to_str().context("utf-8 path")?,
        ],
        None,
    )?;
    let written = std::fs::read(&out).context("--out writes the file")?;
    ensure!(
        saved.code == 0
            && !written.is_empty()
            && saved
                .stderr
                .contains(&format!("Wrote {} bytes", written.len())),
        "{saved}"
    );
    let missing = sandbox.run(&["resource", "read", "ev", "demo://no/such/thing"], None)?;
    ensure!(
        missing.code != 0 && missing.stderr.starts_with("error: "),
        "{missing}"
    );

    let prompts = json_of(&sandbox, &["prompt", "list", "ev"])?;
    let args_prompt = prompts
        .as_array()
        .and_then(|prompts| {
            prompts
                .iter()
                .find(|prompt| prompt["name"] == "args-prompt")
        })
        .context("args-prompt")?;
    ensure!(
        args_prompt["arguments"]
            .as_array()
            .is_some_and(|arguments| arguments
                .iter()
                .any(|a| a["name"] == "city" && a["required"] == true)),
        "arguments with required: {args_prompt}"
    );
    let got = sandbox.run(
        &[
            "prompt",
            "get",
            "ev",
            "args-prompt",
            "--args",
            r#"{"city": "Lisbon"}"#,
        ],
        None,
    )?;
    ensure!(
        got.code == 0 && got.stdout.contains("Lisbon") && got.stdout.contains("user:"),
        "{got}"
    );
    let bad = sandbox.run(
        &["prompt", "get", "ev", "args-prompt", "--args", "city"],
        None,
    )?;
    ensure!(bad.code == 2, "{bad}");
    Ok(())
}

#[test]
fn history_diagnostics_pause_resume_and_duplicate() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    // server-everything ignores credentials, so a token, a secret header and a query key can
    // all be stored on a working connector.
    let token = "tok-7d1c2b9e4f0a5b6c";
    let header_secret = "hdr-0f9e8d7c6b5a4f3e";
    let query_key = "qk-a1b2c3d4e5f60718";
    let url = format!(
        "{}?api_key={query_key}",
        peer.everything_url(EverythingMode::StreamableHttp)
    );
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "keyed",
            "--url",
            &url,
            "--token-stdin",
            "--header",
            &format!("X-Team: {header_secret}"),
        ],
        Some(token),
    )?;
    ensure!(add.code == 0, "{add}");
    for _ in 0..2 {
        let test = sandbox.run(&["connector", "test", "keyed"], None)?;
        ensure!(test.code == 0, "{test}");
    }
    let history = json_of(&sandbox, &["connector", "history", "keyed"])?;
    let checks = history.as_array().context("history")?;
    ensure!(
        checks.len() == 3
            && checks.iter().all(|check| check["status"] == "connected"
                && check["latency_ms"].is_u64()
                && check["tool_count"].as_u64().is_some_and(|count| count > 5)),
        "the add's test and two tests, newest first: {history}"
    );

    let report = sandbox.run(&["connector", "diagnostics", "keyed"], None)?;
    ensure!(report.code == 0, "{report}");
    for secret in [token, header_secret, query_key] {
        ensure!(
            !report.stdout.contains(secret),
            "the report leaks {secret}: {report}"
        );
    }
    ensure!(
        report.stdout.contains("api_key=****")
            && report.stdout.contains("X-Team (values hidden)")
            && report.stdout.contains("last 3 checks")
            && report.stdout.contains("connected"),
        "the report says what it can: {report}"
    );

    let paused = sandbox.run(&["connector", "pause", "keyed"], None)?;
    ensure!(paused.code == 0, "{paused}");
    let listed = json_of(&sandbox, &["connector", "list"])?;
    ensure!(listed[0]["paused"] == true, "{listed}");
    let list = sandbox.run(&["connector", "list"], None)?;
    ensure!(list.stdout.contains("paused"), "{list}");
    let resumed = sandbox.run(&["connector", "resume", "keyed"], None)?;
    ensure!(resumed.code == 0, "{resumed}");
    let listed = json_of(&sandbox, &["connector", "list"])?;
    ensure!(listed[0]["paused"] == false, "{listed}");

    let copy = sandbox.run(&["connector", "duplicate", "keyed"], None)?;
    ensure!(
        copy.code == 0 && copy.stderr.contains("\"keyed (copy)\""),
        "{copy}"
    );
    let named = sandbox.run(
        &["connector", "duplicate", "keyed", "--name", "second"],
        None,
    )?;
    ensure!(named.code == 0, "{named}");
    let taken = sandbox.run(
        &["connector", "duplicate", "keyed", "--name", "second"],
        None,
    )?;
    ensure!(taken.code == 2, "a taken name is refused: {taken}");
    // The copy has its own sealed secrets and works on its own.
    let test = sandbox.run(&["connector", "test", "keyed (copy)"], None)?;
    ensure!(test.code == 0, "{test}");
    let shown = json_of(&sandbox, &["connector", "show", "second"])?;
    ensure!(
        shown["token_set"] == true && shown["header_names"] == json!(["X-Team"]),
        "{shown}"
    );
    let removed = sandbox.run(&["connector", "remove", "keyed"], None)?;
    ensure!(removed.code == 0, "{removed}");
    let still = sandbox.run(&["connector", "test", "second"], None)?;
    ensure!(still.code == 0, "the copy outlives its original: {still}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_never_offer_a_disabled_tool_and_refuse_a_paused_connector() -> Result<()> {
    let everything = server_everything(EverythingMode::StreamableHttp)?;
    let model = ModelPeer::start(vec![Turn::text("Nothing to do.")]).await?;
    let sandbox = Sandbox::new()?;
    added(
        &sandbox,
        "Everything",
        &everything.everything_url(EverythingMode::StreamableHttp),
    )?;
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
    let disabled = sandbox.run(&["tool", "disable", "Everything", "get-env", "echo"], None)?;
    ensure!(disabled.code == 0, "{disabled}");
    let run_args = [
        "run",
        "--model",
        "scripted/scripted-model",
        "--connector",
        "Everything",
        "--approve",
        "auto",
        "--prompt",
        "Hello",
    ];
    let run = sandbox.run(&run_args, None)?;
    ensure!(run.code == 0, "{run}");
    let requests = model.conversation_requests();
    let offered = requests
        .first()
        .context("the model was asked")?
        .tool_names();
    ensure!(
        run.stderr
            .contains(&format!("Offering {} tools, about ", offered.len())),
        "the run says what it offers: {run}"
    );
    ensure!(
        offered.iter().any(|name| name == "Everything__get-sum")
            && !offered
                .iter()
                .any(|name| name == "Everything__get-env" || name == "Everything__echo"),
        "disabled tools are never offered: {offered:?}"
    );

    // Naming a disabled tool explicitly is refused with the way out.
    let named = sandbox.run(
        &[
            "run",
            "--model",
            "scripted/scripted-model",
            "--connector",
            "Everything",
            "--enable",
            "Everything:echo",
            "--prompt",
            "Hello",
        ],
        None,
    )?;
    ensure!(
        named.code == 2 && named.stderr.contains("switched off"),
        "{named}"
    );

    let paused = sandbox.run(&["connector", "pause", "Everything"], None)?;
    ensure!(paused.code == 0, "{paused}");
    let refused = sandbox.run(&run_args, None)?;
    ensure!(
        refused.code == 2 && refused.stderr.contains("paused"),
        "a paused connector is not used by steps: {refused}"
    );
    Ok(())
}

#[test]
fn edit_changes_the_auth_type_and_drops_the_old_credentials() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "ev",
            "--url",
            &url,
            "--token-stdin",
        ],
        Some("tok-switch-1234567"),
    )?;
    ensure!(add.code == 0, "{add}");

    let to_none = sandbox.run(&["connector", "edit", "ev", "--auth", "none"], None)?;
    ensure!(to_none.code == 0, "{to_none}");
    let shown = json_of(&sandbox, &["connector", "show", "ev"])?;
    ensure!(
        shown["auth"] == "none" && shown["token_set"] == false,
        "{shown}"
    );

    let without_token = sandbox.run(&["connector", "edit", "ev", "--auth", "token"], None)?;
    ensure!(
        without_token.code == 2 && without_token.stderr.contains("needs the token"),
        "{without_token}"
    );
    let to_oauth = sandbox.run(&["connector", "edit", "ev", "--auth", "oauth"], None)?;
    ensure!(
        to_oauth.code == 2 && to_oauth.stderr.contains("sign-in"),
        "{to_oauth}"
    );
    let to_token = sandbox.run(
        &[
            "connector",
            "edit",
            "ev",
            "--auth",
            "token",
            "--token-stdin",
        ],
        Some("tok-switch-7654321"),
    )?;
    ensure!(to_token.code == 0, "{to_token}");
    let shown = json_of(&sandbox, &["connector", "show", "ev"])?;
    ensure!(
        shown["auth"] == "token" && shown["token_set"] == true,
        "{shown}"
    );
    let history = json_of(&sandbox, &["connector", "history", "ev"])?;
    ensure!(
        history.as_array().is_some_and(|checks| checks.len() == 3),
        "each edit's test is in the history: {history}"
    );
    Ok(())
}

/// The playground's call through the facade: progress reaches the caller as the server sends
/// it, and Cancel ends a long call at once instead of waiting it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_reports_progress_and_cancel_ends_it_at_once() -> Result<()> {
    use patchbay_core::keychain::MemoryKeychain;
    use patchbay_core::{AuthKind, ConnectorSpec, Patchbay, Progress};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let dir = tempfile::tempdir()?;
    let app = Patchbay::open(dir.path(), MemoryKeychain::new(), "dev.patchbay.unit")?;
    let spec = ConnectorSpec {
        name: "ev".into(),
        url: peer.everything_url(EverythingMode::StreamableHttp),
        auth: AuthKind::None,
        token: None,
        headers: vec![],
        oauth: None,
        network: Default::default(),
    };
    app.add_connector("Default", spec, false).await?;
    let arguments = |duration: u64, steps: u64| {
        json!({"duration": duration, "steps": steps})
            .as_object()
            .cloned()
    };

    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = seen.clone();
    let record = move |progress: Progress| {
        if let Ok(mut seen) = sink.lock() {
            seen.push(progress);
        }
    };
    let outcome = app
        .call_tool_shown(
            "Default",
            "ev",
            "trigger-long-running-operation",
            arguments(2, 4),
            &record,
            tokio_util::sync::CancellationToken::new(),
        )
        .await?;
    let seen = seen
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    ensure!(
        seen.len() == 4
            && seen
                .last()
                .is_some_and(|last| last.progress == 4.0 && last.total == Some(4.0)),
        "each progress notification, in order: {seen:?}"
    );
    ensure!(
        !outcome.is_error && outcome.duration_ms >= 1900,
        "the result and how long it took: {outcome:?}"
    );

    let cancel = tokio_util::sync::CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let cancelled = app
        .call_tool_shown(
            "Default",
            "ev",
            "trigger-long-running-operation",
            arguments(30, 30),
            &|_| {},
            cancel,
        )
        .await;
    let took = started.elapsed();
    ensure!(
        matches!(cancelled, Err(patchbay_core::Error::Cancelled(_))),
        "{cancelled:?}"
    );
    ensure!(
        took < Duration::from_secs(10),
        "cancelled after {took:?}, not after the tool's 30 s"
    );
    Ok(())
}
