//! A connector's proxy and custom CA through the `patchbay` binary, against server-everything
//! behind real middlemen on loopback (tests/src/net_peers.rs): a forward proxy the connector
//! must go through (the proxy records it), one that requires credentials (refused without them,
//! used with them, and the credentials sealed), and TLS with a certificate from a test CA that
//! fails with the TLS stage named until the connector trusts the CA, then passes. OAuth goes
//! the same way: a browser sign-in against the TypeScript SDK's demo authorization server, and
//! a machine client's grant and its renewal against the mock OAuth peer, through the app's
//! guarded proxy.

use anyhow::{Result, ensure};
use patchbay_tests::net_peers::{http_proxy, tls_front};
use patchbay_tests::{
    EverythingMode, Sandbox, contains_bytes, oauth_demo_server, server_everything,
};

#[test]
fn a_connector_goes_through_its_proxy_with_sealed_credentials() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let runtime = tokio::runtime::Runtime::new()?;
    let open_proxy = runtime.block_on(http_proxy(None))?;
    let guarded = runtime.block_on(http_proxy(Some(("alice", "proxy-pass-77"))))?;
    let sandbox = Sandbox::new()?;

    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "via-proxy",
            "--url",
            &url,
            "--proxy",
            &open_proxy.url,
        ],
        None,
    )?;
    ensure!(added.code == 0, "{added}");
    ensure!(
        open_proxy
            .forwarded()
            .iter()
            .any(|request| request.starts_with("POST ") && request.contains("/mcp")),
        "the connector's requests went through the proxy: {:?}",
        open_proxy.forwarded()
    );
    let tools = sandbox.run(&["tools", "via-proxy"], None)?;
    ensure!(tools.code == 0, "{tools}");

    // Without credentials the guarded proxy refuses; the diagnosis names the proxy.
    let refused = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "guarded",
            "--url",
            &url,
            "--proxy",
            &guarded.url,
        ],
        None,
    )?;
    ensure!(
        refused.code == 1
            && refused.stderr.contains(&format!(
                "network: through this connector's proxy {}",
                guarded.url
            )),
        "{refused}"
    );
    ensure!(
        guarded.refused() > 0 && guarded.forwarded().is_empty(),
        "refused"
    );

    // With them (from stdin), it passes; the credentials are sealed.
    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "guarded",
            "--url",
            &url,
            "--proxy",
            &guarded.url,
            "--proxy-credentials-stdin",
        ],
        Some("alice:proxy-pass-77\n"),
    )?;
    ensure!(added.code == 0, "{added}");
    ensure!(
        !guarded.forwarded().is_empty(),
        "went through the guarded proxy"
    );
    let shown = sandbox.run(&["connector", "show", "guarded"], None)?;
    ensure!(
        shown.stdout.contains("with its stored credentials")
            && !shown.stdout.contains("proxy-pass-77"),
        "{shown}"
    );
    for (path, bytes) in sandbox.data_files()? {
        ensure!(
            !contains_bytes(&bytes, b"proxy-pass-77"),
            "proxy password in clear in {}",
            path.display()
        );
    }

    // Credentials in the proxy URL on the command line are refused (argv is visible).
    let in_argv = sandbox.run(
        &[
            "connector",
            "edit",
            "guarded",
            "--proxy",
            "http://alice:proxy-pass-77@127.0.0.1:9",
        ],
        None,
    )?;
    ensure!(
        in_argv.code == 2 && in_argv.stderr.contains("--proxy-credentials-stdin"),
        "{in_argv}"
    );

    // Switching to no proxy: straight to the server, the sealed credentials deleted.
    let before = guarded.forwarded().len();
    let direct = sandbox.run(&["connector", "edit", "guarded", "--proxy", "none"], None)?;
    ensure!(direct.code == 0, "{direct}");
    let tools = sandbox.run(&["tools", "guarded"], None)?;
    ensure!(tools.code == 0, "{tools}");
    ensure!(
        guarded.forwarded().len() == before,
        "no longer through the proxy"
    );
    let shown = sandbox.run(&["connector", "show", "guarded", "--json"], None)?;
    ensure!(
        shown.stdout.contains("\"direct\"") && !shown.stdout.contains("proxy_credentials_set"),
        "{shown}"
    );
    Ok(())
}

