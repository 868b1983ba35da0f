//! The authorization response (checklist 9, RFC 9207): the `iss` parameter is compared exactly
//! with the issuer the flow discovered, by the four rows of the spec's table. The authorization
//! server is a [`Routes`] stand-in (no real AS sends a wrong `iss` on demand) behind the real CLI;
//! the test plays the browser by calling the loopback redirect URI itself. Whether a code was
//! exchanged is read from the stand-in's request log: a rejected callback must never reach the
//! token endpoint.

use anyhow::{Context, Result, ensure};
use patchbay_tests::Sandbox;
use serde_json::json;

use crate::fake_http::{Answer, Routes};
use crate::oauth::{finish, start_sign_in};

/// A complete, well-behaved authorization server on the resource's own origin, except that the
/// resource keeps answering 401 (so no connector is ever saved; the token request is what the
/// test looks for).
async fn authorization_server(advertises_iss: bool) -> Result<Routes> {
    Routes::serve(|base| {
        vec![
            (
                "/mcp".into(),
                Answer::status(401).header(
                    "www-authenticate",
                    &format!(
                        r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
                    ),
                ),
            ),
            (
                "/.well-known/oauth-protected-resource/mcp".into(),
                Answer::json(&json!({
                    "resource": format!("{base}/mcp"),
                    "authorization_servers": [base],
                })),
            ),
            (
                "/.well-known/oauth-authorization-server".into(),
                Answer::json(&json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "registration_endpoint": format!("{base}/register"),
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code", "refresh_token"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["none"],
                    "authorization_response_iss_parameter_supported": advertises_iss,
                })),
            ),
            ("/register".into(), {
                let mut answer = Answer::json(&json!({
                    "client_id": "patchbay-test-client",
                    "token_endpoint_auth_method": "none",
                    "redirect_uris": [],
                }));
                answer.status = 201;
                answer
            }),
            (
                "/token".into(),
                Answer::json(&json!({
                    "access_token": "stand-in-access-token",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                })),
            ),
        ]
    })
    .await
}

/// The `iss` a callback carries.
#[derive(Clone, Copy, Debug)]
enum Iss {
    Absent,
    /// Exactly the discovered issuer.
    Issuer,
    /// Another authorization server (a mix-up attack).
    Other,
}

const OTHER_ISSUER: &str = "https://evil.example";

/// What one sign-in showed: whether the code was exchanged, what the CLI printed, and the PKCE
/// challenge of its authorization URL.
struct Outcome {
    exchanged: bool,
    stderr: String,
    code_challenge: String,
}

/// Runs a sign-in whose callback carries `iss`.
async fn callback_with(advertises_iss: bool, iss: Iss) -> Result<Outcome> {
    let server = authorization_server(advertises_iss).await?;
    let url = format!("{}/mcp", server.base);
    let sandbox = Sandbox::new()?;
    let (child, sign_in_url, lines) = start_sign_in(
        &sandbox,
        &[
            "connector",
            "add",
            "--name",
            "Issuer",
            "--url",
            &url,
            "--auth",
            "oauth",
        ],
    )?;
    let authorize = url::Url::parse(&sign_in_url)?;
    let param = |name: &str| {
        authorize
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .with_context(|| format!("the authorization URL has no {name}: {authorize}"))
    };
    ensure!(
        param("code_challenge_method")? == "S256",
        "PKCE must use S256: {authorize}"
    );
    let code_challenge = param("code_challenge")?;
    let mut callback = url::Url::parse(&param("redirect_uri")?)?;
    callback
        .query_pairs_mut()
        .append_pair("code", "stand-in-code")
        .append_pair("state", &param("state")?);
    match iss {
        Iss::Absent => {}
        Iss::Issuer => {
            callback.query_pairs_mut().append_pair("iss", &server.base);
        }
        Iss::Other => {
            callback.query_pairs_mut().append_pair("iss", OTHER_ISSUER);
        }
    }
    // The browser's visit to the redirect URI; the page it gets does not matter here.
    if let Err(error) = reqwest::get(callback.as_str()).await {
        eprintln!("delivering the callback: {error}");
    }
    let (code, stderr) = finish(child, lines)?;
    ensure!(
        code != 0,
        "the stand-in resource always answers 401, so nothing can be saved:\n{stderr}"
    );
    let exchanged = server.paths().iter().any(|path| path == "/token");
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(list.stdout.trim() == "[]", "nothing may be saved: {list}");
    Ok(Outcome {
        exchanged,
        stderr,
        code_challenge,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_in_the_callback_is_checked_by_the_rfc_9207_table() -> Result<()> {
    // (AS advertises iss support, what the callback carries, whether the code may be exchanged)
    let rows = [
        (true, Iss::Issuer, true),
        (true, Iss::Absent, false),
        (true, Iss::Other, false),
        (false, Iss::Absent, true),
        (false, Iss::Other, false),
    ];
    let mut challenges = std::collections::HashSet::new();
    for (advertises, iss, accepted) in rows {
        let Outcome {
            exchanged,
            stderr,
            code_challenge,
        } = callback_with(advertises, iss).await?;
        // Checklist 6: a SHA-256 challenge is 43 base64url characters, and every flow has its
        // own verifier.
        ensure!(
            code_challenge.len() == 43
                && code_challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "not an S256 challenge: {code_challenge:?}"
        );
        ensure!(
            challenges.insert(code_challenge),
            "each sign-in must use a fresh PKCE verifier"
        );
        ensure!(
            exchanged == accepted,
            "advertised={advertises}, iss={iss:?}: the code must {}be exchanged\n{stderr}",
            if accepted { "" } else { "not " }
        );
        ensure!(
            !stderr.contains("evil.example"),
            "advertised={advertises}, iss={iss:?}: another issuer must not be echoed\n{stderr}"
        );
    }
    Ok(())
}
