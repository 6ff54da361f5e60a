//! Account administration: roles and disabling.

use actix_web::{HttpRequest, HttpResponse, get, patch, web};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Admin;
use crate::domain::Role;
use crate::error::ApiError;
use crate::http::extract::{JsonBody, Query};
use crate::http::pagination::{PageParams, list_response};
use crate::http::problem::Problem;
use crate::list_envelope;
use crate::repo::accounts::{self, AccountFilter};
use crate::routes::accounts::Account;
use crate::service;
use crate::state::AppState;

list_envelope!(AccountList, Account);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountQuery {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// Part of an email address.
    #[param(max_length = 254)]
    pub email: Option<String>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    pub role: Option<Role>,
    /// A disabled account cannot sign in, and its tokens stop working at once.
    pub disabled: Option<bool>,
}

/// List accounts
///
/// Accounts, oldest first.
#[utoipa::path(
    operation_id = "list_accounts",
    tag = "admin",
    params(AccountQuery, PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AccountList),
        (status = 400, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/accounts")]
pub async fn admin_list_accounts(
    req: HttpRequest,
    _admin: Admin,
    state: web::Data<AppState>,
    query: Query<AccountQuery>,
    paging: Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let page = paging.page()?;
    if query
        .email
        .as_ref()
        .is_some_and(|e| e.chars().count() > 254)
    {
        return Err(ApiError::BadRequest(
            "Query parameter `email` must be at most 254 characters.".into(),
        ));
    }
    let filter = AccountFilter {
        role: query.role,
        disabled: query.disabled,
        email_contains: query.email.filter(|e| !e.trim().is_empty()),
    };
    let (items, total) = state
        .run(move |conn| {
            let (rows, total) = accounts::list(conn, &filter, page)?;
            let items = rows
                .into_iter()
                .map(|row| Account::load(conn, row))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((items, total))
        })
        .await?;
    let body = AccountList::new(items, total, page);
    Ok(list_response(&req, &body))
}

/// Change an account's role or status
///
/// Changes an account's role or disables it; its refresh tokens are revoked and its
/// access tokens stop working at the next request. The last active admin cannot be
/// demoted or disabled.
#[utoipa::path(
    operation_id = "update_account",
    tag = "admin",
    params(("id" = uuid::Uuid, Path, description = "The account's id")),
    request_body = AccountPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Account),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`last-admin`: the change would leave no active admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/admin/accounts/{id}")]
pub async fn admin_update_account(
    admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<uuid::Uuid>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner().to_string();
    let patch: AccountPatch = body.parse_valid()?;
    let (row, membership_status) = state
        .run(move |conn| {
            service::accounts::change_role_or_status(
                conn,
                &admin.0,
                &id,
                patch.role,
                patch.disabled,
            )
        })
        .await?;
    let account = Account::new(row, membership_status);
    Ok(HttpResponse::Ok().json(account))
}
