//! The loopback redirect (RFC 8252 §7.3): a listener on 127.0.0.1 at a random port whose
//! requests go to [`Flows::deliver`], like the app's deep link. It closes after the one response
//! its flow accepts (or rejects: a wrong issuer ends the flow). Requests with a foreign `Host`
//! (DNS rebinding), another path or method, and responses [`Flows`] drops (no flow, wrong
//! `state`) get a fixed error page that echoes nothing, and do not end the wait. Hand-written
//! because it is one request on one socket; a web framework would be most of the binary for it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::OAuthError;
use super::flows::{Delivery, Flows};

/// The request head we accept; real browsers send far less.
const MAX_REQUEST_BYTES: usize = 16 * 1024;
/// How long a connection has to send its whole request head (a browser needs milliseconds).
const HEAD_DEADLINE: Duration = Duration::from_secs(5);
const CALLBACK_PATH: &str = "/callback";
/// Shown for an answer no flow accepted. Fixed text: the request's own text is never echoed.
const NOT_ACCEPTED: &str =
    "This sign-in link is not valid any more. Start the sign-in again in Patchbay.";
/// Shown when the answer came from another authorization server than the sign-in asked.
const REJECTED: &str = "Sign-in failed: the answer did not come from the server Patchbay asked. \
                        Nothing was saved.";

pub struct Loopback {
    listener: TcpListener,
    port: u16,
}

impl Loopback {
    /// Listens on `port` (a reused registration's), or on a free one.
    pub async fn bind(port: Option<u16>) -> Result<Self, OAuthError> {
        let listener = TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .await
            .map_err(OAuthError::Loopback)?;
        let port = listener.local_addr().map_err(OAuthError::Loopback)?.port();
        Ok(Self { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Answers requests until one ends its flow; `done_page` is shown for the accepted one. The
    /// caller bounds the wait (the flow's own limit) by dropping or aborting this future.
    ///
    /// Each connection is served on its own and must send its request head within
    /// [`HEAD_DEADLINE`]: a local client trickling bytes (or many of them) cannot hold the
    /// listener while the browser's callback waits behind it.
    pub async fn serve(self, flows: Flows, done_page: String) {
        let this = std::sync::Arc::new(self);
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = this.listener.accept() => {
                    let mut socket = match accepted {
                        Ok((socket, _)) => socket,
                        Err(error) => {
                            tracing::warn!(%error, "loopback redirect listener");
                            return;
                        }
                    };
                    let (this, flows, done_page) = (this.clone(), flows.clone(), done_page.clone());
                    connections.spawn(async move {
                        this.answer(&mut socket, &flows, &done_page).await
                    });
                }
                Some(finished) = connections.join_next() => {
                    if finished.unwrap_or(false) {
                        return;
                    }
                }
            }
        }
    }

    /// Answers one connection; true once its flow ended (accepted or rejected).
    async fn answer(
        &self,
        socket: &mut tokio::net::TcpStream,
        flows: &Flows,
        done_page: &str,
    ) -> bool {
        let head = match tokio::time::timeout(HEAD_DEADLINE, read_head(socket)).await {
            Ok(Ok(head)) => head,
            Ok(Err(error)) => {
                tracing::debug!(%error, "unreadable loopback request");
                return false;
            }
            Err(_) => {
                tracing::debug!("a loopback request too slow to arrive");
                return false;
            }
        };
        let delivery = match self.callback_url(&head) {
            Ok(url) => flows.deliver(&url),
            Err(reason) => {
                respond(socket, "400 Bad Request", &page(reason)).await;
                return false;
            }
        };
        match delivery {
            Delivery::Accepted => {
                respond(socket, "200 OK", done_page).await;
                true
            }
            Delivery::Rejected => {
                respond(socket, "400 Bad Request", &page(REJECTED)).await;
                true
            }
            Delivery::Dropped(reason) => {
                tracing::info!(?reason, "loopback redirect ignored");
                respond(socket, "400 Bad Request", &page(NOT_ACCEPTED)).await;
                false
            }
        }
    }

    /// Validates method, path and Host; returns the redirect URI with the request's query.
    fn callback_url(&self, head: &str) -> Result<String, &'static str> {
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
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        if path != CALLBACK_PATH {
            return Err("Unknown path.");
        }
        // Whatever Host was used, the flow registered the 127.0.0.1 form.
        Ok(format!("{}?{query}", self.redirect_uri()))
    }
}

fn page(text: &str) -> String {
    format!("<!doctype html><meta charset=utf-8><title>Patchbay</title><p>{text}</p>")
}

async fn respond(socket: &mut tokio::net::TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n\
         cache-control: no-store\r\nreferrer-policy: no-referrer\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = socket.write_all(response.as_bytes()).await {
        tracing::debug!(%error, "answering the loopback request");
    }
}

