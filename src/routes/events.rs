//! The public event listing and event pages.

use std::fmt::Write;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::event::{
    EventKind, EventStatus, RegistrationFacts, RegistrationState, parse_audience_tag,
};
use crate::domain::time::{DateBound, FilterTime, Rfc3339, now, shown_in};
use crate::error::ApiError;
use crate::feeds::ics;
use crate::http::extract::{Path, Query};
use crate::http::pagination::{Page, PageParams, list_response_of};
use crate::http::problem::Problem;
use crate::http::validation::filter_time;
use crate::list_envelope;
use crate::pages::register_page_path;
use crate::repo::events::{self, EventFilter, EventRow, PublicFacts};
use crate::routes::event_fragments::EventFragments;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Venue {
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
}

/// Whether and when people can register for the event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventRegistration {
    pub opens_at: Option<Rfc3339>,
    pub closes_at: Option<Rfc3339>,
    pub state: RegistrationState,
    /// Whether a registration is held (`pending_confirmation`) until the registrant
    /// follows the link emailed to them, and only then confirmed or waitlisted.
    pub email_confirmation: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub ics: String,
    pub register: String,
}

/// An event; times are shown in its own `timezone`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 4,
    "slug": "officers-seminar-april-2011",
    "title": "Seminar for officers",
    "kind": "seminar",
    "summary": "The latest developments across London, and updates from the key collaborative projects.",
    "description": "We will be reviewing the latest developments across London and there will be updates from the key collaborative projects funded by the Future Libraries Programme and LLCP.",
    "starts_at": "2011-04-15T10:00:00+01:00",
    "ends_at": "2011-04-15T13:00:00+01:00",
    "timezone": "Europe/London",
    "venue": {"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"},
    "audience": ["officers"],
    "organiser": "London Library Change Programme",
    "speakers": ["Keynote: Society of London Treasurers (SLT)"],
    "capacity": 60,
    "seats_remaining": 42,
    "registration": {"opens_at": null, "closes_at": "2011-04-14T17:00:00+01:00", "state": "open", "email_confirmation": false},
    "status": "scheduled",
    "cancellation_reason": null,
    "bulletin_number": 14,
    "links": {
        "self": "https://hub.example.org/api/v1/events/officers-seminar-april-2011",
        "ics": "https://hub.example.org/api/v1/events/officers-seminar-april-2011/ics",
        "register": "https://hub.example.org/api/v1/events/officers-seminar-april-2011/registrations"
    },
    "published_at": "2011-03-01T09:00:00+00:00",
    "updated_at": "2011-03-01T09:00:00+00:00"
}))]
pub struct Event {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub kind: EventKind,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub starts_at: Rfc3339,
    pub ends_at: Rfc3339,
    #[schema(example = "Europe/London")]
    pub timezone: String,
    pub venue: Option<Venue>,
    pub audience: Vec<String>,
    pub organiser: Option<String>,
    pub speakers: Vec<String>,
    /// `null` means no limit.
    pub capacity: Option<i32>,
    /// `null` when there is no limit.
    pub seats_remaining: Option<i32>,
    pub registration: EventRegistration,
    pub status: EventStatus,
    /// Why it was cancelled, when it was.
    pub cancellation_reason: Option<String>,
    pub bulletin_number: Option<i32>,
    pub links: EventLinks,
    /// `null` while the event is a draft (visible to admins only).
    pub published_at: Option<Rfc3339>,
    pub updated_at: Rfc3339,
}

list_envelope!(EventList, Event);

