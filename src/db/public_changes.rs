//! Which committed writes change what the public reads show, so that cached public
//! answers are dropped exactly then: an event written, published or cancelled, a seat
//! taken or given back, a bulletin written, a membership decision (the community
//! statistics). A rejected request, a sign-in, a token refresh or an admin read writes
//! nothing public and leaves them alone.
//!
//! A repository function that writes such data calls `mark` inside its transaction;
//! `write_transaction` counts a change on the pool's `PublicChanges` after the commit
//! (never for a rollback). The response cache keeps answers only for the count they
//! were read at. On PostgreSQL `mark` also sends a `NOTIFY` in the same transaction
//! (so it is delivered exactly when the change commits), on which the other instances'
//! `change_listener`s count the change too.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use diesel::RunQueryDsl;
use diesel::connection::{AnsiTransactionManager, TransactionManager};

use super::DbConnection;

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

fn count_change() {
    CURRENT.with_borrow(|current| {
        if let Some(changes) = current {
            changes.changed();
        }
    });
}

/// This write changes public data: counted when its transaction commits, at once when
/// there is none; other instances are told as it commits.
pub fn mark(conn: &mut DbConnection) {
    let first_in_transaction = if in_transaction(conn) {
        !MARKED.replace(true)
    } else {
        count_change();
        true
    };
    if first_in_transaction && let DbConnection::Pg(c) = conn {
        let instance = CURRENT.with_borrow(|current| {
            current
                .as_ref()
                .map_or_else(String::new, |changes| changes.instance.to_string())
        });
        // Delivered at the commit, dropped with a rollback. It cannot fail short of the
        // connection failing, which fails the write too.
        let _ = diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(CHANNEL)
            .bind::<diesel::sql_types::Text, _>(instance)
            .execute(c);
    }
}

fn in_transaction(conn: &mut DbConnection) -> bool {
    match conn {
        DbConnection::Sqlite(c) => depth(c) > 0,
        DbConnection::Pg(c) => depth(c) > 0,
    }
}

fn depth<C>(conn: &mut C) -> u32
where
    C: diesel::Connection<TransactionManager = AnsiTransactionManager>,
{
    AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, |d| d.get())
}

/// After a commit: counts what the transaction marked, once the outermost one has
/// committed.
pub(super) fn committed(conn: &mut DbConnection) {
    if !in_transaction(conn) && MARKED.replace(false) {
        count_change();
    }
}

/// After a rollback: nothing it marked happened.
pub(super) fn rolled_back() {
    MARKED.set(false);
}
