//! The status monitor against a real server-everything that is killed and restarted on the same
//! port: Connected → Disconnected within the backoff window → Connected again, with each
//! transition reported once.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use patchbay_core::keychain::MemoryKeychain;
use patchbay_core::status::{CheckOutcome, MonitorConfig, spawn};
use patchbay_core::{AuthKind, ConnectorSpec, ConnectorStatus, Patchbay};
use patchbay_tests::{EverythingMode, free_port, server_everything_on};

/// A store in a temporary directory with an in-memory keychain (the monitor is what is tested).
fn open_app() -> Result<(tempfile::TempDir, Arc<Patchbay>)> {
    let dir = tempfile::tempdir()?;
    let app = Patchbay::open(dir.path(), MemoryKeychain::new(), "dev.patchbay.unit")?;
    Ok((dir, Arc::new(app)))
}

/// A connector without sign-in.
fn spec(name: &str, url: &str) -> ConnectorSpec {
    ConnectorSpec {
        name: name.into(),
        url: url.into(),
        auth: AuthKind::None,
        token: None,
        headers: vec![],
        oauth: None,
        network: Default::default(),
    }
}

async fn wait_for(
    outcomes: &Arc<Mutex<Vec<CheckOutcome>>>,
    status: ConnectorStatus,
    limit: Duration,
) -> Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if outcomes
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .iter()
            .any(|o| o.current == status)
        {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("no {status:?} within {limit:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_follows_a_server_going_down_and_up() -> Result<()> {
    let port = free_port()?;
    let mut peer = server_everything_on(EverythingMode::StreamableHttp, port)?;
    let (_dir, app) = open_app()?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    app.add_connector("Default", spec("E", &url), true).await?;

    let config = MonitorConfig {
        interval: Duration::from_millis(500),
        backoff_base: Duration::from_millis(300),
        backoff_max: Duration::from_secs(2),
        concurrency: 4,
        check_timeout: Duration::from_secs(5),
    };
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = outcomes.clone();
    let monitor = spawn(app.clone(), config, move |outcome| {
        if let Ok(mut list) = sink.lock() {
            list.push(outcome);
        }
    });
    wait_for(
        &outcomes,
        ConnectorStatus::Connected,
        Duration::from_secs(10),
    )
    .await?;

    peer.kill();
    let took = wait_for(
        &outcomes,
        ConnectorStatus::Disconnected,
        Duration::from_secs(10),
    )
    .await?;
    ensure!(
        took < Duration::from_secs(3),
        "down noticed within one interval + check ({took:?})"
    );
    let stored = app.connector("Default", "E")?;
    ensure!(
        stored.status == ConnectorStatus::Disconnected,
        "persisted: {stored:?}"
    );
    ensure!(
        stored
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("server is running")),
        "{stored:?}"
    );

    outcomes
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clear();
    let _peer = server_everything_on(EverythingMode::StreamableHttp, port)?;
    let took = wait_for(
        &outcomes,
        ConnectorStatus::Connected,
        Duration::from_secs(10),
    )
    .await?;
    ensure!(
        took < Duration::from_secs(4),
        "back up within the 2 s backoff cap + check ({took:?})"
    );
    ensure!(app.connector("Default", "E")?.status == ConnectorStatus::Connected);

    let changes = outcomes
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .iter()
        .filter(|o| o.changed())
        .count();
    ensure!(
        changes == 1,
        "exactly one Disconnected→Connected transition, saw {changes}"
    );
    monitor.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_connectors_do_not_stall_the_others() -> Result<()> {
    let hang = crate::fake_http::serve(crate::fake_http::Behaviour::Hang).await?;
    let port = free_port()?;
    let _peer = server_everything_on(EverythingMode::StreamableHttp, port)?;
    let (_dir, app) = open_app()?;
    for index in 0..40 {
        app.add_connector(
            "Default",
            spec(&format!("hang-{index}"), &format!("{hang}/mcp")),
            false,
        )
        .await?;
    }
    app.add_connector(
        "Default",
        spec("a-healthy", &format!("http://127.0.0.1:{port}/mcp")),
        false,
    )
    .await?;
    let config = MonitorConfig {
        concurrency: 8,
        check_timeout: Duration::from_secs(2),
        ..MonitorConfig::default()
    };
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = outcomes.clone();
    let monitor = spawn(app.clone(), config, move |outcome| {
        if let Ok(mut list) = sink.lock() {
            list.push(outcome);
        }
    });
    // The healthy connector sorts first, so it is checked in the first wave, beside 7 hanging
    // ones: it must not wait for them.
    wait_for(
        &outcomes,
        ConnectorStatus::Connected,
        Duration::from_secs(5),
    )
    .await?;
    // Reading the list (what the UI does) works while checks hang.
    ensure!(app.list_connectors("Default")?.len() == 41);
    // Every hanging check ends at its 2 s timeout: 41 checks, 8 at a time, is six waves (~12 s).
    let started = Instant::now();
    loop {
        let done = outcomes
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .len();
        if done >= 41 {
            break;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(25),
            "only {done} of 41 checks finished"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stored = app.connector("Default", "hang-7")?;
    ensure!(
        stored.status == ConnectorStatus::Disconnected,
        "a hung check counts as down: {stored:?}"
    );
    monitor.stop();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_connector_is_not_checked_until_resumed_and_checks_are_kept() -> Result<()> {
    let peer = server_everything_on(EverythingMode::StreamableHttp, free_port()?)?;
    let (_dir, app) = open_app()?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    for name in ["Active", "Resting"] {
        app.add_connector("Default", spec(name, &url), false)
            .await?;
    }
    app.pause_connector("Default", "Resting")?;
    let config = MonitorConfig {
        interval: Duration::from_millis(300),
        backoff_base: Duration::from_millis(300),
        backoff_max: Duration::from_secs(2),
        concurrency: 4,
        check_timeout: Duration::from_secs(5),
    };
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = outcomes.clone();
    let monitor = spawn(app.clone(), config, move |outcome: CheckOutcome| {
        if let Ok(mut list) = sink.lock() {
            list.push(outcome.connector.name.clone());
        }
    });
    let count = |name: &str| -> Result<usize> {
        Ok(outcomes
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?
            .iter()
            .filter(|checked| checked.as_str() == name)
            .count())
    };
    let started = Instant::now();
    while count("Active")? < 3 && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(count("Active")? >= 3, "the active connector is checked");
    ensure!(count("Resting")? == 0, "the paused one is not");
    ensure!(
        app.check_history("Default", "Resting", 10)?.is_empty(),
        "and has no checks"
    );
    let history = app.check_history("Default", "Active", 100)?;
    ensure!(
        history.len() >= 3
            && history
                .iter()
                .all(|check| check.status == ConnectorStatus::Connected
                    && check.latency_ms.is_some()),
        "each check is kept with its latency: {history:?}"
    );

    let resumed = app.resume_connector("Default", "Resting")?;
    monitor.check_now(Some(resumed.id));
    let started = Instant::now();
    while count("Resting")? == 0 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(count("Resting")? >= 1, "checked again once resumed");
    monitor.stop();
    Ok(())
}

/// "Check all now" while a check is still running (the app's first check at start, a slow
/// server) must not be lost: the running check's answer may predate what the person wants to
/// know, so the connector is checked again as soon as that check ends — not an interval later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_asked_for_during_a_running_one_runs_right_after_it() -> Result<()> {
    let hang = crate::fake_http::serve(crate::fake_http::Behaviour::Hang).await?;
    let (_dir, app) = open_app()?;
    app.add_connector("Default", spec("Slow", &format!("{hang}/mcp")), false)
        .await?;
    // An hour between checks and after failures: any second check within the test was asked for.
    let hour = Duration::from_secs(3600);
    let config = MonitorConfig {
        interval: hour,
        backoff_base: hour,
        backoff_max: hour,
        concurrency: 4,
        check_timeout: Duration::from_secs(2),
    };
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let sink = outcomes.clone();
    let started = Instant::now();
    let monitor = spawn(app.clone(), config, move |_outcome: CheckOutcome| {
        if let Ok(mut list) = sink.lock() {
            list.push(started.elapsed());
        }
    });
    // The first check is hanging on the server; ask for another meanwhile.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let count = || outcomes.lock().map(|list| list.len()).unwrap_or_default();
    ensure!(count() == 0, "the first check is still running");
    monitor.check_now(None);
    while count() < 2 && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let times = outcomes
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    ensure!(
        times.len() == 2,
        "the asked-for check ran after the running one (two checks, each ending at the 2 s \
         timeout), not an hour later: {times:?}"
    );
    ensure!(
        times[1] >= times[0] + Duration::from_millis(1900),
        "the second check started when the first ended, not beside it: {times:?}"
    );
    monitor.stop();
    Ok(())
}
