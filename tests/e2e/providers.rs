//! Model providers against the scripted model peer: added through the `patchbay` binary as a
//! user would (the key reaches the provider, is sealed at rest and never printed), refused when
//! the key is wrong or the address dead (nothing saved), listed with each model's tool support
//! and the person's override, removed with their key; and local servers found on loopback ports.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_core::keychain::os_keychain;
use patchbay_core::store::Store;
use patchbay_core::{Patchbay, ProviderKind, ProviderSpec, Secret, Timeouts, ToolsSource};
use patchbay_tests::model_peer::{DEFAULT_MODEL, ModelPeer};
use patchbay_tests::{Run, Sandbox, contains_bytes, free_port};
use serde_json::Value;

use crate::fake_http::{Behaviour, serve};

const KEY_SENTINEL: &str = "sk-SENTINEL-provider-4d9e21b7";

/// `patchbay ARGS` off the async workers, so the peer keeps answering while it runs.
fn run(sandbox: &Sandbox, args: &[&str], stdin: Option<&str>) -> Result<Run> {
    tokio::task::block_in_place(|| sandbox.run(args, stdin))
}

fn add_args<'a>(name: &'a str, base_url: &'a str, key: bool) -> Vec<&'a str> {
    let mut args = vec![
        "provider",
        "add",
        "--name",
        name,
        "--kind",
        "openai-compatible",
        "--base-url",
        base_url,
    ];
    if key {
        args.push("--api-key-stdin");
    }
    args
}

fn listed(sandbox: &Sandbox) -> Result<Vec<Value>> {
    let list = run(sandbox, &["provider", "list", "--json"], None)?;
    ensure!(list.code == 0, "list failed: {list}");
    let value: Value = serde_json::from_str(&list.stdout)?;
    Ok(value.as_array().cloned().unwrap_or_default())
}

/// Rows of the `secrets` table that belong to providers.
fn provider_secret_rows(sandbox: &Sandbox) -> Result<i64> {
    let store = Store::open(
        &sandbox.data_dir().join(patchbay_core::paths::DATABASE_FILE),
        "2026-01-01T00:00:00Z",
    )?;
    Ok(store.connection().query_row(
        "SELECT COUNT(*) FROM secrets WHERE owner_kind = 'provider'",
        [],
        |row| row.get(0),
    )?)
}

/// A failed run: exit code, words in stderr, and exactly one `error:` line.
fn failed(run: &Run, code: i32, words: &str) -> Result<()> {
    ensure!(run.code == code, "expected exit {code}: {run}");
    ensure!(
        run.stderr.contains(words),
        "stderr should mention {words:?}: {run}"
    );
    let errors = run
        .stderr
        .lines()
        .filter(|line| line.starts_with("error:"))
        .count();
    ensure!(errors == 1, "one error line: {run}");
    Ok(())
}

