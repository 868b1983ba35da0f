//! The tray and notifications as a desktop sees them, on the test's private D-Bus session: with
//! a StatusNotifier host (tests/src/desktop_bus.rs) the app's icon registers, its menu lists the
//! connectors with their status, "Check all now" checks them (here the only way a check runs:
//! the monitor interval is an hour), one notification arrives per Connected → Disconnected
//! transition (none for a connector whose notifications are off), closing the window keeps the
//! app running, and "Quit Patchbay" ends it. Without a
//! host, closing the window quits (a close as a window manager sends it: WM_DELETE_WINDOW).

use std::ffi::OsString;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use patchbay_tests::desktop_bus::{Item, TrayHost, notification_sink, tray_host};
use patchbay_tests::window::{Desktop, UI_LIMIT, fresh_screenshots, testid};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};

/// No check but the ones asked for.
fn hour_interval() -> Vec<(OsString, OsString)> {
    vec![
        ("PATCHBAY_MONITOR_INTERVAL_SECS".into(), "3600".into()),
        ("PATCHBAY_MONITOR_BACKOFF_MAX_SECS".into(), "3600".into()),
    ]
}

async fn registered(host: &TrayHost) -> Result<Item> {
    let started = Instant::now();
    loop {
        if let Some(item) = host.items().into_iter().next() {
            return Ok(item);
        }
        if started.elapsed() > UI_LIMIT {
            bail!("no tray item registered within {UI_LIMIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn menu_says(host: &TrayHost, item: &Item, needle: &str) -> Result<Vec<String>> {
    let started = Instant::now();
    loop {
        let labels: Vec<String> = host
            .menu(item)
            .await?
            .into_iter()
            .map(|entry| entry.label)
            .collect();
        if labels.iter().any(|label| label.contains(needle)) {
            return Ok(labels);
        }
        if started.elapsed() > UI_LIMIT {
            bail!("the tray menu never said {needle:?}: {labels:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends WM_DELETE_WINDOW to the window titled `title`, as a window manager's close button
/// does (Xvfb runs none). Through libX11 from Python's ctypes: no crate here speaks X11
/// without unsafe code, which the workspace forbids.
fn close_like_a_window_manager(title: &str) -> Result<()> {
    const SCRIPT: &str = r#"
import ctypes, sys
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XDefaultRootWindow.restype = ctypes.c_ulong
x.XInternAtom.restype = ctypes.c_ulong
x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)), ctypes.POINTER(ctypes.c_uint)]
x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
x.XFlush.argtypes = [ctypes.c_void_p]
d = x.XOpenDisplay(None)
if not d: sys.exit("no display")
def children(w):
    root, parent, kids, n = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
    if not x.XQueryTree(d, w, ctypes.byref(root), ctypes.byref(parent), ctypes.byref(kids), ctypes.byref(n)): return []
    return [kids[i] for i in range(n.value)]
def find(w, title):
    name = ctypes.c_char_p()
    if x.XFetchName(d, w, ctypes.byref(name)) and name.value and name.value.decode() == title: return w
    for c in children(w):
        hit = find(c, title)
        if hit: return hit
    return None
target = find(x.XDefaultRootWindow(d), sys.argv[1])
if not target: sys.exit("no window titled " + sys.argv[1])
class Data(ctypes.Union): _fields_ = [("l", ctypes.c_long * 5)]
class ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int), ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong), ("format", ctypes.c_int), ("data", Data)]
class Event(ctypes.Union): _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]
e = Event()
e.xclient.type = 33
e.xclient.window = target
e.xclient.message_type = x.XInternAtom(d, b"WM_PROTOCOLS", 0)
e.xclient.format = 32
e.xclient.data.l[0] = x.XInternAtom(d, b"WM_DELETE_WINDOW", 0)
e.xclient.data.l[1] = 0
x.XSendEvent(d, target, 0, 0, ctypes.byref(e))
x.XFlush(d)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, title])
        .output()?;
    ensure!(
        out.status.success(),
        "closing the window: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_lists_checks_notifies_once_per_transition_and_quits() -> Result<()> {
    fresh_screenshots("tray")?;
    let mut peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Everything",
            "--url",
            &peer.everything_url(EverythingMode::StreamableHttp),
        ],
        None,
    )?;
    ensure!(added.code == 0, "{added}");
    // A second connector to the same server, its notifications switched off: it goes down
    // with the first and says nothing.
    let quiet = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Quiet",
            "--url",
            &peer.everything_url(EverythingMode::StreamableHttp),
        ],
        None,
    )?;
    ensure!(quiet.code == 0, "{quiet}");
    let muted = sandbox.run(&["connector", "notifications", "Quiet", "off"], None)?;
    ensure!(
        muted.code == 0 && muted.stderr.contains("Notifications for \"Quiet\" are off"),
        "{muted}"
    );
    // Started once this test has the window's turn (inside the launch), so no other test's
    // app sees this host; the app's indicator registers when the watcher appears.
    let desktop = Desktop::launch_with_env(&sandbox, "tray", &hour_interval()).await?;
    let host = tray_host().await?;
    let notifications = notification_sink().await?;
    desktop
        .wait_for_status("Everything", "connected", UI_LIMIT)
        .await?;
    let item = registered(&host).await?;
    let labels = menu_says(&host, &item, "Everything — Connected").await?;
    ensure!(
        labels.iter().any(|l| l.contains("Check all now"))
            && labels.iter().any(|l| l.contains("Quit Patchbay")),
        "{labels:?}"
    );

    // The server goes away; only "Check all now" finds out (the interval is an hour).
    peer.kill();
    host.click(&item, "Check all now").await?;
    menu_says(&host, &item, "Everything — Disconnected").await?;
    menu_says(&host, &item, "Quiet — Disconnected").await?;
    desktop
        .wait_for_status("Everything", "disconnected", UI_LIMIT)
        .await?;
    let started = Instant::now();
    while notifications.received().is_empty() && started.elapsed() < UI_LIMIT {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Checked again, still down: no second notification for the same transition.
    host.click(&item, "Check all now").await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = notifications.received();
    ensure!(
        received.len() == 1 && received[0].summary.contains("Everything is disconnected"),
        "one notification for the one transition, none for the muted connector: {received:?}"
    );
    desktop.screenshot("01-disconnected").await?;

    // With a tray, closing the window keeps Patchbay running.
    close_like_a_window_manager("Patchbay")?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    ensure!(!desktop.app_pids().is_empty(), "still running in the tray");
    let notice = notifications.received();
    ensure!(
        notice
            .iter()
            .any(|n| n.summary.contains("still running") && n.body.contains("Ctrl+Q")),
        "the first close says so, once: {notice:?}"
    );

    host.click(&item, "Quit Patchbay").await?;
    drop(host);
    desktop.wait_exited(UI_LIMIT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_tray_closing_the_window_quits() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, "no-tray").await?;
    desktop.wait_for(&testid("add-connector")).await?;
    close_like_a_window_manager("Patchbay")?;
    desktop.wait_exited(UI_LIMIT).await
}
