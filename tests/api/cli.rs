//! The binary as operators run it.

use std::process::Output;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Api, PASSWORD, TestDb, run_binary, spawn_app_on, spawn_app_with, stderr};

fn error_line(output: &Output) -> String {
    let stderr = stderr(output);
    stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line in {stderr}"))
        .to_string()
}

#[test]
fn openapi_prints_the_committed_document() {
    let output = run_binary(&["openapi"], &[], None);
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    assert!(
        printed == llcp_hub::openapi::spec_json(),
        "the binary and the library disagree"
    );
    let spec: Value = serde_json::from_str(&printed).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
}

/// Asserts that the binary failed with an `error:` line that says `expected`.
fn assert_refused(output: &Output, expected: &str) {
    assert!(!output.status.success(), "{}", stderr(output));
    let line = error_line(output);
    assert!(line.contains(expected), "{expected:?} in {line}");
}

#[test]
fn start_up_stops_at_a_missing_or_short_jwt_secret_or_an_unknown_database_scheme() {
    for (args, env, expected) in [
        (
            &["serve", "--bind", "127.0.0.1:0"][..],
            ("DATABASE_URL", "sqlite://hub.db"),
            "JWT_SECRET",
        ),
        // Even in demo mode.
        (
            &["--demo", "--bind", "127.0.0.1:0"],
            ("JWT_SECRET", "too-short"),
            "at least 32 bytes",
        ),
        (
            &["migrate"],
            ("DATABASE_URL", "mysql://root@127.0.0.1/llcp"),
            "unsupported scheme `mysql`",
        ),
    ] {
        assert_refused(&run_binary(args, &[env], None), expected);
    }
}

#[test]
fn an_unreachable_database_stops_start_up_with_one_clear_line() {
    let output = run_binary(
        &["serve", "--bind", "127.0.0.1:0"],
        &[
            (
                "DATABASE_URL",
                "postgres://llcp:hunter2-password@127.0.0.1:1/llcp",
            ),
            ("JWT_SECRET", "a-secret-that-is-long-enough-for-hs256"),
        ],
        None,
    );
    assert_refused(&output, "cannot connect to the database");
    let stderr = stderr(&output);
    assert!(
        !stderr.contains("hunter2"),
        "the password must not be printed: {stderr}"
    );
}

#[test]
fn migrate_applies_the_migrations_and_exits() {
    let (db, url) = TestDb::create();
    let cli_url = db.url_for_cli(&url);
    let output = run_binary(&["migrate"], &[("DATABASE_URL", &cli_url)], None);
    assert!(output.status.success(), "{}", stderr(&output));
    let versions = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count();
    let expected = format!("applied {versions} migration(s)");
    assert!(String::from_utf8_lossy(&output.stdout).contains(&expected));
    let again = run_binary(&["migrate"], &[("DATABASE_URL", &cli_url)], None);
    assert!(String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"));
}

#[tokio::test]
async fn admin_create_reads_the_password_from_stdin_and_the_admin_can_sign_in() {
    let (db, url) = TestDb::create();
    let cli_url = db.url_for_cli(&url);
    let output = run_binary(
        &[
            "admin",
            "create",
            "--email",
            "Officer@Camden.gov.uk",
            "--name",
            "Camden Officer",
        ],
        &[("DATABASE_URL", &cli_url)],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!String::from_utf8_lossy(&output.stdout).contains(PASSWORD));
    let duplicate = run_binary(
        &["admin", "create", "--email", "officer@camden.gov.uk"],
        &[("DATABASE_URL", &cli_url)],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_refused(&duplicate, "already exists");

    let app = spawn_app_on(db, url, |_| {}).await;
    let response = app.login("officer@camden.gov.uk", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let token: Value = response.json().await.unwrap();
    let me: Value = app
        .get_json(token["access_token"].as_str().unwrap(), "/api/v1/me")
        .await;
    assert_eq!(me["role"], "admin");
    assert_eq!(me["full_name"], "Camden Officer");
}

#[test]
fn admin_create_refuses_a_short_password() {
    let (db, url) = TestDb::create();
    let output = run_binary(
        &["admin", "create", "--email", "officer@camden.gov.uk"],
        &[("DATABASE_URL", &db.url_for_cli(&url))],
        Some("short\n"),
    );
    assert_refused(&output, "12 to 128 characters");
}

#[tokio::test]
async fn demo_loads_bulletin_14_with_london_times_and_a_working_admin() {
    let app = spawn_app_with(|s| s.demo = true).await;
    let body: Value = app.public_json("/api/v1/events?from=2011-01-01").await;
    assert_eq!(body["total"], 4);
    let times: Vec<(String, String, String)> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["title"].as_str().unwrap().to_string(),
                e["starts_at"].as_str().unwrap().to_string(),
                e["ends_at"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(times[0].1, "2011-03-15T13:00:00+00:00");
    assert_eq!(times[0].2, "2011-03-15T17:00:00+00:00");
    assert_eq!(times[1].1, "2011-03-21T13:00:00+00:00");
    assert_eq!(times[2].1, "2011-03-23T10:00:00+00:00");
    assert_eq!(times[2].2, "2011-03-23T16:00:00+00:00");
    assert_eq!(
        times[3].1, "2011-04-15T10:00:00+01:00",
        "April is British Summer Time"
    );
    assert_eq!(body["items"][3]["venue"]["name"], "Swiss Cottage Library");
    assert_eq!(body["items"][3]["kind"], "seminar");
    // Upcoming-only by default: the 2011 events are past.
    let upcoming: Value = app.public_json("/api/v1/events").await;
    assert_eq!(upcoming["total"], 0);
}

#[test]
fn demo_prints_an_admin_password_that_works() {
    // In-process: the printed password comes from the same loader.
    let (db, url) = TestDb::create();
    let pool = llcp_hub::db::build_pool(&url, 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = pool.get().unwrap();
    llcp_hub::db::run_migrations(&mut conn).unwrap();
    let first = llcp_hub::demo::load(&mut conn).unwrap();
    let second = llcp_hub::demo::load(&mut conn).unwrap();
    assert_ne!(
        first.password, second.password,
        "a second run resets the password"
    );
    let admin = llcp_hub::repo::accounts::find_by_email(&mut conn, "admin@example.org")
        .unwrap()
        .unwrap();
    assert!(llcp_hub::auth::passwords::verify(&second.password, &admin.password_hash).unwrap());
    assert_eq!(
        llcp_hub::repo::events::count(&mut conn).unwrap(),
        4,
        "events load only once"
    );
    drop(conn);
    drop(db);
}
