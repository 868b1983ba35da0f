//! The status monitor: checks every connector in the background and reports changes.
//!
//! Schedule per connector: every [`MonitorConfig::interval`] while connected; while down,
//! exponential backoff from [`MonitorConfig::backoff_base`] up to [`MonitorConfig::backoff_max`]
//! with ±20 % jitter (so a fleet of failing connectors does not retry in lockstep); immediately
//! on [`MonitorHandle::check_now`] (the "Check now" button, app start, window focus).
//!
//! Checks run at most [`MonitorConfig::concurrency`] at a time, each bounded by
//! [`MonitorConfig::check_timeout`], so 200 connectors with some hanging never stall the loop or
//! each other. Outcomes are persisted by [`Patchbay::check_by_id`]; every finished check is passed
//! to the `on_check` callback with the status before and after, so the shell can push events and
//! notify on transitions. The monitor holds no lock across an await.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::mcp::Diagnosis;
use crate::patchbay::{ConnectorView, Patchbay};
use crate::store::ConnectorStatus;

#[derive(Debug, Clone, Copy)]
pub struct MonitorConfig {
    pub interval: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub concurrency: usize,
    pub check_timeout: Duration,
}

impl Default for MonitorConfig {
    /// A minute between checks of a healthy server is fresh enough for a status badge and cheap
    /// for the server; failures retry from 5 s up to 5 min.
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(300),
            // A check mostly waits on the network, so many run at once: with 8, a server that
            // hangs held a permit for the whole timeout and the rest queued behind it (200
            // connectors with 40 hanging took five timeouts to classify; `cargo xtask bench`,
            // P3). 64 sockets at a time are nothing to the machine or to any one server.
            concurrency: 64,
            check_timeout: Duration::from_secs(20),
        }
    }
}

/// One finished check.
#[derive(Debug, Clone)]
pub struct CheckOutcome {
    pub connector: ConnectorView,
    pub previous: ConnectorStatus,
    pub current: ConnectorStatus,
    /// Absent when the check could not run (e.g. an undecryptable secret); see `error`.
    pub diagnosis: Option<Diagnosis>,
    pub error: Option<String>,
}

impl CheckOutcome {
    pub fn changed(&self) -> bool {
        self.previous != self.current
    }
}

/// The delay before the next check after `failures` consecutive failures (0 = healthy).
/// `jitter` in [0, 1) spreads retries by ±20 %.
pub fn next_delay(config: &MonitorConfig, failures: u32, jitter: f64) -> Duration {
    if failures == 0 {
        return config.interval;
    }
    let exponent = failures.saturating_sub(1).min(16);
    let base = config
        .backoff_base
        .saturating_mul(1u32 << exponent)
        .min(config.backoff_max);
    base.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
}

/// A random fraction in [0, 1). uuid v4 already draws from the OS generator, so no extra crate.
fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

enum Command {
    Check(Option<String>),
}

/// Controls a running monitor. Dropping it stops the monitor.
pub struct MonitorHandle {
    commands: mpsc::UnboundedSender<Command>,
    cancel: CancellationToken,
}

