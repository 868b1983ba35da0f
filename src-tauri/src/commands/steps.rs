//! LLM-step commands: saved steps, running one (its events stream to the window as
//! `step-run` events; an approval the run waits for is an `ApprovalNeeded` event the window
//! answers with `answer_approval`; `cancel_run` stops it at once), the runs' history, and the
//! "always" answers. Core runs the step; the shell only carries events and answers.

use patchbay_core::{AlwaysAllowed, RunRecord, RunSummary, StepBudget, StepSpec, StepView};
use tauri::{AppHandle, Runtime, State};

use crate::IpcError;
use crate::dto::{ApprovalAnswer, InputAnswer};
use crate::runs::WindowRun;
use crate::state::PatchbayState;

#[tauri::command]
pub async fn list_steps(
    state: State<'_, PatchbayState>,
    workspace: String,
) -> Result<Vec<StepView>, IpcError> {
    Ok(state.patchbay()?.list_steps(&workspace)?)
}

#[tauri::command]
pub async fn save_step(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
    spec: StepSpec,
) -> Result<StepView, IpcError> {
    Ok(state.patchbay()?.save_step(&workspace, &name, spec)?)
}

/// What a step would offer its model, per connector and in all, with the budget's warning.
#[tauri::command]
pub async fn step_budget(
    state: State<'_, PatchbayState>,
    workspace: String,
    spec: StepSpec,
) -> Result<StepBudget, IpcError> {
    Ok(state.patchbay()?.step_budget(&workspace, &spec).await?)
}

#[tauri::command]
pub async fn remove_step(
    state: State<'_, PatchbayState>,
    workspace: String,
    name: String,
) -> Result<(), IpcError> {
    Ok(state.patchbay()?.remove_step(&workspace, &name)?)
}

/// Runs `spec` (saved as `step`, or a one-off) under the window's `run_id`; resolves with the
/// saved run, or fails with the run's record attached.
#[tauri::command]
pub async fn run_step<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, PatchbayState>,
    workspace: String,
    step: Option<String>,
    spec: StepSpec,
    run_id: String,
) -> Result<RunRecord, IpcError> {
    let core = state.patchbay()?;
    let run = WindowRun::begin(app, state.runs(), &run_id)?;
    let result = core
        .run_step(&workspace, step.as_deref(), spec, &run, run.cancel())
        .await;
    Ok(result?)
}

/// Answers the approval `request_id` of run `run_id`; a late answer does nothing.
#[tauri::command]
pub fn answer_approval(
    state: State<'_, PatchbayState>,
    run_id: String,
    request_id: String,
    answer: ApprovalAnswer,
) {
    state.runs().answer(&run_id, &request_id, answer.into());
}

/// Answers question `id` a connector's server asked (`input-requested`); a late answer does
/// nothing.
#[tauri::command]
pub fn answer_input(state: State<'_, PatchbayState>, id: String, answer: InputAnswer) {
    state.input().answer(&id, answer);
}

/// Stops run `run_id` at once (its transcript so far is saved); a late Cancel does nothing.
#[tauri::command]
pub fn cancel_run(state: State<'_, PatchbayState>, run_id: String) {
    state.runs().cancel(&run_id);
}

#[tauri::command]
pub async fn list_runs(
    state: State<'_, PatchbayState>,
    workspace: String,
    step: Option<String>,
) -> Result<Vec<RunSummary>, IpcError> {
    Ok(state.patchbay()?.list_runs(&workspace, step.as_deref())?)
}

#[tauri::command]
pub async fn run_record(
    state: State<'_, PatchbayState>,
    workspace: String,
    id: String,
) -> Result<RunRecord, IpcError> {
    Ok(state.patchbay()?.run_record(&workspace, &id)?)
}

#[tauri::command]
pub async fn always_allowed(
    state: State<'_, PatchbayState>,
    workspace: String,
) -> Result<Vec<AlwaysAllowed>, IpcError> {
    Ok(state.patchbay()?.always_allowed(&workspace)?)
}

#[tauri::command]
pub async fn revoke_always(
    state: State<'_, PatchbayState>,
    workspace: String,
    connector: String,
    tool: String,
) -> Result<(), IpcError> {
    Ok(state
        .patchbay()?
        .revoke_always(&workspace, &connector, &tool)?)
}
