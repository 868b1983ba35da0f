//! OAuth discovery against hostile or unusual servers, through the `patchbay` CLI
//! (`connector add --auth oauth --no-browser`), checklist section A: the order in which metadata
//! is looked for (RFC 9728 / RFC 8414 / OpenID discovery), `WWW-Authenticate` parsing, issuer and
//! resource checks, SSRF through discovery URLs, and hostile responses (huge, looping, wrong
//! type). The servers are [`Routes`] stand-ins: no real authorization server misbehaves on
//! demand. Every case must fail before a sign-in URL is printed (nothing is opened in a browser),
//! save nothing, and send no credentials to any discovery URL.

use anyhow::{Result, ensure};
use patchbay_tests::Sandbox;
use serde_json::json;

use crate::fake_http::{Answer, Routes};

/// A 401 from the MCP endpoint with this `WWW-Authenticate` header.
fn challenge(header: &str) -> (String, Answer) {
    (
        "/mcp".into(),
        Answer::status(401).header("www-authenticate", header),
    )
}

fn resource_metadata(base: &str, authorization_server: &str) -> Answer {
    Answer::json(&json!({
        "resource": format!("{base}/mcp"),
        "authorization_servers": [authorization_server],
    }))
}

/// Authorization-server metadata that is valid except that it offers only `plain` PKCE, which
/// Patchbay must refuse (checklist 6): discovery then ends before registration or a browser.
fn metadata_without_s256(issuer: &str) -> Answer {
    Answer::json(&json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "registration_endpoint": format!("{issuer}/register"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["plain"],
    }))
}

/// What `connector add --auth oauth` did against `server`.
struct Attempt {
    code: i32,
    output: String,
    saved: usize,
}

/// Runs the CLI (blocking this worker thread only: the stand-in server keeps answering on the
/// runtime's other worker).
fn try_sign_in(sandbox: &Sandbox, server: &Routes) -> Result<Attempt> {
    tokio::task::block_in_place(|| run_sign_in(sandbox, server))
}

fn run_sign_in(sandbox: &Sandbox, server: &Routes) -> Result<Attempt> {
    let url = format!("{}/mcp", server.base);
    let run = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Hostile",
            "--url",
            &url,
            "--auth",
            "oauth",
            "--no-browser",
        ],
        None,
    )?;
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(list.code == 0, "listing connectors failed: {list}");
    let saved = serde_json::from_str::<serde_json::Value>(&list.stdout)?
        .as_array()
        .map_or(0, Vec::len);
    Ok(Attempt {
        code: run.code,
        output: format!("{}{}", run.stdout, run.stderr),
        saved,
    })
}

/// The common promises of every hostile case: the server was asked, the sign-in failed, no URL
/// went to a browser, nothing was saved, no credentials were sent.
fn refused(server: &Routes, attempt: &Attempt, case: &str) -> Result<()> {
    ensure!(
        server.paths().iter().any(|path| path == "/mcp"),
        "{case}: the CLI never reached the stand-in server, so nothing was tested\n{}",
        attempt.output
    );
    ensure!(
        attempt.code != 0,
        "{case}: the sign-in must fail\n{}",
        attempt.output
    );
    ensure!(
        !attempt.output.contains("/authorize"),
        "{case}: no authorization URL may be printed or opened\n{}",
        attempt.output
    );
    ensure!(
        attempt.saved == 0,
        "{case}: nothing may be saved after a failed sign-in"
    );
    // A document that is unusable (rather than absent) may still send the client to the
    // 2025-03-26 default endpoints on the resource's own origin; that is allowed, and the
    // stand-in then refuses registration. Credentials never go to discovery.
    for seen in server.seen() {
        ensure!(
            !seen.headers.iter().any(|(name, _)| name == "authorization"),
            "{case}: discovery requests must not carry credentials ({} {})",
            seen.method,
            seen.path
        );
    }
    Ok(())
}

