//! Cross-process single flight for token refresh. The desktop app and the CLI are separate
//! processes over one data directory; each has its own [`super::TokenCell`]s, so the cell's
//! in-process mutex cannot stop both from presenting the same refresh token at the same instant,
//! and an authorization server that rotates refresh tokens then revokes the whole family (RFC 9700
//! §4.14). A [`RefreshLock`] per credential is held around the cell's whole refresh — re-read the
//! store, refresh, commit — so the second process waits, re-reads, and finds the first one's
//! committed grant instead of spending the old refresh token again.
//!
//! Why an OS file lock (`std::fs::File::try_lock`: `flock` on Unix, `LockFileEx` on Windows;
//! stable since Rust 1.89, so no extra crate) rather than a lease row in SQLite: the OS drops the
//! lock when its process exits or crashes, so there is no stale lease and no expiry to tune
//! against slow servers or skewed clocks; and waiting writes nothing to the database, which the
//! status monitor and the UI are writing at the same time. The lock is advisory (only Patchbay
//! honours it) and assumes a local filesystem, which the app-data directory is.
//!
//! Waiting never blocks the async runtime: the lock is tried without blocking and retried after
//! short sleeps, and the wait is bounded ([`LOCK_WAIT`]) so a stuck process elsewhere surfaces as
//! [`LockError::Busy`] (every token kept; the caller tries again later) rather than a hang.
//! Lock files are empty; one per connector lives in `locks/` under the data directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a refresh waits for another process's: that process's token request (rmcp allows it
/// 30 s) and commit (the store's 5 s busy timeout), with room to spare.
pub const LOCK_WAIT: Duration = Duration::from_secs(45);

/// The longest sleep between two tries: short next to a token request, so the waiter follows the
/// holder within a tenth of a second.
const MAX_PAUSE: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "another Patchbay process has been renewing this sign-in for {} s; the tokens are kept, \
         try again",
        .0.as_secs()
    )]
    Busy(Duration),
    #[error("cannot open the refresh lock file {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot take the refresh lock: {0}")]
    Lock(std::io::Error),
}

/// The lock of one credential: a file, locked exclusively while a refresh runs.
#[derive(Debug, Clone)]
pub struct RefreshLock {
    path: PathBuf,
}

/// A held lock; dropping it (closing the file) releases it.
#[derive(Debug)]
pub struct HeldLock {
    _file: File,
}

impl RefreshLock {
    /// The lock of connector `connector_id` in `data_dir`.
    pub fn for_connector(data_dir: &Path, connector_id: &str) -> Self {
        Self {
            path: data_dir
                .join("locks")
                .join(format!("refresh-{connector_id}.lock")),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the lock, waiting at most [`LOCK_WAIT`] for another process to release it.
    pub async fn acquire(&self) -> Result<HeldLock, LockError> {
        self.acquire_within(LOCK_WAIT).await
    }

    /// Takes the lock, waiting at most `limit`.
    pub async fn acquire_within(&self, limit: Duration) -> Result<HeldLock, LockError> {
        let file = self.open()?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(HeldLock { _file: file }),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(error)) => return Err(LockError::Lock(error)),
            }
            if started.elapsed() >= limit {
                return Err(LockError::Busy(limit));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// Deletes the lock file of a deleted connector. A process still waiting on it holds the
    /// old file and finds the connector gone once it gets it.
    pub fn remove(&self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(%error, "removing a refresh lock file"),
        }
    }

    fn open(&self) -> Result<File, LockError> {
        let failed = |source| LockError::Open {
            path: self.path.display().to_string(),
            source,
        };
        if let Some(parent) = self.path.parent() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(parent).map_err(failed)?;
        }
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        // Private like the data directory's other files.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(&self.path).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_lock_makes_others_wait_and_is_released_on_drop() -> Result<(), LockError> {
        let dir = tempfile::tempdir().map_err(LockError::Lock)?;
        let lock = RefreshLock::for_connector(dir.path(), "connector");
        let held = lock.acquire().await?;
        // A second open file description, as another process has: the OS lock excludes it.
        let other = RefreshLock::for_connector(dir.path(), "connector");
        let started = Instant::now();
        match other.acquire_within(Duration::from_millis(200)).await {
            Err(LockError::Busy(_)) => {}
            outcome => panic!("a held lock must make the other wait, then give up: {outcome:?}"),
        }
        assert!(
            started.elapsed() >= Duration::from_millis(200),
            "it waited its limit"
        );
        assert!(
            RefreshLock::for_connector(dir.path(), "another")
                .acquire_within(Duration::ZERO)
                .await
                .is_ok(),
            "another connector's lock is independent"
        );
        drop(held);
        other.acquire_within(Duration::from_secs(1)).await?;
        Ok(())
    }

    #[tokio::test]
    async fn a_waiter_gets_the_lock_soon_after_its_release() -> Result<(), LockError> {
        let dir = tempfile::tempdir().map_err(LockError::Lock)?;
        let lock = RefreshLock::for_connector(dir.path(), "c");
        let held = lock.acquire().await?;
        let waiter = tokio::spawn({
            let lock = lock.clone();
            async move { lock.acquire_within(Duration::from_secs(5)).await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!waiter.is_finished(), "it waits while the lock is held");
        let released = Instant::now();
        drop(held);
        let outcome = waiter
            .await
            .map_err(|error| LockError::Lock(std::io::Error::other(error)))?;
        outcome?;
        assert!(
            released.elapsed() < Duration::from_secs(1),
            "the waiter follows the release promptly: {:?}",
            released.elapsed()
        );
        lock.remove();
        assert!(!lock.path().exists(), "a deleted connector's file goes");
        Ok(())
    }
}
