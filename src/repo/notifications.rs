//! The notifications table (the outbox): queue, claim for sending, record the outcome.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbConnection;
use crate::db::schema::notifications as n;
use crate::domain::page::Page;
use crate::error::ApiError;

/// A rendered message, as queued.
pub struct Message {
    pub template: &'static str,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = n)]
pub struct NotificationRow {
    pub id: String,
    pub recipient: String,
    pub template: String,
    pub subject: String,
    pub body: String,
    pub registration_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_until: Option<NaiveDateTime>,
    pub sent_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    /// The account token whose link the sender fills in (`notify::with_account_token`).
    pub account_token_id: Option<String>,
}

impl NotificationRow {
    pub fn status(&self) -> &'static str {
        if self.sent_at.is_some() {
            "sent"
        } else if self.failed_at.is_some() {
            "failed"
        } else {
            "queued"
        }
    }
}

pub fn queue(
    conn: &mut DbConnection,
    recipient: &str,
    message: &Message,
    registration_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    insert(conn, recipient, message, registration_id, None, now)
}

/// Queues a message whose account link is filled with the token of `account_token_id`
/// when it is sent.
pub fn queue_with_account_link(
    conn: &mut DbConnection,
    recipient: &str,
    message: &Message,
    account_token_id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    insert(conn, recipient, message, None, Some(account_token_id), now)
}

fn insert(
    conn: &mut DbConnection,
    recipient: &str,
    message: &Message,
    registration_id: Option<&str>,
    account_token_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    // An erased person's placeholder address reaches nobody; mail to it would only
    // retry until it failed.
    if recipient.ends_with(crate::domain::email::ERASED_EMAIL_DOMAIN) {
        return Ok(());
    }
    diesel::insert_into(n::table)
        .values((
            // Time-ordered, so messages queued by one change keep their order.
            n::id.eq(Uuid::now_v7().to_string()),
            n::recipient.eq(recipient),
            n::template.eq(message.template),
            n::subject.eq(&message.subject),
            n::body.eq(&message.body),
            n::registration_id.eq(registration_id),
            n::account_token_id.eq(account_token_id),
            n::created_at.eq(now),
            n::next_attempt_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due messages for `claim_for`; a message claimed by another
/// sender (another instance) is skipped, so none is sent twice.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    claim_for: Duration,
) -> Result<Vec<NotificationRow>, ApiError> {
    let candidates: Vec<String> = n::table
        .filter(n::sent_at.is_null())
        .filter(n::failed_at.is_null())
        .filter(n::next_attempt_at.le(now))
        .filter(n::claimed_until.is_null().or(n::claimed_until.lt(now)))
        .order(n::next_attempt_at.asc())
        .select(n::id)
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        let won = diesel::update(
            n::table
                .find(&id)
                .filter(n::sent_at.is_null())
                .filter(n::failed_at.is_null())
                .filter(n::claimed_until.is_null().or(n::claimed_until.lt(now))),
        )
        .set((
            n::claimed_until.eq(now + claim_for),
            n::attempts.eq(n::attempts + 1),
        ))
        .execute(conn)?;
        if won == 1 {
            claimed.push(
                n::table
                    .find(&id)
                    .select(NotificationRow::as_select())
                    .first(conn)?,
            );
        }
    }
    Ok(claimed)
}

pub fn mark_sent(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    diesel::update(n::table.find(id))
        .set((
            n::sent_at.eq(now),
            n::claimed_until.eq(None::<NaiveDateTime>),
            n::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Schedules a retry with exponential backoff, or gives up after `max_attempts`.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    row: &NotificationRow,
    error: &str,
    now: NaiveDateTime,
    retry_base: Duration,
    max_attempts: i32,
) -> Result<(), ApiError> {
    let error: String = error.chars().take(500).collect();
    if row.attempts >= max_attempts {
        diesel::update(n::table.find(&row.id))
            .set((
                n::failed_at.eq(now),
                n::claimed_until.eq(None::<NaiveDateTime>),
                n::last_error.eq(error),
            ))
            .execute(conn)?;
    } else {
        let factor = 1i32 << (row.attempts.clamp(1, 16) - 1);
        let delay = (retry_base * factor).min(Duration::hours(6));
        diesel::update(n::table.find(&row.id))
            .set((
                n::next_attempt_at.eq(now + delay),
                n::claimed_until.eq(None::<NaiveDateTime>),
                n::last_error.eq(error),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    page: Page,
) -> Result<(Vec<NotificationRow>, i64), ApiError> {
    let filtered = || {
        let mut query = n::table.into_boxed();
        match status {
            Some("sent") => query = query.filter(n::sent_at.is_not_null()),
            Some("failed") => query = query.filter(n::failed_at.is_not_null()),
            Some(_) => {
                query = query
                    .filter(n::sent_at.is_null())
                    .filter(n::failed_at.is_null())
            }
            None => {}
        }
        query
    };
    super::paged(
        conn,
        page,
        filtered()
            .order((n::created_at.desc(), n::id.desc()))
            .select(NotificationRow::as_select()),
        || filtered().count(),
    )
}

/// Messages waiting to be sent, and those given up on.
pub fn backlog(conn: &mut DbConnection) -> Result<(i64, i64), ApiError> {
    let unsent = n::table.filter(n::sent_at.is_null());
    let queued: i64 = unsent
        .filter(n::failed_at.is_null())
        .count()
        .get_result(conn)?;
    let failed: i64 = unsent
        .filter(n::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((queued, failed))
}
