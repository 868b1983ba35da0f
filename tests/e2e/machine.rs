//! Machine connectors: OAuth connectors whose client gets its own tokens with the
//! client-credentials grant, against the mock OAuth peer (`patchbay_tests::oauth_peer`: a mock
//! because no authorization server we can run offline serves the client-credentials grant with
//! short-lived tokens and lets a test rotate the client's secret). They are added through the
//! real `patchbay` binary, which opens the OS keychain, so this module needs the real Secret
//! Service (`cargo xtask test`, or /work/notes/keyring-run.sh).
//!
//! What must hold: a token that expires (or is refused) is renewed by running the grant again
//! with no person involved — once for many concurrent calls, in one process or two; a rotated
//! or revoked client secret turns that connector (only) to Needs authentication until a new
//! secret is entered; the authorization server being down keeps the token; and the secret or
//! key is never in the data directory in clear, never in the CLI's output or logs.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, ensure};
use patchbay_core::mcp::Stage;
use patchbay_core::oauth::{self, ClientAuth, MachineClient};
use patchbay_core::{ConnectorStatus, Patchbay, Secret};
use patchbay_tests::oauth_peer::{
    Behaviour, MachineAnswer, MachineAuth, MachinePeerClient, OAuthPeer,
};
use patchbay_tests::{Run, Sandbox, contains_bytes};
use serde_json::Value;

use crate::refresh::{Fixture, TestClock, WORKSPACE, add_signed_in, concurrent_calls, echo};

const CLIENT_ID: &str = "patchbay-machine";
/// Sentinels: they must never show up outside the sealed grant and the token request.
const SECRET: &str = "SNTL-machine-secret-4e1b9a";
const ROTATED: &str = "SNTL-machine-secret-rotated-77c2d0";

/// A throwaway P-256 key made for this test with `openssl genpkey`; it protects nothing.
const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsG2hC163I0Pl8xfD
0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk
woMS+upnbaCWu49U+vJ92Wvp5YIH8NWyfpyIdcsfOVvAF9kTtHRmdZNZ
-----END PRIVATE KEY-----
";
/// A line from inside the key, to look for where it must not be.
const KEY_SENTINEL: &str = "0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk";

/// Sign-in tokens live two minutes (tests move the clock past that); later ones an hour.
pub(crate) fn machine_peer(auth: MachineAuth) -> Behaviour {
    Behaviour {
        machine_client: Some(MachinePeerClient {
            client_id: CLIENT_ID.into(),
            client_secret: SECRET.into(),
            auth,
        }),
        token_lifetime: Some(Duration::from_secs(120)),
        ..Behaviour::default()
    }
}

/// `patchbay connector add` for a machine client whose secret comes on stdin.
pub(crate) fn add_in_cli(
    sandbox: &Sandbox,
    name: &str,
    peer: &OAuthPeer,
    trace: bool,
) -> Result<Run> {
    let url = peer.mcp_url();
    let env: &[(&str, &str)] = if trace { &[("RUST_LOG", "trace")] } else { &[] };
    let run = sandbox.run_with_env(
        &[
            "connector",
            "add",
            "--name",
            name,
            "--url",
            &url,
            "--auth",
            "oauth",
            "--client-credentials",
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ],
        Some(&format!("{SECRET}\n")),
        env,
    )?;
    ensure!(
        run.code == 0 && run.stderr.contains("connected to oauth-peer"),
        "adding a machine connector needs nobody to sign in: {run}"
    );
    Ok(run)
}

/// This test's Patchbay on the sandbox's data dir and keychain (what the desktop app would be).
fn open_beside(sandbox: &Sandbox, clock: Option<&TestClock>) -> Result<Patchbay> {
    let keychain = patchbay_core::keychain::os_keychain(&sandbox.keychain_service);
    let app = Patchbay::open(&sandbox.data_dir(), keychain, &sandbox.keychain_service)?;
    Ok(match clock {
        Some(clock) => app.with_clock(clock.clock()),
        None => app,
    })
}

