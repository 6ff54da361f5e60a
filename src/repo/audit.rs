//! The audit log: appended in the same transaction as the change it records; nothing
//! in the API edits or deletes it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log as al;
use crate::db::{DbConnection, MultiBackend};
use crate::domain::page::Page;
use crate::error::ApiError;
use crate::repo::accounts::AccountRow;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = al)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub summary: String,
}

pub fn record(
    conn: &mut DbConnection,
    actor: &AccountRow,
    action: &str,
    target: (&str, &str),
    summary: serde_json::Value,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(al::table)
        .values((
            al::at.eq(now),
            al::actor_id.eq(&actor.id),
            al::actor_email.eq(&actor.email_lower),
            al::action.eq(action),
            al::target_type.eq(target.0),
            al::target_id.eq(target.1),
            al::summary.eq(summary.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// An account id, or an email (any letter case).
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

fn filtered(filter: &AuditFilter) -> al::BoxedQuery<'static, MultiBackend> {
    let mut query = al::table.into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(
            al::actor_id
                .eq(actor.clone())
                .or(al::actor_email.eq(actor.to_lowercase())),
        );
    }
    if let Some(action) = &filter.action {
        query = query.filter(al::action.eq(action.clone()));
    }
    if let Some(target_type) = &filter.target_type {
        query = query.filter(al::target_type.eq(target_type.clone()));
    }
    if let Some(target_id) = &filter.target_id {
        query = query.filter(al::target_id.eq(target_id.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(al::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(al::at.lt(to));
    }
    query
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    page: Page,
) -> Result<(Vec<AuditRow>, i64), ApiError> {
    super::paged(
        conn,
        page,
        filtered(filter)
            .order(al::id.desc())
            .select(AuditRow::as_select()),
        || filtered(filter).count(),
    )
}
