//! Step-up authorization through the real `patchbay` binary (checklist 23): a tool the first
//! sign-in's scopes do not cover is refused with `403 insufficient_scope`; the CLI names the
//! scope and the command that grants it, the connector turns to needs-authentication, and
//! `connector login` asks for the union of what was granted and what the server asked for. A
//! server that never grants the scope gets asked once, not in a loop.
//!
//! The last test does what the status monitor and the desktop do, in process: a check whose
//! tools/list is refused records the need, and the facade's re-authentication asks for both.
//!
//! The server is the mock OAuth peer (`patchbay_tests::oauth_peer`, with a `ScopedTool`): none
//! of the real peers we can run offline has a tool that needs a scope beyond the first
//! sign-in's. The browser is the usual stand-in that follows the authorization redirect.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_core::oauth::{self, ClientChoice};
use patchbay_core::store::StepUp;
use patchbay_core::{AuthKind, ConnectorSpec, ConnectorStatus};
use patchbay_tests::Sandbox;
use patchbay_tests::oauth_peer::{Behaviour, OAuthPeer, ScopedTool};

use crate::oauth::{authorization_redirect, finish, start_sign_in};
use crate::refresh::{Fixture, WORKSPACE, headless_browser, sign_in_as};

const NAME: &str = "Docs";
const TOOL: &str = "write";
const BASE_SCOPE: &str = "files:read";
const EXTRA_SCOPE: &str = "files:write";

async fn peer(tool: ScopedTool) -> Result<OAuthPeer> {
    OAuthPeer::start(Behaviour {
        scoped_tool: Some(tool),
        ..Behaviour::default()
    })
    .await
}

/// The scopes an authorization URL asks for.
fn requested_scopes(authorization_url: &str) -> Result<Vec<String>> {
    let url = url::Url::parse(authorization_url)?;
    let scope = url
        .query_pairs()
        .find(|(key, _)| key == "scope")
        .map(|(_, value)| value.into_owned())
        .context("the authorization URL names its scopes")?;
    Ok(scope.split_whitespace().map(str::to_owned).collect())
}

/// Runs `patchbay ARGS` (a sign-in) with the browser played: returns the authorization URL it
/// printed and its stderr, after checking it succeeded.
async fn signed_in(sandbox: &Sandbox, args: &[&str]) -> Result<(String, String)> {
    let (child, authorization_url, lines) = start_sign_in(sandbox, args)?;
    let redirect = authorization_redirect(&authorization_url).await?;
    let page = reqwest::get(redirect.as_str()).await?;
    ensure!(page.status() == 200, "the loopback takes the answer");
    let (code, stderr) = finish(child, lines)?;
    ensure!(code == 0, "{args:?} must succeed (exit {code}):\n{stderr}");
    Ok((authorization_url, stderr))
}

/// Adds the connector with a first sign-in, which asks for the base scope only; returns what
/// the command printed.
async fn add(sandbox: &Sandbox, peer: &OAuthPeer) -> Result<String> {
    let url = peer.mcp_url();
    let args = [
        "connector",
        "add",
        "--name",
        NAME,
        "--url",
        &url,
        "--auth",
        "oauth",
    ];
    let (authorization_url, stderr) = signed_in(sandbox, &args).await?;
    ensure!(
        requested_scopes(&authorization_url)? == [BASE_SCOPE],
        "the first sign-in asks for the 401 challenge's scope: {authorization_url}"
    );
    Ok(stderr)
}

/// `connector show NAME --json`: (status, last_error).
fn shown(sandbox: &Sandbox) -> Result<(String, Option<String>)> {
    let run = sandbox.run(&["connector", "show", NAME, "--json"], None)?;
    ensure!(run.code == 0, "{run}");
    let json: serde_json::Value = serde_json::from_str(&run.stdout)?;
    let status = json["status"].as_str().context("status")?.to_owned();
    Ok((status, json["last_error"].as_str().map(str::to_owned)))
}

/// The first refusal: the CLI names the scope and the login command; the connector needs
/// authentication, with the scope in its last error.
fn first_refusal(sandbox: &Sandbox) -> Result<()> {
    let call = sandbox.run(&["call", NAME, TOOL], None)?;
    ensure!(
        call.code == 1
            && call
                .stderr
                .contains("needs more permissions: scope files:write")
            && call.stderr.contains("patchbay connector login Docs"),
        "the refusal names the scope and the exact command that grants it: {call}"
    );
    let (status, last_error) = shown(sandbox)?;
    ensure!(
        status == "needs_auth"
            && last_error.as_deref()
                == Some(
                    "needs more permissions: scope files:write — re-authenticate to grant them"
                ),
        "the connector needs authentication, and says why: {status} {last_error:?}"
    );
    Ok(())
}

