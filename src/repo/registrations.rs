//! The registrations and idempotency-key tables, and the seat counter of the event they
//! are for (its row lock and `seats_taken`). Waiting-list positions are derived
//! from arrival order, so they are always distinct, contiguous and in order.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use crate::db::schema::{events, idempotency_keys as ik, registrations as r};
use crate::db::{DbConnection, MultiBackend, mark_public_change};
use crate::domain::ids::{EventId, RegistrationId};
use crate::domain::page::Page;
use crate::domain::registration::RegistrationStatus;
use crate::domain::{Borough, Email};
use crate::error::ApiError;
use crate::repo::events::EventRow;

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// The event a registration is for, locked (see `first_for_update!`) so that
/// everything touching its seats and waiting list is serialised per event.
pub fn lock_event(conn: &mut DbConnection, id: EventId) -> Result<Option<EventRow>, ApiError> {
    Ok(crate::first_for_update!(
        conn,
        events::table.find(id).select(EventRow::as_select())
    )?)
}

/// `lock_event` by numeric id or by slug, in one statement.
pub fn lock_event_by_key(conn: &mut DbConnection, key: &str) -> Result<Option<EventRow>, ApiError> {
    if let Ok(id) = key.parse::<EventId>() {
        return lock_event(conn, id);
    }
    Ok(crate::first_for_update!(
        conn,
        events::table
            .filter(events::slug.eq(key))
            .select(EventRow::as_select())
    )?)
}

/// Takes one of the event's seats if one is free; false when the event is full.
pub fn take_seat(conn: &mut DbConnection, event_id: EventId) -> Result<bool, ApiError> {
    let free = events::capacity
        .is_null()
        .or(events::seats_taken.nullable().lt(events::capacity));
    let taken = diesel::update(events::table.find(event_id).filter(free))
        .set(events::seats_taken.eq(events::seats_taken + 1))
        .execute(conn)?;
    if taken == 1 {
        mark_public_change(conn);
    }
    Ok(taken == 1)
}

/// Gives back a seat that a cancelled registration held.
pub fn release_seat(conn: &mut DbConnection, event_id: EventId) -> Result<(), ApiError> {
    diesel::update(
        events::table
            .find(event_id)
            .filter(events::seats_taken.gt(0)),
    )
    .set(events::seats_taken.eq(events::seats_taken - 1))
    .execute(conn)?;
    mark_public_change(conn);
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = r)]
pub struct RegistrationRow {
    pub id: RegistrationId,
    pub event_id: EventId,
    pub seq: i64,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub borough: Option<String>,
    pub job_title: Option<String>,
    pub accessibility_needs: Option<String>,
    pub status: RegistrationStatus,
    pub attended: bool,
    pub active_email: Option<String>,
    pub manage_token_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub promoted_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    /// While `pending_confirmation`: when the hold lapses.
    pub confirm_by: Option<NaiveDateTime>,
    /// While `pending_confirmation`: whether the hold has one of the seats.
    pub holds_seat: bool,
}

impl RegistrationRow {
    /// Whether one of the event's seats is this registration's (confirmed, or held).
    pub fn has_seat(&self) -> bool {
        self.status == RegistrationStatus::Confirmed || self.holds_seat
    }
}

/// A registrant's details, already validated (stored with the email lower-cased).
#[derive(Debug, Clone)]
pub struct Registrant {
    pub full_name: String,
    pub email: Email,
    pub organisation: String,
    pub borough: Option<Borough>,
    pub job_title: Option<String>,
    pub accessibility_needs: Option<String>,
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
    if row.status != RegistrationStatus::Waitlisted {
        return Ok(None);
    }
    let ahead_and_self: i64 = r::table
        .filter(r::event_id.eq(row.event_id))
        .filter(r::status.eq(RegistrationStatus::Waitlisted))
        .filter(r::seq.le(row.seq))
        .select(count_star())
        .first(conn)?;
    Ok(Some(ahead_and_self))
}

