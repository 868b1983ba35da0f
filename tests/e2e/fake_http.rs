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
