//! Which requests make cached public answers stale. With a TTL long enough never to
//! end during a test, each committed change of public data (an edit, a publish, a
//! cancel, a registration, a cancellation, a bulletin) shows in the very next read,
//! and requests that change nothing public (rejected POSTs, sign-ins, refreshes, admin
//! reads, sign-ups, membership applications) leave every cached answer in place.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

async fn hub_with_long_cache() -> TestApp {
    spawn_app_with(|s| s.public_cache_ttl = Duration::from_secs(60)).await
}

/// A counter from /metrics (the test client is a loopback peer).
async fn metric(app: &TestApp, name: &str) -> u64 {
    let text = app.get_text("/metrics").await;
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in {text}"))
        .trim()
        .parse()
        .unwrap()
}

fn listed<'a>(listing: &'a Value, id: &Value) -> Option<&'a Value> {
    listing["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == *id)
}

#[tokio::test]
async fn each_committed_public_change_shows_in_the_next_read() {
    let app = hub_with_long_cache().await;
    let admin = app.admin_token().await;
    let event = app
        .published_event(&admin, &event_body("Freshness workshop", 10))
        .await;
    let id = event["id"].clone();
    let page = format!("/api/v1/events/{id}");
    let listing = || app.public_json("/api/v1/events");
    assert_eq!(
        listed(&listing().await, &id).unwrap()["seats_remaining"],
        30
    );
    app.public_json(&page).await;

    // An edit.
    let patch = json!({"title": "Renamed workshop"});
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/admin/events/{id}"),
            &admin,
            Some(&patch),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        listed(&listing().await, &id).unwrap()["title"],
        "Renamed workshop"
    );
    assert_eq!(app.public_json(&page).await["title"], "Renamed workshop");

    // A registration, then its cancellation.
    let ada = app.register_email(&id, "ada@camden.gov.uk").await;
    assert_eq!(
        listed(&listing().await, &id).unwrap()["seats_remaining"],
        29
    );
    assert_eq!(app.public_json(&page).await["seats_remaining"], 29);
    let cancelled = app
        .manage_registration(Method::DELETE, &registration_id(&ada), &manage_token(&ada))
        .await;
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        listed(&listing().await, &id).unwrap()["seats_remaining"],
        30
    );
    assert_eq!(app.public_json(&page).await["seats_remaining"], 30);

    // A publish.
    let other = app
        .published_event(&admin, &event_body("Second workshop", 11))
        .await;
    assert!(listed(&listing().await, &other["id"]).is_some());

    // A cancel.
    let cancel = app
        .send_json(
            Method::POST,
            &format!("/api/v1/admin/events/{id}/cancel"),
            &admin,
            Some(&json!({"reason": "The venue is closed."})),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);
    assert_eq!(
        listed(&listing().await, &id).unwrap()["status"],
        "cancelled"
    );
    assert_eq!(app.public_json(&page).await["status"], "cancelled");
}

#[tokio::test]
async fn requests_that_change_nothing_public_leave_every_cached_answer_in_place() {
    use diesel::RunQueryDsl;
    let app = hub_with_long_cache().await;
    let admin = app.admin_token().await;
    let member = app.member_token().await;
    let event = app
        .published_event(&admin, &event_body("Cached workshop", 10))
        .await;
    let id = event["id"].clone();
    let page = format!("/api/v1/events/{id}");
    app.public_json("/api/v1/events").await;
    app.public_json(&page).await;
    let refills = metric(&app, "llcp_public_cache_refills_total").await;
    let changes = metric(&app, "llcp_public_changes_total").await;

    // Changed behind the hub's back: a refill would show it.
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(format!(
        "UPDATE events SET title = 'Changed elsewhere', sequence = sequence + 1 WHERE id = {id}"
    ))
    .execute(&mut conn)
    .unwrap();
    drop(conn);

    let malformed = app
        .send_raw(
            Method::POST,
            &format!("/api/v1/events/{id}/registrations"),
            None,
            ("application/json", "{\"full_name\":".into()),
        )
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let invalid = app
        .post_registration(&id, &registration("", "not an address"))
        .await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = app.login("admin@example.org", "not the password").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let pair = app.sign_in("admin@example.org").await;
    assert_eq!(
        app.refresh(&pair["refresh_token"]).await.status(),
        StatusCode::OK
    );
    app.get_json(&admin, &format!("/api/v1/admin/events/{id}"))
        .await;
    let signup = json!({"email": "new@camden.gov.uk", "password": PASSWORD,
        "full_name": "New Person", "organisation": "London Borough of Camden"});
    assert_eq!(app.sign_up(&signup).await.status(), StatusCode::CREATED);
    let applied = app.apply(&member, &membership_application()).await;
    assert_eq!(applied.status(), StatusCode::CREATED);

    assert_eq!(
        app.public_json(&page).await["title"],
        "Cached workshop",
        "still answered from the cache"
    );
    let listing = app.public_json("/api/v1/events").await;
    assert_eq!(listed(&listing, &id).unwrap()["title"], "Cached workshop");
    assert_eq!(
        metric(&app, "llcp_public_cache_refills_total").await,
        refills
    );
    assert_eq!(metric(&app, "llcp_public_changes_total").await, changes);
}

