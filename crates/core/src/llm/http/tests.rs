//! Round trips through reqwest and sse-stream against a one-shot HTTP server on loopback that
//! writes a canned answer in small pieces, and records the request it got.

use std::error::Error;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::*;
use crate::llm::fixtures::{self, ANTHROPIC_SSE, OPENAI_CHAT_JSON, OPENAI_CHAT_SSE};

type TestResult = Result<(), Box<dyn Error>>;

/// A key no server, log or error should ever show.
const SENTINEL_KEY: &str = "sk-SNTL-llm-0123456789";

/// What the test server does after reading the request.
enum Answer {
    /// Writes `head`, then `body` in 40-byte pieces, then closes.
    Write { head: String, body: String },
    /// Writes `head` and the first `prefix` bytes of `body`, then goes silent.
    Stall {
        head: String,
        body: String,
        prefix: usize,
    },
}

fn head(status: &str, content_type: &str, extra: &str) -> String {
    format!("HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n{extra}connection: close\r\n\r\n")
}

fn sse(body: &str) -> Answer {
    Answer::Write {
        head: head("200 OK", "text/event-stream", ""),
        body: body.to_owned(),
    }
}

fn json_answer(status: &str, body: &str, extra: &str) -> Answer {
    Answer::Write {
        head: head(status, "application/json", extra),
        body: body.to_owned(),
    }
}

/// Serves one request on a free loopback port; the handle yields the request as received
/// (headers lowercased by hyper, body included).
async fn serve_once(answer: Answer) -> std::io::Result<(Url, JoinHandle<std::io::Result<String>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let request = read_request(&mut socket).await?;
        match answer {
            Answer::Write { head, body } => {
                socket.write_all(head.as_bytes()).await?;
                for piece in body.as_bytes().chunks(40) {
                    socket.write_all(piece).await?;
                    socket.flush().await?;
                    tokio::task::yield_now().await;
                }
                socket.shutdown().await?;
            }
            Answer::Stall { head, body, prefix } => {
                socket.write_all(head.as_bytes()).await?;
                socket.write_all(&body.as_bytes()[..prefix]).await?;
                socket.flush().await?;
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
        Ok(request)
    });
    let url = Url::parse(&format!("http://{address}/v1"))
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    Ok((url, handle))
}

async fn read_request(socket: &mut TcpStream) -> std::io::Result<String> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let read = socket.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if received.len() >= end + 4 + length {
                break;
            }
        }
    }
    Ok(String::from_utf8_lossy(&received).into_owned())
}

fn fast_timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(5),
        first_byte: Duration::from_secs(20),
        idle: Duration::from_secs(20),
    }
}

fn client_for(kind: ProviderKind, url: Url, timeouts: Timeouts) -> HttpModelClient {
    HttpModelClient::new(kind, url, Some(Secret::new(SENTINEL_KEY)), timeouts)
}

#[tokio::test]
async fn openai_compatible_streams_with_the_bearer_key() -> TestResult {
    let (url, server) = serve_once(sse(OPENAI_CHAT_SSE)).await?;
    let client = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts());
    let mut events = Vec::new();
    let response = client
        .complete(&fixtures::sample_request(), &mut |event| events.push(event))
        .await?;
    fixtures::assert_recorded_call(&response);
    fixtures::assert_recorded_events(&events);

    let request = server.await??;
    assert!(
        request.starts_with("POST /v1/chat/completions "),
        "{request}"
    );
    assert!(
        request.contains(&format!("authorization: Bearer {SENTINEL_KEY}\r\n")),
        "the key goes as a bearer token: {request}"
    );
    assert!(
        request.contains("\"stream\":true"),
        "the answer is asked to stream"
    );
    Ok(())
}

#[tokio::test]
async fn anthropic_streams_with_the_api_key_header() -> TestResult {
    let (url, server) = serve_once(sse(ANTHROPIC_SSE)).await?;
    let client = client_for(ProviderKind::Anthropic, url, fast_timeouts());
    let mut events = Vec::new();
    let response = client
        .complete(&fixtures::sample_request(), &mut |event| events.push(event))
        .await?;
    fixtures::assert_recorded_call(&response);
    fixtures::assert_recorded_events(&events);

    let request = server.await??;
    assert!(request.starts_with("POST /v1/messages "), "{request}");
    assert!(
        request.contains(&format!("x-api-key: {SENTINEL_KEY}\r\n")),
        "{request}"
    );
    assert!(
        request.contains("anthropic-version: 2023-06-01\r\n"),
        "{request}"
    );
    assert!(
        !request.to_lowercase().contains("authorization:"),
        "Anthropic takes the key only as x-api-key"
    );
    Ok(())
}