impl MonitorHandle {
    /// Checks one connector (by id) or, with `None`, all of them, right away.
    pub fn check_now(&self, connector_id: Option<String>) {
        if self.commands.send(Command::Check(connector_id)).is_err() {
            tracing::warn!("the status monitor has stopped; check request dropped");
        }
    }

    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

struct Schedule {
    due: Instant,
    failures: u32,
    running: bool,
    /// A check was asked for while this one ran: its answer may predate what the person wants
    /// to know (a server that went down meanwhile), so check again as soon as it ends.
    again: bool,
}

impl Schedule {
    /// A connector not checked yet, due at `due`.
    fn first(due: Instant) -> Self {
        Self {
            due,
            failures: 0,
            running: false,
            again: false,
        }
    }
}

/// Starts the monitor on the current tokio runtime. Every connector is checked at once.
pub fn spawn(
    app: Arc<Patchbay>,
    config: MonitorConfig,
    on_check: impl Fn(CheckOutcome) + Send + Sync + 'static,
) -> MonitorHandle {
    let (commands, mut receiver) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let on_check = Arc::new(on_check);
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
        let mut schedule: HashMap<String, Schedule> = HashMap::new();
        let mut running: JoinSet<(String, bool)> = JoinSet::new();
        let mut connectors: Vec<ConnectorView> = Vec::new();
        let mut relist = true;
        loop {
            if relist {
                connectors = match app.all_connectors() {
                    Ok(connectors) => connectors,
                    Err(error) => {
                        tracing::warn!(%error, "status monitor cannot list connectors");
                        Vec::new()
                    }
                };
                relist = false;
            }
            let now = Instant::now();
            schedule.retain(|id, _| connectors.iter().any(|c| &c.id == id));
            // A paused connector is not checked (nor counted as due) until resumed.
            schedule.retain(|id, entry| {
                entry.running || connectors.iter().any(|c| &c.id == id && !c.paused)
            });
            for connector in connectors.iter().filter(|connector| !connector.paused) {
                let entry = schedule
                    .entry(connector.id.clone())
                    .or_insert(Schedule::first(now));
                if entry.running || entry.due > now {
                    continue;
                }
                entry.running = true;
                let app = app.clone();
                let permits = permits.clone();
                let on_check = on_check.clone();
                let connector = connector.clone();
                let timeout = config.check_timeout;
                running.spawn(async move {
                    let id = connector.id.clone();
                    let Ok(_permit) = permits.acquire_owned().await else {
                        return (id, false);
                    };
                    let outcome = check(&app, connector, timeout).await;
                    let healthy = outcome.current == ConnectorStatus::Connected;
                    on_check(outcome);
                    (id, healthy)
                });
            }
            let next_due = schedule
                .values()
                .filter(|entry| !entry.running)
                .map(|entry| entry.due)
                .min()
                .unwrap_or(now + config.interval);
            // Re-list at least every few seconds so new connectors get their first check soon.
            let sleep_until = next_due.min(now + Duration::from_secs(5));
            tokio::select! {
                () = token.cancelled() => break,
                () = tokio::time::sleep_until(sleep_until) => relist = true,
                Some(finished) = running.join_next(), if !running.is_empty() => {
                    if let Ok((id, healthy)) = finished
                        && let Some(entry) = schedule.get_mut(&id)
                    {
                        entry.running = false;
                        entry.failures = if healthy { 0 } else { entry.failures.saturating_add(1) };
                        entry.due = if std::mem::take(&mut entry.again) {
                            Instant::now()
                        } else {
                            Instant::now() + next_delay(&config, entry.failures, jitter())
                        };
                    }
                }
                Some(Command::Check(target)) = receiver.recv() => {
                    relist = true;
                    for (id, entry) in &mut schedule {
                        if target.as_ref().is_none_or(|wanted| wanted == id) {
                            entry.due = Instant::now();
                            entry.again = entry.running;
                        }
                    }
                    if let Some(id) = target.filter(|id| connectors.iter().any(|c| &c.id == id && !c.paused)) {
                        schedule.entry(id).or_insert(Schedule::first(Instant::now()));
                    }
                }
            }
        }
        running.abort_all();
    });
    MonitorHandle { commands, cancel }
}

async fn check(app: &Patchbay, connector: ConnectorView, timeout: Duration) -> CheckOutcome {
    let previous = connector.status;
    let (current, diagnosis, error) = match app.check_by_id(&connector.id, timeout).await {
        Ok(Some(diagnosis)) => (diagnosis.status(), Some(diagnosis), None),
        Ok(None) => (previous, None, Some("the connector was deleted".to_owned())),
        Err(error @ crate::Error::CheckTimedOut { .. }) => {
            (ConnectorStatus::Disconnected, None, Some(error.to_string()))
        }
        Err(error) => {
            let status = match error.kind() {
                crate::ErrorKind::KeychainUnavailable => previous,
                _ => ConnectorStatus::Error,
            };
            (status, None, Some(error.to_string()))
        }
    };
    CheckOutcome {
        connector,
        previous,
        current,
        diagnosis,
        error,
    }
}

impl MonitorConfig {
    /// Defaults, with `PATCHBAY_MONITOR_INTERVAL_SECS` and `PATCHBAY_MONITOR_BACKOFF_MAX_SECS`
    /// applied (tests and impatient users shorten them).
    pub fn from_env() -> Self {
        Self::with_env(Self::default())
    }

