//! Sign-in, token refresh and sign-out.

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::devices::{DEVICE_COOKIE, DEVICE_DAYS, Device};
use crate::auth::jwt::ACCESS_TOKEN_SECONDS;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, client_ip};
use crate::http::problem::Problem;
use crate::repo::refresh_tokens::Rotation;
use crate::service::sessions::{self, SignIn};
use crate::service::throttle::SignInAttempt;
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
    /// The `device_token` of an earlier sign-in from this client (browsers send the
    /// `llcp_device` cookie instead): other people's failed attempts then never slow or
    /// refuse this one.
    #[serde(default)]
    #[validate(length(max = 512))]
    #[schema(max_length = 512)]
    pub device_token: Option<String>,
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
    /// Only from a sign-in: marks this client as a known device of the account (valid
    /// 180 days). Send it with later sign-ins; browsers also get it as a cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

fn token_response(
    state: &AppState,
    account_id: &str,
    session_id: &str,
    refresh_token: String,
    device_token: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let mut response = HttpResponse::Ok();
    response.insert_header(("Cache-Control", "no-store"));
    if let Some(token) = &device_token {
        response.cookie(device_cookie(state, token.clone()));
    }
    Ok(response.json(TokenPair {
        access_token: state.jwt.issue(account_id, session_id)?,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TOKEN_SECONDS,
        refresh_token,
        device_token,
    }))
}

/// Sent back only to the sign-in path, never readable by scripts.
fn device_cookie(state: &AppState, token: String) -> Cookie<'static> {
    Cookie::build(DEVICE_COOKIE, token)
        .path("/api/v1/auth/token")
        .http_only(true)
        .secure(state.url("").starts_with("https://"))
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::days(DEVICE_DAYS))
        .finish()
}

/// The device token of the body, or else of the cookie, if it is ours and current.
fn presented_device(
    req: &HttpRequest,
    state: &AppState,
    from_body: Option<String>,
) -> Option<Device> {
    let token = from_body.or_else(|| req.cookie(DEVICE_COOKIE).map(|c| c.value().to_string()))?;
    state.devices.verify(&token, now())
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized("The email or password is wrong.".into())
}

/// Sign in
///
/// Signs in with email and password. Unknown email and wrong password answer alike.
/// Repeated failures are refused per account and client address and per address; an
/// account's failures from anywhere slow sign-ins from devices it has not used (up to
/// a few seconds), never those that present the `device_token` of an earlier sign-in.
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
    let LoginRequest {
        email,
        password,
        device_token,
    } = body.parse_valid()?;
    let email = email.trim().to_lowercase();
    let attempt = SignInAttempt::new(&email, client_ip(&req, &state.trusted_proxies));
    let device = presented_device(&req, &state, device_token);
    let limits = state.login_throttle;
    let answer = state
        .run(move |conn| sessions::sign_in(conn, &limits, &email, &password, attempt, device))
        .await?;
    // Waiting here holds no connection; the account's failures decided how long.
    if !answer.delay.is_zero() {
        actix_web::rt::time::sleep(answer.delay).await;
    }
    match answer.outcome {
        SignIn::Success {
            account_id,
            session_id,
            refresh_token,
        } => {
            let device_token = state.devices.issue(&account_id, now());
            token_response(
                &state,
                &account_id,
                &session_id,
                refresh_token,
                Some(device_token),
            )
        }
        SignIn::Failed => Err(bad_credentials()),
        SignIn::Disabled => Err(ApiError::forbidden(
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
    let rotation = state
        .run(move |conn| sessions::refresh(conn, &secret))
        .await?;
    match rotation {
        Rotation::Rotated {
            account_id,
            session_id,
            secret,
        } => token_response(&state, &account_id, &session_id, secret, None),
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
/// Signs out: the refresh token, its descendants and the access tokens of the session
/// stop working.
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
    state
        .run(move |conn| sessions::sign_out(conn, &secret))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
