//! `cargo xtask`: the project's two front doors.
//!
//! - `cargo xtask run`: install what is missing (system packages via apt when allowed, the UI's
//!   npm packages), build the UI and the desktop app, and open the window on the default data dir.
//! - `cargo xtask test`: everything CI checks — formatting, the no-tauri-in-core rule, clippy
//!   with warnings denied, the UI's type check and tests, and every Rust test including the
//!   real-peer end-to-end suite and the real window driven through WebDriver, under Xvfb inside a
//!   private D-Bus session with an unlocked gnome-keyring.
//! - `cargo xtask soak [CYCLES]`: the crash soak (kill -9 during store writes) at full length.
//! - `cargo xtask bench`: Patchbay beside its peers (the TypeScript SDK, a raw-HTTP floor, an
//!   empty Tauri app), release builds, written to `bench/RESULTS.md`; `test` runs it as a smoke.
//! - `cargo xtask bundle`: the release app and CLI in Linux packages (.deb, .rpm); `test-bundle`
//!   installs the .deb and tests the installed product (`test` ends with it).

mod bench;
mod boundaries;
mod bundle;
mod conformance;
mod local_model;
mod system;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = repo_root()?;
    match args.first().map(String::as_str) {
        Some("run") => run(&root, &args[1..]),
        Some("test") => test(&root),
        Some("conformance") => match args.get(1).map(String::as_str) {
            None | Some("stable") => conformance::run(&root, conformance::STABLE),
            Some("alpha") => conformance::run(&root, conformance::ALPHA),
            Some(other) => bail!("no conformance suite {other:?}: stable or alpha"),
        },
        Some("deps") => system::ensure_packages(&system::all_packages()),
        Some("boundaries") => boundaries::check(&root),
        Some("soak") => soak(&root, args.get(1).map(String::as_str)),
        Some("bundle") => bundle::bundle(&root, &bundle::parse(&args[1..])?).map(drop),
        Some("test-bundle") => {
            system::ensure_packages(&system::all_packages())?;
            bundle::test_installed(&root, &system::ensure_tauri_driver()?)
        }
        Some("bench") => match args.get(1).map(String::as_str) {
            None => bench::run(&root, bench::Size::Full),
            Some("--smoke") => bench::run(&root, bench::Size::Smoke),
            Some(other) => bail!("cargo xtask bench [--smoke], not {other:?}"),
        },
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  run    install missing prerequisites, build, open Patchbay\n  \
                 test   everything CI runs (fmt, clippy, ui tests, Rust tests, real-peer tests)\n  \
                 deps   install the system packages only\n  \
                 soak [CYCLES]   kill -9 during CYCLES (default 1000) store write cycles, \
                 checking integrity and every acknowledged write after each kill\n  \
                 bundle [--appimage]   the release app and CLI as .deb and .rpm (and the \
                 AppImage, which downloads linuxdeploy) under target/release/bundle\n  \
                 test-bundle   build and install the .deb, test the installed app and CLI, \
                 uninstall (as root; `test` runs it)\n  \
                 bench  Patchbay beside its peers, release builds, into bench/RESULTS.md (~20 min \
                 with a cold release build)\n  \
                 conformance [stable|alpha]   the MCP conformance suite 0.1.16 (stable) or the \
                 2026-07-28 alpha alone against Patchbay's client (needs a built workspace; \
                 `test` runs both)"
            );
            std::process::exit(2);
        }
    }
}

fn repo_root() -> Result<PathBuf> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// Runs a command, echoing it, failing with its exit status.
pub fn run_command(command: &mut Command) -> Result<()> {
    eprintln!("$ {}", describe(command));
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", describe(command)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", describe(command));
    }
    Ok(())
}

fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn npm(directory: &Path) -> Command {
    let mut command = Command::new("npm");
    command.current_dir(directory);
    command
}

/// `npm ci` unless node_modules already matches the lock file (saves ~20 s per run).
fn npm_install(directory: &Path) -> Result<()> {
    let lock = std::fs::read(directory.join("package-lock.json"))
        .with_context(|| format!("{} has no package-lock.json", directory.display()))?;
    let stamp = directory.join("node_modules").join(".patchbay-lock-stamp");
    if std::fs::read(&stamp).is_ok_and(|installed| installed == lock) {
        return Ok(());
    }
    run_command(npm(directory).args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp, lock)?;
    Ok(())
}

fn step(name: &str, started: Instant) {
    eprintln!("\n==> {name} (at {:.0}s)", started.elapsed().as_secs_f64());
}

fn build_ui(root: &Path) -> Result<()> {
    let ui = root.join("ui");
    npm_install(&ui)?;
    run_command(npm(&ui).args(["run", "build"]))
}

