//! A data subject's rights (UK GDPR): access (an export of everything held about an
//! email address) and erasure (anonymisation that keeps counts and the audit trail).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Admin;
use crate::domain::Email;
use crate::domain::time::{Rfc3339, now, shown_utc};
use crate::error::ApiError;
use crate::http::extract::JsonBody;
use crate::http::problem::Problem;
use crate::repo::personal_data::{self, ErasureReport};
use crate::routes::accounts::Account;
use crate::routes::admin::audit::AuditEntry;
use crate::routes::admin::notifications::Notification;
use crate::routes::membership::MembershipApplication;
use crate::routes::registrations::Registration;
use crate::service;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonalDataQuery {
    /// The person's email address, in any letter case.
    #[param(max_length = 254, format = Email, example = "ada@camden.gov.uk")]
    pub email: String,
}

/// Everything held about one email address, as stored (never a password hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalDataExport {
    /// The address asked about, lower-cased.
    pub email: String,
    pub exported_at: Rfc3339,
    /// The account with this address, if there is one.
    pub account: Option<Account>,
    /// Registrations for any event made with this address, oldest first.
    pub registrations: Vec<Registration>,
    /// The account's membership applications and their decisions, oldest first.
    pub membership_applications: Vec<MembershipApplication>,
    /// Notifications addressed to this address or about its registrations.
    pub notifications: Vec<Notification>,
    /// Audit entries by the account, or about it, its registrations or applications.
    pub audit_entries: Vec<AuditEntry>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The person's email address, in any letter case.
    #[schema(max_length = 254, format = Email, example = "ada@camden.gov.uk")]
    pub email: String,
}

fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|m| ApiError::invalid("email", m))
}

/// Export a person's data
///
/// A subject access export: the account (never its password hash), registrations with
/// their events, membership applications and decisions, notifications as stored and
/// audit entries about the person, found by email in any letter case. An address
/// nothing is held about answers 200 with `account: null` and empty lists, which is
/// itself the answer to the request. Bulletin contacts and event speakers are
/// published content and are not searched. Sent with `Cache-Control: no-store`.
#[utoipa::path(
    operation_id = "export_personal_data",
    tag = "admin",
    params(PersonalDataQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PersonalDataExport, headers(("Cache-Control" = String, description = "`no-store`: personal data is never cached"))),
        (status = 400, description = "`email` is missing", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`email` is not an email address", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/personal-data")]
pub async fn export_personal_data(
    _admin: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Read once the token is accepted: without one, the query is not judged (401 or
    // 403 alike, whatever it holds).
    let query: PersonalDataQuery = crate::http::extract::query(&req)?;
    let email = parse_email(&query.email)?;
    let email_lower = email.lower().to_string();
    let export = state
        .run(move |conn| {
            let held = personal_data::gather(conn, &email_lower)?;
            let account = held
                .account
                .map(|row| Account::load(conn, row))
                .transpose()?;
            Ok(PersonalDataExport {
                email: email_lower,
                exported_at: shown_utc(now()),
                account,
                registrations: held
                    .registrations
                    .into_iter()
                    .map(|(row, position, event)| Registration::new(row, position, &event))
                    .collect(),
                membership_applications: held
                    .applications
                    .into_iter()
                    .map(MembershipApplication::from)
                    .collect(),
                notifications: held
                    .notifications
                    .into_iter()
                    .map(Notification::from)
                    .collect(),
                audit_entries: held
                    .audit_entries
                    .into_iter()
                    .map(AuditEntry::from)
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(export))
}

/// Erase a person's data
///
/// Anonymises everything held about an email address (any letter case): names,
/// addresses, organisations, job titles, accessibility needs and statements become
/// placeholders; notifications addressed to the person are deleted; the account is
/// disabled, its refresh tokens revoked and its sign-in made impossible, under the same
/// id. Registrations and applications stay, so seats, waiting lists and statistics are
/// unchanged (a pending application stays pending for an admin to decide). The audit
/// log records that an erasure happened, by whom and the counts, never the data. An
/// address nothing is held about (or already erased) answers 200 with zero counts, so
/// a retried request succeeds. Bulletin contacts and event speakers are published
/// content and are left to their editors.
#[utoipa::path(
    operation_id = "erase_personal_data",
    tag = "admin",
    request_body = ErasureRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ErasureReport),
        (status = 409, description = "`last-admin`: the address is the last active admin's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`email` is not an email address, or the body has unknown fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/personal-data/erase")]
pub async fn erase_personal_data(
    admin: Admin,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let request: ErasureRequest = body.parse()?;
    let email = parse_email(&request.email)?;
    let report = state
        .run(move |conn| service::personal_data::erase(conn, &admin.0, &email))
        .await?;
    if state.pool.is_postgres() {
        let pool = state.pool.clone();
        actix_web::rt::spawn(async move {
            let vacuumed =
                crate::db::run_in_background(&pool, service::personal_data::vacuum_after_erasure)
                    .await;
            if let Err(e) = vacuumed {
                log::warn!("VACUUM after an erasure failed: {e}");
            }
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(report))
}
