//! Wires core's status monitor to the shell: each finished check becomes a `connector-status`
//! event for the window, a tray refresh, and, for Connected → Disconnected / Needs
//! authentication, one desktop notification (unless switched off in Settings). The interval
//! comes from the settings; saving new settings starts the monitor again with them.

use std::sync::{Arc, Mutex, PoisonError};

use patchbay_core::{
    CheckOutcome, ConnectorStatus, MonitorConfig, MonitorHandle, Patchbay, TransitionAlerts,
};
use tauri::{AppHandle, Emitter, Runtime};
use tauri_plugin_notification::NotificationExt;

use crate::dto::{STATUS_EVENT, StatusEvent};
use crate::tray;

/// Starts the monitor on Tauri's async runtime.
pub fn start<R: Runtime>(app: &AppHandle<R>, core: Arc<Patchbay>) -> MonitorHandle {
    let app = app.clone();
    let alerts = Mutex::new(TransitionAlerts::default());
    let config = match core.settings() {
        Ok(settings) => MonitorConfig::for_settings(&settings),
        Err(error) => {
            tracing::warn!(%error, "reading the settings for the monitor");
            MonitorConfig::from_env()
        }
    };
    let reader = core.clone();
    tauri::async_runtime::block_on(async move {
        patchbay_core::spawn_monitor(core, config, move |outcome| {
            on_check(&app, &reader, &alerts, outcome)
        })
    })
}

fn on_check<R: Runtime>(
    app: &AppHandle<R>,
    core: &Patchbay,
    alerts: &Mutex<TransitionAlerts>,
    outcome: CheckOutcome,
) {
    let event = StatusEvent {
        connector_id: outcome.connector.id.clone(),
        workspace: outcome.connector.workspace.clone(),
        name: outcome.connector.name.clone(),
        previous: outcome.previous,
        current: outcome.current,
        diagnosis: outcome.diagnosis.clone(),
        error: outcome.error.clone(),
    };
    if let Err(error) = app.emit(STATUS_EVENT, event) {
        tracing::warn!(%error, "emitting a status event");
    }
    if outcome.changed() {
        tray::refresh(app);
    }
    // The person may have switched notifications off in Settings since the monitor started,
    // or for this connector (its view is read with this check).
    let notify = !outcome.connector.muted
        && core
            .settings()
            .map_or(true, |settings| settings.notifications);
    let announce = alerts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .observe(&outcome.connector.id, outcome.previous, outcome.current);
    if let Some(status) = announce.filter(|_| notify) {
        let body = match status {
            ConnectorStatus::NeedsAuth => "needs authentication: its credentials were rejected",
            _ => "is disconnected: the server stopped answering",
        };
        let shown = app
            .notification()
            .builder()
            .title(format!("{} {body}", outcome.connector.name))
            .body(
                outcome
                    .diagnosis
                    .as_ref()
                    .map(|d| d.hint.clone())
                    .unwrap_or_default(),
            )
            .show();
        if let Err(error) = shown {
            tracing::warn!(%error, "showing a notification");
        }
    }
}
