//! The single-use links mailed to an account: verifying its email, resetting its
//! password. Stored by the hash of their token; used once, before they expire.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::account_tokens as at;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    fn name(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
        }
    }
}

pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    account_id: &str,
    purpose: Purpose,
    token_hash: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::insert_into(at::table)
        .values((
            at::id.eq(id),
            at::account_id.eq(account_id),
            at::purpose.eq(purpose.name()),
            at::token_hash.eq(token_hash),
            at::created_at.eq(now),
            at::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

fn usable(
    purpose: Purpose,
    now: NaiveDateTime,
) -> at::BoxedQuery<'static, crate::db::MultiBackend> {
    at::table
        .filter(at::purpose.eq(purpose.name()))
        .filter(at::used_at.is_null())
        .filter(at::expires_at.gt(now))
        .into_boxed()
}

/// The account of an unused, unexpired token of the purpose, without using it.
pub fn account_of(
    conn: &mut DbConnection,
    token_hash: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<Option<String>, ApiError> {
    Ok(usable(purpose, now)
        .filter(at::token_hash.eq(token_hash.to_string()))
        .select(at::account_id)
        .first(conn)
        .optional()?)
}

/// Uses the token: its account, or `None` when it is unknown, used or expired. The
/// update is conditional on the token being unused, so of two concurrent uses one wins.
pub fn consume(
    conn: &mut DbConnection,
    token_hash: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<Option<String>, ApiError> {
    let Some(account_id) = account_of(conn, token_hash, purpose, now)? else {
        return Ok(None);
    };
    let won = diesel::update(
        at::table
            .filter(at::token_hash.eq(token_hash))
            .filter(at::used_at.is_null()),
    )
    .set(at::used_at.eq(now))
    .execute(conn)?;
    Ok((won == 1).then_some(account_id))
}

/// Uses up every outstanding token of the purpose for the account.
pub fn spend_all(
    conn: &mut DbConnection,
    account_id: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        at::table
            .filter(at::account_id.eq(account_id))
            .filter(at::purpose.eq(purpose.name()))
            .filter(at::used_at.is_null()),
    )
    .set(at::used_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Deletes the tokens that expired before `cutoff`, used or not: they can no longer do
/// anything. How many.
pub fn delete_expired_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> Result<usize, ApiError> {
    Ok(diesel::delete(at::table.filter(at::expires_at.lt(cutoff))).execute(conn)?)
}
