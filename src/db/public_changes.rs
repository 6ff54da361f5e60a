//! Which committed writes change what the public reads show, so that cached public
//! answers are dropped exactly then: an event written, published or cancelled, a seat
//! taken or given back, a bulletin written, a membership decision (the community
//! statistics). A rejected request, a sign-in, a token refresh or an admin read writes
//! nothing public and leaves them alone.
//!
//! A repository function that writes such data calls `db::mark_public_change` inside
//! its transaction;
//! `write_transaction` counts a change on the pool's `PublicChanges` after the commit
//! (never for a rollback). The response cache keeps answers only for the count they
//! were read at. On PostgreSQL the mark also sends a `NOTIFY` in the same transaction
//! (so it is delivered exactly when the change commits), on which the other instances'
//! `change_listener`s count the change too.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// The PostgreSQL channel on which instances tell each other of public changes.
pub const CHANNEL: &str = "llcp_public_changes";

/// The count of committed public changes made through one pool (one app), or told of
/// by another instance; and the name the app signs its notifications with, so that it
/// skips its own.
#[derive(Clone)]
pub struct PublicChanges {
    count: Arc<AtomicU64>,
    instance: Arc<str>,
}

impl Default for PublicChanges {
    fn default() -> Self {
        Self {
            count: Arc::default(),
            instance: uuid::Uuid::new_v4().simple().to_string().into(),
        }
    }
}

/// `PublicChanges` that does not keep its app alive (for the listener thread).
pub struct WeakChanges {
    count: Weak<AtomicU64>,
    instance: Arc<str>,
}

impl WeakChanges {
    /// The changes, while their app is still running.
    pub fn upgrade(&self) -> Option<PublicChanges> {
        let count = self.count.upgrade()?;
        Some(PublicChanges {
            count,
            instance: Arc::clone(&self.instance),
        })
    }
}

impl PublicChanges {
    pub fn downgrade(&self) -> WeakChanges {
        WeakChanges {
            count: Arc::downgrade(&self.count),
            instance: Arc::clone(&self.instance),
        }
    }

    /// Whether a notification's payload names this app.
    pub fn is_own(&self, payload: &str) -> bool {
        *self.instance == *payload
    }

    /// Read it before the database is: an answer is as fresh as the count it was read at.
    pub fn generation(&self) -> u64 {
        self.count.load(Ordering::Acquire)
    }

    /// Public data changed: every cached public answer is stale from now on.
    pub fn changed(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }
}

thread_local! {
    /// The changes of the pool whose connection this thread is using.
    static CURRENT: RefCell<Option<PublicChanges>> = const { RefCell::new(None) };
    /// Set when the open transaction on this thread has written public data.
    static MARKED: Cell<bool> = const { Cell::new(false) };
}

/// Runs database work of the pool that counts `changes` on this thread.
pub(super) fn counting<T>(changes: &PublicChanges, work: impl FnOnce() -> T) -> T {
    // A mark left by work that panicked mid-transaction on this thread is void.
    MARKED.set(false);
    let before = CURRENT.replace(Some(changes.clone()));
    let result = work();
    CURRENT.set(before);
    result
}

pub(super) fn count_change() {
    CURRENT.with_borrow(|current| {
        if let Some(changes) = current {
            changes.changed();
        }
    });
}

/// Notes a public change in the open transaction; true for its first.
pub(super) fn mark_in_transaction() -> bool {
    !MARKED.replace(true)
}

/// The name of the app whose database work runs on this thread, for its notifications.
pub(super) fn instance() -> String {
    CURRENT.with_borrow(|current| {
        current
            .as_ref()
            .map_or_else(String::new, |changes| changes.instance.to_string())
    })
}

/// After the outermost transaction committed: counts what it marked.
pub(super) fn committed() {
    if MARKED.replace(false) {
        count_change();
    }
}

/// After a rollback: nothing it marked happened.
pub(super) fn rolled_back() {
    MARKED.set(false);
}
