//! What stays secret: no plaintext in the data directory or the logs (even at trace level),
//! tampered or moved ciphertexts fail alone, a missing keychain or master key is named, and a
//! missing keychain never leads to plaintext or half-written rows.

use anyhow::{Result, ensure};
use patchbay_core::store::Store;
use patchbay_tests::{EverythingMode, Sandbox, contains_bytes, server_everything};

const TOKEN_SENTINEL: &str = "SENTINEL-token-7f3a9c1e";
const HEADER_SENTINEL: &str = "SENTINEL-header-b52d04aa";

#[test]
fn no_plaintext_in_data_dir_or_logs() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let header = format!("X-Api-Key: {HEADER_SENTINEL}");
    let trace = [("RUST_LOG", "trace")];
    let mut logs = String::new();
    let add = sandbox.run_with_env(
        &[
            "connector",
            "add",
            "--name",
            "Secretive",
            "--url",
            &url,
            "--header",
            &header,
            "--token-stdin",
        ],
        Some(&format!("{TOKEN_SENTINEL}\n")),
        &trace,
    )?;
    ensure!(add.code == 0, "{add}");
    ensure!(add.stderr.contains("connected to"), "{add}");
    logs.push_str(&add.stderr);
    let shown = sandbox.run(&["connector", "show", "Secretive", "--json"], None)?;
    ensure!(
        shown.stdout.contains("\"token_set\": true"),
        "the token must really be stored: {shown}"
    );
    for args in [
        vec!["connector", "test", "Secretive"],
        vec!["connector", "show", "Secretive", "--json"],
        vec!["connector", "list", "--json"],
        vec!["tools", "Secretive"],
        vec!["call", "Secretive", "echo", "--args", r#"{"message":"x"}"#],
    ] {
        let run = sandbox.run_with_env(&args, None, &trace)?;
        ensure!(run.code == 0, "{run}");
        logs.push_str(&run.stdout);
        logs.push_str(&run.stderr);
    }
    ensure!(
        logs.len() > 10_000,
        "trace logging must actually have produced output ({} bytes)",
        logs.len()
    );
    for sentinel in [TOKEN_SENTINEL, HEADER_SENTINEL] {
        ensure!(
            !logs.contains(sentinel),
            "{sentinel} appeared in output or logs"
        );
        let files = sandbox.data_files()?;
        ensure!(!files.is_empty());
        for (path, bytes) in files {
            ensure!(
                !contains_bytes(&bytes, sentinel.as_bytes()),
                "{sentinel} found in {}",
                path.display()
            );
        }
    }
    Ok(())
}

fn ciphertext(store: &Store, connector: &str) -> Result<(String, Vec<u8>)> {
    let (id, blob): (String, Vec<u8>) = store.connection().query_row(
        "SELECT c.id, s.ciphertext FROM connectors c JOIN secrets s ON s.owner_id = c.id
         WHERE c.name = ?1 AND s.field = 'token'",
        [connector],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok((id, blob))
}

#[test]
fn tampered_or_moved_ciphertexts_fail_alone() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    for name in ["Alpha", "Beta", "Gamma"] {
        let run = sandbox.run(
            &[
                "connector",
                "add",
                "--name",
                name,
                "--url",
                &url,
                "--token-stdin",
            ],
            Some(&format!("token-of-{name}")),
        )?;
        ensure!(run.code == 0, "{run}");
    }
    let store = Store::open(
        &sandbox.data_dir().join("patchbay.db"),
        "2026-01-01T00:00:00Z",
    )?;
    let (alpha_id, alpha) = ciphertext(&store, "Alpha")?;
    let (beta_id, _) = ciphertext(&store, "Beta")?;
    // Flip one bit of Alpha's token; move Alpha's (original) ciphertext onto Beta.
    let mut flipped = alpha.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    store.connection().execute(
        "UPDATE secrets SET ciphertext = ?2 WHERE owner_id = ?1",
        (&alpha_id, &flipped),
    )?;
    store.connection().execute(
        "UPDATE secrets SET ciphertext = ?2 WHERE owner_id = ?1",
        (&beta_id, &alpha),
    )?;
    drop(store);

    for name in ["Alpha", "Beta"] {
        let run = sandbox.run(&["connector", "test", name], None)?;
        ensure!(run.code == 1, "{name} must fail: {run}");
        ensure!(
            run.stderr.contains("cannot decrypt the stored token")
                && run.stderr.contains("damaged"),
            "{run}"
        );
    }
    let gamma = sandbox.run(&["connector", "test", "Gamma"], None)?;
    ensure!(
        gamma.code == 0,
        "the untouched connector keeps working: {gamma}"
    );
    let list = sandbox.run(&["connector", "list"], None)?;
    ensure!(list.code == 0, "listing never needs decryption: {list}");

    let store = Store::open(
        &sandbox.data_dir().join("patchbay.db"),
        "2026-01-01T00:00:00Z",
    )?;
    store.connection().execute(
        "UPDATE secrets SET ciphertext = ?2 WHERE owner_id = ?1",
        (&alpha_id, &alpha[..10]),
    )?;
    drop(store);
    let truncated = sandbox.run(&["connector", "test", "Alpha"], None)?;
    ensure!(
        truncated.code == 1 && truncated.stderr.contains("truncated"),
        "{truncated}"
    );
    Ok(())
}

