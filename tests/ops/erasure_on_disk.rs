//! After an erasure on SQLite, neither the database file nor its WAL holds the person's
//! email or name in any form: `secure_delete` zeroes freed space and a TRUNCATE
//! checkpoint empties the WAL, which still held the pages as they were.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

const EMAIL: &str = "Ottoline.Vandersteen@Lambeth.gov.uk";
const NAME: &str = "Ottoline Vandersteen";

/// Every place in the SQLite files where one of `needles` stands, as (file, needle).
fn copies_on_disk(db_path: &str, needles: &[String]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for file in [db_path.to_string(), format!("{db_path}-wal")] {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for needle in needles {
            if bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
            {
                found.push((file.clone(), needle.clone()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erased_person_is_not_readable_in_the_sqlite_files() {
    let (_db, url) = shared_db();
    let Some(db_path) = url.strip_prefix("sqlite://").map(str::to_string) else {
        eprintln!("SKIPPED erasure_on_disk: SQLite only (PostgreSQL is vacuumed, see docs)");
        return;
    };
    create_admin(&url);
    let hub = Hub::start(&url, &[]).await;
    let admin = hub.admin_token().await;
    let event_id = hub.open_event(&admin, Some(10)).await;
    let signed_up = hub
        .post("/api/v1/accounts")
        .json(
            &json!({"email": EMAIL, "password": PASSWORD, "full_name": NAME,
            "organisation": "London Borough of Lambeth"}),
        )
        .send()
        .await
        .expect("sign-up answered");
    assert_eq!(signed_up.status(), StatusCode::CREATED);
    let mut registration = person(1);
    registration["full_name"] = json!(NAME);
    registration["email"] = json!(EMAIL);
    let registered = hub.post_registration(event_id, &registration).await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    // Others keep registering, so the person's pages are rewritten more than once.
    for i in 2..40 {
        hub.post_registration(event_id, &person(i)).await;
    }
    let needles = [EMAIL.to_string(), EMAIL.to_lowercase(), NAME.to_string()];
    assert!(
        !copies_on_disk(&db_path, &needles).is_empty(),
        "the person is on disk before the erasure (else this test proves nothing)"
    );

    let erased = hub
        .post("/api/v1/admin/personal-data/erase")
        .bearer_auth(&admin)
        .json(&json!({"email": EMAIL}))
        .send()
        .await
        .expect("erasure answered");
    assert_eq!(erased.status(), StatusCode::OK);

    let copies = copies_on_disk(&db_path, &needles);
    assert!(
        copies.is_empty(),
        "still on disk after the erasure: {copies:?}"
    );
}
