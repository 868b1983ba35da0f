//! [`Patchbay`]: the one object front ends hold. It validates input, talks to servers, seals
//! secrets and writes the store, in that order, so a failure at any step leaves nothing behind.
//!
//! Locking: the store sits behind a `std::sync::Mutex` that is only ever held for synchronous
//! database work; every network await happens with the guard dropped (one slow server must never
//! block another connector, the UI, or the status monitor).
//!
//! Threading (one contract for every caller): SQLite and the OS keychain are synchronous, and a
//! keychain may stop to ask the person to unlock it. Every section that touches them runs inside
//! [`blocking`], which on a multi-threaded runtime tells tokio this worker is about to block
//! (`block_in_place`), so the runtime moves the worker's other tasks elsewhere and no caller waits
//! behind a keychain prompt. Front ends call any method from anywhere and never need to know
//! which ones block.

mod checks;
mod connector_admin;
mod connectors;
mod credentials;
mod grants;
mod interop;
mod machine;
mod providers;
mod runs;
mod settings;
mod sign_in;
pub(crate) mod step_up;
mod steps;
mod tools;
mod workbench;
mod workspaces;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use connectors::{
    CheckView, ConnectorEdit, ConnectorSpec, ConnectorView, RECENT_CHECKS, Saved,
};
pub use interop::ImportPlan;
pub use machine::{MachineClientInput, MachineCredential};
pub use providers::{
    LOCAL_SERVERS, LocalProvider, ModelView, ProviderEdit, ProviderSpec, ProviderView, ToolsSource,
};
pub use runs::{AlwaysAllowed, Approve, ConnectorBudget, RunSummary, StepBudget, StepFront};
pub use sign_in::{
    BrowserError, Reauthorized, RedirectUris, SignInFront, SignInOptions, SignInStep, Visit,
};
pub use step_up::StepUpView;
pub use steps::{ApprovalPolicy, StepConnector, StepSpec, StepView};
pub use workbench::{PromptFilled, PromptMessageView, ResourceRead, ServerDetails};

use crate::error::Error;
use crate::keychain::Keychain;
use crate::mcp::Timeouts;
use crate::oauth::refresh::{Clock, TokenCells, system_clock};
use crate::store::{ConnectorRow, SecretChange, Store, StoreError, Workspace};
use crate::vault::Vault;

pub struct Patchbay {
    store: Arc<Mutex<Store>>,
    vault: Arc<Vault>,
    data_dir: PathBuf,
    /// The timeouts connectors without their own use: the app settings', or the front end's
    /// override (the CLI's `--timeout`), which a settings change then leaves alone.
    timeouts: Arc<std::sync::RwLock<BaseTimeouts>>,
    /// Each OAuth connector's current tokens, shared by all its sessions (single-flight refresh).
    tokens: TokenCells,
    /// OAuth sign-ins in flight: their callback registry and cancel switches.
    sign_ins: sign_in::SignIns,
    /// Who answers a server's requests for input (elicitation, and 2026-07-28's input-required
    /// results) on the front end's behalf; `None`: nobody, so nothing is announced.
    input: Option<Arc<dyn crate::mcp::elicitation::Responder>>,
}

#[derive(Debug, Clone, Copy)]
struct BaseTimeouts {
    timeouts: Timeouts,
    overridden: bool,
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

impl Patchbay {
    /// Opens the store in `data_dir` (created with owner-only permissions if missing). The
    /// keychain is not touched until a secret is needed, so listing works while it is locked.
    pub fn open(
        data_dir: &Path,
        keychain: Arc<dyn Keychain>,
        keychain_service: &str,
    ) -> Result<Self, Error> {
        create_private_dir(data_dir).map_err(|source| Error::DataDir {
            path: data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&data_dir.join(crate::paths::DATABASE_FILE), &now())?;
        let settings = crate::settings::AppSettings::from_stored(
            store.meta(crate::settings::META_KEY)?.as_deref(),
        );
        Ok(Self {
            store: Arc::new(Mutex::new(store)),
            vault: Arc::new(Vault::new(keychain, keychain_service)),
            data_dir: data_dir.to_owned(),
            timeouts: Arc::new(std::sync::RwLock::new(BaseTimeouts {
                timeouts: settings.timeouts(),
                overridden: false,
            })),
            tokens: TokenCells::new(system_clock()),
            sign_ins: sign_in::SignIns::default(),
            input: None,
        })
    }

    /// The clock OAuth token expiry is judged by (tests move it forward). Call before use.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.tokens = TokenCells::new(clock);
        self
    }

