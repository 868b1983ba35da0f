//! OAuth in the real window against the TypeScript SDK's OAuth demo server: Add connector with
//! OAuth, Authorize, and the app sends the browser to the demo's authorization endpoint with
//! Patchbay's own link as the redirect URI. The test then plays the person and the OS: it GETs
//! the authorization URL without following redirects (the demo auto-approves with a 302), and
//! delivers the `Location` — Patchbay's deep link, carrying the code — the way the OS does: a
//! second launch of the desktop binary with the URL as its argument, which single-instance
//! forwards to the running window before exiting. The CLI, on the same data dir and keychain
//! namespace, then sees the saved connector.
//!
//! The browser is a stand-in for the system browser: an `xdg-open` script first on the app's
//! `PATH` that only records the URL it is asked to open. No browser runs under Xvfb, and a real
//! one could not hand the deep link to anyone here.
//!
//! Forged and replayed deep links (no pending flow for their `state`) are delivered too, and
//! must change nothing: no exchange, no dialog, no text from the link on the page.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use patchbay_tests::window::{
    Desktop, SAVE_LIMIT, StandInBrowser, UI_LIMIT, fresh_screenshots, testid, xdg_dir,
};
use patchbay_tests::{Sandbox, oauth_demo_server};

use crate::stored;

/// Patchbay's redirect URI (RFC 8252 §7.1: its reverse-DNS identifier as a private-use scheme).
pub(crate) const APP_LINK: &str = "dev.patchbay.desktop:/oauth/callback";

/// The person approving in the browser: the demo answers the authorization request with a
/// redirect to the redirect URI; its `Location` is the callback.
pub(crate) async fn approve(authorization_url: &str) -> Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?;
    let response = client.get(authorization_url).send().await?;
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .with_context(|| format!("the demo answered {} without a redirect", response.status()))?;
    Ok(location.to_owned())
}

/// Scrolls the element `testid` to the middle of its scrolling dialog, for a screenshot.
async fn scroll_to(desktop: &Desktop, testid: &str) -> Result<()> {
    desktop
        .script(
            "document.querySelector(`[data-testid=\"${arguments[0]}\"]`)\
             ?.scrollIntoView({ block: 'center' });",
            vec![testid.into()],
        )
        .await?;
    Ok(())
}

