//! A machine connector in the real window, against the mock OAuth peer serving the
//! client-credentials grant (`patchbay_tests::oauth_peer`: a mock because no authorization server
//! we can run offline serves that grant and lets a test rotate the client's secret). Add
//! connector → OAuth → "Machine client (client credentials)": a wrong secret is shown in the
//! form and saves nothing; the right one connects (no browser, a progress line while the token is
//! fetched and the connection tested) and the connector shows Connected with its client in the
//! details. The CLI, on the same data dir and keychain, sees a machine client. Re-authenticate
//! offers Renew now (no browser): it renews with the stored secret, and after the provider
//! rotates the secret, with the new one entered in the dialog.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_tests::Sandbox;
use patchbay_tests::oauth_peer::{Behaviour, MachineAuth, MachinePeerClient, OAuthPeer};
use patchbay_tests::window::{Desktop, SAVE_LIMIT, UI_LIMIT, fresh_screenshots, testid};
use serde_json::Value;

use crate::stored;

const CLIENT_ID: &str = "billing-reporter";
/// Sentinels: never in the page, never in the CLI's output.
const SECRET: &str = "SNTL-window-machine-secret-61d0";
const ROTATED: &str = "SNTL-window-machine-rotated-2b7e";

/// A throwaway P-256 key made for tests with `openssl genpkey` (as in tests/e2e/machine.rs); it
/// protects nothing. This test only types it: the connector uses a secret.
const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsG2hC163I0Pl8xfD
0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk
woMS+upnbaCWu49U+vJ92Wvp5YIH8NWyfpyIdcsfOVvAF9kTtHRmdZNZ
-----END PRIVATE KEY-----";

/// Grants wait this long, so the progress line can be seen (and photographed).
const GRANT_DELAY: Duration = Duration::from_millis(1500);

/// `patchbay connector show NAME --json`.
fn shown(sandbox: &Sandbox, name: &str) -> Result<Value> {
    let run = sandbox.run(&["connector", "show", name, "--json"], None)?;
    ensure!(run.code == 0, "patchbay connector show failed: {run}");
    ensure!(
        !run.stdout.contains(SECRET) && !run.stdout.contains(ROTATED),
        "the CLI never prints the secret: {run}"
    );
    serde_json::from_str(&run.stdout).with_context(|| format!("no JSON from connector show: {run}"))
}