/// Neither sentinel in any file of the data directory (db, -wal, -shm).
fn nothing_in_clear(sandbox: &Sandbox, sentinels: &[&str]) -> Result<()> {
    let files = sandbox.data_files()?;
    ensure!(!files.is_empty(), "the data directory has files to check");
    for (path, bytes) in files {
        for sentinel in sentinels {
            ensure!(
                !contains_bytes(&bytes, sentinel.as_bytes()),
                "{sentinel} is in clear in {}",
                path.display()
            );
        }
    }
    Ok(())
}

fn issued(peer: &OAuthPeer) -> usize {
    peer.machine_grants()
        .iter()
        .filter(|grant| grant.issued)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_calls_after_expiry_run_the_grant_once_with_nobody_signing_in() -> Result<()> {
    let peer = OAuthPeer::start(machine_peer(MachineAuth::SecretBasic)).await?;
    let sandbox = Sandbox::new()?;
    add_in_cli(&sandbox, "Billing", &peer, false)?;
    let grants = peer.machine_grants();
    ensure!(
        grants.len() == 1
            && grants[0].authenticated == Some(MachineAuth::SecretBasic)
            && grants[0].resource.as_deref() == Some(peer.mcp_url().as_str()),
        "one grant, authenticated with client_secret_basic, naming the resource: {grants:?}"
    );
    peer.set(|behaviour| behaviour.token_lifetime = Some(Duration::from_secs(3600)));

    let clock = TestClock::default();
    let app = open_beside(&sandbox, Some(&clock))?;
    let sessions = vec![
        app.session(WORKSPACE, "Billing").await?,
        app.session(WORKSPACE, "Billing").await?,
    ];
    let calls_before = peer.tool_calls();
    // Expiry as both sides see it: past the client's clock and refused by the server.
    clock.advance(130);
    peer.expire_access_tokens();
    concurrent_calls(&sessions, 12).await?;
    ensure!(
        peer.machine_grants().len() == 2 && issued(&peer) == 2,
        "12 concurrent calls over two sessions must share one new grant: {:?}",
        peer.machine_grants()
    );
    ensure!(
        peer.refresh_requests() == 0,
        "a machine grant has no refresh token: nothing was refreshed"
    );
    ensure!(
        peer.tool_calls() - calls_before == 12,
        "each call went through once ({} calls)",
        peer.tool_calls() - calls_before
    );
    for session in sessions {
        session.close().await;
    }
    drop(app);

    // The new token was committed before use: a restart (and the CLI) use it as it is.
    let call = sandbox.run(
        &[
            "call",
            "Billing",
            "echo",
            "--args",
            r#"{"message": "later"}"#,
        ],
        None,
    )?;
    ensure!(
        call.code == 0 && call.stdout.contains("echo: later"),
        "the CLI uses the committed token: {call}"
    );
    ensure!(
        peer.machine_grants().len() == 2,
        "no grant for a token that is still good"
    );
    nothing_in_clear(&sandbox, &[SECRET])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_says_machine_client_and_the_secret_appears_nowhere() -> Result<()> {
    let peer = OAuthPeer::start(machine_peer(MachineAuth::SecretPost)).await?;
    let sandbox = Sandbox::new()?;
    let mut output = String::new();
    let added = add_in_cli(&sandbox, "Reports", &peer, true)?;
    output.push_str(&format!("{}{}", added.stdout, added.stderr));
    ensure!(
        peer.machine_grants()[0].authenticated == Some(MachineAuth::SecretPost),
        "a server that lists only client_secret_post gets the secret in the body"
    );

    let shown = sandbox.run(&["connector", "show", "Reports", "--json"], None)?;
    ensure!(shown.code == 0, "{shown}");
    let json: Value = serde_json::from_str(&shown.stdout)?;
    let client = &json["oauth_client"];
    ensure!(
        json["auth"] == "oauth"
            && client["machine"] == true
            && client["method"] == "client_credentials"
            && client["authentication"] == "client_secret"
            && client["client_id"] == CLIENT_ID
            && client["issuer"] == peer.base_url(),
        "show --json says it is a machine client: {shown}"
    );
    let human = sandbox.run(&["connector", "show", "Reports"], None)?;
    ensure!(
        human.code == 0
            && human
                .stdout
                .contains("machine client, client-credentials grant")
            && human.stdout.contains("client secret (hidden)"),
        "show says it in words: {human}"
    );
    // A 401 mid-session in another process (the server revoked the token early): the CLI runs
    // the grant again and retries, nobody involved.
    peer.expire_access_tokens();
    let trace = [("RUST_LOG", "trace")];
    let call = sandbox.run_with_env(
        &["call", "Reports", "echo", "--args", r#"{"message": "hi"}"#],
        None,
        &trace,
    )?;
    ensure!(
        call.code == 0 && call.stdout.contains("echo: hi"),
        "the refused token is replaced by a new grant: {call}"
    );
    ensure!(
        issued(&peer) == 2,
        "one new grant: {:?}",
        peer.machine_grants()
    );
    for run in [
        &shown,
        &human,
        &call,
        &sandbox.run_with_env(&["connector", "list", "--json"], None, &trace)?,
        &sandbox.run_with_env(&["connector", "test", "Reports"], None, &trace)?,
    ] {
        output.push_str(&format!("{}{}", run.stdout, run.stderr));
    }
    ensure!(
        output.len() > 10_000,
        "trace logging produced output to search ({} bytes)",
        output.len()
    );
    ensure!(
        !output.contains(SECRET),
        "the client secret appeared in the CLI's output or logs"
    );
    nothing_in_clear(&sandbox, &[SECRET])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_secret_needs_auth_for_that_connector_only_until_a_new_one_is_entered()
-> Result<()> {
    let (peer_a, peer_b) = (
        OAuthPeer::start(machine_peer(MachineAuth::SecretBasic)).await?,
        OAuthPeer::start(machine_peer(MachineAuth::SecretBasic)).await?,
    );
    let sandbox = Sandbox::new()?;
    add_in_cli(&sandbox, "A", &peer_a, false)?;
    add_in_cli(&sandbox, "B", &peer_b, false)?;

    // A's secret is rotated at the provider; both tokens are revoked.
    peer_a.set(|behaviour| {
        if let Some(client) = behaviour.machine_client.as_mut() {
            client.client_secret = ROTATED.into();
        }
    });
    peer_a.expire_access_tokens();
    peer_b.expire_access_tokens();
    let app = open_beside(&sandbox, None)?;
    let a = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        a.stage == Stage::Auth
            && a.status() == ConnectorStatus::NeedsAuth
            && a.detail.contains("invalid_client")
            && a.detail.contains("rotated or revoked")
            && a.remedy == Some(patchbay_core::mcp::Remedy::NewClientCredentials),
        "a refused client secret means entering a new one: {a:?}"
    );
    let b = app.test_connector(WORKSPACE, "B").await?;
    ensure!(
        b.ok && b.status() == ConnectorStatus::Connected && issued(&peer_b) == 2,
        "the other machine connector renews its token and stays connected: {b:?}"
    );
    let again = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        again.status() == ConnectorStatus::NeedsAuth && peer_a.machine_grants().len() == 2,
        "the refused secret is not offered again ({} requests)",
        peer_a.machine_grants().len()
    );
    drop(app);

    // `connector login` with the stored (rotated-away) secret fails and says why.
    let stale = sandbox.run(&["connector", "login", "A"], None)?;
    ensure!(
        stale.code == 1
            && stale
                .stderr
                .contains("rejected the client credentials (invalid_client)"),
        "{stale}"
    );
    let listed = sandbox.run(&["connector", "list", "--json"], None)?;
    let listed: Value = serde_json::from_str(&listed.stdout)?;
    ensure!(
        listed[0]["name"] == "A"
            && listed[0]["status"] == "needs_auth"
            && listed[1]["status"] == "connected",
        "the statuses are recorded per connector: {listed}"
    );
    // The new secret, from stdin.
    let login = sandbox.run(
        &["connector", "login", "A", "--client-secret-stdin"],
        Some(ROTATED),
    )?;
    ensure!(
        login.code == 0 && login.stderr.contains("Signed in to \"A\""),
        "{login}"
    );
    ensure!(
        !format!("{stale}{login}").contains(ROTATED) && !format!("{stale}{login}").contains(SECRET),
        "no secret is printed"
    );
    let call = sandbox.run(
        &["call", "A", "echo", "--args", r#"{"message": "back"}"#],
        None,
    )?;
    ensure!(
        call.code == 0 && call.stdout.contains("echo: back"),
        "{call}"
    );
    nothing_in_clear(&sandbox, &[SECRET, ROTATED])
}

/// A machine connector added through the core API with the in-memory keychain (the CLI paths
/// are the tests above).
async fn add_in_process(app: &Patchbay, peer: &OAuthPeer) -> Result<()> {
    let grant = oauth::client_credentials(
        &url::Url::parse(&peer.mcp_url())?,
        CLIENT_ID,
        &Secret::new(SECRET),
    )
    .await?;
    add_signed_in(app, "M", peer, grant).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_authorization_server_keeps_the_token_and_unauthorized_client_needs_auth()
-> Result<()> {
    let peer = OAuthPeer::start(machine_peer(MachineAuth::SecretBasic)).await?;
    let fixture = Fixture::new()?;
    let clock = TestClock::default();
    let app = fixture.open(Some(&clock))?;
    add_in_process(&app, &peer).await?;
    peer.set(|behaviour| behaviour.token_lifetime = Some(Duration::from_secs(3600)));

    // Within the renewal margin but not expired: the grant fails with a 503, the token is used.
    peer.set(|behaviour| behaviour.machine_answer = MachineAnswer::Status(503));
    clock.advance(90);
    let session = app.session(WORKSPACE, "M").await?;
    ensure!(
        echo(&session, "still good").await? == "echo: still good",
        "an unexpired token is used while the authorization server is down"
    );
    session.close().await;
    ensure!(
        peer.machine_grants().len() >= 2 && issued(&peer) == 1,
        "a renewal was tried and failed: {:?}",
        peer.machine_grants()
    );
    // Expired on both sides while it is down: not a reason to ask anyone for anything.
    clock.advance(60);
    peer.expire_access_tokens();
    let down = app.test_connector(WORKSPACE, "M").await?;
    ensure!(
        !down.ok
            && down.status() != ConnectorStatus::NeedsAuth
            && down.detail.contains("renewing the access token failed"),
        "an unavailable authorization server keeps the credentials: {down:?}"
    );
    peer.set(|behaviour| behaviour.machine_answer = MachineAnswer::Normal);
    let up = app.test_connector(WORKSPACE, "M").await?;
    ensure!(
        up.ok && up.status() == ConnectorStatus::Connected && issued(&peer) == 2,
        "once it is back the same client gets a new token: {up:?}"
    );

    // The provider disables the client.
    peer.set(|behaviour| behaviour.machine_answer = MachineAnswer::Refuse("unauthorized_client"));
    clock.advance(7200);
    peer.expire_access_tokens();
    let refused = app.test_connector(WORKSPACE, "M").await?;
    ensure!(
        refused.stage == Stage::Auth
            && refused.status() == ConnectorStatus::NeedsAuth
            && refused.detail.contains("unauthorized_client"),
        "unauthorized_client needs new credentials: {refused:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_key_jwt_client_renews_with_a_new_assertion_and_its_key_stays_sealed()
-> Result<()> {
    let peer = OAuthPeer::start(machine_peer(MachineAuth::PrivateKeyJwt)).await?;
    let sandbox = Sandbox::new()?;
    let url = peer.mcp_url();
    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Signed",
            "--url",
            &url,
            "--client-credentials",
            "--client-id",
            CLIENT_ID,
            "--private-key-stdin",
            "--signing-algorithm",
            "ES256",
        ],
        Some(PRIVATE_KEY),
    )?;
    ensure!(
        added.code == 0,
        "--client-credentials implies OAuth: {added}"
    );
    let shown = sandbox.run(&["connector", "show", "Signed", "--json"], None)?;
    let json: Value = serde_json::from_str(&shown.stdout)?;
    ensure!(
        json["oauth_client"]["authentication"] == "private_key_jwt",
        "{shown}"
    );
    peer.expire_access_tokens();
    let call = sandbox.run(
        &["call", "Signed", "echo", "--args", r#"{"message": "jwt"}"#],
        None,
    )?;
    ensure!(
        call.code == 0 && call.stdout.contains("echo: jwt"),
        "{call}"
    );
    let grants = peer.machine_grants();
    ensure!(
        grants.len() == 2
            && grants.iter().all(
                |grant| grant.issued && grant.authenticated == Some(MachineAuth::PrivateKeyJwt)
            ),
        "the renewal signed an assertion with the stored key: {grants:?}"
    );
    ensure!(
        !format!("{added}{shown}{call}").contains(KEY_SENTINEL),
        "the key is never printed"
    );
    nothing_in_clear(&sandbox, &[KEY_SENTINEL])
}

/// The desktop app and the CLI are separate processes on one data dir. This test's Patchbay and
/// a `patchbay call` find their token refused at the same instant, while the token endpoint holds
/// each answer back two seconds: the connector's refresh lock makes one wait and use the other's
/// committed grant, so the client is asked once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_renewing_at_once_run_one_grant() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour {
        grant_delay: Some(Duration::from_secs(2)),
        ..machine_peer(MachineAuth::SecretBasic)
    })
    .await?;
    let sandbox = Arc::new(Sandbox::new()?);
    add_in_cli(&sandbox, "Shared", &peer, false)?;
    let app = open_beside(&sandbox, None)?;
    peer.expire_access_tokens();
    let cli = tokio::task::spawn_blocking({
        let sandbox = sandbox.clone();
        move || {
            sandbox.run_with_env(
                &["call", "Shared", "echo", "--args", r#"{"message": "cli"}"#],
                None,
                &[("PATCHBAY_TIMEOUT", "20")],
            )
        }
    });
    let in_process = async {
        let session = app.session(WORKSPACE, "Shared").await?;
        let text = echo(&session, "app").await;
        session.close().await;
        text
    };
    let (cli, in_process) = tokio::join!(cli, in_process);
    let cli = cli??;
    ensure!(cli.code == 0 && cli.stdout.contains("echo: cli"), "{cli}");
    ensure!(in_process? == "echo: app", "the app's call succeeds");
    ensure!(
        peer.machine_grants().len() == 2,
        "two processes at once must run the grant once more, not twice: {:?}",
        peer.machine_grants()
    );
    Ok(())
}

/// A wrong secret is refused when the connector is added (`invalid_client`, named as such), and
/// incomplete or contradictory flags before any request; nothing is saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_when_adding_and_nothing_is_saved() -> Result<()> {
    let peer = OAuthPeer::start(machine_peer(MachineAuth::SecretBasic)).await?;
    let outcome = oauth::machine_grant(
        &url::Url::parse(&peer.mcp_url())?,
        &MachineClient {
            client_id: CLIENT_ID.into(),
            auth: ClientAuth::Secret(Secret::new("not-the-secret")),
            scopes: vec![],
        },
        &Default::default(),
    )
    .await;
    match outcome {
        Err(oauth::OAuthError::ClientRejected(code)) => ensure!(code == "invalid_client"),
        other => anyhow::bail!("a wrong secret must be refused as such: {other:?}"),
    }
    let sandbox = Sandbox::new()?;
    let run = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Wrong",
            "--url",
            &peer.mcp_url(),
            "--client-credentials",
            "--client-id",
            CLIENT_ID,
            "--client-secret-stdin",
        ],
        Some("not-the-secret"),
    )?;
    ensure!(
        run.code == 1 && run.stderr.contains("invalid_client"),
        "the CLI says the credentials were rejected: {run}"
    );
    for (args, words) in [
        (
            vec!["--client-credentials", "--client-secret-stdin"],
            "needs --client-id",
        ),
        (
            vec!["--client-credentials", "--client-id", CLIENT_ID],
            "needs --client-id and its secret",
        ),
        (
            vec![
                "--auth",
                "token",
                "--client-credentials",
                "--client-id",
                CLIENT_ID,
            ],
            "--client-credentials is for OAuth connectors",
        ),
    ] {
        let url = peer.mcp_url();
        let mut full = vec!["connector", "add", "--name", "Bad", "--url", &url];
        full.extend(args);
        let run = sandbox.run(&full, Some(SECRET))?;
        ensure!(
            run.code == 2 && run.stderr.contains(words),
            "bad input is refused before any request: {run}"
        );
    }
    ensure!(
        peer.machine_grants().len() == 2,
        "only the two wrong-secret attempts reached the token endpoint: {:?}",
        peer.machine_grants()
    );
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(list.stdout.trim() == "[]", "nothing saved: {list}");
    Ok(())
}