#[tokio::test]
async fn on_postgresql_a_change_through_one_instance_reaches_anothers_cache_within_a_second() {
    let (db, url) = TestDb::create();
    if !url.is_postgres() {
        // SQLite has no channel between instances: their TTL bounds it (public_http.rs).
        return;
    }
    let long_cache = |s: &mut llcp_hub::config::Settings| {
        s.public_cache_ttl = Duration::from_secs(60);
    };
    let mut second_settings = test_settings(url.clone());
    long_cache(&mut second_settings);
    let app = spawn_app_on(db, url, long_cache).await;
    let second = llcp_hub::app::Application::build(second_settings).unwrap();
    let second_hub = HubAt {
        client: app.client.clone(),
        base: format!("http://127.0.0.1:{}", second.port()),
    };
    let second_handle = second.handle();
    tokio::spawn(second.run_until_stopped());

    let admin = app.admin_token().await;
    let event = app
        .published_event(&admin, &event_body("Before the edit", 10))
        .await;
    let path = format!("/api/v1/events/{}", event["id"]);
    let title = || async { second_hub.public_json(&path).await["title"].clone() };
    assert_eq!(title().await, "Before the edit");

    let patch = json!({"title": "After the edit"});
    let edited = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/admin/events/{}", event["id"]),
            &admin,
            Some(&patch),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let started = std::time::Instant::now();
    while title().await != "After the edit" {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the other instance still answered the old title after 1 s of a 60 s TTL"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(second_handle.stop(false));
}

/// The public listing and event page copy each event's JSON from a fragment rendered
/// once per version; they must read exactly as the event built field by field (the
/// admin view, which has no fragment), whatever state the event is in.
#[tokio::test]
async fn the_public_json_from_fragments_matches_the_event_built_field_by_field() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let soon = chrono::Utc::now() + chrono::Duration::days(3);
    let mut bodies = Vec::new();
    let mut full = event_body("Full workshop", 5);
    full["capacity"] = json!(1);
    bodies.push(full);
    let mut unlimited = event_body("Open to all", 6);
    unlimited["capacity"] = Value::Null;
    bodies.push(unlimited);
    let mut later = event_body("Opens later", 20);
    later["registration"] = json!({"opens_at": (soon).to_rfc3339(), "email_confirmation": true});
    bodies.push(later);
    let mut drop_in = event_body("Drop-in", 8);
    drop_in["registration"] = json!({"required": false});
    drop_in["timezone"] = json!("America/New_York");
    bodies.push(drop_in);
    bodies.push(event_body("To be cancelled", 9));
    let mut ids = Vec::new();
    for body in &bodies {
        ids.push(app.published_event(&admin, body).await["id"].clone());
    }
    app.register_email(&ids[0], "ada@camden.gov.uk").await;
    let cancel = app
        .send_json(
            Method::POST,
            &format!("/api/v1/admin/events/{}/cancel", ids[4]),
            &admin,
            Some(&json!({"reason": "The venue is closed."})),
        )
        .await;
    assert_eq!(cancel.status(), StatusCode::OK);

    let listing = app.public_json("/api/v1/events").await;
    assert_eq!(listing["total"], 5);
    for id in &ids {
        let mut built = app
            .get_json(&admin, &format!("/api/v1/admin/events/{id}"))
            .await;
        built.as_object_mut().unwrap().remove("registrations");
        let page = app.public_json(&format!("/api/v1/events/{id}")).await;
        assert_eq!(page, built, "event {id}");
        assert_eq!(listed(&listing, id), Some(&built), "listed event {id}");
    }
}
