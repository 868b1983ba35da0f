//! The real desktop window, driven through WebDriver: `tauri-driver` (which starts WebKitGTK's
//! `WebKitWebDriver`) on free ports, a session that launches `target/debug/patchbay-desktop` on a
//! [`Sandbox`]'s data dir and keychain namespace, and polling helpers over the UI's
//! `data-testid` hooks. Every wait has a limit; a timeout saves a screenshot and the page text.
//!
//! Needs an X display and a Secret Service: `cargo xtask test` runs the suite under `xvfb-run`
//! inside `dbus-run-session` with an unlocked gnome-keyring. Only one window runs at a time: the
//! app is single-instance per D-Bus session, so a second launch would hand over to the first and
//! exit. [`Desktop::launch`] therefore takes a process-wide turn (released when the `Desktop` is
//! dropped) and waits until no instance owns the single-instance D-Bus name.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::{Sandbox, free_port, wait_for_port};

/// Finding a button or field that should already be on screen.
pub const UI_LIMIT: Duration = Duration::from_secs(10);
/// A save tests the connection first; a local server answers in well under a second.
pub const SAVE_LIMIT: Duration = Duration::from_secs(20);

/// Starting the app and opening its webview; WebKitWebDriver itself never gives up waiting.
pub const SESSION_LIMIT: Duration = Duration::from_secs(30);
/// The D-Bus name tauri-plugin-single-instance owns while an instance runs (identifier +
/// `.SingleInstance`). While it has an owner, a new instance hands over to it and exits.
const SINGLE_INSTANCE_NAME: &str = "dev.patchbay.desktop.SingleInstance";

/// How often waits look again.
const POLL: Duration = Duration::from_millis(100);
/// The monitor runs every second and backs off to at most two while a server is down, so status
/// changes show within a few seconds; waits allow more to absorb a slow, shared CI machine.
pub const MONITOR_INTERVAL_SECS: &str = "1";
pub const MONITOR_BACKOFF_MAX_SECS: &str = "2";

/// One window at a time (see the module docs). A tokio mutex: its guard lives across awaits.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The desktop binary built beside this test (`cargo build -p patchbay-desktop`).
pub fn desktop_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATCHBAY_DESKTOP_BIN") {
        return Ok(PathBuf::from(path));
    }
    let binary = profile_dir()?.join(format!("patchbay-desktop{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        bail!(
            "{} is missing: run `cargo build -p patchbay-desktop` first (cargo xtask test does)",
            binary.display()
        );
    }
    Ok(binary)
}

/// `tauri-driver`: `TAURI_DRIVER`, else cargo's bin directory, else `PATH`.
pub fn tauri_driver_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    cargo_home
        .map(|home| home.join("bin").join("tauri-driver"))
        .filter(|path| path.exists())
        .unwrap_or_else(|| PathBuf::from("tauri-driver"))
}

/// target/<profile>, from this test binary's path (target/<profile>/deps/<test>).
fn profile_dir() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .context("test binary has no parent")
}

