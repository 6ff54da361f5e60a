//! Accounts: creating one (sign-up, the `create-admin` command, the demo), proving its
//! email by a mailed link, and an admin's change of an account's role or status, which
//! never leaves the service without an active admin.

use chrono::{Duration, NaiveDateTime};
use uuid::Uuid;

use crate::auth::passwords;
use crate::auth::tokens::hash_secret;
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::AccountId;
use crate::domain::time::now;
use crate::domain::{Borough, Email, Password, Role};
use crate::error::ApiError;
use crate::notify::{
    Links, RESET_PASSWORD_PAGE, VERIFY_EMAIL_PAGE, queued_account_link, templates,
};
use crate::repo::account_tokens::{self, Purpose};
use crate::repo::accounts::{self, AccountRow};
use crate::repo::{audit, membership, notifications, refresh_tokens};

/// How long a sign-up's verification link works.
pub const VERIFY_EMAIL_HOURS: i64 = 24;
/// How long a password-reset link works.
pub const RESET_PASSWORD_MINUTES: i64 = 60;

/// A new account with a verified-valid email, password, name and borough.
pub struct NewAccountInput {
    pub email: Email,
    pub password: Password,
    pub full_name: String,
    pub organisation: String,
    pub borough: Option<Borough>,
}

/// The row a new account is stored as (blocking: the password is hashed).
fn new_row(
    input: &NewAccountInput,
    role: Role,
    verified: bool,
    created: NaiveDateTime,
) -> Result<AccountRow, ApiError> {
    Ok(AccountRow {
        id: AccountId::from(Uuid::new_v4()),
        email: input.email.as_str().to_string(),
        email_lower: input.email.lower().to_string(),
        password_hash: passwords::hash(input.password.expose())?,
        full_name: input.full_name.clone(),
        organisation: input.organisation.clone(),
        borough: input.borough.map(|b| b.name().to_string()),
        role,
        disabled: false,
        created_at: created,
        updated_at: created,
        member_since: None,
        email_verified_at: verified.then_some(created),
    })
}

/// An account made by an operator (the `create-admin` command, the demo): its email
/// counts as verified. Blocking: call inside `db::run`. A taken email is 409
/// `email-taken`.
pub fn create_account(
    conn: &mut DbConnection,
    input: &NewAccountInput,
    role: Role,
) -> Result<AccountRow, ApiError> {
    let row = new_row(input, role, true, now())?;
    accounts::insert(conn, &row)?;
    accounts::find(conn, &row.id)?.ok_or_else(|| ApiError::internal("created account vanished"))
}

/// Sign-up, which tells nobody whether the address already has an account: a new
/// address gets an unverified member account and a verification link; an address that
/// has an account gets a message saying so (with a reset link), and nothing is stored.
/// Either way the answer is the row as it was or would have been stored, and the
/// password is hashed, so neither the body nor the time differs. Blocking.
pub fn sign_up(
    conn: &mut DbConnection,
    links: &Links,
    input: &NewAccountInput,
) -> Result<AccountRow, ApiError> {
    let at = now();
    let row = new_row(input, Role::Member, false, at)?;
    let outcome = write_transaction(conn, |conn| {
        match accounts::find_by_email(conn, &row.email_lower)? {
            Some(existing) => mail_account_exists(conn, links, &existing, at),
            None => {
                accounts::insert(conn, &row)?;
                let lifetime = Duration::hours(VERIFY_EMAIL_HOURS);
                let token_id = issue_link(conn, links, &row, Purpose::VerifyEmail, lifetime, at)?;
                let link = queued_account_link(&links.base_url, VERIFY_EMAIL_PAGE);
                let message = templates::verify_email(&row, &link, VERIFY_EMAIL_HOURS);
                notifications::queue_with_account_link(conn, &row.email, &message, &token_id, at)
            }
        }
    });
    match outcome {
        // Another sign-up for the address committed in between: the same answer.
        Ok(())
        | Err(ApiError::Conflict {
            kind: "email-taken",
            ..
        }) => Ok(row),
        Err(e) => Err(e),
    }
}

fn mail_account_exists(
    conn: &mut DbConnection,
    links: &Links,
    account: &AccountRow,
    at: NaiveDateTime,
) -> Result<(), ApiError> {
    if account.disabled {
        let message = templates::account_exists(account, None);
        return notifications::queue(conn, &account.email, &message, None, at);
    }
    let lifetime = Duration::minutes(RESET_PASSWORD_MINUTES);
    let token_id = issue_link(conn, links, account, Purpose::ResetPassword, lifetime, at)?;
    let link = queued_account_link(&links.base_url, RESET_PASSWORD_PAGE);
    let message = templates::account_exists(account, Some((&link, RESET_PASSWORD_MINUTES)));
    notifications::queue_with_account_link(conn, &account.email, &message, &token_id, at)
}

/// Stores a new single-use link for the account; its id, from which the sender derives
/// the token it mails (`AccountTokens`). Only the token's hash is stored.
fn issue_link(
    conn: &mut DbConnection,
    links: &Links,
    account: &AccountRow,
    purpose: Purpose,
    lifetime: Duration,
    at: NaiveDateTime,
) -> Result<String, ApiError> {
    let id = Uuid::new_v4().to_string();
    let token_hash = hash_secret(&links.account_tokens.token_for(&id));
    account_tokens::insert(
        conn,
        &id,
        &account.id,
        purpose,
        &token_hash,
        at,
        at + lifetime,
    )?;
    Ok(id)
}

/// A well-formed token that names no usable link: 404, since the link it stood for is
/// not there (any more); the body was valid, so not a 422.
fn invalid_link() -> ApiError {
    ApiError::NotFound("This link is unknown, already used or expired: ask for a new one.".into())
}