#[test]
fn a_server_signed_by_a_private_ca_fails_at_tls_until_the_connector_trusts_the_ca() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let front = runtime.block_on(tls_front(peer.port))?;
    let url = format!("{}/mcp", front.base_url);
    let sandbox = Sandbox::new()?;

    let untrusted = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "private",
            "--url",
            &url,
            "--proxy",
            "none",
        ],
        None,
    )?;
    ensure!(
        untrusted.code == 1
            && untrusted.stderr.contains("stage: TLS")
            && untrusted.stderr.contains("add that CA's certificate"),
        "the TLS stage named, and the CA setting offered: {untrusted}"
    );

    let ca = sandbox.dir.path().join("test-ca.pem");
    std::fs::write(&ca, &front.ca_pem)?;
    let ca_path = ca.to_str().unwrap_or_default();
    let trusted = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "private",
            "--url",
            &url,
            "--ca-file",
            ca_path,
        ],
        None,
    )?;
    ensure!(
        trusted.code == 0 && trusted.stderr.contains("connected to"),
        "{trusted}"
    );
    let shown = sandbox.run(&["connector", "show", "private"], None)?;
    ensure!(
        shown.stdout.contains("trusting 1 extra CA certificate"),
        "{shown}"
    );

    // The CA is this connector's only: another connector to the same server still fails.
    let other = sandbox.run(
        &["connector", "add", "--name", "other", "--url", &url],
        None,
    )?;
    ensure!(
        other.code == 1 && other.stderr.contains("stage: TLS"),
        "{other}"
    );

    // A file that is not a certificate: exit 2, nothing saved.
    let bogus = sandbox.dir.path().join("bogus.pem");
    std::fs::write(&bogus, "hello")?;
    let bad = sandbox.run(
        &[
            "connector",
            "edit",
            "private",
            "--ca-file",
            bogus.to_str().unwrap_or_default(),
        ],
        None,
    )?;
    ensure!(
        bad.code == 2 && bad.stderr.contains("no PEM certificate"),
        "{bad}"
    );
    Ok(())
}

#[test]
fn a_credential_in_the_urls_query_is_sealed_masked_and_can_move_into_a_header() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = format!(
        "{}?api_key=q-secret-31&region=eu",
        peer.everything_url(EverythingMode::StreamableHttp)
    );
    let sandbox = Sandbox::new()?;
    let added = sandbox.run(
        &["connector", "add", "--name", "keyed", "--url", &url],
        None,
    )?;
    ensure!(
        added.code == 0
            && added.stderr.contains("carries api_key in its query")
            && added
                .stderr
                .contains("patchbay connector edit keyed --query-to-header api_key:HEADER")
            && !added.stderr.contains("q-secret-31"),
        "{added}"
    );
    let shown = sandbox.run(&["connector", "show", "keyed"], None)?;
    ensure!(
        shown.stdout.contains("api_key=****") && !shown.stdout.contains("q-secret-31"),
        "{shown}"
    );

    let moved = sandbox.run(
        &[
            "connector",
            "edit",
            "keyed",
            "--query-to-header",
            "api_key:X-API-Key",
        ],
        None,
    )?;
    ensure!(
        moved.code == 0 && moved.stderr.contains("connected"),
        "{moved}"
    );
    let shown = sandbox.run(&["connector", "show", "keyed", "--json"], None)?;
    let value: serde_json::Value = serde_json::from_str(&shown.stdout)?;
    ensure!(
        value["url"]
            == format!(
                "{}?region=eu",
                peer.everything_url(EverythingMode::StreamableHttp)
            )
            && value["header_names"] == serde_json::json!(["X-API-Key"]),
        "the URL without the key, the key a header: {shown}"
    );
    let exported = sandbox.run(&["export", "--format", "cursor", "--include-secrets"], None)?;
    ensure!(
        exported.stdout.contains("\"X-API-Key\": \"q-secret-31\"")
            && !exported.stdout.contains("api_key="),
        "the value moved whole: {exported}"
    );
    for (path, bytes) in sandbox.data_files()? {
        ensure!(
            !contains_bytes(&bytes, b"q-secret-31"),
            "the key in clear in {}",
            path.display()
        );
    }
    let missing = sandbox.run(
        &[
            "connector",
            "edit",
            "keyed",
            "--query-to-header",
            "api_key:X-API-Key",
        ],
        None,
    )?;
    ensure!(
        missing.code == 2 && missing.stderr.contains("no query parameter \"api_key\""),
        "{missing}"
    );
    Ok(())
}

