//! `cargo xtask bundle` and `cargo xtask test-bundle`: the installers, and a test of the installed
//! product.
//!
//! `bundle` builds the UI, then the release app and CLI (the bundles carry it as
//! `/usr/bin/patchbay`) in one cargo run, then the Linux packages with the Tauri bundler from
//! `ui/node_modules` (the npm `@tauri-apps/cli`, pinned in `ui/package.json`): `.deb` and `.rpm`
//! by default, the AppImage on request (`--appimage`: the bundler downloads linuxdeploy
//! from GitHub, which these machines cannot reach). It prints each bundle's path and size.
//!
//! `test-bundle` builds the `.deb`, installs it with apt (as root, or with passwordless sudo), runs
//! the ignored window test `installed::` against `/usr/bin/patchbay-desktop` under Xvfb in a
//! private D-Bus session with gnome-keyring, then removes the package and checks that nothing it
//! installed is left behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, run_command, system};

/// Which Linux bundles to make.
pub struct Targets {
    pub appimage: bool,
}

/// Parses `cargo xtask bundle [--appimage]`.
pub fn parse(args: &[String]) -> Result<Targets> {
    let mut targets = Targets { appimage: false };
    for arg in args {
        match arg.as_str() {
            "--appimage" => targets.appimage = true,
            other => bail!("cargo xtask bundle [--appimage], not {other:?}"),
        }
    }
    Ok(targets)
}

/// One bundle the bundler wrote.
pub struct Bundle {
    pub path: PathBuf,
    pub bytes: u64,
}

/// Builds the release app and CLI and the Linux bundles; returns what was written.
pub fn bundle(root: &Path, targets: &Targets) -> Result<Vec<Bundle>> {
    if !cfg!(target_os = "linux") {
        bail!(
            "cargo xtask bundle makes the Linux bundles; on macOS or Windows run \
             `npm exec --prefix ui -- tauri build` in src-tauri (README: Install)"
        );
    }
    system::ensure_packages(system::BUILD_PACKAGES)?;
    let ui = root.join("ui");
    let started = std::time::Instant::now();
    crate::build_ui(root)?;
    // The app and the CLI in one cargo run: each ends in a single-threaded whole-program (LTO)
    // link, and one run does the two side by side on two cores (~5 minutes less than `tauri
    // build`, which builds only the app, after a separate CLI build). `tauri/custom-protocol`
    // is what `tauri build` adds: the production build, which serves the embedded UI.
    run_command(cargo().current_dir(root).args([
        "build",
        "--release",
        "--locked",
        "-p",
        "patchbay-cli",
        "-p",
        "patchbay-desktop",
        "--features",
        "tauri/custom-protocol",
    ]))?;
    let output = root.join("target/release/bundle");
    // Bundles from an earlier run would be listed as this run's.
    for kind in ["deb", "rpm", "appimage"] {
        let directory = output.join(kind);
        if directory.exists() {
            std::fs::remove_dir_all(&directory)
                .with_context(|| format!("cannot clear {}", directory.display()))?;
        }
    }
    let kinds = if targets.appimage {
        "deb,rpm,appimage"
    } else {
        "deb,rpm"
    };
    // The Tauri CLI reads src-tauri/tauri.conf.json (a link to the root's) and packages what
    // was just built (`tauri bundle` builds nothing).
    run_command(
        Command::new(ui.join("node_modules/.bin/tauri"))
            .current_dir(root.join("src-tauri"))
            .args(["bundle", "--ci", "--bundles", kinds]),
    )?;
    let bundles = list(&output)?;
    if bundles.is_empty() {
        bail!(
            "the bundler reported success but wrote nothing under {}",
            output.display()
        );
    }
    eprintln!(
        "\nbundles (built in {:.0} s):",
        started.elapsed().as_secs_f64()
    );
    for bundle in &bundles {
        eprintln!(
            "  {}  {:.1} MiB",
            bundle.path.display(),
            bundle.bytes as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(bundles)
}

/// The `.deb`, `.rpm` and `.AppImage` files under `target/release/bundle`.
fn list(output: &Path) -> Result<Vec<Bundle>> {
    let mut bundles = Vec::new();
    for kind in ["deb", "rpm", "appimage"] {
        let Ok(entries) = std::fs::read_dir(output.join(kind)) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            let is_bundle = path
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| matches!(extension, "deb" | "rpm" | "AppImage"));
            if is_bundle {
                let bytes = std::fs::metadata(&path)?.len();
                bundles.push(Bundle { path, bytes });
            }
        }
    }
    bundles.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(bundles)
}