    /// The person's monitor interval from the app settings, then the environment's overrides.
    pub fn for_settings(settings: &crate::settings::AppSettings) -> Self {
        let mut config = Self::default();
        config.interval = settings.monitor_interval();
        config.backoff_base = config.backoff_base.min(config.interval);
        Self::with_env(config)
    }

    fn with_env(base: Self) -> Self {
        let seconds = |name: &str| {
            let value = std::env::var(name).ok()?;
            let parsed = parse_seconds(&value);
            if parsed.is_none() {
                tracing::warn!(name, value, "ignored: not a positive number of seconds");
            }
            parsed
        };
        let mut config = base;
        if let Some(interval) = seconds("PATCHBAY_MONITOR_INTERVAL_SECS") {
            config.interval = interval;
            config.backoff_base = config.backoff_base.min(config.interval);
        }
        if let Some(max) = seconds("PATCHBAY_MONITOR_BACKOFF_MAX_SECS") {
            config.backoff_max = max;
            config.backoff_base = config.backoff_base.min(config.backoff_max);
        }
        config
    }
}

/// The longest interval the settings take: longer ones (up to `inf`) are this, so no deadline
/// computed from them can overflow.
const LONGEST_SETTING: Duration = Duration::from_secs(24 * 60 * 60);

/// A positive, finite number of seconds, at most [`LONGEST_SETTING`].
fn parse_seconds(text: &str) -> Option<Duration> {
    let seconds = text.trim().parse::<f64>().ok()?;
    (seconds.is_finite() && seconds > 0.0)
        .then(|| Duration::from_secs_f64(seconds.min(LONGEST_SETTING.as_secs_f64())))
}

#[cfg(test)]
mod settings {
    use super::*;

    #[test]
    fn only_positive_finite_seconds_are_taken_and_long_ones_are_capped() {
        assert_eq!(parse_seconds("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_seconds(" 30 "), Some(Duration::from_secs(30)));
        assert_eq!(parse_seconds("1e30"), Some(LONGEST_SETTING));
        for refused in ["inf", "-inf", "NaN", "0", "-1", "soon", ""] {
            assert_eq!(parse_seconds(refused), None, "{refused:?}");
        }
    }
}

/// The aggregate the tray icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// No connectors configured.
    Empty,
    /// Nothing needs attention (connected or not yet checked).
    AllGood,
    /// At least one connector is disconnected, needs authentication, or failed.
    Attention,
}

/// Counts for the tray tooltip and icon.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub connected: usize,
    pub attention: usize,
    /// Paused connectors: not checked, so neither connected nor needing attention.
    pub paused: usize,
}

impl Summary {
    pub fn of(connectors: &[ConnectorView]) -> Self {
        let mut summary = Self {
            total: connectors.len(),
            ..Self::default()
        };
        for connector in connectors {
            if connector.paused {
                summary.paused += 1;
                continue;
            }
            match connector.status {
                ConnectorStatus::Connected => summary.connected += 1,
                ConnectorStatus::Unknown => {}
                _ => summary.attention += 1,
            }
        }
        summary
    }

    pub fn aggregate(&self) -> Aggregate {
        match (self.total, self.attention) {
            (0, _) => Aggregate::Empty,
            (_, 0) => Aggregate::AllGood,
            _ => Aggregate::Attention,
        }
    }

    /// "3 connected, 1 needs attention" / "no connectors".
    pub fn describe(&self) -> String {
        if self.total == 0 {
            return "no connectors".into();
        }
        let mut parts = vec![format!("{} connected", self.connected)];
        if self.attention > 0 {
            parts.push(format!(
                "{} {} attention",
                self.attention,
                if self.attention == 1 { "needs" } else { "need" }
            ));
        }
        let unchecked = self.total - self.connected - self.attention - self.paused;
        if unchecked > 0 {
            parts.push(format!("{unchecked} not checked"));
        }
        if self.paused > 0 {
            parts.push(format!("{} paused", self.paused));
        }
        parts.join(", ")
    }
}

/// Decides which transitions deserve a desktop notification: Connected → Disconnected or Needs
/// authentication, at most once per connector per transition (a connector that stays down, or
/// flaps between two down states, is not announced again until it has been Connected).
#[derive(Debug, Default)]
pub struct TransitionAlerts {
    announced: HashMap<String, ConnectorStatus>,
}

