//! Event drafting and publishing for admins: access, creation and its validation, the
//! admin listing, merge-patch edits, publishing, cancelling and deleting.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const EVENTS: &str = "/api/v1/admin/events";

fn event_path(id: i64) -> String {
    format!("{EVENTS}/{id}")
}

async fn create(app: &TestApp, token: &str, body: &Value) -> Response {
    app.send_json(Method::POST, EVENTS, token, Some(body)).await
}

async fn admin_get(app: &TestApp, token: &str, id: i64) -> Response {
    app.send_json(Method::GET, &event_path(id), token, None)
        .await
}

async fn patch(app: &TestApp, token: &str, id: i64, body: &Value) -> Response {
    app.send_json(Method::PATCH, &event_path(id), token, Some(body))
        .await
}

/// A merge patch that must succeed; returns the edited event.
async fn patched(app: &TestApp, token: &str, id: i64, body: &Value) -> Value {
    let response = patch(app, token, id, body).await;
    expect_json(response, StatusCode::OK, &format!("patch {body}")).await
}

async fn publish(app: &TestApp, token: &str, id: i64) -> Response {
    app.send_json(
        Method::POST,
        &format!("{}/publish", event_path(id)),
        token,
        None,
    )
    .await
}

async fn cancel(app: &TestApp, token: &str, id: i64, body: &Value) -> Response {
    app.send_json(
        Method::POST,
        &format!("{}/cancel", event_path(id)),
        token,
        Some(body),
    )
    .await
}

async fn delete(app: &TestApp, token: &str, id: i64) -> Response {
    app.send_json(Method::DELETE, &event_path(id), token, None)
        .await
}

fn reason() -> Value {
    json!({"reason": "The venue is closed for repairs."})
}

/// A draft "Community engagement" event, ten days ahead; its id.
async fn draft(app: &TestApp, token: &str) -> i64 {
    event_id(
        &app.create_event(token, &event_body("Community engagement", 10))
            .await,
    )
}

/// The same, published.
async fn published(app: &TestApp, token: &str) -> i64 {
    event_id(
        &app.published_event(token, &event_body("Community engagement", 10))
            .await,
    )
}

/// The event body with one member replaced.
fn body_with(key: &str, value: Value) -> Value {
    let mut body = event_body("Community engagement", 10);
    body[key] = value;
    body
}

