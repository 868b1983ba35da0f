//! Machine connectors through the commands, on the mock runtime: add (grant, test, save), renew
//! with the stored client or a new secret, `oauth_client` for the details, and the failures that
//! must save nothing. Secrets and keys go in; none comes back in any reply.
//!
//! The server is a stand-in on a free port (authorization server and MCP server in one): this
//! crate cannot use the tests crate's mock OAuth peer, and a real authorization server with the
//! client-credentials grant cannot run here. It speaks just enough OAuth (discovery, a token
//! endpoint for one client) and MCP (initialize, tools/list) and records every request. The real
//! window against the mock peer is `tests/window/machine.rs`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};

use crate::{TestResult, fresh, invoke};

const CLIENT_ID: &str = "billing-service";
/// Sentinels: they must never appear in a reply to the webview.
const SECRET: &str = "SNTL-desktop-machine-secret-5c1f";
const ROTATED: &str = "SNTL-desktop-machine-rotated-90ad";

/// A throwaway P-256 key made with `openssl genpkey` for tests (the same as tests/e2e/machine.rs);
/// it protects nothing.
const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsG2hC163I0Pl8xfD
0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk
woMS+upnbaCWu49U+vJ92Wvp5YIH8NWyfpyIdcsfOVvAF9kTtHRmdZNZ
-----END PRIVATE KEY-----
";
const KEY_LINE: &str = "0IKI5NSufgnh2XipMIfOtLaVM2OhRANCAASBL85ww9qPBGP53Os1qSXttPg2I4wk";

/// How the stand-in's token endpoint wants the client to authenticate.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientProof {
    SecretPost,
    PrivateKeyJwt,
}

/// What the stand-in knows and saw.
struct Shared {
    proof: ClientProof,
    /// The client secret it accepts now (change it to rotate).
    secret: String,
    /// Access tokens it issued and still accepts.
    issued: Vec<String>,
    /// Every token request's form fields.
    token_requests: Vec<HashMap<String, String>>,
    /// Every request, as "METHOD /path".
    requests: Vec<String>,
    /// The MCP server refuses every token, issued or not.
    refuse_tokens: bool,
}

struct StandIn {
    port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl StandIn {
    fn start(proof: ClientProof) -> Result<Self, std::io::Error> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Mutex::new(Shared {
            proof,
            secret: SECRET.into(),
            issued: Vec::new(),
            token_requests: Vec::new(),
            requests: Vec::new(),
            refuse_tokens: false,
        }));
        let serving = shared.clone();
        std::thread::spawn(move || {
            for socket in listener.incoming().map_while(Result::ok) {
                let shared = serving.clone();
                std::thread::spawn(move || {
                    if let Err(error) = answer(socket, port, &shared) {
                        eprintln!("stand-in server: {error}");
                    }
                });
            }
        });
        Ok(Self { port, shared })
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.shared().token_requests.clone()
    }
}

