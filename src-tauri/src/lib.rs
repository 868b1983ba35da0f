//! patchbay-desktop: the Tauri 2 shell. It opens [`patchbay_core::Patchbay`] once, exposes it to
//! the webview through thin commands, runs the status monitor, and owns the tray, notifications
//! and deep links. It holds no logic of its own. [`run_app`] takes any [`tauri::Runtime`], so
//! tests drive it with `tauri::test::mock_builder()`.

pub mod bindings;
mod commands;
mod dto;
mod error;
mod input;
mod monitor;
mod navigation;
#[cfg(target_os = "linux")]
mod packaged;
mod runs;
mod state;
mod tray;

use std::panic::AssertUnwindSafe;

use tauri::{Emitter, Manager, RunEvent, Runtime, WindowEvent};

pub use error::{ErrorCode, IpcError};
pub use state::PatchbayState;

/// Starts the desktop app; returns when the user quits (closing the window keeps it in the tray).
/// When the process started, as near as the app can tell (the first thing [`run`] does).
pub(crate) fn started() -> std::time::Instant {
    static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *STARTED.get_or_init(std::time::Instant::now)
}

pub fn run() {
    started();
    // Before anything creates a file or holds a secret: private files, no core dumps, panics
    // without their message (checklist 40).
    let hardening = patchbay_core::harden_process();
    let builder = tauri::Builder::default()
        // First, so a second launch (e.g. an OAuth deep link) is forwarded to this instance. Its
        // `deep-link` feature is off: that feature re-broadcasts the link as an event every page
        // script may listen to, and an OAuth callback must stay in Rust (checklist 16).
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            deliver_launch_arguments(app, &argv);
            tray::show_main(app)
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(
            tauri_plugin_log::Builder::new()
                .level(log::LevelFilter::Info)
                // rmcp logs every session at info (with server instructions) and failed
                // handshakes, server bodies included, at error; our diagnosis covers both.
                .level_for("rmcp", log::LevelFilter::Warn)
                .level_for("rmcp::transport::worker", log::LevelFilter::Off)
                // rmcp's OAuth module logs the authorization code at debug (checklist 29).
                .level_for("rmcp::transport::auth", log::LevelFilter::Info)
                // Every line without the credentials the process knows of (libraries quote a
                // URL with its query credentials in their own events).
                .format(|out, message, record| {
                    let now = time::OffsetDateTime::now_utc()
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default();
                    let text = message.to_string();
                    out.finish(format_args!(
                        "{now} [{}][{}] {}",
                        record.target(),
                        record.level(),
                        patchbay_core::redact_remembered(&text)
                    ));
                })
                .build(),
        )
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .manage(PatchbayState::open_from_env())
        .setup(move |app| {
            for failure in &hardening {
                tracing::warn!("{failure}");
            }
            setup(app.handle());
            Ok(())
        });
    let app = match run_app(builder).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(error) => {
            eprintln!("Patchbay cannot start: {error}");
            std::process::exit(1);
        }
    };
    app.run(|_app, event| {
        // Closing the last window keeps Patchbay in the tray; only "Quit" (an explicit exit
        // code) ends it.
        if let RunEvent::ExitRequested {
            api, code: None, ..
        } = event
        {
            api.prevent_exit();
        }
    });
}

/// The commands, listed once: registered with Tauri and named in the generated bindings.
macro_rules! commands {
    ($($module:ident::$name:ident),* $(,)?) => {
        /// Every command the webview may invoke, by name.
        pub const COMMAND_NAMES: &[&str] = &[$(stringify!($name)),*];

        fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$(commands::$module::$name),*]
        }
    };
}

