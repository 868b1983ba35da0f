//! The installed product: the `.deb` that `cargo xtask bundle` builds, installed with apt by
//! `cargo xtask test-bundle` (which `cargo xtask test` runs last), then exercised as a person
//! would use it — from `/usr/bin`, with links going through the desktop's own handler rather than
//! through a second launch of the binary the way the other window tests deliver them.
//!
//! - The package's desktop entry passes the link (`Exec=… %u`), claims Patchbay's scheme, and
//!   passes `desktop-file-validate`; its icons are in the hicolor theme.
//! - The installed `patchbay` CLI adds a connector to a real server-everything and lists its tools.
//! - The installed app's window paints that connector, Connected.
//! - An OAuth sign-in against the TypeScript SDK's OAuth demo server: the app opens the
//!   authorization URL with the desktop's default browser, and the demo's redirect — Patchbay's
//!   link with the code — comes back through `xdg-open`, which finds the package's entry in the
//!   desktop's MIME database and starts it; single-instance hands the link to the running window,
//!   which saves the connector. A forged link sent through `gio open` changes nothing.
//! - The installed app did not register itself at runtime (no per-user handler entry): the
//!   package's entry did the work.
//!
//! The browser is a stand-in (no browser runs under Xvfb) registered as the sandbox desktop's
//! default browser ([`StandInBrowser::as_default_browser`]). Ignored by plain `cargo test`: it
//! needs the package installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_tests::window::{
    Desktop, SAVE_LIMIT, StandInBrowser, UI_LIMIT, fresh_screenshots, testid, xdg_dir,
};
use patchbay_tests::{EverythingMode, Sandbox, oauth_demo_server, patchbay_bin, server_everything};

use crate::oauth::{APP_LINK, approve};
use crate::stored;

const INSTALLED_APP: &str = "/usr/bin/patchbay-desktop";
const INSTALLED_CLI: &str = "/usr/bin/patchbay";
const ENTRY: &str = "/usr/share/applications/Patchbay.desktop";
const SCHEME_TYPE: &str = "x-scheme-handler/dev.patchbay.desktop";

/// The sandbox's XDG directories, as `Desktop::launch` sets them for the app.
struct Xdg {
    data: PathBuf,
    config: PathBuf,
}

impl Xdg {
    fn of(sandbox: &Sandbox) -> Result<Self> {
        let xdg = Self {
            data: xdg_dir(sandbox, "data"),
            config: xdg_dir(sandbox, "config"),
        };
        std::fs::create_dir_all(xdg.data.join("applications"))?;
        std::fs::create_dir_all(&xdg.config)?;
        Ok(xdg)
    }

    /// `xdg-mime query default TYPE` as the desktop answers it in these directories.
    fn default_for(&self, mime: &str) -> Result<String> {
        let output = Command::new("xdg-mime")
            .args(["query", "default", mime])
            .env("XDG_DATA_HOME", &self.data)
            .env("XDG_CONFIG_HOME", &self.config)
            .output()
            .context("cannot run xdg-mime")?;
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }
}