/// Reads one request (head and `content-length` body) and answers it.
fn answer(mut socket: TcpStream, port: u16, shared: &Mutex<Shared>) -> std::io::Result<()> {
    socket.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 8192];
    let head_end = loop {
        let read = socket.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        bytes.extend_from_slice(&buffer[..read]);
        if let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&bytes[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length")
        .and_then(|value| value.parse().ok())
        .unwrap_or(0);
    while bytes.len() < head_end + length {
        let read = socket.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        bytes.extend_from_slice(&buffer[..read]);
    }
    let body = String::from_utf8_lossy(&bytes[head_end..]).into_owned();
    let mut line = head.split(' ');
    let (method, path) = (line.next().unwrap_or(""), line.next().unwrap_or(""));
    let response = route(
        method,
        path,
        header("authorization"),
        &body,
        port,
        &mut shared.lock().unwrap_or_else(PoisonError::into_inner),
    );
    socket.write_all(response.as_bytes())
}

fn route(
    method: &str,
    path: &str,
    authorization: Option<String>,
    body: &str,
    port: u16,
    shared: &mut Shared,
) -> String {
    let base = format!("http://127.0.0.1:{port}");
    shared.requests.push(format!("{method} {path}"));
    match (method, path) {
        ("GET", "/.well-known/oauth-protected-resource/mcp") => respond(
            "200 OK",
            "",
            &json!({ "resource": format!("{base}/mcp"), "authorization_servers": [base] }),
        ),
        ("GET", "/.well-known/oauth-authorization-server") => {
            let method = match shared.proof {
                ClientProof::SecretPost => "client_secret_post",
                ClientProof::PrivateKeyJwt => "private_key_jwt",
            };
            respond(
                "200 OK",
                "",
                &json!({
                    "issuer": base,
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["client_credentials"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": [method],
                    "token_endpoint_auth_signing_alg_values_supported": ["ES256"],
                }),
            )
        }
        ("POST", "/token") => token(shared, form(body)),
        (_, "/mcp") => mcp(shared, method, authorization, body, &base),
        _ => respond("404 Not Found", "", &json!({})),
    }
}

fn token(shared: &mut Shared, form: HashMap<String, String>) -> String {
    let field = |name: &str| form.get(name).map(String::as_str);
    let authenticated = field("grant_type") == Some("client_credentials")
        && field("client_id").is_none_or(|id| id == CLIENT_ID)
        && match shared.proof {
            ClientProof::SecretPost => field("client_secret") == Some(shared.secret.as_str()),
            // Not a signature check (no JOSE library here): a JWT-shaped assertion of the
            // right type. tests/e2e/machine and the conformance suite check the rest.
            ClientProof::PrivateKeyJwt => {
                field("client_assertion_type")
                    == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                    && field("client_assertion").is_some_and(|jwt| jwt.split('.').count() == 3)
            }
        };
    shared.token_requests.push(form);
    if !authenticated {
        return respond(
            "401 Unauthorized",
            "",
            &json!({ "error": "invalid_client" }),
        );
    }
    let access = format!("AT-{}", shared.issued.len() + 1);
    shared.issued.push(access.clone());
    respond(
        "200 OK",
        "",
        &json!({ "access_token": access, "token_type": "Bearer", "expires_in": 3600 }),
    )
}

fn mcp(
    shared: &Shared,
    method: &str,
    authorization: Option<String>,
    body: &str,
    base: &str,
) -> String {
    let valid = !shared.refuse_tokens
        && authorization
            .as_deref()
            .and_then(|value| value.strip_prefix("Bearer "))
            .is_some_and(|token| shared.issued.iter().any(|issued| issued == token));
    if !valid {
        return respond(
            "401 Unauthorized",
            &format!(
                "www-authenticate: Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"\r\n"
            ),
            &json!({}),
        );
    }
    if method != "POST" {
        return respond("405 Method Not Allowed", "", &json!({}));
    }
    let rpc: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let Some(id) = rpc.get("id").cloned() else {
        return "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into();
    };
    let result = match rpc["method"].as_str().unwrap_or_default() {
        "initialize" => json!({
            "protocolVersion": rpc["params"]["protocolVersion"].as_str().unwrap_or("2025-06-18"),
            "capabilities": { "tools": {} },
            "serverInfo": { "name": "machine-stand-in", "version": "1.0.0" },
        }),
        "tools/list" => json!({ "tools": [{
            "name": "invoice",
            "description": "Looks up an invoice",
            "inputSchema": { "type": "object" },
        }]}),
        _ => json!({}),
    };
    respond(
        "200 OK",
        "",
        &json!({ "jsonrpc": "2.0", "id": id, "result": result }),
    )
}

fn respond(status: &str, extra_headers: &str, body: &Value) -> String {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{extra_headers}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// `application/x-www-form-urlencoded` fields.
fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), decode(value)))
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn connector_input(name: &str, url: &str) -> Value {
    json!({ "name": name, "url": url, "auth": "oauth", "token": null, "headers": [] })
}