commands![
    workspaces::list_workspaces,
    workspaces::add_workspace,
    workspaces::rename_workspace,
    workspaces::remove_workspace,
    connectors::list_connectors,
    connectors::add_connector,
    connectors::edit_connector,
    connectors::remove_connector,
    connectors::test_connector,
    connectors::check_now,
    oauth::authorize_connector,
    oauth::reauthorize_connector,
    oauth::cancel_authorization,
    oauth::oauth_redirect_uris,
    oauth::forget_credentials,
    oauth::connector_step_up,
    machine::add_machine_connector,
    machine::renew_machine_connector,
    machine::oauth_client,
    providers::list_providers,
    providers::add_provider,
    providers::edit_provider,
    providers::remove_provider,
    providers::list_models,
    providers::set_model_tools,
    providers::discover_local_providers,
    steps::list_steps,
    steps::save_step,
    steps::remove_step,
    steps::step_budget,
    steps::run_step,
    steps::answer_approval,
    steps::answer_input,
    steps::cancel_run,
    steps::list_runs,
    steps::run_record,
    workbench::tool_catalog,
    workbench::set_tools_enabled,
    workbench::call_tool,
    workbench::cancel_tool_call,
    workbench::watch_tools,
    workbench::unwatch_tools,
    workbench::resource_catalog,
    workbench::read_resource,
    workbench::prompt_catalog,
    workbench::get_prompt,
    workbench::server_details,
    workbench::check_history,
    workbench::diagnostics_report,
    workbench::pause_connector,
    workbench::resume_connector,
    workbench::set_connector_notifications,
    workbench::duplicate_connector,
    steps::always_allowed,
    steps::revoke_always,
    interop::import_plan,
    interop::import_connector,
    interop::export_workspace,
    interop::take_install_offer,
    settings::get_settings,
    settings::save_settings,
    settings::app_info,
    settings::open_folder,
    settings::quit_app,
    settings::ui_ready,
];

/// Registers the commands and window behaviour on `builder`. The caller manages a
/// [`PatchbayState`] first.
pub fn run_app<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(navigation::guard())
        .invoke_handler(handler())
        .on_window_event(|window, event| match event {
            // With a tray, closing the window keeps Patchbay checking in the background (said
            // once); without one (stock GNOME) nothing could bring the window back, so closing
            // quits.
            WindowEvent::CloseRequested { api, .. } if window.label() == "main" => {
                if !tray::host_present() {
                    window.app_handle().exit(0);
                    return;
                }
                api.prevent_close();
                if let Err(error) = window.hide() {
                    tracing::warn!(%error, "hiding the window");
                }
                first_close_notice(window.app_handle());
            }
            WindowEvent::Focused(true) => window.state::<PatchbayState>().check_on_focus(),
            _ => {}
        })
}

/// The first time the window is closed to the tray, a notification says Patchbay is still
/// running and how to quit; remembered in the settings.
fn first_close_notice<R: Runtime>(app: &tauri::AppHandle<R>) {
    use tauri_plugin_notification::NotificationExt;
    let Ok(core) = app.state::<PatchbayState>().patchbay() else {
        return;
    };
    let Ok(settings) = core.settings() else {
        return;
    };
    if settings.tray_notice_shown {
        return;
    }
    let shown = app
        .notification()
        .builder()
        .title("Patchbay is still running")
        .body(
            "It keeps checking your connectors from the tray. To quit, choose Quit in the tray \
             menu or press Ctrl+Q in the window.",
        )
        .show();
    if let Err(error) = shown {
        tracing::warn!(%error, "showing the first-close notice");
    }
    let remembered = core.save_settings(patchbay_core::AppSettings {
        tray_notice_shown: true,
        ..settings
    });
    if let Err(error) = remembered {
        tracing::warn!(%error, "remembering the first-close notice");
    }
}

/// Deep links, tray and monitor: each optional, none fatal.
fn setup<R: Runtime>(app: &tauri::AppHandle<R>) {
    register_deep_links(app);
    match std::panic::catch_unwind(AssertUnwindSafe(|| tray::create(app))) {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "no tray icon"),
        // libayatana-appindicator missing makes tray creation panic (platform notes).
        Err(_) => tracing::warn!("no tray icon: the tray library is missing"),
    }
    let state = app.state::<PatchbayState>();
    let handle = app.clone();
    state.input().attach(Box::new(move |event| {
        let sent = match event {
            input::InputEvent::Requested(question) => handle.emit(dto::INPUT_EVENT, question),
            input::InputEvent::Closed(closed) => handle.emit(dto::INPUT_CLOSED_EVENT, closed),
        };
        if let Err(error) = sent {
            tracing::warn!(%error, "telling the window about a question");
        }
    }));
    if let Ok(core) = state.patchbay() {
        state.set_monitor(monitor::start(app, core));
        let handle = app.clone();
        state.set_on_change(std::sync::Arc::new(move || tray::refresh(&handle)));
    }
}

