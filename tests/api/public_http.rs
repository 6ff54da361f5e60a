//! Caching and cross-origin rules of public GETs.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use llcp_hub::app::Application;

use crate::helpers::*;

#[tokio::test]
async fn public_gets_carry_a_strong_etag_and_a_shared_cache_control() {
    let app = spawn_app().await;
    for path in [
        "/api/v1/events",
        "/api/v1/boroughs",
        "/api/v1/community/stats",
    ] {
        let response = app.get(path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let etag = response.headers()["etag"].to_str().unwrap();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
            "{path}: {etag}"
        );
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .starts_with("public, max-age="),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_matching_if_none_match_is_answered_304_without_a_body() {
    let app = spawn_app().await;
    let etag = app.etag_of("/api/v1/events").await;
    let again = app.get_if_none_match("/api/v1/events", &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = app.get_if_none_match("/api/v1/events", "\"stale\"").await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_etag_changes_as_soon_as_an_admin_changes_the_content() {
    let (app, admin) = with_admin().await;
    let event = app
        .published_event(&admin, &event_body("Workshop", 7))
        .await;
    let path = format!("/api/v1/events/{}", event["slug"].as_str().unwrap());
    let before = app.etag_of(&path).await;
    retitle(&app, &admin, &event, "Renamed workshop").await;
    assert_new_etag(&app, &path, &before).await;
}

/// Renames the event as admin (200 asserted).
async fn retitle(app: &TestApp, admin: &str, event: &Value, title: &str) {
    let path = format!("/api/v1/admin/events/{}", event["id"]);
    let patch = json!({ "title": title });
    let response = app
        .send_json(Method::PATCH, &path, admin, Some(&patch))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "rename");
}

/// Asserts that the path's old ETag no longer matches: a 200 with a new tag; its JSON.
async fn assert_new_etag(hub: &impl Api, path: &str, old: &str) -> Value {
    let after = hub.get_if_none_match(path, old).await;
    assert_eq!(
        after.status(),
        StatusCode::OK,
        "the old tag no longer matches"
    );
    let new = header(&after, "etag");
    assert!(!new.is_empty() && new != old, "{new:?} after {old:?}");
    after.json().await.unwrap()
}

#[tokio::test]
async fn public_gets_allow_any_origin_without_credentials() {
    let app = spawn_app().await;
    let response = app.get_cross_origin("/api/v1/events").await;
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(!has_header(&response, "access-control-allow-credentials"));
    let preflight = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/events"))
        .header("Origin", "https://www.camden.gov.uk")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
}

#[tokio::test]
async fn private_paths_grant_nothing_cross_origin() {
    let (app, admin) = with_admin().await;
    for path in [
        "/api/v1/admin/events",
        "/api/v1/me",
        "/api/v1/auth/token",
        "/api/v1/admin/audit-log",
    ] {
        let preflight = app
            .client
            .request(Method::OPTIONS, app.url(path))
            .header("Origin", "https://evil.example")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
            .await
            .unwrap();
        let allowed = has_header(&preflight, "access-control-allow-origin");
        assert!(!allowed, "{path}");
    }
    let response = app
        .get("/api/v1/admin/events")
        .bearer_auth(&admin)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!has_header(&response, "access-control-allow-origin"));
    assert!(
        response.headers().get("etag").is_none(),
        "private responses are not tagged for shared caches"
    );
}

#[tokio::test]
async fn an_event_and_its_calendar_carry_last_modified() {
    let (app, admin) = with_admin().await;
    let event = app
        .published_event(&admin, &event_body("Workshop with a date", 10))
        .await;
    let slug = event["slug"].as_str().unwrap();
    for path in [
        format!("/api/v1/events/{slug}"),
        format!("/api/v1/events/{slug}/ics"),
    ] {
        let response = app.get(&path).send().await.unwrap();
        let value = response.headers()["last-modified"].to_str().unwrap();
        assert!(
            value.ends_with(" GMT") && httpdate_year(value) >= 2026,
            "{path}: {value}"
        );
    }
}

/// The year of an IMF-fixdate such as `Sat, 28 Nov 2026 16:27:22 GMT`.
fn httpdate_year(value: &str) -> i32 {
    value.split(' ').nth(3).unwrap().parse().unwrap()
}

#[tokio::test]
async fn another_instance_on_the_same_database_serves_a_change_within_a_second() {
    let (db, url) = TestDb::create();
    let second_settings = test_settings(url.clone());
    let app = spawn_app_on(db, url, |_| {}).await;
    let second = Application::build(second_settings).unwrap();
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
    let etag = second_hub.etag_of(&path).await;

    retitle(&app, &admin, &event, "After the edit").await;
    // The second instance may answer from its cache for up to its TTL, under a second.
    tokio::time::sleep(llcp_hub::http::response_cache::DEFAULT_TTL).await;

    let body = assert_new_etag(&second_hub, &path, &etag).await;
    assert_eq!(body["title"], "After the edit");
    let embed = second_hub.get_text("/embed/events").await;
    assert!(embed.contains("After the edit"));
    drop(second_handle.stop(false));
}

#[tokio::test]
async fn public_gets_are_answered_from_memory_until_this_instance_writes() {
    use diesel::RunQueryDsl;
    // A long TTL, so that only a write ends the entry.
    let app = spawn_app_with(|s| {
        s.workers = Some(1);
        s.public_cache_ttl = std::time::Duration::from_secs(60);
    })
    .await;
    let admin = app.admin_token().await;
    let event = app
        .published_event(&admin, &event_body("Cached workshop", 10))
        .await;
    let path = format!("/api/v1/events/{}", event["id"]);
    let title = |app_path: String| {
        let request = app.get(&app_path);
        async move {
            let body: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
            body["title"].as_str().unwrap().to_string()
        }
    };
    assert_eq!(title(path.clone()).await, "Cached workshop");

    // A change this instance did not make (as if through another instance, which bumps
    // the event's version as every write of it does).
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(format!(
        "UPDATE events SET title = 'Changed elsewhere', sequence = sequence + 1 WHERE id = {}",
        event["id"]
    ))
    .execute(&mut conn)
    .unwrap();
    drop(conn);
    assert_eq!(
        title(path.clone()).await,
        "Cached workshop",
        "served from memory"
    );

    // A change of public data through this instance makes every cached answer stale at
    // once.
    app.register_email(&event["id"], "ada@camden.gov.uk").await;
    assert_eq!(title(path).await, "Changed elsewhere");
}

#[tokio::test]
async fn a_cached_answer_still_honours_if_none_match_and_cors() {
    let app = spawn_app_with(|s| s.workers = Some(1)).await;
    let etag = app.etag_of("/api/v1/boroughs").await;
    let again = app
        .get("/api/v1/boroughs")
        .header("If-None-Match", &etag)
        .header("Origin", "https://www.camden.gov.uk")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "etag"), etag);
    assert_eq!(again.headers()["access-control-allow-origin"], "*");
    assert!(again.headers().get("x-request-id").is_some());
}
