//! On PostgreSQL, each instance listens for the public changes the others commit
//! (`public_changes::CHANNEL`) and counts them as its own, so that its cached public
//! answers are dropped within moments of a change made anywhere, not at the end of
//! their TTL. When the channel is down, the TTL is the bound, as before; on reconnecting
//! the listener counts a change, for what it may have missed meanwhile.
//!
//! It runs on its own thread with its own connection, polling that connection's
//! received notifications (a non-blocking read) every `POLL`, and ends when its app
//! has stopped.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::r2d2::ManageConnection;

use super::public_changes::{CHANNEL, PublicChanges, WeakChanges};
use super::{DatabaseUrl, DbConnection, DbLimits, DbManager};

/// How often received notifications are looked at: the lag it adds.
const POLL: Duration = Duration::from_millis(50);
/// How often the connection is proved alive with a query, which a silently dropped
/// connection fails (its keepalives bound how long that takes).
const PING: Duration = Duration::from_secs(5);
/// The wait before connecting again.
const RETRY: Duration = Duration::from_secs(1);

/// Starts the listener of the app that counts `changes` (PostgreSQL only).
pub fn start(url: DatabaseUrl, limits: DbLimits, changes: &PublicChanges) {
    if !url.is_postgres() {
        return;
    }
    let changes = changes.downgrade();
    let spawned = std::thread::Builder::new()
        .name("public-changes".into())
        .spawn(move || listen(&DbManager::new(url, limits), &changes));
    if let Err(e) = spawned {
        log::warn!("cannot listen for other instances' changes: {e}");
    }
}

fn listen(manager: &DbManager, changes: &WeakChanges) {
    let mut warned = false;
    let mut first = true;
    while changes.upgrade().is_some() {
        match subscribe(manager) {
            Ok(mut conn) => {
                if warned {
                    log::info!("listening for other instances' changes again");
                    warned = false;
                }
                // Whatever happened while not listening may not have been seen (at
                // start-up nothing has been cached yet).
                if !first && let Some(changes) = changes.upgrade() {
                    changes.changed();
                }
                if let Err(e) = relay(&mut conn, changes) {
                    log::warn!("lost the channel of other instances' changes: {e}");
                    warned = true;
                }
            }
            Err(e) if !warned => {
                log::warn!(
                    "cannot listen for other instances' changes (cached public answers then last their TTL): {e}"
                );
                warned = true;
            }
            Err(_) => {}
        }
        first = false;
        std::thread::sleep(RETRY);
    }
}

fn subscribe(manager: &DbManager) -> Result<diesel::PgConnection, String> {
    match manager.connect().map_err(|e| e.to_string())? {
        DbConnection::Pg(mut conn) => {
            diesel::sql_query(format!("LISTEN {CHANNEL}"))
                .execute(&mut conn)
                .map_err(|e| e.to_string())?;
            Ok(conn)
        }
        DbConnection::Sqlite(_) => Err("not PostgreSQL".into()),
    }
}

/// Counts other instances' notifications until the connection fails or the app stops.
fn relay(conn: &mut diesel::PgConnection, changes: &WeakChanges) -> Result<(), String> {
    let mut pinged = Instant::now();
    loop {
        let Some(changes) = changes.upgrade() else {
            return Ok(());
        };
        let mut theirs = false;
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            theirs |= !changes.is_own(&notification.payload);
        }
        if theirs {
            changes.changed();
        }
        drop(changes);
        if pinged.elapsed() >= PING {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map_err(|e| e.to_string())?;
            pinged = Instant::now();
        }
        std::thread::sleep(POLL);
    }
}