#[test]
fn the_apps_proxy_and_ca_serve_connectors_without_their_own() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let runtime = tokio::runtime::Runtime::new()?;
    let guarded = runtime.block_on(http_proxy(Some(("bob", "app-proxy-pw-52"))))?;
    let front = runtime.block_on(tls_front(peer.port))?;
    let sandbox = Sandbox::new()?;

    let set = sandbox.run(&["settings", "set", "proxy", &guarded.url], None)?;
    ensure!(set.code == 0, "{set}");
    let refused = sandbox.run(
        &["connector", "add", "--name", "early", "--url", &url],
        None,
    )?;
    ensure!(
        refused.code == 1
            && refused
                .stderr
                .contains(&format!("network: through the app's proxy {}", guarded.url)),
        "without its credentials the app's proxy refuses, and the diagnosis says whose: {refused}"
    );
    let in_argv = sandbox.run(&["settings", "set", "proxy-credentials", "bob:x"], None)?;
    ensure!(in_argv.code == 2, "credentials never from argv: {in_argv}");
    let creds = sandbox.run(
        &["settings", "set", "proxy-credentials", "-"],
        Some("bob:app-proxy-pw-52\n"),
    )?;
    ensure!(
        creds.code == 0 && creds.stdout.contains("(with stored credentials)"),
        "{creds}"
    );

    let added = sandbox.run(
        &["connector", "add", "--name", "via-app", "--url", &url],
        None,
    )?;
    ensure!(added.code == 0, "{added}");
    let through = guarded.forwarded().len();
    ensure!(through > 0, "went through the app's proxy");
    // A connector's own setting wins: straight to the server.
    let direct = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "direct",
            "--url",
            &url,
            "--proxy",
            "none",
        ],
        None,
    )?;
    ensure!(direct.code == 0, "{direct}");
    ensure!(
        guarded.forwarded().len() == through,
        "not through the app's proxy"
    );
    for (path, bytes) in sandbox.data_files()? {
        ensure!(
            !contains_bytes(&bytes, b"app-proxy-pw-52"),
            "the app proxy's password in clear in {}",
            path.display()
        );
    }

    // Another proxy setting drops the stored credentials.
    let none = sandbox.run(&["settings", "set", "proxy", "none"], None)?;
    ensure!(
        none.code == 0 && none.stdout.contains("proxy             none\n"),
        "{none}"
    );

    // The app's CA: a server signed by it passes for every connector.
    let https = format!("{}/mcp", front.base_url);
    let untrusted = sandbox.run(
        &["connector", "add", "--name", "private", "--url", &https],
        None,
    )?;
    ensure!(
        untrusted.code == 1 && untrusted.stderr.contains("stage: TLS"),
        "{untrusted}"
    );
    let ca = sandbox.dir.path().join("app-ca.pem");
    std::fs::write(&ca, &front.ca_pem)?;
    let set = sandbox.run(
        &[
            "settings",
            "set",
            "ca-file",
            ca.to_str().unwrap_or_default(),
        ],
        None,
    )?;
    ensure!(
        set.code == 0 && set.stdout.contains("1 extra CA certificate"),
        "{set}"
    );
    let trusted = sandbox.run(
        &["connector", "add", "--name", "private", "--url", &https],
        None,
    )?;
    ensure!(trusted.code == 0, "{trusted}");
    let bogus = sandbox.dir.path().join("bogus.pem");
    std::fs::write(&bogus, "hello")?;
    let bad = sandbox.run(
        &[
            "settings",
            "set",
            "ca-file",
            bogus.to_str().unwrap_or_default(),
        ],
        None,
    )?;
    ensure!(
        bad.code == 2 && bad.stderr.contains("no PEM certificate"),
        "{bad}"
    );
    Ok(())
}

