//! `bench`: the measuring side of `cargo xtask bench` (xtask/src/bench.rs starts the peers,
//! runs this and the TypeScript SDK's client side by side, and writes `bench/RESULTS.md`). Each
//! subcommand prints one JSON line; times are in milliseconds.
//!
//! - `connect --client patchbay|floor --url U --n N [--warmup W]` (P1): per iteration, open a
//!   session (initialize), list the tools, close it. `patchbay` is Patchbay's client
//!   (`patchbay_core::mcp::Session`, what every check and step uses); `floor` is the same
//!   JSON-RPC exchange written by hand on reqwest (the HTTP stack under both), so the difference
//!   is what Patchbay's MCP layers cost.
//! - `calls --client … --url U --n N [--warmup W]` (P2): one session, N sequential `echo` calls.
//! - `sweep --url HEALTHY --n N --timeout-ms T` (P3): N connectors (60 % healthy, 20 % refusing,
//!   20 % hanging) checked by the status monitor with its default concurrency; when each was
//!   classified, and the longest stall of a 5 ms ticker on the same runtime meanwhile.
//! - `steps --url U --rounds R --runs K` (P6): a step run by the real runner with a scripted,
//!   instant model that calls `echo` each round; the per-round cost beyond the tool call itself.
//! - `store --n N --reps K` (P8): list N connectors through the facade; open the store and
//!   decrypt one secret, cold (a new store and vault each time).
//! - `app --bin PATH --runs N --idle-secs S` (P4, P5): start a Tauri app until its page says it
//!   painted (`patchbay-ready` on stdout, when `PATCHBAY_BENCH_READY` is set), N times; after the
//!   last start wait S seconds (0: no memory figure) and sum the PSS of its processes (the app
//!   and WebKit's).
//! - `whole --cli PATH --url U --node NODE --script TS --n N --list-n L` (context): whole
//!   processes as a person runs them, wall time and peak RSS (GNU time): `patchbay tools` and
//!   `patchbay call … echo` against U beside the TypeScript SDK doing the same in node, and
//!   `patchbay connector list --json` over L connectors. Needs the Secret Service (the CLI opens
//!   the OS keychain): the harness runs it in a private keyring session.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use patchbay_core::llm::{
    Event, LlmError, Message, ModelClient, ModelInfo, Request, Response, StopReason, ToolCall,
};
use patchbay_core::mcp::{Endpoint, Session};
use patchbay_core::runner::{self, ApprovalRequest, Gate, GateAnswer, RunFront, RunSettings};
use patchbay_core::{Approval, AuthKind, ConnectorSpec, MemoryKeychain, Patchbay, Secret};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// `--key value` pairs after the subcommand.
struct Args(HashMap<String, String>);

impl Args {
    fn parse(words: &[String]) -> Result<Self> {
        let mut map = HashMap::new();
        let mut words = words.iter();
        while let Some(word) = words.next() {
            let key = word
                .strip_prefix("--")
                .with_context(|| format!("expected --option, got {word:?}"))?;
            let value = words
                .next()
                .with_context(|| format!("--{key} needs a value"))?;
            map.insert(key.to_owned(), value.clone());
        }
        Ok(Self(map))
    }

    fn text(&self, key: &str) -> Result<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .with_context(|| format!("--{key} is required"))
    }

    fn number(&self, key: &str, default: Option<u64>) -> Result<u64> {
        match (self.0.get(key), default) {
            (Some(value), _) => value
                .parse()
                .with_context(|| format!("--{key} takes a number, not {value:?}")),
            (None, Some(default)) => Ok(default),
            (None, None) => bail!("--{key} is required"),
        }
    }
}