/// The facade on the sandbox's data directory and (private-session) OS keychain, with short
/// timeouts: every provider here is on loopback.
fn open(sandbox: &Sandbox) -> Result<Patchbay> {
    let keychain = os_keychain(&sandbox.keychain_service);
    let app = Patchbay::open(&sandbox.data_dir(), keychain, &sandbox.keychain_service)?;
    Ok(app.with_timeouts(Timeouts {
        connect: Duration::from_secs(2),
        request: Duration::from_secs(5),
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_reaches_the_provider_is_sealed_never_shown_and_removed_with_it() -> Result<()> {
    let peer = ModelPeer::start(vec![]).await?;
    peer.require_key(KEY_SENTINEL);
    let sandbox = Sandbox::new()?;
    let base_url = peer.base_url();

    let added = run(
        &sandbox,
        &add_args("Peer", &base_url, true),
        Some(&format!("{KEY_SENTINEL}\n")),
    )?;
    ensure!(added.code == 0, "add: {added}");
    let bearer = format!("Bearer {KEY_SENTINEL}");
    ensure!(
        peer.requests()
            .iter()
            .any(|request| request.path == "/v1/models"
                && request.header("authorization") == Some(bearer.as_str())),
        "the test must list the models with the key (a trimmed one, without the newline)"
    );

    let providers = listed(&sandbox)?;
    ensure!(providers.len() == 1, "{providers:?}");
    let provider = &providers[0];
    ensure!(
        provider["name"] == "Peer"
            && provider["kind"] == "openai-compatible"
            && provider["base_url"] == base_url.as_str()
            && provider["key_set"] == true,
        "{provider}"
    );
    let tested = run(&sandbox, &["provider", "test", "Peer"], None)?;
    ensure!(
        tested.code == 0 && tested.stdout.contains(DEFAULT_MODEL),
        "the stored key lists the models: {tested}"
    );
    let mut printed = String::new();
    for args in [
        vec!["provider", "list", "--json"],
        vec!["provider", "list"],
        vec!["models", "Peer", "--json"],
    ] {
        let shown = run(&sandbox, &args, None)?;
        ensure!(shown.code == 0, "{shown}");
        printed.push_str(&shown.stdout);
        printed.push_str(&shown.stderr);
    }
    printed.push_str(&added.stdout);
    printed.push_str(&added.stderr);
    printed.push_str(&tested.stdout);
    printed.push_str(&tested.stderr);
    ensure!(
        !printed.contains(KEY_SENTINEL),
        "no output may show the key: {printed}"
    );
    for (path, bytes) in sandbox.data_files()? {
        ensure!(
            !contains_bytes(&bytes, KEY_SENTINEL.as_bytes()),
            "the key is in plaintext in {}",
            path.display()
        );
    }
    ensure!(
        provider_secret_rows(&sandbox)? == 1,
        "the key is stored sealed"
    );

    let removed = run(&sandbox, &["provider", "remove", "peer"], None)?;
    ensure!(
        removed.code == 0,
        "names match case-insensitively: {removed}"
    );
    ensure!(listed(&sandbox)?.is_empty(), "the provider is gone");
    ensure!(
        provider_secret_rows(&sandbox)? == 0,
        "the sealed key is deleted with its provider"
    );
    let again = run(&sandbox, &["provider", "remove", "Peer"], None)?;
    failed(&again, 2, "no provider named \"Peer\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_or_a_dead_address_is_named_and_nothing_is_saved() -> Result<()> {
    let peer = ModelPeer::start(vec![]).await?;
    peer.require_key("sk-the-right-one");
    let sandbox = Sandbox::new()?;
    let base_url = peer.base_url();

    let wrong = run(
        &sandbox,
        &add_args("Peer", &base_url, true),
        Some("sk-a-wrong-one"),
    )?;
    failed(&wrong, 1, "refused the API key")?;
    ensure!(
        !wrong.stderr.contains("sk-a-wrong-one"),
        "the error never quotes the key: {wrong}"
    );
    ensure!(
        listed(&sandbox)?.is_empty(),
        "nothing saved after a refusal"
    );

    let dead = format!("http://127.0.0.1:{}/v1", free_port()?);
    let unreachable = run(&sandbox, &add_args("Dead", &dead, false), None)?;
    failed(&unreachable, 1, "could not reach the model provider")?;
    ensure!(
        listed(&sandbox)?.is_empty(),
        "nothing saved when unreachable"
    );

    let scheme = run(
        &sandbox,
        &add_args("Ftp", "ftp://127.0.0.1/v1", false),
        None,
    )?;
    failed(&scheme, 2, "http:// or https://")?;
    let empty_key = run(&sandbox, &add_args("Empty", &base_url, true), Some("\n"))?;
    failed(&empty_key, 2, "the API key must not be empty")?;

    let saved = run(
        &sandbox,
        &add_args("Peer", &base_url, true),
        Some("sk-the-right-one"),
    )?;
    ensure!(saved.code == 0, "{saved}");
    let mut duplicate = add_args("PEER", &base_url, false);
    duplicate.push("--skip-test");
    let duplicate = run(&sandbox, &duplicate, None)?;
    failed(&duplicate, 2, "already exists")?;
    ensure!(listed(&sandbox)?.len() == 1, "the duplicate is not saved");

    // An edit is tested as an add is: a wrong new key changes nothing.
    let wrong_edit = run(
        &sandbox,
        &["provider", "edit", "Peer", "--api-key-stdin"],
        Some("sk-another-wrong-one"),
    )?;
    failed(&wrong_edit, 1, "refused the API key")?;
    let tested = run(&sandbox, &["provider", "test", "Peer"], None)?;
    ensure!(tested.code == 0, "the old key is kept: {tested}");
    let renamed = run(
        &sandbox,
        &["provider", "edit", "Peer", "--name", "Renamed", "--json"],
        None,
    )?;
    ensure!(renamed.code == 0, "{renamed}");
    let view: Value = serde_json::from_str(&renamed.stdout)?;
    ensure!(
        view["name"] == "Renamed" && view["key_set"] == true,
        "{renamed}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_show_tool_support_and_the_persons_verdict_comes_first() -> Result<()> {
    let peer = ModelPeer::start(vec![]).await?;
    peer.set_models(vec![
        "gpt-4o".into(),
        "text-embedding-3-small".into(),
        "mystery-model".into(),
    ]);
    let sandbox = Sandbox::new()?;
    let added = run(&sandbox, &add_args("Peer", &peer.base_url(), false), None)?;
    ensure!(added.code == 0, "{added}");

    let models = |sandbox: &Sandbox| -> Result<Vec<(String, Value, String)>> {
        let listed = run(sandbox, &["models", "Peer", "--json"], None)?;
        ensure!(listed.code == 0, "{listed}");
        let value: Value = serde_json::from_str(&listed.stdout)?;
        Ok(value
            .as_array()
            .context("a list")?
            .iter()
            .map(|model| {
                (
                    model["id"].as_str().unwrap_or_default().to_owned(),
                    model["tools"].clone(),
                    model["tools_source"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect())
    };
    let expect = |id: &str, tools: Value, source: &str| (id.to_owned(), tools, source.to_owned());
    ensure!(
        models(&sandbox)?
            == vec![
                expect("gpt-4o", Value::Bool(true), "known_models"),
                expect("text-embedding-3-small", Value::Bool(false), "known_models"),
                expect("mystery-model", Value::Null, "unknown"),
            ],
        "the table judges what the provider does not report: {:?}",
        models(&sandbox)?
    );

    for (model, verdict) in [("gpt-4o", "no"), ("mystery-model", "yes")] {
        let set = run(
            &sandbox,
            &["models", "Peer", "--set-tools", model, verdict],
            None,
        )?;
        ensure!(
            set.code == 0 && set.stderr.contains("your setting"),
            "{set}"
        );
    }
    ensure!(
        models(&sandbox)?
            == vec![
                expect("gpt-4o", Value::Bool(false), "override"),
                expect("text-embedding-3-small", Value::Bool(false), "known_models"),
                expect("mystery-model", Value::Bool(true), "override"),
            ],
        "the person's verdict outranks the table: {:?}",
        models(&sandbox)?
    );
    let text = run(&sandbox, &["models", "Peer"], None)?;
    ensure!(
        text.code == 0
            && text.stdout.lines().any(|line| line.starts_with("gpt-4o")
                && line.contains("no")
                && line.contains("your setting")),
        "{text}"
    );

    let auto = run(
        &sandbox,
        &["models", "Peer", "--set-tools", "gpt-4o", "auto", "--json"],
        None,
    )?;
    ensure!(auto.code == 0, "{auto}");
    let verdict: Value = serde_json::from_str(&auto.stdout)?;
    ensure!(
        verdict["tools"] == true && verdict["tools_source"] == "known_models",
        "auto forgets the verdict: {auto}"
    );
    let bad = run(
        &sandbox,
        &["models", "Peer", "--set-tools", "gpt-4o", "maybe"],
        None,
    )?;
    failed(&bad, 2, "yes, no or auto")?;
    let unknown = run(&sandbox, &["models", "Nobody"], None)?;
    failed(&unknown, 2, "no provider named \"Nobody\"")?;

    // A model typed in by hand is judged offline: the person's verdict, then the table.
    let app = open(&sandbox)?;
    drop(peer);
    // The peer's listener closes once its task has seen the abort.
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.set_model_tools("Default", "Peer", "typed-in", Some(true))?;
    ensure!(
        app.model_tool_support("Default", "Peer", "typed-in")
            .await?
            == (Some(true), ToolsSource::Override)
    );
    ensure!(
        app.model_tool_support("Default", "Peer", "claude-3-5-sonnet-latest")
            .await?
            == (Some(true), ToolsSource::KnownModels),
        "an unreachable provider does not stop the table"
    );
    ensure!(
        app.model_tool_support("Default", "Peer", "never-heard-of")
            .await?
            == (None, ToolsSource::Unknown)
    );
    ensure!(
        app.models("Default", "Peer").await.is_err(),
        "listing itself does fail when the provider is gone"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workspace_takes_its_providers_and_their_keys_with_it() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let app = open(&sandbox)?;
    app.add_workspace("Elsewhere")?;
    let spec = ProviderSpec {
        name: "Cloud".into(),
        kind: ProviderKind::Anthropic,
        base_url: "https://api.anthropic.com/v1".into(),
        api_key: Some(Secret::new(KEY_SENTINEL)),
    };
    let view = app.add_provider("Elsewhere", spec, false).await?;
    ensure!(
        view.key_set && view.kind == ProviderKind::Anthropic,
        "{view:?}"
    );
    app.set_model_tools("Elsewhere", "Cloud", "claude-2.1", Some(true))?;
    ensure!(provider_secret_rows(&sandbox)? == 1);
    app.remove_workspace("Elsewhere")?;
    ensure!(
        provider_secret_rows(&sandbox)? == 0,
        "the key goes with its workspace"
    );
    let store = Store::open(
        &sandbox.data_dir().join(patchbay_core::paths::DATABASE_FILE),
        "2026-01-01T00:00:00Z",
    )?;
    let left: i64 = store.connection().query_row(
        "SELECT (SELECT COUNT(*) FROM providers) + (SELECT COUNT(*) FROM model_tools)",
        [],
        |row| row.get(0),
    )?;
    ensure!(left == 0, "no provider or override outlives its workspace");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_finds_a_server_on_loopback_and_ignores_the_rest() -> Result<()> {
    let peer = ModelPeer::start(vec![]).await?;
    let website = serve(Behaviour::Html).await?;
    let website_port: u16 = website.rsplit(':').next().context("a port")?.parse()?;
    let closed = free_port()?;
    let sandbox = Sandbox::new()?;
    let app = open(&sandbox)?;

    let found = app
        .discover_local_providers_on(&[
            ("Closed", closed),
            ("Peer", peer.port()),
            ("Website", website_port),
        ])
        .await;
    ensure!(found.len() == 1, "only the model server counts: {found:?}");
    let local = &found[0];
    ensure!(
        local.suggested_name == "Peer"
            && local.base_url == peer.base_url()
            && local.kind == ProviderKind::OpenAiCompatible
            && local.models == vec![DEFAULT_MODEL.to_owned()],
        "{local:?}"
    );
    ensure!(
        peer.requests()
            .iter()
            .all(|request| request.method == "GET" && request.path == "/v1/models"),
        "a probe only lists models"
    );
    ensure!(
        app.list_providers("Default")?.is_empty(),
        "discovery saves nothing"
    );

    // The real default ports: whatever runs there, the command answers and saves nothing.
    let discover = run(&sandbox, &["provider", "discover", "--json"], None)?;
    ensure!(discover.code == 0, "{discover}");
    ensure!(
        serde_json::from_str::<Value>(&discover.stdout)?.is_array(),
        "{discover}"
    );
    Ok(())
}
