//! An empty Tauri window: the floor Patchbay's desktop app is measured against (start to first
//! paint, idle memory, binary size; `cargo xtask bench`). Its page calls `ready` after its first
//! paint, and with `PATCHBAY_BENCH_READY` set this prints `patchbay-ready` — the same signal
//! the desktop app gives once its connector list has painted.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[tauri::command]
fn ready() {
    if std::env::var_os("PATCHBAY_BENCH_READY").is_some() {
        println!("patchbay-ready");
    }
}

fn main() {
    let built = tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!());
    if let Err(error) = built {
        eprintln!("the empty app failed: {error}");
        std::process::exit(1);
    }
}