/// The page's HTML, to check that nothing from a link reached it.
async fn page_html(desktop: &Desktop) -> Result<String> {
    Ok(desktop
        .script("return document.documentElement.outerHTML;", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorize_through_the_apps_deep_link() -> Result<()> {
    let label = "oauth-deep-link";
    fresh_screenshots(label)?;
    let (demo, _auth_port) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", demo.port);
    let sandbox = Sandbox::new()?;
    let browser = StandInBrowser::on_path(&sandbox)?;
    let desktop = Desktop::launch_with_env(&sandbox, label, &browser.path_env()).await?;
    desktop.wait_for_rows(&[], UI_LIMIT).await?;

    // Add connector, OAuth, and the redirect URI under Advanced.
    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), "Demo").await?;
    desktop.fill(&testid("field-url"), &url).await?;
    desktop.choose(&testid("field-auth"), "oauth").await?;
    desktop.click(&testid("toggle-advanced")).await?;
    desktop
        .wait_until(
            "the redirect URI to be shown",
            UI_LIMIT,
            "const e = document.querySelector('[data-testid=\"redirect-uri\"]'); \
             return e !== null && e.value === arguments[0];",
            vec![APP_LINK.into()],
        )
        .await?;
    scroll_to(&desktop, "redirect-uri").await?;
    desktop.screenshot("01-authorize-with-redirect-uri").await?;

    // Authorize: the app opens "the browser" and waits.
    desktop.click(&testid("authorize")).await?;
    desktop.wait_for(&testid("authorize-waiting")).await?;
    let authorization_url = browser.wait_for_url(SAVE_LIMIT).await?;
    let parsed = url::Url::parse(&authorization_url)?;
    let param = |name: &str| {
        parsed
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    ensure!(
        parsed.path() == "/authorize" && param("redirect_uri").as_deref() == Some(APP_LINK),
        "the browser goes to the demo's authorization endpoint, back to the app's link: \
         {authorization_url}"
    );
    ensure!(
        param("code_challenge_method").as_deref() == Some("S256"),
        "PKCE S256: {authorization_url}"
    );
    // The page hears where the browser went ("copy link").
    desktop
        .wait_until(
            "Copy link to be enabled",
            UI_LIMIT,
            "const b = document.querySelector('[data-testid=\"copy-authorize-link\"]'); \
             return b !== null && !b.disabled;",
            vec![],
        )
        .await?;
    desktop.screenshot("02-waiting-for-the-browser").await?;

    // A forged deep link, for a state no sign-in sent: dropped, the sign-in keeps waiting.
    let forged = format!("{APP_LINK}?code=forged-code-7731&state=forged-state-7731");
    desktop.open_deep_link(&forged).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    desktop.wait_for(&testid("authorize-waiting")).await?;
    ensure!(stored(&sandbox)?.is_empty(), "a forged link saves nothing");
    ensure!(
        !page_html(&desktop).await?.contains("7731"),
        "nothing from a forged link reaches the page"
    );
    desktop.screenshot("03-forged-link-ignored").await?;

    // The person approves; the OS hands the demo's redirect to Patchbay.
    let callback = approve(&authorization_url).await?;
    ensure!(
        callback.starts_with(&format!("{APP_LINK}?")),
        "the demo redirects to the app's link: {callback}"
    );
    let code = url::Url::parse(&callback)?
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, value)| value.into_owned())
        .context("the callback has no code")?;
    desktop.open_deep_link(&callback).await?;
    desktop
        .wait_gone(&testid("connector-dialog"), SAVE_LIMIT)
        .await?;
    desktop.wait_for_rows(&["Demo"], UI_LIMIT).await?;
    desktop
        .wait_for_status("Demo", "connected", UI_LIMIT)
        .await?;
    desktop.wait_for_toast("Connected to").await?;
    desktop.screenshot("04-connected").await?;

    let saved = stored(&sandbox)?;
    ensure!(
        saved.len() == 1
            && saved[0]["name"] == "Demo"
            && saved[0]["url"] == url.as_str()
            && saved[0]["auth"] == "oauth"
            && saved[0]["status"] == "connected",
        "the CLI sees the connector the window signed in and saved: {saved:?}"
    );
    ensure!(
        !page_html(&desktop).await?.contains(&code),
        "the code never reaches the page"
    );

    // The same callback again (a replay): its state was used once, so nothing happens.
    desktop.open_deep_link(&callback).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    ensure!(
        desktop
            .script(
                "return document.querySelector('[role=\"dialog\"]') === null;",
                vec![]
            )
            .await?
            == serde_json::Value::Bool(true),
        "a replayed link opens nothing"
    );
    let after = stored(&sandbox)?;
    ensure!(
        after.len() == 1 && after[0]["updated_at"] == saved[0]["updated_at"],
        "a replayed link changes nothing: {after:?}"
    );
    desktop.screenshot("05-replayed-link-ignored").await?;

    desktop.quit().await?;
    drop(demo);
    Ok(())
}

