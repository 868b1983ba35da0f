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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::Loopback;

    async fn send(port: u16, request: String) -> String {
        let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        socket.write_all(request.as_bytes()).await.expect("write");
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await.expect("read");
        answer
    }

    #[tokio::test]
    async fn only_a_well_formed_callback_ends_the_wait() {
        let listener = Loopback::bind().await.expect("bind");
        let uri = listener.redirect_uri();
        assert!(
            uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"),
            "{uri}"
        );
        let port: u16 = uri
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .parse()
            .expect("port");
        let waiting = tokio::spawn(listener.wait(Duration::from_secs(10), "<p>done</p>"));
        let host = format!("127.0.0.1:{port}");
        let refused = [
            format!("GET /callback?code=c&state=s HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n"),
            format!("POST /callback?code=c&state=s HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            format!("GET /other?code=c&state=s HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            format!("GET /callback?code=c HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        ];
        for request in refused {
            let answer = send(port, request.clone()).await;
            assert!(
                answer.starts_with("HTTP/1.1 400"),
                "{request:?} must be refused: {answer}"
            );
            assert!(!answer.contains("code=c"), "parameters are never echoed");
        }
        assert!(
            !waiting.is_finished(),
            "refused requests do not end the wait"
        );
        let answer = send(
            port,
            format!("GET /callback?code=the-code&state=st&iss=https%3A%2F%2Fas HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.contains("done"),
            "{answer}"
        );
        let callback = waiting.await.expect("join").expect("callback");
        assert_eq!(
            callback
                .code
                .as_ref()
                .map(|c| c.expose().to_owned())
                .as_deref(),
            Some("the-code")
        );
        assert_eq!(
            (callback.state.as_deref(), callback.issuer.as_deref()),
            (Some("st"), Some("https://as"))
        );
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "the listener is closed after the one callback"
        );
    }

    #[tokio::test]
    async fn the_wait_expires() {
        let listener = Loopback::bind().await.expect("bind");
        let outcome = listener.wait(Duration::from_millis(100), "").await;
        assert!(
            matches!(outcome, Err(super::OAuthError::TimedOut(_))),
            "{outcome:?}"
        );
    }
}
