//! The IPC contract, generated from Rust into `ui/src/lib/bindings.ts`: the TypeScript
//! declarations of every type that crosses IPC (ts-rs), and the names and constants both sides
//! must agree on — every command name (from the one list that registers them), every event
//! name, every error code, and the sign-in time limit. A test fails when the checked-in file is
//! stale; `UPDATE_BINDINGS=1 cargo test -p patchbay-desktop bindings` rewrites it.

use ts_rs::{Config, TS};

use crate::dto::{
    AUTHORIZE_EVENT, ApprovalAnswer, AuthorizeWaiting, ConnectorEditInput, ConnectorInput,
    FOCUS_EVENT, FocusConnector, HeaderInput, INPUT_CLOSED_EVENT, INPUT_EVENT, INSTALL_EVENT,
    InputAction, InputAnswer, InputClosed, InputRequested, LinkOffer, MachineClientInput,
    MachineCredentialInput, OAuthClientInput, PlaceholderValue, ProviderEditInput, ProviderInput,
    QueryToHeader, STATUS_EVENT, STEP_RUN_EVENT, SignInInput, SigningAlgorithm, StatusEvent,
    StepRunEvent, StepRunEventKind, TOOL_PROGRESS_EVENT, TOOLS_CHANGED_EVENT, ToolProgress,
    ToolsChanged,
};
use crate::error::{ErrorCode, IpcError};

