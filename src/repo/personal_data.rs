//! Everything held about one person, found by email (UK GDPR): gathered for a subject
//! access request, or anonymised for erasure and retention. Rows are scrubbed, not
//! deleted, wherever others depend on them (seats, waiting lists, statistics, foreign
//! keys), so counts hold while nothing left names the person.

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;
use uuid::Uuid;

use crate::auth::tokens::hash_secret;
use crate::db::schema::{
    accounts, audit_log as al, events, idempotency_keys as ik, membership_applications as ma,
    notifications as n, refresh_tokens as rt, registrations as r,
};
use crate::db::{DbConnection, MultiBackend};
use crate::domain::email::ERASED_EMAIL_DOMAIN;
use crate::domain::ids::EventId;
use crate::error::ApiError;
use crate::repo::accounts::AccountRow;
use crate::repo::audit::AuditRow;
use crate::repo::events::EventRow;
use crate::repo::membership::ApplicationRow;
use crate::repo::notifications::NotificationRow;
use crate::repo::registrations::RegistrationRow;
use crate::repo::throttle_hits::{self, Scope};

diesel::define_sql_function!(fn lower(x: Text) -> Text);

/// What replaces a name, organisation, statement and the like.
pub const ERASED: &str = "Erased";
/// Not a PHC string, so no password ever verifies against it.
const ERASED_PASSWORD_HASH: &str = "!erased";

/// A fresh address per row, so that erased rows cannot be linked to each other.
pub fn placeholder_email() -> String {
    format!("erased-{}{ERASED_EMAIL_DOMAIN}", Uuid::new_v4())
}

/// What is held about a person, as stored.
pub struct Holdings {
    pub account: Option<AccountRow>,
    /// Each with its waiting-list position and its event, oldest first.
    pub registrations: Vec<(RegistrationRow, Option<i64>, EventRow)>,
    pub applications: Vec<ApplicationRow>,
    pub notifications: Vec<NotificationRow>,
    pub audit_entries: Vec<AuditRow>,
}

fn registrations_of(
    conn: &mut DbConnection,
    email_lower: &str,
) -> Result<Vec<(RegistrationRow, EventRow)>, ApiError> {
    Ok(r::table
        .inner_join(events::table)
        .filter(lower(r::email).eq(email_lower.to_string()))
        .order((r::created_at.asc(), r::id.asc()))
        .select((RegistrationRow::as_select(), EventRow::as_select()))
        .load(conn)?)
}

fn applications_of(
    conn: &mut DbConnection,
    account: Option<&AccountRow>,
) -> Result<Vec<ApplicationRow>, ApiError> {
    let Some(account) = account else {
        return Ok(Vec::new());
    };
    Ok(ma::table
        .filter(ma::account_id.eq(&account.id))
        .order((ma::submitted_at.asc(), ma::id.asc()))
        .select(ApplicationRow::as_select())
        .load(conn)?)
}

/// Addressed to the person, or about one of their registrations.
fn notifications_query(
    email_lower: &str,
    registration_ids: &[String],
) -> n::BoxedQuery<'static, MultiBackend> {
    n::table
        .filter(
            lower(n::recipient)
                .eq(email_lower.to_string())
                .or(n::registration_id.eq_any(registration_ids.to_vec())),
        )
        .into_boxed()
}

/// Entries about the person's account, registrations or applications, and (with
/// `by_them`) the entries they made as an admin.
fn audit_query(
    account_id: Option<&str>,
    by_them: bool,
    registration_ids: &[String],
    application_ids: &[String],
) -> al::BoxedQuery<'static, MultiBackend> {
    let mut query = al::table
        .filter(
            al::target_type
                .eq("registration")
                .and(al::target_id.eq_any(registration_ids.to_vec())),
        )
        .or_filter(
            al::target_type
                .eq("membership_application")
                .and(al::target_id.eq_any(application_ids.to_vec())),
        )
        .into_boxed();
    if let Some(id) = account_id {
        query = query.or_filter(
            al::target_type
                .eq("account")
                .and(al::target_id.eq(id.to_string())),
        );
        if by_them {
            query = query.or_filter(al::actor_id.eq(id.to_string()));
        }
    }
    query
}

