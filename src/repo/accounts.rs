use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::accounts;
use crate::domain::Role;
use crate::domain::ids::AccountId;
use crate::domain::page::Page;
use crate::error::ApiError;

/// An account as stored; a new one is inserted as the row it will read back as.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: AccountId,
    pub email: String,
    pub email_lower: String,
    pub password_hash: String,
    pub full_name: String,
    pub organisation: String,
    pub borough: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub member_since: Option<NaiveDateTime>,
    /// When the account proved its email by a mailed link (or was made by an admin).
    pub email_verified_at: Option<NaiveDateTime>,
}

impl AccountRow {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn email_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// Inserts; a taken email (any letter case) is 409 `email-taken`.
pub fn insert(conn: &mut DbConnection, account: &AccountRow) -> Result<(), ApiError> {
    diesel::insert_into(accounts::table)
        .values(account)
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict("email-taken", "An account with this email already exists."),
            other => other.into(),
        })?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<Option<AccountRow>, ApiError> {
    Ok(accounts::table
        .find(id)
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

/// The account, if the session (refresh-token family) `session_id` of it is still
/// open: one query, on the primary key and the family index.
pub fn find_in_session(
    conn: &mut DbConnection,
    id: &str,
    session_id: &str,
) -> Result<Option<AccountRow>, ApiError> {
    use crate::db::schema::refresh_tokens as rt;
    let open_session = rt::table
        .filter(rt::family_id.eq(session_id))
        .filter(rt::account_id.eq(id))
        .filter(rt::revoked_at.is_null());
    Ok(accounts::table
        .find(id)
        .filter(diesel::dsl::exists(open_session))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_email(
    conn: &mut DbConnection,
    email_lower: &str,
) -> Result<Option<AccountRow>, ApiError> {
    Ok(accounts::table
        .filter(accounts::email_lower.eq(email_lower))
        .select(AccountRow::as_select())
        .first(conn)
        .optional()?)
}

pub struct AccountFilter {
    pub role: Option<Role>,
    pub email_contains: Option<String>,
    pub disabled: Option<bool>,
}

fn filtered(filter: &AccountFilter) -> accounts::BoxedQuery<'static, crate::db::MultiBackend> {
    let mut query = accounts::table.into_boxed();
    if let Some(role) = filter.role {
        query = query.filter(accounts::role.eq(role));
    }
    if let Some(disabled) = filter.disabled {
        query = query.filter(accounts::disabled.eq(disabled));
    }
    if let Some(text) = &filter.email_contains {
        let pattern = format!("%{}%", super::like_escape(&text.to_lowercase()));
        query = query.filter(accounts::email_lower.like(pattern).escape('\\'));
    }
    query
}

pub fn list(
    conn: &mut DbConnection,
    filter: &AccountFilter,
    page: Page,
) -> Result<(Vec<AccountRow>, i64), ApiError> {
    super::paged(
        conn,
        page,
        filtered(filter)
            .order((accounts::created_at.asc(), accounts::id.asc()))
            .select(AccountRow::as_select()),
        || filtered(filter).count(),
    )
}

pub fn set_role_and_disabled(
    conn: &mut DbConnection,
    id: &str,
    role: Role,
    disabled: bool,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::role.eq(role),
            accounts::disabled.eq(disabled),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks the email verified, keeping the first time it was.
pub fn mark_email_verified(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(
        accounts::table
            .find(id)
            .filter(accounts::email_verified_at.is_null()),
    )
    .set((
        accounts::email_verified_at.eq(now),
        accounts::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn set_password(
    conn: &mut DbConnection,
    id: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    diesel::update(accounts::table.find(id))
        .set((
            accounts::password_hash.eq(password_hash),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ids of the enabled admins, locked until the transaction ends on PostgreSQL (SQLite's
/// immediate transaction already excludes other writers).
pub fn lock_active_admins(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    let query = || {
        accounts::table
            .filter(accounts::role.eq(Role::Admin))
            .filter(accounts::disabled.eq(false))
            .select(accounts::id)
    };
    Ok(match conn {
        DbConnection::Pg(pg) => query().for_update().load(pg)?,
        DbConnection::Sqlite(sqlite) => query().load(sqlite)?,
    })
}

/// The addresses of admins who may sign in.
pub fn active_admin_emails(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    Ok(accounts::table
        .filter(accounts::role.eq(Role::Admin))
        .filter(accounts::disabled.eq(false))
        .select(accounts::email)
        .load(conn)?)
}

pub fn count(conn: &mut DbConnection) -> Result<i64, ApiError> {
    Ok(accounts::table.count().get_result(conn)?)
}