/// The package name the `.deb` installs as (its control file's `Package:`).
fn package_name(deb: &Path) -> Result<String> {
    let output = Command::new("dpkg-deb")
        .args(["--field"])
        .arg(deb)
        .arg("Package")
        .output()
        .context("cannot run dpkg-deb")?;
    if !output.status.success() {
        bail!(
            "dpkg-deb cannot read {}: {}",
            deb.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let name = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if name.is_empty() {
        bail!("{} names no package", deb.display());
    }
    Ok(name)
}

/// The files a `.deb` holds, as installed paths (directories left out).
fn package_files(deb: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("dpkg-deb")
        .arg("--contents")
        .arg(deb)
        .output()
        .context("cannot run dpkg-deb")?;
    if !output.status.success() {
        bail!("dpkg-deb cannot list {}", deb.display());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        // "-rwxr-xr-x root/root 123 2026-12-07 18:00 usr/bin/patchbay" (or "./usr/…")
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(|path| Path::new("/").join(path.trim_start_matches("./")))
        .collect())
}

/// Builds and installs the `.deb`, runs the installed-app window test, uninstalls, and checks
/// that the package left nothing behind.
pub fn test_installed(root: &Path, tauri_driver: &Path) -> Result<()> {
    let bundles = bundle(root, &Targets { appimage: false })?;
    let deb = bundles
        .iter()
        .find(|bundle| bundle.path.extension().is_some_and(|e| e == "deb"))
        .context("no .deb was built")?;
    let package = package_name(&deb.path)?;
    let files = package_files(&deb.path)?;
    for expected in [
        "/usr/bin/patchbay-desktop",
        "/usr/bin/patchbay",
        "/usr/share/applications/Patchbay.desktop",
    ] {
        if !files.iter().any(|file| file == Path::new(expected)) {
            bail!(
                "{} does not install {expected}: {files:?}",
                deb.path.display()
            );
        }
    }
    // apt resolves the package's dependencies the way a person's `apt install ./…deb` does.
    run_command(system::apt(&["install", "-y", "-q", "--reinstall"])?.arg(&deb.path))?;
    let outcome = run_installed_test(root, tauri_driver);
    // Uninstall even when the test failed, so the machine is left as it was found.
    let removed = system::apt(&["remove", "-y", "-q", "--purge"])?
        .arg(&package)
        .status()
        .context("cannot run apt-get")?;
    outcome?;
    if !removed.success() {
        bail!("apt-get could not remove {package}");
    }
    let left: Vec<_> = files.iter().filter(|file| file.exists()).collect();
    if !left.is_empty() {
        bail!("removing {package} left {left:?} behind");
    }
    let status = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", &package])
        .output()?;
    if String::from_utf8_lossy(&status.stdout).contains("installed") {
        bail!("{package} is still installed after removal");
    }
    eprintln!(
        "the installed {package} ({:.1} MiB .deb) passed, and removing it left none of its {} files",
        deb.bytes as f64 / (1024.0 * 1024.0),
        files.len()
    );
    Ok(())
}

fn run_installed_test(root: &Path, tauri_driver: &Path) -> Result<()> {
    let mut test = cargo();
    test.current_dir(root).args([
        "test",
        "--locked",
        "-p",
        "patchbay-tests",
        "--test",
        "window",
        "installed::",
        "--",
        "--ignored",
        "--nocapture",
    ]);
    system::in_keyring_session(&mut test)?;
    test.env("TAURI_DRIVER", tauri_driver);
    test.env("PATCHBAY_DESKTOP_BIN", "/usr/bin/patchbay-desktop");
    test.env("PATCHBAY_BIN", "/usr/bin/patchbay");
    system::on_virtual_display(&mut test);
    run_command(&mut test)
}
