//! Failed-login throttling, counted in the database so the limit holds across every
//! instance behind a load balancer.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::tokens::hash_secret;
use crate::config::LoginThrottle;
use crate::db::DbConnection;
use crate::db::schema::login_failures as lf;
use crate::error::ApiError;

const ACCOUNT: &str = "account";
const ADDRESS: &str = "address";

/// Who a login attempt is counted against. The email is kept only as a hash: attempts
/// name addresses that may belong to nobody.
pub struct Subjects {
    account: String,
    address: Option<String>,
}

impl Subjects {
    pub fn new(email_lower: &str, address: Option<std::net::IpAddr>) -> Self {
        Self {
            account: hash_secret(email_lower),
            address: address.map(|ip| ip.to_string()),
        }
    }

    fn each(&self) -> impl Iterator<Item = (&'static str, &str)> {
        std::iter::once((ACCOUNT, self.account.as_str()))
            .chain(self.address.as_deref().map(|a| (ADDRESS, a)))
    }
}

/// 429 with the seconds until the oldest counted failure leaves the window.
pub fn check(
    conn: &mut DbConnection,
    limits: &LoginThrottle,
    subjects: &Subjects,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let window = Duration::from_std(limits.window).unwrap_or(Duration::minutes(15));
    let since = now - window;
    for (scope, subject) in subjects.each() {
        let limit = if scope == ACCOUNT {
            limits.per_account
        } else {
            limits.per_address
        };
        let recent: Vec<NaiveDateTime> = lf::table
            .filter(lf::scope.eq(scope))
            .filter(lf::subject.eq(subject))
            .filter(lf::failed_at.gt(since))
            .order(lf::failed_at.desc())
            .select(lf::failed_at)
            .limit(limit)
            .load(conn)?;
        if recent.len() as i64 >= limit {
            // The limit-th newest failure leaves the window first among those that count.
            let oldest_counted = recent[recent.len() - 1];
            let wait = (oldest_counted + window - now).num_seconds().max(1);
            return Err(ApiError::TooManyRequests {
                retry_after_secs: wait as u64,
                detail: "Too many failed sign-in attempts; try again later.".into(),
            });
        }
    }
    Ok(())
}

pub fn record_failure(
    conn: &mut DbConnection,
    limits: &LoginThrottle,
    subjects: &Subjects,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    for (scope, subject) in subjects.each() {
        diesel::insert_into(lf::table)
            .values((
                lf::scope.eq(scope),
                lf::subject.eq(subject),
                lf::failed_at.eq(now),
            ))
            .execute(conn)?;
    }
    // Forget what can no longer count, so the table stays small.
    let window = Duration::from_std(limits.window).unwrap_or(Duration::minutes(15));
    diesel::delete(lf::table.filter(lf::failed_at.lt(now - window - Duration::hours(1))))
        .execute(conn)?;
    Ok(())
}

/// A successful sign-in clears the account's count (not the address's).
pub fn clear_account(conn: &mut DbConnection, subjects: &Subjects) -> Result<(), ApiError> {
    diesel::delete(
        lf::table
            .filter(lf::scope.eq(ACCOUNT))
            .filter(lf::subject.eq(&subjects.account)),
    )
    .execute(conn)?;
    Ok(())
}