fn run(root: &Path, extra: &[String]) -> Result<()> {
    system::ensure_packages(system::BUILD_PACKAGES)?;
    build_ui(root)?;
    run_command(
        cargo()
            .current_dir(root)
            .args(["build", "-p", "patchbay-desktop"]),
    )?;
    let binary = root.join("target/debug/patchbay-desktop");
    let mut command = Command::new(binary);
    command.args(extra);
    run_command(&mut command)
}

/// Checklist 42 at full length: the crash soak of `tests/e2e/crash.rs` (100 cycles inside
/// `cargo xtask test`) with 1,000 cycles or `cycles`, against the real keychain.
fn soak(root: &Path, cycles: Option<&str>) -> Result<()> {
    let cycles = cycles.unwrap_or("1000");
    if cycles.parse::<u64>().map_or(true, |n| n == 0) {
        bail!("soak takes a positive number of cycles, not {cycles:?}");
    }
    system::ensure_packages(&system::all_packages())?;
    let mut soak = cargo();
    soak.current_dir(root).args([
        "test",
        "-p",
        "patchbay-tests",
        "--test",
        "e2e",
        "--locked",
        "crash::",
        "--",
        "--nocapture",
    ]);
    system::in_keyring_session(&mut soak)?;
    soak.env("PATCHBAY_SOAK_CYCLES", cycles);
    run_command(&mut soak)
}

fn test(root: &Path) -> Result<()> {
    let started = Instant::now();
    step("system packages", started);
    system::ensure_packages(&system::all_packages())?;

    step("formatting", started);
    run_command(cargo().current_dir(root).args(["fmt", "--all", "--check"]))?;

    step("patchbay-core must not depend on tauri", started);
    let tree = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args([
            "tree",
            "-p",
            "patchbay-core",
            "--prefix",
            "none",
            "-e",
            "normal,build",
        ])
        .output()?;
    if !tree.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&tree.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&tree.stdout);
    if let Some(line) = tree.lines().find(|line| line.starts_with("tauri")) {
        bail!("patchbay-core depends on {line}; the core must stay Tauri-free");
    }

    step("one door: front ends use only the facade's API", started);
    boundaries::check(root)?;

    step("npm packages (ui, test peers)", started);
    npm_install(&root.join("ui"))?;
    npm_install(&root.join("tests/peers"))?;

    step("ui: type check, unit tests, build", started);
    let ui = root.join("ui");
    run_command(npm(&ui).args(["run", "check"]))?;
    run_command(npm(&ui).args(["test"]))?;
    run_command(npm(&ui).args(["run", "build"]))?;

    step("clippy (warnings denied)", started);
    run_command(cargo().current_dir(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("build binaries used by the end-to-end tests", started);
    run_command(
        cargo()
            .current_dir(root)
            .args(["build", "--workspace", "--bins", "--locked"]),
    )?;

    step("tauri-driver for the real-window tests", started);
    let tauri_driver = system::ensure_tauri_driver()?;

    step(
        "Rust tests, under Xvfb, inside a private D-Bus session with gnome-keyring",
        started,
    );
    let mut tests = cargo();
    tests
        .current_dir(root)
        .args(["test", "--workspace", "--locked"]);
    system::in_keyring_session(&mut tests)?;
    tests.env("TAURI_DRIVER", &tauri_driver);
    system::on_virtual_display(&mut tests);
    run_command(&mut tests)?;

    step(
        "a real model (llama.cpp + Qwen2.5-Coder 1.5B) through the CLI and the window",
        started,
    );
    let model = local_model::start(root)?;
    let mut real = cargo();
    real.current_dir(root).args([
        "test",
        "--locked",
        "-p",
        "patchbay-tests",
        "--test",
        "e2e",
        "--test",
        "window",
        "real_model",
        "--",
        "--ignored",
        "--nocapture",
    ]);
    system::in_keyring_session(&mut real)?;
    real.env("TAURI_DRIVER", &tauri_driver);
    real.env("PATCHBAY_LOCAL_MODEL_URL", &model.url);
    system::on_virtual_display(&mut real);
    run_command(&mut real)?;
    drop(model);

    step(
        "benchmark harness smoke (debug builds, tiny sizes)",
        started,
    );
    bench::run(root, bench::Size::Smoke)?;

    step("MCP conformance suite 0.1.16 (client scenarios)", started);
    conformance::run(root, conformance::STABLE)?;
    step(
        "MCP conformance suite 0.2.0-alpha.12, revision 2026-07-28 (client scenarios)",
        started,
    );
    conformance::run(root, conformance::ALPHA)?;

    step(
        "the installers: build the release .deb, install it, test the installed app, remove it",
        started,
    );
    bundle::test_installed(root, &tauri_driver)?;

    eprintln!(
        "\nAll checks passed in {:.0}s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
