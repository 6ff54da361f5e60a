//! Community of Practice membership applications: one pending per account, decided
//! once (a conditional update on `status = 'pending'` checked by row count), measured
//! against the response promise.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{accounts, membership_applications as ma};
use crate::db::{DbConnection, MultiBackend, mark_public_change};
use crate::domain::ids::{AccountId, ApplicationId};
use crate::domain::membership::ApplicationStatus;
use crate::domain::page::Page;
use crate::error::ApiError;
use crate::repo::accounts::AccountRow;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ma)]
pub struct ApplicationRow {
    pub id: ApplicationId,
    pub account_id: AccountId,
    pub statement: String,
    pub organisation: String,
    pub borough: String,
    pub job_title: String,
    pub status: ApplicationStatus,
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
        self.status == ApplicationStatus::Pending && now > self.respond_by
    }
}

pub struct NewApplication {
    pub statement: String,
    pub organisation: String,
    pub borough: String,
    pub job_title: String,
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
        Some(ApplicationStatus::Pending) => "pending",
        Some(ApplicationStatus::Rejected) => "rejected",
        _ => "none",
    })
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

pub struct ApplicationFilter {
    pub status: Option<ApplicationStatus>,
    pub overdue_at: Option<NaiveDateTime>,
}

fn filtered(filter: &ApplicationFilter) -> ma::BoxedQuery<'static, MultiBackend> {
    let mut query = ma::table.into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(ma::status.eq(status));
    }
    if let Some(now) = filter.overdue_at {
        query = query
            .filter(ma::status.eq(ApplicationStatus::Pending))
            .filter(ma::respond_by.lt(now));
    }
    query
}

/// Inserts a pending application; a second pending one for the account fails on the
/// unique index over `pending_account`.
pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    account: &AccountRow,
    input: &NewApplication,
    respond_by: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    diesel::insert_into(ma::table)
        .values((
            ma::id.eq(id),
            ma::account_id.eq(&account.id),
            ma::statement.eq(&input.statement),
            ma::organisation.eq(&input.organisation),
            ma::borough.eq(&input.borough),
            ma::job_title.eq(&input.job_title),
            ma::status.eq(ApplicationStatus::Pending),
            ma::submitted_at.eq(now),
            ma::respond_by.eq(respond_by),
            ma::pending_account.eq(&account.id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Decides a pending application (approved or rejected); 0 rows when it was not
/// pending any more.
pub fn mark_decided(
    conn: &mut DbConnection,
    id: &str,
    status: ApplicationStatus,
    reason: Option<&str>,
    admin: &AccountRow,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    // The community statistics count decisions.
    mark_public_change(conn);
    Ok(diesel::update(
        ma::table
            .find(id)
            .filter(ma::status.eq(ApplicationStatus::Pending)),
    )
    .set((
        ma::status.eq(status),
        ma::decided_at.eq(now),
        ma::decided_by.eq(&admin.id),
        ma::reason.eq(reason),
        ma::pending_account.eq(None::<String>),
    ))
    .execute(conn)?)
}

/// Makes the applicant's account a member from `now`, unless it already is one.
pub fn make_member(
    conn: &mut DbConnection,
    account_id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        accounts::table
            .find(account_id)
            .filter(accounts::member_since.is_null()),
    )
    .set(accounts::member_since.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Submission, promise and decision times of applications decided since `since`.
pub fn decision_times(
    conn: &mut DbConnection,
    since: NaiveDateTime,
) -> Result<Vec<(NaiveDateTime, NaiveDateTime, NaiveDateTime)>, ApiError> {
    let rows: Vec<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = ma::table
        .filter(ma::decided_at.ge(since))
        .select((ma::submitted_at, ma::respond_by, ma::decided_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(submitted, respond_by, decided)| Some((submitted, respond_by, decided?)))
        .collect())
}

/// Pending applications past `respond_by` at `now` that no reminder has named yet,
/// oldest first.
pub fn unreminded_overdue(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<String>, ApiError> {
    Ok(ma::table
        .filter(ma::status.eq(ApplicationStatus::Pending))
        .filter(ma::respond_by.lt(now))
        .filter(ma::reminded_at.is_null())
        .order(ma::submitted_at.asc())
        .select(ma::id)
        .limit(limit)
        .load(conn)?)
}

/// Claims an application for a reminder; false when another reminder claimed it.
pub fn claim_for_reminder(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let won = diesel::update(ma::table.find(id).filter(ma::reminded_at.is_null()))
        .set(ma::reminded_at.eq(now))
        .execute(conn)?;
    Ok(won == 1)
}

/// Oldest first, with each applicant.
pub fn list(
    conn: &mut DbConnection,
    filter: &ApplicationFilter,
    page: Page,
) -> Result<(Vec<(ApplicationRow, AccountRow)>, i64), ApiError> {
    super::paged(
        conn,
        page,
        filtered(filter)
            .inner_join(accounts::table)
            .order((ma::submitted_at.asc(), ma::id.asc()))
            .select((ApplicationRow::as_select(), AccountRow::as_select())),
        || filtered(filter).count(),
    )
}

/// Applications waiting for a decision, and those of them past `respond_by` at `now`.
pub fn waiting(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(i64, i64), ApiError> {
    let pending: i64 = ma::table
        .filter(ma::status.eq(ApplicationStatus::Pending))
        .count()
        .get_result(conn)?;
    let overdue: i64 = ma::table
        .filter(ma::status.eq(ApplicationStatus::Pending))
        .filter(ma::respond_by.lt(now))
        .count()
        .get_result(conn)?;
    Ok((pending, overdue))
}
