//! Bulletin drafting and publishing for admins.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::event_input::merge_patch;
use crate::auth::Admin;
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, JsonObject, check_patch_fields, from_value};
use crate::http::pagination::PageParams;
use crate::http::problem::Problem;
use crate::repo::audit;
use crate::repo::bulletins::{self, BulletinRow};
use crate::routes::bulletins::{
    Bulletin, BulletinInput, BulletinList, BulletinPatch, bulletin_page,
};
use crate::state::AppState;

fn not_found() -> ApiError {
    ApiError::NotFound("No bulletin has this id.".into())
}

fn load(conn: &mut DbConnection, id: i64) -> Result<BulletinRow, ApiError> {
    bulletins::find(conn, id)?.ok_or_else(not_found)
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
    paging: web::Query<PageParams>,
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
    let shared = state.clone();
    let bulletin = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let at = now();
            let row = bulletins::insert(conn, &values, at)?;
            let summary = serde_json::json!({"number": row.number, "title": row.title});
            audit::record(
                conn,
                &admin.0,
                "bulletin.create",
                ("bulletin", &row.id.to_string()),
                summary,
                at,
            )?;
            Bulletin::load(conn, row, &shared)
        })
    })
    .await?;
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
    let shared = state.clone();
    let bulletin = db::run(&state.pool, move |conn| {
        let row = load(conn, id)?;
        Bulletin::load(conn, row, &shared)
    })
    .await?;
    Ok(HttpResponse::Ok().json(bulletin))
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
    let id = path.into_inner();
    let JsonObject(patch) = body.parse()?;
    check_patch_fields::<BulletinPatch>(&patch)?;
    let shared = state.clone();
    let bulletin = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let current = load(conn, id)?;
            let mut merged = serde_json::to_value(BulletinInput::from_row(&current))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            merge_patch(&mut merged, &patch);
            let at = now();
            let values = from_value::<BulletinInput>(merged)?.into_values(at)?;
            let row = bulletins::update(conn, id, &values)?;
            let fields: Vec<&String> = patch
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            audit::record(
                conn,
                &admin.0,
                "bulletin.update",
                ("bulletin", &id.to_string()),
                serde_json::json!({"fields": fields}),
                at,
            )?;
            Bulletin::load(conn, row, &shared)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(bulletin))
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
    db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let row = load(conn, id)?;
            if row.is_published() || bulletins::delete_draft(conn, id)? != 1 {
                return Err(ApiError::conflict(
                    "bulletin-published",
                    "A published bulletin cannot be deleted.",
                ));
            }
            let summary = serde_json::json!({"number": row.number, "title": row.title});
            audit::record(
                conn,
                &admin.0,
                "bulletin.delete",
                ("bulletin", &id.to_string()),
                summary,
                now(),
            )
        })
    })
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
    let shared = state.clone();
    let bulletin = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            load(conn, id)?;
            let at = now();
            if bulletins::publish(conn, id, at)? != 1 {
                return Err(ApiError::conflict(
                    "bulletin-already-published",
                    "This bulletin is already published.",
                ));
            }
            audit::record(
                conn,
                &admin.0,
                "bulletin.publish",
                ("bulletin", &id.to_string()),
                serde_json::json!({}),
                at,
            )?;
            let row = load(conn, id)?;
            Bulletin::load(conn, row, &shared)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(bulletin))
}