#[test]
fn lost_master_key_is_detected_not_replaced() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Kept",
            "--url",
            &url,
            "--token-stdin",
        ],
        Some("tok"),
    )?;
    ensure!(add.code == 0, "{add}");
    let keychain = patchbay_core::keychain::os_keychain(&sandbox.keychain_service);
    keychain.delete("master-key")?;

    let test = sandbox.run(&["connector", "test", "Kept"], None)?;
    ensure!(
        test.code == 1 && test.stderr.contains("master key is missing"),
        "{test}"
    );
    ensure!(
        keychain.get("master-key")?.is_none(),
        "a new key must not be created silently"
    );
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "New",
            "--url",
            &url,
            "--token-stdin",
        ],
        Some("tok"),
    )?;
    ensure!(
        add.code == 1 && add.stderr.contains("master key is missing"),
        "{add}"
    );

    keychain.set("master-key", &[9u8; 32])?;
    let test = sandbox.run(&["connector", "test", "Kept"], None)?;
    ensure!(
        test.code == 1 && test.stderr.contains("does not match"),
        "{test}"
    );
    Ok(())
}

#[test]
fn keychain_unavailable_changes_nothing() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let no_bus = [(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/patchbay-test-bus",
    )];
    let add = sandbox.run_with_env(
        &[
            "connector",
            "add",
            "--name",
            "T",
            "--url",
            &url,
            "--token-stdin",
        ],
        Some("tok"),
        &no_bus,
    )?;
    ensure!(add.code == 1, "{add}");
    ensure!(
        add.stderr.contains("secure storage unavailable")
            && add.stderr.contains("dbus-run-session"),
        "{add}"
    );
    let list = sandbox.run_with_env(&["connector", "list", "--json"], None, &no_bus)?;
    ensure!(
        list.code == 0 && list.stdout.trim() == "[]",
        "nothing saved, listing still works: {list}"
    );
    let store = Store::open(
        &sandbox.data_dir().join("patchbay.db"),
        "2026-01-01T00:00:00Z",
    )?;
    ensure!(
        store.meta("master_key_check")?.is_none(),
        "no key check written"
    );
    ensure!(!store.has_wrapped_keys()?, "no workspace key written");
    Ok(())
}

