//! Bulletins as admins change them: drafting, editing, deleting a draft and publishing,
//! each in one write transaction with its audit entry. A bulletin comes back with the
//! ids of its published events, which is what its view shows.

use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::EventId;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::repo::accounts::AccountRow;
use crate::repo::bulletins::{self, BulletinRow, BulletinValues};
use crate::service::publishing::{AuditEntry, apply_or_refuse};

fn not_found() -> ApiError {
    ApiError::NotFound("No bulletin has this id.".into())
}

fn load(conn: &mut DbConnection, id: i64) -> Result<BulletinRow, ApiError> {
    bulletins::find(conn, id)?.ok_or_else(not_found)
}

fn with_events(
    conn: &mut DbConnection,
    row: BulletinRow,
) -> Result<(BulletinRow, Vec<EventId>), ApiError> {
    let event_ids = bulletins::event_ids(conn, row.number)?;
    Ok((row, event_ids))
}

/// Any bulletin, draft or published, with its events; 404 if there is none.
pub fn find_with_events(
    conn: &mut DbConnection,
    id: i64,
) -> Result<(BulletinRow, Vec<EventId>), ApiError> {
    let row = load(conn, id)?;
    with_events(conn, row)
}

/// Stores a new draft.
pub fn create(
    conn: &mut DbConnection,
    actor: &AccountRow,
    values: &BulletinValues,
) -> Result<(BulletinRow, Vec<EventId>), ApiError> {
    write_transaction(conn, |conn| {
        let at = now();
        let row = bulletins::insert(conn, values, at)?;
        AuditEntry {
            actor,
            action: "bulletin.create",
            target: ("bulletin", row.id.to_string()),
            summary: serde_json::json!({"number": row.number, "title": row.title}),
            at,
        }
        .record(conn)?;
        with_events(conn, row)
    })
}

/// Replaces the bulletin with what `edit` makes of the current row (the validated
/// values, stamped with the time of the change); `fields` are the names the edit
/// changed, for the audit entry.
pub fn update(
    conn: &mut DbConnection,
    actor: &AccountRow,
    id: i64,
    fields: &[String],
    edit: impl FnOnce(&BulletinRow) -> Result<BulletinValues, ApiError>,
) -> Result<(BulletinRow, Vec<EventId>), ApiError> {
    write_transaction(conn, |conn| {
        let current = load(conn, id)?;
        let values = edit(&current)?;
        let row = bulletins::update(conn, id, &values)?;
        AuditEntry {
            actor,
            action: "bulletin.update",
            target: ("bulletin", id.to_string()),
            summary: serde_json::json!({"fields": fields}),
            at: values.updated_at,
        }
        .record(conn)?;
        with_events(conn, row)
    })
}

/// Deletes a draft; a published bulletin stays.
pub fn delete_draft(conn: &mut DbConnection, actor: &AccountRow, id: i64) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        apply_or_refuse(
            conn,
            |conn| bulletins::delete_draft(conn, id),
            (
                "bulletin-published",
                "A published bulletin cannot be deleted.",
            ),
            AuditEntry {
                actor,
                action: "bulletin.delete",
                target: ("bulletin", id.to_string()),
                summary: serde_json::json!({"number": row.number, "title": row.title}),
                at: now(),
            },
        )
    })
}

/// Publishes a draft: it joins the listing and the Atom feed.
pub fn publish(
    conn: &mut DbConnection,
    actor: &AccountRow,
    id: i64,
) -> Result<(BulletinRow, Vec<EventId>), ApiError> {
    write_transaction(conn, |conn| {
        load(conn, id)?;
        let at = now();
        apply_or_refuse(
            conn,
            |conn| bulletins::publish(conn, id, at),
            (
                "bulletin-already-published",
                "This bulletin is already published.",
            ),
            AuditEntry {
                actor,
                action: "bulletin.publish",
                target: ("bulletin", id.to_string()),
                summary: serde_json::json!({}),
                at,
            },
        )?;
        find_with_events(conn, id)
    })
}
