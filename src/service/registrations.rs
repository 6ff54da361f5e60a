//! Registering for an event and cancelling: who may, seats taken by a conditional
//! update checked by row count in the same transaction as the insert (the event row
//! locked), the waiting list, idempotent retries, holds that wait for the emailed
//! confirmation link (and lapse), and the message each change sends.

use std::net::IpAddr;

use chrono::NaiveDateTime;
use uuid::Uuid;

use crate::auth::tokens::hash_secret;
use crate::config::RateLimits;
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::EventId;
use crate::domain::registration::RegistrationStatus;
use crate::error::ApiError;
use crate::notify::Links;
use crate::notify::templates::{Notice, render};
use crate::repo::accounts::AccountRow;
use crate::repo::events::{self, EventRow};
use crate::repo::registrations::{self, NewRegistration, Registrant, RegistrationRow};
use crate::repo::{audit, notifications};
use crate::service::throttle;

/// An `Idempotency-Key` and the hash of the request it came with.
pub struct Idempotency<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
}

pub struct Registered {
    pub registration: RegistrationRow,
    pub position: Option<i64>,
    pub event: EventRow,
}

/// Who is cancelling: registrants cannot cancel once the event has started.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    Registrant,
    Admin,
}

/// An anonymous registration as it arrived: who, the retry key, and the client's
/// address (for the per-address limits).
pub struct Submission<'a> {
    pub registrant: &'a Registrant,
    pub idempotency: Option<Idempotency<'a>>,
    pub address: Option<IpAddr>,
}

/// The operator's settings that registering applies.
#[derive(Clone, Copy)]
pub struct Policy {
    pub limits: RateLimits,
    /// How long a hold waits for its emailed link (`CONFIRM_MINUTES`).
    pub confirm_within: chrono::Duration,
}

/// Registers for a published event: `confirmed` while seats last, then `waitlisted`;
/// on an event with email confirmation, `pending_confirmation` first (holding a seat
/// while one is free) until the emailed link is followed (`confirm`). A retry with the
/// same `Idempotency-Key` and request returns the first answer; a new registration
/// counts against the sender's limits (429 past them).
pub fn register(
    conn: &mut DbConnection,
    links: &Links,
    event_key: &str,
    submission: &Submission,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<Registered, ApiError> {
    write_transaction(conn, |conn| {
        let not_found = || ApiError::NotFound("No published event has this id or slug.".into());
        let event = registrations::lock_event_by_key(conn, event_key)?
            .filter(EventRow::is_published)
            .ok_or_else(not_found)?;
        if let Some(idem) = &submission.idempotency
            && let Some(earlier) = replay(conn, idem, &event, now)?
        {
            return Ok(earlier);
        }
        if let Some(refused) = refusal(&event, now) {
            return Err(refused);
        }
        throttle::take_registration(
            conn,
            policy.limits.registrations_per_address,
            policy.limits.registrations_per_address_and_event,
            submission.address,
            event.id,
            now,
        )?;
        if event.email_confirmation {
            // Seats of lapsed holds go back first, so that this arrival finds them.
            lapse_holds_of(conn, links, &event, now)?;
        }
        // A second active registration for the email fails the insert below on the
        // unique index, which rolls back the seat with everything else.
        let seat = registrations::take_seat(conn, event.id)?;
        let (status, hold) = match (event.email_confirmation, seat) {
            (true, _) => (
                RegistrationStatus::PendingConfirmation,
                Some((now + policy.confirm_within, seat)),
            ),
            (false, true) => (RegistrationStatus::Confirmed, None),
            (false, false) => (RegistrationStatus::Waitlisted, None),
        };
        let id = Uuid::new_v4().to_string();
        let new = NewRegistration {
            id: &id,
            event_id: event.id,
            seq: registrations::next_seq(conn, event.id)?,
            registrant: submission.registrant,
            status,
            manage_token_hash: &hash_secret(&links.manage_tokens.token_for(&id)),
            hold,
        };
        let registration = registrations::insert(conn, &new, now).map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict(
                "already-registered",
                "This email already has a registration for this event.",
            ),
            other => other.into(),
        })?;
        if let Some(idem) = &submission.idempotency {
            registrations::remember_idempotency_key(
                conn,
                idem.key,
                event.id,
                idem.request_hash,
                &id,
                now,
            )?;
        }
        let position = registrations::position(conn, &registration)?;
        let notice = match hold {
            Some((confirm_by, holds_seat)) => Notice::ConfirmYourPlace {
                confirm_by,
                holds_seat,
            },
            None => settled(position),
        };
        notify(conn, links, notice, &registration, &event, now)?;
        Ok(Registered {
            registration,
            position,
            event,
        })
    })
}

