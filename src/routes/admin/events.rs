//! Event drafting and publishing for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::event_input::{EventInput, EventPatch, patched, patched_fields};
use crate::auth::Admin;
use crate::db;
use crate::domain::ids::EventId;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, Query};
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::events::{self, EventRow};
use crate::repo::registrations;
use crate::routes::admin::registrations::RegistrationCounts;
use crate::routes::events::{Event, EventQuery};
use crate::service;
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Shown on the event and sent to registrants.
    #[validate(length(min = 3, max = 1000))]
    #[schema(
        min_length = 3,
        max_length = 1000,
        // Three characters or more, not blank at either end (`\S[\s\S]+\S`), and no
        // control character but TAB, LF and CR (`http::validation`), in one pattern.
        pattern = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]+[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$",
        example = "The venue is closed for repairs."
    )]
    pub reason: String,
}

impl CancelRequest {
    /// The reason, trimmed: still three characters or more.
    fn reason(self) -> Result<String, ApiError> {
        let reason = self.reason.trim();
        if reason.chars().count() < 3 {
            return Err(ApiError::invalid("reason", "must be 3 to 1000 characters"));
        }
        Ok(reason.to_string())
    }
}

/// An event as admins see it: drafts too, and its registration counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminEvent {
    #[serde(flatten)]
    pub event: Event,
    pub registrations: RegistrationCounts,
}

list_envelope!(AdminEventList, AdminEvent);

/// Loads the counts of each row, for the admin view.
fn with_counts(
    conn: &mut db::DbConnection,
    rows: Vec<EventRow>,
) -> Result<Vec<(EventRow, registrations::Counts)>, ApiError> {
    rows.into_iter()
        .map(|row| {
            let counts = registrations::counts(conn, row.id)?;
            Ok((row, counts))
        })
        .collect()
}

fn admin_view(state: &AppState, row: EventRow, counts: registrations::Counts) -> AdminEvent {
    AdminEvent {
        event: Event::from_row(row, state),
        registrations: counts.into(),
    }
}

/// Runs `work` (a service call that ends with one event and its counts) and answers
/// that event as admins see it: the 200 of every handler about one event.
async fn one_event(
    state: &AppState,
    work: impl FnOnce(&mut db::DbConnection) -> Result<(EventRow, registrations::Counts), ApiError>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let (row, counts) = state.run(work).await?;
    Ok(HttpResponse::Ok().json(admin_view(state, row, counts)))
}

/// List all events
///
/// Every event, drafts included, soonest first. No default time filter.
#[utoipa::path(
    operation_id = "list_events_as_admin",
    tag = "admin",
    params(EventQuery, PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminEventList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/events")]
pub async fn admin_list_events(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    query: Query<EventQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.page()?;
    let filter = query.filter(false, false)?;
    let (rows, total) = state
        .run(move |conn| {
            let (rows, total) = events::list(conn, &filter, page)?;
            Ok((with_counts(conn, rows)?, total))
        })
        .await?;
    let body = AdminEventList {
        items: rows
            .into_iter()
            .map(|(row, counts)| admin_view(&state, row, counts))
            .collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    };
    Ok(list_response(&req, &body))
}

/// Create an event
///
/// Creates an unpublished draft.
#[utoipa::path(
    operation_id = "create_event",
    tag = "admin",
    request_body = EventInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft; `Location` is its admin URL", body = AdminEvent),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/events")]
pub async fn admin_create_event(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let draft = body
        .parse::<EventInput>()?
        .into_draft(0, state.email_confirmation.default_for_new_events)?;
    let row = state
        .run(move |conn| service::events::create(conn, &admin.0, &draft))
        .await?;
    let location = format!("/api/v1/admin/events/{}", row.id);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(admin_view(&state, row, registrations::Counts::default())))
}

/// Get any event
///
/// One event, draft or published.
#[utoipa::path(
    operation_id = "get_event_as_admin",
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminEvent),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/events/{id}")]
pub async fn admin_get_event(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    one_event(&state, move |conn| {
        service::events::find_with_counts(conn, id)
    })
    .await
}

/// Update an event
///
/// Edits an event with a JSON merge patch (`application/json` or
/// `application/merge-patch+json`).
#[utoipa::path(
    operation_id = "update_event",
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = EventPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminEvent),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/events/{id}")]
pub async fn admin_update_event(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<EventId>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parse_patch::<EventPatch>()?;
    let fields = patched_fields(&patch);
    let id = path.into_inner();
    let links = state.links.clone();
    one_event(&state, move |conn| {
        service::events::update(conn, &admin.0, &links, id, &fields, |current| {
            patched(&EventInput::from_row(current), &patch)?
                .into_draft(current.seats_taken, current.email_confirmation)
        })
    })
    .await
}

/// Delete a draft event
///
/// Deletes a draft. A published event is cancelled instead (409).
#[utoipa::path(
    operation_id = "delete_event",
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-published`: cancel it instead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/events/{id}")]
pub async fn admin_delete_event(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .run(move |conn| service::events::delete_draft(conn, &admin.0, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish an event
///
/// Publishes a draft: it appears in the public listing.
#[utoipa::path(
    operation_id = "publish_event",
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminEvent),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-already-published`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/events/{id}/publish")]
pub async fn admin_publish_event(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<EventId>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    one_event(&state, move |conn| {
        service::events::publish(conn, &admin.0, id)
    })
    .await
}

/// Cancel an event
///
/// Cancels a published event with a reason. It stays listed, marked cancelled, and
/// every active registrant is notified.
#[utoipa::path(
    operation_id = "cancel_event",
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = CancelRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminEvent),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-cancelled` (already) or `event-not-published` (delete the draft instead)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/events/{id}/cancel")]
pub async fn admin_cancel_event(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<EventId>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let reason = body.parse_valid::<CancelRequest>()?.reason()?;
    let id = path.into_inner();
    let links = state.links.clone();
    one_event(&state, move |conn| {
        service::events::cancel(conn, &admin.0, &links, id, &reason)
    })
    .await
}
