//! Capacity and the waiting list under concurrency: no overbooking, fair order, no 5xx.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp, event_body, spawn_app_with};

async fn busy_app() -> TestApp {
    // Generous pool waits: hundreds of requests queue for a handful of connections.
    spawn_app_with(|s| s.pool_timeout = std::time::Duration::from_secs(60)).await
}

fn person(i: usize) -> Value {
    json!({
        "full_name": format!("Officer {i}"),
        "email": format!("officer{i}@camden.gov.uk"),
        "organisation": "London Borough of Camden",
        "consent": true,
    })
}

async fn workshop(app: &TestApp, admin: &str, capacity: i64) -> i64 {
    let mut body = event_body("Busy workshop", 10);
    body["capacity"] = json!(capacity);
    app.published_event(admin, &body).await["id"]
        .as_i64()
        .unwrap()
}

async fn register_many(
    app: &TestApp,
    event_id: i64,
    people: std::ops::Range<usize>,
) -> Vec<(StatusCode, Value)> {
    let requests = people.map(|i| {
        let request = app
            .post(&format!("/api/v1/events/{event_id}/registrations"))
            .json(&person(i))
            .send();
        async move {
            let response = request.await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    });
    join_all(requests).await
}

async fn all_registrations(app: &TestApp, admin: &str, event_id: i64, status: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut offset = 0;
    loop {
        let page: Value = app
            .get(&format!(
                "/api/v1/admin/events/{event_id}/registrations?status={status}&limit=100&offset={offset}"
            ))
            .bearer_auth(admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
    let event_id = workshop(&app, &admin, 50).await;

    let results = register_many(&app, event_id, 0..200).await;
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
    }
    let confirmed = results
        .iter()
        .filter(|(_, b)| b["status"] == "confirmed")
        .count();
    assert_eq!(confirmed, 50);
    let positions: BTreeSet<i64> = results
        .iter()
        .filter(|(_, b)| b["status"] == "waitlisted")
        .map(|(_, b)| b["waitlist_position"].as_i64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=150).collect(),
        "distinct and contiguous positions"
    );

    // The stored state agrees: 50 seats taken, positions 1..150 in arrival order.
    let event: Value = app
        .get(&format!("/api/v1/admin/events/{event_id}"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
    let event_id = workshop(&app, &admin, 50).await;
    let confirmed = register_many(&app, event_id, 0..50).await;
    // The waiting list fills one by one, so its order is known.
    let mut waiting = Vec::new();
    for i in 50..80 {
        let (status, body) = register_many(&app, event_id, i..i + 1).await.remove(0);
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(body["waitlist_position"], (i - 49) as i64);
        waiting.push(body);
    }

    let cancellations = confirmed[..20].iter().map(|(_, body)| {
        app.delete(&format!(
            "/api/v1/registrations/{}",
            body["id"].as_str().unwrap()
        ))
        .header("X-Manage-Token", body["manage_token"].as_str().unwrap())
        .send()
    });
    for response in join_all(cancellations).await {
        assert_eq!(response.unwrap().status(), StatusCode::NO_CONTENT);
    }

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
    let event_id = workshop(&app, &admin, 50).await;
    for round in 0..5 {
        let send = || {
            app.post(&format!("/api/v1/events/{event_id}/registrations"))
                .json(&person(round))
                .send()
        };
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
    let event_id = workshop(&app, &admin, 50).await;
    let send = || {
        app.post(&format!("/api/v1/events/{event_id}/registrations"))
            .header("Idempotency-Key", "retry-7f3a")
            .json(&person(1))
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
