//! `kill -9` in the middle of a burst of registrations on SQLite: whatever was
//! acknowledged survives, and the file is sound.
//!
//! SQLite only (whatever TEST_DATABASE_URL says): the file is the service's own store,
//! while PostgreSQL's durability is the server's, tested by stopping it instead.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

const CAPACITY: i64 = 25;
const CLIENTS: usize = 8;

/// Registers one person after another until the hub stops answering.
async fn register_until_killed(
    client: reqwest::Client,
    url: String,
    next: Arc<AtomicUsize>,
    acknowledged: Arc<Mutex<Vec<String>>>,
) {
    loop {
        let i = next.fetch_add(1, Ordering::SeqCst);
        let Ok(response) = client.post(&url).json(&person(i)).send().await else {
            return;
        };
        if response.status() == StatusCode::CREATED {
            let Ok(body) = response.json::<Value>().await else {
                return;
            };
            if let Some(id) = body["id"].as_str() {
                acknowledged.lock().unwrap().push(id.to_string());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_of_registrations_loses_no_acknowledged_one() {
    let (db, url) = TestDb::sqlite();
    let url = db.url_for_cli(&url);
    create_admin(&url);
    let mut hub = Hub::start(&url, &[]).await;
    let admin = hub.admin_token().await;
    let event_id = hub.open_event(&admin, Some(CAPACITY)).await;

    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let registrations = hub.url(&format!("/api/v1/events/{event_id}/registrations"));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            tokio::spawn(register_until_killed(
                hub.client.clone(),
                registrations.clone(),
                next.clone(),
                acknowledged.clone(),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    hub.kill();
    for client in clients {
        client.await.expect("client");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let restarted = Hub::start(&url, &[]).await;
    let mut conn = open_db(&url);
    assert_eq!(
        texts(
            &mut conn,
            "SELECT integrity_check AS value FROM pragma_integrity_check()"
        ),
        ["ok"]
    );
    let stored = texts(
        &mut conn,
        &format!("SELECT id AS value FROM registrations WHERE event_id = {event_id}"),
    );
    for id in &acknowledged {
        assert!(
            stored.contains(id),
            "acknowledged registration {id} is missing"
        );
    }
    let confirmed = number(
        &mut conn,
        &format!(
            "SELECT CAST(COUNT(*) AS TEXT) AS value FROM registrations WHERE event_id = {event_id} AND status = 'confirmed'"
        ),
    );
    assert!(
        confirmed <= CAPACITY,
        "{confirmed} confirmed for {CAPACITY} seats"
    );
    let seats_taken = number(
        &mut conn,
        &format!("SELECT CAST(seats_taken AS TEXT) AS value FROM events WHERE id = {event_id}"),
    );
    assert_eq!(
        seats_taken, confirmed,
        "the seat count agrees with the confirmed registrations"
    );

    // The restarted service serves the same truth.
    let admin = restarted.admin_token().await;
    let event = restarted.admin_event(&admin, event_id).await;
    assert_eq!(event["registrations"]["confirmed"], confirmed);
    assert_eq!(event["seats_remaining"], CAPACITY - confirmed);
}