/// The message of a registration that has its answer: a seat, or a place in the queue.
fn settled(position: Option<i64>) -> Notice<'static> {
    match position {
        Some(position) => Notice::Waitlisted { position },
        None => Notice::Confirmed,
    }
}

fn unknown_confirmation() -> ApiError {
    ApiError::NotFound("No registration waits for confirmation with this link.".into())
}

/// Follows a held registration's emailed link: the hold becomes `confirmed` (with its
/// seat, or one free now) or `waitlisted` (at the back of the list), and the usual
/// message with the manage link goes out. Following the link again answers the
/// registration as it is; a wrong token is a 404, a lapsed or cancelled hold a 409.
pub fn confirm(
    conn: &mut DbConnection,
    links: &Links,
    id: &str,
    token: &str,
    now: NaiveDateTime,
) -> Result<Registered, ApiError> {
    write_transaction(conn, |conn| {
        let found = registrations::find(conn, id)?.ok_or_else(unknown_confirmation)?;
        if !links.manage_tokens.verify_confirmation(id, token) {
            return Err(unknown_confirmation());
        }
        let event = registrations::lock_event(conn, found.event_id)?
            .ok_or_else(|| ApiError::internal("event vanished"))?;
        // Read under the event's lock: a lapse or a cancellation may have come first.
        let row = load(conn, id)?;
        let lapsed = |by: Option<NaiveDateTime>, at: NaiveDateTime| by.is_some_and(|by| at >= by);
        match row.status {
            RegistrationStatus::Confirmed | RegistrationStatus::Waitlisted => {
                let position = registrations::position(conn, &row)?;
                Ok(Registered {
                    registration: row,
                    position,
                    event,
                })
            }
            RegistrationStatus::Cancelled => Err(match row.cancelled_at {
                Some(at) if lapsed(row.confirm_by, at) => confirmation_lapsed(),
                _ => {
                    ApiError::conflict("registration-cancelled", "This registration is cancelled.")
                }
            }),
            RegistrationStatus::PendingConfirmation if lapsed(row.confirm_by, now) => {
                Err(confirmation_lapsed())
            }
            RegistrationStatus::PendingConfirmation => {
                if event.is_cancelled() {
                    return Err(ApiError::conflict(
                        "event-cancelled",
                        "This event has been cancelled.",
                    ));
                }
                if now >= event.starts_at {
                    return Err(ApiError::conflict(
                        "event-past",
                        "This event has already started.",
                    ));
                }
                let (status, seq) = if row.holds_seat || registrations::take_seat(conn, event.id)? {
                    (RegistrationStatus::Confirmed, None)
                } else {
                    let back = registrations::next_seq(conn, event.id)?;
                    (RegistrationStatus::Waitlisted, Some(back))
                };
                registrations::mark_email_confirmed(conn, id, status, seq, now)?;
                let row = load(conn, id)?;
                let position = registrations::position(conn, &row)?;
                notify(conn, links, settled(position), &row, &event, now)?;
                Ok(Registered {
                    registration: row,
                    position,
                    event,
                })
            }
        }
    })
}

fn confirmation_lapsed() -> ApiError {
    ApiError::conflict(
        "confirmation-lapsed",
        "The time to confirm ran out and the place was released. You are welcome to register again while places are open.",
    )
}

/// Cancels an event's holds whose time to confirm ran out by `now`, and gives their
/// seats to the waiting list. Runs inside the caller's write transaction, with the
/// event locked.
fn lapse_holds_of(
    conn: &mut DbConnection,
    links: &Links,
    event: &EventRow,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let lapsed = registrations::lapsed_holds(conn, event.id, now)?;
    let mut freed = false;
    for row in &lapsed {
        registrations::mark_cancelled(conn, &row.id, now)?;
        if row.holds_seat {
            registrations::release_seat(conn, event.id)?;
            freed = true;
        }
    }
    if freed {
        fill_seats(conn, links, event.id, now)?;
    }
    Ok(lapsed.len())
}

