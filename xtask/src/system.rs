//! System prerequisites: the Debian/Ubuntu packages Tauri and the tests need, installed with apt
//! when we are root (or have passwordless sudo), otherwise printed as the exact command to run.
//! Also the private D-Bus + gnome-keyring session and the virtual display the tests run in, and
//! `tauri-driver` for the real-window tests.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::run_command;

/// What building the desktop app needs (platform-notes: Tauri 2 on Debian 12).
pub const BUILD_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libssl-dev",
    "build-essential",
    "file",
    "pkg-config",
    "xdg-utils",
    "desktop-file-utils",
];

/// What the tests need beyond the build: a headless X server, WebDriver for WebKitGTK, the
/// Secret Service, screenshots, and Python with libX11 (the tray test closes the window the way
/// a window manager does, through ctypes).
pub const TEST_PACKAGES: &[&str] = &[
    "xvfb",
    "webkit2gtk-driver",
    "gnome-keyring",
    "dbus-x11",
    "xdotool",
    "imagemagick",
    "python3",
    "libx11-6",
    // GNU time: peak memory of whole processes in the benchmark's context rows.
    "time",
];

/// Everything `cargo xtask test` needs.
pub fn all_packages() -> Vec<&'static str> {
    [BUILD_PACKAGES, TEST_PACKAGES].concat()
}

fn missing(packages: &[&str]) -> Vec<String> {
    packages
        .iter()
        .filter(|package| {
            let output = Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output();
            !output.is_ok_and(|output| {
                String::from_utf8_lossy(&output.stdout).contains("install ok installed")
            })
        })
        .map(|package| (*package).to_owned())
        .collect()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn has_passwordless_sudo() -> bool {
    Command::new("sudo")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|status| status.success())
}

/// Installs missing packages with apt, or explains how.
pub fn ensure_packages(packages: &[&str]) -> Result<()> {
    if cfg!(not(target_os = "linux")) {
        return Ok(());
    }
    if Command::new("dpkg-query")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("not a Debian/Ubuntu system: install the equivalents of {packages:?} yourself");
        return Ok(());
    }
    if Command::new("npm").arg("--version").output().is_err() {
        bail!(
            "Node.js and npm are required (Node 20+): install them, e.g. `apt-get install nodejs npm`"
        );
    }
    let missing = missing(packages);
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    let mut update = apt(&["update", "-q"]).with_context(|| {
        format!("missing system packages: {list}\nrun: sudo apt-get update && sudo apt-get install -y {list}")
    })?;
    eprintln!("installing missing system packages: {list}");
    run_command(&mut update)?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"])?;
    install.args(&missing);
    run_command(&mut install)
}

/// `apt-get ARGS`, as root or through passwordless sudo; an error saying so otherwise.
pub fn apt(args: &[&str]) -> Result<Command> {
    let mut command = if is_root() {
        Command::new("apt-get")
    } else if has_passwordless_sudo() {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    } else {
        bail!("apt-get {} needs root or passwordless sudo", args.join(" "));
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    Ok(command)
}

/// Rewrites `command` to run inside `dbus-run-session` with an unlocked gnome-keyring and a
/// throwaway HOME, so tests use the real Secret Service without touching the user's keyring.
pub fn in_keyring_session(command: &mut Command) -> Result<()> {
    let home = std::env::var("HOME").unwrap_or_default();
    let scratch = tempfile_dir()?;
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let directory = command.get_current_dir().map(ToOwned::to_owned);
    let mut wrapped = Command::new("dbus-run-session");
    wrapped
        .arg("--")
        .arg("sh")
        .arg("-c")
        // An empty unlock password leaves no usable keyring (platform notes), so use a real one.
        .arg("printf '%s' patchbay-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"")
        .arg("sh")
        .arg(program)
        .args(args)
        .env("HOME", &scratch)
        .env("NO_AT_BRIDGE", "1")
        .env("RUSTUP_HOME", std::env::var("RUSTUP_HOME").unwrap_or_else(|_| format!("{home}/.rustup")))
        .env("CARGO_HOME", std::env::var("CARGO_HOME").unwrap_or_else(|_| format!("{home}/.cargo")));
    if let Some(directory) = directory {
        wrapped.current_dir(directory);
    }
    *command = wrapped;
    Ok(())
}

/// Rewrites `command` to run under `xvfb-run` (outermost) with its own X server, so the
/// real-window tests have a display on headless machines and never open windows on a developer's.
pub fn on_virtual_display(command: &mut Command) {
    let mut wrapped = Command::new("xvfb-run");
    wrapped
        .args(["-a", "-s", "-screen 0 1280x800x24"])
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(directory) = command.get_current_dir() {
        wrapped.current_dir(directory);
    }
    *command = wrapped;
}

/// `tauri-driver`, the WebDriver bridge for Tauri apps (it starts WebKitGTK's WebKitWebDriver
/// from the `webkit2gtk-driver` package): found in cargo's bin directory or on `PATH`, else
/// installed with `cargo install` (~1 min, once). Returns the path the tests should use.
pub fn ensure_tauri_driver() -> Result<PathBuf> {
    let installed = cargo_home()?.join("bin").join("tauri-driver");
    if installed.exists() {
        return Ok(installed);
    }
    let on_path = Command::new("tauri-driver")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if on_path {
        return Ok(PathBuf::from("tauri-driver"));
    }
    eprintln!("installing tauri-driver (once, about a minute)");
    // tauri-driver 2.x matches the Tauri 2 line; --locked builds it with its tested dependencies.
    run_command(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())).args([
            "install",
            "tauri-driver",
            "--locked",
            "--version",
            "^2",
        ]),
    )?;
    if !installed.exists() {
        bail!(
            "cargo install tauri-driver did not produce {}",
            installed.display()
        );
    }
    Ok(installed)
}

/// Where `cargo install` puts binaries: `CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    match std::env::var_os("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".cargo")),
        None => bail!("neither CARGO_HOME nor HOME is set: cannot tell where cargo installs"),
    }
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let path = std::env::temp_dir().join(format!("patchbay-test-home-{}", std::process::id()));
    std::fs::create_dir_all(&path)?;
    Ok(path)
}