impl Event {
    pub fn from_row(row: EventRow, state: &AppState) -> Self {
        let tz = row.timezone.clone();
        let facts = RegistrationFacts {
            required: row.registration_required,
            cancelled: row.is_cancelled(),
            starts_at: row.starts_at,
            opens_at: row.registration_opens_at,
            closes_at: row.registration_closes_at,
            capacity: row.capacity,
            seats_taken: row.seats_taken,
        };
        let base = format!("/api/v1/events/{}", row.slug);
        Self {
            audience: row.audience_list(),
            speakers: row.speaker_list(),
            id: row.id.get(),
            title: row.title,
            kind: row.kind,
            summary: row.summary,
            description: row.description,
            starts_at: shown_in(row.starts_at, &tz),
            ends_at: shown_in(row.ends_at, &tz),
            venue: row.venue_name.map(|name| Venue {
                name,
                address: row.venue_address,
                postcode: row.venue_postcode,
            }),
            organiser: row.organiser,
            capacity: row.capacity,
            seats_remaining: facts.seats_remaining(),
            registration: EventRegistration {
                opens_at: row.registration_opens_at.map(|t| shown_in(t, &tz)),
                closes_at: row.registration_closes_at.map(|t| shown_in(t, &tz)),
                state: facts.state(now()),
                email_confirmation: row.email_confirmation,
            },
            status: row.status,
            cancellation_reason: row.cancellation_reason,
            bulletin_number: row.bulletin_number,
            links: EventLinks {
                self_: state.url(&base),
                ics: state.url(&format!("{base}/ics")),
                register: state.url(&format!("{base}/registrations")),
            },
            published_at: row.published_at.map(|t| shown_in(t, &tz)),
            updated_at: shown_in(row.updated_at, &tz),
            slug: row.slug,
            timezone: tz,
        }
    }
}

/// Filters shared by the public listing, its feeds and the admin listing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Events not ended by this time (RFC 3339, or a date read in London time).
    /// The public listing defaults to now: upcoming events only.
    #[param(example = "2011-03-01", value_type = Option<FilterTime>)]
    pub from: Option<String>,
    /// Events starting before this time; a date includes that whole day.
    #[param(example = "2011-04-30", value_type = Option<FilterTime>)]
    pub to: Option<String>,
    pub kind: Option<EventKind>,
    /// An audience tag such as `officers` or `councillors`.
    #[param(pattern = "^[a-z0-9-]{1,40}$")]
    pub audience: Option<String>,
    /// Words to find in the title, summary or description (any letter case).
    #[param(max_length = 200)]
    pub q: Option<String>,
}

impl EventQuery {
    /// The filter; `upcoming_by_default` applies `from = now` when `from` is absent.
    pub fn filter(
        &self,
        published_only: bool,
        upcoming_by_default: bool,
    ) -> Result<EventFilter, ApiError> {
        let bad = |name: &str, message: String| {
            ApiError::BadRequest(format!("Query parameter `{name}` {message}."))
        };
        let ends_after = match filter_time(self.from.as_deref(), "from", DateBound::StartOfDay)? {
            Some(time) => Some(time),
            None if upcoming_by_default => Some(now()),
            None => None,
        };
        let starts_before = filter_time(self.to.as_deref(), "to", DateBound::EndOfDay)?;
        let audience = match &self.audience {
            Some(raw) => Some(parse_audience_tag(raw).map_err(|m| bad("audience", m))?),
            None => None,
        };
        let text = match self.q.as_deref().map(str::trim) {
            Some(q) if q.chars().count() > 200 => {
                return Err(bad("q", "must be at most 200 characters".into()));
            }
            Some(q) if !q.is_empty() => Some(q.to_lowercase()),
            _ => None,
        };
        Ok(EventFilter {
            published_only,
            ends_after,
            starts_before,
            kind: self.kind,
            audience,
            text,
        })
    }
}

/// One page of the public listing, for the feeds and embeds that show it whole.
pub async fn published_upcoming(
    state: &AppState,
    query: &EventQuery,
    page: Page,
) -> Result<Vec<EventRow>, ApiError> {
    let filter = query.filter(true, true)?;
    state
        .run(move |conn| events::page(conn, &filter, page))
        .await
}

/// List published events
///
/// Published events, soonest first; upcoming only unless `from` says otherwise.
#[utoipa::path(
    operation_id = "list_events",
    tag = "events",
    params(EventQuery, PageParams),
    responses(
        (status = 200, description = "A page of events; `Link` names the next and previous pages", body = EventList),
        (status = 400, description = "A malformed filter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events")]
