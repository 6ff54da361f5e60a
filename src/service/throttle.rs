//! The limits on anonymous and sign-in attempts, counted in `throttle_hits` so that they
//! hold across every instance: which hits count against whom, and what a full count
//! means (429 with the seconds until it frees up, or a slower sign-in).

use std::net::IpAddr;
use std::time::Duration;

use chrono::NaiveDateTime;

use crate::auth::devices::Device;
use crate::auth::tokens::hash_secret;
use crate::config::{Limit, LoginThrottle};
use crate::db::DbConnection;
use crate::domain::ids::EventId;
use crate::error::ApiError;
use crate::repo::throttle_hits::{self, Scope};

/// 429 when `subject` already has `limit.max` hits within the window, with the seconds
/// until the oldest of them leaves it. An off limit always passes.
pub fn enforce(
    conn: &mut DbConnection,
    scope: Scope,
    subject: &str,
    limit: Limit,
    now: NaiveDateTime,
    detail: &str,
) -> Result<(), ApiError> {
    if !limit.is_on() {
        return Ok(());
    }
    let window = chrono::Duration::from_std(limit.window).unwrap_or(chrono::Duration::hours(1));
    let recent = throttle_hits::newest_since(conn, scope, subject, now - window, limit.max)?;
    match recent.last() {
        Some(oldest_counted) if recent.len() as i64 >= limit.max => {
            Err(ApiError::TooManyRequests {
                retry_after_secs: (*oldest_counted + window - now).num_seconds().max(1) as u64,
                detail: detail.into(),
            })
        }
        _ => Ok(()),
    }
}

/// Each `(scope, subject, limit)` must pass `enforce`; then the attempt counts against
/// every one whose limit is on.
fn take(
    conn: &mut DbConnection,
    counted: &[(Scope, String, Limit)],
    now: NaiveDateTime,
    detail: &str,
) -> Result<(), ApiError> {
    for (scope, subject, limit) in counted {
        enforce(conn, *scope, subject, *limit, now, detail)?;
    }
    for (scope, subject, limit) in counted {
        if limit.is_on() {
            throttle_hits::record(conn, *scope, subject, now)?;
        }
    }
    Ok(())
}

/// An anonymous registration from `address` for `event`: within the per-address limit
/// and the per-address-and-event one, and counted against both. Call inside the
/// registration's transaction, so that a refused or failed registration counts nothing.
pub fn take_registration(
    conn: &mut DbConnection,
    per_address: Limit,
    per_address_and_event: Limit,
    address: Option<IpAddr>,
    event: EventId,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let Some(address) = address else {
        return Ok(());
    };
    let counted = [
        (
            Scope::RegistrationAddressEvent,
            format!("{address}|{event}"),
            per_address_and_event,
        ),
        (Scope::RegistrationAddress, address.to_string(), per_address),
    ];
    take(
        conn,
        &counted,
        now,
        "Too many registrations from this address; try again later.",
    )
}

/// A sign-up attempt from `address`, counted whatever its outcome.
pub fn take_signup(
    conn: &mut DbConnection,
    limit: Limit,
    address: Option<IpAddr>,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let Some(address) = address else {
        return Ok(());
    };
    let counted = [(Scope::SignupAddress, address.to_string(), limit)];
    take(
        conn,
        &counted,
        now,
        "Too many sign-ups from this address; try again later.",
    )
}

/// Who a sign-in attempt is counted against. The email is kept only as a hash, since
/// attempts name addresses that may belong to nobody; the rows of one email share the
/// hash as their prefix, so that erasing a person finds them.
pub struct SignInAttempt {
    account: String,
    address: Option<String>,
    device: Option<Device>,
}

const SIGN_IN_DETAIL: &str = "Too many failed sign-in attempts; try again later.";

impl SignInAttempt {
    pub fn new(email_lower: &str, address: Option<IpAddr>) -> Self {
        Self {
            account: hash_secret(email_lower),
            address: address.map(|ip| ip.to_string()),
            device: None,
        }
    }

