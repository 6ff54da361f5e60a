//! Deciding Community of Practice applications, one at a time or in bulk, and the
//! measure of the 24-hour promise.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Admin;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, Query};
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::accounts::AccountRow;
use crate::repo::membership::{self as applications, ApplicationFilter, ApplicationRow};
use crate::routes::membership::{ApplicationStatus, MembershipApplication};
use crate::service::membership::{self, Decision};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Applicant {
    pub id: Uuid,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
}

/// An application as admins see it: with its applicant and its age.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminMembershipApplication {
    #[serde(flatten)]
    pub application: MembershipApplication,
    /// Hours since it was submitted.
    pub age_hours: f64,
    pub applicant: Applicant,
}

impl AdminMembershipApplication {
    fn new(row: ApplicationRow, account: AccountRow) -> Self {
        let age = (now() - row.submitted_at).num_seconds() as f64 / 3600.0;
        Self {
            age_hours: (age * 10.0).round() / 10.0,
            applicant: Applicant {
                id: account.id.uuid(),
                full_name: account.full_name,
                email: account.email,
                organisation: account.organisation,
            },
            application: MembershipApplication::from(row),
        }
    }
}

list_envelope!(AdminMembershipApplicationList, AdminMembershipApplication);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    pub status: Option<ApplicationStatus>,
    /// Only pending applications past `respond_by`.
    pub overdue: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Shown to the applicant.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionItem {
    pub id: Uuid,
    pub decision: DecisionKind,
    /// Required to reject (1 to 2000 characters).
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkDecisions {
    #[validate(length(min = 1, max = 100), nested)]
    #[schema(min_items = 1, max_items = 100)]
    pub decisions: Vec<DecisionItem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionOutcome {
    Approved,
    Rejected,
    Failed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResult {
    pub id: Uuid,
    pub outcome: DecisionOutcome,
    /// The decided application, when decided.
    pub application: Option<AdminMembershipApplication>,
    /// Why this item was not decided.
    pub problem: Option<Problem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDecisionResults {
    /// One per item, in the order sent.
    pub results: Vec<DecisionResult>,
}

fn not_found() -> ApiError {
    ApiError::NotFound("No membership application has this id.".into())
}

/// List membership applications
///
/// Applications, oldest first.
#[utoipa::path(
    operation_id = "list_membership_applications",
    tag = "admin",
    params(ApplicationQuery, PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminMembershipApplicationList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/membership-applications")]
pub async fn admin_list_applications(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    query: Query<ApplicationQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.page()?;
    let filter = ApplicationFilter {
        status: query.status,
        overdue_at: query.overdue.unwrap_or(false).then(now),
    };
    let (rows, total) = state
        .run(move |conn| applications::list(conn, &filter, page))
        .await?;
    let body = AdminMembershipApplicationList {
        items: rows
            .into_iter()
            .map(|(row, account)| AdminMembershipApplication::new(row, account))
            .collect(),
        total,
        limit: page.limit,
        offset: page.offset,
    };
    Ok(list_response(&req, &body))
}

/// The promise, measured: what waits now, and decisions in the last 30 days.
#[derive(Debug, Serialize, ToSchema)]
pub struct MembershipStats {
    pub pending: i64,
    /// Pending past `respond_by`.
    pub overdue: i64,
    pub decided_last_30_days: i64,
    /// Share (0 to 1) of those decided within the promise; null when none.
    pub share_decided_within_promise: Option<f64>,
    pub median_hours_to_decision: Option<f64>,
    pub p90_hours_to_decision: Option<f64>,
    pub promise_hours: f64,
}

/// Get membership decision statistics
///
/// How the "usually within 24 hours" promise is kept: applications pending and
/// overdue now, and for decisions in the last 30 days the median and 90th-percentile
/// hours to a decision and the share made within the promise.
#[utoipa::path(
    operation_id = "get_membership_stats",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = MembershipStats),
    )
)]
#[get("/admin/membership-applications/stats")]
pub async fn admin_membership_stats(
    _admin: Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let stats = state
        .run(|conn| membership::stats(conn, now(), chrono::Duration::days(30)))
        .await?;
    Ok(HttpResponse::Ok().json(MembershipStats {
        pending: stats.pending,
        overdue: stats.overdue,
        decided_last_30_days: stats.decided,
        share_decided_within_promise: stats.share_within_sla,
        median_hours_to_decision: stats.median_hours,
        p90_hours_to_decision: stats.p90_hours,
        promise_hours: state.membership_sla.num_minutes() as f64 / 60.0,
    }))
}

/// Get a membership application
///
/// One application with its applicant.
#[utoipa::path(
    operation_id = "get_membership_application",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The application's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminMembershipApplication),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/membership-applications/{id}")]
pub async fn admin_get_application(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().to_string();
    let (row, account) = state
        .run(move |conn| applications::find_with_applicant(conn, &id))
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(AdminMembershipApplication::new(row, account)))
}