pub async fn list_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    fragments: web::Data<EventFragments>,
    query: Query<EventQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.page()?;
    let filter = query.filter(true, true)?;
    let (facts, total) = state
        .run(move |conn| events::public_page(conn, &filter, page))
        .await?;
    let items = with_fragments(&state, &fragments, facts).await?;
    let mut body = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 64);
    body.push_str("{\"items\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    let _ = write!(
        body,
        "],\"total\":{total},\"limit\":{},\"offset\":{}}}",
        page.limit, page.offset
    );
    Ok(list_response_of(&req, page, total, body))
}

/// Each event's JSON from its fragment (`event_fragments`), rendering the fragments a
/// page lacks from their rows first.
async fn with_fragments(
    state: &AppState,
    fragments: &EventFragments,
    facts: Vec<PublicFacts>,
) -> Result<Vec<String>, ApiError> {
    let missing = fragments.missing(&facts);
    if !missing.is_empty() {
        let rows = state
            .run(move |conn| events::find_many(conn, &missing))
            .await?;
        fragments.render(rows, |row| {
            serde_json::to_value(Event::from_row(row, state)).ok()
        });
    }
    let at = now();
    let mut items = Vec::with_capacity(facts.len());
    for f in &facts {
        let mut item = String::with_capacity(2048);
        if !fragments.write(f, at, &mut item) {
            return Err(ApiError::internal(
                "an event's fragment could not be rendered",
            ));
        }
        items.push(item);
    }
    Ok(items)
}

/// One event's `Last-Modified`: its last edit (the ETag stays the validator).
fn last_modified(updated_at: chrono::NaiveDateTime) -> (header::HeaderName, header::HeaderValue) {
    let when = std::time::SystemTime::from(crate::domain::time::as_utc(updated_at));
    let value = header::HttpDate::from(when).to_string();
    (
        header::LAST_MODIFIED,
        header::HeaderValue::from_str(&value).unwrap_or(header::HeaderValue::from_static("")),
    )
}

fn wants_json_ld(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("application/ld+json"))
}

/// schema.org `Event` JSON-LD, for search engines and the sites that embed the event.
/// The offer points at the registration page people use, not the API endpoint.
pub fn json_ld(event: &Event, register_page: &str) -> serde_json::Value {
    use serde_json::json;
    let schema = |term: &str| format!("https://schema.org/{term}");
    let status = match event.status {
        EventStatus::Cancelled => schema("EventCancelled"),
        EventStatus::Scheduled => schema("EventScheduled"),
    };
    let availability = match event.registration.state {
        RegistrationState::Open | RegistrationState::NotRequired => {
            if event.seats_remaining.is_some_and(|n| n <= 5) {
                schema("LimitedAvailability")
            } else {
                schema("InStock")
            }
        }
        RegistrationState::FullWaitlistOpen => schema("SoldOut"),
        RegistrationState::NotYetOpen => schema("PreOrder"),
        RegistrationState::Closed => schema("Discontinued"),
    };
    let mut ld = json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "startDate": event.starts_at,
        "endDate": event.ends_at,
        "eventStatus": status,
        "eventAttendanceMode": schema("OfflineEventAttendanceMode"),
        "url": event.links.self_,
        "offers": {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "GBP",
            "availability": availability,
            "url": register_page,
        },
    });
    if let Some(description) = event.description.as_ref().or(event.summary.as_ref()) {
        ld["description"] = json!(description);
    }
    if let Some(venue) = &event.venue {
        ld["location"] = json!({
            "@type": "Place",
            "name": venue.name,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": venue.address,
                "postalCode": venue.postcode,
                "addressRegion": "London",
                "addressCountry": "GB",
            },
        });
    }
    if let Some(organiser) = &event.organiser {
        ld["organizer"] = json!({"@type": "Organization", "name": organiser});
    }
    if let Some(capacity) = event.capacity {
        ld["maximumAttendeeCapacity"] = json!(capacity);
        ld["remainingAttendeeCapacity"] = json!(event.seats_remaining);
    }
    ld
}