    /// A verified device token, which counts only when it names the account signed in to.
    pub fn from_device(mut self, device: Option<Device>, account_id: Option<&str>) -> Self {
        self.device = device.filter(|d| Some(d.account_id.as_str()) == account_id);
        self
    }

    pub fn from_known_device(&self) -> bool {
        self.device.is_some()
    }

    fn pair(&self) -> Option<String> {
        self.address
            .as_ref()
            .map(|a| format!("{}|{a}", self.account))
    }

    /// The hits this attempt's own counts are kept under: the device's, or the
    /// account-and-address pair's and the address's.
    fn own_counts(&self, limits: &LoginThrottle) -> Vec<(Scope, String, i64)> {
        match &self.device {
            Some(device) => vec![(Scope::LoginDevice, device.nonce.clone(), limits.per_device)],
            None => self
                .pair()
                .map(|pair| (Scope::LoginAccountAddress, pair, limits.per_account_address))
                .into_iter()
                .chain(
                    self.address
                        .clone()
                        .map(|a| (Scope::LoginAddress, a, limits.per_address)),
                )
                .collect(),
        }
    }

    /// 429 when this client's own failures are too many; otherwise how long its answer
    /// waits: nothing from a known device, and elsewhere one second once the account has
    /// `per_account` recent failures, doubling with each further one up to `max_delay`.
    pub fn admit(
        &self,
        conn: &mut DbConnection,
        limits: &LoginThrottle,
        now: NaiveDateTime,
    ) -> Result<Duration, ApiError> {
        for (scope, subject, max) in self.own_counts(limits) {
            let limit = Limit {
                max,
                window: limits.window,
            };
            enforce(conn, scope, &subject, limit, now, SIGN_IN_DETAIL)?;
        }
        if self.from_known_device() {
            return Ok(Duration::ZERO);
        }
        // Past this many the wait is at its cap anyway.
        let cap = limits.per_account + 16;
        let failures = throttle_hits::newest_since(
            conn,
            Scope::LoginAccount,
            &self.account,
            now - chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::zero()),
            cap,
        )?
        .len() as i64;
        Ok(slowdown(limits, failures))
    }

    pub fn record_failure(
        &self,
        conn: &mut DbConnection,
        limits: &LoginThrottle,
        now: NaiveDateTime,
    ) -> Result<(), ApiError> {
        for (scope, subject, _) in self.own_counts(limits) {
            throttle_hits::record(conn, scope, &subject, now)?;
        }
        throttle_hits::record(conn, Scope::LoginAccount, &self.account, now)?;
        Ok(())
    }

    /// A success clears this client's own counts; the account's stays until it ages out,
    /// so that a stranger's guesses stay slow after the owner signs in.
    pub fn record_success(
        &self,
        conn: &mut DbConnection,
        limits: &LoginThrottle,
    ) -> Result<(), ApiError> {
        for (scope, subject, _) in self.own_counts(limits) {
            if scope != Scope::LoginAddress {
                throttle_hits::clear(conn, scope, &subject)?;
            }
        }
        Ok(())
    }
}

/// The wait before answering a sign-in from an unknown device, after `failures`
/// recent failures of the account.
fn slowdown(limits: &LoginThrottle, failures: i64) -> Duration {
    if limits.per_account <= 0 || failures < limits.per_account {
        return Duration::ZERO;
    }
    let doublings = (failures - limits.per_account).min(16) as u32;
    Duration::from_secs(1)
        .saturating_mul(1 << doublings)
        .min(limits.max_delay)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowdown_starts_at_the_threshold_doubles_and_stops_at_the_cap() {
        let limits = LoginThrottle {
            per_account: 10,
            max_delay: Duration::from_secs(8),
            ..Default::default()
        };
        assert_eq!(slowdown(&limits, 9), Duration::ZERO);
        assert_eq!(slowdown(&limits, 10), Duration::from_secs(1));
        assert_eq!(slowdown(&limits, 11), Duration::from_secs(2));
        assert_eq!(slowdown(&limits, 13), Duration::from_secs(8));
        assert_eq!(slowdown(&limits, 500), Duration::from_secs(8));
    }
}