/// Events whose lapsed holds one transaction of `lapse_holds` frees.
const EVENTS_PER_LAPSE_STEP: i64 = 20;

/// Frees the seats of every hold whose time to confirm ran out by `now` (the periodic
/// job; registering for an event also lapses that event's holds at once).
/// One short transaction per few events; returns how many holds lapsed.
pub fn lapse_holds(
    conn: &mut DbConnection,
    links: &Links,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let mut lapsed = 0;
    loop {
        let step = write_transaction(conn, |conn| {
            let mut step = 0;
            for event_id in
                registrations::events_with_lapsed_holds(conn, now, EVENTS_PER_LAPSE_STEP)?
            {
                if let Some(event) = registrations::lock_event(conn, event_id)? {
                    step += lapse_holds_of(conn, links, &event, now)?;
                }
            }
            Ok::<_, ApiError>(step)
        })?;
        if step == 0 {
            return Ok(lapsed);
        }
        lapsed += step;
    }
}

/// The earlier answer for a key already used with this event; 409 when the key came
/// with a different request.
fn replay(
    conn: &mut DbConnection,
    idem: &Idempotency,
    event: &EventRow,
    now: NaiveDateTime,
) -> Result<Option<Registered>, ApiError> {
    registrations::purge_idempotency_keys(conn, now)?;
    let Some((hash, registration_id)) =
        registrations::idempotent_registration(conn, idem.key, event.id)?
    else {
        return Ok(None);
    };
    if hash != idem.request_hash {
        return Err(ApiError::conflict(
            "idempotency-key-reused",
            "This Idempotency-Key was used with a different request.",
        ));
    }
    let registration = registrations::find(conn, &registration_id)?
        .ok_or_else(|| ApiError::internal("idempotent registration vanished"))?;
    let position = registrations::position(conn, &registration)?;
    Ok(Some(Registered {
        registration,
        position,
        event: event.clone(),
    }))
}

/// Why nobody can register for this event now, if so.
fn refusal(event: &EventRow, now: NaiveDateTime) -> Option<ApiError> {
    let closed = |kind, detail: &str| Some(ApiError::conflict(kind, detail));
    if event.is_cancelled() {
        return closed("event-cancelled", "This event has been cancelled.");
    }
    if now >= event.starts_at {
        return closed("event-past", "This event has already started.");
    }
    if !event.registration_required {
        return closed(
            "registration-not-required",
            "This event needs no registration: just come along.",
        );
    }
    if event.registration_opens_at.is_some_and(|opens| now < opens) {
        return closed("registration-closed", "Registration has not opened yet.");
    }
    if event
        .registration_closes_at
        .is_some_and(|closes| now >= closes)
    {
        return closed("registration-closed", "Registration has closed.");
    }
    None
}

fn unknown_registration() -> ApiError {
    ApiError::NotFound("No registration matches this id and manage token.".into())
}

/// The registration and its event, for the holder of its manage token; otherwise 404,
/// whether the id exists or not.
pub fn for_holder(
    conn: &mut DbConnection,
    links: &Links,
    id: &str,
    token: &str,
) -> Result<(RegistrationRow, Option<i64>, EventRow), ApiError> {
    let row = registrations::find(conn, id)?.ok_or_else(unknown_registration)?;
    if !links
        .manage_tokens
        .verify(id, token, &row.manage_token_hash)
    {
        return Err(unknown_registration());
    }
    let event = events::find(conn, row.event_id)?.ok_or_else(unknown_registration)?;
    let position = registrations::position(conn, &row)?;
    Ok((row, position, event))
}

/// The holder of the manage token cancels.
pub fn cancel_as_holder(
    conn: &mut DbConnection,
    links: &Links,
    id: &str,
    token: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        let (row, _, _) = for_holder(conn, links, id, token)?;
        cancel(conn, links, &row, CancelledBy::Registrant, now)
    })
}

fn load(conn: &mut DbConnection, id: &str) -> Result<RegistrationRow, ApiError> {
    registrations::find(conn, id)?
        .ok_or_else(|| ApiError::NotFound("No registration has this id.".into()))
}

