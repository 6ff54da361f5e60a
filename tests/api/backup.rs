//! Backups as operators take them: `llcp-hub backup` on SQLite while the service
//! writes, and the documented pg_dump/pg_restore round trip on PostgreSQL.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use futures_util::future::join_all;
use llcp_hub::db::DatabaseUrl;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{
    Api, TestApp, TestDb, access_token, registration, run_binary, spawn_app_on, stderr,
    with_database,
};

/// Runs `llcp-hub backup --to FILE` with only DATABASE_URL set, in an empty folder.
fn run_backup(database_url: &str, to: &Path) -> Output {
    let to = to.to_str().unwrap();
    run_binary(
        &["backup", "--to", to],
        &[("DATABASE_URL", database_url)],
        None,
    )
}

/// The app on a SQLite file whatever TEST_DATABASE_URL says (`backup` is for SQLite),
/// and the file's DATABASE_URL.
async fn sqlite_app() -> (TestApp, String) {
    let (db, url) = TestDb::sqlite();
    let database_url = db.url_for_cli(&url);
    let app = spawn_app_on(db, url, |s| s.pool_timeout = Duration::from_secs(60)).await;
    (app, database_url)
}

async fn register(app: &TestApp, event_id: i64, email: &str) -> StatusCode {
    let body = registration("Backup Officer", email);
    app.post_registration(event_id, &body).await.status()
}

/// Every registration's email, read through the admin API page by page.
async fn registered_emails(app: &TestApp, admin: &str, event_id: i64) -> BTreeSet<String> {
    let mut emails = BTreeSet::new();
    let mut offset = 0;
    loop {
        let response = app
            .get(&format!(
                "/api/v1/admin/events/{event_id}/registrations?limit=100&offset={offset}"
            ))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        offset += items.len();
        emails.extend(
            items
                .iter()
                .map(|r| r["email"].as_str().unwrap().to_string()),
        );
        if items.is_empty() || offset as i64 >= page["total"].as_i64().unwrap() {
            return emails;
        }
    }
}

#[derive(QueryableByName)]
struct IntegrityLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    integrity_check: String,
}

#[derive(QueryableByName)]
struct EmailRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    email: String,
}

/// Registrations acknowledged with 201, each with the moment its answer arrived.
type Acks = Mutex<Vec<(String, Instant)>>;

/// Registers new people one after another until told to stop; returns any non-201.
async fn write_until_stopped(
    app: &TestApp,
    event_id: i64,
    writer: usize,
    acks: &Acks,
    stop: &AtomicBool,
) -> Vec<StatusCode> {
    let mut failures = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let email = format!("writer{writer}-{n}@camden.gov.uk");
        let status = register(app, event_id, &email).await;
        if status == StatusCode::CREATED {
            acks.lock().unwrap().push((email, Instant::now()));
        } else {
            failures.push(status);
        }
        n += 1;
    }
    failures
}