async fn page_html(desktop: &Desktop) -> Result<String> {
    Ok(desktop
        .script("return document.documentElement.outerHTML;", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

fn issued(peer: &OAuthPeer) -> usize {
    peer.machine_grants()
        .iter()
        .filter(|grant| grant.issued)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_and_renew_a_machine_connector() -> Result<()> {
    let label = "machine";
    fresh_screenshots(label)?;
    let peer = OAuthPeer::start(Behaviour {
        machine_client: Some(MachinePeerClient {
            client_id: CLIENT_ID.into(),
            client_secret: SECRET.into(),
            auth: MachineAuth::SecretBasic,
        }),
        grant_delay: Some(GRANT_DELAY),
        ..Behaviour::default()
    })
    .await?;
    let url = peer.mcp_url();
    let sandbox = Sandbox::new()?;
    let desktop = Desktop::launch(&sandbox, label).await?;
    desktop.wait_for_rows(&[], UI_LIMIT).await?;

    // Add connector → OAuth → Machine client.
    desktop.click(&testid("add-connector")).await?;
    desktop.fill(&testid("field-name"), "Billing").await?;
    desktop.fill(&testid("field-url"), &url).await?;
    desktop.choose(&testid("field-auth"), "oauth").await?;
    desktop.screenshot("01-oauth-choice").await?;
    desktop.click(&testid("oauth-mode-machine")).await?;
    desktop
        .fill(&testid("field-machine-client-id"), CLIENT_ID)
        .await?;
    desktop
        .fill(&testid("field-machine-client-secret"), "not-the-secret")
        .await?;
    ensure!(
        desktop
            .attribute(&testid("field-machine-client-secret"), "type")
            .await?
            == "password",
        "the client secret is masked"
    );
    let primary = desktop.text(&testid("save-connector")).await?;
    ensure!(
        primary.contains("Connect") && !primary.contains("Authorize"),
        "a machine client connects, it does not authorize: {primary:?}"
    );
    desktop.screenshot("02-machine-client-form").await?;

    // A private key instead: masked until shown, its algorithm chosen from the key.
    desktop.click(&testid("machine-use-key")).await?;
    desktop.wait_for(&testid("field-private-key")).await?;
    // Pasted, as keys usually are: WebKitWebDriver's typed keys drop the line breaks a PEM needs.
    desktop
        .script(
            "const key = document.querySelector('[data-testid=\"field-private-key\"]'); \
             key.focus(); key.value = arguments[0]; \
             key.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertFromPaste' }));",
            vec![PRIVATE_KEY.into()],
        )
        .await?;
    let masking = desktop
        .script(
            "const key = document.querySelector('[data-testid=\"field-private-key\"]'); \
             return getComputedStyle(key).webkitTextSecurity ?? null;",
            vec![],
        )
        .await?;
    ensure!(
        masking == "disc",
        "the pasted key is drawn as discs until shown: {masking}"
    );
    ensure!(
        desktop.value(&testid("field-signing-algorithm")).await? == "ES256",
        "an EC P-256 key signs with ES256"
    );
    desktop
        .script(
            "document.querySelector('[data-testid=\"field-signing-algorithm\"]')\
             .scrollIntoView({ block: 'end' });",
            vec![],
        )
        .await?;
    desktop.screenshot("02b-private-key").await?;
    // Back to the secret, which is still typed in.
    desktop.click(&testid("machine-use-secret")).await?;
    ensure!(
        desktop
            .value(&testid("field-machine-client-secret"))
            .await?
            == "not-the-secret",
        "switching back keeps what was typed"
    );

    // A wrong secret: the provider says invalid_client; the dialog says so and saves nothing.
    desktop.click(&testid("connect")).await?;
    let error = desktop
        .wait_for_text(
            &testid("dialog-error"),
            "rejected the client credentials",
            SAVE_LIMIT,
        )
        .await?;
    ensure!(
        error.contains("Couldn’t get a token"),
        "the failure is named: {error}"
    );
    ensure!(
        stored(&sandbox)?.is_empty(),
        "a rejected client saves nothing"
    );
    desktop.screenshot("03-rejected-secret").await?;

    // The right secret: progress while the grant and the connection test run, then Connected.
    desktop
        .fill(&testid("field-machine-client-secret"), SECRET)
        .await?;
    desktop.click(&testid("connect")).await?;
    desktop
        .wait_for_text(
            "[data-testid=\"connector-dialog\"] [role=\"status\"]",
            "Getting a token and testing the connection",
            UI_LIMIT,
        )
        .await?;
    ensure!(
        desktop
            .text(&testid("save-connector"))
            .await?
            .contains("Connecting"),
        "the button says it is working"
    );
    desktop.screenshot("04-connecting").await?;
    desktop
        .wait_gone(&testid("connector-dialog"), SAVE_LIMIT)
        .await?;
    desktop.wait_for_rows(&["Billing"], UI_LIMIT).await?;
    desktop
        .wait_for_status("Billing", "connected", UI_LIMIT)
        .await?;
    desktop.wait_for_toast("Connected to oauth-peer").await?;
    desktop.screenshot("05-connected").await?;
    ensure!(
        peer.machine_grants()
            .iter()
            .any(|grant| grant.authenticated == Some(MachineAuth::SecretBasic) && grant.issued),
        "the token came from the client-credentials grant with HTTP Basic, as advertised: {:?}",
        peer.machine_grants()
    );

    // The details show the client.
    desktop
        .click(&Desktop::in_row("Billing", "expand-connector"))
        .await?;
    let client = desktop
        .wait_for_text(
            &Desktop::in_row("Billing", "oauth-client"),
            "Machine client (client credentials)",
            UI_LIMIT,
        )
        .await?;
    ensure!(
        client.contains(CLIENT_ID) && client.contains("client secret, stored encrypted"),
        "the details say which client and how it authenticates: {client}"
    );
    let issuer = desktop
        .text(&Desktop::in_row("Billing", "oauth-issuer"))
        .await?;
    ensure!(issuer == peer.base_url(), "the issuer is shown: {issuer}");
    desktop.screenshot("06-details").await?;

    // The CLI sees a machine client.
    let saved = shown(&sandbox, "Billing")?;
    ensure!(
        saved["auth"] == "oauth"
            && saved["status"] == "connected"
            && saved["oauth_client"]["client_id"] == CLIENT_ID
            && saved["oauth_client"]["method"] == "client_credentials"
            && saved["oauth_client"]["machine"] == true
            && saved["oauth_client"]["authentication"] == "client_secret"
            && saved["oauth_client"]["issuer"] == peer.base_url(),
        "saved as a machine client: {saved}"
    );
    let html = page_html(&desktop).await?;
    ensure!(
        !html.contains(SECRET),
        "the secret never comes back to the page"
    );

    // Re-authenticate: Renew now, with the stored secret; no browser.
    let before = issued(&peer);
    desktop
        .click(&Desktop::in_row("Billing", "reauthorize-connector"))
        .await?;
    let lede = desktop
        .wait_for_text(&testid("machine-renewal"), "machine connector", UI_LIMIT)
        .await?;
    ensure!(
        lede.contains(CLIENT_ID),
        "the dialog says which client: {lede}"
    );
    ensure!(
        desktop
            .script(
                "return document.querySelector('[data-testid=\"authorize-waiting\"]') === null;",
                vec![]
            )
            .await?
            == Value::Bool(true),
        "no browser waiting state for a machine client"
    );
    desktop.screenshot("07-renew-dialog").await?;
    desktop.click(&testid("renew-now")).await?;
    desktop
        .wait_gone(&testid("reauthorize-dialog"), SAVE_LIMIT)
        .await?;
    desktop.wait_for_toast("Connected to oauth-peer").await?;
    ensure!(
        issued(&peer) == before + 1,
        "Renew now ran the grant once with the stored secret"
    );

    // The toast would cover the next dialog's buttons in the screenshots: dismiss it, as a person
    // would.
    desktop
        .click("[data-testid=\"toast\"] [aria-label=\"Dismiss notification\"]")
        .await?;
    desktop.wait_gone(&testid("toast"), UI_LIMIT).await?;

    // The provider rotates the secret: the stored one is refused; the new one entered works.
    peer.set(|behaviour| {
        if let Some(client) = behaviour.machine_client.as_mut() {
            client.client_secret = ROTATED.into();
        }
    });
    desktop
        .click(&Desktop::in_row("Billing", "reauthorize-connector"))
        .await?;
    desktop.click(&testid("renew-now")).await?;
    desktop
        .wait_for_text(
            &testid("dialog-error"),
            "rejected the client credentials",
            SAVE_LIMIT,
        )
        .await?;
    ensure!(
        desktop
            .attribute(&testid("toggle-new-credentials"), "aria-expanded")
            .await?
            == "true",
        "after a rejection the new-secret fields are open"
    );
    desktop
        .fill(&testid("field-machine-client-secret"), ROTATED)
        .await?;
    desktop.screenshot("08-renew-with-new-secret").await?;
    desktop.click(&testid("renew-now")).await?;
    desktop
        .wait_gone(&testid("reauthorize-dialog"), SAVE_LIMIT)
        .await?;
    desktop
        .wait_for_status("Billing", "connected", UI_LIMIT)
        .await?;
    desktop.screenshot("09-renewed").await?;
    let renewed = shown(&sandbox, "Billing")?;
    ensure!(
        renewed["status"] == "connected" && renewed["oauth_client"]["machine"] == true,
        "still a machine client, connected: {renewed}"
    );
    // The CLI now renews with the new secret it finds stored (no stdin).
    let login = sandbox.run(&["connector", "login", "Billing"], None)?;
    ensure!(
        login.code == 0,
        "the rotated secret was stored in place of the old one: {login}"
    );
    ensure!(!page_html(&desktop).await?.contains(ROTATED));

    desktop.quit().await
}
