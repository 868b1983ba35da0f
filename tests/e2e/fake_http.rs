//! Deliberately broken HTTP servers: a website (HTML 200), a server that accepts connections and
//! never answers, and a fixed status. These are stand-ins because no real MCP peer misbehaves on
//! demand; each is the smallest honest imitation of what a user meets when they paste a wrong URL.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub enum Behaviour {
    Html,
    Hang,
    Status(u16),
    /// 401 with a Bearer challenge, whatever the token: a resource server rejecting a wrong or
    /// expired token (the SDK's OAuth demo answers 500 to unknown tokens, so it cannot stand in).
    Unauthorized,
}

/// Serves `behaviour` on a free port until the runtime ends; returns the base URL.
pub async fn serve(behaviour: Behaviour) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let behaviour = std::sync::Arc::new(behaviour);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let behaviour = behaviour.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 8192];
                if socket.read(&mut buffer).await.is_err() {
                    return;
                }
                let response = match *behaviour {
                    Behaviour::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                    Behaviour::Html => {
                        let body = "<!doctype html><html><body><h1>Welcome</h1></body></html>";
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    }
                    Behaviour::Unauthorized => "HTTP/1.1 401 Unauthorized\r\n\
                         www-authenticate: Bearer error=\"invalid_token\"\r\n\
                         content-length: 0\r\nconnection: close\r\n\r\n"
                        .to_owned(),
                    Behaviour::Status(code) => format!(
                        "HTTP/1.1 {code} Status\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    ),
                };
                if let Err(error) = socket.write_all(response.as_bytes()).await {
                    eprintln!("fake server write: {error}");
                }
            });
        }
    });
    Ok(url)
}

/// One canned answer of a [`Routes`] server.
#[derive(Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(value: &serde_json::Value) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request a [`Routes`] server received: method, path (with query) and header lines.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

/// A server with a fixed answer per path (query ignored; unknown paths get 404) that records
/// every request, so a test can check what a client asked for, in which order, with which
/// headers. Hostile discovery documents are served this way: no real authorization server
/// misbehaves on demand.
pub struct Routes {
    pub base: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl Routes {
    /// Starts on a free port; `routes` receives the base URL (`http://127.0.0.1:PORT`) so
    /// documents can point at the server itself.
    pub async fn serve(routes: impl FnOnce(&str) -> Vec<(String, Answer)>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let table: std::sync::Arc<Vec<(String, Answer)>> = std::sync::Arc::new(routes(&base));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (table, log) = (table.clone(), log.clone());
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut socket).await else {
                        return;
                    };
                    let route = request
                        .path
                        .split('?')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    log.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(request);
                    let answer = table
                        .iter()
                        .find(|(path, _)| *path == route)
                        .map(|(_, answer)| answer.clone())
                        .unwrap_or_else(|| Answer::status(404));
                    let mut head = format!("HTTP/1.1 {} Status\r\n", answer.status);
                    for (name, value) in &answer.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str(&format!(
                        "content-length: {}\r\nconnection: close\r\n\r\n",
                        answer.body.len()
                    ));
                    let mut bytes = head.into_bytes();
                    bytes.extend_from_slice(&answer.body);
                    if let Err(error) = socket.write_all(&bytes).await {
                        eprintln!("routes server write: {error}");
                    }
                });
            }
        });
        Ok(Self { base, seen })
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The paths requested so far, in arrival order.
    pub fn paths(&self) -> Vec<String> {
        self.seen().into_iter().map(|seen| seen.path).collect()
    }
}

/// Reads one request head (and ignores any body).
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buffer.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 || buffer.len() > 64 * 1024 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers = lines
        .take_while(|line| !line.is_empty())
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Some(Seen {
        method,
        path,
        headers,
    })
}
