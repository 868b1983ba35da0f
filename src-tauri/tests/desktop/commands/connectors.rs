use patchbay_core::Patchbay;
use patchbay_core::keychain::MemoryKeychain;
use patchbay_desktop::{ErrorCode, IpcError, PatchbayState};
use serde_json::json;

use crate::{TestResult, app, fresh, invoke};

#[test]
fn lists_the_connectors_of_the_default_workspace() -> TestResult {
    let data_dir = tempfile::tempdir()?;
    let patchbay = Patchbay::open(
        data_dir.path(),
        MemoryKeychain::new(),
        "patchbay-desktop-test",
    )?;
    let app = app(PatchbayState::new(Ok(patchbay)))?;

    let response = invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?;
    assert_eq!(
        response,
        Ok(json!([])),
        "a fresh store has an empty Default workspace"
    );
    Ok(())
}

#[test]
fn an_unknown_workspace_is_a_not_found_error() -> TestResult {
    let data_dir = tempfile::tempdir()?;
    let patchbay = Patchbay::open(
        data_dir.path(),
        MemoryKeychain::new(),
        "patchbay-desktop-test",
    )?;
    let app = app(PatchbayState::new(Ok(patchbay)))?;

    let response = invoke(&app, "list_connectors", json!({ "workspace": "Nope" }))?;
    let error = response
        .err()
        .ok_or("listing an unknown workspace must fail")?;
    assert_eq!(
        error["code"], "NotFound",
        "the UI branches on the code: {error}"
    );
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("Nope")),
        "{error}"
    );
    Ok(())
}

#[test]
fn a_failed_open_is_returned_as_code_and_message() -> TestResult {
    let failure = IpcError::new(ErrorCode::KeychainUnavailable, "secure storage unavailable");
    let app = app(PatchbayState::new(Err(failure)))?;

    let response = invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?;
    assert_eq!(
        response,
        Err(json!({
            "code": "KeychainUnavailable",
            "message": "secure storage unavailable",
            "hint": null,
            "diagnosis": null,
            "redirect_uri": null,
            "run_id": null
        })),
        "the window opens even when the core cannot, and the UI learns why"
    );
    Ok(())
}

#[test]
fn add_with_bad_input_saves_nothing_and_says_why() -> TestResult {
    let (_dir, app) = fresh()?;
    let input = json!({ "name": "X", "url": "ftp://example.com", "auth": "token", "token": "t", "headers": [] });
    let error = invoke(
        &app,
        "add_connector",
        json!({ "workspace": "Default", "input": input }),
    )?
    .err()
    .ok_or("a non-http URL must be refused")?;
    assert_eq!(error["code"], "InvalidInput", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("http://")),
        "{error}"
    );
    assert_eq!(
        invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?,
        Ok(json!([]))
    );
    Ok(())
}

#[test]
fn add_to_a_closed_port_returns_the_diagnosis() -> TestResult {
    let (_dir, app) = fresh()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let input = json!({
        "name": "Down", "url": format!("http://127.0.0.1:{port}/mcp"), "auth": "none",
        "token": null, "headers": []
    });
    let error = invoke(
        &app,
        "add_connector",
        json!({ "workspace": "Default", "input": input }),
    )?
    .err()
    .ok_or("nothing listens there")?;
    assert_eq!(error["code"], "Unreachable", "{error}");
    assert_eq!(error["diagnosis"]["stage"], "connect", "{error}");
    assert!(
        error["hint"]
            .as_str()
            .is_some_and(|h| h.contains("server is running")),
        "{error}"
    );
    assert_eq!(
        invoke(&app, "list_connectors", json!({ "workspace": "Default" }))?,
        Ok(json!([]))
    );
    Ok(())
}

#[test]
fn workspaces_round_trip_through_commands() -> TestResult {
    let (_dir, app) = fresh()?;
    let created =
        invoke(&app, "add_workspace", json!({ "name": "Work" }))?.map_err(|e| e.to_string())?;
    assert_eq!(created["name"], "Work");
    let renamed = invoke(
        &app,
        "rename_workspace",
        json!({ "oldName": "Work", "newName": "Office" }),
    )?
    .map_err(|e| e.to_string())?;
    assert_eq!(renamed["name"], "Office");
    let listed = invoke(&app, "list_workspaces", json!({}))?.map_err(|e| e.to_string())?;
    let names: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w["name"].as_str())
        .collect();
    assert_eq!(names, ["Default", "Office"]);
    assert_eq!(
        invoke(&app, "remove_workspace", json!({ "name": "Office" }))?,
        Ok(json!(null))
    );
    let error = invoke(
        &app,
        "remove_connector",
        json!({ "workspace": "Default", "name": "Ghost" }),
    )?
    .err()
    .ok_or("unknown connector")?;
    assert_eq!(error["code"], "NotFound");
    Ok(())
}
