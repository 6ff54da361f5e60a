//! One SQLite writer at a time, queued in the process.
//!
//! SQLite lets one transaction write at a time. Left to SQLite, the others wait in its
//! busy handler, which sleeps between polls (up to 100 ms each), so a burst of writers
//! spends most of its time asleep while the database is free. Queueing them on a lock
//! here hands the database to the next writer as soon as the last one commits.
//! `busy_timeout` still covers writers in other processes and writes made outside a
//! write transaction. A process serves one database, so one queue serves them all (the
//! tests' many small databases share it at no real cost).

use std::sync::LazyLock;
use std::time::Duration;

use parking_lot::{ReentrantMutex, ReentrantMutexGuard};

use crate::error::ApiError;

/// As long as SQLite's own `busy_timeout`.
const WAIT: Duration = Duration::from_secs(10);

static GATE: LazyLock<ReentrantMutex<()>> = LazyLock::new(|| ReentrantMutex::new(()));

/// Waits for this thread's turn to write; 503 rather than waiting without bound.
/// Re-entrant, so a write transaction inside another cannot deadlock on it.
pub fn enter() -> Result<ReentrantMutexGuard<'static, ()>, ApiError> {
    GATE.try_lock_for(WAIT).ok_or_else(|| {
        ApiError::Unavailable("timed out waiting for the database's write lock".into())
    })
}