#[tokio::test]
async fn a_server_that_ignores_stream_is_read_whole() -> TestResult {
    let (url, server) = serve_once(json_answer("200 OK", OPENAI_CHAT_JSON, "")).await?;
    let client = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts());
    let mut events = Vec::new();
    let response = client
        .complete(&fixtures::sample_request(), &mut |event| events.push(event))
        .await?;
    fixtures::assert_recorded_call(&response);
    fixtures::assert_recorded_events(&events);
    server.await??;
    Ok(())
}

#[tokio::test]
async fn a_refused_key_is_unauthorized_and_never_echoed() -> TestResult {
    let body = r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"#;
    let (url, server) = serve_once(json_answer("401 Unauthorized", body, "")).await?;
    let client = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts());
    let error = client
        .complete(&fixtures::sample_request(), &mut |_| {})
        .await
        .err();
    assert_eq!(
        error,
        Some(LlmError::Unauthorized {
            message: "Incorrect API key provided.".into()
        })
    );
    let shown = format!(
        "{error:?} {}",
        error.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    assert!(!shown.contains(SENTINEL_KEY), "the key leaked into {shown}");
    server.await??;
    Ok(())
}

#[tokio::test]
async fn a_rate_limit_carries_retry_after() -> TestResult {
    let body = r#"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down."}}"#;
    let answer = json_answer("429 Too Many Requests", body, "retry-after: 12\r\n");
    let (url, server) = serve_once(answer).await?;
    let client = client_for(ProviderKind::Anthropic, url, fast_timeouts());
    let error = client
        .complete(&fixtures::sample_request(), &mut |_| {})
        .await
        .err();
    assert_eq!(
        error,
        Some(LlmError::RateLimited {
            message: "Slow down.".into(),
            retry_after: Some(Duration::from_secs(12))
        })
    );
    server.await??;
    Ok(())
}

#[tokio::test]
async fn a_stalled_stream_times_out() -> TestResult {
    // The first three events: the call starts, then silence.
    let prefix = OPENAI_CHAT_SSE
        .match_indices("\n\n")
        .nth(2)
        .map_or(0, |(end, _)| end + 2);
    let answer = Answer::Stall {
        head: head("200 OK", "text/event-stream", ""),
        body: OPENAI_CHAT_SSE.to_owned(),
        prefix,
    };
    let (url, server) = serve_once(answer).await?;
    let timeouts = Timeouts {
        idle: Duration::from_millis(300),
        ..fast_timeouts()
    };
    let client = client_for(ProviderKind::OpenAiCompatible, url, timeouts);
    let mut events = Vec::new();
    let error = client
        .complete(&fixtures::sample_request(), &mut |event| events.push(event))
        .await
        .err();
    assert!(
        matches!(&error, Some(LlmError::Unreachable { reason, .. }) if reason.contains("stopped arriving")),
        "a stream that goes silent must end with a timeout: {error:?}"
    );
    assert!(
        !events.is_empty(),
        "what arrived before the stall was reported"
    );
    server.abort();
    Ok(())
}

#[tokio::test]
async fn a_silent_server_misses_the_first_byte_deadline() -> TestResult {
    let answer = Answer::Stall {
        head: String::new(),
        body: String::new(),
        prefix: 0,
    };
    let (url, server) = serve_once(answer).await?;
    let timeouts = Timeouts {
        first_byte: Duration::from_millis(300),
        ..fast_timeouts()
    };
    let client = client_for(ProviderKind::Anthropic, url, timeouts);
    let error = client
        .complete(&fixtures::sample_request(), &mut |_| {})
        .await
        .err();
    assert!(
        matches!(&error, Some(LlmError::Unreachable { reason, .. }) if reason.contains("no answer within 300 ms")),
        "{error:?}"
    );
    server.abort();
    Ok(())
}

#[tokio::test]
async fn a_closed_port_is_unreachable() -> TestResult {
    // Bind and release a port, so nothing listens there.
    let address = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    let url = Url::parse(&format!("http://user:password@{address}/v1?token=x"))?;
    let client = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts());
    let error = client.models().await.err();
    let Some(LlmError::Unreachable { url, reason }) = &error else {
        panic!("a refused connection is unreachable, got {error:?}");
    };
    assert_eq!(
        url,
        &format!("http://{address}/v1"),
        "credentials and query are not shown"
    );
    assert!(reason.contains("connection"), "{reason}");
    Ok(())
}