fn secret_client(secret: &str) -> Value {
    json!({ "client_id": CLIENT_ID, "credential": { "kind": "client_secret", "secret": secret } })
}

fn add(
    app: &tauri::App<tauri::test::MockRuntime>,
    name: &str,
    url: &str,
    client: Value,
) -> Result<Result<Value, Value>, Box<dyn std::error::Error>> {
    invoke(
        app,
        "add_machine_connector",
        json!({ "workspace": "Default", "input": connector_input(name, url), "client": client }),
    )
}

fn listed(app: &tauri::App<tauri::test::MockRuntime>) -> Result<Value, Box<dyn std::error::Error>> {
    invoke(app, "list_connectors", json!({ "workspace": "Default" }))?
        .map_err(|error| format!("list_connectors failed: {error}").into())
}

fn client_of(
    app: &tauri::App<tauri::test::MockRuntime>,
    name: &str,
) -> Result<Result<Value, Value>, Box<dyn std::error::Error>> {
    invoke(
        app,
        "oauth_client",
        json!({ "workspace": "Default", "name": name }),
    )
}

#[test]
fn a_machine_connector_gets_a_token_is_tested_and_saved() -> TestResult {
    let server = StandIn::start(ClientProof::SecretPost)?;
    let (_dir, app) = fresh()?;
    let saved = add(
        &app,
        "Billing",
        &server.url(),
        secret_client(&format!(" {SECRET}\n")),
    )?
    .map_err(|error| format!("adding the machine connector failed: {error}"))?;
    assert_eq!(saved["connector"]["name"], "Billing");
    assert_eq!(saved["connector"]["auth"], "oauth");
    assert_eq!(
        saved["connector"]["status"], "connected",
        "the connection was tested with the granted token: {saved}"
    );
    assert_eq!(saved["diagnosis"]["server_name"], "machine-stand-in");

    let requests = server.token_requests();
    assert_eq!(requests.len(), 1, "one grant: {requests:?}");
    let request = &requests[0];
    assert_eq!(
        request.get("grant_type").map(String::as_str),
        Some("client_credentials")
    );
    assert_eq!(
        request.get("client_secret").map(String::as_str),
        Some(SECRET),
        "the secret is sent trimmed, in the body, as the server advertises client_secret_post"
    );
    assert_eq!(
        request.get("resource"),
        Some(&server.url()),
        "the token is bound to the MCP server (RFC 8707)"
    );

    let client = client_of(&app, "Billing")?.map_err(|e| format!("oauth_client: {e}"))?;
    assert_eq!(
        client,
        json!({
            "client_id": CLIENT_ID,
            "method": "client_credentials",
            "machine": true,
            "authentication": "client_secret",
            "issuer": format!("http://127.0.0.1:{}", server.port),
        }),
        "the details say what client it is and how it authenticates"
    );
    for reply in [
        saved.to_string(),
        client.to_string(),
        listed(&app)?.to_string(),
    ] {
        assert!(
            !reply.contains(SECRET),
            "the secret never comes back: {reply}"
        );
    }
    Ok(())
}

#[test]
fn a_rejected_client_saves_nothing() -> TestResult {
    let server = StandIn::start(ClientProof::SecretPost)?;
    let (_dir, app) = fresh()?;
    let error = add(
        &app,
        "Billing",
        &server.url(),
        secret_client("wrong-secret"),
    )?
    .err()
    .ok_or("a wrong secret must fail")?;
    assert_eq!(error["code"], "NeedsAuth", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("rejected the client credentials")),
        "the message says what went wrong: {error}"
    );
    assert_eq!(listed(&app)?, json!([]), "nothing is saved");
    assert_eq!(server.token_requests().len(), 1);
    Ok(())
}

