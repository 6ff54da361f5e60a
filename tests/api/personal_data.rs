//! A data subject's rights: the export, erasure (no trace left in any table, counts
//! kept) and the retention job.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use llcp_hub::config::Retention;
use llcp_hub::db::DbConnection;
use llcp_hub::db::schema::{events, notifications, registrations};
use llcp_hub::domain::Role;
use llcp_hub::notify::templates::Message;
use llcp_hub::repo::notifications as outbox;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::test_db::texts;
use crate::helpers::*;

const EXPORT: &str = "/api/v1/admin/personal-data";
const ERASE: &str = "/api/v1/admin/personal-data/erase";

/// Distinctive strings the person gives, none of which may survive an erasure.
const EMAIL: &str = "Zelda.Quistorff@Hackney.gov.uk";
const NAME: &str = "Zelda Quistorff";
const ORGANISATION: &str = "Quistorffian Heritage Trust";
const JOB_TITLE: &str = "Chief Xylographer";
const NEEDS: &str = "A vexillological hearing loop";
const STATEMENT: &str = "Our zymurgical library pilot would like to share its notes.";
const REJECTION: &str = "Sorry Zelda Quistorff, the cohort is full.";

/// The person: an account, a registration, a rejected application, a failed sign-in
/// and an overdue reminder to admins that names them.
struct Person {
    token: String,
    refresh_token: String,
    event_id: i64,
    event_slug: String,
    application_id: String,
}