/// Sets the app's proxy to `proxy` with `user:password` (sealed, from stdin).
fn app_proxy(sandbox: &Sandbox, proxy: &str, credentials: &str) -> Result<()> {
    let set = sandbox.run(&["settings", "set", "proxy", proxy], None)?;
    ensure!(set.code == 0, "{set}");
    let creds = sandbox.run(
        &["settings", "set", "proxy-credentials", "-"],
        Some(&format!("{credentials}\n")),
    )?;
    ensure!(creds.code == 0, "{creds}");
    Ok(())
}

/// A browser sign-in goes the connector's way too: discovery, dynamic registration and the
/// token request go through the app's proxy with its sealed credentials, not around it (they
/// used to go straight out, so a sign-in behind a proxy that the MCP requests needed failed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_sign_in_goes_through_the_apps_proxy() -> Result<()> {
    let (peer, auth_port) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", peer.port);
    let guarded = http_proxy(Some(("carol", "signin-proxy-pw-19"))).await?;
    let sandbox = Sandbox::new()?;
    app_proxy(&sandbox, &guarded.url, "carol:signin-proxy-pw-19")?;

    let (child, sign_in_url, lines) = crate::oauth::start_sign_in(
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
    // The browser is the person's: it goes straight to the authorization server.
    let redirect = crate::oauth::authorization_redirect(&sign_in_url).await?;
    let page = reqwest::get(redirect.as_str()).await?;
    ensure!(page.status() == 200, "the loopback listener took the code");
    let (code, stderr) = crate::oauth::finish(child, lines)?;
    ensure!(code == 0 && stderr.contains("Added \"Demo\""), "{stderr}");

    let forwarded = guarded.forwarded();
    let authorization_server = format!("localhost:{auth_port}/");
    let went = |method: &str, path: &str| {
        forwarded.iter().any(|request| {
            request.starts_with(method)
                && request.contains(&authorization_server)
                && request.contains(path)
        })
    };
    ensure!(
        forwarded
            .iter()
            .any(|request| request.contains("/.well-known/oauth-protected-resource")),
        "resource metadata discovery went through the proxy: {forwarded:?}"
    );
    ensure!(
        went("GET", "/.well-known/oauth-authorization-server")
            && went("POST", "/register")
            && went("POST", "/token"),
        "authorization server metadata, registration and the code exchange went through the \
         proxy: {forwarded:?}"
    );
    ensure!(
        guarded.refused() == 0,
        "every request carried the proxy's credentials"
    );
    let tools = sandbox.run(&["tools", "Demo"], None)?;
    ensure!(tools.code == 0 && tools.stdout.contains("greet"), "{tools}");
    Ok(())
}

/// A machine client's grant, and its renewal when the server refuses the token, go through the
/// app's proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_machine_clients_grant_and_renewal_go_through_the_apps_proxy() -> Result<()> {
    use patchbay_tests::oauth_peer::{MachineAuth, OAuthPeer};
    let peer = OAuthPeer::start(crate::machine::machine_peer(MachineAuth::SecretBasic)).await?;
    let guarded = http_proxy(Some(("dave", "machine-proxy-pw-64"))).await?;
    let sandbox = Sandbox::new()?;
    app_proxy(&sandbox, &guarded.url, "dave:machine-proxy-pw-64")?;

    crate::machine::add_in_cli(&sandbox, "Billing", &peer, false)?;
    let token_requests = || {
        guarded
            .forwarded()
            .iter()
            .filter(|request| request.starts_with("POST") && request.contains("/token"))
            .count()
    };
    ensure!(
        token_requests() == 1 && peer.machine_grants().len() == 1,
        "the grant went through the proxy: {:?}",
        guarded.forwarded()
    );
    peer.expire_access_tokens();
    let tools = sandbox.run(&["tools", "Billing"], None)?;
    ensure!(tools.code == 0, "{tools}");
    ensure!(
        peer.machine_grants().len() == 2 && token_requests() == 2,
        "the renewal went through the proxy too: {:?}",
        guarded.forwarded()
    );
    Ok(())
}