/// `target/e2e-screenshots`, where every state the tests reach is saved for people to look at.
pub fn screenshots_dir() -> Result<PathBuf> {
    let target = profile_dir()?
        .parent()
        .map(Path::to_path_buf)
        .context("no target directory")?;
    let dir = target.join("e2e-screenshots");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Deletes `label`'s screenshots from an earlier run, so the directory shows only this one.
pub fn fresh_screenshots(label: &str) -> Result<()> {
    let prefix = format!("{label}-");
    for entry in std::fs::read_dir(screenshots_dir()?)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with(&prefix) && name.ends_with(".png") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// A row of the connector list as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub name: String,
    pub status: String,
}

/// A running Patchbay window and the WebDriver session controlling it.
pub struct Desktop {
    client: Option<Client>,
    driver: Child,
    driver_log: PathBuf,
    binary: PathBuf,
    keychain_service: String,
    /// The environment the app was started with (also given to [`Desktop::open_deep_link`]).
    app_env: Vec<(OsString, OsString)>,
    label: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Desktop {
    /// Starts tauri-driver and a session that launches the app on `sandbox`'s data dir and
    /// keychain namespace. `label` prefixes this test's screenshots.
    pub async fn launch(sandbox: &Sandbox, label: &str) -> Result<Self> {
        Self::launch_with_env(sandbox, label, &[]).await
    }

    /// [`Desktop::launch`] with extra environment for the app (e.g. a `PATH` with a stand-in).
    pub async fn launch_with_env(
        sandbox: &Sandbox,
        label: &str,
        extra_env: &[(OsString, OsString)],
    ) -> Result<Self> {
        Self::launch_with(sandbox, label, extra_env, &[]).await
    }

    /// [`Desktop::launch_with_env`] with command-line arguments for the app, the way the OS
    /// starts it for a deep link when it is not running (a cold start).
    pub async fn launch_with(
        sandbox: &Sandbox,
        label: &str,
        extra_env: &[(OsString, OsString)],
        args: &[&str],
    ) -> Result<Self> {
        let binary = std::fs::canonicalize(desktop_bin()?)?;
        let turn = TURN.lock().await;
        wait_for_single_instance_name_free().await?;
        let port = free_port()?;
        let native_port = free_port()?;
        let driver_log = sandbox.dir.path().join(format!("tauri-driver-{port}.log"));
        let log = std::fs::File::create(&driver_log)?;
        // The app inherits tauri-driver's environment through WebKitWebDriver (WebDriver has no
        // capability for it). The XDG directories keep the webview's storage, logs and the
        // deep-link registration in the sandbox, never in the real home.
        let mut app_env: Vec<(OsString, OsString)> = Vec::new();
        for (variable, directory) in [
            ("XDG_DATA_HOME", "data"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
        ] {
            let path = xdg_dir(sandbox, directory);
            std::fs::create_dir_all(&path)?;
            app_env.push((variable.into(), path.into()));
        }
        app_env.extend([
            ("PATCHBAY_DATA_DIR".into(), sandbox.data_dir().into()),
            (
                "PATCHBAY_KEYCHAIN_SERVICE".into(),
                sandbox.keychain_service.clone().into(),
            ),
            (
                "PATCHBAY_MONITOR_INTERVAL_SECS".into(),
                MONITOR_INTERVAL_SECS.into(),
            ),
            (
                "PATCHBAY_MONITOR_BACKOFF_MAX_SECS".into(),
                MONITOR_BACKOFF_MAX_SECS.into(),
            ),
        ]);
        app_env.extend(extra_env.iter().cloned());
        let driver = Command::new(tauri_driver_bin())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .envs(app_env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}: install it with `cargo install tauri-driver --locked` \
                     (cargo xtask test does)",
                    tauri_driver_bin().display()
                )
            })?;
        let mut desktop = Self {
            client: None,
            driver,
            driver_log,
            binary,
            keychain_service: sandbox.keychain_service.clone(),
            app_env,
            label: label.to_owned(),
            _turn: turn,
        };
        wait_for_port(port, UI_LIMIT)
            .with_context(|| format!("tauri-driver did not start:\n{}", desktop.driver_log()))?;
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let session = tokio::time::timeout(SESSION_LIMIT, desktop.connect(port, &args)).await;
        desktop.client = Some(match session {
            Ok(client) => client?,
            Err(_) => bail!(
                "the app did not open its window within {SESSION_LIMIT:?}\n{}",
                desktop.driver_log()
            ),
        });
        Ok(desktop)
    }

    async fn connect(&self, port: u16, args: &[String]) -> Result<Client> {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": self.binary.to_string_lossy(), "args": args }),
        );
        let started = Instant::now();
        // tauri-driver accepts connections before WebKitWebDriver listens: retry briefly.
        loop {
            match ClientBuilder::native()
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => return Ok(client),
                Err(error) if started.elapsed() < UI_LIMIT => {
                    eprintln!("new WebDriver session not yet possible: {error}");
                    // An app a failed attempt left behind would swallow the next one.
                    self.kill_app();
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(error) => bail!(
                    "no WebDriver session within {UI_LIMIT:?}: {error}\n{}",
                    self.driver_log()
                ),
            }
        }
    }

    fn client(&self) -> Result<&Client> {
        self.client.as_ref().context("the session is closed")
    }

    /// What tauri-driver, WebKitWebDriver and the app printed (for failure messages).
    pub fn driver_log(&self) -> String {
        let text = std::fs::read_to_string(&self.driver_log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!("--- last lines of {}\n{tail}", self.driver_log.display())
    }

    /// Ends the session (which closes the app), waits for the app process to exit so the next
    /// launch is not handed over to it, and stops tauri-driver.
    pub async fn quit(mut self) -> Result<()> {
        let pids = self.app_pids();
        if let Some(client) = self.client.take() {
            client
                .close()
                .await
                .context("closing the WebDriver session")?;
        }
        let started = Instant::now();
        while let Some(pid) = pids.iter().find(|pid| !exited(**pid)) {
            if started.elapsed() > UI_LIMIT {
                bail!("the app (pid {pid}) was still running {UI_LIMIT:?} after the session ended");
            }
            tokio::time::sleep(POLL).await;
        }
        wait_for_single_instance_name_free().await
        // Drop stops tauri-driver and releases the turn.
    }

    /// Waits for the app to end on its own (Quit from the tray, Ctrl+Q, closing the window
    /// without a tray), then stops tauri-driver; fails if it is still running after `limit`.
    pub async fn wait_exited(mut self, limit: Duration) -> Result<()> {
        let started = Instant::now();
        loop {
            let running = self.app_pids();
            if running.is_empty() {
                break;
            }
            if started.elapsed() > limit {
                bail!("the app (pids {running:?}) was still running after {limit:?}");
            }
            tokio::time::sleep(POLL).await;
        }
        // The session's app is gone: drop the client without asking it to close anything.
        self.client.take();
        wait_for_single_instance_name_free().await
    }

    /// Opens `url` the way the OS hands a deep link to Patchbay: launches the desktop binary with
    /// the URL as its only argument, in the running app's environment. Single-instance forwards
    /// the arguments to the running window and the new process exits; returns once it has (an
    /// instance that stayed would be a second window, which is an error).
    pub async fn open_deep_link(&self, url: &str) -> Result<()> {
        let launch = Command::new(&self.binary)
            .arg(url)
            .envs(self.app_env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("launching the desktop binary with the deep link")?;
        let output =
            finish_within(launch, "the second launch (handing the deep link over)").await?;
        if !output.status.success() {
            bail!(
                "the second launch with the deep link exited with {}",
                output.status
            );
        }
        Ok(())
    }

    /// Opens `url` through the desktop's own handler for its scheme: `opener` (`xdg-open`,
    /// `gio open`) with the running app's environment (its XDG directories), which looks the
    /// scheme up in the desktop's MIME database and starts the entry registered for it. Returns
    /// once the opener has exited successfully.
    pub async fn open_through(&self, opener: &[&str], url: &str) -> Result<()> {
        let (program, args) = opener.split_first().context("no opener given")?;
        let launch = Command::new(program)
            .args(args)
            .arg(url)
            .envs(self.app_env.iter().map(|(key, value)| (key, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        let output = finish_within(launch, &opener.join(" ")).await?;
        if !output.status.success() {
            bail!(
                "{} {url} exited with {}: {}{}",
                opener.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// Live processes of the desktop binary started for this sandbox (matched by executable and
    /// keychain namespace, so other windows and the tests' own processes never match).
    pub fn app_pids(&self) -> Vec<u32> {
        let wanted = format!("PATCHBAY_KEYCHAIN_SERVICE={}", self.keychain_service);
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
                let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
                if exe != self.binary {
                    return None;
                }
                let environ = std::fs::read(entry.path().join("environ")).ok()?;
                environ
                    .split(|byte| *byte == 0)
                    .any(|variable| variable == wanted.as_bytes())
                    .then_some(pid)
            })
            .collect()
    }

    /// Ends this sandbox's app processes, if any.
    fn kill_app(&self) {
        for pid in self.app_pids() {
            match Command::new("kill").args(["-9", &pid.to_string()]).status() {
                Ok(status) if status.success() => {}
                Ok(status) => eprintln!("kill {pid}: {status}"),
                Err(error) => eprintln!("kill {pid}: {error}"),
            }
        }
    }

    /// Saves a screenshot of the window as `target/e2e-screenshots/<label>-<state>.png`.
    pub async fn screenshot(&self, state: &str) -> Result<PathBuf> {
        // WebKitGTK's snapshot is the last painted frame, which can trail the DOM by a few
        // frames under Xvfb: let two animation frames pass so the picture shows what was asserted.
        // Best effort: the picture is an artifact, not an assertion, and under heavy load the
        // frame callback can miss WebDriver's script timeout.
        let painted = self
            .client()?
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await;
        if let Err(error) = painted {
            eprintln!("screenshot {state}: not waiting for a fresh frame ({error})");
        }
        let png = self.client()?.screenshot().await.context("screenshot")?;
        let path = screenshots_dir()?.join(format!("{}-{state}.png", self.label));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Runs `script` (a function body; arguments in `arguments`) in the page.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        Ok(self.client()?.execute(script, args).await?)
    }

    /// Polls `script` until it returns something other than `null`/`false`, then returns that.
    /// On timeout: a `failed-<what>` screenshot and the page text go into the error.
    pub async fn wait_until(
        &self,
        what: &str,
        limit: Duration,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Value> {
        let started = Instant::now();
        loop {
            let value = self.script(script, args.clone()).await?;
            if !(value.is_null() || value == Value::Bool(false)) {
                return Ok(value);
            }
            if started.elapsed() > limit {
                return Err(self.timeout(what, limit).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn timeout(&self, what: &str, limit: Duration) -> anyhow::Error {
        let slug: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let shot = match self.screenshot(&format!("failed-{slug}")).await {
            Ok(path) => path.display().to_string(),
            Err(error) => format!("(no screenshot: {error})"),
        };
        let text = self
            .script("return document.body.innerText", vec![])
            .await
            .map(|value| value.as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|error| format!("(no page text: {error})"));
        anyhow::anyhow!(
            "timed out after {limit:?} waiting for {what}\nscreenshot: {shot}\n--- page text\n{text}\n{}",
            self.driver_log()
        )
    }

    /// Waits until `css` matches a displayed element.
    pub async fn wait_for(&self, css: &str) -> Result<()> {
        self.wait_until(
            &format!("{css} to be shown"),
            UI_LIMIT,
            "const e = document.querySelector(arguments[0]); \
             return e !== null && e.getClientRects().length > 0;",
            vec![json!(css)],
        )
        .await
        .map(drop)
    }

    /// Waits until nothing matches `css`.
    pub async fn wait_gone(&self, css: &str, limit: Duration) -> Result<()> {
        self.wait_until(
            &format!("{css} to go away"),
            limit,
            "return document.querySelector(arguments[0]) === null;",
            vec![json!(css)],
        )
        .await
        .map(drop)
    }

    /// Clicks `css` once it is shown and clickable (a dialog may still be animating in).
    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait_for(css).await?;
        // WebKitWebDriver scrolls an element below the fold only until its edge shows, then
        // clicks its centre as it was before the scroll: seen to land ~90 px higher, on another
        // field. Centring it first makes the click hit what it names.
        self.script(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
            vec![json!(css)],
        )
        .await?;
        let client = self.client()?;
        let started = Instant::now();
        loop {
            let attempt = async { client.find(Locator::Css(css)).await?.click().await };
            match attempt.await {
                Ok(()) => return Ok(()),
                Err(error) if started.elapsed() < UI_LIMIT => {
                    eprintln!("click on {css} not yet possible: {error}");
                    tokio::time::sleep(POLL).await;
                }
                Err(error) => bail!("cannot click {css}: {error}"),
            }
        }
    }

    /// Replaces the text of the field `css` with `text`, as typed keys.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        self.wait_for(css).await?;
        let field = self.client()?.find(Locator::Css(css)).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        let value = field.prop("value").await?.unwrap_or_default();
        if value != text {
            bail!("{css} holds {value:?} after typing {text:?}");
        }
        Ok(())
    }

    /// Picks the `<option value=…>` of the select `css`.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        self.wait_for(css).await?;
        let select = self.client()?.find(Locator::Css(css)).await?;
        select.select_by_value(value).await?;
        Ok(())
    }

    /// The value of the field `css` right now.
    pub async fn value(&self, css: &str) -> Result<String> {
        let field = self.client()?.find(Locator::Css(css)).await?;
        Ok(field.prop("value").await?.unwrap_or_default())
    }

    /// The visible text of `css`, once shown.
    pub async fn text(&self, css: &str) -> Result<String> {
        self.wait_for(css).await?;
        Ok(self.client()?.find(Locator::Css(css)).await?.text().await?)
    }

    /// The attribute `name` of `css` (empty when absent).
    pub async fn attribute(&self, css: &str, name: &str) -> Result<String> {
        self.wait_for(css).await?;
        let element = self.client()?.find(Locator::Css(css)).await?;
        Ok(element.attr(name).await?.unwrap_or_default())
    }

    /// Waits until `css` is shown and its text contains `needle`; returns the whole text.
    pub async fn wait_for_text(&self, css: &str, needle: &str, limit: Duration) -> Result<String> {
        let text = self
            .wait_until(
                &format!("{css} to say {needle:?}"),
                limit,
                "const e = document.querySelector(arguments[0]); \
                 return e !== null && e.innerText.includes(arguments[1]) ? e.innerText : null;",
                vec![json!(css), json!(needle)],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits for a toast whose text contains `needle` (success toasts fade after a few seconds).
    pub async fn wait_for_toast(&self, needle: &str) -> Result<String> {
        let text = self
            .wait_until(
                &format!("a toast saying {needle:?}"),
                UI_LIMIT,
                "const toast = Array.from(document.querySelectorAll('[data-testid=\"toast\"]'))\
                 .find(toast => toast.innerText.includes(arguments[0])); \
                 return toast ? toast.innerText : null;",
                vec![json!(needle)],
            )
            .await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// The connector rows on the page now, in order.
    pub async fn rows(&self) -> Result<Vec<Row>> {
        let value = self
            .script(
                "return Array.from(document.querySelectorAll('[data-testid=\"connector-row\"]'))\
                 .map(row => [row.dataset.name, row.dataset.status]);",
                vec![],
            )
            .await?;
        let rows = value
            .as_array()
            .context("rows: not an array")?
            .iter()
            .map(|pair| Row {
                name: pair[0].as_str().unwrap_or_default().to_owned(),
                status: pair[1].as_str().unwrap_or_default().to_owned(),
            })
            .collect();
        Ok(rows)
    }

    /// Waits until the list shows exactly `names` (any order, any status), e.g. after loading.
    pub async fn wait_for_rows(&self, names: &[&str], limit: Duration) -> Result<()> {
        self.wait_until(
            &format!("the list to show exactly {names:?}"),
            limit,
            "const shown = Array.from(document.querySelectorAll('[data-testid=\"connector-row\"]'))\
             .map(row => row.dataset.name).sort(); \
             const wanted = arguments[0].slice().sort(); \
             const loaded = wanted.length > 0 || \
               document.querySelector('[data-testid=\"add-connector-empty\"]') !== null; \
             return loaded && JSON.stringify(shown) === JSON.stringify(wanted);",
            vec![json!(names)],
        )
        .await
        .map(drop)
    }

    /// Waits until the row `name` shows `status`; returns how long that took.
    pub async fn wait_for_status(
        &self,
        name: &str,
        status: &str,
        limit: Duration,
    ) -> Result<Duration> {
        let started = Instant::now();
        self.wait_until(
            &format!("{name} to be {status}"),
            limit,
            "return Array.from(document.querySelectorAll('[data-testid=\"connector-row\"]'))\
             .some(row => row.dataset.name === arguments[0] && row.dataset.status === arguments[1]);",
            vec![json!(name), json!(status)],
        )
        .await?;
        Ok(started.elapsed())
    }

    /// A CSS selector for the element `testid` inside the row of connector `name`.
    pub fn in_row(name: &str, testid: &str) -> String {
        let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!(
            "[data-testid=\"connector-row\"][data-name=\"{quoted}\"] [data-testid=\"{testid}\"]"
        )
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // A test that failed mid-way never ran `quit`: end the app too, or the next window would
        // be handed over to it (single instance).
        self.kill_app();
        // SIGTERM first: tauri-driver then stops WebKitWebDriver, which SIGKILL would orphan.
        let pid = self.driver.id().to_string();
        if let Err(error) = Command::new("kill").arg(&pid).status() {
            eprintln!("kill {pid}: {error}");
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(3) {
            match self.driver.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => std::thread::sleep(POLL),
                Err(error) => {
                    eprintln!("waiting for tauri-driver: {error}");
                    break;
                }
            }
        }
        if let Err(error) = self.driver.kill() {
            eprintln!("stopping tauri-driver: {error}");
        }
        if let Err(error) = self.driver.wait() {
            eprintln!("reaping tauri-driver: {error}");
        }
    }
}

/// Whether `pid` is gone or a zombie. A dying process loses its `/proc/<pid>/exe` link before
/// it closes its sockets, so a missing link does not yet mean its D-Bus name is released.
fn exited(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    // "pid (comm) S …": the state follows the last parenthesis (comm may contain any).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    matches!(state, Some('Z' | 'X') | None)
}

/// Waits until no Patchbay instance owns the single-instance D-Bus name, so the next launch
/// starts a window instead of handing over to an instance that is still shutting down.
async fn wait_for_single_instance_name_free() -> Result<()> {
    let started = Instant::now();
    loop {
        let output = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{SINGLE_INSTANCE_NAME}"))
            .output()
            .context("running dbus-send (package dbus-bin) to ask the session bus")?;
        if !output.status.success() {
            bail!(
                "dbus-send failed (no session bus? run through `cargo xtask test`): {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        if String::from_utf8_lossy(&output.stdout).contains("boolean false") {
            return Ok(());
        }
        if started.elapsed() > UI_LIMIT {
            bail!("another Patchbay instance still owns {SINGLE_INSTANCE_NAME} after {UI_LIMIT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits (polling, without blocking the runtime) for `child` to exit, up to [`SESSION_LIMIT`];
/// stops it and fails naming `what` if it has not. Returns its status and whatever it printed
/// into pipes.
async fn finish_within(mut child: Child, what: &str) -> Result<std::process::Output> {
    let started = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            return Ok(child.wait_with_output()?);
        }
        if started.elapsed() > SESSION_LIMIT {
            if let Err(error) = child.kill() {
                eprintln!("stopping {what}: {error}");
            }
            bail!("{what} did not finish within {SESSION_LIMIT:?}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One of the XDG base directories [`Desktop::launch`] gives the app in `sandbox` (`data`,
/// `config`, `cache`, `state`): the webview's storage, logs and the desktop's handler entries
/// stay in the sandbox.
pub fn xdg_dir(sandbox: &Sandbox, which: &str) -> PathBuf {
    sandbox.dir.path().join("xdg").join(which)
}

/// `testid` as a CSS selector.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// Stands in for the person's browser (none runs under Xvfb, and a real one could not hand a
/// deep link to anyone here): a script that only records each URL it is asked to open. Either
/// as `xdg-open` first on the app's `PATH` ([`StandInBrowser::on_path`]), or registered the way a
/// desktop registers a browser, as the default `http`/`https` handler in the sandbox's XDG
/// directories, so the real `xdg-open` finds it ([`StandInBrowser::as_default_browser`]).
pub struct StandInBrowser {
    script: PathBuf,
    record: PathBuf,
}

impl StandInBrowser {
    fn write(sandbox: &Sandbox, script: PathBuf) -> Result<Self> {
        let record = sandbox.dir.path().join("opened-urls.txt");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n# Stand-in for the system browser: only records the URL.\n\
                 printf '%s\\n' \"$1\" >> '{}'\n",
                record.display()
            ),
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        }
        Ok(Self { script, record })
    }

    /// An `xdg-open` of its own; give the app [`StandInBrowser::path_env`].
    pub fn on_path(sandbox: &Sandbox) -> Result<Self> {
        let bin = sandbox.dir.path().join("stand-in-browser");
        std::fs::create_dir_all(&bin)?;
        Self::write(sandbox, bin.join("xdg-open"))
    }

    /// The default browser of the sandbox's desktop (`xdg/data/applications` and
    /// `xdg/config/mimeapps.list`, the directories [`Desktop::launch`] gives the app).
    pub fn as_default_browser(sandbox: &Sandbox) -> Result<Self> {
        let applications = xdg_dir(sandbox, "data").join("applications");
        let config = xdg_dir(sandbox, "config");
        std::fs::create_dir_all(&applications)?;
        std::fs::create_dir_all(&config)?;
        let browser = Self::write(sandbox, sandbox.dir.path().join("stand-in-browser"))?;
        std::fs::write(
            applications.join("stand-in-browser.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Stand-in browser\nNoDisplay=true\n\
                 Exec={} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n",
                browser.script.display()
            ),
        )?;
        std::fs::write(
            config.join("mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/http=stand-in-browser.desktop\n\
             x-scheme-handler/https=stand-in-browser.desktop\n",
        )?;
        Ok(browser)
    }

    /// `PATH` with the stand-in's directory first, for the app's environment.
    pub fn path_env(&self) -> Vec<(OsString, OsString)> {
        let mut path = OsString::from(self.script.parent().unwrap_or(Path::new(".")));
        if let Some(rest) = std::env::var_os("PATH") {
            path.push(":");
            path.push(rest);
        }
        vec![("PATH".into(), path)]
    }

    /// The URLs opened so far.
    pub fn opened(&self) -> Vec<String> {
        std::fs::read_to_string(&self.record)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The last URL opened, waiting up to `limit` for one.
    pub async fn wait_for_url(&self, limit: Duration) -> Result<String> {
        let started = Instant::now();
        loop {
            if let Some(url) = self.opened().pop() {
                return Ok(url);
            }
            if started.elapsed() > limit {
                bail!("the app opened no browser within {limit:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}
