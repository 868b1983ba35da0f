//! The step runs in flight in this window: a cancel switch and the approvals each one waits
//! for, by the window's run id. A run's events go to the window as `step-run` events; an
//! approval is an event too, answered through `answer_approval` (or denied when the run ends).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use patchbay_core::{ApprovalRequest, Approve, RunEvent, StepFront};
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::dto::{STEP_RUN_EVENT, StepRunEvent, StepRunEventKind};
use crate::{ErrorCode, IpcError};

/// The longest run id the window may choose (it sends a UUID).
const MAX_RUN_ID_LEN: usize = 64;

#[derive(Default)]
struct Entry {
    cancel: CancellationToken,
    approvals: HashMap<String, oneshot::Sender<Approve>>,
    next_request: u64,
}

/// Every run in flight, by run id.
#[derive(Clone, Default)]
pub struct Runs(Arc<Mutex<HashMap<String, Entry>>>);

impl Runs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `answer` to the approval `request_id` of `run_id`, if it still waits.
    pub fn answer(&self, run_id: &str, request_id: &str, answer: Approve) {
        let waiting = self
            .lock()
            .get_mut(run_id)
            .and_then(|entry| entry.approvals.remove(request_id));
        if let Some(waiting) = waiting
            && waiting.send(answer).is_err()
        {
            tracing::debug!(
                run_id,
                request_id,
                "an approval answered after its run ended"
            );
        }
    }

    pub fn cancel(&self, run_id: &str) {
        if let Some(entry) = self.lock().get(run_id) {
            entry.cancel.cancel();
        }
    }
}

/// One run's window side: the step front end core drives, removed from [`Runs`] on drop.
pub struct WindowRun<R: Runtime> {
    app: AppHandle<R>,
    runs: Runs,
    run_id: String,
    cancel: CancellationToken,
}

impl<R: Runtime> WindowRun<R> {
    pub fn begin(app: AppHandle<R>, runs: Runs, run_id: &str) -> Result<Self, IpcError> {
        if run_id.is_empty()
            || run_id.len() > MAX_RUN_ID_LEN
            || !run_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(IpcError::new(
                ErrorCode::InvalidInput,
                "a run needs an id of letters, digits and dashes",
            ));
        }
        let cancel = CancellationToken::new();
        {
            let mut all = runs.lock();
            if all.contains_key(run_id) {
                return Err(IpcError::new(
                    ErrorCode::InvalidInput,
                    "a run with this id is already running",
                ));
            }
            all.insert(
                run_id.to_owned(),
                Entry {
                    cancel: cancel.clone(),
                    ..Entry::default()
                },
            );
        }
        Ok(Self {
            app,
            runs,
            run_id: run_id.to_owned(),
            cancel,
        })
    }

    pub fn cancel(&self) -> &CancellationToken {
        &self.cancel
    }

    fn emit(&self, kind: StepRunEventKind) {
        let event = StepRunEvent {
            run_id: self.run_id.clone(),
            event: kind,
        };
        if let Err(error) = self.app.emit(STEP_RUN_EVENT, event) {
            tracing::warn!(%error, "sending a step-run event");
        }
    }
}

impl<R: Runtime> Drop for WindowRun<R> {
    fn drop(&mut self) {
        // Dropping the senders answers nothing: a waiting approval resolves as denied.
        self.runs.lock().remove(&self.run_id);
    }
}

#[async_trait::async_trait]
impl<R: Runtime> StepFront for WindowRun<R> {
    fn event(&self, event: RunEvent<'_>) {
        self.emit(StepRunEventKind::from(event));
    }

    async fn approve(&self, request: &ApprovalRequest) -> Approve {
        let (sender, receiver) = oneshot::channel();
        let request_id = {
            let mut all = self.runs.lock();
            let Some(entry) = all.get_mut(&self.run_id) else {
                return Approve::Deny;
            };
            entry.next_request += 1;
            let request_id = format!("approval-{}", entry.next_request);
            entry.approvals.insert(request_id.clone(), sender);
            request_id
        };
        self.emit(StepRunEventKind::ApprovalNeeded {
            request_id,
            connector: request.connector.clone(),
            tool: request.tool.clone(),
            arguments: request.arguments.clone(),
            read_only: request.read_only,
            destructive: request.destructive,
        });
        receiver.await.unwrap_or(Approve::Deny)
    }
}