/// `connector login`: asks for the base scope and the extra one.
async fn step_up(sandbox: &Sandbox) -> Result<String> {
    let (authorization_url, stderr) = signed_in(sandbox, &["connector", "login", NAME]).await?;
    let scopes = requested_scopes(&authorization_url)?;
    ensure!(
        scopes.iter().any(|scope| scope == BASE_SCOPE)
            && scopes.iter().any(|scope| scope == EXTRA_SCOPE),
        "re-authenticating asks for the union of the old and the new scope: {scopes:?}"
    );
    Ok(stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_tool_is_granted_by_connector_login() -> Result<()> {
    let peer = peer(ScopedTool::new(TOOL, EXTRA_SCOPE, BASE_SCOPE)).await?;
    let sandbox = Sandbox::new()?;
    add(&sandbox, &peer).await?;
    let echo = sandbox.run(
        &["call", NAME, "echo", "--args", r#"{"message":"hi"}"#],
        None,
    )?;
    ensure!(echo.code == 0, "the base scope covers echo: {echo}");

    first_refusal(&sandbox)?;
    let test = sandbox.run(&["connector", "test", NAME], None)?;
    ensure!(
        test.code == 1
            && test
                .stderr
                .contains("needs more permissions: scope files:write"),
        "a check that lists tools fine keeps the need (one tool still fails): {test}"
    );
    ensure!(
        shown(&sandbox)?.0 == "needs_auth",
        "still needs authentication"
    );

    step_up(&sandbox).await?;
    let call = sandbox.run(&["call", NAME, TOOL], None)?;
    ensure!(
        call.code == 0 && call.stdout.contains("done with more permissions"),
        "after the step-up the tool works: {call}"
    );
    let (status, last_error) = shown(&sandbox)?;
    ensure!(
        status == "connected" && last_error.is_none(),
        "and the connector is connected again: {status} {last_error:?}"
    );
    let echo = sandbox.run(
        &["call", NAME, "echo", "--args", r#"{"message":"hi"}"#],
        None,
    )?;
    ensure!(echo.code == 0, "what worked before still works: {echo}");
    ensure!(
        peer.authorize_scopes()
            == [
                Some(BASE_SCOPE.to_owned()),
                Some(format!("{BASE_SCOPE} {EXTRA_SCOPE}")),
            ],
        "two sign-ins, the second for both scopes: {:?}",
        peer.authorize_scopes()
    );
    Ok(())
}

/// `connector add --auth oauth` against a server that lets the sign-in through but refuses to
/// list tools without a further scope: the connector is added as needing authentication, the
/// command exits 0 naming the scope and `connector login`, and that login asks for both scopes
/// and connects it (it used to fail with nothing saved, and `connector login` then said there
/// was no such connector).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_add_refused_for_scope_is_saved_and_connector_login_steps_up() -> Result<()> {
    let peer = peer(ScopedTool {
        guards_listing: true,
        ..ScopedTool::new(TOOL, EXTRA_SCOPE, BASE_SCOPE)
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let stderr = add(&sandbox, &peer).await?;
    ensure!(
        stderr.contains("Added \"Docs\", but it cannot be used yet")
            && stderr.contains("scope files:write")
            && stderr.contains("patchbay connector login Docs"),
        "the add says what is missing and how to get it:\n{stderr}"
    );
    ensure!(
        shown(&sandbox)?.0 == "needs_auth",
        "saved, needing authentication"
    );
    step_up(&sandbox).await?;
    let (status, last_error) = shown(&sandbox)?;
    ensure!(
        status == "connected" && last_error.is_none(),
        "after connector login it is connected: {status} {last_error:?}"
    );
    let tools = sandbox.run(&["tools", NAME], None)?;
    ensure!(tools.code == 0 && tools.stdout.contains(TOOL), "{tools}");
    Ok(())
}

/// A server that never grants the extra scope: after one step-up the call still fails, with a
/// message that says the server did not grant it and no invitation to sign in again.
async fn never_granted(scope_in_token_response: bool) -> Result<()> {
    let peer = peer(ScopedTool {
        grantable: false,
        scope_in_token_response,
        ..ScopedTool::new(TOOL, EXTRA_SCOPE, BASE_SCOPE)
    })
    .await?;
    let sandbox = Sandbox::new()?;
    add(&sandbox, &peer).await?;
    first_refusal(&sandbox)?;
    let login = step_up(&sandbox).await?;
    if scope_in_token_response {
        ensure!(
            login.contains("warning: the server did not grant scope files:write"),
            "a token response that leaves the scope out is reported at once:\n{login}"
        );
    }

    for attempt in 1..=2 {
        let call = sandbox.run(&["call", NAME, TOOL], None)?;
        ensure!(
            call.code == 1
                && call.stderr.contains("scope files:write")
                && call.stderr.contains("did not grant")
                && !call.stderr.contains("connector login"),
            "attempt {attempt}: the server did not grant it, and signing in again is not \
             suggested: {call}"
        );
        let (status, last_error) = shown(&sandbox)?;
        ensure!(
            status == "error"
                && last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("did not grant")),
            "attempt {attempt}: the connector is in error, not sent to sign in again: {status} \
             {last_error:?}"
        );
    }
    ensure!(
        peer.authorize_scopes().len() == 2,
        "one sign-in and one step-up, nothing more: {:?}",
        peer.authorize_scopes()
    );
    ensure!(
        peer.scope_refusals() == 3,
        "the tool was refused once before and twice after the step-up: {}",
        peer.scope_refusals()
    );
    let test = sandbox.run(&["connector", "test", NAME], None)?;
    ensure!(
        test.code == 0,
        "listing tools still works; no need is left to hold the connector in needs-auth: {test}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_granted_on_paper_but_still_refused_is_not_asked_for_again() -> Result<()> {
    // The token response names no scopes: the client takes the request as granted in full.
    never_granted(false).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_the_token_response_leaves_out_is_reported_and_not_asked_for_again() -> Result<()> {
    never_granted(true).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_refused_tools_list_records_the_need_and_reauthentication_asks_for_both()
-> Result<()> {
    let peer = peer(ScopedTool {
        guards_listing: true,
        ..ScopedTool::new(TOOL, EXTRA_SCOPE, BASE_SCOPE)
    })
    .await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    let spec = |grant| ConnectorSpec {
        name: NAME.into(),
        url: peer.mcp_url(),
        auth: AuthKind::OAuth,
        token: None,
        headers: vec![],
        oauth: Some(grant),
        network: Default::default(),
    };
    let grant = sign_in_as(&peer, ClientChoice::default()).await?;
    // The sign-in worked, so it is kept although listing tools is refused: saved as needing
    // authentication with the scope recorded (it used to be refused with nothing saved, and
    // nothing to re-authenticate: a dead end).
    let saved = app.add_connector(WORKSPACE, spec(grant), true).await?;
    let diagnosis = saved
        .diagnosis
        .as_ref()
        .context("adding tests the connection")?;
    ensure!(
        !diagnosis.ok
            && diagnosis.status() == ConnectorStatus::NeedsAuth
            && diagnosis.http_status == Some(403)
            && diagnosis.detail == "needs more permissions: scope files:write",
        "the diagnosis names the scope, not a protocol failure: {diagnosis:?}"
    );
    ensure!(
        saved.connector.status == ConnectorStatus::NeedsAuth
            && saved.connector.last_error.as_deref()
                == Some(
                    "needs more permissions: scope files:write — re-authenticate to grant them"
                ),
        "saved as needing authentication, with the reason: {:?}",
        saved.connector
    );
    ensure!(
        app.step_up(WORKSPACE, NAME)?.needed.as_deref() == Some(EXTRA_SCOPE),
        "the add recorded the scope to ask for"
    );

    // What the status monitor runs.
    let check = app
        .check_by_id(&saved.connector.id, std::time::Duration::from_secs(30))
        .await?
        .context("the connector exists")?;
    ensure!(
        check.status() == ConnectorStatus::NeedsAuth
            && check.hint == "re-authenticate to grant them",
        "{check:?}"
    );
    let view = app.connector(WORKSPACE, NAME)?;
    ensure!(
        view.status == ConnectorStatus::NeedsAuth
            && view.last_error.as_deref()
                == Some(
                    "needs more permissions: scope files:write — re-authenticate to grant them"
                ),
        "the check recorded the need: {view:?}"
    );
    ensure!(
        app.step_up(WORKSPACE, NAME)?.needed.as_deref() == Some(EXTRA_SCOPE),
        "the scope is kept as the connector's step-up need"
    );

    // What Re-authenticate does.
    let again = app.reauthentication(WORKSPACE, NAME)?;
    ensure!(
        again.scopes == [BASE_SCOPE, EXTRA_SCOPE] && again.required.as_deref() == Some(EXTRA_SCOPE),
        "the union of the grant's scope and the need: {again:?}"
    );
    let grant = oauth::reauthenticate(
        &again,
        ClientChoice::default(),
        Duration::from_secs(20),
        &oauth::done_page(None),
        headless_browser,
    )
    .await?;
    ensure!(
        again.not_granted(&grant).is_empty(),
        "the server granted both"
    );
    let saved = app.sign_in(WORKSPACE, NAME, grant).await?;
    ensure!(
        saved.connector.status == ConnectorStatus::Connected,
        "{saved:?}"
    );
    ensure!(
        app.step_up(WORKSPACE, NAME)? == StepUp::default(),
        "the saved grant cleared the need"
    );
    let check = app
        .check_by_id(&saved.connector.id, std::time::Duration::from_secs(30))
        .await?;
    ensure!(
        check
            .as_ref()
            .is_some_and(|check| check.ok && check.tool_count == Some(2)),
        "tools are listed again: {check:?}"
    );
    ensure!(
        peer.authorize_scopes()
            == [
                Some(BASE_SCOPE.to_owned()),
                Some(format!("{BASE_SCOPE} {EXTRA_SCOPE}")),
            ],
        "{:?}",
        peer.authorize_scopes()
    );
    Ok(())
}