/// Approve an application
///
/// Approves: the applicant becomes a member at once and is notified.
#[utoipa::path(
    operation_id = "approve_membership_application",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The application's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminMembershipApplication),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`application-decided`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/membership-applications/{id}/approve")]
pub async fn admin_approve_application(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    decide_one(&state, admin, path.into_inner(), Decision::Approve).await
}

/// Records one decision and answers the application as decided, with its applicant.
async fn decide_one(
    state: &AppState,
    admin: Admin,
    id: Uuid,
    decision: Decision,
) -> Result<HttpResponse, ApiError> {
    let (actor, id) = (admin.0, id.to_string());
    let (row, applicant) = state
        .run(move |conn| membership::decide(conn, &actor, &id, &decision, now()))
        .await?;
    Ok(HttpResponse::Ok().json(AdminMembershipApplication::new(row, applicant)))
}

fn reject_reason(reason: &str) -> Result<String, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "must be 1 to 2000 characters"));
    }
    Ok(reason.to_string())
}

/// Reject an application
///
/// Rejects with a reason, which the applicant is shown and sent.
#[utoipa::path(
    operation_id = "reject_membership_application",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The application's id")),
    request_body = RejectRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminMembershipApplication),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`application-decided`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/membership-applications/{id}/reject")]
pub async fn admin_reject_application(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let reason = reject_reason(&body.parse_valid::<RejectRequest>()?.reason)?;
    decide_one(
        &state,
        admin,
        path.into_inner(),
        Decision::Reject { reason },
    )
    .await
}

/// Decide many applications
///
/// Up to 100 decisions; each stands alone, so one failure undoes none of the others.
#[utoipa::path(
    operation_id = "decide_membership_applications",
    tag = "admin",
    request_body = BulkDecisions,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One result per item, in order", body = BulkDecisionResults),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/membership-applications/decisions")]
pub async fn admin_bulk_decisions(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let request: BulkDecisions = body.parse_valid()?;
    let ids: Vec<Uuid> = request.decisions.iter().map(|item| item.id).collect();
    let items = request
        .decisions
        .into_iter()
        .map(|item| {
            let decision = match (item.decision, item.reason.as_deref()) {
                (DecisionKind::Approve, _) => Ok(Decision::Approve),
                (DecisionKind::Reject, Some(reason)) => {
                    reject_reason(reason).map(|reason| Decision::Reject { reason })
                }
                (DecisionKind::Reject, None) => {
                    Err(ApiError::invalid("reason", "is required to reject"))
                }
            };
            (item.id.to_string(), decision)
        })
        .collect();
    let actor = admin.0;
    let outcomes = state
        .run(move |conn| membership::decide_each(conn, &actor, items, now()))
        .await?;
    let results = ids
        .into_iter()
        .zip(outcomes)
        .map(|(id, outcome)| match outcome {
            Ok((row, applicant)) => {
                let application = AdminMembershipApplication::new(row, applicant);
                DecisionResult {
                    id,
                    outcome: if application.application.status == ApplicationStatus::Approved {
                        DecisionOutcome::Approved
                    } else {
                        DecisionOutcome::Rejected
                    },
                    application: Some(application),
                    problem: None,
                }
            }
            Err(e) => DecisionResult {
                id,
                outcome: DecisionOutcome::Failed,
                application: None,
                problem: Some(e.problem()),
            },
        })
        .collect();
    Ok(HttpResponse::Ok().json(BulkDecisionResults { results }))
}
