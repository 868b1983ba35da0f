//! Client registrations kept with the grant, against the mock OAuth peer
//! (`patchbay_tests::oauth_peer`: a mock because no authorization server we can run offline has a
//! pre-registered confidential client that must authenticate with `client_secret_basic`, or can
//! move a resource to another authorization server, or forget a registered client on demand).
//! Checklist items 12 and 26. All but the CLI
//! test use the in-memory keychain; the CLI opens the OS keychain.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_core::oauth::{self, ClientChoice, Registration, RegistrationMethod};
use patchbay_core::{ConnectorStatus, Patchbay, Secret};
use patchbay_tests::Sandbox;
use patchbay_tests::oauth_peer::{Behaviour, OAuthPeer};

use crate::oauth::{finish, start_sign_in};
use crate::refresh::{Fixture, WORKSPACE, add_signed_in, echo, headless_browser, sign_in_as};

const CLIENT_ID: &str = "patchbay-preregistered";
/// A sentinel: it must never show up outside the sealed grant.
const CLIENT_SECRET: &str = "SNTL-client-secret-7f3a9c";

fn confidential_peer() -> Behaviour {
    Behaviour {
        confidential_client: Some((CLIENT_ID.into(), CLIENT_SECRET.into())),
        ..Behaviour::default()
    }
}

