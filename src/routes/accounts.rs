//! Sign-up and the signed-in account.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::SignedIn;
use crate::db;
use crate::domain::time::{Rfc3339, now, shown_utc};
use crate::domain::{Borough, Email, Password, Role};
use crate::error::{ApiError, FieldError};
use crate::http::extract::{JsonBody, client_ip};
use crate::http::problem::Problem;
use crate::repo::accounts::AccountRow;
use crate::service::accounts::{self, NewAccountInput};
use crate::service::throttle;
use crate::state::AppState;

/// Community of Practice membership, separate from the account's role.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    None,
    Pending,
    Member,
    Rejected,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub organisation: String,
    pub borough: Option<String>,
    pub role: Role,
    pub disabled: bool,
    /// Whether the account has proved its email by the mailed link; only a verified
    /// account may apply to join the Community of Practice.
    pub email_verified: bool,
    pub membership_status: MembershipStatus,
    pub created_at: Rfc3339,
}

impl Account {
    /// `membership_status` is one of `none`, `pending`, `member`, `rejected`.
    pub fn new(row: AccountRow, membership_status: &str) -> Self {
        Self {
            id: row.id.uuid(),
            role: row.role,
            email: row.email,
            full_name: row.full_name,
            organisation: row.organisation,
            borough: row.borough,
            disabled: row.disabled,
            email_verified: row.email_verified_at.is_some(),
            membership_status: match membership_status {
                "pending" => MembershipStatus::Pending,
                "member" => MembershipStatus::Member,
                "rejected" => MembershipStatus::Rejected,
                _ => MembershipStatus::None,
            },
            created_at: shown_utc(row.created_at),
        }
    }

    /// With its membership status read from the database.
    pub fn load(conn: &mut db::DbConnection, row: AccountRow) -> Result<Self, ApiError> {
        let status = crate::repo::membership::status_of(conn, &row)?;
        Ok(Self::new(row, status))
    }
}

/// Sign-up. The role is always `member`; sending `role` is rejected.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schema(max_length = 254, format = Email, example = "ada@camden.gov.uk")]
    pub email: String,
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub password: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Ada Lovelace")]
    pub full_name: String,
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "London Borough of Camden")]
    pub organisation: String,
    /// One of `GET /api/v1/boroughs`, any letter case.
    #[schema(value_type = Option<crate::domain::borough::BoroughName>)]
    pub borough: Option<String>,
}

impl SignupRequest {
    fn parse(self) -> Result<NewAccountInput, ApiError> {
        let mut errors = crate::http::validation::errors_of(&self);
        let email = Email::parse(&self.email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let password = match Password::parse(&self.password, email.as_ref()) {
            Ok(password) => Some(password),
            Err(reasons) => {
                errors.extend(reasons.into_iter().map(|m| FieldError::new("password", m)));
                None
            }
        };
        let borough = match self.borough.as_deref() {
            Some(raw) => Borough::parse(raw)
                .map_err(|m| errors.push(FieldError::new("borough", m)))
                .ok(),
            None => None,
        };
        let full_name = self.full_name.trim().to_string();
        if full_name.is_empty() && !errors.iter().any(|e| e.field == "full_name") {
            errors.push(FieldError::new("full_name", "must be 1 to 200 characters"));
        }
        let organisation = self.organisation.trim().to_string();
        if organisation.is_empty() && !errors.iter().any(|e| e.field == "organisation") {
            errors.push(FieldError::new(
                "organisation",
                "must be 1 to 200 characters",
            ));
        }
        match (email, password, errors.is_empty()) {
            (Some(email), Some(password), true) => Ok(NewAccountInput {
                email,
                password,
                full_name,
                organisation,
                borough,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

/// Sign up
///
/// Signs up a member account and mails a link that verifies its email (valid 24 hours,
/// once: `POST /api/v1/accounts/verify`). Until then the account can sign in but not
/// apply for membership.
///
/// The answer does not tell whether the address already has an account: it is the
/// same 201 with the same body (`email_verified` false) either way. When the address
/// is taken, nothing is stored, the body describes an account that does not exist, and
/// the owner is mailed instead, with a link to reset their password.
#[utoipa::path(
    operation_id = "create_account",
    tag = "accounts",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Accepted: a verification link or an \"already have an account\" message is mailed to the address", body = Account),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/accounts")]
pub async fn sign_up(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let input = body.parse::<SignupRequest>()?.parse()?;
    let address = client_ip(&req, &state.trusted_proxies);
    let limit = state.rate_limits.signups_per_address;
    let links = state.links.clone();
    let row = state
        .run(move |conn| {
            throttle::take_signup(conn, limit, address, now())?;
            accounts::sign_up(conn, &links, &input)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", "/api/v1/me"))
        .json(Account::new(row, "none")))
}

/// The token of a mailed link.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// From the link's fragment, `#token=…`.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

/// Verify an email address
///
/// Follows the link mailed at sign-up: the account's email is verified. The token
/// works once; an unknown, used or expired one is a 404.
#[utoipa::path(
    operation_id = "create_email_verification",
    tag = "accounts",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The email is verified"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The token is unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Malformed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/accounts/verify")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let token = body.parse_valid::<VerifyEmailRequest>()?.token;
    state
        .run(move |conn| accounts::verify_email(conn, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An address to send a password-reset link to.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(max_length = 254, format = Email, example = "ada@camden.gov.uk")]
    pub email: String,
}

/// Ask for a password reset
///
/// Mails a link to choose a new password (valid 1 hour, once:
/// `POST /api/v1/accounts/password-reset/confirm`) when the address has an enabled
/// account. The answer is the same 202 whether or not it has one.
#[utoipa::path(
    operation_id = "create_password_reset",
    tag = "accounts",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted: a link is mailed if the address has an enabled account"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an email address", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups and reset requests from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/accounts/password-reset")]
pub async fn request_password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let raw = body.parse_valid::<PasswordResetRequest>()?.email;
    let email = Email::parse(&raw).map_err(|m| ApiError::invalid("email", m))?;
    // Both mail an address someone typed: they share one budget per client address.
    let address = client_ip(&req, &state.trusted_proxies);
    let limit = state.rate_limits.signups_per_address;
    let links = state.links.clone();
    state
        .run(move |conn| {
            throttle::take_signup(conn, limit, address, now())?;
            accounts::request_password_reset(conn, &links, &email)
        })
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

/// A mailed reset link's token and the new password.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirmation {
    /// From the link's fragment, `#token=…`.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    /// The sign-up rules apply.
    #[schema(min_length = 12, max_length = 128, format = Password)]
    pub password: String,
}

/// Reset a password
///
/// Follows a password-reset link: sets the new password (the sign-up rules apply),
/// counts the email as verified, and ends every session of the account, access tokens
/// included. The token works once; an unknown, used or expired one is a 404.
#[utoipa::path(
    operation_id = "update_password",
    tag = "accounts",
    request_body = PasswordResetConfirmation,
    responses(
        (status = 204, description = "The password is changed; sign in again"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The token is unknown, used or expired", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password breaks a rule", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/accounts/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let PasswordResetConfirmation { token, password } = body.parse_valid()?;
    state
        .run(move |conn| accounts::reset_password(conn, &token, &password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get the signed-in account
///
/// The signed-in account.
#[utoipa::path(
    operation_id = "get_current_account",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Account),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(signed_in: SignedIn, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let row = signed_in.0;
    let account = state.run(move |conn| Account::load(conn, row)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(account))
}
