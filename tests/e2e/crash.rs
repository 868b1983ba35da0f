//! Crash safety (checklist 42) and damaged files (checklist 43).
//!
//! Checklist 42: `kill -9` lands in the middle of Patchbay's write path again and
//! again — a token rotated and committed per cycle by `soak-writer` (tests/src/bin), which
//! prints `ack N` only after cycle N's transaction returned — and after every kill a new
//! process finds the database intact (`PRAGMA integrity_check` is `ok`) and the last
//! acknowledged token there and decryptable (or the one after it, when the kill came between
//! the commit and the `ack`). Nothing is mocked: the real store, vault and OS keychain.
//!
//! CI runs 100 cycles; `cargo xtask soak` runs 1,000 (`PATCHBAY_SOAK_CYCLES`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use patchbay_tests::Sandbox;

const WRITER: &str = env!("CARGO_BIN_EXE_soak-writer");

/// A small deterministic sequence (a linear congruential generator): where each kill lands
/// varies, and a failing run can be repeated.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn verify(sandbox: &Sandbox) -> Result<(String, Option<u64>, u64)> {
    let output = Command::new(WRITER)
        .arg("verify")
        .arg(sandbox.data_dir())
        .arg(&sandbox.keychain_service)
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    ensure!(
        output.status.success(),
        "a new process must open the database after the kill: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(name).map(str::to_owned))
            .unwrap_or_default()
    };
    let token = field("token tok-").parse().ok();
    let rotations = field("rotations ").parse().unwrap_or(0);
    Ok((field("integrity "), token, rotations))
}

fn soak_cycles() -> u64 {
    std::env::var("PATCHBAY_SOAK_CYCLES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100)
}

#[test]
fn kill_9_in_the_middle_of_writes_loses_no_acknowledged_write() -> Result<()> {
    soak(soak_cycles(), None)?;
    Ok(())
}

/// Checklist 39: the same with a seal budget of 3 per workspace key, so the key is rotated
/// (every ciphertext opened and sealed again under a new key, in one transaction) every other
/// cycle, and kills land inside rotations: every time, the store opens, the token decrypts.
#[test]
fn kill_9_during_key_rotations_loses_nothing() -> Result<()> {
    let rotations = soak(soak_cycles(), Some(3))?;
    ensure!(
        rotations >= 10,
        "the key was really rotated: {rotations} times"
    );
    Ok(())
}

/// Runs the writer, kills it, verifies; until `cycles` writes were acknowledged. Returns how
/// often the workspace key was rotated.
fn soak(cycles: u64, budget: Option<u64>) -> Result<u64> {
    let sandbox = Sandbox::new()?;
    let mut sequence = Sequence(0x5eed_0042);
    let (mut next, mut kills, mut written, mut rotations) = (1u64, 0u32, 0u64, 0u64);
    let started = Instant::now();
    while written < cycles {
        ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the soak is stuck after {written} cycles"
        );
        let mut writer = Command::new(WRITER)
            .arg("write")
            .arg(sandbox.data_dir())
            .arg(&sandbox.keychain_service)
            .arg(next.to_string())
            .envs(budget.map(|budget| ("PATCHBAY_NONCE_BUDGET", budget.to_string())))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdout = writer.stdout.take().context("stdout")?;
        let (sender, acks) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(cycle) = line
                    .strip_prefix("ack ")
                    .and_then(|n| n.parse::<u64>().ok())
                    && sender.send(cycle).is_err()
                {
                    break;
                }
            }
        });
        // Let it acknowledge a few cycles, then kill it somewhere inside the next one.
        let wanted = 1 + sequence.next(12);
        let mut acknowledged = None;
        for _ in 0..wanted {
            match acks.recv_timeout(Duration::from_secs(30)) {
                Ok(cycle) => acknowledged = Some(cycle),
                Err(_) => {
                    let _ = writer.kill();
                    let output = writer.wait_with_output()?;
                    bail!(
                        "the writer stopped acknowledging: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
            }
        }
        std::thread::sleep(Duration::from_micros(sequence.next(4000)));
        writer.kill()?; // SIGKILL
        writer.wait()?;
        kills += 1;
        while let Ok(cycle) = acks.try_recv() {
            acknowledged = Some(cycle);
        }
        let last_acknowledged = acknowledged.context("at least one cycle was acknowledged")?;

        let (integrity, token, rotated) = verify(&sandbox)?;
        rotations = rotated;
        ensure!(
            integrity == "ok",
            "integrity_check after kill {kills}: {integrity}"
        );
        let token = token.context("the token decrypts")?;
        ensure!(
            token == last_acknowledged || token == last_acknowledged + 1,
            "kill {kills}: the last acknowledged token was tok-{last_acknowledged}, the store \
             has tok-{token}"
        );
        written += token + 1 - next;
        next = token + 1;
    }
    eprintln!(
        "{written} write cycles, {kills} kills, {rotations} key rotations, integrity ok after each"
    );
    Ok(rotations)
}

/// Checklist 43, as a person meets it: a damaged database file is reported in plain words by
/// the command that found it, kept (moved aside, byte for byte), the keychain's master key is
/// left as it was, and the next command works on a fresh database instead of failing forever.
#[test]
fn a_damaged_database_is_reported_kept_and_not_a_crash_loop() -> Result<()> {
    let sandbox = Sandbox::new()?;
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Docs",
            "--url",
            "http://127.0.0.1:9/mcp",
            "--auth",
            "token",
            "--token-stdin",
            "--skip-test",
        ],
        Some("tok-damage-test\n"),
    )?;
    ensure!(add.code == 0, "{add}");
    let keychain = patchbay_core::os_keychain(&sandbox.keychain_service);
    let master = keychain
        .get("master-key")?
        .context("a master key was made")?;
    let database = sandbox.data_dir().join("patchbay.db");
    let mut bytes = std::fs::read(&database)?;
    bytes[0..16].fill(0x55);
    std::fs::write(&database, &bytes)?;

    let list = sandbox.run(&["connector", "list"], None)?;
    ensure!(
        list.code == 1
            && list.stderr.contains("is damaged")
            && list.stderr.contains("moved aside")
            && !list.stderr.contains("panicked"),
        "the damage is reported in plain words: {list}"
    );
    let aside: Vec<_> = std::fs::read_dir(sandbox.data_dir())?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| {
                    name.starts_with("patchbay.db.damaged-")
                        && !name.ends_with("-wal")
                        && !name.ends_with("-shm")
                })
        })
        .collect();
    ensure!(aside.len() == 1, "one database set aside: {aside:?}");
    ensure!(
        std::fs::read(&aside[0])? == bytes,
        "the damaged file is kept byte for byte"
    );
    ensure!(
        keychain
            .get("master-key")?
            .is_some_and(|now| now.as_slice() == master.as_slice()),
        "the keychain's master key is untouched"
    );
    let again = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(
        again.code == 0 && again.stdout.trim() == "[]",
        "the next command starts afresh: {again}"
    );
    Ok(())
}
