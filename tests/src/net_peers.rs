//! Network middlemen for the proxy and custom-CA tests, small because no packaged one can be
//! started per test on a free port without configuration files:
//!
//! - [`http_proxy`]: a forward HTTP proxy (absolute-form requests and `CONNECT` tunnels), with
//!   optional Basic credentials (`407` without them), that records what it forwarded;
//! - [`tls_front`]: TLS in front of a plain server (server-everything), with a certificate for
//!   `localhost`/`127.0.0.1` issued by a fresh test CA (rcgen) whose PEM the test can trust.

use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result};
use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running proxy.
pub struct HttpProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
    refused: Arc<Mutex<usize>>,
}

impl HttpProxy {
    /// Each request it forwarded, as `METHOD target`.
    pub fn forwarded(&self) -> Vec<String> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How many requests it refused for lack of credentials.
    pub fn refused(&self) -> usize {
        *self.refused.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts a proxy on a free port for the life of the runtime; with `credentials`
/// (`user`, `password`) it answers `407` to requests without them.
pub async fn http_proxy(credentials: Option<(&str, &str)>) -> Result<HttpProxy> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let expected = credentials.map(|(user, password)| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let refused = Arc::new(Mutex::new(0));
    let (seen_in, refused_in) = (seen.clone(), refused.clone());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let expected = expected.clone();
            let seen = seen_in.clone();
            let refused = refused_in.clone();
            tokio::spawn(async move {
                let _ = proxy_one(client, expected.as_deref(), &seen, &refused).await;
            });
        }
    });
    Ok(HttpProxy { url, seen, refused })
}

/// Reads an HTTP head (up to the blank line), keeping any bytes read past it.
async fn read_head(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let read = stream.read(&mut chunk).await?;
        anyhow::ensure!(read > 0, "closed before a head");
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buffer.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&buffer).into_owned(), rest));
        }
        anyhow::ensure!(buffer.len() < 64 * 1024, "head too large");
    }
}

async fn proxy_one(
    mut client: TcpStream,
    expected: Option<&str>,
    seen: &Mutex<Vec<String>>,
    refused: &Mutex<usize>,
) -> Result<()> {
    let (head, rest) = read_head(&mut client).await?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_owned();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let version = parts.next().unwrap_or("HTTP/1.1").to_owned();
    let headers: Vec<&str> = lines.filter(|line| !line.is_empty()).collect();
    let authorization = headers.iter().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_owned())
    });
    if let Some(expected) = expected
        && authorization.as_deref() != Some(expected)
    {
        *refused.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"patchbay-test\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    seen.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(format!("{method} {target}"));
    if method.eq_ignore_ascii_case("CONNECT") {
        let mut upstream = TcpStream::connect(&target)
            .await
            .with_context(|| format!("connecting to {target}"))?;
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        upstream.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // Absolute form: `POST http://host:port/path HTTP/1.1`, sent on as origin form, one request
    // per connection (`Connection: close`), without the proxy's own header.
    let url = url::Url::parse(&target).context("an absolute-form target")?;
    let host = url.host_str().context("a host")?;
    let port = url.port_or_known_default().context("a port")?;
    let mut path = url.path().to_owned();
    if let Some(query) = url.query() {
        path.push('?');
        path.push_str(query);
    }
    let mut forwarded = format!("{method} {path} {version}\r\n");
    for line in &headers {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("proxy-authorization")
            || name.eq_ignore_ascii_case("proxy-connection")
            || name.eq_ignore_ascii_case("connection")
        {
            continue;
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    let mut upstream = TcpStream::connect((host, port)).await?;
    upstream.write_all(forwarded.as_bytes()).await?;
    upstream.write_all(&rest).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut upstream_read, mut upstream_write) = upstream.into_split();
    // The rest of the request body, as it comes.
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut upstream_write).await;
    });
    // The response, told to close the client's connection too, so the client never sends a
    // second request into this one-request tunnel.
    let (head, body) = read_head(&mut upstream_read).await?;
    let mut lines: Vec<&str> = head
        .trim_end_matches("\r\n")
        .split("\r\n")
        .filter(|line| {
            !line
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("connection")
                || !line.contains(':')
        })
        .collect();
    lines.push("Connection: close");
    let head = format!("{}\r\n\r\n", lines.join("\r\n"));
    client_write.write_all(head.as_bytes()).await?;
    client_write.write_all(&body).await?;
    tokio::io::copy(&mut upstream_read, &mut client_write).await?;
    Ok(())
}

/// TLS in front of a plain server.
pub struct TlsFront {
    /// `https://localhost:PORT`.
    pub base_url: String,
    /// The test CA's certificate, PEM: trusting it makes the front's certificate valid.
    pub ca_pem: String,
}

/// Starts TLS on a free port, forwarding each connection's plaintext to `127.0.0.1:upstream`.
pub async fn tls_front(upstream: u16) -> Result<TlsFront> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Patchbay Test CA");
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
    leaf.distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf_key = KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    let identity = tokio_native_tls::native_tls::Identity::from_pkcs8(
        leaf_cert.pem().as_bytes(),
        leaf_key.serialize_pem().as_bytes(),
    )?;
    let acceptor = tokio_native_tls::TlsAcceptor::from(
        tokio_native_tls::native_tls::TlsAcceptor::new(identity)?,
    );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    Ok(TlsFront {
        base_url: format!("https://localhost:{port}"),
        ca_pem: ca_cert.pem(),
    })
}
