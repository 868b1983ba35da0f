//! What the commands run against: the [`Patchbay`] opened once at startup (or the reason it could
//! not be opened), the status monitor, a hook that refreshes the tray after a change, and the
//! OAuth sign-ins in flight: the registry their callbacks are delivered to ([`Flows`]) and a
//! cancel switch per flow id. A failed open (no data directory, newer schema) must not keep the
//! window from appearing: every command then returns that error, and the UI shows it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use patchbay_core::oauth::flows::{Delivery, Flows};
use patchbay_core::status::MonitorHandle;
use patchbay_core::{Patchbay, keychain, paths};
use tokio_util::sync::CancellationToken;

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
    flows: Flows,
    sign_ins: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

/// The longest flow id the UI may choose (it sends a UUID).
const MAX_FLOW_ID_LEN: usize = 64;

impl PatchbayState {
    /// Opens the store in `PATCHBAY_DATA_DIR` (else the OS app-data dir) with the OS keychain.
    pub fn open_from_env() -> Self {
        let opened = open_from_env().map(Arc::new);
        if let Err(error) = &opened {
            tracing::error!(code = ?error.code, "cannot open Patchbay: {}", error.message);
        }
        Self::from_result(opened)
    }

    /// A state over an already opened core, or a stored failure (tests use both).
    pub fn new(opened: Result<Patchbay, IpcError>) -> Self {
        Self::from_result(opened.map(Arc::new))
    }

    fn from_result(opened: Result<Arc<Patchbay>, IpcError>) -> Self {
        Self {
            opened,
            monitor: Mutex::new(None),
            on_change: Mutex::new(None),
            last_focus_check: Mutex::new(None),
            flows: Flows::new(),
            sign_ins: Arc::default(),
        }
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

    /// Where OAuth callbacks are delivered; sign-ins register their flows here.
    pub fn flows(&self) -> &Flows {
        &self.flows
    }

    /// Hands an OAuth callback (a deep link) to the sign-in waiting for it. Anything else — no
    /// pending flow, a forged or replayed `state`, Patchbay's own "done" link — is dropped; only
    /// the reason is logged, never the URL (it may carry a code, or an attacker's text).
    pub fn deliver_callback(&self, url: &str) -> Delivery {
        let delivery = self.flows.deliver(url);
        tracing::info!(?delivery, "OAuth callback");
        delivery
    }

    /// Records a sign-in under the UI's `flow_id` until the returned guard is dropped. Several
    /// may run at once; an id already in use is refused.
    pub(crate) fn begin_sign_in(&self, flow_id: &str) -> Result<SignInGuard, IpcError> {
        if flow_id.is_empty()
            || flow_id.len() > MAX_FLOW_ID_LEN
            || !flow_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "a sign-in needs a flow id of letters, digits and dashes",
            ));
        }
        let mut sign_ins = self.sign_ins.lock().unwrap_or_else(PoisonError::into_inner);
        if sign_ins.contains_key(flow_id) {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "a sign-in with this flow id is already running",
            ));
        }
        let cancel = CancellationToken::new();
        sign_ins.insert(flow_id.to_owned(), cancel.clone());
        Ok(SignInGuard {
            flow_id: flow_id.to_owned(),
            cancel,
            sign_ins: self.sign_ins.clone(),
        })
    }

    /// Cancels the sign-in with this flow id, if it is still running (a late Cancel is no error).
    pub(crate) fn cancel_sign_in(&self, flow_id: &str) {
        let cancel = self
            .sign_ins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(flow_id);
        if let Some(cancel) = cancel {
            cancel.cancel();
        }
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
    let data_dir = paths::data_dir_from_env().map_err(IpcError::internal)?;
    // `PATCHBAY_KEYCHAIN_SERVICE` lets tests keep away from the real Patchbay keychain entry.
    let service = paths::keychain_service_from_env();
    Ok(Patchbay::open(
        &data_dir,
        keychain::os_keychain(&service),
        &service,
    )?)
}

/// A running sign-in's entry: cancelled through [`PatchbayState::cancel_sign_in`], removed when
/// the sign-in ends however it ends.
pub(crate) struct SignInGuard {
    flow_id: String,
    cancel: CancellationToken,
    sign_ins: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

impl SignInGuard {
    pub(crate) fn cancelled(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }
}

impl Drop for SignInGuard {
    fn drop(&mut self) {
        self.sign_ins
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.flow_id);
    }
}
