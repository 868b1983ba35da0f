//! patchbay-desktop: the Tauri 2 shell. It opens [`patchbay_core::Patchbay`] once, exposes it to
//! the webview through a few thin commands, and holds no logic of its own. [`run_app`] takes any
//! [`tauri::Runtime`], so tests drive it with `tauri::test::mock_builder()`.

mod commands;
mod error;
mod state;

pub use error::{ErrorCode, IpcError};
pub use state::PatchbayState;

/// Starts the desktop app; returns when the last window closes.
pub fn run() {
    init_logging();
    let builder = tauri::Builder::default().manage(PatchbayState::open_from_env());
    if let Err(error) = run_app(builder).run(tauri::generate_context!()) {
        tracing::error!("Patchbay stopped with an error: {error}");
        std::process::exit(1);
    }
}

/// Registers the commands on `builder`. The caller manages a [`PatchbayState`] first.
pub fn run_app<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder.invoke_handler(tauri::generate_handler![
        commands::connectors::list_connectors
    ])
}

/// Logs to stderr; `RUST_LOG` overrides the default level (info).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