/// Get a published event
///
/// One published event, by id or slug. With `Accept: application/ld+json`, schema.org
/// `Event` JSON-LD instead.
#[utoipa::path(
    operation_id = "get_event",
    tag = "events",
    params(("id_or_slug" = String, Path, description = "The event's numeric id or its slug")),
    responses(
        (status = 200, description = "The event, or schema.org JSON-LD", content(
            (Event = "application/json"),
            (Object = "application/ld+json"),
        )),
        (status = 404, description = "No published event has this id or slug", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/{id_or_slug}")]
pub async fn get_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    fragments: web::Data<EventFragments>,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = path.into_inner();
    if wants_json_ld(&req) {
        let row = published_event(&state, key).await?;
        let modified = last_modified(row.updated_at);
        let event = Event::from_row(row, &state);
        let register_page = state.url(&register_page_path(&event.slug));
        return Ok(HttpResponse::Ok()
            .content_type("application/ld+json")
            .insert_header(modified)
            .body(json_ld(&event, &register_page).to_string()));
    }
    let facts = state
        .run(move |conn| events::public_facts(conn, &key))
        .await?
        .ok_or_else(|| ApiError::NotFound("No published event has this id or slug.".into()))?;
    let modified = last_modified(facts.updated_at);
    let body = with_fragments(&state, &fragments, vec![facts])
        .await?
        .concat();
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(modified)
        .body(body))
}

/// A published event by numeric id or slug; 404 for a draft or no event.
async fn published_event(state: &AppState, key: String) -> Result<EventRow, ApiError> {
    let row = state
        .run(move |conn| events::find_by_id_or_slug(conn, &key))
        .await?;
    row.filter(EventRow::is_published)
        .ok_or_else(|| ApiError::NotFound("No published event has this id or slug.".into()))
}

/// Calendars ask for everything upcoming at once; the listing's paging still applies.
const CALENDAR_DEFAULT_LIMIT: i64 = 100;

fn calendar_response(
    name: &str,
    rows: &[EventRow],
    state: &AppState,
    filename: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ics::CONTENT_TYPE)
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"{filename}.ics\""),
        ))
        .body(ics::calendar(name, rows, &state.links))
}

/// Get the events calendar feed
///
/// The listing as an iCalendar feed (RFC 5545) to subscribe to: same filters, London
/// times with `TZID=Europe/London`, up to 100 events unless `limit` says otherwise.
#[utoipa::path(
    operation_id = "get_events_calendar",
    tag = "events",
    params(EventQuery, PageParams),
    responses(
        (status = 200, description = "An iCalendar feed", body = String, content_type = "text/calendar"),
        (status = 400, description = "A malformed filter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events.ics")]
pub async fn list_events_ics(
    state: web::Data<AppState>,
    query: Query<EventQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::new(paging.limit.or(Some(CALENDAR_DEFAULT_LIMIT)), paging.offset)?;
    let rows = published_upcoming(&state, &query, page).await?;
    Ok(calendar_response(
        "London Library Change Programme events",
        &rows,
        &state,
        "llcp-events",
    ))
}

/// Get an event as iCalendar
///
/// One published event as iCalendar, to add to a calendar.
#[utoipa::path(
    operation_id = "get_event_calendar",
    tag = "events",
    params(("id_or_slug" = String, Path, description = "The event's numeric id or its slug")),
    responses(
        (status = 200, description = "The event as iCalendar", body = String, content_type = "text/calendar"),
        (status = 404, description = "No published event has this id or slug", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Database unavailable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/{id_or_slug}/ics")]
pub async fn get_event_ics(
    state: web::Data<AppState>,
    path: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = published_event(&state, path.into_inner()).await?;
    let (filename, title) = (row.slug.clone(), row.title.clone());
    let (name, value) = last_modified(row.updated_at);
    let mut response = calendar_response(&title, &[row], &state, &filename);
    response.headers_mut().insert(name, value);
    Ok(response)
}
