//! The core MCP client against the real server-everything, in both transports, and the
//! diagnosis of each way a connection can fail.

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use patchbay_core::mcp::{Endpoint, Session, Stage, Timeouts, TransportKind, diagnose};
use patchbay_core::{ConnectorStatus, Secret};
use patchbay_tests::{EverythingMode, oauth_demo_server, server_everything};

use crate::fake_http::{Behaviour, serve};

/// An endpoint with short timeouts (loopback peers answer at once).
pub(crate) fn endpoint(url: &str) -> Result<Endpoint> {
    let mut endpoint = Endpoint::new(url.parse()?);
    endpoint.timeouts = Timeouts {
        connect: Duration::from_secs(3),
        request: Duration::from_secs(3),
    };
    Ok(endpoint)
}

async fn exercise(mode: EverythingMode, expected: TransportKind) -> Result<()> {
    let peer = server_everything(mode)?;
    let mut endpoint = endpoint(&peer.everything_url(mode))?;
    endpoint.bearer = Some(Secret::new("ignored-by-everything"));
    endpoint.headers = vec![("X-Team".into(), Secret::new("blue"))];

    let diagnosis = diagnose(&endpoint).await;
    ensure!(
        diagnosis.ok,
        "server-everything must pass: {diagnosis:?}\n{}",
        peer.log()
    );
    ensure!(
        diagnosis.transport == Some(expected),
        "transport: {:?}",
        diagnosis.transport
    );
    ensure!(
        diagnosis
            .server_name
            .as_deref()
            .is_some_and(|n| n.contains("everything"))
    );
    ensure!(
        diagnosis.tool_count.is_some_and(|count| count >= 10),
        "tools: {:?}",
        diagnosis.tool_count
    );
    ensure!(diagnosis.protocol_version.is_some());

    let session = Session::connect(&endpoint)
        .await
        .map_err(|d| anyhow::anyhow!("{d:?}"))?;
    let tools = session.list_tools().await?;
    for name in ["echo", "get-sum"] {
        ensure!(
            tools.iter().any(|tool| tool.name == name),
            "{name} missing from {} tools",
            tools.len()
        );
    }
    let echo = session
        .call_tool(
            "echo",
            Some(
                serde_json::json!({"message": "patchbay says hi"})
                    .as_object()
                    .cloned()
                    .context("object")?,
            ),
        )
        .await?;
    let text = echo
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default();
    ensure!(text.contains("patchbay says hi"), "echo answered {text:?}");
    let sum = session
        .call_tool(
            "get-sum",
            Some(
                serde_json::json!({"a": 19, "b": 23})
                    .as_object()
                    .cloned()
                    .context("object")?,
            ),
        )
        .await?;
    let text = sum
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone())
        .unwrap_or_default();
    ensure!(text.contains("42"), "get-sum answered {text:?}");
    ensure!(
        !session.list_resources().await?.is_empty(),
        "server-everything has resources"
    );
    let prompts = session.list_prompts().await?;
    ensure!(
        prompts.iter().any(|p| p.name == "simple-prompt"),
        "prompts: {}",
        prompts.len()
    );
    session.close().await;
    Ok(())
}

#[tokio::test]
async fn streamable_http_against_server_everything() -> Result<()> {
    exercise(
        EverythingMode::StreamableHttp,
        TransportKind::StreamableHttp,
    )
    .await
}

#[tokio::test]
async fn legacy_sse_fallback_against_server_everything() -> Result<()> {
    exercise(EverythingMode::Sse, TransportKind::LegacySse).await
}

#[tokio::test]
async fn refused_port_is_a_connect_failure() -> Result<()> {
    let port = patchbay_tests::free_port()?;
    let diagnosis = diagnose(&endpoint(&format!("http://127.0.0.1:{port}/mcp"))?).await;
    ensure!(
        !diagnosis.ok && diagnosis.stage == Stage::Connect,
        "{diagnosis:?}"
    );
    ensure!(diagnosis.status() == ConnectorStatus::Disconnected);
    ensure!(
        diagnosis
            .hint
            .contains("check the URL and that the server is running")
    );
    Ok(())
}