/// The public listing's titles, past events included.
async fn public_titles(app: &TestApp) -> Vec<String> {
    let response = app
        .get("/api/v1/events?from=2011-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let titles = strings_of(array(&body["items"]), "title");
    titles.into_iter().map(String::from).collect()
}

// --- access ---------------------------------------------------------------------------

/// One request to each admin event endpoint, with a well-formed body where one is due.
fn every_admin_request(app: &TestApp, id: i64) -> Vec<(String, RequestBuilder)> {
    let path = event_path(id);
    vec![
        (format!("GET {EVENTS}"), app.get(EVENTS)),
        (
            format!("POST {EVENTS}"),
            app.post(EVENTS).json(&event_body("Sneaky event", 10)),
        ),
        (format!("GET {path}"), app.get(&path)),
        (
            format!("PATCH {path}"),
            app.patch(&path).json(&json!({"title": "Hijacked"})),
        ),
        (format!("DELETE {path}"), app.delete(&path)),
        (
            format!("POST {path}/publish"),
            app.post(&format!("{path}/publish")),
        ),
        (
            format!("POST {path}/cancel"),
            app.post(&format!("{path}/cancel")).json(&reason()),
        ),
    ]
}

/// The only event is still the untouched draft.
async fn assert_untouched(app: &TestApp, token: &str, id: i64) {
    let event = app.admin_event(token, id).await;
    assert_eq!(event["title"], "Community engagement");
    assert_eq!(event["published_at"], Value::Null);
    assert_eq!(event["status"], "scheduled");
    let response = app.get(EVENTS).bearer_auth(token).send().await.unwrap();
    let list: Value = response.json().await.unwrap();
    assert_eq!(list["total"], 1, "no event was created: {list}");
}

/// Who sends the admin requests when they are refused.
enum Caller {
    Anonymous,
    InvalidToken,
    Member,
}

/// Sends every admin event request to a draft as the caller; asserts each is refused
/// (a member with 403 `admin-only`, the others with a 401 bearer challenge) and that the
/// draft is left untouched.
async fn assert_every_admin_request_refused(caller: Caller) {
    let (app, token) = with_admin().await;
    let member = app.member_token().await;
    let id = draft(&app, &token).await;

    for (name, request) in every_admin_request(&app, id) {
        let request = match caller {
            Caller::Anonymous => request,
            Caller::InvalidToken => request.bearer_auth("not-a-token"),
            Caller::Member => request.bearer_auth(&member),
        };
        let response = request.send().await.unwrap();
        if let Caller::Member = caller {
            assert_problem_in(&name, response, StatusCode::FORBIDDEN, "admin-only").await;
        } else {
            assert_bearer_challenge(&name, response).await;
        }
    }
    assert_untouched(&app, &token, id).await;
}

#[tokio::test]
async fn admin_endpoints_without_a_token_are_401_with_www_authenticate() {
    assert_every_admin_request_refused(Caller::Anonymous).await;
}

#[tokio::test]
async fn admin_endpoints_with_an_invalid_token_are_401() {
    assert_every_admin_request_refused(Caller::InvalidToken).await;
}

#[tokio::test]
async fn admin_endpoints_refuse_members_with_403() {
    assert_every_admin_request_refused(Caller::Member).await;
}

#[tokio::test]
async fn members_get_403_before_their_body_is_looked_at() {
    let (app, token) = with_admin().await;
    let member = app.member_token().await;
    let id = draft(&app, &token).await;

    // Whatever is wrong with the body, a member learns only that the endpoint is not
    // theirs (and never which fields it wants).
    let bodies = [
        ("text/plain", "hello"),
        ("application/json", r#"{"title": "#),
        ("application/json", r#"{"title": "x"}"#),
    ];
    for (path, method) in [
        (EVENTS.to_string(), Method::POST),
        (event_path(id), Method::PATCH),
    ] {
        for (content_type, body) in bodies {
            let raw = (content_type, body.to_string());
            let response = app
                .send_raw(method.clone(), &path, Some(&member), raw)
                .await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} as a member with {content_type} {body:?}"
            );
        }
    }
}

// --- create -------------------------------------------------------------------------------

#[tokio::test]
async fn create_is_201_with_location_and_an_unpublished_draft() {
    let (app, token) = with_admin().await;

    let response = create(&app, &token, &event_body("Community engagement", 10)).await;

    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string();
    let event: Value = response.json().await.unwrap();
    assert_eq!(location, event_path(event_id(&event)));
    assert_eq!(event["published_at"], Value::Null);
    assert_eq!(event["status"], "scheduled");
    assert_eq!(event["title"], "Community engagement");
    // The Location is where the draft can be read back.
    let response = app.get(&location).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let read_back: Value = response.json().await.unwrap();
    assert_eq!(read_back, event);
}

#[tokio::test]
async fn the_slug_is_made_from_the_title() {
    let (app, token) = with_admin().await;

    let event = app
        .create_event(
            &token,
            &event_body("Community engagement (LCIP workshop)", 10),
        )
        .await;

    assert_eq!(event["slug"], "community-engagement-lcip-workshop");
}

#[tokio::test]
async fn a_second_event_with_the_same_title_gets_a_numbered_slug() {
    let (app, token) = with_admin().await;
    let body = event_body("Community engagement (LCIP workshop)", 10);

    let first = app.create_event(&token, &body).await;
    let second = app.create_event(&token, &body).await;
    let third = app.create_event(&token, &body).await;

    assert_eq!(first["slug"], "community-engagement-lcip-workshop");
    assert_eq!(second["slug"], "community-engagement-lcip-workshop-2");
    assert_eq!(third["slug"], "community-engagement-lcip-workshop-3");
}

#[tokio::test]
async fn an_explicit_slug_already_taken_is_409_slug_taken() {
    let (app, token) = with_admin().await;
    app.create_event(&token, &body_with("slug", json!("engagement")))
        .await;

    let response = create(&app, &token, &body_with("slug", json!("engagement"))).await;

    assert_problem(response, StatusCode::CONFLICT, "slug-taken").await;
}

#[tokio::test]
async fn an_explicit_slug_is_used_as_given() {
    let (app, token) = with_admin().await;

    let event = app
        .create_event(&token, &body_with("slug", json!("engagement-2031")))
        .await;

    assert_eq!(event["slug"], "engagement-2031");
}

// --- create: validation -----------------------------------------------------------------

#[tokio::test]
async fn each_invalid_field_of_a_new_event_is_422_naming_it() {
    let (app, token) = with_admin().await;
    let set =
        |key: &'static str, value: Value| (case_name(key, &value), body_with(key, value), key);
    let starts_at = "2031-03-15T13:00:00+00:00";
    let ending = |ends_at: &str| {
        let mut body = body_with("starts_at", json!(starts_at));
        body["ends_at"] = json!(ends_at);
        (
            format!("ends_at = {ends_at} for {starts_at}"),
            body,
            "ends_at",
        )
    };
    let venue_named = |name: Value| {
        let venue = json!({"name": name, "postcode": "NW3 3HA"});
        (
            case_name("venue.name", &name),
            body_with("venue", venue),
            "venue.name",
        )
    };
    let colour = json!({"name": "Library", "colour": "red"});
    let mut without_kind = event_body("Community engagement", 10);
    without_kind.as_object_mut().unwrap().remove("kind");
    let cases = [
        set("slug", json!("Bad Slug")),
        set("title", json!("ab")),
        set("title", json!("a".repeat(201))),
        set("title", json!("   ab   ")),
        ending(starts_at),
        ending("2031-03-15T12:59:59+00:00"),
        set("capacity", json!(0)),
        set("capacity", json!("many")),
        set("timezone", json!("Mars/Olympus")),
        venue_named(json!("")),
        venue_named(json!("   ")),
        venue_named(json!("v".repeat(201))),
        set("role", json!("admin")),
        set("published", json!(true)),
        (
            "venue.colour".into(),
            body_with("venue", colour),
            "venue.colour",
        ),
        ("no kind".into(), without_kind, "kind"),
    ];
    for (case, body, field) in cases {
        assert_invalid(&case, create(&app, &token, &body).await, field).await;
    }
}

#[tokio::test]
async fn titles_of_3_and_200_characters_are_accepted() {
    let (app, token) = with_admin().await;

    for title in ["abc".to_string(), "a".repeat(200)] {
        let event = app
            .create_event(&token, &body_with("title", json!(title)))
            .await;
        assert_eq!(event["title"], title);
    }
}

#[tokio::test]
async fn a_null_capacity_means_no_limit() {
    let (app, token) = with_admin().await;

    let event = app
        .create_event(&token, &body_with("capacity", Value::Null))
        .await;

    assert_eq!(event["capacity"], Value::Null);
    assert_eq!(event["seats_remaining"], Value::Null);
}

#[tokio::test]
async fn malformed_json_is_400_bad_request() {
    let (app, token) = with_admin().await;

    let raw = (
        "application/json",
        r#"{"title": "Community engagement", "kind": "#.into(),
    );
    let response = app.send_raw(Method::POST, EVENTS, Some(&token), raw).await;

    assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
}

#[tokio::test]
async fn a_non_json_content_type_is_415() {
    let (app, token) = with_admin().await;

    let raw = (
        "text/plain",
        event_body("Community engagement", 10).to_string(),
    );
    let response = app.send_raw(Method::POST, EVENTS, Some(&token), raw).await;

    assert_unsupported_media_type(response).await;
}

#[tokio::test]
async fn a_body_over_256_kib_is_413() {
    let (app, token) = with_admin().await;
    let body = body_with("description", json!("x".repeat(256 * 1024)));

    let response = create(&app, &token, &body).await;

    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
}

// --- admin listing and reading ----------------------------------------------------------

#[tokio::test]
async fn the_admin_listing_includes_drafts_and_past_events() {
    let (app, token) = with_admin().await;
    app.published_event(&token, &event_body("Past published", -30))
        .await;
    app.create_event(&token, &event_body("Past draft", -20))
        .await;
    app.create_event(&token, &event_body("Future draft", 10))
        .await;
    app.published_event(&token, &event_body("Future published", 20))
        .await;

    let response = app.get(EVENTS).bearer_auth(&token).send().await.unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let titles = strings_of(array(&body["items"]), "title");
    assert_eq!(
        titles,
        [
            "Past published",
            "Past draft",
            "Future draft",
            "Future published"
        ]
    );
    assert_eq!(body["total"], 4);
}

#[tokio::test]
async fn an_unknown_event_id_is_404_to_read_patch_publish_or_cancel() {
    let (app, token) = with_admin().await;
    let unknown = 424242;

    let answers = [
        ("GET", admin_get(&app, &token, unknown).await),
        (
            "PATCH",
            patch(&app, &token, unknown, &json!({"title": "Anything"})).await,
        ),
        ("publish", publish(&app, &token, unknown).await),
        ("cancel", cancel(&app, &token, unknown, &reason()).await),
    ];
    for (case, response) in answers {
        assert_problem_in(case, response, StatusCode::NOT_FOUND, "not-found").await;
    }
}
#[tokio::test]
async fn a_non_numeric_event_id_is_404() {
    let (app, token) = with_admin().await;
    app.create_event(&token, &event_body("Community engagement", 10))
        .await;

    for path in ["community-engagement", "1.5", "99999999999999999999"] {
        let response = app
            .get(&format!("{EVENTS}/{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

// --- patch --------------------------------------------------------------------------------

/// An event with every optional field set.
fn full_body() -> Value {
    let mut body = event_body("Community engagement", 10);
    body["description"] = json!("A longer description.");
    body["organiser"] = json!("LLCP programme team");
    body["speakers"] = json!(["Ann Example"]);
    body["bulletin_number"] = json!(14);
    let now = chrono::Utc::now();
    body["registration"] = json!({
        "opens_at": (now + chrono::Duration::days(1)).to_rfc3339(),
        "closes_at": (now + chrono::Duration::days(9)).to_rfc3339(),
    });
    body
}

/// An app, an admin's token and a draft with every optional field set.
async fn full_draft() -> (TestApp, String, Value) {
    let (app, token) = with_admin().await;
    let draft = app.create_event(&token, &full_body()).await;
    (app, token, draft)
}

/// The event without the members an edit is expected to change.
fn without(event: &Value, keys: &[&str]) -> Value {
    let mut event = event.clone();
    for key in keys {
        event.as_object_mut().unwrap().remove(*key);
    }
    event
}

#[tokio::test]
async fn patch_changes_only_the_fields_sent() {
    let (app, token, before) = full_draft().await;
    let id = event_id(&before);

    let patch = json!({"title": "Community engagement, revised"});
    let after = patched(&app, &token, id, &patch).await;

    assert_eq!(after["title"], "Community engagement, revised");
    // The slug is not regenerated: links stay stable.
    assert_eq!(after["slug"], before["slug"]);
    assert_eq!(
        without(&after, &["title", "updated_at"]),
        without(&before, &["title", "updated_at"])
    );
    assert_eq!(app.admin_event(&token, id).await, after);
}

#[tokio::test]
async fn patch_with_null_clears_optional_fields() {
    let (app, token, before) = full_draft().await;
    let id = event_id(&before);

    let patch = json!({
        "summary": null,
        "venue": null,
        "capacity": null,
        "organiser": null,
        "registration": {"opens_at": null},
    });
    let after = patched(&app, &token, id, &patch).await;

    assert_eq!(after["summary"], Value::Null);
    assert_eq!(after["venue"], Value::Null);
    assert_eq!(after["capacity"], Value::Null);
    assert_eq!(after["seats_remaining"], Value::Null);
    assert_eq!(after["organiser"], Value::Null);
    assert_eq!(after["registration"]["opens_at"], Value::Null);
    assert_eq!(
        after["registration"]["closes_at"],
        before["registration"]["closes_at"]
    );
    assert_eq!(after["title"], before["title"]);
    assert_eq!(after["description"], before["description"]);
    assert_eq!(app.admin_event(&token, id).await, after);
}

#[tokio::test]
async fn patch_merges_nested_objects_member_by_member() {
    let (app, token, draft) = full_draft().await;
    let id = event_id(&draft);

    let patch = json!({"venue": {"postcode": null, "address": "1 New Road, London"}});
    let after = patched(&app, &token, id, &patch).await;

    assert_eq!(
        after["venue"],
        json!({"name": "Swiss Cottage Library", "address": "1 New Road, London", "postcode": null})
    );
}

#[tokio::test]
async fn patch_accepts_the_merge_patch_content_type() {
    let (app, token, draft) = full_draft().await;
    let id = event_id(&draft);

    let raw = (
        "application/merge-patch+json",
        r#"{"kind": "seminar"}"#.into(),
    );
    let response = app
        .send_raw(Method::PATCH, &event_path(id), Some(&token), raw)
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    let after: Value = response.json().await.unwrap();
    assert_eq!(after["kind"], "seminar");
}

#[tokio::test]
async fn a_patched_event_is_validated_again() {
    let (app, token, before) = full_draft().await;
    let id = event_id(&before);

    for (body, field) in [
        (json!({"ends_at": "2011-03-15T17:00:00+00:00"}), "ends_at"),
        (json!({"title": "ab"}), "title"),
        (json!({"capacity": 0}), "capacity"),
        (json!({"kind": null}), "kind"),
        (json!({"slug": "Bad Slug"}), "slug"),
        (json!({"published": true}), "published"),
    ] {
        let case = format!("patch {body}");
        assert_invalid(&case, patch(&app, &token, id, &body).await, field).await;
    }

    assert_eq!(app.admin_event(&token, id).await, before);
}

#[tokio::test]
async fn patch_to_another_event_s_slug_is_409_slug_taken() {
    let (app, token) = with_admin().await;
    app.create_event(&token, &event_body("First workshop", 10))
        .await;
    let second = app
        .create_event(&token, &event_body("Second workshop", 11))
        .await;

    let response = patch(
        &app,
        &token,
        event_id(&second),
        &json!({"slug": "first-workshop"}),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "slug-taken").await;
    // Re-sending its own slug is not a conflict.
    let same = patched(
        &app,
        &token,
        event_id(&second),
        &json!({"slug": "second-workshop"}),
    )
    .await;
    assert_eq!(same["slug"], "second-workshop");
}

// --- publish ------------------------------------------------------------------------------

#[tokio::test]
async fn publishing_makes_the_event_public() {
    let (app, token) = with_admin().await;
    let id = draft(&app, &token).await;
    assert!(public_titles(&app).await.is_empty());

    let response = publish(&app, &token, id).await;

    assert_eq!(response.status(), StatusCode::OK);
    let event: Value = response.json().await.unwrap();
    assert!(event["published_at"].is_string(), "{event}");
    assert_eq!(public_titles(&app).await, ["Community engagement"]);
    app.public_event(id).await;
}

#[tokio::test]
async fn publishing_twice_is_409_event_already_published() {
    let (app, token) = with_admin().await;
    let id = published(&app, &token).await;

    let response = publish(&app, &token, id).await;

    assert_problem(response, StatusCode::CONFLICT, "event-already-published").await;
}

// --- cancel -------------------------------------------------------------------------------

#[tokio::test]
async fn cancelling_needs_a_reason_of_at_least_3_characters() {
    let (app, token) = with_admin().await;
    let id = published(&app, &token).await;

    for body in [
        json!({}),
        json!({"reason": "no"}),
        json!({"reason": "   no   "}),
    ] {
        assert_invalid(
            &body.to_string(),
            cancel(&app, &token, id, &body).await,
            "reason",
        )
        .await;
    }
    assert_eq!(app.admin_event(&token, id).await["status"], "scheduled");
}

#[tokio::test]
async fn cancelling_a_draft_is_409_event_not_published() {
    let (app, token) = with_admin().await;
    let id = draft(&app, &token).await;

    let response = cancel(&app, &token, id, &reason()).await;

    assert_problem(response, StatusCode::CONFLICT, "event-not-published").await;
    assert_eq!(app.admin_event(&token, id).await["status"], "scheduled");
}

#[tokio::test]
async fn cancelling_twice_is_409_event_cancelled() {
    let (app, token) = with_admin().await;
    let id = published(&app, &token).await;
    assert_eq!(
        cancel(&app, &token, id, &reason()).await.status(),
        StatusCode::OK
    );

    let response = cancel(&app, &token, id, &json!({"reason": "Another reason"})).await;

    assert_problem(response, StatusCode::CONFLICT, "event-cancelled").await;
    assert_eq!(
        app.admin_event(&token, id).await["cancellation_reason"],
        "The venue is closed for repairs."
    );
}

#[tokio::test]
async fn a_cancelled_event_stays_public_marked_cancelled() {
    let (app, token) = with_admin().await;
    let event = app
        .published_event(&token, &event_body("Community engagement", 10))
        .await;
    let id = event_id(&event);

    let response = cancel(&app, &token, id, &reason()).await;

    assert_eq!(response.status(), StatusCode::OK);
    let cancelled: Value = response.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    let public = app.public_event(event["slug"].as_str().unwrap()).await;
    assert_eq!(public["status"], "cancelled");
    assert_eq!(
        public["cancellation_reason"],
        "The venue is closed for repairs."
    );
    assert_eq!(public["registration"]["state"], "closed");
    assert_eq!(public_titles(&app).await, ["Community engagement"]);
}

// --- delete -------------------------------------------------------------------------------

#[tokio::test]
async fn deleting_a_draft_is_204_and_then_404() {
    let (app, token) = with_admin().await;
    let id = draft(&app, &token).await;

    let response = delete(&app, &token, id).await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let answers = [
        ("GET", admin_get(&app, &token, id).await),
        ("DELETE again", delete(&app, &token, id).await),
    ];
    for (case, response) in answers {
        assert_problem_in(case, response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn deleting_a_published_event_is_409_event_published() {
    let (app, token) = with_admin().await;
    let id = published(&app, &token).await;

    let response = delete(&app, &token, id).await;

    assert_problem(response, StatusCode::CONFLICT, "event-published").await;
    assert_eq!(public_titles(&app).await, ["Community engagement"]);
}
