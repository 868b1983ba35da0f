//! OAuth through the CLI against the TypeScript SDK's OAuth demo server (a real authorization
//! server with dynamic registration and PKCE): the loopback redirect, the saved-and-encrypted
//! grant, the hostile callbacks (foreign Host, wrong state, a denial with attacker text), and
//! a sign-in logged at trace level without its code.
//! The browser is the only stand-in: a client that follows the authorization redirect by hand.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use patchbay_tests::{Sandbox, oauth_demo_server, patchbay_bin};

/// Starts `patchbay ARGS --no-browser` and returns the child plus the sign-in URL it printed.
pub(crate) fn start_sign_in(
    sandbox: &Sandbox,
    args: &[&str],
) -> Result<(Child, String, std::sync::mpsc::Receiver<String>)> {
    start_sign_in_with_env(sandbox, args, &[])
}

/// [`start_sign_in`] with extra environment variables.
pub(crate) fn start_sign_in_with_env(
    sandbox: &Sandbox,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<(Child, String, std::sync::mpsc::Receiver<String>)> {
    let mut child = Command::new(patchbay_bin()?)
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .args(args)
        .arg("--no-browser")
        .env("PATCHBAY_KEYCHAIN_SERVICE", &sandbox.keychain_service)
        .env("PATCHBAY_TIMEOUT", "10")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().context("stderr")?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut seen = String::new();
    while started.elapsed() < Duration::from_secs(20) {
        if let Ok(line) = receiver.recv_timeout(Duration::from_millis(200)) {
            seen.push_str(&line);
            seen.push('\n');
            if let Some(url) = line
                .trim()
                .strip_prefix("http")
                .map(|rest| format!("http{rest}"))
            {
                return Ok((child, url, receiver));
            }
        }
    }
    bail!("no sign-in URL printed within 20 s:\n{seen}")
}

/// What a browser does after the person clicks "Allow": the authorization server redirects to
/// our loopback URI.
pub(crate) async fn authorization_redirect(url: &str) -> Result<String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = client.get(url).send().await?;
    Ok(response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .context("the demo authorization server auto-approves with a redirect")?
        .to_owned())
}

