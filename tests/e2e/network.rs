//! A connector's proxy and custom CA through the `patchbay` binary, against server-everything
//! behind real middlemen on loopback (tests/src/net_peers.rs): a forward proxy the connector
//! must go through (the proxy records it), one that requires credentials (refused without them,
//! used with them, and the credentials sealed), and TLS with a certificate from a test CA that
//! fails with the TLS stage named until the connector trusts the CA, then passes.

use anyhow::{Result, ensure};
use patchbay_tests::net_peers::{http_proxy, tls_front};
use patchbay_tests::{EverythingMode, Sandbox, contains_bytes, server_everything};

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
