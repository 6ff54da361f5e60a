//! Accounts: creating one (sign-up, the `create-admin` command, the demo) and an admin's
//! change of an account's role or status, which never leaves the service without an
//! active admin.

use uuid::Uuid;

use crate::auth::passwords;
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::AccountId;
use crate::domain::time::now;
use crate::domain::{Borough, Email, Password, Role};
use crate::error::ApiError;
use crate::repo::accounts::{self, AccountRow};
use crate::repo::{audit, membership, refresh_tokens};

/// A new account with a verified-valid email, password, name and borough.
pub struct NewAccountInput {
    pub email: Email,
    pub password: Password,
    pub full_name: String,
    pub organisation: String,
    pub borough: Option<Borough>,
}

/// Hashes the password and stores the account (blocking: call inside `db::run`). A
/// taken email is 409 `email-taken`.
pub fn create_account(
    conn: &mut DbConnection,
    input: &NewAccountInput,
    role: Role,
) -> Result<AccountRow, ApiError> {
    let id = AccountId::from(Uuid::new_v4());
    let created = now();
    accounts::insert(
        conn,
        &AccountRow {
            id: id.clone(),
            email: input.email.as_str().to_string(),
            email_lower: input.email.lower().to_string(),
            password_hash: passwords::hash(input.password.expose())?,
            full_name: input.full_name.clone(),
            organisation: input.organisation.clone(),
            borough: input.borough.map(|b| b.name().to_string()),
            role,
            disabled: false,
            created_at: created,
            updated_at: created,
            member_since: None,
        },
    )?;
    accounts::find(conn, &id)?.ok_or_else(|| ApiError::internal("created account vanished"))
}

/// The active admins' ids, locked until the transaction ends (on PostgreSQL; SQLite's
/// immediate transaction excludes other writers), so that two concurrent changes cannot
/// each see another admin left.
pub struct ActiveAdmins(Vec<String>);

impl ActiveAdmins {
    /// Take it before reading the account the change is about.
    pub fn lock(conn: &mut DbConnection) -> Result<Self, ApiError> {
        accounts::lock_active_admins(conn).map(Self)
    }

    /// 409 `last-admin` when `account` is an active admin and no other is left, for a
    /// change that takes its admin standing away.
    pub fn refuse_losing(&self, account: &AccountRow) -> Result<(), ApiError> {
        let active_admin = account.is_admin() && !account.disabled;
        if active_admin && self.0.iter().all(|id| id.as_str() == account.id.as_str()) {
            return Err(ApiError::conflict(
                "last-admin",
                "This is the last active admin: promote another account first.",
            ));
        }
        Ok(())
    }
}

/// An admin changes an account's role, or disables or enables it (`None` keeps what it
/// is). An account that is disabled or stops being an admin loses its refresh tokens.
/// Returns the account and its membership status.
pub fn change_role_or_status(
    conn: &mut DbConnection,
    actor: &AccountRow,
    id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<(AccountRow, &'static str), ApiError> {
    write_transaction(conn, |conn| {
        let active_admins = ActiveAdmins::lock(conn)?;
        let current = accounts::find(conn, id)?
            .ok_or_else(|| ApiError::NotFound("No account has this id.".into()))?;
        let role = role.unwrap_or(current.role);
        let disabled = disabled.unwrap_or(current.disabled);
        if role != Role::Admin || disabled {
            active_admins.refuse_losing(&current)?;
        }
        let at = now();
        accounts::set_role_and_disabled(conn, id, role, disabled, at)?;
        if disabled || (current.is_admin() && role != Role::Admin) {
            refresh_tokens::revoke_all_for_account(conn, id, at)?;
        }
        let summary = serde_json::json!({
            "role": {"from": current.role, "to": role},
            "disabled": {"from": current.disabled, "to": disabled},
        });
        audit::record(conn, actor, "account.update", ("account", id), summary, at)?;
        let row =
            accounts::find(conn, id)?.ok_or_else(|| ApiError::internal("account vanished"))?;
        let membership_status = membership::status_of(conn, &row)?;
        Ok((row, membership_status))
    })
}