impl TransitionAlerts {
    /// Returns the status to announce, if this outcome should notify.
    pub fn observe(
        &mut self,
        connector_id: &str,
        previous: ConnectorStatus,
        current: ConnectorStatus,
    ) -> Option<ConnectorStatus> {
        if current == ConnectorStatus::Connected {
            self.announced.remove(connector_id);
            return None;
        }
        let alarming = matches!(
            current,
            ConnectorStatus::Disconnected | ConnectorStatus::NeedsAuth
        );
        if previous != ConnectorStatus::Connected
            || !alarming
            || self.announced.contains_key(connector_id)
        {
            return None;
        }
        self.announced.insert(connector_id.to_owned(), current);
        Some(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_fire_once_per_transition() {
        use ConnectorStatus::*;
        let mut alerts = TransitionAlerts::default();
        assert_eq!(
            alerts.observe("a", Connected, Disconnected),
            Some(Disconnected)
        );
        assert_eq!(
            alerts.observe("a", Connected, Disconnected),
            None,
            "a stale repeat is not re-announced"
        );
        assert_eq!(alerts.observe("a", Disconnected, Disconnected), None);
        assert_eq!(alerts.observe("a", Disconnected, Connected), None);
        assert_eq!(
            alerts.observe("a", Connected, NeedsAuth),
            Some(NeedsAuth),
            "a new transition after recovery"
        );
        assert_eq!(
            alerts.observe("b", Connected, Error),
            None,
            "errors are shown, not notified"
        );
        assert_eq!(
            alerts.observe("b", Unknown, Disconnected),
            None,
            "never connected: no alert"
        );
    }

    fn view(status: ConnectorStatus) -> ConnectorView {
        ConnectorView {
            id: String::new(),
            workspace: String::new(),
            name: String::new(),
            url: String::new(),
            auth: crate::AuthKind::None,
            token_set: false,
            header_names: vec![],
            status,
            last_checked_at: None,
            last_error: None,
            created_at: String::new(),
            updated_at: String::new(),
            paused: false,
            muted: false,
            tool_count: None,
            recent: Vec::new(),
            network: Default::default(),
        }
    }

    #[test]
    fn summaries() {
        use ConnectorStatus::*;
        assert_eq!(Summary::of(&[]).aggregate(), Aggregate::Empty);
        assert_eq!(Summary::of(&[]).describe(), "no connectors");
        let good = Summary::of(&[view(Connected), view(Unknown)]);
        assert_eq!(
            (good.aggregate(), good.describe().as_str()),
            (Aggregate::AllGood, "1 connected, 1 not checked")
        );
        let bad = Summary::of(&[view(Connected), view(NeedsAuth), view(Error)]);
        assert_eq!(
            (bad.aggregate(), bad.describe().as_str()),
            (Aggregate::Attention, "1 connected, 2 need attention")
        );
        let paused = ConnectorView {
            paused: true,
            ..view(Error)
        };
        let resting = Summary::of(&[view(Connected), paused]);
        assert_eq!(
            (resting.aggregate(), resting.describe().as_str()),
            (Aggregate::AllGood, "1 connected, 1 paused")
        );
    }

    #[test]
    fn backoff_grows_caps_and_resets() {
        let config = MonitorConfig::default();
        assert_eq!(
            next_delay(&config, 0, 0.5),
            config.interval,
            "healthy: regular interval"
        );
        let delays: Vec<Duration> = (1..=10).map(|f| next_delay(&config, f, 0.5)).collect();
        assert_eq!(delays[0], Duration::from_secs(5));
        assert_eq!(delays[1], Duration::from_secs(10));
        assert_eq!(delays[2], Duration::from_secs(20));
        assert!(
            delays.windows(2).all(|w| w[0] <= w[1]),
            "never shrinks while failing"
        );
        assert_eq!(delays[9], config.backoff_max, "capped");
        assert_eq!(
            next_delay(&config, 1, 0.0),
            Duration::from_secs(4),
            "-20 % jitter"
        );
        assert_eq!(
            next_delay(&config, 1, 0.999_999).as_secs(),
            5,
            "+20 % jitter stays under 6 s"
        );
        assert_eq!(
            next_delay(&config, u32::MAX, 0.5),
            config.backoff_max,
            "no overflow"
        );
    }

    #[test]
    fn jitter_is_a_fraction() {
        for _ in 0..1000 {
            let value = jitter();
            assert!((0.0..1.0).contains(&value), "{value}");
        }
    }
}
