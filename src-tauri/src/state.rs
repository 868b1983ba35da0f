//! What the commands run against: the [`Patchbay`] opened once at startup (or the reason it could
//! not be opened), the status monitor, and a hook that refreshes the tray after a change. (The
//! OAuth sign-ins in flight live in core.) A failed open (no data directory, newer schema) must not keep the
//! window from appearing: every command then returns that error, and the UI shows it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use patchbay_core::{Delivery, MonitorHandle, Patchbay};

use crate::input::WindowInput;
use crate::{ErrorCode, IpcError};

type Hook = Arc<dyn Fn() + Send + Sync>;

/// Focus checks are skipped when the last one was this recent: switching windows back and forth
/// must not hammer every server.
const FOCUS_CHECK_GAP: Duration = Duration::from_secs(30);

pub struct PatchbayState {
    opened: Result<Arc<Patchbay>, IpcError>,
    monitor: Mutex<Option<MonitorHandle>>,
    on_change: Mutex<Option<Hook>>,
    last_focus_check: Mutex<Option<Instant>>,
    runs: crate::runs::Runs,
    /// The workbench's tool calls and tool-list watches in flight.
    switches: crate::commands::workbench::Switches,
    /// Asks the window what connectors' servers ask while their tools run.
    input: Arc<WindowInput>,
    /// The install link that arrived last, until the window takes it.
    install_offer: Mutex<Option<crate::dto::LinkOffer>>,
}

impl PatchbayState {
    /// Opens the store in `PATCHBAY_DATA_DIR` (else the OS app-data dir) with the OS keychain.
    pub fn open_from_env() -> Self {
        Self::new(open_from_env())
    }

    /// A state over an already opened core, or a stored failure (tests use both). The core
    /// asks the window (once it is attached) what servers ask while their tools run.
    pub fn new(opened: Result<Patchbay, IpcError>) -> Self {
        let input = Arc::new(WindowInput::default());
        let opened = opened.map(|core| {
            Arc::new(core.with_input(input.clone() as Arc<dyn patchbay_core::Responder>))
        });
        if let Err(error) = &opened {
            tracing::error!(code = ?error.code, "cannot open Patchbay: {}", error.message);
        }
        Self {
            opened,
            monitor: Mutex::new(None),
            on_change: Mutex::new(None),
            last_focus_check: Mutex::new(None),
            runs: crate::runs::Runs::default(),
            switches: crate::commands::workbench::Switches::default(),
            input,
            install_offer: Mutex::new(None),
        }
    }

    /// The window's side of questions servers ask.
    pub(crate) fn input(&self) -> Arc<WindowInput> {
        self.input.clone()
    }

    /// The opened core, or the error that kept it from opening.
    pub fn patchbay(&self) -> Result<Arc<Patchbay>, IpcError> {
        self.opened.clone()
    }

    pub(crate) fn set_monitor(&self, monitor: MonitorHandle) {
        *self.monitor.lock().unwrap_or_else(PoisonError::into_inner) = Some(monitor);
    }

    pub(crate) fn set_on_change(&self, hook: Hook) {
        *self
            .on_change
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    /// Hands an OAuth callback (a deep link) to the sign-in waiting for it in core; with no
    /// core opened, no sign-in can be waiting and it is dropped.
    pub fn deliver_callback(&self, url: &str) -> Option<Delivery> {
        match &self.opened {
            Ok(core) => Some(core.deliver_callback(url)),
            Err(_) => {
                tracing::info!("OAuth callback dropped: Patchbay is not open");
                None
            }
        }
    }

    /// Keeps an install link for the window (a newer one replaces it: the person acts on the
    /// link they clicked last).
    pub(crate) fn keep_install_offer(&self, offer: crate::dto::LinkOffer) {
        *self
            .install_offer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(offer);
    }

    /// The kept install link, once.
    pub(crate) fn take_install_offer(&self) -> Option<crate::dto::LinkOffer> {
        self.install_offer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The step runs in flight in this window.
    pub(crate) fn runs(&self) -> crate::runs::Runs {
        self.runs.clone()
    }

    /// The workbench's calls and watches in flight.
    pub(crate) fn switches(&self) -> crate::commands::workbench::Switches {
        self.switches.clone()
    }

    /// Tells the tray that connectors changed.
    pub(crate) fn refresh_tray(&self) {
        let hook = self
            .on_change
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(hook) = hook {
            hook();
        }
    }

    pub(crate) fn check_now(&self, connector_id: Option<String>) -> Result<(), IpcError> {
        let monitor = self.monitor.lock().unwrap_or_else(PoisonError::into_inner);
        match monitor.as_ref() {
            Some(monitor) => {
                monitor.check_now(connector_id);
                Ok(())
            }
            None => Err(IpcError::new(
                ErrorCode::Internal,
                "the status monitor is not running",
            )),
        }
    }

    /// Checks everything when the window gains focus, unless that happened moments ago.
    pub(crate) fn check_on_focus(&self) {
        let mut last = self
            .last_focus_check
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < FOCUS_CHECK_GAP) {
            return;
        }
        *last = Some(Instant::now());
        drop(last);
        if let Err(error) = self.check_now(None) {
            tracing::debug!("focus check skipped: {}", error.message);
        }
    }
}

fn open_from_env() -> Result<Patchbay, IpcError> {
    let data_dir = patchbay_core::data_dir_from_env().map_err(IpcError::internal)?;
    // `PATCHBAY_KEYCHAIN_SERVICE` lets tests keep away from the real Patchbay keychain entry.
    let service = patchbay_core::keychain_service_from_env();
    Ok(Patchbay::open(
        &data_dir,
        patchbay_core::os_keychain(&service),
        &service,
    )?)
}