/// An admin cancels, with an audit entry.
pub fn cancel_as_admin(
    conn: &mut DbConnection,
    links: &Links,
    admin: &AccountRow,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        cancel(conn, links, &row, CancelledBy::Admin, now)?;
        let summary = serde_json::json!({"event_id": row.event_id, "was": row.status});
        audit::record(
            conn,
            admin,
            "registration.cancel",
            ("registration", id),
            summary,
            now,
        )
    })
}

/// An admin checks a confirmed registrant in (or out), with an audit entry.
pub fn set_attended(
    conn: &mut DbConnection,
    admin: &AccountRow,
    id: &str,
    attended: bool,
    now: NaiveDateTime,
) -> Result<(RegistrationRow, EventRow), ApiError> {
    write_transaction(conn, |conn| {
        load(conn, id)?;
        if registrations::set_attended(conn, id, attended, now)? != 1 {
            return Err(ApiError::conflict(
                "registration-not-confirmed",
                "Only a confirmed registration can be checked in.",
            ));
        }
        let summary = serde_json::json!({"attended": attended});
        audit::record(
            conn,
            admin,
            "registration.update",
            ("registration", id),
            summary,
            now,
        )?;
        let row = load(conn, id)?;
        let event = events::find(conn, row.event_id)?
            .ok_or_else(|| ApiError::internal("event vanished"))?;
        Ok((row, event))
    })
}

/// Cancels a registration; a freed seat goes to the first on the waiting list at once.
/// Runs inside the caller's write transaction.
fn cancel(
    conn: &mut DbConnection,
    links: &Links,
    row: &RegistrationRow,
    by: CancelledBy,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let event = registrations::lock_event(conn, row.event_id)?
        .ok_or_else(|| ApiError::internal("event vanished"))?;
    // Re-read under the lock: a concurrent cancellation may have won.
    let row = load(conn, &row.id)?;
    if row.status == RegistrationStatus::Cancelled {
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
    registrations::mark_cancelled(conn, &row.id, now)?;
    if row.status != RegistrationStatus::PendingConfirmation {
        notify(conn, links, Notice::Cancelled, &row, &event, now)?;
    }
    if row.has_seat() {
        registrations::release_seat(conn, event.id)?;
        fill_seats(conn, links, event.id, now)?;
    }
    Ok(())
}

/// Confirms waitlisted registrations, first come first served, while seats are free
/// (after a cancellation or a larger capacity). Runs inside the caller's write
/// transaction.
pub fn fill_seats(
    conn: &mut DbConnection,
    links: &Links,
    event_id: EventId,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let event = registrations::lock_event(conn, event_id)?
        .ok_or_else(|| ApiError::internal("event vanished"))?;
    if event.is_cancelled() || now >= event.starts_at {
        return Ok(0);
    }
    let mut promoted = 0;
    while let Some(next) = registrations::first_waitlisted(conn, event_id)? {
        if !registrations::take_seat(conn, event_id)? {
            break;
        }
        registrations::mark_promoted(conn, &next.id, now)?;
        notify(conn, links, Notice::Promoted, &next, &event, now)?;
        promoted += 1;
    }
    Ok(promoted)
}

/// Tells every active registrant that the event is cancelled. Runs inside the caller's
/// write transaction.
pub fn notify_event_cancelled(
    conn: &mut DbConnection,
    links: &Links,
    event: &EventRow,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let reason = event.cancellation_reason.clone().unwrap_or_default();
    // An address that never confirmed gets nothing past the link it was sent.
    let confirmed = |row: &&RegistrationRow| row.status != RegistrationStatus::PendingConfirmation;
    for row in registrations::active_for_event(conn, event.id)?
        .iter()
        .filter(confirmed)
    {
        let notice = Notice::EventCancelled { reason: &reason };
        notify(conn, links, notice, row, event, now)?;
    }
    Ok(())
}

fn notify(
    conn: &mut DbConnection,
    links: &Links,
    notice: Notice,
    row: &RegistrationRow,
    event: &EventRow,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let link = match notice {
        Notice::ConfirmYourPlace { .. } => links.queued_confirmation_link(&row.id),
        _ => links.queued_manage_link(&row.id),
    };
    let message = render(&notice, &row.full_name, event, &link);
    notifications::queue(conn, &row.email, &message, Some(&row.id), now)
}
