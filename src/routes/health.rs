use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::ApiError;
use crate::http::problem::Problem;
use crate::state::AppState;

/// Readiness is a probe's question: it must be answered quickly, whatever the database
/// does, or orchestrators would take a hanging probe for a dead process.
const READINESS_DEADLINE: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Check liveness
///
/// Liveness: 200 while the process runs.
#[utoipa::path(operation_id = "get_health", tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health { status: "ok" })
}

/// Check readiness
///
/// Readiness: 200 only while the database answers.
#[utoipa::path(
    operation_id = "get_readiness",
    tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !db::answers_within(&state.pool, READINESS_DEADLINE).await {
        return Err(ApiError::Unavailable(format!(
            "the database did not answer within {READINESS_DEADLINE:?}"
        )));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health { status: "ready" }))
}
