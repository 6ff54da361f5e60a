//! Registrations for admins: the list (JSON or CSV), check-in and cancellation.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Admin;
use crate::domain::ids::EventId;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, Query};
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::{events, registrations};
use crate::routes::registrations::{Registration, RegistrationStatus};
use crate::service;
use crate::state::AppState;

list_envelope!(RegistrationList, Registration);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistrationQuery {
    pub status: Option<RegistrationStatus>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationPatch {
    /// Check-in at the event; only confirmed registrations can attend.
    pub attended: bool,
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/csv"))
}

/// A cell that a spreadsheet would run as a formula is prefixed with `'`.
fn neutralise(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn csv_export(rows: &[Registration]) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| ApiError::internal(format!("CSV export failed: {e}"));
    writer
        .write_record([
            "id",
            "status",
            "waitlist_position",
            "full_name",
            "email",
            "organisation",
            "borough",
            "job_title",
            "accessibility_needs",
            "attended",
            "registered_at",
        ])
        .map_err(csv_error)?;
    for r in rows {
        let record = [
            r.id.to_string(),
            r.status.as_str().to_string(),
            r.waitlist_position
                .map(|p| p.to_string())
                .unwrap_or_default(),
            r.full_name.clone(),
            r.email.clone(),
            r.organisation.clone(),
            r.borough.clone().unwrap_or_default(),
            r.job_title.clone().unwrap_or_default(),
            r.accessibility_needs.clone().unwrap_or_default(),
            r.attended.to_string(),
            serde_json::to_value(r.created_at)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        ];
        writer
            .write_record(record.iter().map(|cell| neutralise(cell)))
            .map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::internal(format!("CSV export failed: {e}")))
}

/// List an event's registrations
///
/// An event's registrations in arrival order. With `Accept: text/csv`, all of them
/// (filters apply, paging does not) as a CSV download.
#[utoipa::path(
    operation_id = "list_event_registrations",
    tag = "admin",
    params(("id" = i64, Path, description = "The event's id"), RegistrationQuery, PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "JSON page, or the CSV export", content(
            (RegistrationList = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/events/{id}/registrations")]
pub async fn admin_list_registrations(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<EventId>,
    query: Query<RegistrationQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let event_id = path.into_inner();
    let page = paging.page()?;
    let csv = wants_csv(&req);
    let status = query.status;
    let (event, rows, total) = state
        .run(move |conn| {
            let event = events::find(conn, event_id)?
                .ok_or_else(|| ApiError::NotFound("No event has this id.".into()))?;
            let (rows, total) =
                registrations::list_for_event(conn, event_id, status, (!csv).then_some(page))?;
            Ok((event, rows, total))
        })
        .await?;
    let items: Vec<Registration> = rows
        .into_iter()
        .map(|(row, position)| Registration::new(row, position, &event))
        .collect();
    if csv {
        let body = csv_export(&items)?;
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-registrations.csv\"", event.slug),
            ))
            .insert_header(("Cache-Control", "no-store"))
            .body(body));
    }
    let body = RegistrationList::new(items, total, page);
    Ok(list_response(&req, &body))
}

/// Check a registrant in or out
///
/// Checks a confirmed registrant in (or out) at the event.
#[utoipa::path(
    operation_id = "update_registration",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The registration's id")),
    request_body = RegistrationPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Registration),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`registration-not-confirmed`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/registrations/{id}")]
pub async fn admin_update_registration(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().to_string();
    let attended = body.parse_valid::<RegistrationPatch>()?.attended;
    let (row, event) = state
        .run(move |conn| service::registrations::set_attended(conn, &admin.0, &id, attended, now()))
        .await?;
    let registration = Registration::new(row, None, &event);
    Ok(HttpResponse::Ok().json(registration))
}

/// Cancel a registration as admin
///
/// Cancels a registration; the first person on the waiting list takes the seat.
#[utoipa::path(
    operation_id = "cancel_registration_as_admin",
    tag = "admin",
    params(("id" = Uuid, Path, description = "The registration's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`registration-cancelled`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/admin/registrations/{id}")]
pub async fn admin_cancel_registration(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().to_string();
    let links = state.links.clone();
    state
        .run(move |conn| {
            service::registrations::cancel_as_admin(conn, &links, &admin.0, &id, now())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Registration counts shown to admins on each event.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationCounts {
    /// Held until the registrant follows the emailed link (events with
    /// `registration.email_confirmation`).
    pub pending_confirmation: i64,
    pub confirmed: i64,
    pub waitlisted: i64,
    pub cancelled: i64,
    pub attended: i64,
}

impl From<registrations::Counts> for RegistrationCounts {
    fn from(c: registrations::Counts) -> Self {
        Self {
            pending_confirmation: c.pending_confirmation,
            confirmed: c.confirmed,
            waitlisted: c.waitlisted,
            cancelled: c.cancelled,
            attended: c.attended,
        }
    }
}
