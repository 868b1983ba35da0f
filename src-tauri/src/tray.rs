//! The system-tray indicator: an icon for the aggregate (all good / needs attention / none
//! configured), a tooltip with counts, and a menu listing every connector with its status plus
//! "Check all now", "Open Patchbay" and "Quit". A tray failure (no tray host, no appindicator
//! library) is logged and never fatal.

use patchbay_core::{Aggregate, ConnectorStatus, ConnectorView, Summary};
use tauri::image::Image;
use tauri::menu::{Menu, MenuBuilder, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::dto::{FOCUS_EVENT, FocusConnector};
use crate::state::PatchbayState;

const TRAY_ID: &str = "patchbay";
const CONNECTOR_PREFIX: &str = "connector:";

const ICON_OK: &[u8] = include_bytes!("../../icons/tray-ok.png");
const ICON_ATTENTION: &[u8] = include_bytes!("../../icons/tray-attention.png");
const ICON_EMPTY: &[u8] = include_bytes!("../../icons/tray-empty.png");

fn icon(aggregate: Aggregate) -> tauri::Result<Image<'static>> {
    Image::from_bytes(match aggregate {
        Aggregate::AllGood => ICON_OK,
        Aggregate::Attention => ICON_ATTENTION,
        Aggregate::Empty => ICON_EMPTY,
    })
}

fn status_words(status: ConnectorStatus) -> &'static str {
    match status {
        ConnectorStatus::Unknown => "not checked",
        ConnectorStatus::Connected => "Connected",
        ConnectorStatus::Disconnected => "Disconnected",
        ConnectorStatus::NeedsAuth => "Needs authentication",
        ConnectorStatus::Error => "Error",
    }
}

fn status_glyph(status: ConnectorStatus) -> &'static str {
    match status {
        ConnectorStatus::Connected => "●",
        ConnectorStatus::Unknown => "○",
        _ => "▲",
    }
}

fn connectors<R: Runtime>(app: &AppHandle<R>) -> Vec<ConnectorView> {
    let Ok(core) = app.state::<PatchbayState>().patchbay() else {
        return Vec::new();
    };
    core.all_connectors().unwrap_or_else(|error| {
        tracing::warn!(%error, "tray cannot list connectors");
        Vec::new()
    })
}

fn menu<R: Runtime>(
    app: &AppHandle<R>,
    connectors: &[ConnectorView],
    summary: &Summary,
) -> tauri::Result<Menu<R>> {
    let many_workspaces = connectors
        .iter()
        .any(|connector| connector.workspace != connectors[0].workspace);
    let header = MenuItem::with_id(
        app,
        "summary",
        format!("Patchbay — {}", summary.describe()),
        false,
        None::<&str>,
    )?;
    let mut builder = MenuBuilder::new(app).item(&header).separator();
    for connector in connectors {
        let name = if many_workspaces {
            format!("{} / {}", connector.workspace, connector.name)
        } else {
            connector.name.clone()
        };
        let label = format!(
            "{} {name} — {}",
            status_glyph(connector.status),
            status_words(connector.status)
        );
        let item = MenuItem::with_id(
            app,
            format!("{CONNECTOR_PREFIX}{}", connector.id),
            label,
            true,
            None::<&str>,
        )?;
        builder = builder.item(&item);
    }
    if !connectors.is_empty() {
        builder = builder.separator();
    }
    builder
        .item(&MenuItem::with_id(
            app,
            "check-all",
            "Check all now",
            !connectors.is_empty(),
            None::<&str>,
        )?)
        .item(&MenuItem::with_id(
            app,
            "open",
            "Open Patchbay",
            true,
            None::<&str>,
        )?)
        .item(&PredefinedMenuItem::separator(app)?)
        .item(&MenuItem::with_id(
            app,
            "quit",
            "Quit Patchbay",
            true,
            None::<&str>,
        )?)
        .build()
}

/// Creates the tray icon. Errors (and panics from a missing appindicator library) are the
/// caller's to log.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let connectors = connectors(app);
    let summary = Summary::of(&connectors);
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(summary.aggregate())?)
        .tooltip(format!("Patchbay — {}", summary.describe()))
        .menu(&menu(app, &connectors, &summary)?)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()))
        .build(app)?;
    Ok(())
}

/// Brings the tray up to date with the store.
///
/// Checks finish on the monitor's worker threads, several at once: were each to read the store
/// and set the menu where it finished, a refresh that read before another check was saved could
/// set its menu after that check's refresh, leaving the tray stale until the next change (two
/// connectors going down together showed one still Connected). Every refresh therefore runs on
/// the main thread, in order, and reads the store when it runs: the last one reads what the last
/// check saved.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let handle = app.clone();
    if let Err(error) = app.run_on_main_thread(move || refresh_now(&handle)) {
        tracing::warn!(%error, "scheduling a tray update");
    }
}

fn refresh_now<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let connectors = connectors(app);
    let summary = Summary::of(&connectors);
    let result = (|| -> tauri::Result<()> {
        tray.set_icon(Some(icon(summary.aggregate())?))?;
        tray.set_tooltip(Some(format!("Patchbay — {}", summary.describe())))?;
        tray.set_menu(Some(menu(app, &connectors, &summary)?))?;
        Ok(())
    })();
    if let Err(error) = result {
        tracing::warn!(%error, "updating the tray failed");
    }
}

/// Shows, unminimizes and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    for result in [window.show(), window.unminimize(), window.set_focus()] {
        if let Err(error) = result {
            tracing::warn!(%error, "showing the window");
        }
    }
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        "open" => show_main(app),
        "quit" => app.exit(0),
        "check-all" => {
            if let Err(error) = app.state::<PatchbayState>().check_now(None) {
                tracing::warn!("check all: {}", error.message);
            }
        }
        other => {
            let Some(connector_id) = other.strip_prefix(CONNECTOR_PREFIX) else {
                return;
            };
            let workspace = connectors(app)
                .into_iter()
                .find(|connector| connector.id == connector_id)
                .map(|connector| connector.workspace)
                .unwrap_or_default();
            show_main(app);
            let payload = FocusConnector {
                connector_id: connector_id.to_owned(),
                workspace,
            };
            if let Err(error) = app.emit(FOCUS_EVENT, payload) {
                tracing::warn!(%error, "focusing a connector");
            }
        }
    }
}

/// Whether the desktop shows tray icons: on Linux only a StatusNotifier host does (stock GNOME
/// has none, so there closing the window quits); elsewhere the tray is always there.
pub fn host_present() -> bool {
    #[cfg(target_os = "linux")]
    {
        status_notifier_host()
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// Asks the session bus's StatusNotifierWatcher whether a host (a panel showing the icons) is
/// registered; no bus, no watcher or no answer is no host.
#[cfg(target_os = "linux")]
fn status_notifier_host() -> bool {
    let Ok(connection) = zbus::blocking::Connection::session() else {
        return false;
    };
    let reply = connection.call_method(
        Some("org.kde.StatusNotifierWatcher"),
        "/StatusNotifierWatcher",
        Some("org.freedesktop.DBus.Properties"),
        "Get",
        &(
            "org.kde.StatusNotifierWatcher",
            "IsStatusNotifierHostRegistered",
        ),
    );
    let Ok(reply) = reply else {
        return false;
    };
    reply
        .body()
        .deserialize::<zbus::zvariant::OwnedValue>()
        .ok()
        .and_then(|value| bool::try_from(value).ok())
        .unwrap_or(false)
}
