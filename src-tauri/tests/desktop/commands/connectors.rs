use patchbay_core::Patchbay;
use patchbay_core::keychain::MemoryKeychain;
use patchbay_desktop::{ErrorCode, IpcError, PatchbayState};
use serde_json::json;

use crate::{TestResult, app, invoke};

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
        Err(json!({ "code": "KeychainUnavailable", "message": "secure storage unavailable" })),
        "the window opens even when the core cannot, and the UI learns why"
    );
    Ok(())
}