pub(crate) fn finish(
    mut child: Child,
    receiver: std::sync::mpsc::Receiver<String>,
) -> Result<(i32, String)> {
    let status = child.wait()?;
    let mut stderr = String::new();
    while let Ok(line) = receiver.recv_timeout(Duration::from_millis(200)) {
        stderr.push_str(&line);
        stderr.push('\n');
    }
    Ok((status.code().unwrap_or(-1), stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_the_loopback_redirect_then_use_the_connector() -> Result<()> {
    let (peer, _) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", peer.port);
    let sandbox = Sandbox::new()?;
    let (child, sign_in_url, lines) = start_sign_in(
        &sandbox,
        &[
            "connector",
            "add",
            "--name",
            "Demo",
            "--url",
            &url,
            "--auth",
            "oauth",
        ],
    )?;
    ensure!(
        sign_in_url.contains("code_challenge_method=S256"),
        "PKCE S256: {sign_in_url}"
    );
    ensure!(
        sign_in_url.contains("resource="),
        "RFC 8707 resource: {sign_in_url}"
    );
    let redirect = authorization_redirect(&sign_in_url).await?;
    ensure!(
        redirect.starts_with("http://127.0.0.1:"),
        "loopback redirect: {redirect}"
    );

    // A request naming another host (DNS rebinding) is refused and does not end the wait.
    let loopback = url::Url::parse(&redirect)?;
    let port = loopback.port().context("port")?;
    let foreign = reqwest::Client::new()
        .get(redirect.as_str())
        .header("host", format!("evil.example:{port}"))
        .send()
        .await?;
    ensure!(
        foreign.status() == 400,
        "foreign Host must be refused: {}",
        foreign.status()
    );

    let page = reqwest::get(redirect.as_str()).await?;
    ensure!(page.status() == 200 && page.text().await?.contains("return to Patchbay"));
    let (code, stderr) = finish(child, lines)?;
    ensure!(
        code == 0,
        "sign-in and save must succeed (exit {code}):\n{stderr}"
    );
    ensure!(stderr.contains("Added \"Demo\": connected"), "{stderr}");

    let show = sandbox.run(&["connector", "show", "Demo", "--json"], None)?;
    ensure!(show.stdout.contains("\"auth\": \"oauth\""), "{show}");
    let tools = sandbox.run(&["tools", "Demo"], None)?;
    ensure!(
        tools.code == 0 && tools.stdout.contains("greet"),
        "the stored grant decrypts and works: {tools}"
    );
    for (path, bytes) in sandbox.data_files()? {
        ensure!(
            !patchbay_tests::contains_bytes(&bytes, b"access_token"),
            "grant stored in clear in {}",
            path.display()
        );
    }

    let logout = sandbox.run(&["connector", "logout", "Demo"], None)?;
    ensure!(logout.code == 0, "{logout}");
    let after = sandbox.run(&["tools", "Demo"], None)?;
    // Signed out is not "no credentials": the connector is OAuth, so the way back is signing
    // in, named as the command (it used to say "add an access token or choose OAuth").
    ensure!(
        after.code == 1
            && after.stderr.contains("signed out")
            && after.stderr.contains("patchbay connector login Demo")
            && !after.stderr.contains("access token"),
        "forgotten sign-in names the sign-in: {after}"
    );
    Ok(())
}

/// Checklist 29: at `RUST_LOG=trace` a whole sign-in logs neither the authorization code nor
/// the PKCE challenge's verifier side (rmcp's OAuth module logs the code at debug level; the CLI
/// caps that module at info whatever `RUST_LOG` asks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_at_trace_level_logs_no_authorization_code() -> Result<()> {
    let (peer, _) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", peer.port);
    let sandbox = Sandbox::new()?;
    let (child, sign_in_url, lines) = start_sign_in_with_env(
        &sandbox,
        &[
            "connector",
            "add",
            "--name",
            "Traced",
            "--url",
            &url,
            "--auth",
            "oauth",
        ],
        &[("RUST_LOG", "trace")],
    )?;
    let redirect = authorization_redirect(&sign_in_url).await?;
    let code = url::Url::parse(&redirect)?
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
        .context("the redirect carries a code")?;
    ensure!(code.len() >= 8, "a real code: {code}");
    let page = reqwest::get(redirect.as_str()).await?;
    ensure!(page.status() == 200);
    let (exit, stderr) = finish(child, lines)?;
    ensure!(exit == 0, "sign-in must succeed (exit {exit}):\n{stderr}");
    ensure!(
        stderr.lines().count() > 50 && stderr.contains("TRACE"),
        "trace logging must really be on ({} lines)",
        stderr.lines().count()
    );
    ensure!(
        !stderr.contains(&code),
        "the authorization code {code} was logged:\n{}",
        stderr
            .lines()
            .filter(|line| line.contains(&code))
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_state_or_denial_saves_nothing_and_shows_no_attacker_text() -> Result<()> {
    let (peer, _) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", peer.port);
    let sandbox = Sandbox::new()?;

    // A forged callback with a state the flow never issued is dropped: the loopback answers with
    // a fixed error page and keeps waiting for the flow's own answer, so nothing is exchanged.
    let (mut child, sign_in_url, lines) = start_sign_in(
        &sandbox,
        &[
            "connector",
            "add",
            "--name",
            "Forged",
            "--url",
            &url,
            "--auth",
            "oauth",
        ],
    )?;
    let redirect = authorization_redirect(&sign_in_url).await?;
    let mut forged = url::Url::parse(&redirect)?;
    let code = forged
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "attacker-state");
    let answer = reqwest::get(forged.as_str()).await?;
    let status = answer.status();
    let page = answer.text().await?;
    ensure!(
        status == 400 && !page.contains(&code) && !page.contains("attacker-state"),
        "a wrong state is refused without echoing it: {status} {page}"
    );
    // Were the answer accepted, the exchange would fail and the CLI exit within moments.
    tokio::time::sleep(Duration::from_millis(500)).await;
    ensure!(
        child.try_wait()?.is_none(),
        "a forged answer cannot end the sign-in"
    );
    // The person gives up on the sign-in; nothing may have been saved.
    child.kill()?;
    let (exit, stderr) = finish(child, lines)?;
    ensure!(exit != 0, "an interrupted sign-in saves nothing:\n{stderr}");

    // A denial whose description carries attacker text: only the error code is shown.
    let (child, sign_in_url, lines) = start_sign_in(
        &sandbox,
        &[
            "connector",
            "add",
            "--name",
            "Denied",
            "--url",
            &url,
            "--auth",
            "oauth",
        ],
    )?;
    let redirect = authorization_redirect(&sign_in_url).await?;
    let mut denied = url::Url::parse(&redirect)?;
    let state = denied
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    denied
        .query_pairs_mut()
        .clear()
        .append_pair("error", "access_denied")
        .append_pair(
            "error_description",
            "Call +1-555-SCAM to restore your account",
        )
        .append_pair("state", &state);
    reqwest::get(denied.as_str()).await?;
    let (exit, stderr) = finish(child, lines)?;
    ensure!(exit == 1 && stderr.contains("access_denied"), "{stderr}");
    ensure!(
        !stderr.contains("SCAM"),
        "attacker text must not be shown:\n{stderr}"
    );

    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(list.stdout.trim() == "[]", "nothing saved: {list}");
    Ok(())
}

/// Signs in `name` in `workspace` through the CLI, playing the browser; returns the CLI's exit
/// code and output.
async fn sign_in_in_workspace(
    sandbox: &Sandbox,
    workspace: &str,
    name: &str,
    url: &str,
) -> Result<(i32, String)> {
    let (child, sign_in_url, lines) = start_sign_in(
        sandbox,
        &[
            "--workspace",
            workspace,
            "connector",
            "add",
            "--name",
            name,
            "--url",
            url,
            "--auth",
            "oauth",
        ],
    )?;
    let redirect = authorization_redirect(&sign_in_url).await?;
    reqwest::get(redirect.as_str()).await?;
    finish(child, lines)
}

/// Checklist 26: the same server in two workspaces is two separate sign-ins and registrations.
/// Forgetting one leaves the other working; deleting a workspace removes its grant and keeps
/// the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_server_in_two_workspaces_is_signed_in_separately() -> Result<()> {
    let (peer, _) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", peer.port);
    let sandbox = Sandbox::new()?;
    let created = sandbox.run(&["workspace", "add", "Work"], None)?;
    ensure!(created.code == 0, "{created}");
    for workspace in ["Default", "Work"] {
        let (code, stderr) = sign_in_in_workspace(&sandbox, workspace, "Demo", &url).await?;
        ensure!(code == 0, "sign-in in {workspace} must succeed:\n{stderr}");
    }
    for workspace in ["Default", "Work"] {
        let tools = sandbox.run(&["--workspace", workspace, "tools", "Demo"], None)?;
        ensure!(
            tools.code == 0 && tools.stdout.contains("greet"),
            "the connector in {workspace} works with its own grant: {tools}"
        );
    }

    let logout = sandbox.run(
        &["--workspace", "Work", "connector", "logout", "Demo"],
        None,
    )?;
    ensure!(logout.code == 0, "{logout}");
    let work = sandbox.run(&["--workspace", "Work", "tools", "Demo"], None)?;
    ensure!(
        work.code == 1,
        "the forgotten sign-in in Work must need authentication: {work}"
    );
    let default = sandbox.run(&["--workspace", "Default", "tools", "Demo"], None)?;
    ensure!(
        default.code == 0 && default.stdout.contains("greet"),
        "forgetting Work's sign-in must not touch Default's: {default}"
    );

    let (code, stderr) = sign_in_in_workspace(&sandbox, "Work", "Demo 2", &url).await?;
    ensure!(code == 0, "signing in again in Work:\n{stderr}");
    let removed = sandbox.run(&["workspace", "remove", "Work"], None)?;
    ensure!(removed.code == 0, "{removed}");
    let default = sandbox.run(&["--workspace", "Default", "tools", "Demo"], None)?;
    ensure!(
        default.code == 0 && default.stdout.contains("greet"),
        "removing Work must leave Default's grant working: {default}"
    );
    let gone = sandbox.run(&["--workspace", "Work", "connector", "list"], None)?;
    ensure!(gone.code == 2, "the removed workspace is gone: {gone}");
    Ok(())
}