fn ms(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

fn main() -> Result<()> {
    let words: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = words.split_first() else {
        bail!("usage: bench connect|calls|sweep|steps|store|app --option value …");
    };
    let args = Args::parse(rest)?;
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let output = match command.as_str() {
        "connect" | "calls" => runtime.block_on(client(command, &args))?,
        "sweep" => runtime.block_on(sweep(&args))?,
        "steps" => runtime.block_on(steps(&args))?,
        "store" => runtime.block_on(store(&args))?,
        "app" => app(&args)?,
        "whole" => runtime.block_on(whole(&args))?,
        other => bail!("unknown subcommand {other:?}"),
    };
    println!("{output}");
    Ok(())
}

// --- P1, P2: clients -------------------------------------------------------------------------

const ECHO_ARGS: &str = r#"{"message":"hi"}"#;

async fn client(mode: &str, args: &Args) -> Result<Value> {
    let which = args.text("client")?;
    let url = url::Url::parse(args.text("url")?)?;
    let n = args.number("n", None)?;
    let warmup = args.number("warmup", Some(3))?;
    let arguments: serde_json::Map<String, Value> = serde_json::from_str(ECHO_ARGS)?;
    let mut samples = Vec::new();
    match (mode, which) {
        ("connect", "patchbay") => {
            for i in 0..warmup + n {
                let started = Instant::now();
                let session = Session::connect(&Endpoint::new(url.clone()))
                    .await
                    .map_err(|diagnosis| anyhow::anyhow!("{}", diagnosis.detail))?;
                let connected = started.elapsed();
                let tools = session.list_tools().await?;
                let listed = started.elapsed();
                session.close().await;
                if std::env::var_os("BENCH_PHASES").is_some() {
                    eprintln!(
                        "connect {connected:?} list {listed:?} close {:?}",
                        started.elapsed()
                    );
                }
                anyhow::ensure!(!tools.is_empty(), "the server lists tools");
                if i >= warmup {
                    samples.push(ms(started.elapsed()));
                }
            }
        }
        ("connect", "floor") => {
            let floor = Floor::new(url.as_str())?;
            for i in 0..warmup + n {
                let started = Instant::now();
                let session = floor.open().await?;
                let tools = floor
                    .request(Some(&session), "tools/list", json!({}))
                    .await?;
                floor.close(&session).await?;
                anyhow::ensure!(tools["tools"].as_array().is_some(), "{tools}");
                if i >= warmup {
                    samples.push(ms(started.elapsed()));
                }
            }
        }
        ("calls", "patchbay") => {
            let session = Session::connect(&Endpoint::new(url.clone()))
                .await
                .map_err(|diagnosis| anyhow::anyhow!("{}", diagnosis.detail))?;
            for i in 0..warmup + n {
                let started = Instant::now();
                let result = session.call_tool("echo", Some(arguments.clone())).await?;
                anyhow::ensure!(result.is_error != Some(true), "echo failed");
                if i >= warmup {
                    samples.push(ms(started.elapsed()));
                }
            }
            session.close().await;
        }
        ("calls", "floor") => {
            let floor = Floor::new(url.as_str())?;
            let session = floor.open().await?;
            for i in 0..warmup + n {
                let started = Instant::now();
                let result = floor
                    .request(
                        Some(&session),
                        "tools/call",
                        json!({ "name": "echo", "arguments": arguments }),
                    )
                    .await?;
                anyhow::ensure!(result["content"].is_array(), "{result}");
                if i >= warmup {
                    samples.push(ms(started.elapsed()));
                }
            }
            floor.close(&session).await?;
        }
        (mode, which) => bail!("no {mode} benchmark for client {which:?}"),
    }
    Ok(json!({ "client": which, "mode": mode, "n": n, "samples_ms": samples }))
}

/// The raw-HTTP floor: Streamable HTTP by hand (POST JSON-RPC, read a JSON or SSE answer, keep
/// the session id), on reqwest with a kept-alive connection pool like every client here.
struct Floor {
    http: reqwest::Client,
    url: String,
    ids: AtomicU64,
}

/// The revision Patchbay and the TypeScript SDK negotiate with these servers (a 2025 server
/// answers a newer one with its latest), so the floor asks the servers for the same work.
const PROTOCOL: &str = "2025-11-25";

impl Floor {
    fn new(url: &str) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().build()?,
            url: url.to_owned(),
            ids: AtomicU64::new(1),
        })
    }

    fn post(&self, session: Option<&str>, body: &Value) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .post(&self.url)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL)
            .json(body);
        if let Some(session) = session {
            request = request.header("mcp-session-id", session);
        }
        request
    }

    /// Initialize and `notifications/initialized`; the session id.
    async fn open(&self) -> Result<String> {
        let body = json!({
            "jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": { "name": "floor", "version": "1" }
            }
        });
        let response = self.post(None, &body).send().await?.error_for_status()?;
        let session = response
            .headers()
            .get("mcp-session-id")
            .and_then(|value| value.to_str().ok())
            .context("the server keeps sessions")?
            .to_owned();
        answer(response).await?;
        let initialized = json!({ "jsonrpc": "2.0", "method": "notifications/initialized" });
        self.post(Some(&session), &initialized)
            .send()
            .await?
            .error_for_status()?;
        Ok(session)
    }

    async fn request(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let response = self.post(session, &body).send().await?.error_for_status()?;
        answer(response).await
    }

    async fn close(&self, session: &str) -> Result<()> {
        self.http
            .delete(&self.url)
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", PROTOCOL)
            .send()
            .await?;
        Ok(())
    }
}

