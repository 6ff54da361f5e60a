//! Registrations: seats taken by a conditional update checked by row count, in the same
//! transaction as the insert, with the event row locked; waiting-list positions derived
//! from arrival order, so they are always distinct, contiguous and in order.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use uuid::Uuid;

use crate::auth::tokens::hash_secret;
use crate::db::DbConnection;
use crate::db::schema::{idempotency_keys as ik, registrations as r};
use crate::error::ApiError;
use crate::notify::Links;
use crate::notify::templates::{Notice, render};
use crate::repo::events::{self, EventRow};
use crate::repo::notifications as outbox;

pub const CONFIRMED: &str = "confirmed";
pub const WAITLISTED: &str = "waitlisted";
pub const CANCELLED: &str = "cancelled";

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_HOURS: i64 = 24;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct RegistrationRow {
    pub id: String,
    pub event_id: i64,
    pub seq: i64,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub borough: Option<String>,
    pub job_title: Option<String>,
    pub accessibility_needs: Option<String>,
    pub status: String,
    pub attended: bool,
    pub active_email: Option<String>,
    pub manage_token_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub promoted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
}

/// A registrant's details, already validated; `email` lower-cased.
#[derive(Debug, Clone)]
pub struct Registrant {
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub borough: Option<String>,
    pub job_title: Option<String>,
    pub accessibility_needs: Option<String>,
}

pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
}

pub struct Registered {
    pub registration: RegistrationRow,
    pub position: Option<i64>,
    pub event: EventRow,
}

fn closed(kind: &'static str, detail: &str) -> ApiError {
    ApiError::conflict(kind, detail)
}