#[tokio::test]
async fn models_are_listed_in_both_formats() -> TestResult {
    let openai = r#"{"object":"list","data":[{"id":"gpt-4o","object":"model"},{"id":"router/x","name":"Router X","supported_parameters":["tools","seed"]}]}"#;
    let (url, server) = serve_once(json_answer("200 OK", openai, "")).await?;
    let models = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts())
        .models()
        .await?;
    assert_eq!(
        models,
        [
            ModelInfo {
                id: "gpt-4o".into(),
                display_name: None,
                tools: None
            },
            ModelInfo {
                id: "router/x".into(),
                display_name: Some("Router X".into()),
                tools: Some(true)
            },
        ]
    );
    assert_eq!(
        models[0].tool_support(),
        Some(true),
        "the table fills in what is unreported"
    );
    let request = server.await??;
    assert!(request.starts_with("GET /v1/models "), "{request}");

    let anthropic = r#"{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}"#;
    let (url, server) = serve_once(json_answer("200 OK", anthropic, "")).await?;
    let models = client_for(ProviderKind::Anthropic, url, fast_timeouts())
        .models()
        .await?;
    assert_eq!(models.len(), 1);
    assert_eq!(models[0].display_name.as_deref(), Some("Claude Sonnet 4.5"));
    let request = server.await??;
    assert!(
        request.starts_with("GET /v1/models?limit=1000 "),
        "{request}"
    );
    assert!(request.contains(&format!("x-api-key: {SENTINEL_KEY}\r\n")));
    Ok(())
}

#[tokio::test]
async fn a_wrong_model_is_named() -> TestResult {
    let body = r#"{"error":"model \"llama9\" not found, try pulling it first"}"#;
    let (url, server) = serve_once(json_answer("404 Not Found", body, "")).await?;
    let client = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts());
    let error = client
        .complete(&fixtures::sample_request(), &mut |_| {})
        .await
        .err();
    assert!(
        matches!(&error, Some(LlmError::UnknownModel { model, .. }) if model == "test-model"),
        "{error:?}"
    );
    server.await??;
    Ok(())
}

#[test]
fn debug_never_shows_the_key() -> TestResult {
    let client = client_for(
        ProviderKind::OpenAiCompatible,
        Url::parse("https://api.example.com/v1")?,
        Timeouts::default(),
    );
    let shown = format!("{client:?}");
    assert!(
        !shown.contains(SENTINEL_KEY),
        "Debug leaked the key: {shown}"
    );
    let headers = format!("{:?}", client.headers()?);
    assert!(
        !headers.contains(SENTINEL_KEY),
        "header Debug leaked the key: {headers}"
    );
    Ok(())
}

#[test]
fn endpoints_keep_the_base_path_and_query() -> TestResult {
    let client = client_for(
        ProviderKind::OpenAiCompatible,
        Url::parse("http://127.0.0.1:11434/v1/?api-version=1")?,
        Timeouts::default(),
    );
    assert_eq!(
        client.endpoint("chat/completions").as_str(),
        "http://127.0.0.1:11434/v1/chat/completions?api-version=1"
    );
    Ok(())
}

/// A keep-alive connection the server closed between two requests (llama.cpp's server did so
/// between two rounds of a step in CI): the request goes once more, on a new connection, and
/// the answer arrives. Before, the run failed with "connection closed before message completed".
#[tokio::test]
async fn a_connection_closed_without_an_answer_is_tried_once_more() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let server = tokio::spawn(async move {
        // The first connection takes the request and closes without a word.
        let (mut first, _) = listener.accept().await?;
        read_request(&mut first).await?;
        drop(first);
        let (mut second, _) = listener.accept().await?;
        let request = read_request(&mut second).await?;
        let answer = format!(
            "{}{}",
            head("200 OK", "application/json", ""),
            OPENAI_CHAT_JSON
        );
        second.write_all(answer.as_bytes()).await?;
        second.shutdown().await?;
        Ok::<_, std::io::Error>(request)
    });
    let url = Url::parse(&format!("http://{address}/v1"))?;
    let client = client_for(ProviderKind::OpenAiCompatible, url, fast_timeouts());
    let response = client
        .complete(&fixtures::sample_request(), &mut |_| {})
        .await?;
    fixtures::assert_recorded_call(&response);
    let request = server.await??;
    assert!(
        request.starts_with("POST /v1/chat/completions "),
        "{request}"
    );
    Ok(())
}