/// Everything held about the address (any letter case).
pub fn gather(conn: &mut DbConnection, email_lower: &str) -> Result<Holdings, ApiError> {
    let account = crate::repo::accounts::find_by_email(conn, email_lower)?;
    let mut registrations = Vec::new();
    for (row, event) in registrations_of(conn, email_lower)? {
        let position = crate::repo::registrations::position(conn, &row)?;
        registrations.push((row, position, event));
    }
    let applications = applications_of(conn, account.as_ref())?;
    let registration_ids: Vec<String> = registrations
        .iter()
        .map(|(r, ..)| r.id.to_string())
        .collect();
    let application_ids: Vec<String> = applications.iter().map(|a| a.id.to_string()).collect();
    let notifications = notifications_query(email_lower, &registration_ids)
        .order((n::created_at.asc(), n::id.asc()))
        .select(NotificationRow::as_select())
        .load(conn)?;
    let audit_entries = audit_query(
        account.as_ref().map(|a| a.id.as_str()),
        true,
        &registration_ids,
        &application_ids,
    )
    .order(al::id.asc())
    .select(AuditRow::as_select())
    .load(conn)?;
    Ok(Holdings {
        account,
        registrations,
        applications,
        notifications,
        audit_entries,
    })
}

/// What an erasure anonymised or removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErasureReport {
    /// Accounts scrubbed and disabled (0 or 1); the id stays.
    pub accounts: usize,
    /// Registrations scrubbed; their event, status and place stay.
    pub registrations: usize,
    /// Membership applications scrubbed; status and times stay.
    pub membership_applications: usize,
    /// Notifications addressed to the person, or about their registrations, deleted.
    pub notifications_deleted: usize,
    /// Notifications to others (admins' overdue reminders) with the person's line
    /// replaced.
    pub notifications_redacted: usize,
    pub refresh_tokens_revoked: usize,
    /// Audit entries whose summary lost the person's address, name or a free-text
    /// reason about them; every entry stays.
    pub audit_entries_redacted: usize,
    pub sign_in_failures_deleted: usize,
    /// Names this erasure: the `target_id` of its `personal_data.erase` audit entry.
    pub erasure_id: Uuid,
}

/// The account behind the address, if any: the caller checks it may be erased (the
/// last active admin may not) before calling `erase`.
pub fn account_of(
    conn: &mut DbConnection,
    email_lower: &str,
) -> Result<Option<AccountRow>, ApiError> {
    crate::repo::accounts::find_by_email(conn, email_lower)
}

