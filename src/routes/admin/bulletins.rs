//! Bulletin drafting and publishing for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::event_input::{patched, patched_fields};
use crate::auth::Admin;
use crate::db::DbConnection;
use crate::domain::ids::EventId;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, Query};
use crate::http::pagination::PageParams;
use crate::http::problem::Problem;
use crate::repo::bulletins::BulletinRow;
use crate::routes::bulletins::{
    Bulletin, BulletinInput, BulletinList, BulletinPatch, bulletin_page,
};
use crate::service;
use crate::state::AppState;

/// Runs `work` (a service call that ends with one bulletin and its events) and answers
/// that bulletin: the 200 of every handler about one bulletin.
async fn one_bulletin(
    state: &AppState,
    work: impl FnOnce(&mut DbConnection) -> Result<(BulletinRow, Vec<EventId>), ApiError>
    + Send
    + 'static,
) -> Result<HttpResponse, ApiError> {
    let (row, event_ids) = state.run(work).await?;
    Ok(HttpResponse::Ok().json(Bulletin::new(row, event_ids, state)))
}

/// List all bulletins
///
/// Every bulletin, drafts included, newest first.
#[utoipa::path(
    operation_id = "list_bulletins_as_admin",
    tag = "admin",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = BulletinList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/bulletins")]
pub async fn admin_list_bulletins(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    bulletin_page(&req, &state, &paging, false).await
}

/// Create a bulletin
///
/// Creates a draft bulletin.
#[utoipa::path(
    operation_id = "create_bulletin",
    tag = "admin",
    request_body = BulletinInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Bulletin),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`bulletin-number-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/bulletins")]
pub async fn admin_create_bulletin(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let values = body.parse::<BulletinInput>()?.into_values(now())?;
    let (row, event_ids) = state
        .run(move |conn| service::bulletins::create(conn, &admin.0, &values))
        .await?;
    let bulletin = Bulletin::new(row, event_ids, &state);
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/admin/bulletins/{}", bulletin.id),
        ))
        .json(bulletin))
}

/// Get any bulletin
///
/// One bulletin, draft or published.
#[utoipa::path(
    operation_id = "get_bulletin_as_admin",
    tag = "admin",
    params(("id" = i64, Path, description = "The bulletin's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Bulletin),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/bulletins/{id}")]
pub async fn admin_get_bulletin(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    one_bulletin(&state, move |conn| {
        service::bulletins::find_with_events(conn, id)
    })
    .await
}

/// Update a bulletin
///
/// Edits a bulletin with a JSON merge patch.
#[utoipa::path(
    operation_id = "update_bulletin",
    tag = "admin",
    params(("id" = i64, Path, description = "The bulletin's id")),
    request_body = BulletinPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Bulletin),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`bulletin-number-taken`", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/bulletins/{id}")]
pub async fn admin_update_bulletin(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let patch = body.parse_patch::<BulletinPatch>()?;
    let fields = patched_fields(&patch);
    let id = path.into_inner();
    one_bulletin(&state, move |conn| {
        service::bulletins::update(conn, &admin.0, id, &fields, |current| {
            patched(&BulletinInput::from_row(current), &patch)?.into_values(now())
        })
    })
    .await
}

/// Delete a draft bulletin
///
/// Deletes a draft; a published bulletin stays (409).
#[utoipa::path(
    operation_id = "delete_bulletin",
    tag = "admin",
    params(("id" = i64, Path, description = "The bulletin's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`bulletin-published`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/bulletins/{id}")]
pub async fn admin_delete_bulletin(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .run(move |conn| service::bulletins::delete_draft(conn, &admin.0, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publish a bulletin
///
/// Publishes a draft: it appears in the listing and the Atom feed.
#[utoipa::path(
    operation_id = "publish_bulletin",
    tag = "admin",
    params(("id" = i64, Path, description = "The bulletin's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Bulletin),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`bulletin-already-published`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/bulletins/{id}/publish")]
pub async fn admin_publish_bulletin(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    one_bulletin(&state, move |conn| {
        service::bulletins::publish(conn, &admin.0, id)
    })
    .await
}
