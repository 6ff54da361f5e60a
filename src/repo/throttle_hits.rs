//! Attempts that a limit counts (failed sign-ins, sign-ups, anonymous registrations),
//! kept in the database so that a limit holds across every instance.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::throttle_hits as th;

/// What a row counts against; stored as TEXT (the table's CHECK lists the names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    LoginAccount,
    LoginAddress,
    LoginAccountAddress,
    LoginDevice,
    SignupAddress,
    RegistrationAddress,
    RegistrationAddressEvent,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginAccount => "login_account",
            Self::LoginAddress => "login_address",
            Self::LoginAccountAddress => "login_account_address",
            Self::LoginDevice => "login_device",
            Self::SignupAddress => "signup_address",
            Self::RegistrationAddress => "registration_address",
            Self::RegistrationAddressEvent => "registration_address_event",
        }
    }
}

/// The times of the newest `limit` hits after `since`, newest first.
pub fn newest_since(
    conn: &mut DbConnection,
    scope: Scope,
    subject: &str,
    since: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<NaiveDateTime>> {
    th::table
        .filter(th::scope.eq(scope.as_str()))
        .filter(th::subject.eq(subject))
        .filter(th::at.gt(since))
        .order(th::at.desc())
        .select(th::at)
        .limit(limit)
        .load(conn)
}

pub fn record(
    conn: &mut DbConnection,
    scope: Scope,
    subject: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(th::table)
        .values((
            th::scope.eq(scope.as_str()),
            th::subject.eq(subject),
            th::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn clear(conn: &mut DbConnection, scope: Scope, subject: &str) -> QueryResult<usize> {
    diesel::delete(
        th::table
            .filter(th::scope.eq(scope.as_str()))
            .filter(th::subject.eq(subject)),
    )
    .execute(conn)
}

/// Deletes the hits of `scope` whose subject starts with `prefix` (hex, so no LIKE
/// wildcard can occur in it): a person's erasure finds every row keyed by their email.
pub fn delete_with_subject_prefix(
    conn: &mut DbConnection,
    scope: Scope,
    prefix: &str,
) -> QueryResult<usize> {
    diesel::delete(
        th::table
            .filter(th::scope.eq(scope.as_str()))
            .filter(th::subject.like(format!("{prefix}%"))),
    )
    .execute(conn)
}

/// Forgets hits that no window can count any more, so the table stays small.
pub fn prune_before(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(th::table.filter(th::at.lt(before))).execute(conn)
}
