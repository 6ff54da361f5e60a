//! Event drafting and publishing for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::event_input::{EventInput, EventPatch, merge_patch};
use crate::auth::Admin;
use crate::db::{self, write_transaction};
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, JsonObject, check_patch_fields, from_value};
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::events::{self, EventRow};
use crate::repo::{audit, registrations};
use crate::routes::admin::registrations::RegistrationCounts;
use crate::routes::events::{Event, EventQuery};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// Shown on the event and sent to registrants.
    #[validate(length(min = 3, max = 1000))]
    #[schema(
        min_length = 3,
        max_length = 1000,
        pattern = "\\S[\\s\\S]+\\S",
        example = "The venue is closed for repairs."
    )]
    pub reason: String,
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

fn load_with_counts(
    conn: &mut db::DbConnection,
    id: i64,
) -> Result<(EventRow, registrations::Counts), ApiError> {
    let row = load(conn, id)?;
    let counts = registrations::counts(conn, id)?;
    Ok((row, counts))
}

fn not_found() -> ApiError {
    ApiError::NotFound("No event has this id.".into())
}

fn load(conn: &mut db::DbConnection, id: i64) -> Result<EventRow, ApiError> {
    events::find(conn, id)?.ok_or_else(not_found)
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
    query: web::Query<EventQuery>,
    paging: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.page()?;
    let filter = query.filter(false, false)?;
    let (rows, total) = db::run(&state.pool, move |conn| {
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
    let draft = body.parse::<EventInput>()?.into_draft(0)?;
    let row = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let at = now();
            let row = events::insert(conn, &draft, at)?;
            let summary = serde_json::json!({"title": row.title, "slug": row.slug});
            audit::record(
                conn,
                &admin.0,
                "event.create",
                ("event", &row.id.to_string()),
                summary,
                at,
            )?;
            Ok(row)
        })
    })
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
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (row, counts) = db::run(&state.pool, move |conn| load_with_counts(conn, id)).await?;
    Ok(HttpResponse::Ok().json(admin_view(&state, row, counts)))
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
    path: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let JsonObject(patch) = body.parse()?;
    check_patch_fields::<EventPatch>(&patch)?;
    let links = state.links.clone();
    let (row, counts) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let current = events::lock(conn, id)?.ok_or_else(not_found)?;
            let mut merged = serde_json::to_value(EventInput::from_row(&current))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            merge_patch(&mut merged, &patch);
            let input: EventInput = from_value(merged)?;
            let draft = input.into_draft(current.seats_taken)?;
            let at = now();
            events::update(conn, id, &draft, at)?;
            // A larger capacity gives waiting seats to the waiting list at once.
            let promoted = crate::service::registrations::fill_seats(conn, &links, id, at)?;
            let fields: Vec<&String> = patch
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            let summary = serde_json::json!({"fields": fields, "promoted": promoted});
            audit::record(
                conn,
                &admin.0,
                "event.update",
                ("event", &id.to_string()),
                summary,
                at,
            )?;
            load_with_counts(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(admin_view(&state, row, counts)))
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
            let summary = serde_json::json!({"title": row.title, "slug": row.slug});
            audit::record(
                conn,
                &admin.0,
                "event.delete",
                ("event", &id.to_string()),
                summary,
                now(),
            )
        })
    })
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
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (row, counts) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            load(conn, id)?;
            if events::publish(conn, id, now())? != 1 {
                return Err(ApiError::conflict(
                    "event-already-published",
                    "This event is already published.",
                ));
            }
            let summary = serde_json::json!({});
            audit::record(
                conn,
                &admin.0,
                "event.publish",
                ("event", &id.to_string()),
                summary,
                now(),
            )?;
            load_with_counts(conn, id)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(admin_view(&state, row, counts)))
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
    path: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let reason = body
        .parse_valid::<CancelRequest>()?
        .reason
        .trim()
        .to_string();
    if reason.chars().count() < 3 {
        return Err(ApiError::invalid("reason", "must be 3 to 1000 characters"));
    }
    let links = state.links.clone();
    let (row, counts) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let row = events::lock(conn, id)?.ok_or_else(not_found)?;
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
            let (row, counts) = load_with_counts(conn, id)?;
            crate::service::registrations::notify_event_cancelled(conn, &links, &row, now())?;
            let summary = serde_json::json!({"reason": reason});
            audit::record(
                conn,
                &admin.0,
                "event.cancel",
                ("event", &id.to_string()),
                summary,
                now(),
            )?;
            Ok((row, counts))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(admin_view(&state, row, counts)))
}