/// "The system's proxy" on a GNOME-family desktop is the desktop's own setting too, read with
/// the real `gsettings` tool (GSettings' keyfile backend in a private config directory stands
/// in for dconf, whose service would write the person's real settings): a manual HTTP proxy is
/// used and named by the diagnosis, its ignored hosts bypass it, and the environment's proxy
/// variables win over it.
#[test]
fn on_gnome_the_system_proxy_is_the_desktops_setting() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let runtime = tokio::runtime::Runtime::new()?;
    let proxy = runtime.block_on(http_proxy(None))?;
    let port = proxy.url.rsplit(':').next().unwrap_or_default().to_owned();
    let sandbox = Sandbox::new()?;
    let config = tempfile::tempdir()?;
    let config_home = config.path().to_string_lossy().into_owned();
    let desktop: [(&str, &str); 5] = [
        ("XDG_CONFIG_HOME", &config_home),
        ("GSETTINGS_BACKEND", "keyfile"),
        ("XDG_CURRENT_DESKTOP", "ubuntu:GNOME"),
        ("HTTP_PROXY", ""),
        ("http_proxy", ""),
    ];
    let gsettings = |args: &[&str]| -> Result<()> {
        let status = std::process::Command::new("gsettings")
            .args(args)
            .envs(desktop[..3].iter().copied())
            .status()?;
        ensure!(status.success(), "gsettings {args:?}");
        Ok(())
    };
    gsettings(&["set", "org.gnome.system.proxy", "mode", "manual"])?;
    gsettings(&["set", "org.gnome.system.proxy.http", "host", "127.0.0.1"])?;
    gsettings(&["set", "org.gnome.system.proxy.http", "port", &port])?;
    // GNOME ignores localhost and 127.0.0.0/8 by default; this test's server is there.
    gsettings(&["set", "org.gnome.system.proxy", "ignore-hosts", "[]"])?;

    let added = sandbox.run_with_env(
        &["connector", "add", "--name", "desk", "--url", &url],
        None,
        &desktop,
    )?;
    ensure!(added.code == 0, "{added}");
    let through = proxy.forwarded().len();
    ensure!(through > 0, "went through the desktop's proxy");
    let tested = sandbox.run_with_env(&["connector", "test", "desk"], None, &desktop)?;
    ensure!(
        tested.code == 0
            && tested.stdout.contains(&format!(
                "through the desktop's proxy http://127.0.0.1:{port} (its settings)"
            )),
        "the diagnosis names the desktop's proxy: {tested}"
    );

    // Elsewhere than a GNOME-family desktop the setting is not the system's.
    let other = [("XDG_CURRENT_DESKTOP", "KDE"), desktop[0], desktop[1]];
    let before = proxy.forwarded().len();
    let kde = sandbox.run_with_env(&["connector", "test", "desk"], None, &other)?;
    ensure!(
        kde.code == 0 && proxy.forwarded().len() == before,
        "not through the GNOME proxy on KDE: {kde}"
    );

    // An ignored host goes straight to the server.
    gsettings(&[
        "set",
        "org.gnome.system.proxy",
        "ignore-hosts",
        "['127.0.0.1']",
    ])?;
    let before = proxy.forwarded().len();
    let ignored = sandbox.run_with_env(&["connector", "test", "desk"], None, &desktop)?;
    ensure!(
        ignored.code == 0 && proxy.forwarded().len() == before,
        "an ignored host bypasses the desktop's proxy: {ignored}"
    );

    // The environment's proxy wins over the desktop's: a dead one fails the test.
    gsettings(&["set", "org.gnome.system.proxy", "ignore-hosts", "[]"])?;
    let mut env_wins = desktop;
    env_wins[3] = ("HTTP_PROXY", "http://127.0.0.1:9");
    let before = proxy.forwarded().len();
    let dead = sandbox.run_with_env(&["connector", "test", "desk"], None, &env_wins)?;
    ensure!(
        dead.code != 0
            && dead
                .stderr
                .contains("through the system proxy http://127.0.0.1:9")
            && proxy.forwarded().len() == before,
        "the environment's proxy is used, not the desktop's: {dead}"
    );

    // `auto` (a PAC script) is said to be not followed.
    gsettings(&["set", "org.gnome.system.proxy", "mode", "auto"])?;
    let auto = sandbox.run_with_env(&["connector", "test", "desk"], None, &desktop)?;
    ensure!(
        auto.code == 0
            && auto
                .stdout
                .contains("automatic proxy configuration (PAC) is not followed"),
        "{auto}"
    );
    Ok(())
}
