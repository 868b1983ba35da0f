//! Two writers at once (checklist 45, issue 11): the CLI beside the app, or two commands. An
//! edit or a check that spends seconds on the network writes only over the row it read: a
//! rename or a URL change made meanwhile stands, and a check's outcome is not recorded on a
//! connector that changed under it. The slow server is a stand-in (said so in
//! `patchbay_tests::hostile_peer`): a real one is not slow on demand.

use std::time::Duration;

use anyhow::{Result, ensure};
use patchbay_tests::hostile_peer::serve_slow_tools;
use patchbay_tests::{Run, Sandbox};
use serde_json::Value;

/// How long the server takes to list tools; the second writer goes in the middle.
const SLOW: Duration = Duration::from_millis(2500);

fn shown(sandbox: &Sandbox, name: &str) -> Result<Value> {
    let show = sandbox.run(&["connector", "show", name, "--json"], None)?;
    ensure!(show.code == 0, "{show}");
    Ok(serde_json::from_str(&show.stdout)?)
}

/// Runs `slow` in a thread and `meanwhile` once it is under way; returns both runs.
fn interleaved(sandbox: &Sandbox, slow: &[&str], meanwhile: &[&str]) -> Result<(Run, Run)> {
    std::thread::scope(|scope| {
        let first = scope.spawn(|| sandbox.run(slow, None));
        std::thread::sleep(SLOW / 3);
        let second = sandbox.run(meanwhile, None);
        let first = first
            .join()
            .map_err(|_| anyhow::anyhow!("the slow run panicked"))?;
        Ok((first?, second?))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_tested_for_seconds_does_not_revert_a_rename_made_meanwhile() -> Result<()> {
    let peer = serve_slow_tools(SLOW).await?;
    let sandbox = Sandbox::new()?;
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Slow",
            "--url",
            &peer.url,
            "--header",
            "X-Team: blue",
            "--skip-test",
        ],
        None,
    )?;
    ensure!(add.code == 0, "{add}");

    let (edit, rename) = interleaved(
        &sandbox,
        &["connector", "edit", "Slow", "--header", "X-Team: red"],
        &[
            "connector",
            "edit",
            "Slow",
            "--name",
            "Renamed",
            "--skip-test",
        ],
    )?;
    ensure!(rename.code == 0, "the quick rename is saved: {rename}");
    // Before: the edit saved the row it had read before its test, so the connector was called
    // "Slow" again and the rename was lost without a word.
    ensure!(
        edit.code == 2 && edit.stderr.contains("was changed elsewhere"),
        "the edit says it was overtaken and saves nothing: {edit}"
    );
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    let names: Vec<String> = serde_json::from_str::<Vec<Value>>(&list.stdout)?
        .iter()
        .filter_map(|row| row["name"].as_str().map(str::to_owned))
        .collect();
    ensure!(names == ["Renamed"], "the rename stands: {names:?}");
    let renamed = shown(&sandbox, "Renamed")?;
    ensure!(
        renamed["header_names"] == serde_json::json!(["X-Team"]),
        "{renamed}"
    );

    // Repeated, the edit goes through and keeps the new name.
    let again = sandbox.run(
        &["connector", "edit", "Renamed", "--header", "X-Team: red"],
        None,
    )?;
    ensure!(again.code == 0, "{again}");
    ensure!(shown(&sandbox, "Renamed")?["status"] == "connected");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_is_not_recorded_on_a_connector_changed_while_it_ran() -> Result<()> {
    let peer = serve_slow_tools(SLOW).await?;
    let sandbox = Sandbox::new()?;
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Moved",
            "--url",
            &peer.url,
            "--skip-test",
        ],
        None,
    )?;
    ensure!(add.code == 0, "{add}");
    ensure!(shown(&sandbox, "Moved")?["status"] == "unknown");

    // The connector is pointed elsewhere (saved without a test) while a check of the old
    // address is still listing tools.
    let (test, moved) = interleaved(
        &sandbox,
        &["connector", "test", "Moved"],
        &[
            "connector",
            "edit",
            "Moved",
            "--url",
            "http://127.0.0.1:9/mcp",
            "--skip-test",
        ],
    )?;
    ensure!(moved.code == 0, "{moved}");
    ensure!(test.code == 0, "the old address did answer: {test}");
    let after = shown(&sandbox, "Moved")?;
    // Before: the check of the old address marked the moved connector "connected".
    ensure!(
        after["status"] == "unknown" && after["last_checked_at"].is_null(),
        "a check of what the connector was is not recorded on what it is: {after}"
    );
    Ok(())
}

/// Checklist 45: eight `patchbay` processes writing at once — adding, editing (a sealed header
/// each time, so secrets are written and the log emptied), checking (status writes) — all
/// succeed, none meets "database is locked", and every write is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_writing_at_once_all_succeed() -> Result<()> {
    let sandbox = Sandbox::new()?;
    // One write first, so the master key and the workspace key exist: creating them is
    // serialised too, but this test is about the rows.
    let first = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "First",
            "--url",
            "http://127.0.0.1:9/mcp",
            "--header",
            "X-Team: zero",
            "--skip-test",
        ],
        None,
    )?;
    ensure!(first.code == 0, "{first}");
    let runs: Vec<Vec<Run>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|worker| {
                let sandbox = &sandbox;
                scope.spawn(move || -> Result<Vec<Run>> {
                    let name = format!("Writer {worker}");
                    let mut runs = Vec::new();
                    runs.push(sandbox.run(
                        &[
                            "connector",
                            "add",
                            "--name",
                            &name,
                            "--url",
                            "http://127.0.0.1:9/mcp",
                            "--skip-test",
                        ],
                        None,
                    )?);
                    for round in 0..4 {
                        let header = format!("X-Round: {worker}-{round}");
                        runs.push(sandbox.run(
                            &[
                                "connector",
                                "edit",
                                &name,
                                "--header",
                                &header,
                                "--skip-test",
                            ],
                            None,
                        )?);
                    }
                    runs.push(sandbox.run(&["connector", "test", &name], None)?);
                    Ok(runs)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .map_err(|_| anyhow::anyhow!("a writer panicked"))?
            })
            .collect::<Result<Vec<_>>>()
    })?;
    for (worker, runs) in runs.iter().enumerate() {
        for run in runs {
            ensure!(
                !run.stderr.contains("locked") && !run.stderr.contains("busy"),
                "writer {worker} met a locked database: {run}"
            );
        }
        let (writes, test) = runs.split_at(runs.len() - 1);
        ensure!(
            writes.iter().all(|run| run.code == 0),
            "writer {worker}: every write succeeds: {}",
            writes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        // The server is not there: the check fails, and is recorded.
        ensure!(test[0].code == 1, "{}", test[0]);
    }
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    let rows: Vec<Value> = serde_json::from_str(&list.stdout)?;
    ensure!(rows.len() == 9, "every connector was added: {}", rows.len());
    for worker in 0..8 {
        let row = shown(&sandbox, &format!("Writer {worker}"))?;
        ensure!(
            row["header_names"] == serde_json::json!(["X-Round"])
                && row["status"] == "disconnected",
            "writer {worker}'s last edit and check are kept: {row}"
        );
    }
    Ok(())
}