/// Checklist 21: a server that redirects to another origin never receives the connector's
/// credentials there — neither the bearer token nor custom header values (reqwest strips only
/// a fixed set of headers on its own). The two servers are [`crate::fake_http::Routes`]
/// stand-ins: no real MCP server redirects across origins on demand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_never_follow_a_redirect_to_another_origin() -> Result<()> {
    use crate::fake_http::{Answer, Routes};
    let elsewhere = Routes::serve(|_| Vec::new()).await?;
    let target = format!("{}/mcp", elsewhere.base);
    let redirecting = Routes::serve(|_| {
        ["/mcp", "/sse"]
            .into_iter()
            .map(|path| {
                (
                    path.to_owned(),
                    Answer::status(307).header("location", &target),
                )
            })
            .collect()
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let url = format!("{}/mcp", redirecting.base);
    let header = format!("X-Api-Key: {HEADER_SENTINEL}");
    let add = tokio::task::block_in_place(|| {
        sandbox.run(
            &[
                "connector",
                "add",
                "--name",
                "Redirecting",
                "--url",
                &url,
                "--header",
                &header,
                "--token-stdin",
            ],
            Some(&format!("{TOKEN_SENTINEL}\n")),
        )
    })?;
    ensure!(
        add.code != 0,
        "a server that only redirects elsewhere cannot be saved: {add}"
    );
    ensure!(
        redirecting.paths().iter().any(|path| path == "/mcp"),
        "the CLI must have reached the redirecting server"
    );
    for seen in elsewhere.seen() {
        for (name, value) in &seen.headers {
            ensure!(
                !value.contains(TOKEN_SENTINEL) && !value.contains(HEADER_SENTINEL),
                "the other origin received the credential in {name} ({} {})",
                seen.method,
                seen.path
            );
        }
    }
    Ok(())
}

/// A secret header value can be given on stdin (`--headers-stdin`) instead of argv, where other
/// users of the computer can read it in the process list; it reaches the server and is shown
/// nowhere. A stand-in records what the server received (a mock: server-everything does not
/// report headers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_header_is_taken_from_stdin_not_argv() -> Result<()> {
    use crate::fake_http::Routes;
    let server = Routes::serve(|_| Vec::new()).await?;
    let sandbox = Sandbox::new()?;
    let url = format!("{}/mcp", server.base);
    let stdin = format!("X-Api-Key: {HEADER_SENTINEL}\n\nX-Team: blue\n");
    let add = tokio::task::block_in_place(|| {
        sandbox.run(
            &[
                "connector",
                "add",
                "--name",
                "Headers",
                "--url",
                &url,
                "--headers-stdin",
                "--skip-test",
            ],
            Some(&stdin),
        )
    })?;
    ensure!(add.code == 0, "{add}");
    let list = tokio::task::block_in_place(|| sandbox.run(&["connector", "list", "--json"], None))?;
    ensure!(
        list.stdout.contains("X-Api-Key")
            && list.stdout.contains("X-Team")
            && !list.stdout.contains(HEADER_SENTINEL)
            && !add.stderr.contains(HEADER_SENTINEL),
        "the names are listed, the value is not: {list}"
    );
    let _ = tokio::task::block_in_place(|| sandbox.run(&["connector", "test", "Headers"], None))?;
    ensure!(
        server
            .seen()
            .iter()
            .any(|seen| seen
                .headers
                .iter()
                .any(|(name, value)| name.eq_ignore_ascii_case("x-api-key")
                    && value == HEADER_SENTINEL)),
        "the header reached the server"
    );
    let both = tokio::task::block_in_place(|| {
        sandbox.run(
            &[
                "connector",
                "add",
                "--name",
                "Both",
                "--url",
                &url,
                "--headers-stdin",
                "--token-stdin",
            ],
            Some("x"),
        )
    })?;
    ensure!(
        both.code == 2 && both.stderr.contains("cannot be used with"),
        "stdin carries one of them: {both}"
    );
    Ok(())
}

fn shown(sandbox: &Sandbox, name: &str) -> Result<serde_json::Value> {
    let show = sandbox.run(&["connector", "show", name, "--json"], None)?;
    ensure!(show.code == 0, "{show}");
    Ok(serde_json::from_str(&show.stdout)?)
}

