//! Community of Practice membership applications: one pending per account, decided
//! once (a conditional update on `status = 'pending'` checked by row count), measured
//! against the response promise.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{accounts, membership_applications as ma};
use crate::db::{DbConnection, MultiBackend};
use crate::error::ApiError;
use crate::notify::templates::Message;
use crate::repo::accounts::AccountRow;
use crate::repo::notifications as outbox;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ma)]
pub struct ApplicationRow {
    pub id: String,
    pub account_id: String,
    pub statement: String,
    pub organisation: String,
    pub borough: String,
    pub job_title: String,
    pub status: String,
    pub submitted_at: NaiveDateTime,
    pub respond_by: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub reminded_at: Option<NaiveDateTime>,
    pub pending_account: Option<String>,
}

impl ApplicationRow {
    pub fn is_overdue(&self, now: NaiveDateTime) -> bool {
        self.status == PENDING && now > self.respond_by
    }
}

pub struct NewApplication {
    pub statement: String,
    pub organisation: String,
    pub borough: String,
    pub job_title: String,
}

fn unique_to_pending(e: diesel::result::Error) -> ApiError {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => application_pending(),
        other => other.into(),
    }
}

fn application_pending() -> ApiError {
    ApiError::conflict(
        "application-pending",
        "You already have an application waiting for a decision.",
    )
}

pub fn latest_for(
    conn: &mut DbConnection,
    account_id: &str,
) -> Result<Option<ApplicationRow>, ApiError> {
    Ok(ma::table
        .filter(ma::account_id.eq(account_id))
        .order((ma::submitted_at.desc(), ma::id.desc()))
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()?)
}

/// `none`, `pending`, `member` or `rejected`.
pub fn status_of(conn: &mut DbConnection, account: &AccountRow) -> Result<&'static str, ApiError> {
    if account.member_since.is_some() {
        return Ok("member");
    }
    Ok(match latest_for(conn, &account.id)?.map(|a| a.status) {
        Some(s) if s == PENDING => "pending",
        Some(s) if s == REJECTED => "rejected",
        _ => "none",
    })
}

