//! Registering for an event, and managing a registration with its manage token.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::db::DbConnection;
pub use crate::domain::registration::RegistrationStatus;
use crate::domain::time::{Rfc3339, now, shown_in};
use crate::domain::{Borough, Email};
use crate::error::{ApiError, FieldError};
use crate::http::extract::{JsonBody, Path, client_ip};
use crate::http::problem::Problem;
use crate::notify::Links;
use crate::repo::events::EventRow;
use crate::repo::registrations::{Registrant, RegistrationRow};
use crate::service::registrations::{self, Idempotency, Policy, Registered, Submission};
use crate::state::AppState;

pub const MANAGE_TOKEN_HEADER: &str = "x-manage-token";
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// A registration for an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct Registration {
    pub id: Uuid,
    pub event_id: i64,
    pub event_slug: String,
    pub event_title: String,
    pub status: RegistrationStatus,
    /// Place on the waiting list (1 is next), while `waitlisted`.
    pub waitlist_position: Option<i64>,
    /// While `pending_confirmation`: the link emailed to the registrant must be
    /// followed before this time, or the registration lapses (`cancelled`) and its
    /// place goes to someone else.
    pub confirm_by: Option<Rfc3339>,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub borough: Option<String>,
    pub job_title: Option<String>,
    pub accessibility_needs: Option<String>,
    /// Marked by an admin at the event.
    pub attended: bool,
    pub created_at: Rfc3339,
    pub updated_at: Rfc3339,
}

impl Registration {
    pub fn new(row: RegistrationRow, position: Option<i64>, event: &EventRow) -> Self {
        let tz = &event.timezone;
        Self {
            id: row.id.uuid(),
            event_id: event.id.get(),
            event_slug: event.slug.clone(),
            event_title: event.title.clone(),
            status: row.status,
            waitlist_position: position,
            confirm_by: row
                .confirm_by
                .filter(|_| row.status == RegistrationStatus::PendingConfirmation)
                .map(|t| shown_in(t, tz)),
            created_at: shown_in(row.created_at, tz),
            updated_at: shown_in(row.updated_at, tz),
            full_name: row.full_name,
            email: row.email,
            organisation: row.organisation,
            borough: row.borough,
            job_title: row.job_title,
            accessibility_needs: row.accessibility_needs,
            attended: row.attended,
        }
    }
}

/// The registration as created, with the token that manages it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationCreated {
    #[serde(flatten)]
    pub registration: Registration,
    /// Shown only here (and in the confirmation email's link): send it as
    /// `X-Manage-Token` to read or cancel this registration.
    pub manage_token: String,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Ada Lovelace")]
    pub full_name: String,
    #[schema(max_length = 254, format = Email, example = "ada@camden.gov.uk")]
    pub email: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "London Borough of Camden")]
    pub organisation: String,
    /// One of `GET /api/v1/boroughs`, any letter case.
    #[schema(value_type = Option<crate::domain::borough::BoroughName>)]
    pub borough: Option<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub job_title: Option<String>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub accessibility_needs: Option<String>,
    /// Must be `true`: consent to store these details to run the event. (A plain
    /// boolean in the contract: generators turn a one-value boolean enum into a string.)
    pub consent: bool,
}

fn optional_text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl RegistrationRequest {
    fn parse(&self) -> Result<Registrant, ApiError> {
        let mut errors = crate::http::validation::errors_of(self);
        let mut require = |field: &str, value: &str| {
            if value.trim().is_empty() && !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError::new(field, "must be 1 to 200 characters"));
            }
        };
        require("full_name", &self.full_name);
        require("organisation", &self.organisation);
        let email = Email::parse(&self.email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let borough = match self.borough.as_deref() {
            Some(raw) => Borough::parse(raw)
                .map_err(|m| errors.push(FieldError::new("borough", m)))
                .ok(),
            None => None,
        };
        if !self.consent {
            errors.push(FieldError::new(
                "consent",
                "must be true: we need your consent to keep these details for the event",
            ));
        }
        match email {
            Some(email) if errors.is_empty() => Ok(Registrant {
                full_name: self.full_name.trim().to_string(),
                email,
                organisation: self.organisation.trim().to_string(),
                borough,
                job_title: optional_text(&self.job_title),
                accessibility_needs: optional_text(&self.accessibility_needs),
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }

    /// What an `Idempotency-Key` is bound to.
    fn fingerprint(&self) -> String {
        hex::encode(Sha256::digest(serde_json::to_vec(self).unwrap_or_default()))
    }
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > 200 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 200 visible ASCII characters.".into(),
        ));
    }
    Ok(Some(key.to_string()))
}

