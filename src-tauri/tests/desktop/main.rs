//! The desktop shell's tests, one module per module of `src/`. They drive the real builder
//! (`run_app`), the real config and capabilities (`generate_context!`) and the real core on a
//! temp dir with an in-memory keychain, over Tauri's mock runtime: no window, no OS keychain.

mod bindings;
mod commands;
mod shell;
mod sweep;

use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The app as `run()` builds it, over `state` instead of the environment.
fn app(state: patchbay_desktop::PatchbayState) -> Result<App<MockRuntime>, tauri::Error> {
    patchbay_desktop::run_app(mock_builder().manage(state)).build(tauri::generate_context!())
}

/// The app over a real core on a fresh temp dir with an in-memory keychain (keep the dir alive
/// as long as the app).
fn fresh() -> Result<(tempfile::TempDir, App<MockRuntime>), Box<dyn std::error::Error>> {
    let data_dir = tempfile::tempdir()?;
    let patchbay = patchbay_core::Patchbay::open(
        data_dir.path(),
        patchbay_core::keychain::MemoryKeychain::new(),
        "patchbay-desktop-test",
    )?;
    Ok((
        data_dir,
        app(patchbay_desktop::PatchbayState::new(Ok(patchbay)))?,
    ))
}

/// Calls `command` from the main window, as the UI's `invoke(command, args)` does.
fn invoke(
    app: &App<MockRuntime>,
    command: &str,
    args: serde_json::Value,
) -> Result<Result<serde_json::Value, serde_json::Value>, Box<dyn std::error::Error>> {
    invoke_in(&main_window(app)?, command, args)
}

/// The "main" window. Config windows are created when the app runs; a mock app has to open it
/// itself. The label matters: capabilities/default.json grants the commands to "main" only.
fn main_window(app: &App<MockRuntime>) -> Result<WebviewWindow<MockRuntime>, tauri::Error> {
    match app.get_webview_window("main") {
        Some(window) => Ok(window),
        None => WebviewWindowBuilder::new(app, "main", Default::default()).build(),
    }
}

/// [`invoke`] from a window handle, which other threads can hold (a command that waits blocks
/// its caller).
fn invoke_in(
    window: &WebviewWindow<MockRuntime>,
    command: &str,
    args: serde_json::Value,
) -> Result<Result<serde_json::Value, serde_json::Value>, Box<dyn std::error::Error>> {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: "tauri://localhost".parse()?,
        body: tauri::ipc::InvokeBody::Json(args),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    Ok(match get_ipc_response(window, request) {
        Ok(body) => Ok(body.deserialize::<serde_json::Value>()?),
        Err(error) => Err(error),
    })
}
