//! Erasure of a person's data (UK GDPR), anonymised in one write transaction and
//! recorded in the audit log by counts, never the data.

use uuid::Uuid;

use crate::db::{DbConnection, write_transaction};
use crate::domain::Email;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::repo::accounts::AccountRow;
use crate::repo::audit;
use crate::repo::personal_data::{self, ErasureReport};
use crate::service::accounts::ActiveAdmins;

/// Anonymises everything held about `email` (see `repo::personal_data::erase`); the last
/// active admin's address is refused. Returns what changed and the erasure's id, the
/// target of its audit entry. An address nothing is held about erases nothing, so a
/// retry succeeds.
pub fn erase(
    conn: &mut DbConnection,
    actor: &AccountRow,
    email: &Email,
) -> Result<ErasureReport, ApiError> {
    let email_lower = email.lower();
    let erased = write_transaction(conn, |conn| {
        let active_admins = ActiveAdmins::lock(conn)?;
        let account = personal_data::account_of(conn, email_lower)?;
        if let Some(account) = &account {
            active_admins.refuse_losing(account)?;
        }
        let at = now();
        // The erasure is its own target; the account id it names now leads only to a
        // scrubbed account.
        let erasure_id = Uuid::new_v4();
        let erased = personal_data::erase(conn, email_lower, erasure_id, at)?;
        let summary = serde_json::json!({
            "account_id": account.as_ref().map(|a| a.id.clone()),
            "accounts": erased.accounts,
            "registrations": erased.registrations,
            "membership_applications": erased.membership_applications,
            "notifications_deleted": erased.notifications_deleted,
            "notifications_redacted": erased.notifications_redacted,
            "refresh_tokens_revoked": erased.refresh_tokens_revoked,
            "audit_entries_redacted": erased.audit_entries_redacted,
            "sign_in_failures_deleted": erased.sign_in_failures_deleted,
        });
        audit::record(
            conn,
            actor,
            "personal_data.erase",
            ("personal_data_erasure", &erasure_id.to_string()),
            summary,
            at,
        )?;
        Ok(erased)
    })?;
    checkpoint_until_done(conn)?;
    Ok(erased)
}

/// `personal_data::checkpoint_erased`, retried briefly while readers hold old pages.
fn checkpoint_until_done(conn: &mut DbConnection) -> Result<(), ApiError> {
    for _ in 0..20 {
        if personal_data::checkpoint_erased(conn)? {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    log::warn!(
        "the WAL checkpoint after an erasure was held up by readers; the next one clears it"
    );
    Ok(())
}

/// On PostgreSQL, reclaims the row versions an erasure left behind (see
/// `personal_data::vacuum_erased`); run in the background.
pub fn vacuum_after_erasure(conn: &mut DbConnection) -> Result<(), ApiError> {
    personal_data::vacuum_erased(conn)
}
