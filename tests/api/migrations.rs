use std::collections::BTreeSet;

use crate::helpers::{Api, TestDb, event_body, event_id};

fn versions(backend: &str) -> BTreeSet<String> {
    let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    entry.path().join(file).exists(),
                    "{:?} lacks {file}",
                    entry.path()
                );
            }
            entry.file_name().to_string_lossy().to_string()
        })
        .collect()
}

#[test]
fn both_backends_have_the_same_migration_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

#[test]
fn migrations_revert_and_reapply_cleanly() {
    let (_db, url) = TestDb::create();
    let pool = llcp_hub::db::build_pool(&url, 1, std::time::Duration::from_secs(5)).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = llcp_hub::db::run_migrations(&mut conn).unwrap();
    assert_eq!(applied, versions("sqlite").len());
    assert_eq!(
        llcp_hub::db::revert_all_migrations(&mut conn).unwrap(),
        applied
    );
    assert_eq!(llcp_hub::db::run_migrations(&mut conn).unwrap(), applied);
    assert_eq!(
        llcp_hub::db::run_migrations(&mut conn).unwrap(),
        0,
        "nothing pending the second time"
    );
}

/// Reverting the email-confirmation migration with a hold outstanding cancels the hold,
/// gives its seat back and drops its unsent link, within the earlier schema's rules.
#[tokio::test]
async fn reverting_with_a_hold_outstanding_cancels_it_and_gives_its_seat_back() {
    let (app, admin) = crate::helpers::with_admin().await;
    let mut body = event_body("Held workshop", 10);
    body["capacity"] = serde_json::json!(1);
    body["registration"] = serde_json::json!({"email_confirmation": true});
    let event = event_id(&app.published_event(&admin, &body).await);
    let held = app.register_email(event, "ada@camden.gov.uk").await;
    assert_eq!(held["status"], "pending_confirmation");

    let mut conn = app.pool.get().unwrap();
    llcp_hub::db::revert_last_migration(&mut conn).unwrap();
    drop(conn);
    let texts = |sql: &str| app.db_texts(sql);
    assert_eq!(
        texts("SELECT status AS value FROM registrations"),
        ["cancelled"]
    );
    assert_eq!(
        texts("SELECT CAST(seats_taken AS TEXT) AS value FROM events"),
        ["0"]
    );
    assert!(texts("SELECT template AS value FROM notifications WHERE sent_at IS NULL").is_empty());
}
