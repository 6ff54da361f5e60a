//! Sessions: signing in with a password (throttled, and audited for admins), exchanging
//! a refresh token, signing out.

use crate::auth::passwords;
use crate::auth::throttle::{self, Subjects};
use crate::config::LoginThrottle;
use crate::db::DbConnection;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::repo::refresh_tokens::{self, Rotation};
use crate::repo::{accounts, audit};

pub enum SignIn {
    /// The account, its new session (the refresh-token family) and its refresh token.
    Success {
        account_id: String,
        session_id: String,
        refresh_token: String,
    },
    /// Unknown email or wrong password, alike.
    Failed,
    /// The right password for a disabled account.
    Disabled,
}

/// Checks the password of `email_lower` (blocking: call inside `db::run`). 429 while the
/// throttle holds for `subjects`; a failure counts against them, a success clears the
/// account's count. An admin's sign-in is audited.
pub fn sign_in(
    conn: &mut DbConnection,
    limits: &LoginThrottle,
    email_lower: &str,
    password: &str,
    subjects: &Subjects,
) -> Result<SignIn, ApiError> {
    let at = now();
    throttle::check(conn, limits, subjects, at)?;
    let account = accounts::find_by_email(conn, email_lower)?;
    // Verify against a dummy hash when the email is unknown, so timing tells nothing.
    let stored = account
        .as_ref()
        .map_or(passwords::dummy_hash(), |a| a.password_hash.as_str());
    let matches = passwords::verify(password, stored)?;
    match account {
        Some(account) if matches => {
            throttle::clear_account(conn, subjects)?;
            if account.disabled {
                return Ok(SignIn::Disabled);
            }
            let session_id = uuid::Uuid::new_v4().to_string();
            let refresh_token = refresh_tokens::issue(conn, &account.id, Some(&session_id), at)?;
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
            Ok(SignIn::Success {
                account_id: account.id.to_string(),
                session_id,
                refresh_token,
            })
        }
        _ => {
            throttle::record_failure(conn, limits, subjects, at)?;
            Ok(SignIn::Failed)
        }
    }
}

/// Exchanges a refresh token for the next one of its session. A disabled account's
/// sessions all end instead, and its token answers as invalid.
pub fn refresh(conn: &mut DbConnection, secret: &str) -> Result<Rotation, ApiError> {
    let at = now();
    let rotation = refresh_tokens::rotate(conn, secret, at)?;
    if let Rotation::Rotated { account_id, .. } = &rotation {
        let enabled = accounts::find(conn, account_id)?.is_some_and(|a| !a.disabled);
        if !enabled {
            refresh_tokens::revoke_all_for_account(conn, account_id, at)?;
            return Ok(Rotation::Invalid);
        }
    }
    Ok(rotation)
}

/// Ends the session of a refresh token and of every token it was exchanged for; an
/// unknown token is ignored.
pub fn sign_out(conn: &mut DbConnection, secret: &str) -> Result<(), ApiError> {
    refresh_tokens::revoke(conn, secret, now())
}
