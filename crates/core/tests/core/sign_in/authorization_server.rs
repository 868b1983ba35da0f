//! A stand-in MCP server with its own authorization server, on 127.0.0.1: enough of RFC 9728,
//! RFC 8414, RFC 7591 and the authorization-code grant for rmcp to sign in against it. A
//! stand-in because the redirect cases need what no real peer does on demand: refuse the app's
//! URI scheme at registration, offer no registration at all, and run twice side by side with
//! their own codes. The SDK's real OAuth demo is exercised by the CLI and window tests.

use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the registration endpoint does.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Registers any redirect URI.
    Open,
    /// Refuses redirect URIs that are not http(s) with 400 `invalid_redirect_uri`, as servers
    /// enforcing "localhost or https" do.
    HttpOnly,
    /// Refuses every registration with 400.
    Closed,
    /// Advertises no registration endpoint.
    Absent,
}

#[derive(Default)]
struct Log {
    registered_redirects: Vec<String>,
    token_requests: Vec<String>,
    issued: u32,
}

pub struct AuthorizationServer {
    pub base: String,
    /// Prefix of every code and token this server issues, to tell two servers apart.
    pub name: &'static str,
    log: Arc<Mutex<Log>>,
}

impl AuthorizationServer {
    pub async fn start(name: &'static str, registration: Registration) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = (base.clone(), log.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (base, log) = shared.clone();
                tokio::spawn(async move {
                    if let Some((head, body)) = read_request(&mut socket).await {
                        let response = answer(&base, name, registration, &log, &head, &body);
                        if let Err(error) = socket.write_all(response.as_bytes()).await {
                            eprintln!("stand-in authorization server: {error}");
                        }
                    }
                });
            }
        });
        Ok(Self { base, name, log })
    }

    /// The MCP endpoint (answers 401 with a challenge pointing at the metadata).
    pub fn mcp_url(&self) -> url::Url {
        url::Url::parse(&format!("{}/mcp", self.base)).expect("a valid URL")
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The redirect URIs registration requests asked for, in order.
    pub fn registered_redirects(&self) -> Vec<String> {
        self.log().registered_redirects.clone()
    }

    /// The codes the token endpoint was asked to exchange, in order.
    pub fn exchanged_codes(&self) -> Vec<String> {
        self.log().token_requests.clone()
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&buffer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .filter_map(|line| line.split_once(':'))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, value)| value.trim().parse().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return Some((head.to_owned(), body.to_owned()));
            }
        }
    }
}

fn response(status: &str, headers: &[(&str, String)], body: &str) -> String {
    let mut out = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    out
}

fn json_response(status: &str, value: &Value) -> String {
    response(
        status,
        &[("content-type", "application/json".into())],
        &value.to_string(),
    )
}

fn answer(
    base: &str,
    name: &str,
    registration: Registration,
    log: &Mutex<Log>,
    head: &str,
    body: &str,
) -> String {
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        request_line.next().unwrap_or_default(),
        request_line.next().unwrap_or_default(),
    );
    let url = url::Url::parse(&format!("{base}{target}")).expect("a request target");
    let query = |key: &str| {
        url.query_pairs()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
    match (method, url.path()) {
        ("POST", "/mcp") => response(
            "401 Unauthorized",
            &[(
                "www-authenticate",
                format!(
                    r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource/mcp""#
                ),
            )],
            "",
        ),
        ("GET", "/.well-known/oauth-protected-resource/mcp") => json_response(
            "200 OK",
            &json!({ "resource": format!("{base}/mcp"), "authorization_servers": [base] }),
        ),
        ("GET", "/.well-known/oauth-authorization-server") => {
            let mut metadata = json!({
                "issuer": base,
                "authorization_endpoint": format!("{base}/authorize"),
                "token_endpoint": format!("{base}/token"),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["none"],
                "authorization_response_iss_parameter_supported": true,
            });
            if registration != Registration::Absent {
                metadata["registration_endpoint"] = json!(format!("{base}/register"));
            }
            json_response("200 OK", &metadata)
        }
        ("POST", "/register") => {
            let request: Value = serde_json::from_str(body).unwrap_or_default();
            let redirect = request["redirect_uris"][0]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            log.registered_redirects.push(redirect.clone());
            let refused = match registration {
                Registration::Open => false,
                Registration::HttpOnly => !redirect.starts_with("http"),
                Registration::Closed | Registration::Absent => true,
            };
            if refused {
                return json_response(
                    "400 Bad Request",
                    &json!({ "error": "invalid_redirect_uri",
                             "error_description": "redirect URIs must be localhost or https" }),
                );
            }
            json_response(
                "201 Created",
                &json!({ "client_id": format!("{name}-client"), "redirect_uris": [redirect],
                         "token_endpoint_auth_method": "none" }),
            )
        }
        ("GET", "/authorize") => {
            log.issued += 1;
            let mut location = url::Url::parse(&query("redirect_uri")).expect("a redirect URI");
            location
                .query_pairs_mut()
                .append_pair("code", &format!("{name}-code-{}", log.issued))
                .append_pair("state", &query("state"))
                .append_pair("iss", base);
            response("302 Found", &[("location", location.into())], "")
        }
        ("POST", "/token") => {
            let code = url::form_urlencoded::parse(body.as_bytes())
                .find(|(key, _)| key == "code")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            log.token_requests.push(code.clone());
            if !code.starts_with(&format!("{name}-code-")) {
                return json_response("400 Bad Request", &json!({ "error": "invalid_grant" }));
            }
            json_response(
                "200 OK",
                &json!({ "access_token": format!("{name}-token"), "token_type": "Bearer",
                         "expires_in": 3600 }),
            )
        }
        _ => response("404 Not Found", &[], ""),
    }
}