async fn read_head(socket: &mut tokio::net::TcpStream) -> std::io::Result<String> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    while !buffer.windows(4).any(|window| window == b"\r\n\r\n") {
        if buffer.len() > MAX_REQUEST_BYTES {
            return Err(std::io::Error::other("request head too large"));
        }
        let read = socket.read(&mut chunk).await?;
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
    use crate::oauth::flows::{Flows, IssuerCheck};

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
    async fn only_its_flows_answer_ends_the_wait() {
        let listener = Loopback::bind(None).await.expect("bind");
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
        let flows = Flows::new();
        let issuer = IssuerCheck {
            expected: Some("https://as".into()),
            required: false,
        };
        let waiter = flows.register("st", &uri, issuer);
        let serving = tokio::spawn(listener.serve(flows.clone(), "<p>done</p>".into()));
        let host = format!("127.0.0.1:{port}");
        let refused = [
            format!("GET /callback?code=c&state=st HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n"),
            format!("POST /callback?code=c&state=st HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            format!("GET /other?code=c&state=st HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            format!("GET /callback?code=c HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            // Well formed, but no flow sent this state.
            format!("GET /callback?code=c&state=forged HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            // A web page's CORS preflight (checklist 17: no CORS, CVE-2025-49596).
            format!(
                "OPTIONS /callback?code=c&state=st HTTP/1.1\r\nHost: {host}\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\n\r\n"
            ),
        ];
        for request in refused {
            let answer = send(port, request.clone()).await;
            assert!(
                answer.starts_with("HTTP/1.1 400"),
                "{request:?} must be refused: {answer}"
            );
            assert!(
                !answer.contains("code=c") && !answer.contains("forged"),
                "parameters are never echoed: {answer}"
            );
            assert!(
                !answer.to_ascii_lowercase().contains("access-control-"),
                "no CORS header: {answer}"
            );
        }
        assert!(
            !serving.is_finished() && flows.pending() == 1,
            "refused requests do not end the wait"
        );
        let answer = send(
            port,
            format!("GET /callback?code=the-code&state=st&iss=https%3A%2F%2Fas HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n"),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 200")
                && answer.contains("done")
                && !answer.to_ascii_lowercase().contains("access-control-"),
            "{answer}"
        );
        let callback = waiter
            .wait(Duration::from_secs(5))
            .await
            .expect("the flow got its answer");
        assert_eq!(
            callback
                .code
                .as_ref()
                .map(|c| c.expose().to_owned())
                .as_deref(),
            Some("the-code")
        );
        assert_eq!(
            (callback.state.as_str(), callback.issuer.as_deref()),
            ("st", Some("https://as"))
        );
        serving
            .await
            .expect("the listener ends after the one answer");
        assert!(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_err(),
            "the listener is closed after the one callback"
        );
    }

    /// Before, connections were read one after the other with a 10 s limit per read: a local
    /// client sending a byte every 9 s held the listener, and the browser's callback waited
    /// behind it for as long as it liked.
    #[tokio::test]
    async fn a_trickling_client_does_not_hold_back_the_callback() {
        let listener = Loopback::bind(None).await.expect("bind");
        let uri = listener.redirect_uri();
        let port: u16 = uri
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .parse()
            .expect("port");
        let flows = Flows::new();
        let issuer = IssuerCheck {
            expected: None,
            required: false,
        };
        let _waiter = flows.register("st", &uri, issuer);
        let serving = tokio::spawn(listener.serve(flows.clone(), "<p>done</p>".into()));
        let trickling = tokio::spawn(async move {
            let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect");
            for byte in "GET /callback?code=x&state=st HTTP/1.1\r\n".bytes().cycle() {
                if socket.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let answer = tokio::time::timeout(
            Duration::from_secs(3),
            send(
                port,
                format!("GET /callback?code=c&state=st HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
            ),
        )
        .await
        .expect("the callback is answered while the other client trickles");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        serving.await.expect("the listener ends after the callback");
        trickling.abort();
    }

    #[tokio::test]
    async fn a_wrong_issuer_ends_the_flow_and_closes_the_listener() {
        let listener = Loopback::bind(None).await.expect("bind");
        let uri = listener.redirect_uri();
        let port = uri
            .trim_start_matches("http://127.0.0.1:")
            .trim_end_matches("/callback")
            .to_owned();
        let flows = Flows::new();
        let issuer = IssuerCheck {
            expected: Some("https://as".into()),
            required: true,
        };
        let waiter = flows.register("st", &uri, issuer);
        let serving = tokio::spawn(listener.serve(flows.clone(), "<p>done</p>".into()));
        let answer = send(
            port.parse().expect("port"),
            format!("GET /callback?code=c&state=st&iss=https%3A%2F%2Fevil.example HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.1 400") && !answer.contains("evil"),
            "refused without echoing the issuer: {answer}"
        );
        assert!(
            matches!(
                waiter.wait(Duration::from_secs(5)).await,
                Err(super::OAuthError::IssuerMismatch)
            ),
            "the flow ends: RFC 9207 says not to proceed"
        );
        serving.await.expect("the listener ends with its flow");
    }
}
