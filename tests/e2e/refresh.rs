//! OAuth token refresh through the public facade, against the mock OAuth peer
//! (`patchbay_tests::oauth_peer`: a mock because no real peer we can run rotates refresh tokens
//! and revokes the family on reuse). Each test signs in with the real authorization-code flow
//! (a headless browser follows the redirect to Patchbay's loopback listener), saves the connector
//! in a temp data dir with the in-memory keychain, and then drives sessions and tool calls; the
//! two-process test runs the `patchbay` CLI beside it on the OS keychain. Checklist items 20,
//! 21, 24 and 25.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_core::keychain::MemoryKeychain;
use patchbay_core::mcp::Stage;
use patchbay_core::oauth::refresh::system_clock;
use patchbay_core::oauth::{self, ClientChoice, Grant};
use patchbay_core::{AuthKind, ConnectorSpec, ConnectorStatus, Patchbay};
use patchbay_tests::Sandbox;
use patchbay_tests::oauth_peer::{Behaviour, OAuthPeer, RefreshAnswer};

pub(crate) const WORKSPACE: &str = "Default";

/// What a browser does when the person clicks "Allow": fetch the authorization URL, then follow
/// its redirect to the loopback listener `authorize` is waiting on.
pub(crate) async fn headless_browser(
    url: url::Url,
) -> Result<(), patchbay_core::oauth::sign_in::BrowserError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| error.to_string())?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| format!("no redirect from /authorize ({})", response.status()))?
        .to_owned();
    tokio::spawn(async move {
        if let Err(error) = reqwest::get(&location).await {
            eprintln!("delivering the callback: {error}");
        }
    });
    Ok(())
}

async fn sign_in(peer: &OAuthPeer) -> Result<Grant> {
    sign_in_as(peer, ClientChoice::default()).await
}

/// Signs in to `peer` with `client` (a pre-registered client, or the default: registration).
pub(crate) async fn sign_in_as(peer: &OAuthPeer, client: ClientChoice) -> Result<Grant> {
    let url = url::Url::parse(&peer.mcp_url())?;
    Ok(oauth::authorize(
        &url,
        client,
        None,
        Duration::from_secs(20),
        &oauth::done_page(None),
        headless_browser,
    )
    .await?)
}

/// A clock that runs with the system clock plus an offset the test moves forward.
#[derive(Clone, Default)]
pub(crate) struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub(crate) fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }

    pub(crate) fn clock(&self) -> patchbay_core::oauth::refresh::Clock {
        let offset = self.0.clone();
        let system = system_clock();
        Arc::new(move || system() + offset.load(Ordering::SeqCst))
    }
}

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    keychain: Arc<MemoryKeychain>,
}

impl Fixture {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            dir: tempfile::tempdir()?,
            keychain: MemoryKeychain::new(),
        })
    }

    /// A Patchbay on this fixture's data dir (a second call is a restart).
    pub(crate) fn open(&self, clock: Option<&TestClock>) -> Result<Patchbay> {
        let app = Patchbay::open(self.dir.path(), self.keychain.clone(), "dev.patchbay.test")?;
        Ok(match clock {
            Some(clock) => app.with_clock(clock.clock()),
            None => app,
        })
    }
}

async fn add(app: &Patchbay, name: &str, peer: &OAuthPeer) -> Result<()> {
    add_signed_in(app, name, peer, sign_in(peer).await?).await
}

/// Saves `grant` as the OAuth connector `name` for `peer`; it must connect.
pub(crate) async fn add_signed_in(
    app: &Patchbay,
    name: &str,
    peer: &OAuthPeer,
    grant: Grant,
) -> Result<()> {
    let saved = app
        .add_connector(
            WORKSPACE,
            ConnectorSpec {
                name: name.into(),
                url: peer.mcp_url(),
                auth: AuthKind::OAuth,
                token: None,
                headers: vec![],
                oauth: Some(grant),
                network: Default::default(),
            },
            true,
        )
        .await?;
    ensure!(
        saved.connector.status == ConnectorStatus::Connected,
        "a fresh sign-in connects: {saved:?}"
    );
    Ok(())
}