pub fn submit(
    conn: &mut DbConnection,
    account: &AccountRow,
    input: &NewApplication,
    sla: Duration,
    now: NaiveDateTime,
) -> Result<ApplicationRow, ApiError> {
    if account.member_since.is_some() {
        return Err(ApiError::conflict(
            "already-member",
            "You are already a member of the Community of Practice.",
        ));
    }
    if latest_for(conn, &account.id)?.is_some_and(|a| a.status == PENDING) {
        return Err(application_pending());
    }
    let id = Uuid::new_v4().to_string();
    diesel::insert_into(ma::table)
        .values((
            ma::id.eq(&id),
            ma::account_id.eq(&account.id),
            ma::statement.eq(&input.statement),
            ma::organisation.eq(&input.organisation),
            ma::borough.eq(&input.borough),
            ma::job_title.eq(&input.job_title),
            ma::status.eq(PENDING),
            ma::submitted_at.eq(now),
            ma::respond_by.eq(now + sla),
            ma::pending_account.eq(&account.id),
        ))
        .execute(conn)
        .map_err(unique_to_pending)?;
    find(conn, &id)?.ok_or_else(|| ApiError::internal("application vanished"))
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<ApplicationRow>, ApiError> {
    Ok(ma::table
        .find(id)
        .select(ApplicationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_with_applicant(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Option<(ApplicationRow, AccountRow)>, ApiError> {
    Ok(ma::table
        .inner_join(accounts::table)
        .filter(ma::id.eq(id))
        .select((ApplicationRow::as_select(), AccountRow::as_select()))
        .first(conn)
        .optional()?)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject { reason: String },
}

/// Decides a pending application. Exactly one of several concurrent deciders wins; the
/// others get 409 `application-decided`. Approval makes the account a member at once.
pub fn decide(
    conn: &mut DbConnection,
    id: &str,
    decision: &Decision,
    admin: &AccountRow,
    now: NaiveDateTime,
) -> Result<(ApplicationRow, AccountRow), ApiError> {
    let not_found = || ApiError::NotFound("No membership application has this id.".into());
    find(conn, id)?.ok_or_else(not_found)?;
    let (status, reason) = match decision {
        Decision::Approve => (APPROVED, None),
        Decision::Reject { reason } => (REJECTED, Some(reason.clone())),
    };
    let won = diesel::update(ma::table.find(id).filter(ma::status.eq(PENDING)))
        .set((
            ma::status.eq(status),
            ma::decided_at.eq(now),
            ma::decided_by.eq(&admin.id),
            ma::reason.eq(&reason),
            ma::pending_account.eq(None::<String>),
        ))
        .execute(conn)?;
    if won != 1 {
        return Err(ApiError::conflict(
            "application-decided",
            "This application has already been decided.",
        ));
    }
    let (application, applicant) = find_with_applicant(conn, id)?.ok_or_else(not_found)?;
    if *decision == Decision::Approve {
        diesel::update(
            accounts::table
                .find(&applicant.id)
                .filter(accounts::member_since.is_null()),
        )
        .set(accounts::member_since.eq(now))
        .execute(conn)?;
    }
    let message = decision_message(&application, &applicant);
    outbox::queue(conn, &applicant.email, &message, None, now)?;
    let applicant = crate::repo::accounts::find(conn, &applicant.id)?.ok_or_else(not_found)?;
    Ok((application, applicant))
}

fn decision_message(application: &ApplicationRow, applicant: &AccountRow) -> Message {
    let greeting = format!("Dear {},\n\n", applicant.full_name);
    let sign_off = "\nLondon Library Change Programme\n";
    if application.status == APPROVED {
        Message {
            template: "membership_approved",
            subject: "Welcome to the LLCP Community of Practice".into(),
            body: format!(
                "{greeting}Your application to join the London Library Change Programme's Community of Practice has been approved: you are now a member. Sign in to explore and contribute; everyone loves a sharer.\n{sign_off}"
            ),
        }
    } else {
        Message {
            template: "membership_rejected",
            subject: "Your Community of Practice application".into(),
            body: format!(
                "{greeting}We are sorry: your application to join the Community of Practice was not approved.\nReason: {}\n\nYou are welcome to apply again.\n{sign_off}",
                application.reason.as_deref().unwrap_or("")
            ),
        }
    }
}

pub struct ApplicationFilter {
    pub status: Option<String>,
    pub overdue_at: Option<NaiveDateTime>,
}

fn filtered(filter: &ApplicationFilter) -> ma::BoxedQuery<'static, MultiBackend> {
    let mut query = ma::table.into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(ma::status.eq(status.clone()));
    }
    if let Some(now) = filter.overdue_at {
        query = query
            .filter(ma::status.eq(PENDING))
            .filter(ma::respond_by.lt(now));
    }
    query
}

/// Oldest first, with each applicant.
pub fn list(
    conn: &mut DbConnection,
    filter: &ApplicationFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<(ApplicationRow, AccountRow)>, i64), ApiError> {
    let total = filtered(filter).count().get_result(conn)?;
    let ids: Vec<String> = filtered(filter)
        .order((ma::submitted_at.asc(), ma::id.asc()))
        .limit(limit)
        .offset(offset)
        .select(ma::id)
        .load(conn)?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = find_with_applicant(conn, &id)? {
            rows.push(row);
        }
    }
    Ok((rows, total))
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

/// Applications waiting for a decision, and those of them past `respond_by` at `now`.
pub fn waiting(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(i64, i64), ApiError> {
    let pending: i64 = ma::table
        .filter(ma::status.eq(PENDING))
        .count()
        .get_result(conn)?;
    let overdue: i64 = ma::table
        .filter(ma::status.eq(PENDING))
        .filter(ma::respond_by.lt(now))
        .count()
        .get_result(conn)?;
    Ok((pending, overdue))
}

/// Decisions made in the last `window` before `now`, and what is waiting now.
pub fn stats(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    window: Duration,
) -> Result<Stats, ApiError> {
    let (pending, overdue) = waiting(conn, now)?;
    let decided: Vec<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = ma::table
        .filter(ma::decided_at.ge(now - window))
        .select((ma::submitted_at, ma::respond_by, ma::decided_at))
        .load(conn)?;
    let mut hours: Vec<f64> = Vec::with_capacity(decided.len());
    let mut within = 0;
    for (submitted, respond_by, decided_at) in &decided {
        let Some(decided_at) = decided_at else {
            continue;
        };
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

/// Queues one reminder to every active admin about applications that went past
/// `respond_by` since the last reminder. Each application is claimed by a conditional
/// update, so it is never in two reminders, even with several instances.
pub fn remind_overdue(
    conn: &mut DbConnection,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let admins: Vec<String> = accounts::table
        .filter(accounts::role.eq("admin"))
        .filter(accounts::disabled.eq(false))
        .select(accounts::email)
        .load(conn)?;
    if admins.is_empty() {
        // Nobody to tell yet: leave them unreminded until an admin exists.
        return Ok(0);
    }
    let candidates: Vec<String> = ma::table
        .filter(ma::status.eq(PENDING))
        .filter(ma::respond_by.lt(now))
        .filter(ma::reminded_at.is_null())
        .order(ma::submitted_at.asc())
        .select(ma::id)
        .limit(500)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        let won = diesel::update(ma::table.find(&id).filter(ma::reminded_at.is_null()))
            .set(ma::reminded_at.eq(now))
            .execute(conn)?;
        if won == 1
            && let Some(row) = find_with_applicant(conn, &id)?
        {
            claimed.push(row);
        }
    }
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut lines = String::new();
    for (application, applicant) in &claimed {
        let late = (now - application.respond_by).num_hours();
        lines.push_str(&format!(
            "- {} ({}), applied {} UTC, {} h past the promise: {}/api/v1/admin/membership-applications/{}\n",
            applicant.full_name,
            applicant.organisation,
            application.submitted_at.format("%Y-%m-%d %H:%M"),
            late,
            base_url,
            application.id
        ));
    }
    let message = Message {
        template: "membership_overdue_reminder",
        subject: format!(
            "{} Community of Practice application(s) past the response promise",
            claimed.len()
        ),
        body: format!(
            "These applications are still waiting for a decision:\n\n{lines}\nLondon Library Change Programme\n"
        ),
    };
    for admin in admins {
        outbox::queue(conn, &admin, &message, None, now)?;
    }
    Ok(claimed.len())
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
