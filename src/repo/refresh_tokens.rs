//! Refresh tokens: opaque, stored hashed, rotated on every use. Each login starts a
//! family; presenting a token that was already rotated means it leaked, so the whole
//! family is revoked.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::auth::tokens::{hash_secret, new_secret};
use crate::db::schema::refresh_tokens as rt;
use crate::db::{DbConnection, write_transaction};
use crate::error::ApiError;

pub const REFRESH_TOKEN_DAYS: i64 = 30;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = rt)]
struct TokenRow {
    id: String,
    account_id: String,
    family_id: String,
    expires_at: NaiveDateTime,
    rotated_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// Stores a new token of the family (a new family when `None`) and returns its secret.
pub fn issue(
    conn: &mut DbConnection,
    account_id: &str,
    family_id: Option<&str>,
    now: NaiveDateTime,
) -> Result<String, ApiError> {
    let secret = new_secret();
    let family = family_id.map_or_else(|| Uuid::new_v4().to_string(), str::to_string);
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(Uuid::new_v4().to_string()),
            rt::account_id.eq(account_id),
            rt::family_id.eq(family),
            rt::token_hash.eq(hash_secret(&secret)),
            rt::created_at.eq(now),
            rt::expires_at.eq(now + Duration::days(REFRESH_TOKEN_DAYS)),
        ))
        .execute(conn)?;
    Ok(secret)
}

pub enum Rotation {
    /// The account, its session (the family) and the new token's secret.
    Rotated {
        account_id: String,
        session_id: String,
        secret: String,
    },
    /// Unknown, expired or revoked.
    Invalid,
    /// A rotated token came back: the family is now revoked.
    Reused,
}

pub fn rotate(
    conn: &mut DbConnection,
    secret: &str,
    now: NaiveDateTime,
) -> Result<Rotation, ApiError> {
    let hash = hash_secret(secret);
    write_transaction(conn, |conn| {
        let Some(row) = rt::table
            .filter(rt::token_hash.eq(&hash))
            .select(TokenRow::as_select())
            .first(conn)
            .optional()?
        else {
            return Ok(Rotation::Invalid);
        };
        if row.revoked_at.is_some() || row.expires_at <= now {
            return Ok(Rotation::Invalid);
        }
        if row.rotated_at.is_some() {
            revoke_family_of(conn, &row.family_id, now)?;
            return Ok(Rotation::Reused);
        }
        // Conditional on still being unrotated, so two concurrent uses cannot both win.
        let claimed = diesel::update(rt::table.find(&row.id).filter(rt::rotated_at.is_null()))
            .set(rt::rotated_at.eq(now))
            .execute(conn)?;
        if claimed != 1 {
            revoke_family_of(conn, &row.family_id, now)?;
            return Ok(Rotation::Reused);
        }
        let secret = issue(conn, &row.account_id, Some(&row.family_id), now)?;
        Ok(Rotation::Rotated {
            account_id: row.account_id,
            session_id: row.family_id,
            secret,
        })
    })
}

fn revoke_family_of(
    conn: &mut DbConnection,
    family_id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        rt::table
            .filter(rt::family_id.eq(family_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Logout: revokes the family of the presented token. Unknown tokens are ignored.
pub fn revoke(conn: &mut DbConnection, secret: &str, now: NaiveDateTime) -> Result<(), ApiError> {
    let family: Option<String> = rt::table
        .filter(rt::token_hash.eq(hash_secret(secret)))
        .select(rt::family_id)
        .first(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family_of(conn, &family, now)?;
    }
    Ok(())
}

pub fn revoke_all_for_account(
    conn: &mut DbConnection,
    account_id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        rt::table
            .filter(rt::account_id.eq(account_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}