/// Why nobody can register for this event now, if so.
fn refusal(event: &EventRow, now: NaiveDateTime) -> Option<ApiError> {
    if event.is_cancelled() {
        return Some(closed("event-cancelled", "This event has been cancelled."));
    }
    if now >= event.starts_at {
        return Some(closed("event-past", "This event has already started."));
    }
    if !event.registration_required {
        return Some(closed(
            "registration-not-required",
            "This event needs no registration: just come along.",
        ));
    }
    if event.registration_opens_at.is_some_and(|opens| now < opens) {
        return Some(closed(
            "registration-closed",
            "Registration has not opened yet.",
        ));
    }
    if event
        .registration_closes_at
        .is_some_and(|closes| now >= closes)
    {
        return Some(closed("registration-closed", "Registration has closed."));
    }
    None
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<RegistrationRow>, ApiError> {
    Ok(r::table
        .find(id)
        .select(RegistrationRow::as_select())
        .first(conn)
        .optional()?)
}

/// 1-based place on the waiting list, for a waitlisted registration.
pub fn position(conn: &mut DbConnection, row: &RegistrationRow) -> Result<Option<i64>, ApiError> {
    if row.status != WAITLISTED {
        return Ok(None);
    }
    let ahead_and_self: i64 = r::table
        .filter(r::event_id.eq(row.event_id))
        .filter(r::status.eq(WAITLISTED))
        .filter(r::seq.le(row.seq))
        .select(count_star())
        .first(conn)?;
    Ok(Some(ahead_and_self))
}

fn notify(
    conn: &mut DbConnection,
    links: &Links,
    notice: Notice,
    row: &RegistrationRow,
    event: &EventRow,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let message = render(&notice, &row.full_name, event, &links.manage_link(&row.id));
    outbox::queue(conn, &row.email, &message, Some(&row.id), now)
}

/// Registers for a published event (the caller runs this in a write transaction).
pub fn register(
    conn: &mut DbConnection,
    links: &Links,
    event_key: &str,
    registrant: &Registrant,
    idempotency: Option<Idempotency>,
    now: NaiveDateTime,
) -> Result<Registered, ApiError> {
    let not_found = || ApiError::NotFound("No published event has this id or slug.".into());
    let event = events::lock_by_id_or_slug(conn, event_key)?
        .filter(EventRow::is_published)
        .ok_or_else(not_found)?;

    if let Some(idem) = &idempotency {
        diesel::delete(
            ik::table.filter(ik::created_at.lt(now - chrono::Duration::hours(IDEMPOTENCY_HOURS))),
        )
        .execute(conn)?;
        let earlier: Option<(String, String)> = ik::table
            .filter(ik::idempotency_key.eq(idem.key))
            .filter(ik::event_id.eq(event.id))
            .select((ik::request_hash, ik::registration_id))
            .first(conn)
            .optional()?;
        if let Some((hash, registration_id)) = earlier {
            if hash != idem.request_hash {
                return Err(ApiError::conflict(
                    "idempotency-key-reused",
                    "This Idempotency-Key was used with a different request.",
                ));
            }
            let registration = find(conn, &registration_id)?
                .ok_or_else(|| ApiError::internal("idempotent registration vanished"))?;
            let position = position(conn, &registration)?;
            return Ok(Registered {
                registration,
                position,
                event,
            });
        }
    }

    if let Some(refused) = refusal(&event, now) {
        return Err(refused);
    }
    // A second active registration for the email fails the insert below on the unique
    // index, which rolls back the seat with everything else.
    let status = if events::take_seat(conn, event.id)? {
        CONFIRMED
    } else {
        WAITLISTED
    };
    let seq = r::table
        .filter(r::event_id.eq(event.id))
        .select(max(r::seq))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0)
        + 1;
    let id = Uuid::new_v4().to_string();
    let values = (
        r::id.eq(&id),
        r::event_id.eq(event.id),
        r::seq.eq(seq),
        r::full_name.eq(&registrant.full_name),
        r::email.eq(&registrant.email),
        r::organisation.eq(&registrant.organisation),
        r::borough.eq(&registrant.borough),
        r::job_title.eq(&registrant.job_title),
        r::accessibility_needs.eq(&registrant.accessibility_needs),
        r::status.eq(status),
        r::active_email.eq(&registrant.email),
        r::manage_token_hash.eq(hash_secret(&links.manage_tokens.token_for(&id))),
        r::created_at.eq(now),
        r::updated_at.eq(now),
    );
    // RETURNING is per backend in diesel, so the insert is written for each.
    macro_rules! insert_returning {
        ($conn:expr) => {
            diesel::insert_into(r::table)
                .values(values)
                .returning(RegistrationRow::as_returning())
                .get_result($conn)
        };
    }
    let inserted = match conn {
        DbConnection::Sqlite(c) => insert_returning!(c),
        DbConnection::Pg(c) => insert_returning!(c),
    };
    let registration = inserted.map_err(|e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => already_registered(),
        other => other.into(),
    })?;
    if let Some(idem) = &idempotency {
        diesel::insert_into(ik::table)
            .values((
                ik::idempotency_key.eq(idem.key),
                ik::event_id.eq(event.id),
                ik::request_hash.eq(idem.request_hash),
                ik::registration_id.eq(&id),
                ik::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    let position = position(conn, &registration)?;
    let notice = match position {
        Some(position) => Notice::Waitlisted { position },
        None => Notice::Confirmed,
    };
    notify(conn, links, notice, &registration, &event, now)?;
    Ok(Registered {
        registration,
        position,
        event,
    })
}

fn already_registered() -> ApiError {
    ApiError::conflict(
        "already-registered",
        "This email already has a registration for this event.",
    )
}

/// Who is cancelling: registrants cannot cancel once the event has started.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    Registrant,
    Admin,
}

/// Cancels a registration; a freed seat goes to the first on the waiting list at once.
pub fn cancel(
    conn: &mut DbConnection,
    links: &Links,
    row: &RegistrationRow,
    by: CancelledBy,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let event =
        events::lock(conn, row.event_id)?.ok_or_else(|| ApiError::internal("event vanished"))?;
    // Re-read under the lock: a concurrent cancellation may have won.
    let row = find(conn, &row.id)?
        .ok_or_else(|| ApiError::NotFound("No registration has this id.".into()))?;
    if row.status == CANCELLED {
        return Err(ApiError::conflict(
            "registration-cancelled",
            "This registration is already cancelled.",
        ));
    }
    if by == CancelledBy::Registrant && now >= event.starts_at {
        return Err(ApiError::conflict(
            "event-past",
            "This event has already started.",
        ));
    }
    diesel::update(r::table.find(&row.id))
        .set((
            r::status.eq(CANCELLED),
            r::active_email.eq(None::<String>),
            r::attended.eq(false),
            r::cancelled_at.eq(now),
            r::updated_at.eq(now),
        ))
        .execute(conn)?;
    notify(conn, links, Notice::Cancelled, &row, &event, now)?;
    if row.status == CONFIRMED {
        events::release_seat(conn, event.id)?;
        fill_seats(conn, links, event.id, now)?;
    }
    Ok(())
}

/// Confirms waitlisted registrations, first come first served, while seats are free
/// (after a cancellation or a larger capacity).
pub fn fill_seats(
    conn: &mut DbConnection,
    links: &Links,
    event_id: i64,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let event =
        events::lock(conn, event_id)?.ok_or_else(|| ApiError::internal("event vanished"))?;
    if event.is_cancelled() || now >= event.starts_at {
        return Ok(0);
    }
    let mut promoted = 0;
    loop {
        let Some(next) = r::table
            .filter(r::event_id.eq(event_id))
            .filter(r::status.eq(WAITLISTED))
            .order(r::seq.asc())
            .select(RegistrationRow::as_select())
            .first(conn)
            .optional()?
        else {
            break;
        };
        if !events::take_seat(conn, event_id)? {
            break;
        }
        diesel::update(r::table.find(&next.id).filter(r::status.eq(WAITLISTED)))
            .set((
                r::status.eq(CONFIRMED),
                r::promoted_at.eq(now),
                r::updated_at.eq(now),
            ))
            .execute(conn)?;
        notify(conn, links, Notice::Promoted, &next, &event, now)?;
        promoted += 1;
    }
    Ok(promoted)
}

/// Tells every active registrant that the event is cancelled.
pub fn notify_event_cancelled(
    conn: &mut DbConnection,
    links: &Links,
    event: &EventRow,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let active: Vec<RegistrationRow> = r::table
        .filter(r::event_id.eq(event.id))
        .filter(r::status.ne(CANCELLED))
        .order(r::seq.asc())
        .select(RegistrationRow::as_select())
        .load(conn)?;
    let reason = event.cancellation_reason.clone().unwrap_or_default();
    for row in &active {
        notify(
            conn,
            links,
            Notice::EventCancelled { reason: &reason },
            row,
            event,
            now,
        )?;
    }
    Ok(())
}

pub fn set_attended(
    conn: &mut DbConnection,
    id: &str,
    attended: bool,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    Ok(
        diesel::update(r::table.find(id).filter(r::status.eq(CONFIRMED)))
            .set((r::attended.eq(attended), r::updated_at.eq(now)))
            .execute(conn)?,
    )
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub confirmed: i64,
    pub waitlisted: i64,
    pub cancelled: i64,
    pub attended: i64,
}

pub fn counts(conn: &mut DbConnection, event_id: i64) -> Result<Counts, ApiError> {
    let groups: Vec<(String, bool, i64)> = r::table
        .filter(r::event_id.eq(event_id))
        .group_by((r::status, r::attended))
        .select((r::status, r::attended, count_star()))
        .load(conn)?;
    let mut counts = Counts::default();
    for (status, attended, n) in groups {
        match status.as_str() {
            CONFIRMED => counts.confirmed += n,
            WAITLISTED => counts.waitlisted += n,
            _ => counts.cancelled += n,
        }
        if attended {
            counts.attended += n;
        }
    }
    Ok(counts)
}

/// A registration with its waiting-list position (while waitlisted).
pub type Positioned = (RegistrationRow, Option<i64>);

/// An event's registrations in arrival order, with waiting-list positions.
pub fn list_for_event(
    conn: &mut DbConnection,
    event_id: i64,
    status: Option<&str>,
    page: Option<(i64, i64)>,
) -> Result<(Vec<Positioned>, i64), ApiError> {
    let filtered = || {
        let mut query = r::table.filter(r::event_id.eq(event_id)).into_boxed();
        if let Some(status) = status {
            query = query.filter(r::status.eq(status.to_string()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let mut query = filtered()
        .order(r::seq.asc())
        .select(RegistrationRow::as_select());
    if let Some((limit, offset)) = page {
        query = query.limit(limit).offset(offset);
    }
    let rows: Vec<RegistrationRow> = query.load(conn)?;
    // Positions of the page's waitlisted rows: one count for the first, then ascend.
    let mut out = Vec::with_capacity(rows.len());
    let mut next_position: Option<i64> = None;
    for row in rows {
        let position = if row.status == WAITLISTED {
            let p = match next_position {
                Some(p) => p,
                None => position(conn, &row)?.unwrap_or(1),
            };
            next_position = Some(p + 1);
            Some(p)
        } else {
            None
        };
        out.push((row, position));
    }
    Ok((out, total))
}
