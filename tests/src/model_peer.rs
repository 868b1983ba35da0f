//! A scripted LLM provider: one 127.0.0.1 server that speaks both OpenAI Chat Completions
//! (`POST /v1/chat/completions`) and Anthropic Messages (`POST /v1/messages`), streamed (SSE,
//! when the request says `"stream": true`) or not, plus `GET /v1/models`, for end-to-end tests of
//! the LLM step runner without a real model.
//!
//! It is a mock because a real model cannot be told what to answer: every conversation request
//! takes the next [`Turn`] of the script (a final text, tool calls, malformed arguments, an error,
//! a hang) and renders it in the wire format of the endpoint it came to, mirroring the responses
//! recorded from a real server in `shared/fixtures/llm/` (tool-call arguments split across
//! several SSE events, a finish chunk, a usage chunk, `[DONE]`; Anthropic's `message_start` …
//! `message_stop`). When the script runs out the peer answers "script exhausted" (see
//! [`EXHAUSTED`]), so a runaway loop shows in the transcript instead of hanging the test.
//!
//! Invariants: only a conversation request that passed the key check and the vendor's own request
//! validation (see `anthropic::validate`, `openai::validate`) consumes a turn; every request,
//! whatever its fate, is recorded verbatim ([`ModelPeer::requests`]) so tests can search the raw
//! text for secrets. Usage is deterministic: input tokens are the request body's length in bytes
//! divided by four ([`input_tokens`]) and every answer costs [`OUTPUT_TOKENS`]. Tool-call ids are
//! `call_<n>`, numbered from 1 across the peer's life and both wire formats.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::Value;

mod anthropic;
mod openai;
#[cfg(test)]
mod tests;

/// Every answer costs this many output tokens, so tests can check usage accounting.
pub const OUTPUT_TOKENS: u64 = 7;

/// The final text answered once the script has run out.
pub const EXHAUSTED: &str = "script exhausted";

/// The model named in answers to a request that names none, and listed by `GET /v1/models`
/// until [`ModelPeer::set_models`] says otherwise.
pub const DEFAULT_MODEL: &str = "scripted-model";

/// Streamed text and arguments are cut into pieces this many characters long: about a token, as
/// a real server sends them, so a client must reassemble them.
const FRAGMENT_CHARACTERS: usize = 4;

/// What the model answers to the next conversation request.
#[derive(Debug, Clone, PartialEq)]
pub enum Turn {
    /// A final answer.
    Text(String),
    /// One or several tool calls `(tool name, arguments)` in one answer.
    ToolCalls(Vec<(String, Value)>),
    /// One tool call whose arguments are this raw text, typically invalid JSON. Streamed, the
    /// fragments concatenate to the text; not streamed, OpenAI carries it as the `arguments`
    /// string and Anthropic as `input` (parsed when it is JSON, else the raw string, since the
    /// real API can only send an object there).
    RawArguments(String, String),
    /// Tool calls with stray text beside them, as llama.cpp sends (a lone `{` in `content`):
    /// a client must not show it as the answer.
    ToolCallsWithStrayText {
        text: String,
        calls: Vec<(String, Value)>,
    },
    /// An HTTP error. `body`: `Value::Null` sends the vendor's own body for the status (see
    /// `openai::error_body`, `anthropic::error_body`: 400 context too long, 401 bad key,
    /// 404 unknown model, 429, 500, 529 …), a string sends that message in the vendor's shape
    /// (OpenAI: with no `code` or `param`), anything else is sent verbatim. Streamed or not, an
    /// error is a plain JSON response, as the real APIs send errors found before answering.
    Error { status: u16, body: Value },
    /// Accepts the request and never answers (cancellation and timeout tests).
    Hang,
    /// Streamed: starts the answer and sends this text, then never finishes. Not streamed: as
    /// [`Turn::Hang`]. (Cancellation while a stream is under way.)
    TextThenHang(String),
}

impl Turn {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// One tool call.
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Self::ToolCalls(vec![(name.into(), arguments)])
    }

    /// Tool calls beside a lone `{`, llama.cpp's quirk.
    pub fn stray_brace(calls: Vec<(String, Value)>) -> Self {
        Self::ToolCallsWithStrayText {
            text: "{".into(),
            calls,
        }
    }

    /// An error with the vendor's own body for `status`.
    pub fn error(status: u16) -> Self {
        Self::Error {
            status,
            body: Value::Null,
        }
    }

    /// An error with `message` in the vendor's shape for `status`.
    pub fn error_message(status: u16, message: impl Into<String>) -> Self {
        Self::Error {
            status,
            body: Value::String(message.into()),
        }
    }
}

