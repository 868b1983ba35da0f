//! Tauri's build step, with the one command the page calls (`ready`) declared for the ACL.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(&["ready"])),
    )
    .unwrap_or_else(|error| panic!("tauri build step: {error}"));
}
