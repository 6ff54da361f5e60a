//! Event drafting and publishing for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::event_input::{EventInput, EventPatch, merge_patch};
use crate::auth::Admin;
use crate::db::{self, write_transaction};
use crate::domain::time::now;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, JsonObject, RawJson, from_value};
use crate::pagination::list_response;
use crate::repo::events::{self, EventRow};
use crate::routes::events::{Event, EventList, EventQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Shown on the event and sent to registrants.
    #[validate(length(min = 3, max = 1000))]
    #[schema(
        min_length = 3,
        max_length = 1000,
        example = "The venue is closed for repairs."
    )]
    pub reason: String,
}

fn not_found() -> ApiError {
    ApiError::NotFound("No event has this id.".into())
}

fn load(conn: &mut db::DbConnection, id: i64) -> Result<EventRow, ApiError> {
    events::find(conn, id)?.ok_or_else(not_found)
}

/// Every event, drafts included, soonest first. No default time filter.
#[utoipa::path(
    tag = "admin",
    params(EventQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = EventList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/events")]
pub async fn admin_list_events(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let filter = query.filter(false, false)?;
    let (rows, total) = db::run(&state.pool, move |conn| {
        events::list(conn, &filter, page.limit, page.offset)
    })
    .await?;
    let body = EventList {
        items: rows
            .into_iter()
            .map(|row| Event::from_row(row, &state))
            .collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    };
    Ok(list_response(&req, page, total, &body))
}

/// Creates an unpublished draft.
#[utoipa::path(
    tag = "admin",
    request_body = EventInput,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The draft; `Location` is its admin URL", body = Event),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/events")]
pub async fn admin_create_event(
    _admin: Admin,
    state: web::Data<AppState>,
    body: RawJson<EventInput>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.0.into_draft(0)?;
    let row = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| events::insert(conn, &draft, now()))
    })
    .await?;
    let location = format!("/api/v1/admin/events/{}", row.id);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location))
        .json(Event::from_row(row, &state)))
}

/// One event, draft or published.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Event),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/events/{id}")]
pub async fn admin_get_event(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let row = db::run(&state.pool, move |conn| load(conn, id)).await?;
    Ok(HttpResponse::Ok().json(Event::from_row(row, &state)))
}

/// Edits an event with a JSON merge patch (`application/json` or
/// `application/merge-patch+json`).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = EventPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Event),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`slug-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/events/{id}")]
pub async fn admin_update_event(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: RawJson<JsonObject>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = body.0.0;
    let row = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let current = load(conn, id)?;
            let mut merged = serde_json::to_value(EventInput::from_row(&current))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            merge_patch(&mut merged, &patch);
            let input: EventInput = from_value(merged)?;
            let draft = input.into_draft(current.seats_taken)?;
            events::update(conn, id, &draft, now())
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Event::from_row(row, &state)))
}

/// Deletes a draft. A published event is cancelled instead (409).
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-published`: cancel it instead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/events/{id}")]
pub async fn admin_delete_event(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let row = load(conn, id)?;
            if row.is_published() || events::delete_draft(conn, id)? != 1 {
                return Err(ApiError::conflict(
                    "event-published",
                    "A published event cannot be deleted; cancel it instead.",
                ));
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publishes a draft: it appears in the public listing.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Event),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-already-published`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/events/{id}/publish")]
pub async fn admin_publish_event(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let row = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            load(conn, id)?;
            if events::publish(conn, id, now())? != 1 {
                return Err(ApiError::conflict(
                    "event-already-published",
                    "This event is already published.",
                ));
            }
            load(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Event::from_row(row, &state)))
}

/// Cancels a published event with a reason. It stays listed, marked cancelled.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id")),
    request_body = CancelRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Event),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-cancelled` (already) or `event-not-published` (delete the draft instead)", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/events/{id}/cancel")]
pub async fn admin_cancel_event(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let reason = body.0.reason.trim().to_string();
    if reason.chars().count() < 3 {
        return Err(ApiError::invalid("reason", "must be 3 to 1000 characters"));
    }
    let row = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let row = load(conn, id)?;
            if !row.is_published() {
                return Err(ApiError::conflict(
                    "event-not-published",
                    "A draft cannot be cancelled; delete it instead.",
                ));
            }
            if events::cancel(conn, id, &reason, now())? != 1 {
                return Err(ApiError::conflict(
                    "event-cancelled",
                    "This event is already cancelled.",
                ));
            }
            load(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(Event::from_row(row, &state)))
}