/// Register for an event
///
/// Registers for a published event: `confirmed` while seats last, then `waitlisted`.
/// On an event with `registration.email_confirmation`, the registration is
/// `pending_confirmation` until the registrant follows the link emailed to them (see
/// `confirm_by`); it holds a seat meanwhile while one is free.
/// Retrying with the same `Idempotency-Key` and body returns the original 201.
#[utoipa::path(
    operation_id = "create_registration",
    tag = "registrations",
    params(
        ("id_or_slug" = String, Path, description = "The event's numeric id or its slug"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, pattern = "^[!-~]+$", description = "Makes a retried request return the original 201 (kept 24 hours, bound to the body): 1 to 200 visible ASCII characters"),
    ),
    request_body = RegistrationRequest,
    responses(
        (status = 201, description = "Registered; `Location` is the registration", body = RegistrationCreated),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published event", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`event-cancelled`, `event-past`, `registration-closed`, `registration-not-required`, `already-registered` or `idempotency-key-reused`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address (per hour, and per hour for this event); see `Retry-After`", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/events/{id_or_slug}/registrations")]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let request: RegistrationRequest = body.parse()?;
    let registrant = request.parse()?;
    let key = idempotency_key(&req)?;
    let fingerprint = request.fingerprint();
    let event_key = path.into_inner();
    let links = state.links.clone();
    let address = client_ip(&req, &state.trusted_proxies);
    let policy = Policy {
        limits: state.rate_limits,
        confirm_within: chrono::Duration::from_std(state.email_confirmation.hold)
            .unwrap_or(chrono::Duration::minutes(30)),
    };
    let registered = state
        .run(move |conn| {
            let submission = Submission {
                registrant: &registrant,
                idempotency: key.as_deref().map(|key| Idempotency {
                    key,
                    request_hash: &fingerprint,
                }),
                address,
            };
            registrations::register(conn, &links, &event_key, &submission, &policy, now())
        })
        .await?;
    let id = registered.registration.id.clone();
    let created = RegistrationCreated {
        manage_token: state.links.manage_tokens.token_for(&id),
        registration: Registration::new(
            registered.registration,
            registered.position,
            &registered.event,
        ),
    };
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/registrations/{id}")))
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// Runs `work` for the holder of a registration: with the id from the path and the
/// manage token they sent (empty when none, which no registration accepts).
async fn as_holder<T: Send + 'static>(
    req: &HttpRequest,
    state: &AppState,
    path: web::Path<Uuid>,
    work: impl FnOnce(&mut DbConnection, &Links, &str, &str) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let id = path.into_inner().to_string();
    let token = req
        .headers()
        .get(MANAGE_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let links = state.links.clone();
    state.run(move |conn| work(conn, &links, &id, &token)).await
}

/// Get a registration
///
/// A registration, for its holder.
#[utoipa::path(
    operation_id = "get_registration",
    tag = "registrations",
    params(
        ("id" = Uuid, Path, description = "The registration's id"),
        ("X-Manage-Token" = String, Header, description = "The token from the 201 response or the email link"),
    ),
    responses(
        (status = 200, body = Registration),
        (status = 404, description = "Unknown id, or a wrong or missing token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/registrations/{id}")]
pub async fn get_registration(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let registration = as_holder(&req, &state, path, |conn, links, id, token| {
        let (row, position, event) = registrations::for_holder(conn, links, id, token)?;
        Ok(Registration::new(row, position, &event))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(registration))
}

/// Cancel a registration
///
/// Cancels a registration; the first person on the waiting list takes the seat.
#[utoipa::path(
    operation_id = "cancel_registration",
    tag = "registrations",
    params(
        ("id" = Uuid, Path, description = "The registration's id"),
        ("X-Manage-Token" = String, Header, description = "The token from the 201 response or the email link"),
    ),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 404, description = "Unknown id, or a wrong or missing token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`registration-cancelled` (already) or `event-past`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/registrations/{id}")]
pub async fn cancel_registration(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    as_holder(&req, &state, path, |conn, links, id, token| {
        registrations::cancel_as_holder(conn, links, id, token, now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The token of a confirmation link.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmationRequest {
    /// The `token` of the link emailed to the registrant (not the manage token).
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// Confirm a registration's email
///
/// Follows the link emailed to a `pending_confirmation` registration: it becomes
/// `confirmed` (keeping its held seat, or taking one free now) or `waitlisted` at the
/// back of the list, and the registrant is emailed their manage link. Following the
/// link again answers the registration as it is.
#[utoipa::path(
    operation_id = "create_registration_confirmation",
    tag = "registrations",
    params(("id" = Uuid, Path, description = "The registration's id")),
    request_body = ConfirmationRequest,
    responses(
        (status = 200, description = "Confirmed or waitlisted (or already so)", body = Registration),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id, or a token that is not this registration's confirmation token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`confirmation-lapsed` (the time ran out and the place was released), `registration-cancelled`, `event-cancelled` or `event-past`", body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/registrations/{id}/confirm")]
pub async fn confirm_registration(
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let request: ConfirmationRequest = body.parse()?;
    let id = path.into_inner().to_string();
    let links = state.links.clone();
    let Registered {
        registration,
        position,
        event,
    } = state
        .run(move |conn| registrations::confirm(conn, &links, &id, &request.token, now()))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Registration::new(registration, position, &event)))
}