/// The next arrival number for an event (arrival order decides the waiting list).
pub fn next_seq(conn: &mut DbConnection, event_id: EventId) -> Result<i64, ApiError> {
    let last = r::table
        .filter(r::event_id.eq(event_id))
        .select(max(r::seq))
        .first::<Option<i64>>(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// A new registration, as the rules decided it.
pub struct NewRegistration<'a> {
    pub id: &'a str,
    pub event_id: EventId,
    pub seq: i64,
    pub registrant: &'a Registrant,
    pub status: RegistrationStatus,
    pub manage_token_hash: &'a str,
    /// For a `pending_confirmation` registration: when it lapses, and whether it holds
    /// a seat meanwhile.
    pub hold: Option<(NaiveDateTime, bool)>,
}

/// Inserts; a second active registration for the email fails on the unique index.
pub fn insert(
    conn: &mut DbConnection,
    new: &NewRegistration,
    now: NaiveDateTime,
) -> Result<RegistrationRow, diesel::result::Error> {
    let registrant = new.registrant;
    let values = (
        r::id.eq(new.id),
        r::event_id.eq(new.event_id),
        r::seq.eq(new.seq),
        r::full_name.eq(&registrant.full_name),
        r::email.eq(registrant.email.lower()),
        r::organisation.eq(&registrant.organisation),
        r::borough.eq(registrant.borough.map(|b| b.name())),
        r::job_title.eq(&registrant.job_title),
        r::accessibility_needs.eq(&registrant.accessibility_needs),
        r::status.eq(new.status),
        r::active_email.eq(registrant.email.lower()),
        r::manage_token_hash.eq(new.manage_token_hash),
        r::confirm_by.eq(new.hold.map(|(by, _)| by)),
        r::holds_seat.eq(new.hold.is_some_and(|(_, seat)| seat)),
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
    match conn {
        DbConnection::Sqlite(c) => insert_returning!(c),
        DbConnection::Pg(c) => insert_returning!(c),
    }
}

/// Forgets `Idempotency-Key`s older than `IDEMPOTENCY_HOURS`.
pub fn purge_idempotency_keys(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), ApiError> {
    let expired = now - chrono::Duration::hours(IDEMPOTENCY_HOURS);
    diesel::delete(ik::table.filter(ik::created_at.lt(expired))).execute(conn)?;
    Ok(())
}

/// The request hash and registration an `Idempotency-Key` was first used with.
pub fn idempotent_registration(
    conn: &mut DbConnection,
    key: &str,
    event_id: EventId,
) -> Result<Option<(String, String)>, ApiError> {
    Ok(ik::table
        .filter(ik::idempotency_key.eq(key))
        .filter(ik::event_id.eq(event_id))
        .select((ik::request_hash, ik::registration_id))
        .first(conn)
        .optional()?)
}

pub fn remember_idempotency_key(
    conn: &mut DbConnection,
    key: &str,
    event_id: EventId,
    request_hash: &str,
    registration_id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(ik::table)
        .values((
            ik::idempotency_key.eq(key),
            ik::event_id.eq(event_id),
            ik::request_hash.eq(request_hash),
            ik::registration_id.eq(registration_id),
            ik::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_cancelled(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(r::table.find(id))
        .set((
            r::status.eq(RegistrationStatus::Cancelled),
            r::active_email.eq(None::<String>),
            r::attended.eq(false),
            r::holds_seat.eq(false),
            r::cancelled_at.eq(now),
            r::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The first on an event's waiting list.
pub fn first_waitlisted(
    conn: &mut DbConnection,
    event_id: EventId,
) -> Result<Option<RegistrationRow>, ApiError> {
    Ok(in_arrival_order(event_id)
        .filter(r::status.eq(RegistrationStatus::Waitlisted))
        .first(conn)
        .optional()?)
}

pub fn mark_promoted(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        r::table
            .find(id)
            .filter(r::status.eq(RegistrationStatus::Waitlisted)),
    )
    .set((
        r::status.eq(RegistrationStatus::Confirmed),
        r::promoted_at.eq(now),
        r::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// A held registration confirmed by its emailed link: `confirmed`, or `waitlisted` at
/// the back of the list (`seq`, a new arrival number).
pub fn mark_email_confirmed(
    conn: &mut DbConnection,
    id: &str,
    status: RegistrationStatus,
    seq: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let held = r::table
        .find(id)
        .filter(r::status.eq(RegistrationStatus::PendingConfirmation));
    let changes = (
        r::status.eq(status),
        r::holds_seat.eq(false),
        // No deadline any more (a later cancellation is not a lapse).
        r::confirm_by.eq(None::<NaiveDateTime>),
        r::updated_at.eq(now),
    );
    match seq {
        Some(seq) => diesel::update(held)
            .set((changes, r::seq.eq(seq)))
            .execute(conn)?,
        None => diesel::update(held).set(changes).execute(conn)?,
    };
    Ok(())
}

/// An event's held registrations whose time to confirm has run out by `now`.
pub fn lapsed_holds(
    conn: &mut DbConnection,
    event_id: EventId,
    now: NaiveDateTime,
) -> Result<Vec<RegistrationRow>, ApiError> {
    Ok(in_arrival_order(event_id)
        .filter(r::status.eq(RegistrationStatus::PendingConfirmation))
        .filter(r::confirm_by.le(now))
        .load(conn)?)
}

/// Up to `limit` events that have lapsed holds, soonest lapsed first.
pub fn events_with_lapsed_holds(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<EventId>, ApiError> {
    let mut events: Vec<EventId> = r::table
        .filter(r::status.eq(RegistrationStatus::PendingConfirmation))
        .filter(r::confirm_by.le(now))
        .order(r::confirm_by.asc())
        .select(r::event_id)
        .limit(limit)
        .load(conn)?;
    events.sort_unstable_by_key(|id| id.get());
    events.dedup();
    Ok(events)
}

/// An event's registrations that are not cancelled, in arrival order.
pub fn active_for_event(
    conn: &mut DbConnection,
    event_id: EventId,
) -> Result<Vec<RegistrationRow>, ApiError> {
    Ok(in_arrival_order(event_id)
        .filter(r::status.ne(RegistrationStatus::Cancelled))
        .load(conn)?)
}

/// An event's registrations, first come first: the waiting list's order too.
fn in_arrival_order(
    event_id: EventId,
) -> diesel::dsl::Select<
    r::BoxedQuery<'static, MultiBackend>,
    diesel::dsl::AsSelect<RegistrationRow, MultiBackend>,
> {
    r::table
        .filter(r::event_id.eq(event_id))
        .order(r::seq.asc())
        .into_boxed()
        .select(RegistrationRow::as_select())
}

pub fn set_attended(
    conn: &mut DbConnection,
    id: &str,
    attended: bool,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    Ok(diesel::update(
        r::table
            .find(id)
            .filter(r::status.eq(RegistrationStatus::Confirmed)),
    )
    .set((r::attended.eq(attended), r::updated_at.eq(now)))
    .execute(conn)?)
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub pending_confirmation: i64,
    pub confirmed: i64,
    pub waitlisted: i64,
    pub cancelled: i64,
    pub attended: i64,
}

pub fn counts(conn: &mut DbConnection, event_id: EventId) -> Result<Counts, ApiError> {
    let groups: Vec<(RegistrationStatus, bool, i64)> = r::table
        .filter(r::event_id.eq(event_id))
        .group_by((r::status, r::attended))
        .select((r::status, r::attended, count_star()))
        .load(conn)?;
    let mut counts = Counts::default();
    for (status, attended, n) in groups {
        match status {
            RegistrationStatus::PendingConfirmation => counts.pending_confirmation += n,
            RegistrationStatus::Confirmed => counts.confirmed += n,
            RegistrationStatus::Waitlisted => counts.waitlisted += n,
            RegistrationStatus::Cancelled => counts.cancelled += n,
        }
        if attended {
            counts.attended += n;
        }
    }
    Ok(counts)
}

/// A registration with its waiting-list position (while waitlisted).
pub type Positioned = (RegistrationRow, Option<i64>);

/// An event's registrations in arrival order, with waiting-list positions: one page,
/// or all of them.
pub fn list_for_event(
    conn: &mut DbConnection,
    event_id: EventId,
    status: Option<RegistrationStatus>,
    page: Option<Page>,
) -> Result<(Vec<Positioned>, i64), ApiError> {
    let filtered = || {
        let mut query = r::table.filter(r::event_id.eq(event_id)).into_boxed();
        if let Some(status) = status {
            query = query.filter(r::status.eq(status));
        }
        query
    };
    let ordered = || {
        filtered()
            .order(r::seq.asc())
            .select(RegistrationRow::as_select())
    };
    let (rows, total) = match page {
        Some(page) => super::paged(conn, page, ordered(), || filtered().count())?,
        None => {
            let rows: Vec<RegistrationRow> = ordered().load(conn)?;
            let total = rows.len() as i64;
            (rows, total)
        }
    };
    // Positions of the page's waitlisted rows: one count for the first, then ascend.
    let mut out = Vec::with_capacity(rows.len());
    let mut next_position: Option<i64> = None;
    for row in rows {
        let position = if row.status == RegistrationStatus::Waitlisted {
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
