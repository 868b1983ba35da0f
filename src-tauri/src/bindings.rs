//! The TypeScript declarations of every type that crosses IPC, generated from the Rust types with
//! ts-rs into `ui/src/lib/bindings.ts`. A test fails when the checked-in file is stale;
//! `UPDATE_BINDINGS=1 cargo test -p patchbay-desktop bindings` rewrites it.

use ts_rs::{Config, TS};

use crate::dto::{
    AuthorizeWaiting, ConnectorEditInput, ConnectorInput, FocusConnector, HeaderInput,
    MachineClientInput, MachineCredentialInput, OAuthClientInput, Reauthorized, RedirectUris,
    SignInInput, SigningAlgorithm, StatusEvent, StepUpView,
};
use crate::error::{ErrorCode, IpcError};

/// The whole generated file.
pub fn typescript() -> String {
    let config = Config::default();
    let declarations = [
        patchbay_core::AuthKind::decl(&config),
        patchbay_core::ConnectorStatus::decl(&config),
        patchbay_core::Workspace::decl(&config),
        patchbay_core::ConnectorView::decl(&config),
        patchbay_core::mcp::Stage::decl(&config),
        patchbay_core::mcp::TransportKind::decl(&config),
        patchbay_core::mcp::Diagnosis::decl(&config),
        patchbay_core::Saved::decl(&config),
        HeaderInput::decl(&config),
        ConnectorInput::decl(&config),
        ConnectorEditInput::decl(&config),
        ErrorCode::decl(&config),
        IpcError::decl(&config),
        StatusEvent::decl(&config),
        FocusConnector::decl(&config),
        OAuthClientInput::decl(&config),
        patchbay_core::oauth::redirect::RedirectChoice::decl(&config),
        SignInInput::decl(&config),
        AuthorizeWaiting::decl(&config),
        RedirectUris::decl(&config),
        SigningAlgorithm::decl(&config),
        MachineCredentialInput::decl(&config),
        MachineClientInput::decl(&config),
        patchbay_core::oauth::RegistrationMethod::decl(&config),
        patchbay_core::oauth::ClientAuthentication::decl(&config),
        patchbay_core::oauth::OAuthClientView::decl(&config),
        StepUpView::decl(&config),
        Reauthorized::decl(&config),
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
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
