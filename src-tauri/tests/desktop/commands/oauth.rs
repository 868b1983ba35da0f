//! The OAuth commands on the mock runtime: sign-ins run side by side and are cancelled by their
//! flow id, a server that needs a client ID comes back as `NeedsClientId` with the redirect URI to
//! register, a deep link nobody asked for changes nothing, and a connector's step-up state reads
//! as lists of scopes. The browser never opens in these tests: each sign-in stops before it (a
//! server that never answers, or one without registration).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use patchbay_core::Patchbay;
use patchbay_core::keychain::MemoryKeychain;
use patchbay_core::oauth::flows::{Delivery, Dropped};
use patchbay_desktop::PatchbayState;
use serde_json::{Value, json};
use tauri::Manager;

use crate::{TestResult, app, fresh, invoke, invoke_in, main_window};

fn authorize_args(url: &str, flow_id: &str) -> Value {
    json!({
        "workspace": "Default",
        "input": { "name": format!("OAuth {flow_id}"), "url": url, "auth": "oauth",
                   "token": null, "headers": [] },
        "client": null,
        "flow": { "flow_id": flow_id, "redirect": "DeepLink" },
    })
}

/// Serves `answer(method, path)` to every request on a free port, each on its own thread;
/// `None` keeps the connection open without answering (a hung server).
fn serve(answer: fn(&str, &str, u16) -> Option<String>) -> Result<u16, std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().map_while(Result::ok) {
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                let Ok(read) = socket.read(&mut buffer) else {
                    return;
                };
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let mut line = head.split(' ');
                let (method, path) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
                match answer(method, path, port) {
                    Some(response) => {
                        if let Err(error) = socket.write_all(response.as_bytes()) {
                            eprintln!("stand-in server: {error}");
                        }
                    }
                    None => std::thread::sleep(Duration::from_secs(120)),
                }
            });
        }
    });
    Ok(port)
}

fn json_response(status: &str, extra_headers: &str, body: &Value) -> String {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra_headers}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Requests the hung stand-in server of `sign_ins_run_side_by_side_and_cancel_by_flow_id` has
/// received: each sign-in's discovery sends one once its flow is registered.
static HUNG_REQUESTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Waits until the hung server has seen `count` requests, i.e. that many sign-ins are running.
/// (Not by probing with the same flow id: a probe would hold the id for a moment itself, and a
/// sign-in starting in that moment would be refused.)
fn wait_until_running(count: usize) -> TestResult {
    let started = Instant::now();
    while HUNG_REQUESTS.load(std::sync::atomic::Ordering::SeqCst) < count {
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!(
                "only {} of {count} sign-ins reached the server",
                HUNG_REQUESTS.load(std::sync::atomic::Ordering::SeqCst)
            )
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

#[test]
fn sign_ins_run_side_by_side_and_cancel_by_flow_id() -> TestResult {
    let (_dir, app) = fresh()?;
    // Never answers: both sign-ins stay in discovery until cancelled.
    let port = serve(|_, _, _| {
        HUNG_REQUESTS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        None
    })?;
    let url = format!("http://127.0.0.1:{port}/mcp");
    let window = main_window(&app)?;
    let start = |flow_id: &'static str| {
        let (window, url) = (window.clone(), url.clone());
        std::thread::spawn(move || {
            invoke_in(
                &window,
                "authorize_connector",
                authorize_args(&url, flow_id),
            )
            .map_err(|error| error.to_string())
        })
    };
    let first = start("flow-a");
    let second = start("flow-b");
    wait_until_running(2)?;
    // The ids are taken now: a third sign-in with either is refused.
    let again = invoke_in(
        &window,
        "authorize_connector",
        authorize_args(&url, "flow-a"),
    )?;
    assert!(
        again.as_ref().err().is_some_and(|error| error["message"]
            .as_str()
            .is_some_and(|m| m.contains("already running"))),
        "a flow id in use is refused: {again:?}"
    );

    assert_eq!(
        invoke(&app, "cancel_authorization", json!({ "flowId": "flow-a" }))?,
        Ok(Value::Null)
    );
    let cancelled = first.join().map_err(|_| "thread panicked")??;
    let error = cancelled.err().ok_or("a cancelled sign-in must fail")?;
    assert!(
        error["message"] == "sign-in cancelled",
        "the cancelled flow ends as cancelled: {error}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !second.is_finished(),
        "cancelling flow-a must leave flow-b running"
    );
    assert_eq!(
        invoke(&app, "cancel_authorization", json!({ "flowId": "flow-b" }))?,
        Ok(Value::Null)
    );
    let cancelled = second.join().map_err(|_| "thread panicked")??;
    assert!(cancelled.is_err(), "flow-b ends once cancelled too");
    assert_eq!(
        invoke(&app, "cancel_authorization", json!({ "flowId": "flow-b" }))?,
        Ok(Value::Null),
        "a late Cancel is no error"
    );
    assert_eq!(
        invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?,
        Ok(json!([])),
        "nothing is saved"
    );
    Ok(())
}

#[test]
fn a_flow_id_must_be_a_plain_token() -> TestResult {
    let (_dir, app) = fresh()?;
    for flow_id in ["", "../etc", &"x".repeat(65)] {
        let error = invoke(
            &app,
            "authorize_connector",
            authorize_args("http://127.0.0.1:9/mcp", flow_id),
        )?
        .err()
        .ok_or("a bad flow id must be refused")?;
        assert_eq!(error["code"], "InvalidInput", "{flow_id:?}: {error}");
    }
    Ok(())
}

#[test]
fn a_server_without_registration_needs_a_client_id() -> TestResult {
    let (_dir, app) = fresh()?;
    // Discovery works, but the authorization server offers no registration endpoint.
    let port = serve(|method, path, port| {
        let base = format!("http://127.0.0.1:{port}");
        Some(match (method, path) {
            ("POST", "/mcp") => json_response(
                "401 Unauthorized",
                &format!(
                    "www-authenticate: Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"\r\n"
                ),
                &json!({}),
            ),
            ("GET", "/.well-known/oauth-protected-resource/mcp") => json_response(
                "200 OK",
                "",
                &json!({ "resource": format!("{base}/mcp"), "authorization_servers": [base] }),
            ),
            ("GET", "/.well-known/oauth-authorization-server") => json_response(
                "200 OK",
                "",
                &json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                }),
            ),
            _ => json_response("404 Not Found", "", &json!({})),
        })
    })?;
    let error = invoke(
        &app,
        "authorize_connector",
        authorize_args(&format!("http://127.0.0.1:{port}/mcp"), "flow-c"),
    )?
    .err()
    .ok_or("no registration means no sign-in")?;
    assert_eq!(
        error["code"], "NeedsClientId",
        "the UI branches on it: {error}"
    );
    assert_eq!(
        error["redirect_uri"], "dev.patchbay.desktop:/oauth/callback",
        "the URI to register comes with it: {error}"
    );
    Ok(())
}