    /// Lets `responder` answer the servers' requests for input in every session this facade
    /// opens (the CLI asks on its terminal). Call before use.
    pub fn with_input(mut self, responder: Arc<dyn crate::mcp::elicitation::Responder>) -> Self {
        self.input = Some(responder);
        self
    }

    /// Overrides the network timeouts (the CLI's `--timeout`).
    pub fn with_timeouts(self, timeouts: Timeouts) -> Self {
        *self
            .timeouts
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = BaseTimeouts {
            timeouts,
            overridden: true,
        };
        self
    }

    /// The timeouts connectors without their own use now.
    pub(crate) fn timeouts(&self) -> Timeouts {
        self.timeouts
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .timeouts
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn workspace(store: &Store, name: &str) -> Result<Workspace, Error> {
        store
            .workspace_by_name(name.trim())?
            .ok_or_else(|| Error::NotFound {
                what: "workspace",
                name: name.to_owned(),
                place: String::new(),
            })
    }

    pub(crate) fn row(
        store: &Store,
        workspace: &Workspace,
        name: &str,
    ) -> Result<ConnectorRow, Error> {
        store
            .connector_by_name(&workspace.id, name.trim())?
            .ok_or_else(|| Error::NotFound {
                what: "connector",
                name: name.to_owned(),
                place: format!(" in workspace {:?}", workspace.name),
            })
    }

    /// Rewrites the connector `id` as `change` makes it from the row as stored now, not from
    /// a copy read before a network wait: what another writer changed meanwhile (a rename, a
    /// header) stays. `change` runs again if another process writes between the read and the
    /// save (compare-and-swap on the row's revision). Returns the row as saved.
    pub(crate) fn rewrite_connector(
        store: &mut Store,
        workspace: &Workspace,
        id: &str,
        name: &str,
        change: impl Fn(&Store, ConnectorRow) -> Result<(ConnectorRow, Vec<SecretChange>), Error>,
    ) -> Result<ConnectorRow, Error> {
        const ATTEMPTS: usize = 5;
        for _ in 0..ATTEMPTS {
            let current = store
                .connector_by_id(id)?
                .filter(|row| row.workspace_id == workspace.id)
                .ok_or_else(|| Error::NotFound {
                    what: "connector",
                    name: name.to_owned(),
                    place: format!(" in workspace {:?}", workspace.name),
                })?;
            let (updated, secrets) = change(store, current)?;
            match store.save_connector(&updated, secrets) {
                Ok(revision) => {
                    return Ok(ConnectorRow {
                        revision,
                        ..updated
                    });
                }
                Err(StoreError::Changed) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(Error::Changed {
            what: "connector",
            name: name.to_owned(),
        })
    }

    /// A named connector of a named workspace, read under one short store lock (the preamble
    /// of nearly every connector use case).
    fn located(&self, workspace: &str, name: &str) -> Result<(Workspace, ConnectorRow), Error> {
        blocking(|| {
            let store = self.store();
            let workspace = Self::workspace(&store, workspace)?;
            let row = Self::row(&store, &workspace, name)?;
            Ok((workspace, row))
        })
    }
}

/// Runs synchronous store or keychain work. On a multi-threaded tokio runtime the current worker
/// is handed over to blocking work first (its queued tasks move to other workers); elsewhere (no
/// runtime, a current-thread runtime in tests, a blocking-pool thread) it simply runs.
pub(crate) fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

/// Creates the data directory readable by its owner only: it holds (encrypted) credentials.
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