/// Checklist 1 and 3: with no `resource_metadata` in the challenge, the path-specific
/// protected-resource document comes before the root one; for an issuer with a path, the three
/// authorization-server locations are tried in the spec's order. The AS lacks S256 (checklist
/// 6), so the flow stops there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_looked_for_in_spec_order() -> Result<()> {
    let server = Routes::serve(|base| {
        vec![
            challenge(r#"Bearer realm="mcp""#),
            (
                "/.well-known/oauth-protected-resource".into(),
                resource_metadata(base, &format!("{base}/tenant")),
            ),
            (
                "/tenant/.well-known/openid-configuration".into(),
                metadata_without_s256(&format!("{base}/tenant")),
            ),
        ]
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let attempt = try_sign_in(&sandbox, &server)?;
    refused(&server, &attempt, "an AS without S256")?;
    ensure!(
        attempt.output.contains("S256") || attempt.output.to_lowercase().contains("pkce"),
        "the error must say PKCE S256 is missing:\n{}",
        attempt.output
    );
    let paths = server.paths();
    let position = |path: &str| paths.iter().position(|seen| seen == path);
    let order = [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-authorization-server/tenant",
        "/.well-known/openid-configuration/tenant",
        "/tenant/.well-known/openid-configuration",
    ];
    let positions: Vec<Option<usize>> = order.iter().map(|path| position(path)).collect();
    ensure!(
        positions.iter().all(Option::is_some) && positions.windows(2).all(|pair| pair[0] < pair[1]),
        "discovery must try {order:?} in this order; it requested {paths:?}"
    );
    Ok(())
}

/// Checklist 1: the `resource_metadata` URL of a Bearer challenge is used first, also when the
/// header carries another scheme's challenge before it, with a different case and quoted
/// escapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_resource_metadata_is_used_first() -> Result<()> {
    let server = Routes::serve(|base| {
        vec![
            challenge(&format!(
                r#"Basic realm="legacy \"zone\"", bearer error="invalid_token", resource_metadata="{base}/custom/prm", scope="files:read""#
            )),
            (
                "/custom/prm".into(),
                resource_metadata(base, &format!("{base}/as")),
            ),
            (
                "/.well-known/oauth-authorization-server/as".into(),
                metadata_without_s256(&format!("{base}/as")),
            ),
        ]
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let attempt = try_sign_in(&sandbox, &server)?;
    refused(&server, &attempt, "an AS without S256")?;
    let gets: Vec<String> = server
        .seen()
        .into_iter()
        .filter(|seen| seen.method == "GET")
        .map(|seen| seen.path)
        .collect();
    ensure!(
        gets.first().map(String::as_str) == Some("/custom/prm"),
        "the challenge's resource_metadata must be fetched before any well-known path: {gets:?}"
    );
    Ok(())
}

/// Checklist 2 and 3: a protected-resource document for another resource, and authorization
/// server metadata whose issuer is not the URL it was fetched for, are discarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoofed_resource_and_issuer_are_rejected() -> Result<()> {
    let spoofed_resource = Routes::serve(|base| {
        vec![
            challenge(&format!(
                r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
            )),
            (
                "/.well-known/oauth-protected-resource/mcp".into(),
                Answer::json(&json!({
                    "resource": "https://other.example/mcp",
                    "authorization_servers": [base],
                })),
            ),
        ]
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let attempt = try_sign_in(&sandbox, &spoofed_resource)?;
    refused(&spoofed_resource, &attempt, "a PRM for another resource")?;

    let spoofed_issuer = Routes::serve(|base| {
        let mut metadata = metadata_without_s256(base);
        metadata.body = json!({
            "issuer": "https://evil.example",
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "registration_endpoint": format!("{base}/register"),
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        })
        .to_string()
        .into_bytes();
        vec![
            challenge(&format!(
                r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
            )),
            (
                "/.well-known/oauth-protected-resource/mcp".into(),
                resource_metadata(base, base),
            ),
            ("/.well-known/oauth-authorization-server".into(), metadata),
        ]
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let attempt = try_sign_in(&sandbox, &spoofed_issuer)?;
    refused(
        &spoofed_issuer,
        &attempt,
        "AS metadata with a foreign issuer",
    )?;
    Ok(())
}

/// Checklist 4: discovery never reaches cloud metadata, link-local, unspecified or private
/// addresses from a loopback resource, however the address is spelled, directly or through a
/// redirect; nor a non-HTTP scheme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_urls_cannot_reach_internal_addresses() -> Result<()> {
    let targets = [
        "http://169.254.169.254/latest/meta-data",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://2852039166/",
        "http://0251.0376.0251.0376/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://[fe80::1]/",
        "file:///etc/passwd",
    ];
    for target in targets {
        let server = Routes::serve(|base| {
            vec![
                challenge(&format!(
                    r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
                )),
                (
                    "/.well-known/oauth-protected-resource/mcp".into(),
                    resource_metadata(base, target),
                ),
            ]
        })
        .await?;
        let sandbox = Sandbox::new()?;
        let attempt = try_sign_in(&sandbox, &server)?;
        refused(&server, &attempt, target)?;
    }
    // The resource's own metadata URL redirects to the cloud metadata service.
    let server = Routes::serve(|base| {
        vec![
            challenge(&format!(r#"Bearer resource_metadata="{base}/prm""#)),
            (
                "/prm".into(),
                Answer::status(302).header("location", "http://169.254.169.254/latest/meta-data"),
            ),
        ]
    })
    .await?;
    let sandbox = Sandbox::new()?;
    let attempt = try_sign_in(&sandbox, &server)?;
    refused(&server, &attempt, "a PRM redirect to 169.254.169.254")?;
    Ok(())
}

/// Checklist 4, proven: an address the policy refuses that this computer can reach. `0.0.0.0`
/// (also spelled `0` and `0x0`) is never a server's real address, but connecting to it reaches
/// this computer's own listeners, so a stand-in "internal service" listening on loopback counts
/// what would have reached it. The cases above aim at addresses that are unreachable here, so
/// they would pass even without the policy; here, a request that slipped through is seen.
/// Before the fix of issue 11, the challenge probe followed a redirect anywhere (a blind
/// server-side request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_service_reachable_from_here_is_never_contacted() -> Result<()> {
    let internal = Routes::serve(|base| {
        let issuer = base.replace("127.0.0.1", "0.0.0.0");
        vec![
            (
                "/.well-known/oauth-authorization-server".into(),
                Answer::json(&json!({
                    "issuer": issuer,
                    "authorization_endpoint": format!("{issuer}/authorize"),
                    "token_endpoint": format!("{issuer}/token"),
                    "registration_endpoint": format!("{issuer}/register"),
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                })),
            ),
            (
                "/mcp".into(),
                Answer::status(401).header("www-authenticate", "Bearer"),
            ),
        ]
    })
    .await?;
    let port = internal
        .base
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    // The stand-in is reachable through the refused spelling: the test can see a slip.
    let direct = reqwest::get(format!("http://0.0.0.0:{port}/mcp")).await?;
    ensure!(direct.status() == 401, "0.0.0.0 reaches the stand-in here");
    let before = internal.seen().len();

    for host in ["0.0.0.0", "0", "0x0"] {
        let target = format!("http://{host}:{port}");
        let cases: Vec<(&str, AnswerFor)> = vec![
            (
                "an authorization server on an internal address",
                Box::new({
                    let target = target.clone();
                    move |base| resource_metadata(base, &target)
                }),
            ),
            (
                "a metadata redirect to an internal address",
                Box::new({
                    let target = target.clone();
                    move |_| {
                        Answer::status(302).header(
                            "location",
                            &format!("{target}/.well-known/oauth-authorization-server"),
                        )
                    }
                }),
            ),
        ];
        for (case, answer) in cases {
            let server = Routes::serve(|base| {
                vec![
                    challenge(&format!(r#"Bearer resource_metadata="{base}/prm""#)),
                    ("/prm".into(), answer(base)),
                ]
            })
            .await?;
            let sandbox = Sandbox::new()?;
            let attempt = try_sign_in(&sandbox, &server)?;
            let case = format!("{case} ({target})");
            refused(&server, &attempt, &case)?;
            ensure!(
                internal.seen().len() == before,
                "{case}: the internal service was contacted: {:?}",
                internal.paths()
            );
        }
        // The challenge probe: the server's endpoint redirects it elsewhere.
        let server = Routes::serve(|_| {
            vec![(
                "/mcp".into(),
                Answer::status(307).header("location", &format!("{target}/mcp")),
            )]
        })
        .await?;
        let sandbox = Sandbox::new()?;
        let _attempt = try_sign_in(&sandbox, &server)?;
        ensure!(
            internal.seen().len() == before,
            "the challenge probe followed a redirect to {target}: {:?}",
            internal.paths()
        );
    }
    Ok(())
}

/// Builds the answer for a server's base URL.
type AnswerFor = Box<dyn Fn(&str) -> Answer>;

/// Checklist 5: a huge document, a redirect loop and an HTML page where JSON belongs end the
/// sign-in with an error instead of exhausting memory or looping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_discovery_responses_are_refused() -> Result<()> {
    let huge = Answer {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: {
            let mut body = b"{\"resource\": \"".to_vec();
            body.resize(8 * 1024 * 1024, b'a');
            body.extend_from_slice(b"\"}");
            body
        },
    };
    let html = Answer {
        status: 200,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<!doctype html><h1>Sign in</h1>".to_vec(),
    };
    let cases: Vec<(&str, AnswerFor)> = vec![
        ("an 8 MiB document", Box::new(move |_| huge.clone())),
        (
            "a redirect loop",
            Box::new(|base| Answer::status(302).header("location", &format!("{base}/prm"))),
        ),
        ("an HTML page", Box::new(move |_| html.clone())),
    ];
    for (case, answer) in cases {
        let server = Routes::serve(|base| {
            vec![
                challenge(&format!(r#"Bearer resource_metadata="{base}/prm""#)),
                ("/prm".into(), answer(base)),
            ]
        })
        .await?;
        let sandbox = Sandbox::new()?;
        let attempt = try_sign_in(&sandbox, &server)?;
        refused(&server, &attempt, case)?;
        let fetches = server
            .paths()
            .iter()
            .filter(|path| path.as_str() == "/prm")
            .count();
        ensure!(
            fetches <= 11,
            "{case}: a redirect loop must be cut off; /prm was fetched {fetches} times"
        );
    }
    Ok(())
}

/// Checklist 5: a server that accepts connections and never answers ends the sign-in with a
/// clear message once discovery's time is up, instead of leaving the person waiting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_ends_the_sign_in_with_a_clear_message() -> Result<()> {
    let base = crate::fake_http::serve(crate::fake_http::Behaviour::Hang).await?;
    let url = format!("{base}/mcp");
    let sandbox = Sandbox::new()?;
    let run = tokio::task::block_in_place(|| {
        sandbox.run(
            &[
                "connector",
                "add",
                "--name",
                "Silent",
                "--url",
                &url,
                "--auth",
                "oauth",
                "--no-browser",
            ],
            None,
        )
    })?;
    ensure!(
        run.code == 1 && run.stderr.contains("did not say how to sign in within"),
        "a silent server must end the sign-in with the discovery time limit: {run}"
    );
    ensure!(
        !run.stderr.contains("/authorize"),
        "no sign-in URL without discovery: {run}"
    );
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(list.stdout.trim() == "[]", "nothing may be saved: {list}");
    Ok(())
}

/// The probe for a server's challenge follows redirects only within the server's origin: a
/// server cannot point it at another host (blind SSRF; before, it followed a 307 anywhere).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_challenge_probe_does_not_follow_a_redirect_elsewhere() -> Result<()> {
    let elsewhere = Routes::serve(|_| Vec::new()).await?;
    let target = format!("{}/internal", elsewhere.base);
    let redirecting = Routes::serve(|_| {
        vec![(
            "/mcp".to_owned(),
            Answer::status(307).header("location", &target),
        )]
    })
    .await?;
    let url = url::Url::parse(&format!("{}/mcp", redirecting.base))?;
    let challenge = patchbay_core::oauth::fetch_challenge(&url, &Default::default()).await;
    ensure!(
        challenge.is_none(),
        "no challenge from elsewhere: {challenge:?}"
    );
    ensure!(
        !redirecting.paths().is_empty() && elsewhere.paths().is_empty(),
        "the probe reached the server and nothing else: {:?}",
        elsewhere.paths()
    );
    Ok(())
}
