//! The window never leaves the app's own pages (checklist 19 and 34): a script in the page that
//! tries to load a remote page — as a link in a tool result or a hostile server's text might —
//! is refused by the app, the remote server never hears from the webview, and the app keeps
//! working; frames it tries to open load nothing remote and run no script. The "remote" page is
//! a listener on this computer that counts requests.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Result, ensure};
use patchbay_tests::Sandbox;
use patchbay_tests::window::{Desktop, fresh_screenshots, testid};
use serde_json::json;

/// How long a refused navigation is given to happen anyway: a page load on loopback starts in
/// milliseconds, so a webview that navigated would have connected well within this.
const NAVIGATION_WINDOW: Duration = Duration::from_secs(3);

/// A "remote" page on this computer, `http://127.0.0.1:PORT/PATH`, and how many requests it got
/// (for two minutes). Requests, not connections: WebKit may open a connection speculatively
/// (preconnect on a link click) before the app refuses the navigation.
fn counting_listener(path: &str) -> Result<(String, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let remote = format!("http://{}/{path}", listener.local_addr()?);
    listener.set_nonblocking(true)?;
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(120) {
            if let Ok((mut socket, _)) = listener.accept() {
                let mut first = [0u8; 4];
                let asked = socket
                    .set_nonblocking(false)
                    .and_then(|()| socket.set_read_timeout(Some(Duration::from_secs(2))))
                    .and_then(|()| std::io::Read::read(&mut socket, &mut first))
                    .is_ok_and(|read| read > 0);
                if asked {
                    counted.fetch_add(1, Ordering::SeqCst);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    Ok((remote, requests))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_cannot_be_navigated_to_a_remote_page() -> Result<()> {
    let label = "navigation";
    fresh_screenshots(label)?;
    let (remote, requests) = counting_listener("phish")?;

    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for(&testid("add-connector")).await?;
    let home = desktop
        .script("return window.location.href", Vec::new())
        .await?;
    // The same navigation inside the app's origin works: the check is not blocking everything.
    desktop
        .script("window.location.hash = 'probe'", Vec::new())
        .await?;
    let hashed = desktop
        .script("return window.location.hash", Vec::new())
        .await?;
    ensure!(
        hashed == json!("#probe"),
        "a navigation within the app must work: {hashed}"
    );

    for script in [
        "window.location.href = arguments[0]",
        "window.location.assign(arguments[0])",
        "const a = document.createElement('a'); a.href = arguments[0]; document.body.append(a); a.click()",
    ] {
        desktop.script(script, vec![json!(remote)]).await?;
        tokio::time::sleep(NAVIGATION_WINDOW).await;
        ensure!(
            requests.load(Ordering::SeqCst) == 0,
            "the webview reached the remote page with `{script}`"
        );
        let now = desktop
            .script("return window.location.origin", Vec::new())
            .await?;
        ensure!(
            home.as_str()
                .zip(now.as_str())
                .is_some_and(|(home, now)| home.starts_with(now)),
            "the window must still show the app after `{script}` (was {home}, now {now})"
        );
    }
    // Still the working app: its dialog opens.
    desktop.click(&testid("add-connector")).await?;
    desktop.wait_for(&testid("field-name")).await?;
    desktop.screenshot("01-still-the-app").await?;
    desktop.quit().await?;
    Ok(())
}

/// Checklist 34: frames get nothing. A frame the page (or injected markup in a tool result)
/// tries to open — a remote page, a `data:` page, an inline `srcdoc` document — never loads a
/// remote page and never runs a script, so no frame can reach the app's IPC (and the app grants
/// no capability to any remote origin). Two layers stop them, each enough alone (tried by
/// removing the other): the navigation guard refuses every frame's navigation away from the
/// app's origin (`about:srcdoc` and `data:` included), and the content-security policy
/// (`default-src 'self'`, scripts from the app only) refuses the remote page and every script.
/// With both removed, all three frames ran their script. Also the page's own limits
/// (checklist 31): no `eval`, and no `fetch`/XHR to another origin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_load_nothing_remote_and_run_no_script() -> Result<()> {
    let label = "frames";
    fresh_screenshots(label)?;
    let (remote, requests) = counting_listener("frame")?;

    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for(&testid("add-connector")).await?;
    // A frame that ran a script would tell the page (and try the IPC bridge).
    let probe = "parent.postMessage({ ran: true, ipc: typeof window.__TAURI_INTERNALS__ }, '*')";
    desktop
        .script(
            "window.__frameReports = []; \
             window.addEventListener('message', (event) => window.__frameReports.push(event.data)); \
             const remote = document.createElement('iframe'); remote.src = arguments[0]; \
             const data = document.createElement('iframe'); \
             data.src = 'data:text/html,<script>' + arguments[1] + '</script>'; \
             const inline = document.createElement('iframe'); \
             inline.srcdoc = '<script>' + arguments[1] + '</script><img src=x onerror=\"' + arguments[1] + '\">'; \
             document.body.append(remote, data, inline);",
            vec![json!(remote), json!(probe)],
        )
        .await?;
    tokio::time::sleep(NAVIGATION_WINDOW).await;
    let reports = desktop
        .script("return window.__frameReports", Vec::new())
        .await?;

    ensure!(reports == json!([]), "a frame ran a script: {reports}");
    ensure!(
        requests.load(Ordering::SeqCst) == 0,
        "a frame loaded the remote page"
    );
    // Checklist 31: the page's own policy — no eval (script-src without 'unsafe-eval') and no
    // request to anything but the app's IPC (connect-src).
    let evaluated = desktop
        .script(
            "try { return String(new Function('return 41 + 1')()); } \
             catch (error) { return 'refused: ' + error.name; }",
            Vec::new(),
        )
        .await?;
    ensure!(
        evaluated
            .as_str()
            .is_some_and(|text| text.starts_with("refused")),
        "eval ran in the page: {evaluated}"
    );
    desktop
        .script(
            "fetch(arguments[0]).catch(() => {}); \
             const xhr = new XMLHttpRequest(); xhr.open('GET', arguments[0]); \
             try { xhr.send(); } catch (error) {}",
            vec![json!(remote)],
        )
        .await?;
    tokio::time::sleep(NAVIGATION_WINDOW).await;
    ensure!(
        requests.load(Ordering::SeqCst) == 0,
        "the page reached another origin with fetch or XHR"
    );
    // The page itself still runs and still reaches the app.
    desktop.click(&testid("add-connector")).await?;
    desktop.wait_for(&testid("field-name")).await?;
    desktop.screenshot("01-still-the-app").await?;
    desktop.quit().await?;
    Ok(())
}