/// Waits, at most a minute, until `count` registrations have been acknowledged.
async fn wait_for_acks(acks: &Acks, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.lock().unwrap().len() < count {
        assert!(
            Instant::now() < deadline,
            "the writers stalled below {count} registrations"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_backup_taken_under_write_load_holds_every_registration_acknowledged_before_it() {
    const WRITERS: usize = 4;
    let (app, database_url) = sqlite_app().await;
    let admin = app.admin_token().await;
    let event_id = app.open_event(&admin, None).await;
    let backups = tempfile::tempdir().unwrap();
    let backup_path = backups.path().join("hub-backup.db");

    let acks = Acks::default();
    let stop = AtomicBool::new(false);
    let writers =
        join_all((0..WRITERS).map(|w| write_until_stopped(&app, event_id, w, &acks, &stop)));
    let conductor = async {
        wait_for_acks(&acks, 40).await;
        let began = Instant::now();
        let database_url = database_url.clone();
        let to = backup_path.clone();
        let output = tokio::task::spawn_blocking(move || run_backup(&database_url, &to))
            .await
            .unwrap();
        // Keep writing past the backup's end, so that it ran under load throughout.
        let after = acks.lock().unwrap().len() + 20;
        wait_for_acks(&acks, after).await;
        stop.store(true, Ordering::SeqCst);
        (began, output)
    };
    let (failures, (began, output)) = tokio::join!(writers, conductor);
    assert!(
        output.status.success(),
        "backup failed: {}",
        stderr(&output)
    );
    assert!(
        failures.iter().all(Vec::is_empty),
        "registrations failed under load: {failures:?}"
    );
    let acks = acks.into_inner().unwrap();
    let before: BTreeSet<String> = acks
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(email, _)| email.clone())
        .collect();
    assert!(before.len() >= 40);

    // The file as taken: whole, and holding every acknowledged row.
    let mut conn = SqliteConnection::establish(backup_path.to_str().unwrap()).unwrap();
    let integrity = diesel::sql_query("PRAGMA integrity_check")
        .load::<IntegrityLine>(&mut conn)
        .unwrap();
    assert_eq!(integrity.len(), 1);
    assert_eq!(integrity[0].integrity_check, "ok");
    let in_file: BTreeSet<String> = diesel::sql_query("SELECT email FROM registrations")
        .load::<EmailRow>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.email)
        .collect();
    drop(conn);
    let missing: Vec<_> = before.difference(&in_file).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup began, missing from it: {missing:?}"
    );

    // Restored as an operator would: copied into place and served.
    let (restored_db, url) = TestDb::sqlite();
    let DatabaseUrl::Sqlite(restored_path) = &url else {
        unreachable!("a SQLite URL")
    };
    std::fs::copy(&backup_path, restored_path).unwrap();
    let restored = spawn_app_on(restored_db, url, |_| {}).await;
    let admin = access_token(&restored.sign_in("admin@example.org").await);
    let served = registered_emails(&restored, &admin, event_id).await;
    let missing: Vec<_> = before.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "the restored service lost acknowledged registrations: {missing:?}"
    );
    assert_eq!(served, in_file, "the restored service serves the backup");
}

#[tokio::test]
async fn backup_refuses_to_overwrite_an_existing_file() {
    let (app, database_url) = sqlite_app().await;
    app.admin_token().await;
    let backups = tempfile::tempdir().unwrap();
    let existing = backups.path().join("yesterday.db");
    std::fs::write(&existing, b"yesterday's backup").unwrap();

    let output = run_backup(&database_url, &existing);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(&existing).unwrap(), b"yesterday's backup");
    let files: Vec<_> = std::fs::read_dir(backups.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "no partial file is left behind");
}

#[test]
fn backup_on_postgresql_points_to_pg_dump_and_writes_nothing() {
    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().join("hub.dump");
    let output = run_backup("postgres://llcp:hunter2-password@127.0.0.1:1/llcp", &to);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("error: "), "{message}");
    assert!(message.contains("pg_dump -Fc"), "{message}");
    assert!(
        !message.contains("hunter2"),
        "the password must not be printed"
    );
    assert!(!to.exists());
}

fn run_tool(program: &str, args: &[&str]) {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// docs/OPERATIONS.md's PostgreSQL procedure: `pg_dump -Fc`, then `pg_restore` into a
/// new database that the service then serves. Runs only when TEST_DATABASE_URL is set.
#[tokio::test]
async fn pg_dump_and_pg_restore_round_trip_keeps_every_registration() {
    let (db, url) = TestDb::create();
    let DatabaseUrl::Postgres(source_url) = url.clone() else {
        eprintln!("skipped: TEST_DATABASE_URL is not set (this checks PostgreSQL's tools)");
        return;
    };
    let app = spawn_app_on(db, url, |_| {}).await;
    let admin = app.admin_token().await;
    let event_id = app.open_event(&admin, None).await;
    for i in 0..5 {
        let status = register(&app, event_id, &format!("officer{i}@camden.gov.uk")).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let expected = registered_emails(&app, &admin, event_id).await;
    assert_eq!(expected.len(), 5);

    let dumps = tempfile::tempdir().unwrap();
    let dump = dumps.path().join("llcp.dump");
    let dump_text = dump.to_str().unwrap();
    run_tool(
        "pg_dump",
        &["-Fc", "--no-owner", "-f", dump_text, &source_url],
    );
    drop(app);

    // The source database went with the app: the new one is made from the server's own.
    let (restored_db, url) = TestDb::postgres_on(&with_database(&source_url, "postgres"));
    let restored_url = restored_db.url_for_cli(&url);
    run_tool(
        "pg_restore",
        &[
            "--no-owner",
            "--exit-on-error",
            "-d",
            &restored_url,
            dump_text,
        ],
    );

    let restored = spawn_app_on(restored_db, url, |_| {}).await;
    let admin = access_token(&restored.sign_in("admin@example.org").await);
    assert_eq!(
        registered_emails(&restored, &admin, event_id).await,
        expected
    );
}
