//! Events as admins change them: drafting, editing, deleting a draft, publishing and
//! cancelling, each in one write transaction with its audit entry.

use crate::db::{DbConnection, write_transaction};
use crate::domain::event::EventDraft;
use crate::domain::ids::EventId;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::notify::Links;
use crate::repo::accounts::AccountRow;
use crate::repo::events::{self, EventRow};
use crate::repo::registrations::{self, Counts};
use crate::service;
use crate::service::publishing::{AuditEntry, apply_or_refuse};

fn not_found() -> ApiError {
    ApiError::NotFound("No event has this id.".into())
}

fn load(conn: &mut DbConnection, id: EventId) -> Result<EventRow, ApiError> {
    events::find(conn, id)?.ok_or_else(not_found)
}

/// The event with its registration counts, as admins see it; 404 if there is none.
pub fn find_with_counts(
    conn: &mut DbConnection,
    id: EventId,
) -> Result<(EventRow, Counts), ApiError> {
    let row = load(conn, id)?;
    let counts = registrations::counts(conn, id)?;
    Ok((row, counts))
}

/// Stores a new, unpublished draft.
pub fn create(
    conn: &mut DbConnection,
    actor: &AccountRow,
    draft: &EventDraft,
) -> Result<EventRow, ApiError> {
    write_transaction(conn, |conn| {
        let at = now();
        let row = events::insert(conn, draft, at)?;
        AuditEntry {
            actor,
            action: "event.create",
            target: ("event", row.id.to_string()),
            summary: serde_json::json!({"title": row.title, "slug": row.slug}),
            at,
        }
        .record(conn)?;
        Ok(row)
    })
}

/// Replaces the event with what `edit` makes of it. `edit` gets the current row locked
/// (so concurrent edits and registrations queue behind it) and returns the validated
/// draft; `fields` are the names the edit changed, for the audit entry. A larger
/// capacity gives its new seats to the waiting list at once.
pub fn update(
    conn: &mut DbConnection,
    actor: &AccountRow,
    links: &Links,
    id: EventId,
    fields: &[String],
    edit: impl FnOnce(&EventRow) -> Result<EventDraft, ApiError>,
) -> Result<(EventRow, Counts), ApiError> {
    write_transaction(conn, |conn| {
        let current = events::lock(conn, id)?.ok_or_else(not_found)?;
        let draft = edit(&current)?;
        let at = now();
        events::update(conn, id, &draft, at)?;
        let promoted = service::registrations::fill_seats(conn, links, id, at)?;
        AuditEntry {
            actor,
            action: "event.update",
            target: ("event", id.to_string()),
            summary: serde_json::json!({"fields": fields, "promoted": promoted}),
            at,
        }
        .record(conn)?;
        find_with_counts(conn, id)
    })
}

/// Deletes a draft; a published event is refused (it is cancelled instead).
pub fn delete_draft(
    conn: &mut DbConnection,
    actor: &AccountRow,
    id: EventId,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        apply_or_refuse(
            conn,
            |conn| events::delete_draft(conn, id),
            (
                "event-published",
                "A published event cannot be deleted; cancel it instead.",
            ),
            AuditEntry {
                actor,
                action: "event.delete",
                target: ("event", id.to_string()),
                summary: serde_json::json!({"title": row.title, "slug": row.slug}),
                at: now(),
            },
        )
    })
}

/// Publishes a draft: it joins the public listing.
pub fn publish(
    conn: &mut DbConnection,
    actor: &AccountRow,
    id: EventId,
) -> Result<(EventRow, Counts), ApiError> {
    write_transaction(conn, |conn| {
        load(conn, id)?;
        let at = now();
        apply_or_refuse(
            conn,
            |conn| events::publish(conn, id, at),
            (
                "event-already-published",
                "This event is already published.",
            ),
            AuditEntry {
                actor,
                action: "event.publish",
                target: ("event", id.to_string()),
                summary: serde_json::json!({}),
                at,
            },
        )?;
        find_with_counts(conn, id)
    })
}

/// Cancels a published event with a reason (already trimmed and checked) and notifies
/// every active registrant. A draft is refused: it is deleted instead.
pub fn cancel(
    conn: &mut DbConnection,
    actor: &AccountRow,
    links: &Links,
    id: EventId,
    reason: &str,
) -> Result<(EventRow, Counts), ApiError> {
    write_transaction(conn, |conn| {
        let row = events::lock(conn, id)?.ok_or_else(not_found)?;
        if !row.is_published() {
            return Err(ApiError::conflict(
                "event-not-published",
                "A draft cannot be cancelled; delete it instead.",
            ));
        }
        let at = now();
        apply_or_refuse(
            conn,
            |conn| events::cancel(conn, id, reason, at),
            ("event-cancelled", "This event is already cancelled."),
            AuditEntry {
                actor,
                action: "event.cancel",
                target: ("event", id.to_string()),
                summary: serde_json::json!({"reason": reason}),
                at,
            },
        )?;
        let (row, counts) = find_with_counts(conn, id)?;
        service::registrations::notify_event_cancelled(conn, links, &row, at)?;
        Ok((row, counts))
    })
}