async fn person(app: &TestApp, admin: &str) -> Person {
    let event = app
        .published_event(admin, &event_body("Data day", 10))
        .await;
    let slug = event["slug"].as_str().unwrap().to_string();
    let account = json!({"email": EMAIL, "password": PASSWORD, "full_name": NAME,
        "organisation": ORGANISATION, "borough": "Hackney"});
    expect_json(app.sign_up(&account).await, StatusCode::CREATED, "sign-up").await;
    app.verify_email(EMAIL).await;
    let tokens = app.sign_in(EMAIL).await;
    // A failed sign-in (after the good one, which clears the count) leaves a hashed
    // trace in the throttle's table.
    assert_eq!(
        app.login(EMAIL, "not the password at all").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token = tokens["access_token"].as_str().unwrap().to_string();
    app.register(
        &slug,
        &json!({"full_name": NAME, "email": EMAIL.to_lowercase(), "organisation": ORGANISATION,
            "borough": "Hackney", "job_title": JOB_TITLE, "accessibility_needs": NEEDS,
            "consent": true}),
    )
    .await;
    let body = json!({"statement": STATEMENT, "organisation": ORGANISATION,
        "borough": "Hackney", "job_title": JOB_TITLE});
    let application =
        expect_json(app.apply(&token, &body).await, StatusCode::CREATED, "apply").await;
    let application_id = application["id"].as_str().unwrap().to_string();
    // Two days on, admins are reminded of the application, by name.
    let mut conn = app.pool.get().unwrap();
    let later = llcp_hub::domain::time::now() + Duration::hours(48);
    let reminded =
        llcp_hub::service::membership::remind_overdue(&mut conn, BASE_URL, later).unwrap();
    assert_eq!(reminded, 1);
    drop(conn);
    let reason = json!({"reason": REJECTION});
    let response = app
        .decide(admin, &application_id, "reject", Some(&reason))
        .await;
    expect_json(response, StatusCode::OK, "reject").await;
    Person {
        token,
        refresh_token: tokens["refresh_token"].as_str().unwrap().to_string(),
        event_id: event["id"].as_i64().unwrap(),
        event_slug: slug,
        application_id,
    }
}

/// Every row of every table in the schema, as text, prefixed with its table's name.
fn dump_every_table(conn: &mut DbConnection) -> Vec<String> {
    // One query a table that reads each of its rows as one line of text.
    let queries: Vec<(String, String)> = if matches!(conn, DbConnection::Sqlite(_)) {
        let tables = "SELECT name AS value FROM sqlite_master WHERE type = 'table'";
        texts(conn, tables)
            .into_iter()
            .map(|table| {
                let columns = format!("SELECT name AS value FROM pragma_table_info('{table}')");
                let cells: Vec<String> = texts(conn, &columns)
                    .iter()
                    .map(|column| format!("coalesce(CAST(\"{column}\" AS TEXT), '')"))
                    .collect();
                let query = format!(
                    "SELECT {} AS value FROM \"{table}\"",
                    cells.join(" || '|' || ")
                );
                (table, query)
            })
            .collect()
    } else {
        let tables = "SELECT table_name::text AS value FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'";
        texts(conn, tables)
            .into_iter()
            .map(|table| {
                let query = format!("SELECT row_to_json(t)::text AS value FROM \"{table}\" t");
                (table, query)
            })
            .collect()
    };
    assert!(queries.len() >= 10, "tables found: {}", queries.len());
    let mut rows = Vec::new();
    for (table, query) in queries {
        rows.extend(
            texts(conn, &query)
                .into_iter()
                .map(|row| format!("{table}: {row}")),
        );
    }
    rows
}

/// Rows that hold any of the needles, ignoring letter case.
fn rows_holding(app: &TestApp, needles: &[String]) -> Vec<String> {
    let mut conn = app.pool.get().unwrap();
    dump_every_table(&mut conn)
        .into_iter()
        .filter(|row| {
            let row = row.to_lowercase();
            needles.iter().any(|n| row.contains(&n.to_lowercase()))
        })
        .collect()
}

fn traces() -> Vec<String> {
    vec![
        EMAIL.to_string(),
        "zelda".into(),
        "quistorff".into(),
        ORGANISATION.into(),
        "xylographer".into(),
        "vexillological".into(),
        "zymurgical".into(),
        // The sign-in throttle keeps the address only as this hash.
        llcp_hub::auth::tokens::hash_secret(&EMAIL.to_lowercase()),
    ]
}

async fn erase(app: &TestApp, token: &str, email: &str) -> Value {
    expect_json(
        app.send_json(Method::POST, ERASE, token, Some(&json!({"email": email})))
            .await,
        StatusCode::OK,
        "erase",
    )
    .await
}

#[tokio::test]
async fn the_export_holds_the_account_registrations_application_and_notifications() {
    let (app, admin) = with_admin().await;
    let who = person(&app, &admin).await;

    let response = app
        .get(&format!("{EXPORT}?email=zelda.QUISTORFF%40hackney.gov.uk"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let text = response.text().await.unwrap();
    assert!(!text.contains("argon2"), "no password hash: {text}");
    assert!(!text.contains("password"), "no password field: {text}");
    let export: Value = serde_json::from_str(&text).unwrap();

    assert_eq!(export["email"], EMAIL.to_lowercase());
    assert_eq!(export["account"]["email"], EMAIL);
    assert_eq!(export["account"]["full_name"], NAME);
    assert_eq!(export["account"]["membership_status"], "rejected");
    let registrations = export["registrations"].as_array().unwrap();
    assert_eq!(registrations.len(), 1);
    assert_eq!(registrations[0]["event_id"], who.event_id);
    assert_eq!(registrations[0]["event_slug"], who.event_slug);
    assert_eq!(registrations[0]["event_title"], "Data day");
    assert_eq!(registrations[0]["accessibility_needs"], NEEDS);
    assert_eq!(registrations[0]["status"], "confirmed");
    let applications = export["membership_applications"].as_array().unwrap();
    assert_eq!(applications.len(), 1);
    assert_eq!(applications[0]["id"], who.application_id);
    assert_eq!(applications[0]["statement"], STATEMENT);
    assert_eq!(applications[0]["status"], "rejected");
    assert_eq!(applications[0]["reason"], REJECTION);
    let templates: Vec<&str> = export["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["template"].as_str().unwrap())
        .collect();
    assert_eq!(
        templates,
        [
            "account_verify_email",
            "registration_confirmed",
            "membership_rejected"
        ],
        "the admins' reminder is not addressed to the person"
    );
    assert!(
        export["notifications"][0]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("Dear {NAME}"))
    );
    let actions: Vec<&str> = export["audit_entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["membership.reject"]);
}

#[tokio::test]
async fn an_address_nothing_is_held_about_exports_empty_lists() {
    let (app, admin) = with_admin().await;
    let export = app
        .get_json(&admin, &format!("{EXPORT}?email=nobody%40example.org"))
        .await;
    assert_eq!(export["account"], Value::Null);
    for list in [
        "registrations",
        "membership_applications",
        "notifications",
        "audit_entries",
    ] {
        assert_eq!(export[list], json!([]), "{list}");
    }
}

#[tokio::test]
async fn export_and_erasure_need_an_admin() {
    let app = spawn_app().await;
    let member = app.member_token().await;
    let export = format!("{EXPORT}?email=member%40example.org");
    let body = json!({"email": "member@example.org"});
    let (unauthorized, admin_only) = (StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN);
    for (request, status, kind) in [
        (app.get(&export), unauthorized, "unauthorized"),
        (app.post(ERASE).json(&body), unauthorized, "unauthorized"),
        (
            app.get(&export).bearer_auth(&member),
            admin_only,
            "admin-only",
        ),
        (
            app.post(ERASE).bearer_auth(&member).json(&body),
            admin_only,
            "admin-only",
        ),
        // The token is judged before the query: no 400 for a member who sends none.
        (
            app.get(EXPORT).bearer_auth(&member),
            admin_only,
            "admin-only",
        ),
    ] {
        assert_problem_of(request, status, kind).await;
    }
    // The member was not erased.
    app.get_json(&member, "/api/v1/me").await;
}

#[tokio::test]
async fn after_erasure_no_table_holds_a_trace_of_the_person() {
    let (app, admin) = with_admin().await;
    person(&app, &admin).await;
    assert!(
        rows_holding(&app, &traces()).len() >= 8,
        "the traces are there before"
    );

    let report = erase(&app, &admin, &EMAIL.to_uppercase()).await;

    let left = rows_holding(&app, &traces());
    assert!(left.is_empty(), "traces left:\n{}", left.join("\n"));
    assert_eq!(report["accounts"], 1);
    assert_eq!(report["registrations"], 1);
    assert_eq!(report["membership_applications"], 1);
    assert_eq!(report["notifications_deleted"], 3);
    assert_eq!(report["notifications_redacted"], 1);
    assert_eq!(report["refresh_tokens_revoked"], 1);
    assert_eq!(report["audit_entries_redacted"], 1);
    assert_eq!(report["sign_in_failures_deleted"], 1);
}

#[tokio::test]
async fn on_postgres_the_erased_tables_are_vacuumed_after_the_answer() {
    let (app, admin) = with_admin().await;
    if !app.pool.is_postgres() {
        eprintln!("skipped: PostgreSQL only (SQLite is checkpointed, see tests/ops)");
        return;
    }
    person(&app, &admin).await;
    let vacuumed = || {
        app.db_texts(
            "SELECT relname AS value FROM pg_stat_user_tables \
             WHERE relname IN ('accounts', 'registrations', 'notifications', 'audit_log') \
             AND last_vacuum IS NOT NULL",
        )
    };
    assert!(vacuumed().is_empty(), "vacuumed before: {:?}", vacuumed());

    erase(&app, &admin, EMAIL).await;

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while vacuumed().len() < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "not vacuumed within 20 s: {:?}",
            vacuumed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn erasure_keeps_seats_registrations_and_community_stats() {
    let (app, admin) = with_admin().await;
    let who = person(&app, &admin).await;
    app.register(
        &who.event_slug,
        &json!({"full_name": "Other Person", "email": "other@example.org",
            "organisation": "Camden", "consent": true}),
    )
    .await;
    let event_path = format!("/api/v1/events/{}", who.event_slug);
    let registrations_path = format!("/api/v1/admin/events/{}/registrations", who.event_id);
    let before_event = app.get_json(&admin, &event_path).await;
    let before_list = app.get_json(&admin, &registrations_path).await;
    let before_stats = app.get_json(&admin, "/api/v1/community/stats").await;
    let before_admin_stats = app
        .get_json(&admin, "/api/v1/admin/membership-applications/stats")
        .await;

    erase(&app, &admin, EMAIL).await;

    let after_event = app.get_json(&admin, &event_path).await;
    assert_eq!(before_event["seats_remaining"], 28);
    assert_eq!(
        after_event["seats_remaining"],
        before_event["seats_remaining"]
    );
    let after_list = app.get_json(&admin, &registrations_path).await;
    assert_eq!(after_list["total"], 2);
    assert_eq!(after_list["total"], before_list["total"]);
    let statuses = |list: &Value| -> Vec<Value> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].clone())
            .collect()
    };
    assert_eq!(statuses(&after_list), statuses(&before_list));
    assert_eq!(after_list["items"][0]["full_name"], "Erased");
    assert_eq!(after_list["items"][1]["full_name"], "Other Person");
    let after_stats = app.get_json(&admin, "/api/v1/community/stats").await;
    assert_eq!(before_stats["decided"], 1);
    assert_eq!(after_stats, before_stats);
    let after_admin_stats = app
        .get_json(&admin, "/api/v1/admin/membership-applications/stats")
        .await;
    assert_eq!(after_admin_stats, before_admin_stats);
}

#[tokio::test]
async fn the_audit_log_records_the_erasure_without_the_data() {
    let (app, admin) = with_admin().await;
    person(&app, &admin).await;
    let report = erase(&app, &admin, EMAIL).await;

    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?action=personal_data.erase")
        .await;
    assert_eq!(log["total"], 1);
    let entry = &log["items"][0];
    assert_eq!(entry["actor_email"], "admin@example.org");
    assert_eq!(entry["target_type"], "personal_data_erasure");
    assert_eq!(entry["target_id"], report["erasure_id"]);
    assert_eq!(entry["summary"]["registrations"], 1);
    assert_eq!(entry["summary"]["accounts"], 1);
    let text = entry.to_string().to_lowercase();
    for trace in traces() {
        assert!(!text.contains(&trace.to_lowercase()), "{trace} in {entry}");
    }
    // The rejection's own entry stays, without the reason that named the person.
    let rejections = app
        .get_json(&admin, "/api/v1/admin/audit-log?action=membership.reject")
        .await;
    assert_eq!(rejections["total"], 1);
    assert_eq!(rejections["items"][0]["summary"]["reason"], "Erased");
}

#[tokio::test]
async fn the_erased_person_can_no_longer_sign_in_or_refresh() {
    let (app, admin) = with_admin().await;
    let who = person(&app, &admin).await;
    erase(&app, &admin, EMAIL).await;

    app.assert_refresh_refused(&who.refresh_token).await;
    assert_eq!(
        app.login(EMAIL, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let me = app.get("/api/v1/me").bearer_auth(&who.token);
    assert_problem_of(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // The address is free again, like any unknown one.
    let account = json!({"email": EMAIL, "password": PASSWORD, "full_name": NAME,
        "organisation": ORGANISATION});
    expect_json(app.sign_up(&account).await, StatusCode::CREATED, "sign-up").await;
}

#[tokio::test]
async fn erasing_an_unknown_or_erased_address_answers_zero_counts() {
    let (app, admin) = with_admin().await;
    person(&app, &admin).await;
    assert_eq!(erase(&app, &admin, EMAIL).await["accounts"], 1);
    for email in [EMAIL, "nobody@example.org"] {
        let again = erase(&app, &admin, email).await;
        for kind in [
            "accounts",
            "registrations",
            "membership_applications",
            "notifications_deleted",
            "refresh_tokens_revoked",
        ] {
            assert_eq!(again[kind], 0, "{email}: {kind}");
        }
    }
}

#[tokio::test]
async fn an_erased_admin_leaves_audit_entries_that_no_longer_name_them() {
    let (app, admin) = with_admin().await;
    let other = app.token_for("Grace.Hopper@Example.org", Role::Admin).await;
    // The other admin rejects someone: that reason is about the applicant, and stays.
    let applicant = app.member_token().await;
    let body = json!({"statement": "We would like to share our notes.", "organisation": "Camden",
        "borough": "Camden", "job_title": "Librarian"});
    let application = expect_json(
        app.apply(&applicant, &body).await,
        StatusCode::CREATED,
        "apply",
    )
    .await;
    let id = application["id"].as_str().unwrap();
    let reason = json!({"reason": "The cohort is full."});
    let response = app.decide(&other, id, "reject", Some(&reason)).await;
    expect_json(response, StatusCode::OK, "reject").await;

    let report = erase(&app, &admin, "grace.hopper@example.org").await;

    assert_eq!(report["accounts"], 1);
    let left = rows_holding(&app, &["grace.hopper@example.org".to_string()]);
    assert!(left.is_empty(), "traces left:\n{}", left.join("\n"));
    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?action=membership.reject")
        .await;
    let entry = &log["items"][0];
    assert!(
        entry["actor_email"]
            .as_str()
            .unwrap()
            .ends_with("@erased.invalid"),
        "{entry}"
    );
    assert_eq!(entry["summary"]["reason"], "The cohort is full.");
    let sign_ins = app
        .get_json(&admin, "/api/v1/admin/audit-log?action=auth.admin_sign_in")
        .await;
    assert_eq!(sign_ins["total"], 2, "both admins' sign-ins stay");
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_erased() {
    let (app, admin) = with_admin().await;
    let erase = app.post(ERASE).bearer_auth(&admin);
    let erase = erase.json(&json!({"email": "ADMIN@example.org"}));
    assert_problem_of(erase, StatusCode::CONFLICT, "last-admin").await;
    app.get_json(&admin, "/api/v1/me").await;
}

#[tokio::test]
async fn bad_emails_and_unknown_fields_are_422_problems() {
    let (app, admin) = with_admin().await;
    for body in [
        json!({"email": "not an address"}),
        json!({"email": "a@b.org", "reason": "asked"}),
        json!({}),
    ] {
        let erase = app.send_json(Method::POST, ERASE, &admin, Some(&body));
        let problem = assert_validation(&body.to_string(), erase.await).await;
        let field = if body.get("reason").is_some() {
            "reason"
        } else {
            "email"
        };
        assert_eq!(error_fields(&problem), [field], "{body}");
    }
    let export = app
        .get(&format!("{EXPORT}?email=nobody"))
        .bearer_auth(&admin);
    let fields = invalid_fields("email=nobody", export.send().await.unwrap()).await;
    assert_eq!(fields, ["email"]);
    let export = app.get(EXPORT).bearer_auth(&admin);
    assert_problem_of(export, StatusCode::BAD_REQUEST, "bad-request").await;
}

/// Sets an event's end (and start, four hours before).
fn move_event(app: &TestApp, id: i64, ends_at: NaiveDateTime) {
    let mut conn = app.pool.get().unwrap();
    diesel::update(events::table.find(id))
        .set((
            events::starts_at.eq(ends_at - Duration::hours(4)),
            events::ends_at.eq(ends_at),
        ))
        .execute(&mut *conn)
        .unwrap();
}

fn queue_notification(conn: &mut DbConnection, recipient: &str, at: NaiveDateTime) -> String {
    let message = Message {
        template: "registration_confirmed",
        subject: format!("For {recipient}"),
        body: "Body".into(),
    };
    outbox::queue(conn, recipient, &message, None, at).unwrap();
    notifications::table
        .filter(notifications::recipient.eq(recipient))
        .select(notifications::id)
        .first(conn)
        .unwrap()
}

#[tokio::test]
async fn retention_anonymises_registrations_of_long_ended_events_only() {
    let (app, admin) = with_admin().await;
    let old = app.published_event(&admin, &event_body("Old", 10)).await;
    let recent = app.published_event(&admin, &event_body("Recent", 20)).await;
    for (event, who) in [(&old, "old"), (&recent, "recent")] {
        app.register(
            event["slug"].as_str().unwrap(),
            &json!({"full_name": format!("Person {who}"), "email": format!("{who}@example.org"),
                "organisation": format!("Org {who}"), "job_title": "Librarian",
                "consent": true}),
        )
        .await;
    }
    // As if time had passed: the old event ended 25 months ago, the recent one 23.
    let now = llcp_hub::domain::time::now();
    move_event(
        &app,
        old["id"].as_i64().unwrap(),
        now - Duration::days(25 * 31),
    );
    move_event(
        &app,
        recent["id"].as_i64().unwrap(),
        now - Duration::days(23 * 30),
    );

    let mut conn = app.pool.get().unwrap();
    let done = llcp_hub::retention::apply(&mut conn, &Retention::default(), now).unwrap();
    assert_eq!(done.registrations_anonymised, 1);
    let rows: Vec<(i64, String, String, String, Option<String>)> = registrations::table
        .order(registrations::event_id)
        .select((
            registrations::event_id,
            registrations::full_name,
            registrations::email,
            registrations::organisation,
            registrations::job_title,
        ))
        .load(&mut *conn)
        .unwrap();
    assert_eq!(rows.len(), 2, "rows are kept");
    let (_, name, email, organisation, job_title) = &rows[0];
    assert_eq!((name.as_str(), organisation.as_str()), ("Erased", "Erased"));
    assert!(email.ends_with("@erased.invalid"), "{email}");
    assert_eq!(job_title, &None);
    assert_eq!(rows[1].1, "Person recent");
    assert_eq!(rows[1].2, "recent@example.org");
    // The old registration's confirmation went with it; the recent one's stays.
    let recipients: Vec<String> = notifications::table
        .select(notifications::recipient)
        .load(&mut *conn)
        .unwrap();
    assert_eq!(recipients, ["recent@example.org"]);

    // Nothing more to do on a second run; a shorter policy reaches the recent event.
    let again = llcp_hub::retention::apply(&mut conn, &Retention::default(), now).unwrap();
    assert_eq!(again.registrations_anonymised, 0);
    let shorter = Retention {
        registration_months: 12,
        ..Retention::default()
    };
    let more = llcp_hub::retention::apply(&mut conn, &shorter, now).unwrap();
    assert_eq!(more.registrations_anonymised, 1);
}

#[tokio::test]
async fn retention_deletes_notifications_sent_over_90_days_ago_only() {
    let app = spawn_app().await;
    let now = llcp_hub::domain::time::now();
    let mut conn = app.pool.get().unwrap();
    let long_ago = now - Duration::days(200);
    let old_sent = queue_notification(&mut conn, "old-sent@example.org", long_ago);
    outbox::mark_sent(&mut conn, &old_sent, now - Duration::days(91)).unwrap();
    let recent_sent = queue_notification(&mut conn, "recent-sent@example.org", long_ago);
    outbox::mark_sent(&mut conn, &recent_sent, now - Duration::days(89)).unwrap();
    queue_notification(&mut conn, "old-queued@example.org", long_ago);
    let failed = queue_notification(&mut conn, "old-failed@example.org", long_ago);
    diesel::update(notifications::table.find(&failed))
        .set(notifications::failed_at.eq(Some(long_ago)))
        .execute(&mut *conn)
        .unwrap();

    let done = llcp_hub::retention::apply(&mut conn, &Retention::default(), now).unwrap();

    assert_eq!(done.notifications_deleted, 1);
    let mut left: Vec<String> = notifications::table
        .select(notifications::recipient)
        .load(&mut *conn)
        .unwrap();
    left.sort();
    assert_eq!(
        left,
        [
            "old-failed@example.org",
            "old-queued@example.org",
            "recent-sent@example.org"
        ]
    );
}

#[tokio::test]
async fn retention_forgets_counted_attempts_and_their_addresses_after_a_day() {
    use llcp_hub::repo::throttle_hits::{self, Scope};
    let app = spawn_app().await;
    let now = llcp_hub::domain::time::now();
    let mut conn = app.pool.get().unwrap();
    let hit = |conn: &mut _, subject: &str, hours_ago| {
        throttle_hits::record(
            conn,
            Scope::RegistrationAddress,
            subject,
            now - Duration::hours(hours_ago),
        )
        .unwrap()
    };
    hit(&mut conn, "203.0.113.1", 25);
    hit(&mut conn, "203.0.113.2", 23);

    llcp_hub::retention::apply(&mut conn, &Retention::default(), now).unwrap();

    let left = |conn: &mut _, subject| {
        throttle_hits::newest_since(
            conn,
            Scope::RegistrationAddress,
            subject,
            now - Duration::days(30),
            10,
        )
        .unwrap()
        .len()
    };
    assert_eq!(left(&mut conn, "203.0.113.1"), 0);
    assert_eq!(left(&mut conn, "203.0.113.2"), 1);
}

#[tokio::test]
async fn no_mail_is_queued_to_an_erased_person_when_their_event_is_cancelled() {
    let (app, admin) = with_admin().await;
    let person = person(&app, &admin).await;
    erase(&app, &admin, EMAIL).await;
    let cancelled = app
        .post(&format!("/api/v1/admin/events/{}/cancel", person.event_id))
        .bearer_auth(&admin)
        .json(&json!({"reason": "The venue is closed for repairs."}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    let mut conn = app.pool.get().unwrap();
    let queued: i64 = notifications::table
        .filter(notifications::template.eq("event_cancelled"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let to_erased: i64 = notifications::table
        .filter(notifications::recipient.like("%@erased.invalid"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!((queued, to_erased), (0, 0));
}

#[tokio::test]
async fn retention_works_through_a_backlog_one_short_step_at_a_time() {
    let (app, admin) = with_admin().await;
    let now = llcp_hub::domain::time::now();
    for n in 0..3 {
        let event = app
            .published_event(&admin, &event_body(&format!("Old {n}"), 10))
            .await;
        app.register(
            event["slug"].as_str().unwrap(),
            &json!({"full_name": format!("Person {n}"), "email": format!("p{n}@example.org"),
                "organisation": "Org", "consent": true}),
        )
        .await;
        move_event(
            &app,
            event["id"].as_i64().unwrap(),
            now - Duration::days(30 * 30),
        );
    }
    let mut conn = app.pool.get().unwrap();
    let done =
        llcp_hub::retention::apply_in_steps(&mut conn, &Retention::default(), now, 1).unwrap();
    assert_eq!(done.registrations_anonymised, 3);
    let left: i64 = registrations::table
        .filter(registrations::email.like("%@example.org"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(left, 0);
    // Every event is marked done, so the next pass reads none of them.
    let pending: i64 = events::table
        .filter(events::registrations_anonymised_at.is_null())
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(pending, 0);
}