/// A stand-in MCP server whose authorization server offers no client registration: no real peer
/// does that on demand. Discovery works (protected resource and authorization server metadata);
/// anything else is 404. Returns the MCP URL.
async fn server_without_registration() -> Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let origin = base.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let base = origin.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 8192];
                let Ok(read) = socket.read(&mut buffer).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let mut line = head.split(' ');
                let (method, path) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
                let (status, extra, body) = match (method, path) {
                    ("POST", "/mcp") => (
                        "401 Unauthorized",
                        format!(
                            "www-authenticate: Bearer resource_metadata=\"{base}/.well-known/\
                             oauth-protected-resource/mcp\"\r\n"
                        ),
                        String::new(),
                    ),
                    ("GET", "/.well-known/oauth-protected-resource/mcp") => (
                        "200 OK",
                        String::new(),
                        serde_json::json!({
                            "resource": format!("{base}/mcp"),
                            "authorization_servers": [base],
                        })
                        .to_string(),
                    ),
                    ("GET", "/.well-known/oauth-authorization-server") => (
                        "200 OK",
                        String::new(),
                        serde_json::json!({
                            "issuer": base,
                            "authorization_endpoint": format!("{base}/authorize"),
                            "token_endpoint": format!("{base}/token"),
                            "response_types_supported": ["code"],
                            "code_challenge_methods_supported": ["S256"],
                        })
                        .to_string(),
                    ),
                    _ => ("404 Not Found", String::new(), String::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra}\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                if let Err(error) = socket.write_all(response.as_bytes()).await {
                    eprintln!("stand-in server: {error}");
                }
            });
        }
    });
    Ok(format!("{base}/mcp"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_registration_asks_for_a_client_id() -> Result<()> {
    let label = "oauth-client-id";
    fresh_screenshots(label)?;
    let url = server_without_registration().await?;
    let sandbox = Sandbox::new()?;
    let browser = StandInBrowser::on_path(&sandbox)?;
    let desktop = Desktop::launch_with_env(&sandbox, label, &browser.path_env()).await?;
    desktop.wait_for_rows(&[], UI_LIMIT).await?;

    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), "Closed").await?;
    desktop.fill(&testid("field-url"), &url).await?;
    desktop.choose(&testid("field-auth"), "oauth").await?;
    desktop.click(&testid("authorize")).await?;

    let notice = desktop
        .wait_for_text(&testid("needs-client-id"), "needs a client ID", SAVE_LIMIT)
        .await?;
    ensure!(
        notice.contains("Register Patchbay with the provider") && notice.contains("client ID"),
        "the dialog says what to do: {notice}"
    );
    ensure!(
        desktop
            .attribute(&testid("toggle-advanced"), "aria-expanded")
            .await?
            == "true",
        "Advanced opens by itself"
    );
    ensure!(
        desktop.value(&testid("redirect-uri")).await? == APP_LINK,
        "the redirect URI to register is shown"
    );
    let focused = desktop
        .script(
            "return document.activeElement?.dataset?.testid ?? null;",
            vec![],
        )
        .await?;
    ensure!(
        focused == "field-client-id",
        "the client ID field is ready to type in: {focused}"
    );
    desktop.screenshot("01-needs-client-id").await?;
    // A provider that takes only loopback or https redirect URIs: the other URI to register.
    desktop.click(&testid("use-loopback")).await?;
    ensure!(
        desktop.value(&testid("redirect-uri")).await? == "http://127.0.0.1/callback",
        "the loopback redirect URI replaces the app's link"
    );
    scroll_to(&desktop, "redirect-uri").await?;
    desktop.screenshot("02-loopback-redirect-uri").await?;
    ensure!(
        browser.opened().is_empty(),
        "no browser is opened for a sign-in that cannot start"
    );
    ensure!(stored(&sandbox)?.is_empty(), "nothing is saved");

    desktop.quit().await
}

/// A cold start with a sign-in link (the OS starts Patchbay for a callback after the app was
/// quit mid-sign-in, or a link nobody asked for): the app opens normally, no sign-in can be
/// waiting in a new process so the link is dropped, nothing is saved, and the code never
/// reaches the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_start_with_a_sign_in_link_opens_the_app_and_changes_nothing() -> Result<()> {
    let label = "oauth-cold-start";
    fresh_screenshots(label)?;
    let sandbox = Sandbox::new()?;
    let code = "cold-start-code-5b1e";
    let link = format!("{APP_LINK}?code={code}&state=never-issued");
    let desktop = Desktop::launch_with(&sandbox, label, &[], &[&link]).await?;
    desktop.wait_for(&testid("add-connector")).await?;
    desktop.screenshot("01-opened").await?;
    // The link did reach the app (its log, in the sandbox's XDG data dir, records the drop by
    // reason only, never the link), so the rest of this test is not vacuous.
    let logs = xdg_dir(&sandbox, "data").join("dev.patchbay.desktop/logs");
    let started = Instant::now();
    let log = loop {
        let text = read_logs(&logs);
        if text.contains("OAuth callback") || started.elapsed() > UI_LIMIT {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure!(
        log.contains("UnknownState"),
        "the launch link must be delivered and dropped as unknown; the app logged:\n{log}"
    );
    ensure!(!log.contains(code), "the app must not log the code");
    ensure!(
        !page_html(&desktop).await?.contains(code),
        "the code of a launch link must never reach the page"
    );
    ensure!(
        desktop.app_pids().len() == 1,
        "the app keeps running as the one instance: {:?}",
        desktop.app_pids()
    );
    // Still a working app: its dialog opens.
    desktop.click(&testid("add-connector")).await?;
    desktop.wait_for(&testid("field-name")).await?;
    ensure!(
        stored(&sandbox)?.is_empty(),
        "a link nobody is waiting for saves nothing"
    );
    desktop.quit().await?;
    Ok(())
}

/// Everything the app logged into `directory` so far.
fn read_logs(directory: &std::path::Path) -> String {
    std::fs::read_dir(directory)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect()
}