/// Anonymises everything held about the address (run it in a write transaction).
/// Registrations and applications stay, scrubbed, so seats, waiting lists and the
/// Community of Practice's statistics are unchanged; notifications addressed to the
/// person are deleted; the account stays, under its id, disabled and unusable. The
/// report carries `erasure_id`, the name the caller gave this erasure.
pub fn erase(
    conn: &mut DbConnection,
    email_lower: &str,
    erasure_id: Uuid,
    now: NaiveDateTime,
) -> Result<ErasureReport, ApiError> {
    let mut erasure = ErasureReport {
        erasure_id,
        ..ErasureReport::default()
    };
    let account = account_of(conn, email_lower)?;
    let registrations = registrations_of(conn, email_lower)?;
    let applications = applications_of(conn, account.as_ref())?;
    let registration_ids: Vec<String> = registrations
        .iter()
        .map(|(r, _)| r.id.to_string())
        .collect();
    let application_ids: Vec<String> = applications.iter().map(|a| a.id.to_string()).collect();
    let mut names: BTreeSet<String> = registrations
        .iter()
        .map(|(r, _)| r.full_name.clone())
        .collect();
    let mut reminder_lines = BTreeSet::new();
    if let Some(account) = &account {
        names.insert(account.full_name.clone());
        // How an overdue reminder to admins names an applicant.
        reminder_lines.insert(format!(
            "- {} ({}),",
            account.full_name, account.organisation
        ));
    }
    let emails: BTreeSet<String> = std::iter::once(email_lower.to_string())
        .chain(account.iter().map(|a| a.email.to_lowercase()))
        .collect();

    erasure.audit_entries_redacted = redact_audit_log(
        conn,
        account.as_ref(),
        &registration_ids,
        &application_ids,
        &emails,
        &names,
    )?;
    erasure.notifications_deleted = diesel::delete(
        n::table.filter(
            n::id.eq_any(
                notifications_query(email_lower, &registration_ids)
                    .select(n::id)
                    .load::<String>(conn)?,
            ),
        ),
    )
    .execute(conn)?;
    erasure.notifications_redacted = redact_reminders(conn, &reminder_lines)?;
    diesel::delete(ik::table.filter(ik::registration_id.eq_any(&registration_ids)))
        .execute(conn)?;
    for id in &registration_ids {
        erasure.registrations += anonymise_registration(conn, id, now)?;
    }
    for email in &emails {
        // Each failed sign-in left one row for the account and one for the account and
        // address together: the first are the failures counted.
        let key = hash_secret(email);
        erasure.sign_in_failures_deleted +=
            throttle_hits::delete_with_subject_prefix(conn, Scope::LoginAccount, &key)?;
        throttle_hits::delete_with_subject_prefix(conn, Scope::LoginAccountAddress, &key)?;
    }
    let Some(account) = account else {
        return Ok(erasure);
    };
    erasure.membership_applications =
        diesel::update(ma::table.filter(ma::account_id.eq(&account.id)))
            .set((
                ma::statement.eq(ERASED),
                ma::organisation.eq(ERASED),
                ma::job_title.eq(ERASED),
            ))
            .execute(conn)?;
    // A decision's reason is written to the applicant and may name them.
    diesel::update(
        ma::table
            .filter(ma::account_id.eq(&account.id))
            .filter(ma::reason.is_not_null()),
    )
    .set(ma::reason.eq(ERASED))
    .execute(conn)?;
    erasure.refresh_tokens_revoked = diesel::update(
        rt::table
            .filter(rt::account_id.eq(&account.id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(now))
    .execute(conn)?;
    let placeholder = placeholder_email();
    erasure.accounts = diesel::update(accounts::table.find(&account.id))
        .set((
            accounts::email.eq(&placeholder),
            accounts::email_lower.eq(&placeholder),
            accounts::password_hash.eq(ERASED_PASSWORD_HASH),
            accounts::full_name.eq(ERASED),
            accounts::organisation.eq(ERASED),
            accounts::borough.eq(None::<String>),
            accounts::role.eq(crate::domain::Role::Member),
            accounts::disabled.eq(true),
            accounts::updated_at.eq(now),
        ))
        .execute(conn)?;
    // The account's own audit entries now name the placeholder, as the account does.
    diesel::update(al::table.filter(al::actor_id.eq(&account.id)))
        .set(al::actor_email.eq(&placeholder))
        .execute(conn)?;
    Ok(erasure)
}

/// Scrubs one registration, keeping its event, status, seat and place in the queue.
/// The borough stays: it is one of 33 and feeds the programme's statistics.
fn anonymise_registration(
    conn: &mut DbConnection,
    id: &str,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let placeholder = placeholder_email();
    let changed = diesel::update(r::table.find(id))
        .set((
            r::full_name.eq(ERASED),
            r::email.eq(&placeholder),
            r::organisation.eq(ERASED),
            r::job_title.eq(None::<String>),
            r::accessibility_needs.eq(None::<String>),
            r::updated_at.eq(now),
        ))
        .execute(conn)?;
    // Active registrations keep a (placeholder) address: one per email and event.
    diesel::update(r::table.find(id).filter(r::active_email.is_not_null()))
        .set(r::active_email.eq(&placeholder))
        .execute(conn)?;
    Ok(changed)
}

/// Overdue reminders to admins list applicants by name and organisation: that line
/// is replaced, the rest of the message (other applicants) kept.
fn redact_reminders(conn: &mut DbConnection, lines: &BTreeSet<String>) -> Result<usize, ApiError> {
    let mut redacted = 0;
    for line in lines {
        let pattern = format!("%{}%", super::like_escape(line));
        let rows: Vec<(String, String)> = n::table
            .filter(n::template.eq("membership_overdue_reminder"))
            .filter(n::body.like(pattern).escape('\\'))
            .select((n::id, n::body))
            .load(conn)?;
        let replacement = format!("- {ERASED} ({ERASED}),");
        for (id, body) in rows {
            diesel::update(n::table.find(&id))
                .set(n::body.eq(body.replace(line.as_str(), &replacement)))
                .execute(conn)?;
            redacted += 1;
        }
    }
    Ok(redacted)
}

/// The audit log keeps its entries (who did what, when); summaries lose any value that
/// is the person's email or name, and entries about the person lose free-text reasons.
fn redact_audit_log(
    conn: &mut DbConnection,
    account: Option<&AccountRow>,
    registration_ids: &[String],
    application_ids: &[String],
    emails: &BTreeSet<String>,
    names: &BTreeSet<String>,
) -> Result<usize, ApiError> {
    // Not those they made as an admin: their reasons are about other people.
    let about: BTreeSet<i64> = audit_query(
        account.map(|a| a.id.as_str()),
        false,
        registration_ids,
        application_ids,
    )
    .select(al::id)
    .load::<i64>(conn)?
    .into_iter()
    .collect();
    // Entries elsewhere that mention an address or a name anywhere in their summary.
    let mut candidates = about.clone();
    for needle in emails.iter().chain(names.iter()) {
        let quoted = serde_json::to_string(needle).unwrap_or_default();
        let inner = quoted.trim_matches('"');
        if inner.is_empty() {
            continue;
        }
        let pattern = format!("%{}%", super::like_escape(&inner.to_lowercase()));
        candidates.extend(
            al::table
                .filter(lower(al::summary).like(pattern).escape('\\'))
                .select(al::id)
                .load::<i64>(conn)?,
        );
    }
    let mut redacted = 0;
    for id in candidates {
        let summary: String = al::table.find(id).select(al::summary).first(conn)?;
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&summary) else {
            continue;
        };
        let mut changed = redact_value(&mut value, emails, names);
        if about.contains(&id)
            && let Some(reason) = value.get_mut("reason").filter(|r| r.is_string())
        {
            *reason = serde_json::Value::String(ERASED.into());
            changed = true;
        }
        if changed {
            diesel::update(al::table.find(id))
                .set(al::summary.eq(value.to_string()))
                .execute(conn)?;
            redacted += 1;
        }
    }
    Ok(redacted)
}

/// Replaces string values that contain an address or equal a name; true if any did.
fn redact_value(
    value: &mut serde_json::Value,
    emails: &BTreeSet<String>,
    names: &BTreeSet<String>,
) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            let lower = text.to_lowercase();
            let names_it = names.iter().any(|n| n.trim() == text.trim());
            if names_it || emails.iter().any(|e| lower.contains(e.as_str())) {
                *text = ERASED.into();
                true
            } else {
                false
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |acc, v| redact_value(v, emails, names) | acc),
        Value::Object(members) => members
            .values_mut()
            .fold(false, |acc, v| redact_value(v, emails, names) | acc),
        _ => false,
    }
}

