//! A stand-in (a mock, said so) for a Streamable HTTP server with sessions that asks its question
//! on the session's standalone stream — as the TypeScript SDK's servers do when a tool handler
//! calls `server.request(...)` — and that opens that stream only `delay` after the client's `GET`
//! arrives. What it cannot deliver it drops, as that SDK does: a tool called before the stream is
//! open then answers `isError` naming the dropped question instead of hanging. No real server
//! here can be made to open its stream late on demand; the conformance suite's elicitation
//! scenario meets the same race only when the machine is loaded.
//!
//! Its one tool, `ask`, sends `elicitation/create` on the standalone stream and answers with what
//! the client sent back.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::Result;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::modern_peer::{ModernPeer, spawn};

const SESSION: &str = "late-stream-session";

#[derive(Default)]
struct Peer {
    /// The standalone stream, once open.
    standalone: Option<mpsc::UnboundedSender<Value>>,
    /// The tool call waiting for the answer to its question: its id and its response stream.
    pending: Option<(Value, mpsc::UnboundedSender<Value>)>,
}

type Shared = Arc<Mutex<Peer>>;

fn lock(peer: &Shared) -> std::sync::MutexGuard<'_, Peer> {
    peer.lock().unwrap_or_else(PoisonError::into_inner)
}

fn sse(receiver: mpsc::UnboundedReceiver<Value>) -> Response {
    let events = futures::stream::unfold(receiver, |mut receiver| async move {
        let message = receiver.recv().await?;
        Some((
            Ok::<_, Infallible>(Bytes::from(format!("data: {message}\n\n"))),
            receiver,
        ))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(events),
    )
        .into_response()
}

fn json_response(message: Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::HeaderName::from_static("mcp-session-id"),
                SESSION.to_owned(),
            ),
        ],
        message.to_string(),
    )
        .into_response()
}

fn tool_result(id: &Value, text: String, is_error: bool) -> Value {
    json!({
        "jsonrpc": "2.0", "id": id,
        "result": { "content": [{ "type": "text", "text": text }], "isError": is_error }
    })
}

async fn post(peer: Shared, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    let method = message.get("method").and_then(Value::as_str);
    let in_session = headers
        .get("mcp-session-id")
        .is_some_and(|value| value == SESSION);
    match method {
        Some("initialize") => json_response(json!({
            "jsonrpc": "2.0", "id": id,
            "result": {
                "protocolVersion": "2025-11-25",
                "capabilities": { "tools": {} },
                "serverInfo": { "name": "late-stream-peer", "version": "1.0.0" }
            }
        })),
        // What the TypeScript SDK answers to anything but `initialize` outside a session.
        _ if !in_session => (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            json!({ "jsonrpc": "2.0", "id": null,
                    "error": { "code": -32000, "message": "Bad Request: No valid session ID provided" } })
            .to_string(),
        )
            .into_response(),
        Some("tools/list") => json_response(json!({
            "jsonrpc": "2.0", "id": id,
            "result": { "tools": [{
                "name": "ask",
                "description": "Asks the person a question on the standalone stream",
                "inputSchema": { "type": "object" }
            }] }
        })),
        Some("tools/call") => {
            let (sender, receiver) = mpsc::unbounded_channel();
            let mut peer = lock(&peer);
            match &peer.standalone {
                Some(standalone) => {
                    let question = json!({
                        "jsonrpc": "2.0", "id": "question-1", "method": "elicitation/create",
                        "params": {
                            "message": "What is your name?",
                            "requestedSchema": { "type": "object", "properties": {
                                "name": { "type": "string", "default": "Ada" }
                            } }
                        }
                    });
                    let _ = standalone.send(question);
                    peer.pending = Some((id, sender));
                }
                None => {
                    let _ = sender.send(tool_result(
                        &id,
                        "the question was dropped: the standalone stream was not open yet".into(),
                        true,
                    ));
                }
            }
            sse(receiver)
        }
        // Notifications.
        Some(_) => StatusCode::ACCEPTED.into_response(),
        // The client's answer to the question: the waiting call completes with it.
        None => {
            if let Some((call, stream)) = lock(&peer).pending.take() {
                let answer = message.get("result").cloned().unwrap_or(Value::Null);
                let _ = stream.send(tool_result(&call, format!("answered: {answer}"), false));
            }
            StatusCode::ACCEPTED.into_response()
        }
    }
}

async fn get(peer: Shared, delay: Duration) -> Response {
    tokio::time::sleep(delay).await;
    let (sender, receiver) = mpsc::unbounded_channel();
    lock(&peer).standalone = Some(sender);
    sse(receiver)
}

/// Starts the stand-in on a free loopback port; it opens a session's standalone stream `delay`
/// after the client asks for it.
pub async fn serve(delay: Duration) -> Result<ModernPeer> {
    let peer = Shared::default();
    let (for_post, for_get) = (peer.clone(), peer);
    let app = axum::Router::new().route(
        "/mcp",
        axum::routing::post(move |headers, body| post(for_post.clone(), headers, body))
            .get(move || get(for_get.clone(), delay))
            .delete(|| async { StatusCode::OK }),
    );
    spawn(app).await
}
