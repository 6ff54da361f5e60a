//! The cap on open connections. Each connection holds a file descriptor, so past the
//! process's file limit the server could accept nothing, /healthz included. The cap
//! sits below that limit, and a connection opened over it makes room by ending the
//! body that has been stalled longest (408, closed); when no body is stalled, the new
//! connection's request is answered 503 with `Retry-After` and the connection closed.
//! So clients that stall cannot keep out the ones that do not.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::dev::Extensions;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::error::ApiError;

/// A body counts as stalled once nothing of it has come for this long.
const STALLED_AFTER: Duration = Duration::from_millis(250);
/// Descriptors kept free for the database, logs and the listener, beyond those that
/// the pool's connections take (a SQLite connection opens three files).
const RESERVED_FILES: u64 = 32;
const FILES_PER_DATABASE_CONNECTION: u64 = 4;

/// The connections open now and the request bodies being read on them.
pub struct Connections {
    cap: usize,
    open: AtomicUsize,
    next_read: AtomicU64,
    reads: Mutex<Vec<BodyRead>>,
}

struct BodyRead {
    id: u64,
    last_progress: Instant,
    shed: Arc<Notify>,
}

impl Connections {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            open: AtomicUsize::new(0),
            next_read: AtomicU64::new(0),
            reads: Mutex::new(Vec::new()),
        })
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Counts a new connection (for the dispatcher's `on_connect_ext`); past the cap it ends the
    /// longest-stalled body, or else the connection is not admitted.
    pub fn opened(self: &Arc<Self>, extensions: &mut Extensions) {
        let open = self.open.fetch_add(1, Ordering::AcqRel) + 1;
        let admitted = open <= self.cap || self.shed_longest_stalled();
        extensions.insert(Admission {
            connections: Arc::clone(self),
            admitted,
        });
    }

    fn shed_longest_stalled(&self) -> bool {
        let mut reads = self.reads.lock();
        let stalled_since = Instant::now().checked_sub(STALLED_AFTER);
        let longest = reads
            .iter()
            .enumerate()
            .filter(|(_, r)| stalled_since.is_some_and(|t| r.last_progress <= t))
            .min_by_key(|(_, r)| r.last_progress)
            .map(|(i, _)| i);
        match longest {
            Some(i) => {
                reads.swap_remove(i).shed.notify_one();
                true
            }
            None => false,
        }
    }

    /// Registers a body being read; the guard tells when to give up and must be told of
    /// progress.
    pub fn reading(self: &Arc<Self>) -> ReadWatch {
        let id = self.next_read.fetch_add(1, Ordering::Relaxed);
        let shed = Arc::new(Notify::new());
        self.reads.lock().push(BodyRead {
            id,
            last_progress: Instant::now(),
            shed: Arc::clone(&shed),
        });
        ReadWatch {
            connections: Arc::clone(self),
            id,
            shed,
        }
    }
}

/// Whether a connection was let in; dropped (the count going down) when it closes.
pub struct Admission {
    connections: Arc<Connections>,
    pub admitted: bool,
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.connections.open.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A body read in progress, registered for shedding.
pub struct ReadWatch {
    connections: Arc<Connections>,
    id: u64,
    shed: Arc<Notify>,
}

impl ReadWatch {
    pub fn progressed(&self) {
        if let Some(read) = self
            .connections
            .reads
            .lock()
            .iter_mut()
            .find(|r| r.id == self.id)
        {
            read.last_progress = Instant::now();
        }
    }

    /// Resolves when this body is shed to make room for a new connection.
    pub async fn shed(&self) {
        self.shed.notified().await
    }
}

impl Drop for ReadWatch {
    fn drop(&mut self) {
        self.connections.reads.lock().retain(|r| r.id != self.id);
    }
}

pub fn shed_error() -> ApiError {
    ApiError::RequestTimeout(
        "The server is at its connection limit and this body was the slowest to arrive.".into(),
    )
}

/// The cap for a process allowed `file_limit` descriptors with `pool_size` database
/// connections: `wanted`, or less when the file limit leaves less room. A fifth of the
/// room stays free for connections over the cap, which are answered and closed.
pub fn cap_within(wanted: usize, file_limit: u64, pool_size: u32) -> Result<usize, String> {
    let room = file_limit
        .saturating_sub(RESERVED_FILES + FILES_PER_DATABASE_CONNECTION * u64::from(pool_size));
    let cap = usize::try_from(room / 5 * 4)
        .unwrap_or(usize::MAX)
        .min(wanted);
    if cap == 0 {
        return Err(format!(
            "the open-file limit ({file_limit}) leaves no room for connections; raise it (ulimit -n)"
        ));
    }
    Ok(cap)
}

/// Raises the soft open-file limit to the hard one (as far as 65536) and returns it.
pub fn raise_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        let wanted = limit.rlim_max.min(65_536);
        if limit.rlim_cur < wanted {
            let raised = libc::rlimit {
                rlim_cur: wanted,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit.rlim_cur = wanted;
            }
        }
    }
    limit.rlim_cur
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_for_the_database_and_answers_over_it() {
        assert_eq!(cap_within(10_000, 65_536, 10), Ok(10_000));
        // 1024 - 32 - 40 = 952 free; four fifths of it.
        assert_eq!(cap_within(10_000, 1024, 10), Ok(760));
        assert!(cap_within(10_000, 64, 10).is_err());
    }

    #[test]
    fn over_the_cap_the_longest_stalled_body_is_shed_and_a_moving_one_is_not() {
        let connections = Connections::new(1);
        let mut first = Extensions::new();
        connections.opened(&mut first);
        let stalled = connections.reading();
        let moving = connections.reading();
        std::thread::sleep(STALLED_AFTER + Duration::from_millis(20));
        moving.progressed();

        let mut second = Extensions::new();
        connections.opened(&mut second);
        assert!(second.get::<Admission>().unwrap().admitted, "room was made");
        let ids: Vec<u64> = connections.reads.lock().iter().map(|r| r.id).collect();
        assert_eq!(ids, [moving.id], "the stalled body was shed");
        drop(stalled);

        let mut third = Extensions::new();
        connections.opened(&mut third);
        assert!(
            !third.get::<Admission>().unwrap().admitted,
            "nothing stalled to shed"
        );
        drop((first, second, third));
        assert_eq!(connections.open.load(Ordering::Acquire), 0);
    }
}