/// How many rows a retention run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retained {
    pub registrations_anonymised: usize,
    pub notifications_deleted: usize,
}

/// Anonymises the registrations of up to `max_events` events that ended before
/// `cutoff` and have not been through retention yet, deleting what hangs off them
/// (idempotency keys and notifications), and marks those events done. Returns how many
/// events it took: the caller repeats, one short transaction each, until none is left,
/// so that a first run over years of events never holds up registrations for long.
pub fn anonymise_registrations_of_events_ended_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    now: NaiveDateTime,
    max_events: i64,
) -> Result<(usize, Retained), ApiError> {
    let event_ids: Vec<EventId> = events::table
        .filter(events::ends_at.lt(cutoff))
        .filter(events::registrations_anonymised_at.is_null())
        .order((events::ends_at, events::id))
        .limit(max_events)
        .select(events::id)
        .load(conn)?;
    if event_ids.is_empty() {
        return Ok((0, Retained::default()));
    }
    let due = || {
        r::table
            .filter(r::event_id.eq_any(event_ids.clone()))
            .filter(r::email.not_like(format!("%{ERASED_EMAIL_DOMAIN}")))
    };
    // Each row's placeholder is made from its own id: distinct, and linking to nothing.
    let placeholder = || {
        "erased-"
            .into_sql::<Text>()
            .concat(r::id)
            .concat(ERASED_EMAIL_DOMAIN)
    };
    diesel::delete(ik::table.filter(ik::registration_id.eq_any(due().select(r::id))))
        .execute(conn)?;
    let notifications_deleted =
        diesel::delete(n::table.filter(n::registration_id.eq_any(due().select(r::id.nullable()))))
            .execute(conn)?;
    // Active ones keep a (placeholder) address: one per email and event. First, while
    // `due` still finds them by their real address.
    diesel::update(due().filter(r::active_email.is_not_null()))
        .set(r::active_email.eq(placeholder().nullable()))
        .execute(conn)?;
    let registrations_anonymised = diesel::update(due())
        .set((
            r::full_name.eq(ERASED),
            r::email.eq(placeholder()),
            r::organisation.eq(ERASED),
            r::job_title.eq(None::<String>),
            r::accessibility_needs.eq(None::<String>),
            r::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(events::table.filter(events::id.eq_any(event_ids.clone())))
        .set(events::registrations_anonymised_at.eq(now))
        .execute(conn)?;
    let retained = Retained {
        registrations_anonymised,
        notifications_deleted,
    };
    Ok((event_ids.len(), retained))
}

/// Deletes notifications delivered before `cutoff`; queued and failed ones stay.
pub fn delete_notifications_sent_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> Result<usize, ApiError> {
    Ok(diesel::delete(n::table.filter(n::sent_at.lt(cutoff))).execute(conn)?)
}

/// The tables an erasure rewrites.
const ERASED_TABLES: &str = "accounts, registrations, membership_applications, notifications, audit_log, throttle_hits, refresh_tokens";

/// SQLite: the erased values must not stay readable in the file. `secure_delete` (set
/// on every connection) zeroes what a change frees; the WAL still holds the pages as
/// they were until a checkpoint copies the new ones back and TRUNCATE empties it. False
/// when readers kept the checkpoint from finishing (it is retried by the caller).
pub fn checkpoint_erased(conn: &mut DbConnection) -> Result<bool, ApiError> {
    #[derive(QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        busy: i32,
    }
    match conn {
        DbConnection::Sqlite(c) => {
            let done: Checkpoint =
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").get_result(c)?;
            Ok(done.busy == 0)
        }
        DbConnection::Pg(_) => Ok(true),
    }
}

/// PostgreSQL: dead row versions keep erased values in the table files until VACUUM
/// reclaims them. Slow on large tables and not allowed in a transaction, so it runs in
/// the background after the erasure has answered.
pub fn vacuum_erased(conn: &mut DbConnection) -> Result<(), ApiError> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query(format!("VACUUM {ERASED_TABLES}")).execute(c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn placeholders_are_undeliverable_and_distinct() {
        let a = placeholder_email();
        assert!(a.starts_with("erased-") && a.ends_with("@erased.invalid"));
        assert_ne!(a, placeholder_email());
    }

    #[test]
    fn summaries_lose_addresses_and_names_but_keep_their_shape() {
        let mut value = serde_json::json!({
            "to": "Ada@Camden.gov.uk, bob@example.org",
            "who": ["Ada Lovelace", "Grace Hopper"],
            "count": 2,
            "title": "Ada Lovelace Day",
        });
        let changed = redact_value(
            &mut value,
            &set(&["ada@camden.gov.uk"]),
            &set(&["Ada Lovelace"]),
        );
        assert!(changed);
        assert_eq!(
            value,
            serde_json::json!({
                "to": "Erased",
                "who": ["Erased", "Grace Hopper"],
                "count": 2,
                "title": "Ada Lovelace Day",
            })
        );
    }
}
