use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::events;
use crate::db::{DbConnection, MultiBackend, mark_public_change};
use crate::domain::Slug;
use crate::domain::event::{EventDraft, EventKind, EventStatus};
use crate::domain::ids::EventId;
use crate::domain::page::Page;
use crate::domain::stored_text::Json;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: EventId,
    pub slug: String,
    pub title: String,
    pub kind: EventKind,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub venue_postcode: Option<String>,
    pub audience: Json<Vec<String>>,
    pub organiser: Option<String>,
    pub speakers: Json<Vec<String>>,
    pub capacity: Option<i32>,
    pub seats_taken: i32,
    pub registration_required: bool,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    pub status: EventStatus,
    pub cancellation_reason: Option<String>,
    pub published_at: Option<NaiveDateTime>,
    pub bulletin_number: Option<i32>,
    pub search_text: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sequence: i32,
    pub email_confirmation: bool,
}

impl EventRow {
    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == EventStatus::Cancelled
    }

    pub fn audience_list(&self) -> Vec<String> {
        self.audience.0.clone()
    }

    pub fn speaker_list(&self) -> Vec<String> {
        self.speakers.0.clone()
    }
}

/// The stored columns of a draft; `None` writes NULL, so an update can clear fields.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
struct EventValues {
    slug: String,
    title: String,
    kind: String,
    summary: Option<String>,
    description: Option<String>,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    timezone: String,
    venue_name: Option<String>,
    venue_address: Option<String>,
    venue_postcode: Option<String>,
    audience: String,
    organiser: Option<String>,
    speakers: String,
    capacity: Option<i32>,
    registration_required: bool,
    registration_opens_at: Option<NaiveDateTime>,
    registration_closes_at: Option<NaiveDateTime>,
    email_confirmation: bool,
    bulletin_number: Option<i32>,
    search_text: String,
    updated_at: NaiveDateTime,
}

impl EventValues {
    fn new(draft: &EventDraft, slug: &Slug, now: NaiveDateTime) -> Self {
        let venue = draft.venue.as_ref();
        Self {
            slug: slug.as_str().to_string(),
            title: draft.title.clone(),
            kind: draft.kind.as_str().to_string(),
            summary: draft.summary.clone(),
            description: draft.description.clone(),
            starts_at: draft.starts_at,
            ends_at: draft.ends_at,
            timezone: draft.timezone.name().to_string(),
            venue_name: venue.map(|v| v.name.clone()),
            venue_address: venue.and_then(|v| v.address.clone()),
            venue_postcode: venue.and_then(|v| v.postcode.clone()),
            audience: serde_json::to_string(&draft.audience).unwrap_or_else(|_| "[]".into()),
            organiser: draft.organiser.clone(),
            speakers: serde_json::to_string(&draft.speakers).unwrap_or_else(|_| "[]".into()),
            capacity: draft.capacity,
            registration_required: draft.registration_required,
            registration_opens_at: draft.registration_opens_at,
            registration_closes_at: draft.registration_closes_at,
            email_confirmation: draft.email_confirmation,
            bulletin_number: draft.bulletin_number,
            search_text: draft.search_text(),
            updated_at: now,
        }
    }
}

fn slug_taken() -> ApiError {
    ApiError::conflict("slug-taken", "Another event already has this slug.")
}

fn map_unique(e: diesel::result::Error) -> ApiError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => slug_taken(),
        other => other.into(),
    }
}

