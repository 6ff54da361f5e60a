//! Storage limitation (UK GDPR): registrations are anonymised once their event ended
//! `RETENTION_MONTHS` ago, delivered notifications are deleted after 90 days, account
//! links a week after they expired, and counted attempts (with client addresses) after
//! a day. Runs at start-up and then hourly, in short transactions, safe on every
//! instance.

use std::time::Duration;

use chrono::{Months, NaiveDateTime};

use crate::config::Retention;
use crate::db::{self, DbConnection, DbPool};
use crate::error::ApiError;
use crate::repo::personal_data::{self, Retained};
use crate::repo::throttle_hits;

/// How long a delivered notification is kept: long enough to answer "did you email me?".
pub const SENT_NOTIFICATION_DAYS: i64 = 90;

/// How long a counted attempt (a failed sign-in, a registration's client address) is kept.
pub const THROTTLE_HIT_HOURS: i64 = 24;
/// How long an expired account link (verification, reset) is kept, to tell "expired"
/// from "unknown" when someone asks about it.
pub const EXPIRED_ACCOUNT_TOKEN_DAYS: i64 = 7;

/// Events whose registrations one retention transaction anonymises.
pub const EVENTS_PER_STEP: i64 = 20;

/// One retention pass as of `now`.
pub fn apply(
    conn: &mut DbConnection,
    policy: &Retention,
    now: NaiveDateTime,
) -> Result<Retained, ApiError> {
    apply_in_steps(conn, policy, now, EVENTS_PER_STEP)
}

/// `apply`, `events_per_step` events per transaction.
pub fn apply_in_steps(
    conn: &mut DbConnection,
    policy: &Retention,
    now: NaiveDateTime,
    events_per_step: i64,
) -> Result<Retained, ApiError> {
    let events_ended_before = now
        .checked_sub_months(Months::new(policy.registration_months))
        .ok_or_else(|| ApiError::internal("retention cutoff out of range"))?;
    let mut retained = Retained::default();
    loop {
        let (events, step) = db::write_transaction(conn, |conn| {
            personal_data::anonymise_registrations_of_events_ended_before(
                conn,
                events_ended_before,
                now,
                events_per_step,
            )
        })?;
        retained.registrations_anonymised += step.registrations_anonymised;
        retained.notifications_deleted += step.notifications_deleted;
        if events == 0 {
            break;
        }
    }
    retained.notifications_deleted += db::write_transaction(conn, |conn| {
        personal_data::delete_notifications_sent_before(
            conn,
            now - chrono::Duration::days(SENT_NOTIFICATION_DAYS),
        )
    })?;
    // Every limit's window is far shorter; older hits can no longer count.
    db::write_transaction(conn, |conn| {
        throttle_hits::prune_before(conn, now - chrono::Duration::hours(THROTTLE_HIT_HOURS))
            .map_err(ApiError::from)
    })?;
    db::write_transaction(conn, |conn| {
        crate::repo::account_tokens::delete_expired_before(
            conn,
            now - chrono::Duration::days(EXPIRED_ACCOUNT_TOKEN_DAYS),
        )
    })?;
    Ok(retained)
}

/// Starts the periodic task (within a tokio runtime).
pub fn start(pool: DbPool, policy: Retention) {
    tokio::spawn(async move {
        loop {
            let result = db::run_in_background(&pool, move |conn| {
                apply(conn, &policy, crate::domain::time::now())
            })
            .await;
            match result {
                Ok(r) if r != Retained::default() => log::info!(
                    "retention: {} registrations anonymised, {} notifications deleted",
                    r.registrations_anonymised,
                    r.notifications_deleted
                ),
                Ok(_) => {}
                Err(e) => log::warn!("retention: {e}"),
            }
            tokio::time::sleep(policy.interval.max(Duration::from_secs(1))).await;
        }
    });
}
