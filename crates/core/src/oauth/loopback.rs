//! The loopback redirect (RFC 8252 §7.3): a listener on 127.0.0.1 at a random port that accepts
//! exactly one well-formed callback, then closes. Requests with a foreign `Host` (DNS rebinding),
//! another path, or another method are answered with an error and do not end the wait. Hand-written
//! because it is one request on one socket; a web framework would be most of the binary for it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

use super::OAuthError;
use crate::secret::Secret;

/// The request head we accept; real browsers send far less.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
const CALLBACK_PATH: &str = "/callback";

/// What the authorization server sent back through the browser.
#[derive(Debug)]
pub struct Callback {
    pub code: Option<Secret>,
    pub state: Option<String>,
    pub issuer: Option<String>,
    pub error: Option<String>,
}

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    pub async fn bind() -> Result<Self, OAuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(OAuthError::Loopback)?;
        let port = listener.local_addr().map_err(OAuthError::Loopback)?.port();
        Ok(Self { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Waits for the one callback, up to `limit`. `done_page` is shown to the person.
    pub async fn wait(self, limit: Duration, done_page: &str) -> Result<Callback, OAuthError> {
        tokio::time::timeout(limit, self.accept_callback(done_page))
            .await
            .map_err(|_| OAuthError::TimedOut(limit))?
    }

    async fn accept_callback(&self, done_page: &str) -> Result<Callback, OAuthError> {
        loop {
            let (mut socket, _) = self.listener.accept().await.map_err(OAuthError::Loopback)?;
            let head = match read_head(&mut socket).await {
                Ok(head) => head,
                Err(error) => {
                    tracing::debug!(%error, "unreadable loopback request");
                    continue;
                }
            };
            let (status, body, callback) = match self.parse(&head) {
                Ok(callback) => ("200 OK", done_page.to_owned(), Some(callback)),
                Err(reason) => ("400 Bad Request", format!("<p>{reason}</p>"), None),
            };
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n\
                 cache-control: no-store\r\nreferrer-policy: no-referrer\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            if let Err(error) = socket.write_all(response.as_bytes()).await {
                tracing::debug!(%error, "answering the loopback request");
            }
            if let Some(callback) = callback {
                return Ok(callback);
            }
        }
    }

    /// Validates method, path and Host; extracts the query parameters.
    fn parse(&self, head: &str) -> Result<Callback, &'static str> {
        let mut lines = head.split("\r\n");
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split(' ');
        let (method, target) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        if method != "GET" {
            return Err("Only GET is accepted here.");
        }
        let host = lines
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
            .map(|(_, value)| value.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let allowed = [
            format!("127.0.0.1:{}", self.port),
            format!("localhost:{}", self.port),
        ];
        if !allowed.contains(&host) {
            return Err("This address only answers requests for itself.");
        }
        let url =
            Url::parse(&format!("http://{host}{target}")).map_err(|_| "Malformed request.")?;
        if url.path() != CALLBACK_PATH {
            return Err("Unknown path.");
        }
        let mut callback = Callback {
            code: None,
            state: None,
            issuer: None,
            error: None,
        };
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "code" => callback.code = Some(Secret::new(value.into_owned())),
                "state" => callback.state = Some(value.into_owned()),
                "iss" => callback.issuer = Some(value.into_owned()),
                "error" => callback.error = Some(value.into_owned()),
                _ => {}
            }
        }
        if callback.state.is_none() {
            return Err("The callback has no state.");
        }
        Ok(callback)
    }
}

async fn read_head(socket: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buffer.windows(4).any(|window| window == b"\r\n\r\n") {
        if buffer.len() > MAX_REQUEST_BYTES {
            return Err(std::io::Error::other("request head too large"));
        }
        let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::other("slow request"))??;
        if read == 0 {
            return Err(std::io::Error::other("closed before the request ended"));
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok(String::from_utf8_lossy(&buffer).into_owned())
}