/// Follows a verification link: the account's email is verified. The token works once.
pub fn verify_email(conn: &mut DbConnection, token: &str) -> Result<(), ApiError> {
    let at = now();
    let token_hash = hash_secret(token);
    write_transaction(conn, |conn| {
        let account_id = account_tokens::consume(conn, &token_hash, Purpose::VerifyEmail, at)?
            .ok_or_else(invalid_link)?;
        accounts::mark_email_verified(conn, &account_id, at)
    })
}

/// Asks for a password-reset link for the address. An enabled account gets one (1 h,
/// single use); an unknown or disabled address gets nothing, and the caller answers
/// alike.
pub fn request_password_reset(
    conn: &mut DbConnection,
    links: &Links,
    email: &Email,
) -> Result<(), ApiError> {
    let at = now();
    write_transaction(conn, |conn| {
        let Some(account) = accounts::find_by_email(conn, email.lower())? else {
            return Ok(());
        };
        if account.disabled {
            return Ok(());
        }
        let lifetime = Duration::minutes(RESET_PASSWORD_MINUTES);
        let token_id = issue_link(conn, links, &account, Purpose::ResetPassword, lifetime, at)?;
        let link = queued_account_link(&links.base_url, RESET_PASSWORD_PAGE);
        let message = templates::password_reset(&account, &link, RESET_PASSWORD_MINUTES);
        notifications::queue_with_account_link(conn, &account.email, &message, &token_id, at)
    })
}

/// Follows a password-reset link with the new password (the sign-up rules, the email
/// rule against the account's own address): the password is set, the email counts as
/// verified (the mail reached its owner), every reset link of the account is used up
/// and every session ends. Blocking: the password is hashed.
pub fn reset_password(
    conn: &mut DbConnection,
    token: &str,
    new_password: &str,
) -> Result<(), ApiError> {
    let at = now();
    let token_hash = hash_secret(token);
    let account = account_tokens::account_of(conn, &token_hash, Purpose::ResetPassword, at)?
        .map(|id| accounts::find(conn, &id))
        .transpose()?
        .flatten()
        .filter(|account| !account.disabled)
        .ok_or_else(invalid_link)?;
    let email = Email::parse(&account.email).ok();
    let password = Password::parse(new_password, email.as_ref()).map_err(|reasons| {
        ApiError::Validation(
            reasons
                .into_iter()
                .map(|m| crate::error::FieldError::new("password", m))
                .collect(),
        )
    })?;
    // Hashed before the transaction, which would otherwise hold the write lock for it.
    let password_hash = passwords::hash(password.expose())?;
    write_transaction(conn, |conn| {
        let used = account_tokens::consume(conn, &token_hash, Purpose::ResetPassword, at)?;
        if used.as_deref() != Some(account.id.as_str()) {
            return Err(invalid_link());
        }
        accounts::set_password(conn, &account.id, &password_hash, at)?;
        accounts::mark_email_verified(conn, &account.id, at)?;
        account_tokens::spend_all(conn, &account.id, Purpose::ResetPassword, at)?;
        refresh_tokens::revoke_all_for_account(conn, &account.id, at)
    })
}

/// The active admins' ids, locked until the transaction ends (on PostgreSQL; SQLite's
/// immediate transaction excludes other writers), so that two concurrent changes cannot
/// each see another admin left.
pub struct ActiveAdmins(Vec<String>);

impl ActiveAdmins {
    /// Take it before reading the account the change is about.
    pub fn lock(conn: &mut DbConnection) -> Result<Self, ApiError> {
        accounts::lock_active_admins(conn).map(Self)
    }

    /// 409 `last-admin` when `account` is an active admin and no other is left, for a
    /// change that takes its admin standing away.
    pub fn refuse_losing(&self, account: &AccountRow) -> Result<(), ApiError> {
        let active_admin = account.is_admin() && !account.disabled;
        if active_admin && self.0.iter().all(|id| id.as_str() == account.id.as_str()) {
            return Err(ApiError::conflict(
                "last-admin",
                "This is the last active admin: promote another account first.",
            ));
        }
        Ok(())
    }
}

/// An admin changes an account's role, or disables or enables it (`None` keeps what it
/// is). An account that is disabled or stops being an admin loses its refresh tokens.
/// Returns the account and its membership status.
pub fn change_role_or_status(
    conn: &mut DbConnection,
    actor: &AccountRow,
    id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<(AccountRow, &'static str), ApiError> {
    write_transaction(conn, |conn| {
        let active_admins = ActiveAdmins::lock(conn)?;
        let current = accounts::find(conn, id)?
            .ok_or_else(|| ApiError::NotFound("No account has this id.".into()))?;
        let role = role.unwrap_or(current.role);
        let disabled = disabled.unwrap_or(current.disabled);
        if role != Role::Admin || disabled {
            active_admins.refuse_losing(&current)?;
        }
        let at = now();
        accounts::set_role_and_disabled(conn, id, role, disabled, at)?;
        if disabled || (current.is_admin() && role != Role::Admin) {
            refresh_tokens::revoke_all_for_account(conn, id, at)?;
        }
        let summary = serde_json::json!({
            "role": {"from": current.role, "to": role},
            "disabled": {"from": current.disabled, "to": disabled},
        });
        audit::record(conn, actor, "account.update", ("account", id), summary, at)?;
        let row =
            accounts::find(conn, id)?.ok_or_else(|| ApiError::internal("account vanished"))?;
        let membership_status = membership::status_of(conn, &row)?;
        Ok((row, membership_status))
    })
}
