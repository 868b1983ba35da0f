//! Reads `tauri.conf.json` (a symlink to the one at the repository root, so cargo and the Tauri
//! CLI see the same file) and declares the app's own commands, which puts them under the
//! capability ACL like any plugin command: a command missing from `capabilities/` is refused.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "list_workspaces",
        "add_workspace",
        "rename_workspace",
        "remove_workspace",
        "list_connectors",
        "add_connector",
        "edit_connector",
        "remove_connector",
        "test_connector",
        "check_now",
        "authorize_connector",
        "reauthorize_connector",
        "cancel_authorization",
        "oauth_redirect_uris",
        "forget_credentials",
        "add_machine_connector",
        "renew_machine_connector",
        "oauth_client",
        "connector_step_up",
    ]);
    let attributes = tauri_build::Attributes::new().app_manifest(manifest);
    if let Err(error) = tauri_build::try_build(attributes) {
        // A build script reports failure by panicking; print the whole chain first.
        panic!("tauri-build failed: {error:#}");
    }
}