/// The JSON-RPC result in a response: its body, or the `data:` of an SSE stream's message.
async fn answer(response: reqwest::Response) -> Result<Value> {
    let sse = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/event-stream"));
    let text = response.text().await?;
    let message: Value = if sse {
        text.lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
            .find(|message| message.get("id").is_some())
            .context("no answer in the event stream")?
    } else {
        serde_json::from_str(&text)?
    };
    match message.get("result") {
        Some(result) => Ok(result.clone()),
        None => bail!("error answer: {message}"),
    }
}

// --- P3: the status sweep --------------------------------------------------------------------

async fn sweep(args: &Args) -> Result<Value> {
    let healthy = args.text("url")?.to_owned();
    let n = args.number("n", Some(200))?;
    let timeout = Duration::from_millis(args.number("timeout-ms", Some(2000))?);
    let dir = tempfile::tempdir()?;
    let app = Arc::new(
        Patchbay::open(dir.path(), MemoryKeychain::new(), "dev.patchbay.bench")?.with_timeouts(
            patchbay_core::Timeouts {
                connect: timeout,
                request: timeout,
            },
        ),
    );
    let hanging = patchbay_tests::bench_peer::serve_hanging().await?;
    let refusing = patchbay_tests::bench_peer::refusing_url()?;
    let mut kinds = HashMap::new();
    for i in 0..n {
        let (kind, url) = match i % 5 {
            0..=2 => ("healthy", healthy.as_str()),
            3 => ("refusing", refusing.as_str()),
            _ => ("hanging", hanging.as_str()),
        };
        let name = format!("c{i:04}");
        let spec = ConnectorSpec {
            name: name.clone(),
            url: url.to_owned(),
            auth: AuthKind::None,
            token: None,
            headers: Vec::new(),
            oauth: None,
            network: Default::default(),
        };
        app.add_connector(patchbay_core::DEFAULT_WORKSPACE, spec, false)
            .await?;
        kinds.insert(name, kind);
    }
    let config = patchbay_core::MonitorConfig {
        interval: Duration::from_secs(3600),
        check_timeout: timeout,
        ..Default::default()
    };
    let concurrency = config.concurrency;
    // The longest gap between ticks of a 5 ms timer on the monitor's runtime.
    let stall = Arc::new(AtomicU64::new(0));
    let ticking = CancellationToken::new();
    let ticker = {
        let (stall, ticking) = (stall.clone(), ticking.clone());
        tokio::spawn(async move {
            let mut last = Instant::now();
            while !ticking.is_cancelled() {
                tokio::time::sleep(Duration::from_millis(5)).await;
                let gap = last.elapsed().as_micros() as u64;
                stall.fetch_max(gap, Ordering::Relaxed);
                last = Instant::now();
            }
        })
    };
    let done: Arc<Mutex<Vec<(String, f64)>>> = Arc::default();
    let started = Instant::now();
    let handle = {
        let done = done.clone();
        patchbay_core::spawn_monitor(app.clone(), config, move |outcome| {
            done.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push((outcome.connector.name.clone(), ms(started.elapsed())));
        })
    };
    let limit = timeout * (n as u32 + 2) + Duration::from_secs(30);
    while done.lock().map(|done| done.len()).unwrap_or_default() < n as usize {
        anyhow::ensure!(started.elapsed() < limit, "the sweep did not finish");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.stop();
    ticking.cancel();
    let _ = ticker.await;
    let done = done.lock().map(|done| done.clone()).unwrap_or_default();
    let mut last_by_kind: HashMap<&str, f64> = HashMap::new();
    for (name, at) in &done {
        let kind = kinds.get(name).copied().unwrap_or("?");
        let entry = last_by_kind.entry(kind).or_default();
        *entry = entry.max(*at);
    }
    let all = done.iter().map(|(_, at)| *at).fold(0.0, f64::max);
    Ok(json!({
        "n": n,
        "timeout_ms": ms(timeout),
        "concurrency": concurrency,
        "all_classified_ms": all,
        "last_by_kind_ms": last_by_kind,
        "longest_stall_ms": stall.load(Ordering::Relaxed) as f64 / 1e3,
    }))
}

// --- P6: step orchestration ------------------------------------------------------------------

/// A model that answers at once: a call to the first tool offered each round (with a new
/// message, so it is no repeat), then a final answer after `rounds - 1` calls.
struct InstantModel {
    rounds: u32,
}

#[async_trait::async_trait]
impl ModelClient for InstantModel {
    async fn complete(
        &self,
        request: &Request,
        _on_event: &mut (dyn FnMut(Event) + Send),
    ) -> Result<Response, LlmError> {
        let results = request
            .messages
            .iter()
            .filter(|message| matches!(message, Message::ToolResult(_)))
            .count() as u32;
        let tool = request.tools.first().map(|tool| tool.name.clone());
        let (text, tool_calls, stop) = match tool {
            Some(tool) if results + 1 < self.rounds => {
                let mut arguments = serde_json::Map::new();
                arguments.insert("message".into(), json!(format!("round {results}")));
                (
                    String::new(),
                    vec![ToolCall {
                        id: format!("call-{results}"),
                        name: tool,
                        arguments: patchbay_core::llm::Arguments::Object(arguments),
                    }],
                    StopReason::ToolUse,
                )
            }
            _ => ("done".to_owned(), Vec::new(), StopReason::EndTurn),
        };
        Ok(Response {
            text,
            tool_calls,
            stop,
            usage: None,
            model: request.model.clone(),
        })
    }

    async fn models(&self) -> Result<Vec<ModelInfo>, LlmError> {
        Ok(Vec::new())
    }
}

struct Approve;

#[async_trait::async_trait]
impl Gate for Approve {
    async fn decide(&self, _request: &ApprovalRequest) -> GateAnswer {
        GateAnswer::Run(Approval::AutoApproved)
    }
}

struct Quiet;

impl RunFront for Quiet {
    fn event(&self, _event: runner::RunEvent<'_>) {}
}

async fn steps(args: &Args) -> Result<Value> {
    let url = url::Url::parse(args.text("url")?)?;
    let rounds = args.number("rounds", Some(20))? as u32;
    let runs = args.number("runs", Some(5))?;
    let arguments: serde_json::Map<String, Value> = serde_json::from_str(ECHO_ARGS)?;
    let mut per_round = Vec::new();
    let mut call_alone = Vec::new();
    for _ in 0..runs + 1 {
        let session = Session::connect(&Endpoint::new(url.clone()))
            .await
            .map_err(|diagnosis| anyhow::anyhow!("{}", diagnosis.detail))?;
        // The same call outside a run, on the same session, to subtract.
        for _ in 0..rounds {
            let started = Instant::now();
            session.call_tool("echo", Some(arguments.clone())).await?;
            call_alone.push(ms(started.elapsed()));
        }
        let tools = session.list_tools().await?;
        let toolbox = runner::Toolbox {
            connector: "bench".into(),
            session,
            tools,
        };
        let mut settings = RunSettings::new("bench", "instant", "go");
        settings.max_rounds = rounds + 1;
        let started = Instant::now();
        let finished = runner::run(
            &InstantModel { rounds },
            settings,
            vec![toolbox],
            &Approve,
            &Quiet,
            &CancellationToken::new(),
            "2026-12-07T00:00:00Z".into(),
        )
        .await;
        let took = started.elapsed();
        anyhow::ensure!(
            finished.error.is_none(),
            "the run ended with {:?}",
            finished.error
        );
        let calls = finished.transcript.calls().count();
        anyhow::ensure!(
            calls as u32 == rounds - 1,
            "{calls} calls in {rounds} rounds"
        );
        per_round.push(ms(took) / f64::from(rounds));
    }
    // The first run warms the connection pool and the runner's code paths.
    per_round.remove(0);
    Ok(json!({
        "rounds": rounds,
        "runs": runs,
        "per_round_ms": per_round,
        "call_alone_ms": call_alone,
    }))
}

// --- P8: the store ---------------------------------------------------------------------------

async fn store(args: &Args) -> Result<Value> {
    let n = args.number("n", Some(10_000))?;
    let reps = args.number("reps", Some(10))?;
    let dir = tempfile::tempdir()?;
    let keychain = MemoryKeychain::new();
    const SERVICE: &str = "dev.patchbay.bench";
    let app = Patchbay::open(dir.path(), keychain.clone(), SERVICE)?;
    let filled = Instant::now();
    fill(&app, n).await?;
    let fill_ms = ms(filled.elapsed());
    let mut list = Vec::new();
    for _ in 0..reps {
        let started = Instant::now();
        let listed = app.list_connectors(patchbay_core::DEFAULT_WORKSPACE)?;
        list.push(ms(started.elapsed()));
        anyhow::ensure!(listed.len() as u64 == n, "{} listed", listed.len());
    }
    drop(app);
    let database = dir.path().join(patchbay_core::paths::DATABASE_FILE);
    let mut cold = Vec::new();
    let mut open = Vec::new();
    let mut decrypt = Vec::new();
    for rep in 0..reps {
        let started = Instant::now();
        let (secret, _) = open_one_secret(&database, &keychain, SERVICE, rep % n)?;
        cold.push(ms(started.elapsed()));
        anyhow::ensure!(secret.expose().starts_with("token-"), "the token decrypts");
        // The two halves apart: opening the store (migrations checked, its integrity check),
        // then on the open store a new vault (master key from the keychain, the workspace key
        // unwrapped) and one secret read and decrypted.
        let started = Instant::now();
        let store = patchbay_core::store::Store::open(&database, "2026-12-07T00:00:00Z")?;
        open.push(ms(started.elapsed()));
        let started = Instant::now();
        decrypt_one(&store, &keychain, SERVICE, rep % n)?;
        decrypt.push(ms(started.elapsed()));
    }
    Ok(json!({
        "n": n,
        "fill_ms": fill_ms,
        "list_ms": list,
        "open_decrypt_ms": cold,
        "open_ms": open,
        "decrypt_ms": decrypt,
    }))
}

/// Adds `n` token connectors, untested: `connector 00000`… with tokens `token-0`….
async fn fill(app: &Patchbay, n: u64) -> Result<()> {
    for i in 0..n {
        let spec = ConnectorSpec {
            name: format!("connector {i:05}"),
            url: format!("https://mcp{i}.example.com/mcp"),
            auth: AuthKind::Token,
            token: Some(Secret::new(format!("token-{i}"))),
            headers: Vec::new(),
            oauth: None,
            network: Default::default(),
        };
        app.add_connector(patchbay_core::DEFAULT_WORKSPACE, spec, false)
            .await?;
    }
    Ok(())
}

/// Opens the store at `database` and decrypts the token of the `index`th connector, as a fresh
/// process would: a new store, a new vault (the master key read from the keychain, the
/// workspace key unwrapped), one secret.
fn open_one_secret(
    database: &Path,
    keychain: &Arc<MemoryKeychain>,
    service: &str,
    index: u64,
) -> Result<(Secret, String)> {
    let store = patchbay_core::store::Store::open(database, "2026-12-07T00:00:00Z")?;
    decrypt_one(&store, keychain, service, index)
}

/// On an open store: a new vault, and the `index`th connector's token decrypted.
fn decrypt_one(
    store: &patchbay_core::store::Store,
    keychain: &Arc<MemoryKeychain>,
    service: &str,
    index: u64,
) -> Result<(Secret, String)> {
    use patchbay_core::store::{SecretField, SecretOwner};
    let vault = patchbay_core::vault::Vault::new(keychain.clone(), service);
    let workspace = store
        .workspaces()?
        .into_iter()
        .next()
        .context("a workspace")?;
    let name = format!("connector {index:05}");
    let row = store
        .connector_by_name(&workspace.id, &name)?
        .with_context(|| format!("{name} is stored"))?;
    let sealed = store
        .secret(SecretOwner::Connector(&row.id), &SecretField::Token)?
        .context("its token is stored")?;
    let secret = vault.open(
        store,
        &workspace.id,
        SecretOwner::Connector(&row.id),
        &SecretField::Token,
        &sealed,
    )?;
    Ok((secret, row.id))
}

// --- context: whole processes ----------------------------------------------------------------

/// Runs `program args` under GNU time: (wall ms, peak RSS KiB), failing if it fails.
fn timed(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(f64, u64)> {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "patchbay-bench-time %e %M", program])
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {program} under /usr/bin/time (apt install time)"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    anyhow::ensure!(
        output.status.success(),
        "{program} {args:?} failed: {stderr}"
    );
    let line = stderr
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix("patchbay-bench-time "))
        .context("GNU time's line")?;
    let mut parts = line.split_whitespace();
    let wall: f64 = parts.next().context("wall")?.parse()?;
    let rss: u64 = parts.next().context("rss")?.parse()?;
    Ok((wall * 1e3, rss))
}