/// Issue 11 (4): a credential in the URL's query (`?api_key=…`, as some hosted servers want)
/// is sealed like a token: the stored and shown URL has it masked — `list`, `list --json`,
/// `show`, saved errors, the data files and trace logs never hold it — while the connector
/// still sends it (the stand-in answers only requests that carry it). Before, the URL was
/// stored and printed in clear everywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_in_the_urls_query_is_sealed_and_never_shown() -> Result<()> {
    const KEY: &str = "SNTL-querykey-5d81c2f0";
    let peer = patchbay_tests::hostile_peer::serve_query_key(KEY).await?;
    let url = format!("{}?region=eu&api_key={KEY}", peer.url);
    let sandbox = Sandbox::new()?;
    let trace = [("RUST_LOG", "trace")];
    let mut seen = String::new();
    let add = sandbox.run_with_env(
        &["connector", "add", "--name", "Keyed", "--url", &url],
        None,
        &trace,
    )?;
    ensure!(add.code == 0, "the server got its key: {add}");
    seen.push_str(&add.stdout);
    seen.push_str(&add.stderr);
    for args in [
        vec!["connector", "list"],
        vec!["connector", "list", "--json"],
        vec!["connector", "show", "Keyed"],
        vec!["connector", "show", "Keyed", "--json"],
        vec!["connector", "test", "Keyed"],
        vec!["tools", "Keyed"],
    ] {
        let run = sandbox.run_with_env(&args, None, &trace)?;
        ensure!(run.code == 0, "{args:?}: {run}");
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
    }
    let view = shown(&sandbox, "Keyed")?;
    ensure!(
        view["url"] == format!("{}?region=eu&api_key=****", peer.url),
        "the URL is shown with its key masked: {view}"
    );

    // Editing the URL as shown (masked) keeps the stored key: the server still lets it in.
    let edited = sandbox.run(
        &[
            "connector",
            "edit",
            "Keyed",
            "--url",
            &format!("{}?region=us&api_key=****", peer.url),
        ],
        None,
    )?;
    ensure!(
        edited.code == 0,
        "the masked key was kept, and tested: {edited}"
    );
    ensure!(
        shown(&sandbox, "Keyed")?["url"] == format!("{}?region=us&api_key=****", peer.url),
        "the new region is saved"
    );

    // A failure's text (saved as the connector's last error, shown again by `show`) names the
    // URL masked too. A server that hangs up on every request makes the HTTP library's error,
    // which quotes the URL it was sending to.
    let hang_up = std::net::TcpListener::bind("127.0.0.1:0")?;
    let hang_up_url = format!(
        "http://{}/mcp?region=eu&api_key={KEY}",
        hang_up.local_addr()?
    );
    std::thread::spawn(move || {
        for connection in hang_up.incoming() {
            drop(connection);
        }
    });
    let moved = sandbox.run(
        &[
            "connector",
            "edit",
            "Keyed",
            "--url",
            &hang_up_url,
            "--skip-test",
        ],
        None,
    )?;
    ensure!(moved.code == 0, "{moved}");
    let failed = sandbox.run_with_env(&["connector", "test", "Keyed"], None, &trace)?;
    ensure!(
        failed.code != 0 && failed.stderr.contains("api_key=****"),
        "the failure names the URL, masked: {failed}"
    );
    seen.push_str(&failed.stdout);
    seen.push_str(&failed.stderr);
    let after = sandbox.run(&["connector", "show", "Keyed"], None)?;
    ensure!(after.code == 0, "{after}");
    seen.push_str(&after.stdout);

    // Moving to a URL without a key forgets the sealed one.
    let moved = sandbox.run(
        &[
            "connector",
            "edit",
            "Keyed",
            "--url",
            "http://127.0.0.1:9/mcp",
            "--skip-test",
        ],
        None,
    )?;
    ensure!(moved.code == 0, "{moved}");
    ensure!(
        seen.len() > 10_000,
        "trace logging really ran ({} bytes)",
        seen.len()
    );
    ensure!(
        !seen.contains(KEY),
        "the key was shown or logged: {}",
        seen.lines()
            .filter(|line| line.contains(KEY))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    for (path, bytes) in sandbox.data_files()? {
        ensure!(
            !contains_bytes(&bytes, KEY.as_bytes()),
            "the key is stored in clear in {}",
            path.display()
        );
    }
    Ok(())
}
