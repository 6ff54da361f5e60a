//! The notification outbox, for admins: what was queued, sent or given up on.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::domain::time::{Rfc3339, shown_utc};
use crate::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::notifications::{self, NotificationRow};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationStatus {
    Queued,
    Sent,
    Failed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub status: NotificationStatus,
    pub recipient: String,
    /// `registration_confirmed`, `registration_waitlisted`, `registration_promoted`,
    /// `registration_cancelled` or `event_cancelled`.
    pub template: String,
    pub subject: String,
    pub body: String,
    pub registration_id: Option<String>,
    pub attempts: i32,
    pub created_at: Rfc3339,
    pub next_attempt_at: Option<Rfc3339>,
    pub sent_at: Option<Rfc3339>,
    pub failed_at: Option<Rfc3339>,
    pub last_error: Option<String>,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        let status = match row.status() {
            "sent" => NotificationStatus::Sent,
            "failed" => NotificationStatus::Failed,
            _ => NotificationStatus::Queued,
        };
        Self {
            next_attempt_at: matches!(status, NotificationStatus::Queued)
                .then(|| shown_utc(row.next_attempt_at)),
            status,
            id: row.id,
            recipient: row.recipient,
            template: row.template,
            subject: row.subject,
            body: row.body,
            registration_id: row.registration_id,
            attempts: row.attempts,
            created_at: shown_utc(row.created_at),
            sent_at: row.sent_at.map(shown_utc),
            failed_at: row.failed_at.map(shown_utc),
            last_error: row.last_error,
        }
    }
}

list_envelope!(NotificationList, Notification);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationQuery {
    pub status: Option<NotificationStatus>,
}

/// List outgoing notifications
///
/// The outbox, newest first.
#[utoipa::path(
    operation_id = "list_notifications",
    tag = "admin",
    params(NotificationQuery, PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotificationList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/notifications")]
pub async fn admin_list_notifications(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    query: Query<NotificationQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.page()?;
    let status = query.status.map(|s| match s {
        NotificationStatus::Queued => "queued",
        NotificationStatus::Sent => "sent",
        NotificationStatus::Failed => "failed",
    });
    let (rows, total) = state
        .run(move |conn| notifications::list(conn, status, page))
        .await?;
    let body = NotificationList::new(
        rows.into_iter().map(Notification::from).collect(),
        total,
        page,
    );
    Ok(list_response(&req, &body))
}