#[test]
fn a_failed_connection_test_saves_nothing() -> TestResult {
    let server = StandIn::start(ClientProof::SecretPost)?;
    let (_dir, app) = fresh()?;
    // The token is granted, but the MCP server refuses it.
    server.shared().refuse_tokens = true;
    let outcome = add(&app, "Billing", &server.url(), secret_client(SECRET))?;
    let error = outcome.err().ok_or("a refused token must fail the test")?;
    assert!(
        error["diagnosis"].is_object(),
        "a failed connection test carries its diagnosis: {error}"
    );
    assert_eq!(listed(&app)?, json!([]), "nothing is saved");
    Ok(())
}

#[test]
fn renew_uses_the_stored_client_or_a_new_secret() -> TestResult {
    let server = StandIn::start(ClientProof::SecretPost)?;
    let (_dir, app) = fresh()?;
    add(&app, "Billing", &server.url(), secret_client(SECRET))?
        .map_err(|error| format!("add failed: {error}"))?;
    let renew = |client: Value| {
        invoke(
            &app,
            "renew_machine_connector",
            json!({ "workspace": "Default", "name": "Billing", "client": client }),
        )
    };

    let renewed = renew(Value::Null)?.map_err(|e| format!("renew with the stored client: {e}"))?;
    assert_eq!(renewed["connector"]["status"], "connected");
    let requests = server.token_requests();
    assert_eq!(
        requests
            .last()
            .and_then(|r| r.get("client_secret"))
            .map(String::as_str),
        Some(SECRET),
        "Renew now, with nothing entered, runs the grant with the stored secret"
    );

    // The provider rotates the secret: the stored one is refused until the new one is entered.
    server.shared().secret = ROTATED.into();
    let error = renew(Value::Null)?
        .err()
        .ok_or("the stored secret was rotated away")?;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("rejected the client credentials")),
        "{error}"
    );
    let unchanged = client_of(&app, "Billing")?.map_err(|e| format!("oauth_client: {e}"))?;
    assert_eq!(
        unchanged["machine"], true,
        "a failed renewal changes nothing"
    );

    let renewed =
        renew(secret_client(ROTATED))?.map_err(|e| format!("renew with the new secret: {e}"))?;
    assert_eq!(renewed["connector"]["status"], "connected");
    let before = server.token_requests().len();
    renew(Value::Null)?.map_err(|e| format!("renew after rotation: {e}"))?;
    let requests = server.token_requests();
    assert_eq!(
        requests
            .get(before)
            .and_then(|r| r.get("client_secret"))
            .map(String::as_str),
        Some(ROTATED),
        "the new secret was stored in place of the old one"
    );
    assert!(
        !renewed.to_string().contains(ROTATED),
        "no secret comes back"
    );
    Ok(())
}

#[test]
fn after_forgetting_renewal_needs_the_client_again() -> TestResult {
    let server = StandIn::start(ClientProof::SecretPost)?;
    let (_dir, app) = fresh()?;
    add(&app, "Billing", &server.url(), secret_client(SECRET))?
        .map_err(|error| format!("add failed: {error}"))?;
    invoke(
        &app,
        "forget_credentials",
        json!({ "workspace": "Default", "name": "Billing" }),
    )?
    .map_err(|error| format!("forget failed: {error}"))?;
    assert_eq!(
        client_of(&app, "Billing")?,
        Ok(Value::Null),
        "forgetting deletes the client with the tokens"
    );
    let before = server.token_requests().len();
    let error = invoke(
        &app,
        "renew_machine_connector",
        json!({ "workspace": "Default", "name": "Billing", "client": null }),
    )?
    .err()
    .ok_or("no stored client: nothing to renew with")?;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("no machine client is stored")),
        "{error}"
    );
    assert_eq!(server.token_requests().len(), before, "nothing was sent");
    let renewed = invoke(
        &app,
        "renew_machine_connector",
        json!({ "workspace": "Default", "name": "Billing", "client": secret_client(SECRET) }),
    )?
    .map_err(|error| format!("renew with the client entered again: {error}"))?;
    assert_eq!(renewed["connector"]["status"], "connected");
    Ok(())
}