/// Waits until `count` SSE GETs with a token reached `peer` after its `from`th request
/// (sessions open them in the background after initialize).
async fn streams_opened(peer: &OAuthPeer, from: usize, count: usize) -> Result<()> {
    for _ in 0..100 {
        let opened = peer
            .seen()
            .iter()
            .skip(from)
            .filter(|seen| {
                seen.method == "GET"
                    && seen.path == "/mcp"
                    && seen.authorization.is_some()
                    && seen
                        .accept
                        .as_deref()
                        .is_some_and(|accept| accept.contains("text/event-stream"))
            })
            .count();
        if opened >= count {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the sessions did not open their SSE streams within 5 s")
}

/// Calls `echo` once and returns the text it answered.
pub(crate) async fn echo(session: &patchbay_core::mcp::Session, message: &str) -> Result<String> {
    let mut arguments = serde_json::Map::new();
    arguments.insert("message".into(), message.into());
    let result = session.call_tool("echo", Some(arguments)).await?;
    Ok(serde_json::to_value(&result)?
        .pointer("/content/0/text")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned())
}

/// `count` echo calls at once, alternating between `sessions`; every answer must be right.
pub(crate) async fn concurrent_calls(
    sessions: &[patchbay_core::mcp::Session],
    count: usize,
) -> Result<()> {
    let calls = (0..count).map(|index| {
        let session = &sessions[index % sessions.len()];
        async move { (index, echo(session, &format!("call {index}")).await) }
    });
    for (index, outcome) in futures::future::join_all(calls).await {
        let text = outcome.with_context(|| format!("call {index} failed"))?;
        ensure!(
            text == format!("echo: call {index}"),
            "call {index}: {text}"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_calls_at_expiry_refresh_once_and_the_rotated_token_survives_a_restart() -> Result<()>
{
    // Sign-in tokens live two minutes; refreshed ones an hour.
    let peer = OAuthPeer::start(Behaviour {
        token_lifetime: Some(Duration::from_secs(120)),
        ..Behaviour::default()
    })
    .await?;
    let fixture = Fixture::new()?;
    let clock = TestClock::default();
    let app = fixture.open(Some(&clock))?;
    add(&app, "A", &peer).await?;
    peer.set(|behaviour| behaviour.token_lifetime = Some(Duration::from_secs(3600)));
    let sessions = vec![
        app.session(WORKSPACE, "A").await?,
        app.session(WORKSPACE, "A").await?,
    ];
    ensure!(
        peer.refresh_requests() == 0,
        "a token with two minutes left is used as is"
    );
    let calls_before = peer.tool_calls();

    // Expiry, as both sides see it: past the client's clock and rejected by the server.
    clock.advance(130);
    peer.expire_access_tokens();
    concurrent_calls(&sessions, 20).await?;

    ensure!(
        peer.refresh_requests() == 1,
        "20 concurrent calls over two sessions must share one refresh, saw {}",
        peer.refresh_requests()
    );
    ensure!(
        peer.reused_refresh_tokens() == 0,
        "a rotated-away refresh token was presented again (the family would be revoked)"
    );
    ensure!(
        peer.refresh_resources() == vec![Some(peer.mcp_url())],
        "the refresh names the resource (RFC 8707): {:?}",
        peer.refresh_resources()
    );
    let sent: Vec<_> = peer
        .seen()
        .into_iter()
        .filter(|seen| seen.rpc_method.as_deref() == Some("tools/call"))
        .collect();
    ensure!(
        sent.len() - calls_before == 20 && peer.tool_calls() - calls_before == 20,
        "each call went out once, with the refreshed token (none was sent with the expired one \
         and retried): {} sent",
        sent.len() - calls_before
    );
    for session in sessions {
        session.close().await;
    }
    drop(app);

    // A restart reads the rotated grant from the store: the old refresh token is spent, so only
    // the committed new one works (the sign-in's access token is expired server-side).
    let restarted = fixture.open(None)?;
    let session = restarted.session(WORKSPACE, "A").await?;
    ensure!(echo(&session, "after restart").await? == "echo: after restart");
    session.close().await;
    ensure!(
        peer.refresh_requests() == 1 && peer.reused_refresh_tokens() == 0,
        "the restarted app used the committed tokens without another refresh or a re-login"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_calls_that_all_get_401_mid_session_cause_one_refresh() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour::default()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add(&app, "A", &peer).await?;
    let sessions = vec![
        app.session(WORKSPACE, "A").await?,
        app.session(WORKSPACE, "A").await?,
    ];

    // The client thinks its token has an hour left; the server revoked it. Every call gets a 401.
    peer.expire_access_tokens();
    concurrent_calls(&sessions, 20).await?;
    ensure!(
        peer.refresh_requests() == 1,
        "twenty 401s for the same token must cause one refresh, saw {}",
        peer.refresh_requests()
    );
    ensure!(
        peer.reused_refresh_tokens() == 0,
        "no rotated-away refresh token may be presented again"
    );
    for session in sessions {
        session.close().await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour {
        rotate_refresh_tokens: false,
        ..Behaviour::default()
    })
    .await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add(&app, "A", &peer).await?;
    for round in 1..=2 {
        peer.expire_access_tokens();
        let session = app.session(WORKSPACE, "A").await?;
        ensure!(
            echo(&session, "kept").await? == "echo: kept",
            "round {round}"
        );
        session.close().await;
    }
    drop(app);
    // And it was committed with the new access token: a restart refreshes with it again.
    peer.expire_access_tokens();
    let restarted = fixture.open(None)?;
    let session = restarted.session(WORKSPACE, "A").await?;
    ensure!(echo(&session, "after restart").await? == "echo: after restart");
    session.close().await;
    ensure!(
        peer.refresh_requests() == 3,
        "three expiries, three refreshes, all with the one refresh token the server issued (a \
         dropped refresh token would have ended in a re-login): {}",
        peer.refresh_requests()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_needs_auth_for_that_connector_only() -> Result<()> {
    let (peer_a, peer_b) = (
        OAuthPeer::start(Behaviour::default()).await?,
        OAuthPeer::start(Behaviour::default()).await?,
    );
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add(&app, "A", &peer_a).await?;
    add(&app, "B", &peer_b).await?;

    peer_a.set(|behaviour| behaviour.refresh = RefreshAnswer::InvalidGrant);
    peer_a.expire_access_tokens();
    peer_b.expire_access_tokens();
    let a = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        a.stage == Stage::Auth && a.status() == ConnectorStatus::NeedsAuth,
        "a rejected refresh token means signing in again: {a:?}"
    );
    let b = app.test_connector(WORKSPACE, "B").await?;
    ensure!(
        b.ok && b.status() == ConnectorStatus::Connected,
        "the other OAuth connector refreshes and stays connected: {b:?}"
    );
    ensure!(
        app.connector(WORKSPACE, "A")?.status == ConnectorStatus::NeedsAuth
            && app.connector(WORKSPACE, "B")?.status == ConnectorStatus::Connected,
        "the statuses are recorded per connector"
    );
    // The rejected grant is not offered to the authorization server again.
    let again = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        again.status() == ConnectorStatus::NeedsAuth && peer_a.refresh_requests() == 1,
        "a second check must not repeat the rejected refresh ({} requests)",
        peer_a.refresh_requests()
    );

    // Signing in again recovers without restarting.
    peer_a.set(|behaviour| behaviour.refresh = RefreshAnswer::Normal);
    signing_in_again_repairs(&app, &peer_a).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_from_the_token_endpoint_keeps_the_tokens() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour::default()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add(&app, "A", &peer).await?;

    peer.set(|behaviour| behaviour.refresh = RefreshAnswer::Status(503));
    peer.expire_access_tokens();
    let down = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        !down.ok && down.status() != ConnectorStatus::NeedsAuth,
        "an unavailable authorization server is not a reason to sign in again: {down:?}"
    );
    ensure!(
        down.detail.contains("renewing the access token failed"),
        "the diagnosis names the failed refresh: {down:?}"
    );

    peer.set(|behaviour| behaviour.refresh = RefreshAnswer::Normal);
    let up = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        up.ok && up.status() == ConnectorStatus::Connected,
        "the kept refresh token works once the server is back: {up:?}"
    );
    ensure!(
        peer.refresh_requests() == 2 && peer.reused_refresh_tokens() == 0,
        "one failed and one successful refresh with the same, unspent token"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_one_server_is_never_sent_to_another() -> Result<()> {
    let (peer_a, peer_b) = (
        OAuthPeer::start(Behaviour::default()).await?,
        OAuthPeer::start(Behaviour::default()).await?,
    );
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add(&app, "A", &peer_a).await?;
    add(&app, "B", &peer_b).await?;
    // Both refresh once, interleaved, so each has two generations of tokens in play.
    peer_a.expire_access_tokens();
    peer_b.expire_access_tokens();
    let (a, b) = (
        app.session(WORKSPACE, "A").await?,
        app.session(WORKSPACE, "B").await?,
    );
    let (answer_a, answer_b) = tokio::join!(echo(&a, "to A"), echo(&b, "to B"));
    ensure!(answer_a? == "echo: to A" && answer_b? == "echo: to B");
    a.close().await;
    b.close().await;

    for (peer, other) in [(&peer_a, &peer_b), (&peer_b, &peer_a)] {
        let foreign = other.issued_access_tokens();
        let seen = peer.seen();
        // Checklist 20: a token never travels in a URL's query (logged by every proxy).
        let every_token: Vec<String> = foreign
            .iter()
            .cloned()
            .chain(peer.issued_access_tokens())
            .collect();
        for request in &seen {
            let query = request.query.as_deref().unwrap_or_default();
            ensure!(
                !every_token
                    .iter()
                    .any(|token| query.contains(token.as_str())),
                "a token in a query: {request:?}"
            );
        }
        // Before the first token exchange, the sign-in's challenge lookup has no token to send.
        let signed_in = seen
            .iter()
            .position(|request| request.path == "/token")
            .context("the sign-in exchanged a code")?;
        for (index, request) in seen.iter().enumerate() {
            let header = request.authorization.as_deref().unwrap_or_default();
            ensure!(
                !foreign.iter().any(|token| header.contains(token.as_str())),
                "{} {} at {} carried the other server's token",
                request.method,
                request.path,
                peer.base_url()
            );
            // A session's own requests: JSON-RPC POSTs, the SSE GET, the closing DELETE. (The
            // discovery probe of /mcp, a plain GET, goes out without a token by design.)
            let session_request = request.path == "/mcp"
                && (request.method == "DELETE"
                    || request
                        .accept
                        .as_deref()
                        .is_some_and(|accept| accept.contains("text/event-stream")));
            if session_request && index > signed_in {
                ensure!(
                    header.starts_with("Bearer AT-"),
                    "every MCP request carries this server's token (POST, GET, DELETE): {request:?}"
                );
            } else if request.path != "/mcp" {
                ensure!(
                    request.authorization.is_none(),
                    "discovery, registration and token requests carry no bearer token: {request:?}"
                );
            }
        }
        for method in ["POST", "GET", "DELETE"] {
            ensure!(
                seen.iter().any(|request| request.path == "/mcp"
                    && request.method == method
                    && request.authorization.is_some()),
                "the session sent {method} with its token (the SSE GET, the closing DELETE)"
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_lost_before_its_commit_asks_for_sign_in_and_corrupts_nothing() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour::default()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add(&app, "A", &peer).await?;
    // As if the app had refreshed and died before committing: the stored refresh token is spent.
    peer.rotate_out_of_band();
    peer.expire_access_tokens();
    let check = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        check.status() == ConnectorStatus::NeedsAuth,
        "a spent refresh token ends in Needs authentication: {check:?}"
    );
    drop(app);

    let restarted = fixture.open(None)?;
    let listed = restarted.list_connectors(WORKSPACE)?;
    ensure!(
        listed.len() == 1 && listed[0].status == ConnectorStatus::NeedsAuth,
        "the store opens and keeps the status: {listed:?}"
    );
    signing_in_again_repairs(&restarted, &peer).await
}

/// A new sign-in for connector "A" is saved as Connected and a tool call works with it.
async fn signing_in_again_repairs(app: &Patchbay, peer: &OAuthPeer) -> Result<()> {
    let saved = app.sign_in(WORKSPACE, "A", sign_in(peer).await?).await?;
    ensure!(
        saved.connector.status == ConnectorStatus::Connected,
        "signing in again repairs it: {saved:?}"
    );
    let session = app.session(WORKSPACE, "A").await?;
    ensure!(echo(&session, "repaired").await? == "echo: repaired");
    session.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_by_another_process_is_read_from_the_store_not_repeated() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour::default()).await?;
    let fixture = Fixture::new()?;
    // Two facades on one data dir, as the desktop app and the CLI are: separate token caches.
    let (app, cli) = (fixture.open(None)?, fixture.open(None)?);
    add(&app, "A", &peer).await?;
    let before = peer.seen().len();
    let (app_session, cli_session) = (
        app.session(WORKSPACE, "A").await?,
        cli.session(WORKSPACE, "A").await?,
    );
    // Each session opens its SSE stream in the background; let both open with the old token, so
    // this test is about the re-read (refreshes at the same instant are the two-process test's).
    streams_opened(&peer, before, 2).await?;
    peer.expire_access_tokens();
    ensure!(echo(&app_session, "app").await? == "echo: app");
    // The CLI still holds the expired token and the spent refresh token in memory; its 401
    // must lead it to the rotated grant the app committed, not to a second refresh.
    ensure!(echo(&cli_session, "cli").await? == "echo: cli");
    ensure!(
        peer.refresh_requests() == 1 && peer.reused_refresh_tokens() == 0,
        "the second process reuses the committed refresh instead of presenting the spent token \
         ({} refreshes, {} reused)",
        peer.refresh_requests(),
        peer.reused_refresh_tokens()
    );
    app_session.close().await;
    cli_session.close().await;
    Ok(())
}

/// The desktop app and the CLI are separate processes on one data dir. Here this test's
/// Patchbay and a `patchbay call` process meet an expired token at the same instant, against a
/// server that rotates refresh tokens and revokes the family on reuse, and that holds each
/// refresh answer back two seconds so both are mid-refresh together: the per-connector refresh
/// lock makes one wait, re-read the store and use the other's committed grant. Without the lock
/// both present the same refresh token and the family is revoked. The CLI opens the OS keychain,
/// so this test needs the real Secret Service (`cargo xtask test`, or keyring-run.sh).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_at_once_refresh_once_and_both_succeed() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour {
        refresh_delay: Some(Duration::from_secs(2)),
        ..Behaviour::default()
    })
    .await?;
    let sandbox = Arc::new(Sandbox::new()?);
    let keychain = patchbay_core::keychain::os_keychain(&sandbox.keychain_service);
    let app = Patchbay::open(&sandbox.data_dir(), keychain, &sandbox.keychain_service)?;
    add(&app, "A", &peer).await?;
    let signed_in = peer.issued_access_tokens();
    ensure!(signed_in.len() == 1, "one access token so far");
    peer.expire_access_tokens();
    let before = peer.seen().len();

    let cli = tokio::task::spawn_blocking({
        let sandbox = sandbox.clone();
        move || {
            sandbox.run_with_env(
                &[
                    "call",
                    "A",
                    "echo",
                    "--args",
                    r#"{"message": "from the cli"}"#,
                ],
                None,
                &[("PATCHBAY_TIMEOUT", "20")],
            )
        }
    });
    let in_process = async {
        let session = app.session(WORKSPACE, "A").await?;
        let text = echo(&session, "from the app").await;
        session.close().await;
        text
    };
    let (cli, in_process) = tokio::join!(cli, in_process);
    let cli = cli??;
    ensure!(
        cli.code == 0 && cli.stdout.contains("echo: from the cli"),
        "the CLI's call succeeds: {cli}"
    );
    ensure!(
        in_process? == "echo: from the app",
        "the app's call succeeds"
    );
    let expired = format!("Bearer {}", signed_in[0]);
    let turned_away = peer
        .seen()
        .iter()
        .skip(before)
        .filter(|seen| seen.authorization.as_deref() == Some(expired.as_str()))
        .count();
    ensure!(
        turned_away >= 2,
        "both processes started from the expired token, so both needed a refresh ({turned_away} \
         requests with it)"
    );
    ensure!(
        peer.refresh_requests() == 1 && peer.reused_refresh_tokens() == 0,
        "two processes at once must cause exactly one refresh and no reuse ({} refreshes, {} \
         reused)",
        peer.refresh_requests(),
        peer.reused_refresh_tokens()
    );
    Ok(())
}

/// Forget credentials while a refresh is on its way: the refresh's new grant is not written
/// over the forgetting. Before, the refreshed grant was committed whatever happened meanwhile,
/// and the connector was signed in again behind the person's back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_while_a_refresh_runs_is_not_undone() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour {
        refresh_delay: Some(Duration::from_secs(1)),
        ..Behaviour::default()
    })
    .await?;
    let fixture = Fixture::new()?;
    let app = Arc::new(fixture.open(None)?);
    add(&app, "A", &peer).await?;
    peer.expire_access_tokens();
    let token_requests = || {
        peer.seen()
            .iter()
            .filter(|seen| seen.method == "POST" && seen.path == "/token")
            .count()
    };
    let before = token_requests();
    let checking = {
        let app = app.clone();
        tokio::spawn(async move { app.test_connector(WORKSPACE, "A").await })
    };
    let started = std::time::Instant::now();
    while token_requests() == before {
        ensure!(
            started.elapsed() < Duration::from_secs(15),
            "the check never refreshed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The refresh request arrived; the authorization server answers it a second from now.
    app.forget_credentials(WORKSPACE, "A")?;
    let check = checking.await??;
    ensure!(
        app.stored_registration(WORKSPACE, "A")?.is_none(),
        "the forgetting stands: no grant came back ({check:?})"
    );
    let connector = app
        .list_connectors(WORKSPACE)?
        .into_iter()
        .find(|connector| connector.name == "A")
        .context("the connector")?;
    ensure!(
        connector.status == ConnectorStatus::NeedsAuth,
        "it needs a sign-in: {connector:?}\n{check:?}"
    );
    Ok(())
}
