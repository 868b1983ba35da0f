//! Checklist 30: every command the page may invoke, called with hostile arguments — missing,
//! of the wrong type, control and escape characters, a path, a `file:`/`javascript:` URL, a
//! megabyte of text — answers with an error or a harmless value and never with a secret: the
//! connector's token and header value and the provider's API key (sentinels) appear in no reply,
//! and the app keeps working afterwards. Over the real capabilities and commands (mock runtime).

use serde_json::{Value, json};

use super::{TestResult, app, invoke};

const TOKEN: &str = "SNTL-sweep-token-51c0";
const HEADER: &str = "SNTL-sweep-header-a7e2";
const API_KEY: &str = "SNTL-sweep-apikey-93bd";

/// The argument names the commands take (camelCase, as the page sends them).
const KEYS: &[&str] = &[
    "workspace",
    "name",
    "newName",
    "oldName",
    "connector",
    "connectorId",
    "provider",
    "model",
    "tool",
    "tools",
    "id",
    "runId",
    "requestId",
    "flowId",
    "step",
    "input",
    "flow",
    "client",
    "spec",
    "answer",
    "callId",
    "watchId",
    "uri",
    "prompt",
    "arguments",
    "enabled",
];

fn hostile_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(7),
        json!([1, "two"]),
        json!({ "nested": { "deeper": [null] } }),
        json!("\u{0}\u{1b}]52;c;cHduZWQ=\u{7}\u{202e}"),
        json!("../../../../etc/passwd"),
        json!("file:///etc/passwd"),
        json!("javascript:alert(1)"),
        json!("Default"),
        json!("x".repeat(1024 * 1024)),
        json!({ "name": "Evil\u{1b}[2J", "url": "file:///etc/passwd", "auth": "token",
                "token": "t", "headers": [] }),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_with_hostile_arguments_answers_without_a_secret() -> TestResult {
    let data_dir = tempfile::tempdir()?;
    let patchbay = patchbay_core::Patchbay::open(
        data_dir.path(),
        patchbay_core::keychain::MemoryKeychain::new(),
        "patchbay-desktop-test",
    )?;
    let connector = patchbay_core::ConnectorSpec {
        name: "Secret".into(),
        url: "http://127.0.0.1:9/mcp".into(),
        auth: patchbay_core::AuthKind::Token,
        token: Some(patchbay_core::Secret::new(TOKEN)),
        headers: vec![("X-Key".into(), patchbay_core::Secret::new(HEADER))],
        oauth: None,
        network: Default::default(),
    };
    patchbay.add_connector("Default", connector, false).await?;
    let provider = patchbay_core::ProviderSpec {
        name: "Model".into(),
        kind: patchbay_core::ProviderKind::OpenAiCompatible,
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key: Some(patchbay_core::Secret::new(API_KEY)),
    };
    patchbay.add_provider("Default", provider, false).await?;
    let app = app(patchbay_desktop::PatchbayState::new(Ok(patchbay)))?;

    let mut calls = 0;
    for command in patchbay_desktop::COMMAND_NAMES {
        // Quitting takes no arguments and ends the process, which Tauri's mock runtime cannot.
        if *command == "quit_app" {
            continue;
        }
        let mut shapes = vec![json!({})];
        for value in hostile_values() {
            let args: serde_json::Map<String, Value> = KEYS
                .iter()
                .map(|key| ((*key).to_owned(), value.clone()))
                .collect();
            shapes.push(Value::Object(args));
        }
        for args in shapes {
            let reply = invoke(&app, command, args)?;
            calls += 1;
            let text = match &reply {
                Ok(value) | Err(value) => value.to_string(),
            };
            for sentinel in [TOKEN, HEADER, API_KEY] {
                assert!(
                    !text.contains(sentinel),
                    "{command} replied with a secret: {}",
                    text.chars().take(300).collect::<String>()
                );
            }
        }
    }
    assert!(calls >= 12 * 37, "every command was called ({calls} calls)");

    // Still working, and the sentinel connector is intact.
    let list = invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?
        .map_err(|error| format!("listing after the sweep: {error}"))?;
    let names: Vec<&str> = list
        .as_array()
        .map(|rows| rows.iter().filter_map(|row| row["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"Secret"), "{list}");
    Ok(())
}
