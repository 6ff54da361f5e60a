//! Applying to join the Community of Practice, and the public measure of the promise.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::SignedIn;
use crate::domain::Borough;
use crate::domain::time::{Rfc3339, now, shown_utc};
use crate::error::{ApiError, FieldError};
use crate::http::extract::JsonBody;
use crate::http::problem::Problem;
use crate::repo::membership::{self, ApplicationRow, NewApplication};
use crate::service;
use crate::state::AppState;

pub use crate::domain::membership::ApplicationStatus;

/// An application to join the Community of Practice, and its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipApplication {
    pub id: Uuid,
    pub status: ApplicationStatus,
    pub statement: String,
    pub organisation: String,
    pub borough: String,
    pub job_title: String,
    pub submitted_at: Rfc3339,
    /// The promise: a decision by this time.
    pub respond_by: Rfc3339,
    /// Still pending after `respond_by`.
    pub overdue: bool,
    pub decided_at: Option<Rfc3339>,
    /// Why it was rejected; shown to the applicant.
    pub reason: Option<String>,
}

impl From<ApplicationRow> for MembershipApplication {
    fn from(row: ApplicationRow) -> Self {
        Self {
            id: row.id.uuid(),
            status: row.status,
            overdue: row.is_overdue(now()),
            submitted_at: shown_utc(row.submitted_at),
            respond_by: shown_utc(row.respond_by),
            decided_at: row.decided_at.map(shown_utc),
            statement: row.statement,
            organisation: row.organisation,
            borough: row.borough,
            job_title: row.job_title,
            reason: row.reason,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// Why you want to join, and what you can share.
    #[validate(length(min = 20, max = 2000))]
    #[schema(min_length = 20, max_length = 2000)]
    pub statement: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "London Borough of Camden")]
    pub organisation: String,
    /// One of `GET /api/v1/boroughs`, any letter case.
    #[schema(value_type = crate::domain::borough::BoroughName)]
    pub borough: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Head of Libraries")]
    pub job_title: String,
}

impl ApplicationRequest {
    fn parse(&self) -> Result<NewApplication, ApiError> {
        let mut errors = crate::http::validation::errors_of(self);
        let statement = self.statement.trim().to_string();
        if statement.chars().count() < 20 && !errors.iter().any(|e| e.field == "statement") {
            errors.push(FieldError::new(
                "statement",
                "must be 20 to 2000 characters",
            ));
        }
        for (field, value) in [
            ("organisation", &self.organisation),
            ("job_title", &self.job_title),
        ] {
            if value.trim().is_empty() && !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, "must be 1 to 200 characters"));
            }
        }
        let borough = Borough::parse(&self.borough)
            .map_err(|m| errors.push(FieldError::new("borough", m)))
            .ok();
        match borough {
            Some(borough) if errors.is_empty() => Ok(NewApplication {
                statement,
                organisation: self.organisation.trim().to_string(),
                borough: borough.name().to_string(),
                job_title: self.job_title.trim().to_string(),
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Apply for membership
///
/// Applies to join the Community of Practice. A decision is promised by `respond_by`.
#[utoipa::path(
    operation_id = "apply_for_membership",
    tag = "membership",
    request_body = ApplicationRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, body = MembershipApplication),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`email-unverified`: the account has not verified its email", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`application-pending` or `already-member`", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/me/membership-application")]
pub async fn apply(
    signed_in: SignedIn,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input = body.parse::<ApplicationRequest>()?.parse()?;
    let account = signed_in.0;
    let sla = state.membership_sla;
    let row = state
        .run(move |conn| service::membership::submit(conn, &account, &input, sla, now()))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/me/membership-application"))
        .json(MembershipApplication::from(row)))
}

/// Get my membership application
///
/// Your latest application and its decision.
#[utoipa::path(
    operation_id = "get_my_membership_application",
    tag = "membership",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MembershipApplication),
        (status = 404, description = "You have not applied", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/membership-application")]
pub async fn my_application(
    signed_in: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let account_id = signed_in.0.id;
    let row = state
        .run(move |conn| membership::latest_for(conn, &account_id))
        .await?;
    let row = row.ok_or_else(|| {
        ApiError::NotFound("You have not applied to join the Community of Practice.".into())
    })?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(MembershipApplication::from(row)))
}

/// How well the Community of Practice keeps its promise (aggregates only).
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityStats {
    /// The period measured, ending now.
    #[schema(example = 90)]
    pub window_days: i64,
    /// The promised time to a decision.
    #[schema(example = 24)]
    pub promise_hours: f64,
    /// Applications decided in the window.
    pub decided: i64,
    /// Median hours from application to decision; null when none were decided.
    pub median_hours_to_decision: Option<f64>,
    /// Share (0 to 1) decided within the promise; null when none were decided.
    pub share_decided_within_promise: Option<f64>,
}

/// Get Community of Practice decision times
///
/// Public: the median time to a decision over the last 90 days, and the share decided
/// within the promise.
#[utoipa::path(operation_id = "get_community_stats", tag = "membership", responses((status = 200, body = CommunityStats)))]
#[get("/community/stats")]
pub async fn community_stats(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let stats = state
        .run(|conn| service::membership::stats(conn, now(), chrono::Duration::days(90)))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(CommunityStats {
            window_days: 90,
            promise_hours: state.membership_sla.num_minutes() as f64 / 60.0,
            decided: stats.decided,
            median_hours_to_decision: stats.median_hours,
            share_decided_within_promise: stats.share_within_sla,
        }))
}