async fn whole(args: &Args) -> Result<Value> {
    let cli = args.text("cli")?;
    let url = args.text("url")?;
    let node = args.text("node")?;
    let script = args.text("script")?;
    let n = args.number("n", Some(5))?;
    let list_n = args.number("list-n", Some(10_000))?;
    let service = "dev.patchbay.bench-whole";
    let data = tempfile::tempdir()?;
    let dir = data.path().to_string_lossy().into_owned();
    let added = Command::new(cli)
        .args([
            "--data-dir",
            &dir,
            "connector",
            "add",
            "--name",
            "everything",
            "--url",
            url,
        ])
        .env("PATCHBAY_KEYCHAIN_SERVICE", service)
        .output()?;
    anyhow::ensure!(
        added.status.success(),
        "adding the connector: {}",
        String::from_utf8_lossy(&added.stderr)
    );
    let echo = r#"{"message":"hi"}"#;
    let runs: [(&str, &str, Vec<&str>); 4] = [
        (
            "patchbay_tools",
            cli,
            vec!["--data-dir", &dir, "tools", "everything"],
        ),
        (
            "patchbay_call",
            cli,
            vec![
                "--data-dir",
                &dir,
                "call",
                "everything",
                "echo",
                "--args",
                echo,
            ],
        ),
        (
            "node_tools",
            node,
            vec![script, "--url", url, "--mode", "once-tools"],
        ),
        (
            "node_call",
            node,
            vec![
                script,
                "--url",
                url,
                "--mode",
                "once-call",
                "--tool",
                "echo",
                "--args",
                echo,
            ],
        ),
    ];
    let mut results: HashMap<&str, (Vec<f64>, Vec<u64>)> = HashMap::new();
    // Interleaved, so drift on a shared machine touches every row alike.
    for _ in 0..n {
        for (label, program, arguments) in &runs {
            let (wall, rss) = timed(
                program,
                arguments,
                &[("PATCHBAY_KEYCHAIN_SERVICE", service)],
            )?;
            let entry = results.entry(label).or_default();
            entry.0.push(wall);
            entry.1.push(rss);
        }
    }
    // `connector list --json` over many connectors.
    let listed = tempfile::tempdir()?;
    {
        let app = Patchbay::open(listed.path(), patchbay_core::os_keychain(service), service)?;
        fill(&app, list_n).await?;
    }
    let list_dir = listed.path().to_string_lossy().into_owned();
    let mut list = (Vec::new(), Vec::new());
    for _ in 0..n {
        let (wall, rss) = timed(
            cli,
            &["--data-dir", &list_dir, "connector", "list", "--json"],
            &[("PATCHBAY_KEYCHAIN_SERVICE", service)],
        )?;
        list.0.push(wall);
        list.1.push(rss);
    }
    let mut out = serde_json::Map::new();
    for (label, (wall, rss)) in results {
        out.insert(
            label.into(),
            json!({ "wall_ms": wall, "peak_rss_kib": rss }),
        );
    }
    out.insert(
        "patchbay_list".into(),
        json!({ "connectors": list_n, "wall_ms": list.0, "peak_rss_kib": list.1 }),
    );
    Ok(Value::Object(out))
}