/// One request the peer received, whatever its fate.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Names lowercase, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Value::Null` when it is not JSON (or empty).
    pub body: Value,
    /// The body as text (lossy UTF-8): search it for secrets.
    pub raw: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The input tokens the peer reported for this request.
    pub fn input_tokens(&self) -> u64 {
        input_tokens(&self.raw)
    }

    /// The names of the tools offered, in either wire format (OpenAI `tools[].function.name`,
    /// Anthropic `tools[].name`).
    pub fn tool_names(&self) -> Vec<String> {
        self.body
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|tool| {
                tool.pointer("/function/name")
                    .or_else(|| tool.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .collect()
    }

    /// The tool results sent back, as sent: OpenAI `role: "tool"` messages and Anthropic
    /// `tool_result` content blocks (with `tool_use_id`, `content`, `is_error`).
    pub fn tool_results(&self) -> Vec<Value> {
        let messages = self
            .body
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        let mut results = Vec::new();
        for message in messages {
            if message.get("role").and_then(Value::as_str) == Some("tool") {
                results.push(message.clone());
            }
            let blocks = message
                .get("content")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            results.extend(
                blocks
                    .filter(|block| {
                        block.get("type").and_then(Value::as_str) == Some("tool_result")
                    })
                    .cloned(),
            );
        }
        results
    }
}

/// The input tokens reported for a request body: its length in bytes over four.
pub fn input_tokens(raw: &str) -> u64 {
    u64::try_from(raw.len() / 4).unwrap_or(u64::MAX)
}

#[derive(Default)]
struct Record {
    script: VecDeque<Turn>,
    /// Answered forever once the script is empty.
    repeating: Option<Turn>,
    requests: Vec<RecordedRequest>,
    key: Option<String>,
    models: Vec<String>,
    /// Conversation answers so far; names responses (`chatcmpl-peer-<n>`, `msg_peer_<n>`).
    answers: u64,
    /// Tool calls answered so far; names them (`call_<n>`).
    tool_calls: u64,
    /// Hung requests whose client went away.
    abandoned: usize,
}

struct Shared {
    record: Mutex<Record>,
}

impl Shared {
    fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running peer; stopped when dropped.
pub struct ModelPeer {
    shared: Arc<Shared>,
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ModelPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ModelPeer {
    /// Starts a peer answering `script` in order, on a free 127.0.0.1 port, on the current tokio
    /// runtime.
    pub async fn start(script: Vec<Turn>) -> Result<Self> {
        Self::launch(Record {
            script: script.into(),
            ..Record::default()
        })
        .await
    }

    /// Starts a peer answering `turn` to every conversation request, forever (max-rounds and
    /// repeated-call tests).
    pub async fn repeating(turn: Turn) -> Result<Self> {
        Self::launch(Record {
            repeating: Some(turn),
            ..Record::default()
        })
        .await
    }

    async fn launch(record: Record) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            record: Mutex::new(Record {
                models: vec![DEFAULT_MODEL.into()],
                ..record
            }),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("model peer stopped: {error}");
            }
        });
        Ok(Self { shared, port, task })
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL both vendors' clients expect.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// From now on, answers 401 in the vendor's shape unless the request carries this key
    /// (OpenAI `Authorization: Bearer KEY`, Anthropic `x-api-key: KEY`). A refused request
    /// consumes no turn.
    pub fn require_key(&self, key: impl Into<String>) {
        self.shared.record().key = Some(key.into());
    }

    /// The model ids `GET /v1/models` lists.
    pub fn set_models(&self, models: Vec<String>) {
        self.shared.record().models = models;
    }

    /// Appends turns to the script.
    pub fn push(&self, turns: impl IntoIterator<Item = Turn>) {
        self.shared.record().script.extend(turns);
    }

    /// Turns not answered yet.
    pub fn remaining_turns(&self) -> usize {
        self.shared.record().script.len()
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.record().requests.clone()
    }

    /// The conversation requests (chat completions and messages) received, in order.
    pub fn conversation_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|request| Vendor::conversing(&request.path).is_some())
            .collect()
    }

    /// Requests left hanging ([`Turn::Hang`], [`Turn::TextThenHang`]) whose client went away:
    /// proof that a cancelled run closed its connection.
    pub fn abandoned_requests(&self) -> usize {
        self.shared.record().abandoned
    }

    /// Waits until the peer has received `count` requests (e.g. before cancelling a hung one).
    pub async fn wait_for_requests(&self, count: usize, limit: Duration) -> Result<()> {
        self.wait_until(limit, |record| record.requests.len() >= count)
            .await
            .or_else(|_| bail!("fewer than {count} requests arrived within {limit:?}"))
    }

    /// Waits until `count` hung requests have been abandoned by their clients.
    pub async fn wait_for_abandoned(&self, count: usize, limit: Duration) -> Result<()> {
        self.wait_until(limit, |record| record.abandoned >= count)
            .await
            .or_else(|_| bail!("fewer than {count} hung requests were abandoned within {limit:?}"))
    }

    async fn wait_until(&self, limit: Duration, done: impl Fn(&Record) -> bool) -> Result<()> {
        let started = Instant::now();
        loop {
            if done(&self.shared.record()) {
                return Ok(());
            }
            if started.elapsed() >= limit {
                bail!("timed out");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The two wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    OpenAi,
    Anthropic,
}

impl Vendor {
    /// The vendor whose conversation endpoint `path` is.
    fn conversing(path: &str) -> Option<Self> {
        match path {
            "/v1/chat/completions" => Some(Self::OpenAi),
            "/v1/messages" => Some(Self::Anthropic),
            _ => None,
        }
    }

    /// The vendor a request speaks to: its endpoint, or for shared paths the
    /// `anthropic-version` header every Anthropic client sends.
    fn of(path: &str, headers: &HeaderMap) -> Self {
        Self::conversing(path).unwrap_or(if headers.contains_key("anthropic-version") {
            Self::Anthropic
        } else {
            Self::OpenAi
        })
    }

    /// `None` when the key matches; otherwise the 401 body (missing and wrong keys are told
    /// apart, as the real APIs do).
    fn refuse_key(self, headers: &HeaderMap, key: &str) -> Option<Value> {
        let presented = match self {
            Self::OpenAi => header_text(headers, header::AUTHORIZATION.as_str())
                .map(|value| value.strip_prefix("Bearer ").unwrap_or_default().to_owned()),
            Self::Anthropic => header_text(headers, "x-api-key").map(str::to_owned),
        };
        match presented {
            Some(presented) if presented == key => None,
            Some(_) => Some(self.error_body(401, None, "")),
            None => Some(match self {
                Self::OpenAi => openai::missing_key_body(),
                Self::Anthropic => anthropic::missing_key_body(),
            }),
        }
    }

    fn error_body(self, status: u16, message: Option<&str>, model: &str) -> Value {
        match self {
            Self::OpenAi => openai::error_body(status, message, model),
            Self::Anthropic => anthropic::error_body(status, message, model),
        }
    }

    /// The error body for a scripted [`Turn::Error`].
    fn scripted_error_body(self, status: u16, body: Value, model: &str) -> Value {
        match body {
            Value::Null => self.error_body(status, None, model),
            Value::String(message) => self.error_body(status, Some(&message), model),
            verbatim => verbatim,
        }
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// One tool call of an answer, its arguments as the text the model produced.
struct Call {
    id: String,
    name: String,
    arguments: String,
}

/// A complete answer, before a vendor renders it.
struct Message {
    /// Text beside the calls, or the final answer when there are none.
    text: Option<String>,
    calls: Vec<Call>,
}

/// What the request is answered with, for the vendor modules.
struct Exchange {
    model: String,
    input_tokens: u64,
    /// Names the response (`chatcmpl-peer-<n>`, `msg_peer_<n>`).
    answer: u64,
    /// Unix seconds.
    created: u64,
}

/// A turn resolved against the peer's counters.
enum Plan {
    Answer(Message),
    Error { status: u16, body: Value },
    Hang,
    TextThenHang(String),
}

/// Takes the next turn and numbers its calls.
fn next_plan(record: &mut Record) -> Plan {
    let turn = record
        .script
        .pop_front()
        .or_else(|| record.repeating.clone())
        .unwrap_or_else(|| Turn::text(EXHAUSTED));
    let mut call = |name: String, arguments: String| {
        record.tool_calls += 1;
        Call {
            id: format!("call_{}", record.tool_calls),
            name,
            arguments,
        }
    };
    match turn {
        Turn::Text(text) => Plan::Answer(Message {
            text: Some(text),
            calls: Vec::new(),
        }),
        Turn::ToolCalls(calls) => Plan::Answer(Message {
            text: None,
            calls: calls
                .into_iter()
                .map(|(name, arguments)| call(name, arguments.to_string()))
                .collect(),
        }),
        Turn::RawArguments(name, arguments) => Plan::Answer(Message {
            text: None,
            calls: vec![call(name, arguments)],
        }),
        Turn::ToolCallsWithStrayText { text, calls } => Plan::Answer(Message {
            text: Some(text),
            calls: calls
                .into_iter()
                .map(|(name, arguments)| call(name, arguments.to_string()))
                .collect(),
        }),
        Turn::Error { status, body } => Plan::Error { status, body },
        Turn::Hang => Plan::Hang,
        Turn::TextThenHang(text) => Plan::TextThenHang(text),
    }
}

/// `text` cut into pieces of [`FRAGMENT_CHARACTERS`] characters (never inside a character).
fn fragments(text: &str) -> Vec<String> {
    let characters: Vec<char> = text.chars().collect();
    characters
        .chunks(FRAGMENT_CHARACTERS)
        .map(|chunk| chunk.iter().collect())
        .collect()
}

fn json_response(status: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Counts a hung request as abandoned when its handler is dropped, which only happens when the
/// client goes away (a hung handler never finishes).
struct Abandonment(Arc<Shared>);

impl Drop for Abandonment {
    fn drop(&mut self) {
        self.0.record().abandoned += 1;
    }
}

/// An SSE response sending `events`, then either ending or (with `hang`) never ending.
fn event_stream(events: Vec<String>, hang: Option<Abandonment>) -> Response {
    let sent =
        futures::stream::iter(events).map(|event| Ok::<Bytes, Infallible>(Bytes::from(event)));
    let body = match hang {
        None => Body::from_stream(sent),
        Some(abandonment) => Body::from_stream(sent.chain(futures::stream::once(async move {
            let _held = abandonment;
            std::future::pending::<Result<Bytes, Infallible>>().await
        }))),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn hang(shared: Arc<Shared>) -> Response {
    let _held = Abandonment(shared);
    std::future::pending::<Response>().await
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let raw = String::from_utf8_lossy(&body).into_owned();
    let parsed: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let vendor = Vendor::of(&path, &headers);
    let key = {
        let mut record = shared.record();
        record.requests.push(RecordedRequest {
            method: method.to_string(),
            path: path.clone(),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body: parsed.clone(),
            raw: raw.clone(),
        });
        record.key.clone()
    };
    if let Some(key) = key
        && let Some(refusal) = vendor.refuse_key(&headers, &key)
    {
        return json_response(401, &refusal);
    }
    match (&method, path.as_str()) {
        (&Method::GET, "/v1/models") => {
            let models = shared.record().models.clone();
            match vendor {
                Vendor::OpenAi => json_response(200, &openai::models(&models)),
                Vendor::Anthropic => json_response(200, &anthropic::models(&models)),
            }
        }
        (&Method::POST, "/v1/chat/completions") | (&Method::POST, "/v1/messages") => {
            converse(shared, vendor, &headers, parsed, &raw).await
        }
        _ => {
            let message = format!("Invalid URL ({method} {path})");
            json_response(404, &vendor.error_body(404, Some(&message), ""))
        }
    }
}

/// Answers a chat completion or a message with the next turn.
async fn converse(
    shared: Arc<Shared>,
    vendor: Vendor,
    headers: &HeaderMap,
    body: Value,
    raw: &str,
) -> Response {
    let problem = match vendor {
        Vendor::OpenAi => openai::validate(&body),
        Vendor::Anthropic => anthropic::validate(headers, &body),
    };
    if let Some(message) = problem {
        return json_response(400, &vendor.error_body(400, Some(&message), ""));
    }
    let stream = body.get("stream").and_then(Value::as_bool) == Some(true);
    let (plan, answer) = {
        let mut record = shared.record();
        record.answers += 1;
        (next_plan(&mut record), record.answers)
    };
    let exchange = Exchange {
        model: body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or(DEFAULT_MODEL)
            .to_owned(),
        input_tokens: input_tokens(raw),
        answer,
        created: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_secs())
            .unwrap_or_default(),
    };
    match plan {
        Plan::Error { status, body } => json_response(
            status,
            &vendor.scripted_error_body(status, body, &exchange.model),
        ),
        Plan::Hang => hang(shared).await,
        Plan::TextThenHang(_) if !stream => hang(shared).await,
        Plan::TextThenHang(text) => {
            let events = match vendor {
                Vendor::OpenAi => openai::unfinished_events(&text, &exchange),
                Vendor::Anthropic => anthropic::unfinished_events(&text, &exchange),
            };
            event_stream(events, Some(Abandonment(shared)))
        }
        Plan::Answer(message) if stream => {
            let events = match vendor {
                Vendor::OpenAi => openai::events(&message, &exchange),
                Vendor::Anthropic => anthropic::events(&message, &exchange),
            };
            event_stream(events, None)
        }
        Plan::Answer(message) => {
            let body = match vendor {
                Vendor::OpenAi => openai::completion(&message, &exchange),
                Vendor::Anthropic => anthropic::message(&message, &exchange),
            };
            json_response(200, &body)
        }
    }
}