#[tokio::test]
async fn unknown_host_is_a_resolve_failure() -> Result<()> {
    let diagnosis = diagnose(&endpoint("http://no-such-host.invalid/mcp")?).await;
    ensure!(
        !diagnosis.ok && diagnosis.stage == Stage::Resolve,
        "{diagnosis:?}"
    );
    ensure!(diagnosis.status() == ConnectorStatus::Disconnected);
    Ok(())
}

#[tokio::test]
async fn hanging_server_times_out_with_a_hint() -> Result<()> {
    let url = serve(Behaviour::Hang).await?;
    let started = std::time::Instant::now();
    let diagnosis = diagnose(&endpoint(&format!("{url}/mcp"))?).await;
    ensure!(
        !diagnosis.ok && diagnosis.stage == Stage::Initialize,
        "{diagnosis:?}"
    );
    ensure!(
        diagnosis.hint.contains("did not answer in time")
            && diagnosis.timed_out
            && diagnosis.status() == ConnectorStatus::Disconnected,
        "{}",
        diagnosis.hint
    );
    ensure!(
        started.elapsed() < Duration::from_secs(15),
        "the request timeout must bound the wait"
    );
    Ok(())
}

#[tokio::test]
async fn html_page_is_not_mcp() -> Result<()> {
    let url = serve(Behaviour::Html).await?;
    let diagnosis = diagnose(&endpoint(&format!("{url}/"))?).await;
    ensure!(
        !diagnosis.ok && diagnosis.stage == Stage::Http,
        "{diagnosis:?}"
    );
    ensure!(
        diagnosis.http_status == Some(200) && diagnosis.detail.contains("text/html"),
        "{diagnosis:?}"
    );
    ensure!(diagnosis.status() == ConnectorStatus::Error);
    Ok(())
}

#[tokio::test]
async fn not_found_and_server_errors_are_http_failures() -> Result<()> {
    for (code, words) in [(404, "no MCP endpoint"), (500, "500"), (503, "503")] {
        let url = serve(Behaviour::Status(code)).await?;
        let diagnosis = diagnose(&endpoint(&format!("{url}/mcp"))?).await;
        ensure!(
            !diagnosis.ok && diagnosis.stage == Stage::Http,
            "{code}: {diagnosis:?}"
        );
        ensure!(diagnosis.http_status == Some(code), "{code}: {diagnosis:?}");
        ensure!(
            diagnosis.detail.contains(words),
            "{code}: {}",
            diagnosis.detail
        );
    }
    Ok(())
}

#[tokio::test]
async fn unauthorized_without_and_with_a_wrong_token() -> Result<()> {
    let (peer, _auth_port) = oauth_demo_server()?;
    let url = format!("http://localhost:{}/mcp", peer.port);
    let without = diagnose(&endpoint(&url)?).await;
    ensure!(
        without.stage == Stage::Auth && without.http_status == Some(401),
        "{without:?}\n{}",
        peer.log()
    );
    ensure!(
        without.hint.contains("requires authentication"),
        "{}",
        without.hint
    );
    ensure!(without.status() == ConnectorStatus::NeedsAuth);

    let rejecting = serve(Behaviour::Unauthorized).await?;
    let mut wrong = endpoint(&format!("{rejecting}/mcp"))?;
    wrong.bearer = Some(Secret::new("not-a-valid-token"));
    let with_wrong = diagnose(&wrong).await;
    ensure!(
        with_wrong.stage == Stage::Auth && with_wrong.http_status == Some(401),
        "{with_wrong:?}"
    );
    ensure!(
        with_wrong.hint.contains("credentials invalid or expired"),
        "{}",
        with_wrong.hint
    );
    Ok(())
}
