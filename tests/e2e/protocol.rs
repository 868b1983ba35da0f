//! MCP 2026-07-28 against Patchbay's client: a server that speaks only that revision (rmcp's own
//! server, `patchbay_tests::modern_peer`) is reached with `server/discover` and used like any
//! other, an older one (server-everything) still through `initialize`, and a 2026 server's
//! JSON-RPC refusal is named in the diagnosis instead of being blamed on the URL's path; a
//! question a server asks on its standalone stream right after the session starts is answered;
//! a tool list the server calls fresh (SEP-2549 cache hints) is not asked for again.

use anyhow::{Result, ensure};
use patchbay_core::mcp::elicitation::AcceptDefaults;
use patchbay_core::mcp::{Session, Stage, diagnose};
use patchbay_tests::{EverythingMode, late_stream_peer, modern_peer, server_everything};

use crate::mcp::endpoint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_of_only_2026_07_28_is_discovered_listed_and_called() -> Result<()> {
    let peer = modern_peer::serve().await?;
    let endpoint = endpoint(&peer.url)?;
    let diagnosis = diagnose(&endpoint).await;
    ensure!(
        diagnosis.ok
            && diagnosis.protocol_version.as_deref() == Some("2026-07-28")
            && diagnosis.server_name.as_deref() == Some("modern-peer")
            && diagnosis.tool_count == Some(1),
        "the 2026 server is reached and its revision shown: {diagnosis:?}"
    );
    let session = Session::connect(&endpoint)
        .await
        .map_err(|diagnosis| anyhow::anyhow!("{diagnosis:?}"))?;
    let mut arguments = serde_json::Map::new();
    arguments.insert("a".into(), 17.into());
    arguments.insert("b".into(), 25.into());
    let result = session.call_tool("add", Some(arguments)).await?;
    let text = serde_json::to_string(&result.content)?;
    ensure!(text.contains("42"), "the call went through: {text}");
    session.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_server_is_still_reached_with_initialize() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let endpoint = endpoint(&peer.everything_url(EverythingMode::StreamableHttp))?;
    for round in ["first", "remembered"] {
        let diagnosis = diagnose(&endpoint).await;
        ensure!(
            diagnosis.ok && diagnosis.protocol_version.as_deref() == Some("2025-11-25"),
            "{round} connection to a 2025-11-25 server: {diagnosis:?}\n{}",
            peer.log()
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2026_servers_json_rpc_refusal_is_named_not_blamed_on_the_path() -> Result<()> {
    // A stand-in (see modern_peer::serve_refusing): every request refused with one error.
    for (code, message, advice) in [
        (
            -32020,
            "Missing MCP-Protocol-Version header",
            "rejected the request's MCP headers",
        ),
        (
            -32022,
            "Unsupported protocol version",
            "none of the MCP protocol revisions Patchbay speaks",
        ),
        (
            -32601,
            "Method not found",
            "does not know the MCP handshake",
        ),
    ] {
        let peer = modern_peer::serve_refusing(code, message).await?;
        let diagnosis = diagnose(&endpoint(&peer.url)?).await;
        ensure!(
            !diagnosis.ok
                && diagnosis.stage == Stage::Initialize
                && diagnosis.http_status == Some(400)
                && diagnosis.detail.contains(message)
                && diagnosis.detail.contains(&format!("JSON-RPC {code}"))
                && diagnosis.hint.contains(advice)
                && !diagnosis.hint.contains("path"),
            "{code}: the server's own words and the advice they call for: {diagnosis:?}"
        );
    }
    Ok(())
}

/// A server may ask its question on the session's standalone stream the moment a tool is called.
/// Patchbay hands a session out only once that stream is answered, so a call made at once is not
/// asked into the void (the stand-in opens the stream 600 ms late and drops what it cannot send;
/// before the fix this call came back "the question was dropped").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_on_the_standalone_stream_right_after_connecting_is_answered() -> Result<()> {
    let peer = late_stream_peer::serve(std::time::Duration::from_millis(600)).await?;
    let mut endpoint = endpoint(&peer.url)?;
    endpoint.elicitation = Some(std::sync::Arc::new(AcceptDefaults));
    let session = Session::connect(&endpoint)
        .await
        .map_err(|diagnosis| anyhow::anyhow!("{diagnosis:?}"))?;
    let result = session.call_tool("ask", None).await?;
    let text = serde_json::to_string(&result.content)?;
    ensure!(
        result.is_error != Some(true) && text.contains("answered") && text.contains("Ada"),
        "the question reached Patchbay and its default came back: {text}"
    );
    session.close().await;
    Ok(())
}

/// A 2026-07-28 server's cache hints (SEP-2549): a tool list it calls fresh for a minute is not
/// asked for again by the next session (a step run right after another); a private one is kept
/// only for the connector it was listed for; a health check lists live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_list_the_server_calls_fresh_is_not_listed_again() -> Result<()> {
    use rmcp::model::CacheScope;
    async fn list_twice(endpoint: &patchbay_core::mcp::Endpoint) -> Result<()> {
        for _ in 0..2 {
            let session = Session::connect(endpoint)
                .await
                .map_err(|diagnosis| anyhow::anyhow!("{diagnosis:?}"))?;
            let tools = session.list_tools_cached().await?;
            ensure!(tools.len() == 1, "the peer's one tool: {tools:?}");
            session.close().await;
        }
        Ok(())
    }

    let public = modern_peer::serve_with_cache_hint(60_000, CacheScope::Public).await?;
    list_twice(&endpoint(&public.url)?).await?;
    ensure!(
        public.tool_lists() == 1,
        "a public list fresh for a minute is listed once, not {} times",
        public.tool_lists()
    );
    let diagnosis = diagnose(&endpoint(&public.url)?).await;
    ensure!(
        diagnosis.ok && public.tool_lists() == 2,
        "a health check lists live: {} lists",
        public.tool_lists()
    );

    let private = modern_peer::serve_with_cache_hint(60_000, CacheScope::Private).await?;
    list_twice(&endpoint(&private.url)?).await?;
    ensure!(
        private.tool_lists() == 2,
        "a private list is not kept for a connection that names no connector: {} lists",
        private.tool_lists()
    );
    let mut connector = endpoint(&private.url)?;
    connector.cache_partition = Some("connector-1".into());
    list_twice(&connector).await?;
    ensure!(
        private.tool_lists() == 3,
        "it is kept for its connector: {} lists",
        private.tool_lists()
    );

    let unhinted = modern_peer::serve().await?;
    list_twice(&endpoint(&unhinted.url)?).await?;
    ensure!(
        unhinted.tool_lists() == 2,
        "no hint, nothing kept: {} lists",
        unhinted.tool_lists()
    );
    Ok(())
}
