//! What drafting and publishing share: a change that applies in one state only, refused
//! with a 409 when the row is in another, and audited when it applied.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::error::ApiError;
use crate::repo::accounts::AccountRow;
use crate::repo::audit;

/// The audit entry a change records once it has applied.
pub struct AuditEntry<'a> {
    pub actor: &'a AccountRow,
    pub action: &'a str,
    /// The target's type and id.
    pub target: (&'a str, String),
    pub summary: serde_json::Value,
    pub at: NaiveDateTime,
}

impl AuditEntry<'_> {
    pub fn record(self, conn: &mut DbConnection) -> Result<(), ApiError> {
        let (target_type, target_id) = self.target;
        audit::record(
            conn,
            self.actor,
            self.action,
            (target_type, &target_id),
            self.summary,
            self.at,
        )
    }
}

/// The conflict a guarded change answers when the row is not in the state it applies
/// in: the problem type and its detail.
pub type Refusal = (&'static str, &'static str);

/// Runs `change`, one statement guarded by the state it applies in (`… WHERE
/// published_at IS NULL`), so that its row count, not an earlier read, says whether it
/// applied. When it did not, answers `refusal`; when it did, records `entry`. Run it in
/// the caller's write transaction, which a refusal rolls back.
pub fn apply_or_refuse(
    conn: &mut DbConnection,
    change: impl FnOnce(&mut DbConnection) -> Result<usize, ApiError>,
    refusal: Refusal,
    entry: AuditEntry<'_>,
) -> Result<(), ApiError> {
    if change(conn)? != 1 {
        let (kind, detail) = refusal;
        return Err(ApiError::conflict(kind, detail));
    }
    entry.record(conn)
}
