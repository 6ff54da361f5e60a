//! The audit log, read-only.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::domain::time::{DateBound, Rfc3339, shown_utc};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::http::validation::filter_time;
use crate::list_envelope;
use crate::repo::audit::{self, AuditFilter, AuditRow};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Rfc3339,
    pub actor_id: String,
    pub actor_email: String,
    /// Such as `event.create`, `membership.approve`, `account.update`, `auth.admin_sign_in`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// A small summary of the change.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub summary: serde_json::Value,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: shown_utc(row.at),
            summary: serde_json::from_str(&row.summary).unwrap_or(serde_json::Value::Null),
            actor_id: row.actor_id,
            actor_email: row.actor_email,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
        }
    }
}

list_envelope!(AuditLog, AuditEntry);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting account's id or email.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// From this time (RFC 3339, or a London date).
    #[param(value_type = Option<crate::domain::time::FilterTime>)]
    pub from: Option<String>,
    /// Before this time; a date includes that whole day.
    #[param(value_type = Option<crate::domain::time::FilterTime>)]
    pub to: Option<String>,
}

/// List audit log entries
///
/// Who did what to what, and when; newest first.
#[utoipa::path(
    operation_id = "list_audit_entries",
    tag = "admin",
    params(AuditQuery, PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditLog),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/audit-log")]
pub async fn admin_audit_log(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    query: Query<AuditQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = paging.page()?;
    let time = |raw: &Option<String>, name: &str, bound| filter_time(raw.as_deref(), name, bound);
    let filter = AuditFilter {
        from: time(&query.from, "from", DateBound::StartOfDay)?,
        to: time(&query.to, "to", DateBound::EndOfDay)?,
        actor: query.actor,
        action: query.action,
        target_type: query.target_type,
        target_id: query.target_id,
    };
    let (rows, total) = state
        .run(move |conn| audit::list(conn, &filter, page))
        .await?;
    let body = AuditLog::new(
        rows.into_iter().map(AuditEntry::from).collect(),
        total,
        page,
    );
    Ok(list_response(&req, &body))
}