fn slug_exists(
    conn: &mut DbConnection,
    slug: &str,
    except_id: Option<EventId>,
) -> Result<bool, ApiError> {
    let mut query = events::table
        .filter(events::slug.eq(slug.to_string()))
        .into_boxed();
    if let Some(id) = except_id {
        query = query.filter(events::id.ne(id));
    }
    Ok(query
        .select(events::id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// The draft's own slug (409 if taken), or one made from the title with a number
/// appended until it is free.
fn choose_slug(
    conn: &mut DbConnection,
    draft: &EventDraft,
    except_id: Option<EventId>,
) -> Result<Slug, ApiError> {
    if let Some(slug) = &draft.slug {
        if slug_exists(conn, slug.as_str(), except_id)? {
            return Err(slug_taken());
        }
        return Ok(slug.clone());
    }
    let base = Slug::from_title(&draft.title);
    if !slug_exists(conn, base.as_str(), except_id)? {
        return Ok(base);
    }
    for n in 2..1000 {
        let candidate = base.with_suffix(n);
        if !slug_exists(conn, candidate.as_str(), except_id)? {
            return Ok(candidate);
        }
    }
    Err(slug_taken())
}

/// Inserts a draft (unpublished) and returns it.
pub fn insert(
    conn: &mut DbConnection,
    draft: &EventDraft,
    now: NaiveDateTime,
) -> Result<EventRow, ApiError> {
    let slug = choose_slug(conn, draft, None)?;
    diesel::insert_into(events::table)
        .values((
            EventValues::new(draft, &slug, now),
            events::created_at.eq(now),
        ))
        .execute(conn)
        .map_err(map_unique)?;
    find_by_slug(conn, slug.as_str())?.ok_or_else(|| ApiError::internal("inserted event vanished"))
}

pub fn update(
    conn: &mut DbConnection,
    id: EventId,
    draft: &EventDraft,
    now: NaiveDateTime,
) -> Result<EventRow, ApiError> {
    let slug = choose_slug(conn, draft, Some(id))?;
    mark_public_change(conn);
    diesel::update(events::table.find(id))
        .set((
            EventValues::new(draft, &slug, now),
            events::sequence.eq(events::sequence + 1),
            // Its times may have moved: retention looks at its registrations again.
            events::registrations_anonymised_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map_err(map_unique)?;
    find(conn, id)?.ok_or_else(|| ApiError::NotFound("No event has this id.".into()))
}

pub fn find(conn: &mut DbConnection, id: EventId) -> Result<Option<EventRow>, ApiError> {
    Ok(events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> Result<Option<EventRow>, ApiError> {
    Ok(events::table
        .filter(events::slug.eq(slug.to_string()))
        .select(EventRow::as_select())
        .first(conn)
        .optional()?)
}

/// Reads the event and, on PostgreSQL, locks its row until the transaction ends, so
/// that edits and cancellations of one event are serialised with its registrations.
pub fn lock(conn: &mut DbConnection, id: EventId) -> Result<Option<EventRow>, ApiError> {
    Ok(crate::first_for_update!(
        conn,
        events::table.find(id).select(EventRow::as_select())
    )?)
}

/// An event by numeric id or by slug.
pub fn find_by_id_or_slug(
    conn: &mut DbConnection,
    key: &str,
) -> Result<Option<EventRow>, ApiError> {
    match key.parse::<EventId>() {
        Ok(id) => find(conn, id),
        Err(_) => find_by_slug(conn, key),
    }
}

#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub published_only: bool,
    /// Events that have not ended by this time.
    pub ends_after: Option<NaiveDateTime>,
    /// Events that start before this time.
    pub starts_before: Option<NaiveDateTime>,
    pub kind: Option<EventKind>,
    pub audience: Option<String>,
    /// Lower-cased search text.
    pub text: Option<String>,
}

fn filtered(filter: &EventFilter) -> events::BoxedQuery<'static, MultiBackend> {
    let mut query = events::table.into_boxed();
    if filter.published_only {
        query = query.filter(events::published_at.is_not_null());
    }
    if let Some(t) = filter.ends_after {
        query = query.filter(events::ends_at.ge(t));
    }
    if let Some(t) = filter.starts_before {
        query = query.filter(events::starts_at.lt(t));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(events::kind.eq(kind.as_str()));
    }
    if let Some(tag) = &filter.audience {
        // Audience is a JSON array of validated tags; the quotes anchor a whole tag.
        let pattern = format!("%\"{}\"%", super::like_escape(tag));
        query = query.filter(events::audience.like(pattern).escape('\\'));
    }
    if let Some(text) = &filter.text {
        let pattern = format!("%{}%", super::like_escape(text));
        query = query.filter(events::search_text.like(pattern).escape('\\'));
    }
    query
}

/// One page of matching events with the total over all pages, for paged lists.
pub fn list(
    conn: &mut DbConnection,
    filter: &EventFilter,
    page: Page,
) -> Result<(Vec<EventRow>, i64), ApiError> {
    super::paged(conn, page, soonest_first(filter), || {
        filtered(filter).count()
    })
}

/// What a public read needs of an event besides its rendered JSON: the version that
/// JSON must be of, and the facts its live values (seats, registration state) come from.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct PublicFacts {
    pub id: EventId,
    pub updated_at: NaiveDateTime,
    pub sequence: i32,
    pub capacity: Option<i32>,
    pub seats_taken: i32,
    pub registration_required: bool,
    pub status: EventStatus,
    pub starts_at: NaiveDateTime,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
}

impl PublicFacts {
    /// The version of the event (every write of it changes one or both).
    pub fn version(&self) -> (NaiveDateTime, i32) {
        (self.updated_at, self.sequence)
    }
}

/// One page of matching events' public facts, soonest first, with the total over all
/// pages from the same query (a window count).
pub fn public_page(
    conn: &mut DbConnection,
    filter: &EventFilter,
    page: Page,
) -> Result<(Vec<PublicFacts>, i64), ApiError> {
    let rows: Vec<(PublicFacts, i64)> = filtered(filter)
        .select((
            PublicFacts::as_select(),
            diesel::dsl::sql::<diesel::sql_types::BigInt>("COUNT(*) OVER ()"),
        ))
        .order((events::starts_at.asc(), events::id.asc()))
        .offset(page.offset)
        .limit(page.limit)
        .load(conn)?;
    let total = match rows.first() {
        Some((_, total)) => *total,
        // Past the last page the window has no row to ride on.
        None if page.offset > 0 => filtered(filter).count().get_result(conn)?,
        None => 0,
    };
    Ok((rows.into_iter().map(|(facts, _)| facts).collect(), total))
}

/// A published event's public facts, by numeric id or slug.
pub fn public_facts(conn: &mut DbConnection, key: &str) -> Result<Option<PublicFacts>, ApiError> {
    let published = events::table
        .filter(events::published_at.is_not_null())
        .select(PublicFacts::as_select())
        .into_boxed();
    let query = match key.parse::<EventId>() {
        Ok(id) => published.filter(events::id.eq(id)),
        Err(_) => published.filter(events::slug.eq(key.to_string())),
    };
    Ok(query.first(conn).optional()?)
}

/// The events with these ids (to render what a page lacks).
pub fn find_many(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<EventRow>, ApiError> {
    Ok(events::table
        .filter(events::id.eq_any(ids.to_vec()))
        .select(EventRow::as_select())
        .load(conn)?)
}

/// One page of matching events, soonest first, without counting them all (feeds).
pub fn page(
    conn: &mut DbConnection,
    filter: &EventFilter,
    page: Page,
) -> Result<Vec<EventRow>, ApiError> {
    Ok(soonest_first(filter)
        .offset(page.offset)
        .limit(page.limit)
        .load(conn)?)
}

/// Matching events, soonest first.
type SoonestFirst = diesel::dsl::Order<
    diesel::dsl::Select<
        events::BoxedQuery<'static, MultiBackend>,
        diesel::dsl::AsSelect<EventRow, MultiBackend>,
    >,
    (
        diesel::dsl::Asc<events::starts_at>,
        diesel::dsl::Asc<events::id>,
    ),
>;

fn soonest_first(filter: &EventFilter) -> SoonestFirst {
    filtered(filter)
        .select(EventRow::as_select())
        .order((events::starts_at.asc(), events::id.asc()))
}

pub fn publish(
    conn: &mut DbConnection,
    id: EventId,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    mark_public_change(conn);
    Ok(diesel::update(
        events::table
            .find(id)
            .filter(events::published_at.is_null()),
    )
    .set((events::published_at.eq(now), events::updated_at.eq(now)))
    .execute(conn)?)
}

pub fn cancel(
    conn: &mut DbConnection,
    id: EventId,
    reason: &str,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    mark_public_change(conn);
    Ok(diesel::update(
        events::table
            .find(id)
            .filter(events::status.eq("scheduled")),
    )
    .set((
        events::status.eq("cancelled"),
        events::cancellation_reason.eq(reason),
        events::updated_at.eq(now),
        events::sequence.eq(events::sequence + 1),
    ))
    .execute(conn)?)
}

/// Deletes an unpublished event; returns rows deleted.
pub fn delete_draft(conn: &mut DbConnection, id: EventId) -> Result<usize, ApiError> {
    Ok(diesel::delete(
        events::table
            .find(id)
            .filter(events::published_at.is_null()),
    )
    .execute(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, ApiError> {
    Ok(events::table.count().get_result(conn)?)
}
