//! Several llcp-hub processes on one database behave as one service.
//!
//! The instances run with PUBLIC_CACHE_TTL_MS=0: each worker's response cache would
//! otherwise let another instance lag a write by up to a second, and these tests read
//! through the public endpoints, as a borough site would, and expect the write at once.
//! Without TEST_DATABASE_URL they share one SQLite file, itself a real deployment shape.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

const UNCACHED: [(&str, &str); 1] = [("PUBLIC_CACHE_TTL_MS", "0")];

/// A fresh database with an admin, and `n` instances serving it.
async fn instances(n: usize) -> (TestDb, String, Vec<Hub>) {
    let (db, url) = shared_db();
    create_admin(&url);
    let hubs = join_all((0..n).map(|_| Hub::start(&url, &UNCACHED))).await;
    (db, url, hubs)
}

#[tokio::test]
async fn a_write_through_one_instance_is_read_through_another_at_once() {
    let (_db, _url, hubs) = instances(3).await;
    let (a, b, c) = (&hubs[0], &hubs[1], &hubs[2]);
    let admin = a.admin_token().await;

    let id = a.open_event(&admin, Some(30)).await;
    let (status, seen) = json_of(b.get(&format!("/api/v1/events/{id}")).send().await).await;
    assert_eq!(status, StatusCode::OK, "published on A, read on B: {seen}");
    assert_eq!(seen["title"], "Service specifications");

    let (status, edited) = json_of(
        b.patch(&format!("/api/v1/admin/events/{id}"))
            .bearer_auth(&admin)
            .json(&json!({"title": "Renamed on B"}))
            .send()
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "edit on B: {edited}");
    let (_, seen) = json_of(c.get(&format!("/api/v1/events/{id}")).send().await).await;
    assert_eq!(seen["title"], "Renamed on B", "edited on B, read on C");

    let (status, created) = json_of(c.registration_request(id, &person(1)).send().await).await;
    assert_eq!(status, StatusCode::CREATED, "register on C: {created}");
    let (_, seen) = json_of(a.get(&format!("/api/v1/events/{id}")).send().await).await;
    assert_eq!(seen["seats_remaining"], 29, "registered on C, counted on A");
    let registration = a
        .get_registration(&registration_id(&created), &manage_token(&created))
        .await;
    assert_eq!(
        registration.status(),
        StatusCode::OK,
        "C's manage token works on A"
    );
}