// --- P4, P5: the window ----------------------------------------------------------------------

fn app(args: &Args) -> Result<Value> {
    let bin = args.text("bin")?;
    let runs = args.number("runs", Some(5))?;
    let idle = Duration::from_secs(args.number("idle-secs", Some(30))?);
    let data = tempfile::tempdir()?;
    let mut starts = Vec::new();
    let mut pss_kib = None;
    let mut processes = 0;
    for run in 0..runs + 1 {
        let started = Instant::now();
        let mut child = Command::new(bin)
            .env("PATCHBAY_BENCH_READY", "1")
            .env("PATCHBAY_DATA_DIR", data.path())
            .env("PATCHBAY_KEYCHAIN_SERVICE", "dev.patchbay.bench")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {bin}"))?;
        let pid = child.id();
        let stdout = child.stdout.take().context("stdout")?;
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "patchbay-ready" {
                    let _ = sender.send(());
                }
            }
        });
        let ready = receiver.recv_timeout(Duration::from_secs(120));
        let took = started.elapsed();
        if ready.is_err() {
            kill_group(pid);
            let _ = child.wait();
            bail!("{bin} did not say it painted within 120 s");
        }
        // The first start creates the data directory and keys: not a cold start of an
        // installed app, left out.
        if run > 0 {
            starts.push(ms(took));
        }
        if run == runs {
            std::thread::sleep(idle);
            let (total, count) = group_pss_kib(pid)?;
            pss_kib = Some(total);
            processes = count;
        }
        kill_group(pid);
        let _ = child.wait();
        // Let WebKit's helpers go before the next start.
        std::thread::sleep(Duration::from_millis(500));
    }
    Ok(json!({
        "bin": bin,
        "runs": runs,
        "start_to_paint_ms": starts,
        "idle_secs": idle.as_secs(),
        "pss_kib": pss_kib,
        "processes": processes,
    }))
}

use std::os::unix::process::CommandExt;

fn kill_group(pid: u32) {
    for signal in ["TERM", "KILL"] {
        let _ = Command::new("kill")
            .args(["-s", signal, "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The PSS of every process in the group `pgid` (the app and the WebKit processes it starts),
/// from `/proc/PID/smaps_rollup`; and how many processes that is.
fn group_pss_kib(pgid: u32) -> Result<(u64, usize)> {
    let mut total = 0;
    let mut count = 0;
    for entry in std::fs::read_dir("/proc")? {
        let entry = entry?;
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …: comm may hold spaces, so split after its ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        if fields.get(2).and_then(|pgrp| pgrp.parse::<u32>().ok()) != Some(pgid) {
            continue;
        }
        let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else {
            continue;
        };
        if let Some(kib) = rollup.lines().find_map(|line| {
            line.strip_prefix("Pss:").and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        }) {
            total += kib;
            count += 1;
        }
    }
    anyhow::ensure!(count > 0, "no process of group {pgid} to measure");
    Ok((total, count))
}
