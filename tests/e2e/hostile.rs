//! Hostile servers against Patchbay's client (issue: Hardening), with the stand-ins of
//! `patchbay_tests::hostile_peer`. Each test fails without its protection: before the SSE guard,
//! an endless legacy SSE event crashed the whole process (stack overflow, SIGABRT) or grew its
//! memory without bound.

use anyhow::{Result, ensure};
use patchbay_core::mcp::diagnose;
use patchbay_tests::Sandbox;
use patchbay_tests::hostile_peer::{
    Endless, serve_endless_event, serve_escapes, serve_slow_at_every_step,
};

use crate::mcp::endpoint;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_legacy_sse_event_is_refused_not_followed_to_a_crash() -> Result<()> {
    for kind in [Endless::Line, Endless::Lines] {
        let peer = serve_endless_event(kind).await?;
        let mut endpoint = endpoint(&peer.url)?;
        endpoint.timeouts.request = std::time::Duration::from_secs(60);
        let diagnosis = diagnose(&endpoint).await;
        ensure!(
            !diagnosis.ok && diagnosis.detail.contains("larger than 16 MiB"),
            "{kind:?}: the event is refused at 16 MiB, and the process lives: {diagnosis:?}"
        );
    }
    Ok(())
}

/// Control sequences in a server's name, tool descriptions, results and errors are shown as
/// visible characters by every human command, never sent to the terminal as they are. Before,
/// `connector add/show`, `tools` and `call` printed them raw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servers_escape_sequences_never_reach_the_terminal() -> Result<()> {
    let peer = serve_escapes().await?;
    let sandbox = Sandbox::new()?;
    let runs = [
        sandbox.run(
            &["connector", "add", "--name", "Evil", "--url", &peer.url],
            None,
        )?,
        sandbox.run(&["connector", "show", "Evil"], None)?,
        sandbox.run(&["connector", "test", "Evil"], None)?,
        sandbox.run(&["tools", "Evil"], None)?,
        sandbox.run(&["call", "Evil", "evil"], None)?,
        sandbox.run(&["call", "Evil", "fail"], None)?,
    ];
    for run in &runs {
        let shown = format!("{}{}", run.stdout, run.stderr);
        ensure!(
            !shown.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
            "a control sequence reached the terminal: {shown:?}"
        );
    }
    let [added, _, _, tools, called, failed] = &runs;
    ensure!(added.code == 0, "the server itself works: {added}");
    ensure!(
        tools.stdout.contains("evils␛]0;pwned␇") && called.stdout.contains("result␛"),
        "what the server said is shown, made visible: {tools}\n{called}"
    );
    ensure!(
        failed.code != 0 && failed.stderr.contains("failed␛"),
        "the error too: {failed}"
    );
    // Machines still get exactly what the server said, escaped as JSON.
    let json = sandbox.run(&["tools", "Evil", "--json"], None)?;
    ensure!(
        json.code == 0 && json.stdout.contains("\\u001b]0;pwned"),
        "{json}"
    );
    Ok(())
}

/// `--timeout` bounds the whole check, not each of its steps: before, a server slow at every
/// step kept `connector test --timeout 10` busy for 39 s (the Streamable HTTP attempt, the
/// probe and the legacy transport each had the full time). Here the steps added up to 8.3 s
/// against a 3 s budget before; now the check ends at 3 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_bounds_the_whole_check() -> Result<()> {
    use std::time::{Duration, Instant};
    let peer = serve_slow_at_every_step(Duration::from_millis(2500)).await?;
    // Each step stays within 3 s; together they would not.
    let mut endpoint = endpoint(&peer.url)?;
    endpoint.timeouts.request = Duration::from_secs(3);
    let started = Instant::now();
    let diagnosis = diagnose(&endpoint).await;
    let took = started.elapsed();
    ensure!(
        !diagnosis.ok && diagnosis.timed_out && diagnosis.hint.contains("did not answer in time"),
        "{diagnosis:?}"
    );
    ensure!(
        took < Duration::from_secs(5),
        "the check ends at its 3 s budget, not after its steps add up: {took:?}"
    );
    Ok(())
}