#[test]
fn a_private_key_signs_assertions_and_never_leaves() -> TestResult {
    let server = StandIn::start(ClientProof::PrivateKeyJwt)?;
    let (_dir, app) = fresh()?;
    let key_client = |algorithm: &str| {
        json!({ "client_id": CLIENT_ID,
                "credential": { "kind": "private_key", "pem": PRIVATE_KEY, "algorithm": algorithm } })
    };

    let error = add(&app, "Keyed", &server.url(), key_client("RS256"))?
        .err()
        .ok_or("the server accepts only ES256")?;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("RS256")),
        "the message names the refused algorithm: {error}"
    );
    assert!(
        server.token_requests().is_empty(),
        "an algorithm the server does not list is refused before anything is signed or sent"
    );

    let saved = add(&app, "Keyed", &server.url(), key_client("ES256"))?
        .map_err(|error| format!("adding with a private key failed: {error}"))?;
    assert_eq!(saved["connector"]["status"], "connected");
    let requests = server.token_requests();
    let request = requests.last().ok_or("a token request")?;
    assert!(
        request.get("client_secret").is_none(),
        "private_key_jwt sends no secret: {request:?}"
    );
    assert!(
        request.values().all(|value| !value.contains(KEY_LINE)),
        "only a signature leaves, never the key"
    );
    let client = client_of(&app, "Keyed")?.map_err(|e| format!("oauth_client: {e}"))?;
    assert_eq!(client["authentication"], "private_key_jwt");
    assert!(!saved.to_string().contains(KEY_LINE) && !client.to_string().contains(KEY_LINE));
    Ok(())
}

#[test]
fn bad_input_is_refused_before_any_request() -> TestResult {
    let server = StandIn::start(ClientProof::SecretPost)?;
    let (_dir, app) = fresh()?;
    let cases = [
        (
            connector_input("Billing", &server.url()),
            json!({ "client_id": "  ", "credential": { "kind": "client_secret", "secret": SECRET } }),
            "client ID",
        ),
        (
            connector_input("Billing", &server.url()),
            secret_client(" \n"),
            "client secret",
        ),
        (
            connector_input("Billing", &server.url()),
            json!({ "client_id": CLIENT_ID, "credential": { "kind": "private_key", "pem": "not a key", "algorithm": "ES256" } }),
            "PEM",
        ),
        (
            json!({ "name": "Billing", "url": server.url(), "auth": "token", "token": "t", "headers": [] }),
            secret_client(SECRET),
            "OAuth",
        ),
        (
            connector_input("", &server.url()),
            secret_client(SECRET),
            "name",
        ),
        (
            connector_input("Billing", "ftp://example.com/mcp"),
            secret_client(SECRET),
            "http",
        ),
    ];
    for (input, client, says) in cases {
        let error = invoke(
            &app,
            "add_machine_connector",
            json!({ "workspace": "Default", "input": input, "client": client }),
        )?
        .err()
        .ok_or_else(|| format!("{input} with {client} must be refused"))?;
        assert_eq!(error["code"], "InvalidInput", "{error}");
        assert!(
            error["message"].as_str().is_some_and(|m| m.contains(says)),
            "the message names what to fix ({says}): {error}"
        );
    }
    assert!(
        server.shared().requests.is_empty(),
        "nothing reached the server: {:?}",
        server.shared().requests
    );
    assert_eq!(listed(&app)?, json!([]));
    Ok(())
}

#[test]
fn the_client_of_connectors_without_one_is_null() -> TestResult {
    let (_dir, app) = fresh()?;
    assert_eq!(
        client_of(&app, "Nope")?
            .err()
            .map(|error| error["code"].clone()),
        Some(json!("NotFound"))
    );
    let renew = invoke(
        &app,
        "renew_machine_connector",
        json!({ "workspace": "Default", "name": "Nope", "client": null }),
    )?;
    assert_eq!(
        renew.err().map(|error| error["code"].clone()),
        Some(json!("NotFound")),
        "renewing an unknown connector is NotFound"
    );
    Ok(())
}
