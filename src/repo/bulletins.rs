//! Bulletins: numbered issues, drafted then published. Their events are the events whose
//! `bulletin_number` is theirs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{bulletins as b, events};
use crate::db::{DbConnection, mark_public_change};
use crate::domain::bulletin::{Contact, Section};
use crate::domain::ids::EventId;
use crate::domain::page::Page;
use crate::domain::stored_text::Json;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = b)]
pub struct BulletinRow {
    pub id: i64,
    pub number: i32,
    pub title: String,
    pub phase: Option<String>,
    pub published_on: String,
    pub summary: Option<String>,
    pub sections: Json<Vec<Section>>,
    pub contacts: Json<Vec<Contact>>,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl BulletinRow {
    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }
}

/// Every editable column; `sections` and `contacts` as JSON text.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = b, treat_none_as_null = true)]
pub struct BulletinValues {
    pub number: i32,
    pub title: String,
    pub phase: Option<String>,
    pub published_on: String,
    pub summary: Option<String>,
    pub sections: String,
    pub contacts: String,
    pub updated_at: NaiveDateTime,
}

fn number_taken(e: diesel::result::Error) -> ApiError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => ApiError::conflict(
            "bulletin-number-taken",
            "Another bulletin already has this number.",
        ),
        other => other.into(),
    }
}

pub fn insert(
    conn: &mut DbConnection,
    values: &BulletinValues,
    now: NaiveDateTime,
) -> Result<BulletinRow, ApiError> {
    diesel::insert_into(b::table)
        .values((values, b::created_at.eq(now)))
        .execute(conn)
        .map_err(number_taken)?;
    find_by_number(conn, values.number)?
        .ok_or_else(|| ApiError::internal("inserted bulletin vanished"))
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    values: &BulletinValues,
) -> Result<BulletinRow, ApiError> {
    mark_public_change(conn);
    diesel::update(b::table.find(id))
        .set(values)
        .execute(conn)
        .map_err(number_taken)?;
    find(conn, id)?.ok_or_else(|| ApiError::NotFound("No bulletin has this id.".into()))
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<Option<BulletinRow>, ApiError> {
    Ok(b::table
        .find(id)
        .select(BulletinRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_number(
    conn: &mut DbConnection,
    number: i32,
) -> Result<Option<BulletinRow>, ApiError> {
    Ok(b::table
        .filter(b::number.eq(number))
        .select(BulletinRow::as_select())
        .first(conn)
        .optional()?)
}

/// Newest (highest number) first.
pub fn list(
    conn: &mut DbConnection,
    published_only: bool,
    page: Page,
) -> Result<(Vec<BulletinRow>, i64), ApiError> {
    let filtered = || {
        let mut query = b::table.into_boxed();
        if published_only {
            query = query.filter(b::published_at.is_not_null());
        }
        query
    };
    super::paged(
        conn,
        page,
        filtered()
            .order(b::number.desc())
            .select(BulletinRow::as_select()),
        || filtered().count(),
    )
}

pub fn publish(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> Result<usize, ApiError> {
    mark_public_change(conn);
    Ok(
        diesel::update(b::table.find(id).filter(b::published_at.is_null()))
            .set((b::published_at.eq(now), b::updated_at.eq(now)))
            .execute(conn)?,
    )
}

pub fn delete_draft(conn: &mut DbConnection, id: i64) -> Result<usize, ApiError> {
    Ok(diesel::delete(b::table.find(id).filter(b::published_at.is_null())).execute(conn)?)
}

/// Ids of the published events that belong to this bulletin, soonest first.
pub fn event_ids(conn: &mut DbConnection, number: i32) -> Result<Vec<EventId>, ApiError> {
    Ok(events::table
        .filter(events::bulletin_number.eq(number))
        .filter(events::published_at.is_not_null())
        .order((events::starts_at.asc(), events::id.asc()))
        .select(events::id)
        .load(conn)?)
}
