//! The Settings page's commands: the app settings (saving a new monitor interval starts the
//! monitor again with it), what the page shows about the app (version, data and log folders,
//! whether a tray is shown), opening those folders in the file manager, and quitting (the
//! window's Quit and Ctrl+Q).

use patchbay_core::AppSettings;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_opener::OpenerExt;
use ts_rs::TS;

use crate::state::PatchbayState;
use crate::{ErrorCode, IpcError};

#[tauri::command]
pub async fn get_settings(state: State<'_, PatchbayState>) -> Result<AppSettings, IpcError> {
    Ok(state.patchbay()?.settings()?)
}

#[tauri::command]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    settings: AppSettings,
    proxy_credentials: Option<String>,
) -> Result<AppSettings, IpcError> {
    let core = state.patchbay()?;
    let before = core.settings()?;
    let mut saved = core.save_settings(settings)?;
    // New credentials for the app's explicit proxy, sealed; empty or absent keeps them.
    if let Some(credentials) = proxy_credentials.filter(|credentials| !credentials.is_empty()) {
        saved = core.set_proxy_credentials(Some(patchbay_core::Secret::new(credentials)))?;
    }
    if saved.monitor_interval_secs != before.monitor_interval_secs {
        state.set_monitor(crate::monitor::start(&app, core));
    }
    Ok(saved)
}

/// What the Settings page says about the app.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub data_dir: Option<String>,
    pub log_dir: Option<String>,
    /// Whether the desktop shows Patchbay's tray icon (closing the window then keeps it
    /// running; otherwise closing quits).
    pub tray: bool,
}

#[tauri::command]
pub async fn app_info<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
) -> Result<AppInfo, IpcError> {
    let data_dir = state
        .patchbay()
        .ok()
        .map(|core| core.data_dir().display().to_string());
    let log_dir = app
        .path()
        .app_log_dir()
        .ok()
        .map(|dir| dir.display().to_string());
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        data_dir,
        log_dir,
        tray: crate::tray::host_present(),
    })
}

/// Opens the data (`data`) or log (`logs`) folder in the file manager.
#[tauri::command]
pub async fn open_folder<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    which: String,
) -> Result<(), IpcError> {
    let path = match which.as_str() {
        "data" => state.patchbay()?.data_dir().to_owned(),
        "logs" => app.path().app_log_dir().map_err(|error| {
            IpcError::new(ErrorCode::Internal, format!("no log folder: {error}"))
        })?,
        other => {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                format!("no folder called {other:?}"),
            ));
        }
    };
    std::fs::create_dir_all(&path).map_err(|error| {
        IpcError::new(
            ErrorCode::Internal,
            format!("cannot create {}: {error}", path.display()),
        )
    })?;
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|error| {
            IpcError::new(
                ErrorCode::Internal,
                format!("cannot open {}: {error}", path.display()),
            )
        })
}

/// Quits Patchbay (the monitor, the tray and every window).
#[tauri::command]
pub fn quit_app<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}

/// The page has painted the connector list for the first time: logged with how long the start
/// took, and with `PATCHBAY_BENCH_READY` set, `patchbay-ready` on stdout — the start-to-paint
/// mark `cargo xtask bench` (P4) waits for, which its empty Tauri floor prints the same way.
#[tauri::command]
pub fn ui_ready() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::info!(
            since_start_ms = crate::started().elapsed().as_millis() as u64,
            "the connector list has painted"
        );
        if std::env::var_os("PATCHBAY_BENCH_READY").is_some() {
            println!("patchbay-ready");
        }
    });
}