#[tokio::test]
async fn failed_logins_spread_over_instances_trip_the_throttle() {
    let (_db, _url, hubs) = instances(3).await;
    hubs[0].member_token("target@example.org").await;

    // Five failures is the per-account limit; no instance sees more than two of them.
    for attempt in 0..5 {
        let response = hubs[attempt % 3]
            .login("target@example.org", "not the right password")
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    for hub in &hubs {
        let response = hub.login("target@example.org", PASSWORD).await;
        assert_eq!(
            response.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "every instance counts the failures made on the others"
        );
        assert!(response.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
async fn a_refresh_token_rotated_on_one_instance_is_dead_on_the_other() {
    let (_db, _url, hubs) = instances(2).await;
    let (a, b) = (&hubs[0], &hubs[1]);
    a.member_token("rotating@example.org").await;
    let first = a.sign_in("rotating@example.org").await;

    let refresh = async |hub: &Hub, pair: &Value| {
        json_of(Ok(hub.refresh(&pair["refresh_token"]).await)).await
    };
    let (status, second) = refresh(a, &first).await;
    assert_eq!(status, StatusCode::OK, "rotated on A");
    let (status, problem) = refresh(b, &first).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the token A rotated is dead on B: {problem}"
    );
    // Presenting a rotated token ends its whole family, on every instance.
    let (status, _) = refresh(a, &second).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "B's reuse alarm ends the family on A"
    );

    let fresh = b.sign_in("rotating@example.org").await;
    let (status, rotated) = refresh(b, &fresh).await;
    assert_eq!(status, StatusCode::OK, "rotated on B");
    let me = async || {
        let request = a.get("/api/v1/me").bearer_auth(access_token(&rotated));
        request.send().await.unwrap().status()
    };
    assert_eq!(me().await, StatusCode::OK, "B's access token works on A");
    let (status, _) = refresh(a, &fresh).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the token B rotated is dead on A"
    );
    // The reuse ended the session, and with it its access tokens.
    assert_eq!(me().await, StatusCode::UNAUTHORIZED, "the session ended");
}

#[tokio::test]
async fn approve_and_reject_on_two_instances_at_once_one_wins() {
    let (_db, _url, hubs) = instances(3).await;
    let (a, b, c) = (&hubs[0], &hubs[1], &hubs[2]);
    let admin = a.admin_token().await;
    for round in 0..5 {
        let member = c
            .member_token(&format!("applicant{round}@example.org"))
            .await;
        let (status, application) = json_of(
            c.post("/api/v1/me/membership-application")
                .bearer_auth(&member)
                .json(&json!({
                    "statement": "I run the libraries service and would like to share our work.",
                    "organisation": "London Borough of Camden",
                    "borough": "camden",
                    "job_title": "Head of Libraries",
                }))
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "apply: {application}");
        let path = format!(
            "/api/v1/admin/membership-applications/{}",
            application["id"].as_str().unwrap()
        );

        let approve = a
            .post(&format!("{path}/approve"))
            .bearer_auth(&admin)
            .send();
        let reject = b
            .post(&format!("{path}/reject"))
            .bearer_auth(&admin)
            .json(&json!({"reason": "Please apply through your borough lead."}))
            .send();
        let (approved, rejected) = tokio::join!(approve, reject);
        let (approved, rejected) = (json_of(approved).await, json_of(rejected).await);
        let winner = match (approved.0, rejected.0) {
            (StatusCode::OK, StatusCode::CONFLICT) => {
                assert_eq!(rejected.1["type"], "/problems/application-decided");
                "approved"
            }
            (StatusCode::CONFLICT, StatusCode::OK) => {
                assert_eq!(approved.1["type"], "/problems/application-decided");
                "rejected"
            }
            other => panic!("round {round}: expected one 200 and one 409, got {other:?}"),
        };
        let (_, stored) = json_of(c.get(&path).bearer_auth(&admin).send().await).await;
        assert_eq!(
            stored["status"], winner,
            "round {round}: the winner's decision stands"
        );
    }
}

#[tokio::test]
async fn concurrent_registrations_across_instances_never_overbook() {
    let (_db, _url, hubs) = instances(3).await;
    let admin = hubs[0].admin_token().await;
    let event_id = hubs[0].open_event(&admin, Some(12)).await;

    let requests = (0..48).map(|i| {
        let request = hubs[i % 3]
            .registration_request(event_id, &person(i))
            .send();
        async move { json_of(request.await).await }
    });
    let results = join_all(requests).await;
    assert_never_overbooked(&results, 12);
    for hub in &hubs {
        let event = hub.admin_event(&admin, event_id).await;
        assert_eq!(event["registrations"]["confirmed"], 12);
        assert_eq!(event["registrations"]["waitlisted"], 36);
        assert_eq!(event["seats_remaining"], 0);
    }
}

/// The migration count each instance logged, summed.
fn migrations_applied(hubs: &[Hub]) -> usize {
    hubs.iter()
        .flat_map(|hub| {
            hub.log()
                .lines()
                .filter_map(|line| {
                    let (_, rest) = line.split_once("applied ")?;
                    rest.strip_suffix(" migration(s)")?.parse::<usize>().ok()
                })
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Starts `n` processes from threads released together, so that their migrations race.
fn spawn_at_once(n: usize, url: &str) -> Vec<Hub> {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|scope| {
        let spawned: Vec<_> = (0..n)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    Hub::spawn(url, &UNCACHED)
                })
            })
            .collect();
        spawned.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[tokio::test]
async fn three_instances_started_together_on_an_empty_database_migrate_once() {
    for round in 0..5 {
        let (_db, url) = shared_db();
        let mut hubs = spawn_at_once(3, &url);
        for hub in &mut hubs {
            hub.wait_ready().await;
        }
        let expected = migration_count(&url);
        assert_eq!(
            migrations_applied(&hubs),
            expected,
            "round {round}: each migration is applied by one instance only"
        );
        let mut conn = open_db(&url);
        let recorded = number(
            &mut conn,
            "SELECT CAST(COUNT(*) AS TEXT) AS value FROM __diesel_schema_migrations",
        );
        assert_eq!(recorded, expected as i64, "round {round}");
    }
}
