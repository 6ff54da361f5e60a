//! `SignedIn` and `Admin`: a valid bearer token of an enabled account whose session is
//! still open. The account is read on every request, with its session in the same
//! query, so disabling it, changing its role, signing out or resetting its password
//! takes effect at once.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;
use crate::repo::accounts::{self, AccountRow};
use crate::state::AppState;

pub struct SignedIn(pub AccountRow);

pub struct Admin(pub AccountRow);

pub(crate) fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("Send an access token as `Authorization: Bearer <token>`.".into())
    })?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("The Authorization header is malformed.".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_string())
        }
        _ => Err(ApiError::Unauthorized(
            "The Authorization header must use the Bearer scheme.".into(),
        )),
    }
}

async fn signed_in_account(req: HttpRequest) -> Result<AccountRow, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let token = bearer_token(&req)?;
    let claims = state.jwt.verify(&token)?;
    let account_id = claims.account_id.to_string();
    let account = state
        .run(move |conn| accounts::find_in_session(conn, &account_id, &claims.session_id))
        .await?;
    match account {
        Some(account) if !account.disabled => Ok(account),
        _ => Err(ApiError::Unauthorized(
            "The access token is no longer valid.".into(),
        )),
    }
}

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in_account(req).await.map(SignedIn) })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let account = signed_in_account(req).await?;
            if account.is_admin() {
                Ok(Admin(account))
            } else {
                Err(ApiError::forbidden(
                    "admin-only",
                    "This needs the admin role.",
                ))
            }
        })
    }
}