/// What a person enters under "Advanced".
fn entered_client() -> ClientChoice {
    ClientChoice {
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
        metadata_url: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confidential_clients_refresh_authenticates_with_its_stored_secret() -> Result<()> {
    let peer = OAuthPeer::start(confidential_peer()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add_signed_in(&app, "A", &peer, sign_in_as(&peer, entered_client()).await?).await?;
    ensure!(
        peer.registrations() == 0 && peer.authorize_clients() == [CLIENT_ID],
        "the pre-registered client signs in without registering"
    );
    drop(app);

    // After a restart, the token expires: the refresh must authenticate as the confidential
    // client, which only the stored secret can do.
    let app = fixture.open(None)?;
    peer.expire_access_tokens();
    let check = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        check.ok && check.status() == ConnectorStatus::Connected,
        "the refresh must authenticate with the client secret kept from the sign-in: {check:?}"
    );
    ensure!(
        peer.refresh_clients() == [CLIENT_ID],
        "one refresh, authenticated as the pre-registered client: {:?}",
        peer.refresh_clients()
    );
    let session = app.session(WORKSPACE, "A").await?;
    ensure!(echo(&session, "refreshed").await? == "echo: refreshed");
    session.close().await;
    Ok(())
}

/// Signs in again to `peer` the way `connector login` and Re-authenticate do: no client entered,
/// the connector's stored registration offered.
async fn sign_in_again(
    peer: &OAuthPeer,
    previous: Option<&Registration>,
) -> Result<patchbay_core::oauth::Grant> {
    Ok(oauth::authorize_again(
        &url::Url::parse(&peer.mcp_url())?,
        ClientChoice::default(),
        previous,
        None,
        Duration::from_secs(20),
        &oauth::done_page(None),
        headless_browser,
    )
    .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_reuses_the_pre_registered_client_with_the_same_server() -> Result<()> {
    let peer = OAuthPeer::start(confidential_peer()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add_signed_in(&app, "A", &peer, sign_in_as(&peer, entered_client()).await?).await?;
    let previous = app
        .stored_registration(WORKSPACE, "A")?
        .context("the sign-in's registration is kept with the grant")?;
    ensure!(
        previous
            == Registration {
                client_id: CLIENT_ID.into(),
                client_secret: Some(Secret::new(CLIENT_SECRET)),
                signing_key: None,
                issuer: Some(peer.base_url().to_owned()),
                method: RegistrationMethod::PreRegistered,
                redirect_uri: previous.redirect_uri.clone(),
                scopes: vec![],
            }
            && previous.redirect_uri.starts_with("http://127.0.0.1:"),
        "client id, secret, issuer, method and redirect URI are kept: {previous:?}"
    );
    let listed = serde_json::to_string(&app.list_connectors(WORKSPACE)?)?;
    ensure!(
        !listed.contains(CLIENT_SECRET),
        "no view shows the secret: {listed}"
    );

    // Re-authenticate without typing the client: the exchange succeeds only with its secret.
    let grant = sign_in_again(&peer, Some(&previous)).await?;
    ensure!(
        peer.registrations() == 0 && peer.authorize_clients() == [CLIENT_ID, CLIENT_ID],
        "the stored pre-registered client signed in again, nothing was registered: {:?}",
        peer.authorize_clients()
    );
    let saved = app.sign_in(WORKSPACE, "A", grant).await?;
    ensure!(saved.connector.status == ConnectorStatus::Connected);
    let kept = app
        .stored_registration(WORKSPACE, "A")?
        .context("the new grant has a registration")?;
    ensure!(
        kept == Registration {
            redirect_uri: kept.redirect_uri.clone(),
            ..previous.clone()
        },
        "the new grant keeps the same client (with this sign-in's loopback port): {kept:?}"
    );
    peer.expire_access_tokens();
    let check = app.test_connector(WORKSPACE, "A").await?;
    ensure!(
        check.ok && peer.refresh_clients() == [CLIENT_ID],
        "and its refreshes still authenticate: {check:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_is_never_sent_to_another_authorization_server() -> Result<()> {
    let first = OAuthPeer::start(confidential_peer()).await?;
    // The second authorization server would even accept the first one's client: only the
    // issuer binding keeps the client (and its secret) away from it.
    let second = OAuthPeer::start(confidential_peer()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add_signed_in(
        &app,
        "A",
        &first,
        sign_in_as(&first, entered_client()).await?,
    )
    .await?;
    let previous = app.stored_registration(WORKSPACE, "A")?;

    // The resource now names another authorization server.
    first.set(|behaviour| behaviour.authorization_server = Some(second.base_url().to_owned()));
    let grant = sign_in_again(&first, previous.as_ref()).await?;
    ensure!(
        second.registrations() == 1
            && !second
                .authorize_clients()
                .iter()
                .any(|client| client == CLIENT_ID),
        "the new authorization server gets a fresh registration, never the old client: {:?}",
        second.authorize_clients()
    );
    ensure!(
        second.seen().iter().all(|request| request
            .authorization
            .as_deref()
            .is_none_or(|header| !header.starts_with("Basic"))),
        "the old client's secret never reached the new authorization server"
    );
    ensure!(
        first.authorize_clients() == [CLIENT_ID] && first.registrations() == 0,
        "nothing more happened at the old one"
    );
    let registration = grant
        .registration()?
        .context("the new grant has its registration")?;
    ensure!(
        registration.method == RegistrationMethod::Dynamic
            && registration.issuer.as_deref() == Some(second.base_url())
            && registration.client_secret.is_none(),
        "bound to the new server: {registration:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_credentials_forgets_the_registration_and_nothing_is_stored_in_clear()
-> Result<()> {
    let peer = OAuthPeer::start(confidential_peer()).await?;
    let fixture = Fixture::new()?;
    let app = fixture.open(None)?;
    add_signed_in(&app, "A", &peer, sign_in_as(&peer, entered_client()).await?).await?;
    ensure!(app.stored_registration(WORKSPACE, "A")?.is_some());
    for entry in std::fs::read_dir(fixture.dir.path())? {
        let path = entry?.path();
        if path.is_file() {
            let bytes = std::fs::read(&path)?;
            ensure!(
                !patchbay_tests::contains_bytes(&bytes, CLIENT_SECRET.as_bytes()),
                "the client secret is sealed, never in clear in {}",
                path.display()
            );
        }
    }

    let forgotten = app.forget_credentials(WORKSPACE, "A")?;
    ensure!(forgotten.status == ConnectorStatus::NeedsAuth);
    ensure!(
        app.stored_registration(WORKSPACE, "A")?.is_none(),
        "the registration went with the tokens"
    );
    // The next sign-in starts from registration (this server also offers it).
    let grant = sign_in_again(&peer, None).await?;
    ensure!(
        peer.registrations() == 1,
        "after forgetting, the sign-in registers afresh"
    );
    let saved = app.sign_in(WORKSPACE, "A", grant).await?;
    ensure!(saved.connector.status == ConnectorStatus::Connected);
    Ok(())
}

/// `patchbay connector login` reuses the stored client. The CLI opens the OS keychain, so this
/// one needs the real Secret Service (`cargo xtask test`, or /work/notes/keyring-run.sh).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_login_in_the_cli_reuses_the_stored_client() -> Result<()> {
    let peer = OAuthPeer::start(confidential_peer()).await?;
    let sandbox = Sandbox::new()?;
    let keychain = patchbay_core::keychain::os_keychain(&sandbox.keychain_service);
    let app = Patchbay::open(&sandbox.data_dir(), keychain, &sandbox.keychain_service)?;
    add_signed_in(&app, "A", &peer, sign_in_as(&peer, entered_client()).await?).await?;
    drop(app);

    let (child, sign_in_url, lines) = start_sign_in(&sandbox, &["connector", "login", "A"])?;
    ensure!(
        sign_in_url.contains(&format!("client_id={CLIENT_ID}")),
        "the sign-in URL names the stored client: {sign_in_url}"
    );
    headless_browser(url::Url::parse(&sign_in_url)?)
        .await
        .map_err(anyhow::Error::msg)?;
    let (code, stderr) = finish(child, lines)?;
    ensure!(code == 0, "login must succeed (exit {code}):\n{stderr}");
    ensure!(
        !stderr.contains(CLIENT_SECRET),
        "the secret is never printed:\n{stderr}"
    );
    ensure!(
        peer.registrations() == 0 && peer.authorize_clients() == [CLIENT_ID, CLIENT_ID],
        "no registration, the same client: {:?}",
        peer.authorize_clients()
    );
    Ok(())
}

/// Patchbay's own (dynamic) registration is reused at the same authorization server, with the
/// redirect URI it registered, instead of registering a new client at every sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_reuses_patchbays_dynamic_registration() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour::default()).await?;
    let first = sign_in_again(&peer, None).await?;
    let registration = first
        .registration()?
        .context("the sign-in keeps its registration")?;
    ensure!(
        peer.registrations() == 1 && registration.method == RegistrationMethod::Dynamic,
        "the first sign-in registers: {registration:?}"
    );
    let again = sign_in_again(&peer, Some(&registration)).await?;
    ensure!(
        peer.registrations() == 1
            && peer.authorize_clients()
                == [
                    registration.client_id.clone(),
                    registration.client_id.clone()
                ],
        "no second registration, the same client signs in: {:?}",
        peer.authorize_clients()
    );
    ensure!(
        again.registration()?.as_ref() == Some(&registration),
        "still the dynamic registration, with the same redirect URI: {:?}",
        again.registration()?
    );
    Ok(())
}

/// A server that forgot Patchbay's registration refuses it with an error page (no redirect):
/// that sign-in fails, and the next one registers afresh instead of being refused forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registration_the_server_forgot_is_replaced_at_the_next_sign_in() -> Result<()> {
    let peer = OAuthPeer::start(Behaviour::default()).await?;
    let registration = sign_in_again(&peer, None)
        .await?
        .registration()?
        .context("the sign-in keeps its registration")?;
    peer.forget_registered_clients();
    let refused = sign_in_again(&peer, Some(&registration)).await;
    ensure!(
        refused.is_err() && peer.registrations() == 1,
        "the forgotten client is refused at the sign-in page: {refused:?}"
    );
    let replaced = sign_in_again(&peer, Some(&registration)).await?;
    let new = replaced
        .registration()?
        .context("the new sign-in keeps its registration")?;
    ensure!(
        peer.registrations() == 2
            && new.method == RegistrationMethod::Dynamic
            && new.client_id != registration.client_id,
        "a new client was registered: {new:?}"
    );
    Ok(())
}