/// The package's desktop entry and icons, as installed.
fn check_the_packages_entry() -> Result<()> {
    let entry =
        std::fs::read_to_string(ENTRY).with_context(|| format!("{ENTRY} is not installed"))?;
    let lines: Vec<&str> = entry.lines().collect();
    ensure!(
        lines.contains(&"Exec=patchbay-desktop %u"),
        "the entry passes the link to the app:\n{entry}"
    );
    ensure!(
        lines.contains(&"StartupWMClass=patchbay-desktop"),
        "the entry names the window's class:\n{entry}"
    );
    ensure!(
        lines.iter().any(|line| line
            .strip_prefix("MimeType=")
            .is_some_and(|types| types.split(';').any(|mime| mime == SCHEME_TYPE))),
        "the entry claims {SCHEME_TYPE}:\n{entry}"
    );
    let validate = Command::new("desktop-file-validate")
        .arg(ENTRY)
        .output()
        .context("cannot run desktop-file-validate")?;
    ensure!(
        validate.status.success(),
        "desktop-file-validate {ENTRY}: {}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    for size in ["32x32", "64x64", "128x128", "256x256"] {
        let icon = format!("/usr/share/icons/hicolor/{size}/apps/patchbay-desktop.png");
        ensure!(Path::new(&icon).exists(), "{icon} is installed");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the .deb installed: cargo xtask test-bundle (cargo xtask test runs it)"]
async fn the_installed_app_and_cli_work_and_a_sign_in_returns_through_the_desktops_handler()
-> Result<()> {
    let label = "installed";
    fresh_screenshots(label)?;
    ensure!(
        std::env::var_os("PATCHBAY_DESKTOP_BIN").is_some_and(|bin| bin == INSTALLED_APP)
            && patchbay_bin()? == Path::new(INSTALLED_CLI),
        "run through `cargo xtask test-bundle`, which installs the .deb and points \
         PATCHBAY_DESKTOP_BIN and PATCHBAY_BIN at {INSTALLED_APP} and {INSTALLED_CLI}"
    );
    check_the_packages_entry()?;

    // The installed CLI, against a real server.
    let sandbox = Sandbox::new()?;
    let version = sandbox.run(&["--version"], None)?;
    ensure!(
        version.code == 0 && version.stdout.contains(env!("CARGO_PKG_VERSION")),
        "patchbay --version: {version}"
    );
    let everything = server_everything(EverythingMode::StreamableHttp)?;
    let url = everything.everything_url(EverythingMode::StreamableHttp);
    let added = sandbox.run(
        &["connector", "add", "--name", "Everything", "--url", &url],
        None,
    )?;
    ensure!(
        added.code == 0,
        "the installed CLI adds a connector: {added}"
    );
    let tools = sandbox.run(&["tools", "Everything", "--json"], None)?;
    ensure!(
        tools.code == 0 && tools.stdout.contains("\"get-sum\""),
        "the installed CLI lists the server's tools: {tools}"
    );

    // The desktop as a person's session has it: a default browser, and the package's entry as
    // the handler of Patchbay's links.
    let xdg = Xdg::of(&sandbox)?;
    let browser = StandInBrowser::as_default_browser(&sandbox)?;
    let handler = xdg.default_for(SCHEME_TYPE)?;
    ensure!(
        handler == "Patchbay.desktop",
        "the desktop opens Patchbay's links with the package's entry, not {handler:?}"
    );
    ensure!(
        xdg.default_for("x-scheme-handler/https")? == "stand-in-browser.desktop",
        "the stand-in is the default browser"
    );

    // The installed app paints the connector the CLI added.
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for_rows(&["Everything"], UI_LIMIT).await?;
    desktop
        .wait_for_status("Everything", "connected", SAVE_LIMIT)
        .await?;
    desktop.screenshot("01-the-installed-app").await?;
    // Docks and task switchers match the window to the entry by its WM_CLASS.
    let windows = Command::new("xdotool")
        .args(["search", "--class", "^patchbay-desktop$"])
        .output()
        .context("cannot run xdotool")?;
    ensure!(
        windows.status.success() && !String::from_utf8_lossy(&windows.stdout).trim().is_empty(),
        "the window's WM_CLASS is the entry's StartupWMClass (patchbay-desktop)"
    );

    // OAuth: Authorize opens the desktop's browser.
    let (demo, _auth_port) = oauth_demo_server()?;
    let demo_url = format!("http://localhost:{}/mcp", demo.port);
    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), "Demo").await?;
    desktop.fill(&testid("field-url"), &demo_url).await?;
    desktop.choose(&testid("field-auth"), "oauth").await?;
    desktop.click(&testid("authorize")).await?;
    desktop.wait_for(&testid("authorize-waiting")).await?;
    let authorization_url = browser.wait_for_url(SAVE_LIMIT).await?;
    let redirect = url::Url::parse(&authorization_url)?
        .query_pairs()
        .find(|(key, _)| key == "redirect_uri")
        .map(|(_, value)| value.into_owned());
    ensure!(
        redirect.as_deref() == Some(APP_LINK),
        "the desktop's browser was sent to the demo with the app's link to come back to: \
         {authorization_url}"
    );
    desktop.screenshot("02-waiting-for-the-browser").await?;

    // A forged link through GIO's handler lookup: the sign-in keeps waiting, nothing is saved.
    let forged = format!("{APP_LINK}?code=forged-code-5108&state=forged-state-5108");
    desktop.open_through(&["gio", "open"], &forged).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    desktop.wait_for(&testid("authorize-waiting")).await?;
    let names: Vec<_> = stored(&sandbox)?
        .iter()
        .map(|connector| connector["name"].clone())
        .collect();
    ensure!(
        names == ["Everything"],
        "a forged link saves nothing: {names:?}"
    );

    // The person approves; the demo's redirect comes back through xdg-open and the package's
    // entry to the running window.
    let callback = approve(&authorization_url).await?;
    ensure!(
        callback.starts_with(&format!("{APP_LINK}?")),
        "the demo redirects to the app's link: {callback}"
    );
    desktop.open_through(&["xdg-open"], &callback).await?;
    desktop
        .wait_gone(&testid("connector-dialog"), SAVE_LIMIT)
        .await?;
    desktop
        .wait_for_rows(&["Demo", "Everything"], UI_LIMIT)
        .await?;
    desktop
        .wait_for_status("Demo", "connected", UI_LIMIT)
        .await?;
    desktop.screenshot("03-signed-in-through-xdg-open").await?;
    let saved = stored(&sandbox)?;
    ensure!(
        saved.iter().any(|connector| connector["name"] == "Demo"
            && connector["auth"] == "oauth"
            && connector["status"] == "connected"),
        "the installed CLI sees the connector the installed window signed in: {saved:?}"
    );

    // Nothing registered itself per user: the package's entry handled both links.
    let registered: Vec<_> = std::fs::read_dir(xdg.data.join("applications"))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("patchbay"))
        .collect();
    ensure!(
        registered.is_empty(),
        "the installed app wrote per-user handler entries: {registered:?}"
    );
    ensure!(
        xdg.default_for(SCHEME_TYPE)? == "Patchbay.desktop",
        "the package's entry is still the handler"
    );

    desktop.quit().await?;
    drop(demo);
    drop(everything);
    Ok(())
}
