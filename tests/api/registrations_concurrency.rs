//! Capacity and the waiting list under concurrency: no overbooking, fair order, no 5xx.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Api, TestApp, assert_never_overbooked, json_of, person, spawn_app_with};

async fn busy_app() -> TestApp {
    // Generous pool waits: hundreds of requests queue for a handful of connections.
    spawn_app_with(|s| s.pool_timeout = std::time::Duration::from_secs(60)).await
}

async fn register_many(
    app: &TestApp,
    event_id: i64,
    people: std::ops::Range<usize>,
) -> Vec<(StatusCode, Value)> {
    let requests = people.map(|i| {
        let request = app.registration_request(event_id, &person(i)).send();
        async move { json_of(request.await).await }
    });
    join_all(requests).await
}

async fn all_registrations(app: &TestApp, admin: &str, event_id: i64, status: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut offset = 0;
    loop {
        let page: Value = app.get_json(admin, &format!(
                "/api/v1/admin/events/{event_id}/registrations?status={status}&limit=100&offset={offset}"
            )).await;
        let batch = page["items"].as_array().unwrap().clone();
        offset += batch.len();
        let done = batch.is_empty() || offset as i64 >= page["total"].as_i64().unwrap();
        items.extend(batch);
        if done {
            return items;
        }
    }
}

#[tokio::test]
async fn two_hundred_concurrent_registrations_for_fifty_seats_never_overbook() {
    let app = busy_app().await;
    let admin = app.admin_token().await;
    let event_id = app.open_event(&admin, Some(50)).await;

    let results = register_many(&app, event_id, 0..200).await;
    assert_never_overbooked(&results, 50);

    // The stored state agrees: 50 seats taken, positions 1..150 in arrival order.
    let event = app.admin_event(&admin, event_id).await;
    assert_eq!(event["registrations"]["confirmed"], 50);
    assert_eq!(event["registrations"]["waitlisted"], 150);
    assert_eq!(event["seats_remaining"], 0);
    let waitlisted = all_registrations(&app, &admin, event_id, "waitlisted").await;
    let listed: Vec<i64> = waitlisted
        .iter()
        .map(|r| r["waitlist_position"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, (1..=150).collect::<Vec<_>>());
    // Each registrant was told the position the list now shows.
    for (_, created) in results.iter().filter(|(_, b)| b["status"] == "waitlisted") {
        let listed = waitlisted
            .iter()
            .find(|r| r["id"] == created["id"])
            .unwrap();
        assert_eq!(listed["waitlist_position"], created["waitlist_position"]);
    }
}

#[tokio::test]
async fn twenty_concurrent_cancellations_promote_twenty_in_order() {
    let app = busy_app().await;
    let admin = app.admin_token().await;
    let event_id = app.open_event(&admin, Some(50)).await;
    let confirmed = register_many(&app, event_id, 0..50).await;
    // The waiting list fills one by one, so its order is known.
    let mut waiting = Vec::new();
    for i in 50..80 {
        let (status, body) = register_many(&app, event_id, i..i + 1).await.remove(0);
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["waitlist_position"], (i - 49) as i64);
        waiting.push(body);
    }

    let cancellations = confirmed[..20]
        .iter()
        .map(|(_, body)| app.cancel_registration(body));
    join_all(cancellations).await;

    let now_confirmed: BTreeSet<String> = all_registrations(&app, &admin, event_id, "confirmed")
        .await
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(now_confirmed.len(), 50, "never more than capacity");
    for promoted in &waiting[..20] {
        assert!(
            now_confirmed.contains(promoted["id"].as_str().unwrap()),
            "the first 20 in line are promoted"
        );
    }
    let still_waiting = all_registrations(&app, &admin, event_id, "waitlisted").await;
    let ids: Vec<&str> = still_waiting
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = waiting[20..]
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, expected, "the rest keep their order");
    let positions: Vec<i64> = still_waiting
        .iter()
        .map(|r| r["waitlist_position"].as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=10).collect::<Vec<_>>(),
        "positions close up"
    );
}

#[tokio::test]
async fn two_concurrent_identical_registrations_give_one_201_and_one_409() {
    let app = busy_app().await;
    let admin = app.admin_token().await;
    let event_id = app.open_event(&admin, Some(50)).await;
    for round in 0..5 {
        let send = || app.registration_request(event_id, &person(round)).send();
        let (a, b) = tokio::join!(send(), send());
        let mut statuses = vec![a.unwrap().status(), b.unwrap().status()];
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::CREATED, StatusCode::CONFLICT],
            "round {round}"
        );
    }
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_register_once() {
    let app = busy_app().await;
    let admin = app.admin_token().await;
    let event_id = app.open_event(&admin, Some(50)).await;
    let send = || {
        app.registration_request(event_id, &person(1))
            .header("Idempotency-Key", "retry-7f3a")
            .send()
    };
    let responses = join_all((0..5).map(|_| send())).await;
    let mut ids = BTreeSet::new();
    for response in responses {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        ids.insert(body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 1, "one registration, returned to every retry");
}
