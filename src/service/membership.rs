//! Community of Practice membership: one pending application per account, decided
//! once (a conditional update on `status = 'pending'` checked by row count) with its
//! audit entry and the applicant's message, and the measure of the response promise.

use chrono::{Duration, NaiveDateTime};
use uuid::Uuid;

use crate::db::{DbConnection, write_transaction};
use crate::domain::membership::ApplicationStatus;
use crate::error::ApiError;
use crate::notify::templates::{membership_decision, overdue_reminder};
use crate::repo::accounts::{self, AccountRow};
use crate::repo::membership::{self, ApplicationRow, NewApplication};
use crate::repo::{audit, notifications};

/// A decided application and its applicant, as they are after the decision.
pub type Decided = (ApplicationRow, AccountRow);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

fn application_pending() -> ApiError {
    ApiError::conflict(
        "application-pending",
        "You already have an application waiting for a decision.",
    )
}

fn not_found() -> ApiError {
    ApiError::NotFound("No membership application has this id.".into())
}

/// Applies to join; a decision is promised within `sla`. Only an account that has
/// proved its email may apply, so nobody applies in another person's name.
pub fn submit(
    conn: &mut DbConnection,
    account: &AccountRow,
    input: &NewApplication,
    sla: Duration,
    now: NaiveDateTime,
) -> Result<ApplicationRow, ApiError> {
    if !account.email_verified() {
        return Err(ApiError::forbidden(
            "email-unverified",
            "Verify your email address with the link we mailed you before applying.",
        ));
    }
    write_transaction(conn, |conn| {
        if account.member_since.is_some() {
            return Err(ApiError::conflict(
                "already-member",
                "You are already a member of the Community of Practice.",
            ));
        }
        if membership::latest_for(conn, &account.id)?
            .is_some_and(|a| a.status == ApplicationStatus::Pending)
        {
            return Err(application_pending());
        }
        let id = Uuid::new_v4().to_string();
        membership::insert(conn, &id, account, input, now + sla, now).map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => application_pending(),
            other => other.into(),
        })?;
        membership::find(conn, &id)?.ok_or_else(|| ApiError::internal("application vanished"))
    })
}

/// Decides one pending application in its own transaction, with its audit entry and
/// the applicant's message. Exactly one of several concurrent deciders wins; the others
/// get 409 `application-decided`. Approval makes the account a member at once.
pub fn decide(
    conn: &mut DbConnection,
    admin: &AccountRow,
    id: &str,
    decision: &Decision,
    now: NaiveDateTime,
) -> Result<Decided, ApiError> {
    write_transaction(conn, |conn| {
        membership::find(conn, id)?.ok_or_else(not_found)?;
        let (status, reason) = match decision {
            Decision::Approve => (ApplicationStatus::Approved, None),
            Decision::Reject { reason } => (ApplicationStatus::Rejected, Some(reason.as_str())),
        };
        if membership::mark_decided(conn, id, status, reason, admin, now)? != 1 {
            return Err(ApiError::conflict(
                "application-decided",
                "This application has already been decided.",
            ));
        }
        let (application, applicant) =
            membership::find_with_applicant(conn, id)?.ok_or_else(not_found)?;
        if *decision == Decision::Approve {
            membership::make_member(conn, &applicant.id, now)?;
        }
        let message = membership_decision(&application, &applicant);
        notifications::queue(conn, &applicant.email, &message, None, now)?;
        let (action, summary) = match decision {
            Decision::Approve => (
                "membership.approve",
                serde_json::json!({"account_id": applicant.id}),
            ),
            Decision::Reject { reason } => (
                "membership.reject",
                serde_json::json!({"account_id": applicant.id, "reason": reason}),
            ),
        };
        audit::record(
            conn,
            admin,
            action,
            ("membership_application", id),
            summary,
            now,
        )?;
        // As they are now that the decision is in.
        membership::find_with_applicant(conn, id)?.ok_or_else(not_found)
    })
}

/// Decides each item alone, in order: one that fails (a 404, a 409, a bad reason)
/// undoes none of the others. A database that fails ends the whole batch.
pub fn decide_each(
    conn: &mut DbConnection,
    admin: &AccountRow,
    items: Vec<(String, Result<Decision, ApiError>)>,
    now: NaiveDateTime,
) -> Result<Vec<Result<Decided, ApiError>>, ApiError> {
    let mut outcomes = Vec::with_capacity(items.len());
    for (id, decision) in items {
        let outcome = decision.and_then(|d| decide(conn, admin, &id, &d, now));
        match outcome {
            Err(e @ (ApiError::Internal(_) | ApiError::Unavailable(_))) => return Err(e),
            other => outcomes.push(other),
        }
    }
    Ok(outcomes)
}

/// Queues one reminder to every active admin about applications that went past
/// `respond_by` since the last reminder. Each application is claimed by a conditional
/// update, so it is never in two reminders, even with several instances.
pub fn remind_overdue(
    conn: &mut DbConnection,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    write_transaction(conn, |conn| {
        let admins = accounts::active_admin_emails(conn)?;
        if admins.is_empty() {
            // Nobody to tell yet: leave them unreminded until an admin exists.
            return Ok(0);
        }
        let mut claimed = Vec::new();
        for id in membership::unreminded_overdue(conn, now, 500)? {
            if membership::claim_for_reminder(conn, &id, now)?
                && let Some(row) = membership::find_with_applicant(conn, &id)?
            {
                claimed.push(row);
            }
        }
        if claimed.is_empty() {
            return Ok(0);
        }
        let message = overdue_reminder(&claimed, base_url, now);
        for admin in admins {
            notifications::queue(conn, &admin, &message, None, now)?;
        }
        Ok(claimed.len())
    })
}

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub pending: i64,
    pub overdue: i64,
    pub decided: i64,
    pub share_within_sla: Option<f64>,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

/// The median of sorted values: the middle one, or the mean of the middle two.
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Decisions made in the last `window` before `now`, and what is waiting now.
pub fn stats(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    window: Duration,
) -> Result<Stats, ApiError> {
    let (pending, overdue) = membership::waiting(conn, now)?;
    let decided = membership::decision_times(conn, now - window)?;
    let mut hours: Vec<f64> = Vec::with_capacity(decided.len());
    let mut within = 0;
    for (submitted, respond_by, decided_at) in &decided {
        hours.push((*decided_at - *submitted).num_seconds() as f64 / 3600.0);
        if decided_at <= respond_by {
            within += 1;
        }
    }
    hours.sort_by(|a, b| a.total_cmp(b));
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Ok(Stats {
        pending,
        overdue,
        decided: hours.len() as i64,
        share_within_sla: (!hours.is_empty()).then(|| round(within as f64 / hours.len() as f64)),
        median_hours: median(&hours).map(round),
        p90_hours: percentile(&hours, 90.0).map(round),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[10.0]), Some(10.0));
        assert_eq!(median(&[10.0, 30.0]), Some(20.0));
        assert_eq!(median(&[1.0, 10.0, 30.0]), Some(10.0));
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&values, 90.0), Some(9.0));
        assert_eq!(percentile(&values, 100.0), Some(10.0));
        assert_eq!(percentile(&[5.0], 90.0), Some(5.0));
        assert_eq!(percentile(&[], 90.0), None);
    }
}