#[test]
fn the_redirect_uris_to_register() -> TestResult {
    let (_dir, app) = fresh()?;
    assert_eq!(
        invoke(&app, "oauth_redirect_uris", json!({}))?,
        Ok(json!({
            "deep_link": "dev.patchbay.desktop:/oauth/callback",
            "loopback": "http://127.0.0.1/callback",
        }))
    );
    Ok(())
}

#[test]
fn a_deep_link_nobody_asked_for_changes_nothing() -> TestResult {
    let (_dir, app) = fresh()?;
    let state = app.state::<PatchbayState>();
    assert_eq!(
        state.deliver_callback("dev.patchbay.desktop:/oauth/callback?code=forged&state=forged"),
        Some(Delivery::Dropped(Dropped::UnknownState))
    );
    assert_eq!(
        state.deliver_callback("dev.patchbay.desktop:/oauth/done"),
        Some(Delivery::Dropped(Dropped::Malformed)),
        "the loopback page's way back to the app is no callback"
    );
    assert_eq!(
        invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?,
        Ok(json!([]))
    );
    Ok(())
}

#[test]
fn the_step_up_state_is_read_as_lists_of_scopes() -> TestResult {
    let data_dir = tempfile::tempdir()?;
    let patchbay = Patchbay::open(
        data_dir.path(),
        MemoryKeychain::new(),
        "patchbay-desktop-test",
    )?;
    for name in ["Drive", "Plain"] {
        let spec = patchbay_core::ConnectorSpec {
            name: name.into(),
            url: "http://127.0.0.1:9/mcp".into(),
            auth: patchbay_core::AuthKind::None,
            token: None,
            headers: Vec::new(),
            oauth: None,
            network: Default::default(),
        };
        tauri::async_runtime::block_on(patchbay.add_connector("Default", spec, false))?;
    }
    // What core records when a server answers 403 insufficient_scope, and after a
    // re-authentication the server did not grant in full; written the way core writes it.
    let store = patchbay_core::store::Store::open(
        &data_dir.path().join(patchbay_core::paths::DATABASE_FILE),
        "2026-01-01T00:00:00Z",
    )?;
    let workspace = store
        .workspace_by_name("Default")?
        .ok_or("no Default workspace")?;
    let drive = store
        .connector_by_name(&workspace.id, "Drive")?
        .ok_or("Drive was not saved")?;
    store.set_step_up(
        &drive.id,
        &patchbay_core::store::StepUp {
            needed: Some("files:write  files:read".into()),
            refused: Some("admin".into()),
        },
    )?;
    let app = app(PatchbayState::new(Ok(patchbay)))?;

    assert_eq!(
        invoke(
            &app,
            "connector_step_up",
            json!({ "workspace": "Default", "name": "Drive" })
        )?,
        Ok(json!({ "needed": ["files:write", "files:read"], "refused": ["admin"] })),
        "the recorded need and refusal, one scope per item"
    );
    assert_eq!(
        invoke(
            &app,
            "connector_step_up",
            json!({ "workspace": "Default", "name": "Plain" })
        )?,
        Ok(json!({ "needed": [], "refused": [] })),
        "no step-up: nothing more to ask for"
    );
    let error = invoke(
        &app,
        "connector_step_up",
        json!({ "workspace": "Default", "name": "Nope" }),
    )?
    .err()
    .ok_or("an unknown connector must fail")?;
    assert_eq!(error["code"], "NotFound", "{error}");
    Ok(())
}