/// A second launch's arguments, forwarded by single-instance: on Linux and Windows the OS starts
/// the app with the link as its only argument. Anything else (other schemes, more arguments) is
/// not a deep link and is dropped.
fn deliver_launch_arguments<R: Runtime>(app: &tauri::AppHandle<R>, argv: &[String]) {
    if let Some(link) = deep_link_argument(argv) {
        route_link(app, link);
    }
}

/// A deep link to where it goes: an install link to the window's confirmation, anything else
/// to the waiting sign-in (which drops what it does not expect).
fn route_link<R: Runtime>(app: &tauri::AppHandle<R>, link: &str) {
    if patchbay_core::is_install_link(link) {
        commands::interop::receive_install_link(app, link);
    } else {
        app.state::<PatchbayState>().deliver_callback(link);
    }
}

/// The deep link in a launch's arguments: exactly one argument after the program, in Patchbay's
/// scheme.
fn deep_link_argument(argv: &[String]) -> Option<&str> {
    let [_program, argument] = argv else {
        return None;
    };
    let prefix = format!("{}:", patchbay_core::DEEP_LINK_SCHEME);
    argument
        .get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(&prefix))
        .then_some(argument.as_str())
}

fn register_deep_links<R: Runtime>(app: &tauri::AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;
    // On Linux registering writes a desktop entry and runs `update-desktop-database` and the
    // `xdg-mime` script (a dozen processes, ~110 ms measured with strace): on its own thread,
    // not on the main thread the window needs to paint (`cargo xtask bench`, P4).
    // A copy a package installed is registered by the package's desktop entry (`packaged`):
    // looked at on the same thread, which reads that entry.
    #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
    {
        let handle = app.clone();
        std::thread::spawn(move || {
            #[cfg(target_os = "linux")]
            if handle.env().appimage.is_none()
                && std::env::current_exe().is_ok_and(|exe| {
                    packaged::entry_claims_scheme(
                        &exe,
                        handle.package_info().name.as_str(),
                        patchbay_core::DEEP_LINK_SCHEME,
                    )
                })
            {
                tracing::info!("the installed package's desktop entry handles deep links");
                return;
            }
            if let Err(error) = handle.deep_link().register_all() {
                tracing::warn!(%error, "registering the deep-link scheme");
            }
        });
    }
    // OAuth callbacks go to the waiting sign-in here, in Rust: the webview has no deep-link
    // permission and never sees a code. Every link also brings the window forward. On Linux and
    // Windows a running app gets links through single-instance instead (above); this listener
    // serves macOS only, where the OS opens links in the running app itself. The plugin delivers
    // them as the app-wide event `deep-link://new-url`, which is why the webview may not emit
    // events (capabilities/default.json) and why no other platform listens to it.
    #[cfg(target_os = "macos")]
    {
        let handle = app.clone();
        app.deep_link().on_open_url(move |event| {
            for url in event.urls() {
                route_link(&handle, url.as_str());
            }
            tray::show_main(&handle);
        });
    }
    // A cold start with a link as argument (the plugin checked its scheme): an install link is
    // kept for the window to show once it loads; no sign-in can be waiting in a new process, so
    // a callback is dropped, but it goes the same way.
    match app.deep_link().get_current() {
        Ok(Some(urls)) => {
            for url in urls {
                route_link(app, url.as_str());
            }
        }
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "reading the launch deep link"),
    }
}

#[cfg(test)]
mod tests {
    use super::deep_link_argument;

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn only_a_single_argument_in_our_scheme_is_a_deep_link() {
        let link = "dev.patchbay.desktop:/oauth/callback?code=c&state=s";
        assert_eq!(
            deep_link_argument(&argv(&["patchbay-desktop", link])),
            Some(link)
        );
        assert_eq!(
            deep_link_argument(&argv(&[
                "patchbay-desktop",
                "DEV.PATCHBAY.DESKTOP:/oauth/done"
            ])),
            Some("DEV.PATCHBAY.DESKTOP:/oauth/done"),
            "schemes are case-insensitive (RFC 3986 §3.1)"
        );
        for other in [
            argv(&["patchbay-desktop"]),
            argv(&["patchbay-desktop", "https://evil.example/?code=c"]),
            argv(&["patchbay-desktop", "dev.patchbay.desktop.evil:/x"]),
            argv(&["patchbay-desktop", "--flag", link]),
            argv(&["patchbay-desktop", link, "extra"]),
        ] {
            assert_eq!(
                deep_link_argument(&other),
                None,
                "{other:?} is not a deep link and must be dropped"
            );
        }
    }
}
