//! Sessions: signing in with a password (throttled, and audited for admins), exchanging
//! a refresh token, signing out.

use std::time::Duration;

use crate::auth::devices::Device;
use crate::auth::passwords;
use crate::config::LoginThrottle;
use crate::db::DbConnection;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::repo::refresh_tokens::{self, Rotation};
use crate::repo::{accounts, audit};
use crate::service::throttle::SignInAttempt;

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

/// A sign-in's outcome and how long its answer must wait first (see
/// `SignInAttempt::admit`): the wait applies to every outcome, so it tells nothing.
pub struct Answer {
    pub outcome: SignIn,
    pub delay: Duration,
}

/// Checks the password of `email_lower` (blocking: call inside `db::run`). 429 while
/// the client's own failures are too many; a failure counts against the client and the
/// account, a success clears the client's count. An admin's sign-in is audited.
pub fn sign_in(
    conn: &mut DbConnection,
    limits: &LoginThrottle,
    email_lower: &str,
    password: &str,
    attempt: SignInAttempt,
    device: Option<Device>,
) -> Result<Answer, ApiError> {
    let at = now();
    let account = accounts::find_by_email(conn, email_lower)?;
    let attempt = attempt.from_device(device, account.as_ref().map(|a| a.id.as_str()));
    let delay = attempt.admit(conn, limits, at)?;
    // Verify against a dummy hash when the email is unknown, so timing tells nothing.
    let stored = account
        .as_ref()
        .map_or(passwords::dummy_hash(), |a| a.password_hash.as_str());
    let matches = passwords::verify(password, stored)?;
    let outcome = match account {
        Some(account) if matches => {
            attempt.record_success(conn, limits)?;
            if account.disabled {
                SignIn::Disabled
            } else {
                let session_id = uuid::Uuid::new_v4().to_string();
                let refresh_token =
                    refresh_tokens::issue(conn, &account.id, Some(&session_id), at)?;
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
                SignIn::Success {
                    account_id: account.id.to_string(),
                    session_id,
                    refresh_token,
                }
            }
        }
        _ => {
            attempt.record_failure(conn, limits, at)?;
            SignIn::Failed
        }
    };
    Ok(Answer { outcome, delay })
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
