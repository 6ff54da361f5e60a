//! Sign-in, token refresh and sign-out.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::jwt::ACCESS_TOKEN_SECONDS;
use crate::auth::passwords;
use crate::auth::throttle::{self, Subjects};
use crate::db::{self, DbConnection};
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, client_ip};
use crate::http::problem::Problem;
use crate::repo::refresh_tokens::Rotation;
use crate::repo::{accounts, audit, refresh_tokens};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(length(max = 254))]
    #[schema(max_length = 254, example = "ada@camden.gov.uk")]
    pub email: String,
    #[validate(length(max = 1024))]
    #[schema(max_length = 1024, format = Password)]
    pub password: String,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT for `Authorization: Bearer`, valid for `expires_in` seconds.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Opaque; exchange it once at `/auth/refresh` for a new pair.
    pub refresh_token: String,
}

fn token_response(
    state: &AppState,
    account_id: &str,
    refresh_token: String,
) -> Result<HttpResponse, ApiError> {
    let pair = TokenPair {
        access_token: state.jwt.issue(account_id)?,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_SECONDS,
        refresh_token,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(pair))
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized("The email or password is wrong.".into())
}

enum LoginOutcome {
    Success {
        account_id: String,
        refresh_token: String,
    },
    Failed,
    Disabled,
}

fn attempt_login(
    conn: &mut DbConnection,
    state: &AppState,
    email: &str,
    password: &str,
    subjects: &Subjects,
) -> Result<LoginOutcome, ApiError> {
    let at = now();
    throttle::check(conn, &state.login_throttle, subjects, at)?;
    let account = accounts::find_by_email(conn, email)?;
    // Verify against a dummy hash when the email is unknown, so timing tells nothing.
    let stored = account
        .as_ref()
        .map_or(passwords::dummy_hash(), |a| a.password_hash.as_str());
    let matches = passwords::verify(password, stored);
    match account {
        Some(account) if matches => {
            throttle::clear_account(conn, subjects)?;
            if account.disabled {
                return Ok(LoginOutcome::Disabled);
            }
            let refresh_token = refresh_tokens::issue(conn, &account.id, None, at)?;
            if account.is_admin() {
                audit::record(
                    conn,
                    &account,
                    "auth.admin_sign_in",
                    ("account", &account.id),
                    serde_json::json!({}),
                    at,
                )?;
            }
            Ok(LoginOutcome::Success {
                account_id: account.id,
                refresh_token,
            })
        }
        _ => {
            throttle::record_failure(conn, &state.login_throttle, subjects, at)?;
            Ok(LoginOutcome::Failed)
        }
    }
}

/// Sign in
///
/// Signs in with email and password. Unknown email and wrong password answer alike;
/// repeated failures are throttled per account and per client address.
#[utoipa::path(
    operation_id = "create_token",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`account-disabled`", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/token")]
pub async fn issue_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest { email, password } = body.parse_valid()?;
    let email = email.trim().to_lowercase();
    let subjects = Subjects::new(&email, client_ip(&req, &state.trusted_proxies));
    let shared = state.clone();
    let outcome = db::run(&state.pool, move |conn| {
        attempt_login(conn, &shared, &email, &password, &subjects)
    })
    .await?;
    match outcome {
        LoginOutcome::Success {
            account_id,
            refresh_token,
        } => token_response(&state, &account_id, refresh_token),
        LoginOutcome::Failed => Err(bad_credentials()),
        LoginOutcome::Disabled => Err(ApiError::forbidden(
            "account-disabled",
            "This account is disabled.",
        )),
    }
}

/// Refresh tokens
///
/// Exchanges a refresh token for a new pair. The old token stops working; presenting
/// it again ends every session that descends from the same sign-in.
#[utoipa::path(
    operation_id = "refresh_token",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "Unknown, expired, revoked or reused token", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(state: web::Data<AppState>, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let secret = body.parse_valid::<RefreshRequest>()?.refresh_token;
    let rotation = db::run(&state.pool, move |conn| {
        let at = now();
        let rotation = refresh_tokens::rotate(conn, &secret, at)?;
        if let Rotation::Rotated { account_id, .. } = &rotation {
            let enabled = accounts::find(conn, account_id)?.is_some_and(|a| !a.disabled);
            if !enabled {
                refresh_tokens::revoke_all_for_account(conn, account_id, at)?;
                return Ok(Rotation::Invalid);
            }
        }
        Ok(rotation)
    })
    .await?;
    match rotation {
        Rotation::Rotated { account_id, secret } => token_response(&state, &account_id, secret),
        Rotation::Invalid => Err(ApiError::Unauthorized(
            "The refresh token is not valid.".into(),
        )),
        Rotation::Reused => Err(ApiError::Unauthorized(
            "The refresh token was already used; sign in again.".into(),
        )),
    }
}

/// Sign out
///
/// Signs out: the refresh token and its descendants stop working.
#[utoipa::path(
    operation_id = "revoke_refresh_token",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out (also for an unknown token)"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, body: JsonBody) -> Result<HttpResponse, ApiError> {
    let secret = body.parse_valid::<RefreshRequest>()?.refresh_token;
    db::run(&state.pool, move |conn| {
        refresh_tokens::revoke(conn, &secret, now())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