/// The whole generated file.
pub fn typescript() -> String {
    let config = Config::default();
    let declarations = [
        patchbay_core::AuthKind::decl(&config),
        patchbay_core::ConnectorStatus::decl(&config),
        patchbay_core::Workspace::decl(&config),
        patchbay_core::ProxySetting::decl(&config),
        patchbay_core::ConnectorNetwork::decl(&config),
        patchbay_core::ConnectorView::decl(&config),
        patchbay_core::Stage::decl(&config),
        patchbay_core::TransportKind::decl(&config),
        patchbay_core::Diagnosis::decl(&config),
        patchbay_core::Saved::decl(&config),
        HeaderInput::decl(&config),
        ConnectorInput::decl(&config),
        ConnectorEditInput::decl(&config),
        ErrorCode::decl(&config),
        IpcError::decl(&config),
        StatusEvent::decl(&config),
        FocusConnector::decl(&config),
        OAuthClientInput::decl(&config),
        patchbay_core::RedirectChoice::decl(&config),
        SignInInput::decl(&config),
        AuthorizeWaiting::decl(&config),
        patchbay_core::RedirectUris::decl(&config),
        SigningAlgorithm::decl(&config),
        MachineCredentialInput::decl(&config),
        MachineClientInput::decl(&config),
        patchbay_core::RegistrationMethod::decl(&config),
        patchbay_core::ClientAuthentication::decl(&config),
        patchbay_core::OAuthClientView::decl(&config),
        patchbay_core::Remedy::decl(&config),
        patchbay_core::StepUpView::decl(&config),
        patchbay_core::Reauthorized::decl(&config),
        patchbay_core::ProviderKind::decl(&config),
        patchbay_core::ProviderView::decl(&config),
        patchbay_core::ToolsSource::decl(&config),
        patchbay_core::ModelView::decl(&config),
        patchbay_core::LocalProvider::decl(&config),
        ProviderInput::decl(&config),
        ProviderEditInput::decl(&config),
        patchbay_core::ApprovalPolicy::decl(&config),
        patchbay_core::StepConnector::decl(&config),
        patchbay_core::StepSpec::decl(&config),
        patchbay_core::StepView::decl(&config),
        patchbay_core::Approval::decl(&config),
        patchbay_core::ResultPart::decl(&config),
        patchbay_core::CallRecord::decl(&config),
        patchbay_core::TokenUsage::decl(&config),
        patchbay_core::Turn::decl(&config),
        patchbay_core::OfferedTool::decl(&config),
        patchbay_core::Outcome::decl(&config),
        patchbay_core::Transcript::decl(&config),
        patchbay_core::RunRecord::decl(&config),
        patchbay_core::RunSummary::decl(&config),
        patchbay_core::AlwaysAllowed::decl(&config),
        ApprovalAnswer::decl(&config),
        StepRunEventKind::decl(&config),
        StepRunEvent::decl(&config),
        InputRequested::decl(&config),
        InputClosed::decl(&config),
        InputAction::decl(&config),
        InputAnswer::decl(&config),
        patchbay_core::CheckView::decl(&config),
        patchbay_core::ToolHints::decl(&config),
        patchbay_core::ToolView::decl(&config),
        patchbay_core::Budget::decl(&config),
        patchbay_core::ToolCatalog::decl(&config),
        patchbay_core::ShownPart::decl(&config),
        patchbay_core::CallOutcome::decl(&config),
        patchbay_core::Progress::decl(&config),
        ToolProgress::decl(&config),
        ToolsChanged::decl(&config),
        patchbay_core::ResourceItem::decl(&config),
        patchbay_core::TemplateItem::decl(&config),
        patchbay_core::ResourceCatalog::decl(&config),
        patchbay_core::ResourceRead::decl(&config),
        patchbay_core::PromptArgumentItem::decl(&config),
        patchbay_core::PromptItem::decl(&config),
        patchbay_core::PromptMessageView::decl(&config),
        patchbay_core::PromptFilled::decl(&config),
        patchbay_core::ServerDetails::decl(&config),
        patchbay_core::ConnectorBudget::decl(&config),
        patchbay_core::StepBudget::decl(&config),
        patchbay_core::ConfigFormat::decl(&config),
        patchbay_core::Placeholder::decl(&config),
        patchbay_core::CandidateView::decl(&config),
        patchbay_core::Skipped::decl(&config),
        patchbay_core::ImportPlan::decl(&config),
        patchbay_core::InstallOffer::decl(&config),
        LinkOffer::decl(&config),
        PlaceholderValue::decl(&config),
        QueryToHeader::decl(&config),
        patchbay_core::Theme::decl(&config),
        patchbay_core::AppSettings::decl(&config),
        crate::commands::settings::AppInfo::decl(&config),
    ];
    let mut out = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:\n\
         // run `UPDATE_BINDINGS=1 cargo test -p patchbay-desktop bindings` after changing them.\n\n",
    );
    for declaration in declarations {
        out.push_str("export ");
        out.push_str(&declaration);
        out.push_str("\n\n");
    }
    out.push_str(&constants());
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// The names and constants the UI must not copy by hand.
fn constants() -> String {
    let quoted = |names: &mut dyn Iterator<Item = String>| {
        names
            .map(|name| format!("  '{name}',"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let commands = quoted(&mut crate::COMMAND_NAMES.iter().map(|name| (*name).to_owned()));
    let codes = quoted(&mut ErrorCode::ALL.iter().map(|code| format!("{code:?}")));
    format!(
        "/** Every command the webview may invoke. */\n\
         export const COMMANDS = [\n{commands}\n] as const;\n\n\
         export type CommandName = (typeof COMMANDS)[number];\n\n\
         /** Every error code a command can fail with. */\n\
         export const ERROR_CODES: readonly ErrorCode[] = [\n{codes}\n];\n\n\
         /** The events the shell emits. */\n\
         export const EVENTS = {{\n  authorizeWaiting: '{AUTHORIZE_EVENT}',\n  \
         connectorStatus: '{STATUS_EVENT}',\n  focusConnector: '{FOCUS_EVENT}',\n  stepRun: '{STEP_RUN_EVENT}',\n  \
         toolProgress: '{TOOL_PROGRESS_EVENT}',\n  toolsChanged: '{TOOLS_CHANGED_EVENT}',\n  \
         inputRequested: '{INPUT_EVENT}',\n  inputClosed: '{INPUT_CLOSED_EVENT}',\n  installOffer: '{INSTALL_EVENT}',\n}} as const;\n\n\
         /** How long a browser sign-in waits for the person, in seconds. */\n\
         export const AUTHORIZE_TIMEOUT_SECONDS = {};\n",
        patchbay_core::AUTHORIZE_TIMEOUT.as_secs()
    )
}
