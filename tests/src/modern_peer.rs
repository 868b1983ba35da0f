//! A server that speaks only MCP 2026-07-28, as servers in the field now do: the official Rust
//! SDK's own server (rmcp's Streamable HTTP service, stateless as that revision is), offering
//! one tool, `add`. It supports no older revision, so a client that opens with `initialize` and
//! no `MCP-Protocol-Version` header is refused the way such servers refuse it.
//!
//! `serve_refusing` is a stand-in (a mock, said so): a 2026 server that refuses every request
//! with one JSON-RPC error over HTTP 400 (say `-32020` for a missing header), to see what
//! Patchbay tells a person about it. No real server here can be made to answer that way on demand.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;
use rmcp::ErrorData;
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
    Implementation, ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::json;

/// The server's tools; `hint` is the cache hint (SEP-2549) its tool list carries.
#[derive(Clone, Default)]
struct Adder {
    hint: Option<(u64, CacheScope)>,
    /// How many times the tools were listed.
    lists: Arc<AtomicUsize>,
}

impl ServerHandler for Adder {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("modern-peer", "2026.7.28"))
            .with_protocol_version(ProtocolVersion::V_2026_07_28)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Owned(vec![ProtocolVersion::V_2026_07_28])
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let schema = json!({
            "type": "object",
            "properties": { "a": { "type": "number" }, "b": { "type": "number" } },
            "required": ["a", "b"]
        });
        let serde_json::Value::Object(schema) = schema else {
            return Err(ErrorData::internal_error("schema", None));
        };
        self.lists.fetch_add(1, Ordering::SeqCst);
        let listed = ListToolsResult::with_all_items(vec![Tool::new(
            "add",
            "Adds two numbers",
            Arc::new(schema),
        )]);
        Ok(match self.hint {
            Some((ttl_ms, scope)) => listed.with_ttl_ms(ttl_ms).with_cache_scope(scope),
            None => listed,
        })
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != "add" {
            return Err(ErrorData::invalid_params("no such tool", None));
        }
        let arguments = request.arguments.unwrap_or_default();
        let number = |name: &str| arguments.get(name).and_then(serde_json::Value::as_f64);
        let (Some(a), Some(b)) = (number("a"), number("b")) else {
            return Err(ErrorData::invalid_params("a and b must be numbers", None));
        };
        Ok(CallToolResponse::Complete(CallToolResult::success(vec![
            ContentBlock::text(format!("{}", a + b)),
        ])))
    }
}

/// A running peer; dropping it stops the server.
pub struct ModernPeer {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
    lists: Arc<AtomicUsize>,
}

impl ModernPeer {
    /// How many times a client listed the tools.
    pub fn tool_lists(&self) -> usize {
        self.lists.load(Ordering::SeqCst)
    }
}

impl Drop for ModernPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the 2026-07-28-only server on a free loopback port; its MCP endpoint is `url`.
pub async fn serve() -> Result<ModernPeer> {
    serve_adder(Adder::default()).await
}

/// [`serve`], its tool list saying it stays fresh for `ttl_ms` for `scope` (SEP-2549).
pub async fn serve_with_cache_hint(ttl_ms: u64, scope: CacheScope) -> Result<ModernPeer> {
    serve_adder(Adder {
        hint: Some((ttl_ms, scope)),
        ..Adder::default()
    })
    .await
}

async fn serve_adder(adder: Adder) -> Result<ModernPeer> {
    let lists = adder.lists.clone();
    let service = StreamableHttpService::new(
        move || Ok(adder.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let app = axum::Router::new().nest_service("/mcp", service);
    let mut peer = spawn(app).await?;
    peer.lists = lists;
    Ok(peer)
}

/// Starts the stand-in that answers every POST with HTTP 400 and this JSON-RPC error.
pub async fn serve_refusing(code: i32, message: &'static str) -> Result<ModernPeer> {
    let app = axum::Router::new().route(
        "/mcp",
        axum::routing::post(move || async move {
            (
                axum::http::StatusCode::BAD_REQUEST,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                json!({ "jsonrpc": "2.0", "id": null, "error": { "code": code, "message": message } })
                    .to_string(),
            )
        }),
    );
    spawn(app).await
}

pub(crate) async fn spawn(app: axum::Router) -> Result<ModernPeer> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/mcp", listener.local_addr()?);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("modern peer stopped: {error}");
        }
    });
    Ok(ModernPeer {
        url,
        task,
        lists: Arc::default(),
    })
}
