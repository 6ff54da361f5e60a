//! Registering for an event and managing the registration with its manage token:
//! the 201 and its fields, validation, the rules that refuse a registration (each with
//! its own problem type), `Idempotency-Key`, capacity and the waiting list, and the
//! self-service GET and DELETE.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn registrations_path(event: &str) -> String {
    format!("/api/v1/events/{event}/registrations")
}

fn registration_path(id: &str) -> String {
    format!("/api/v1/registrations/{id}")
}

/// A valid registration body.
fn reg_body(full_name: &str, email: &str) -> Value {
    json!({
        "full_name": full_name,
        "email": email,
        "organisation": "London Borough of Camden",
        "consent": true,
    })
}

/// A valid body with one member replaced.
fn reg_body_with(key: &str, value: Value) -> Value {
    let mut body = reg_body("Ada Lovelace", "ada@camden.gov.uk");
    body[key] = value;
    body
}

/// A body without one member.
fn reg_body_without(key: &str) -> Value {
    let mut body = reg_body("Ada Lovelace", "ada@camden.gov.uk");
    body.as_object_mut().unwrap().remove(key);
    body
}

async fn post_registration(app: &TestApp, event: &str, body: &Value) -> Response {
    app.post(&registrations_path(event))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn post_with_key(app: &TestApp, event: &str, key: &str, body: &Value) -> Response {
    app.post(&registrations_path(event))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Asserts 201 and returns the created registration.
async fn created(response: Response) -> Value {
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "register: {json}");
    json
}

/// Registers `email` (named after it) for the event; 201 asserted.
async fn register(app: &TestApp, event_id: i64, email: &str) -> Value {
    let name = email.split('@').next().unwrap();
    created(post_registration(app, &event_id.to_string(), &reg_body(name, email)).await).await
}

/// A published event with the capacity (`None`: no limit), 10 days ahead.
async fn open_event(app: &TestApp, token: &str, capacity: Option<i64>) -> i64 {
    let mut body = event_body("Service specifications", 10);
    body["capacity"] = json!(capacity);
    app.published_event(token, &body).await["id"]
        .as_i64()
        .unwrap()
}

fn id_of(registration: &Value) -> String {
    registration["id"].as_str().expect("an id").to_string()
}

fn token_of(registration: &Value) -> String {
    registration["manage_token"]
        .as_str()
        .expect("a manage_token")
        .to_string()
}

async fn get_with_token(app: &TestApp, id: &str, token: &str) -> Response {
    app.get(&registration_path(id))
        .header("X-Manage-Token", token)
        .send()
        .await
        .unwrap()
}

async fn delete_with_token(app: &TestApp, id: &str, token: &str) -> Response {
    app.delete(&registration_path(id))
        .header("X-Manage-Token", token)
        .send()
        .await
        .unwrap()
}

/// The registration as its holder sees it (200 asserted).
async fn fetch(app: &TestApp, registration: &Value) -> Value {
    let response = get_with_token(app, &id_of(registration), &token_of(registration)).await;
    let status = response.status();
    let json: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "GET registration: {json}");
    json
}

/// Cancels with the registration's own token (204 asserted).
async fn cancel(app: &TestApp, registration: &Value) {
    let response = delete_with_token(app, &id_of(registration), &token_of(registration)).await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "DELETE registration"
    );
}

/// The public JSON of an event.
async fn public_event(app: &TestApp, id: i64) -> Value {
    let response = app
        .get(&format!("/api/v1/events/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET event {id}");
    response.json().await.unwrap()
}

/// The event's registrations as an admin lists them.
async fn admin_registrations(app: &TestApp, token: &str, event_id: i64) -> Value {
    let response = app
        .get(&format!(
            "/api/v1/admin/events/{event_id}/registrations?limit=100"
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "admin registrations");
    response.json().await.unwrap()
}

/// The notification outbox, newest first.
async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app
        .get("/api/v1/admin/notifications?limit=100")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "notifications");
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

/// Asserts a 422 validation problem that names `field`.
async fn assert_invalid(response: Response, field: &str) -> Value {
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let fields = error_fields(&problem);
    assert!(
        fields.iter().any(|f| f == field),
        "expected an error for {field:?}, got {fields:?} in {problem}"
    );
    problem
}

// --- the 201 --------------------------------------------------------------------------

#[tokio::test]
async fn registering_is_201_confirmed_with_location_and_a_manage_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    let response = post_registration(
        &app,
        &event.to_string(),
        &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let registration: Value = response.json().await.unwrap();

    let id = id_of(&registration);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "id {id} is a UUID");
    assert_eq!(location, format!("/api/v1/registrations/{id}"));
    assert_eq!(registration["status"], "confirmed");
    assert_eq!(registration["waitlist_position"], Value::Null);
    assert_eq!(registration["event_id"], event);
    assert_eq!(registration["full_name"], "Ada Lovelace");
    assert_eq!(registration["organisation"], "London Borough of Camden");
    assert_eq!(registration["attended"], false);
    assert!(
        token_of(&registration).len() >= 32,
        "a long manage token in {registration}"
    );
}

#[tokio::test]
async fn registering_by_slug_works() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app
        .published_event(&admin, &event_body("Service specifications", 10))
        .await;
    let slug = event["slug"].as_str().unwrap();

    let registration = created(
        post_registration(&app, slug, &reg_body("Ada Lovelace", "ada@camden.gov.uk")).await,
    )
    .await;

    assert_eq!(registration["event_id"], event["id"]);
    assert_eq!(registration["event_slug"], slug);
}

#[tokio::test]
async fn the_manage_token_appears_only_in_the_201_response() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let registration = register(&app, event, "ada@camden.gov.uk").await;

    let own = fetch(&app, &registration).await;
    assert!(
        own.get("manage_token").is_none(),
        "GET shows no token: {own}"
    );
    let listed = admin_registrations(&app, &admin, event).await;
    let item = &listed["items"][0];
    assert_eq!(item["id"], registration["id"]);
    assert!(
        item.get("manage_token").is_none(),
        "the admin list shows no token: {item}"
    );
}

#[tokio::test]
async fn the_email_is_stored_lower_cased() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    let registration = created(
        post_registration(
            &app,
            &event.to_string(),
            &reg_body_with("email", json!("Ada.Lovelace@Camden.GOV.uk")),
        )
        .await,
    )
    .await;

    assert_eq!(registration["email"], "ada.lovelace@camden.gov.uk");
    assert_eq!(
        fetch(&app, &registration).await["email"],
        "ada.lovelace@camden.gov.uk"
    );
}

#[tokio::test]
async fn the_borough_is_matched_ignoring_case_and_returned_in_its_common_spelling() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    for (i, (sent, shown)) in [
        ("kensington AND chelsea", "Kensington and Chelsea"),
        ("CITY OF LONDON", "City of London"),
        ("camden", "Camden"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = reg_body("Ada Lovelace", &format!("ada{i}@camden.gov.uk"));
        body["borough"] = json!(sent);
        let registration = created(post_registration(&app, &event.to_string(), &body).await).await;
        assert_eq!(registration["borough"], shown, "borough sent as {sent:?}");
    }
}

#[tokio::test]
async fn an_unknown_borough_is_422_naming_borough() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    let response = post_registration(
        &app,
        &event.to_string(),
        &reg_body_with("borough", json!("Gotham")),
    )
    .await;

    assert_invalid(response, "borough").await;
}

#[tokio::test]
async fn job_title_and_accessibility_needs_are_kept() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let mut body = reg_body("Ada Lovelace", "ada@camden.gov.uk");
    body["job_title"] = json!("Head of Libraries");
    body["accessibility_needs"] = json!("Step-free access, please");

    let registration = created(post_registration(&app, &event.to_string(), &body).await).await;

    assert_eq!(registration["job_title"], "Head of Libraries");
    assert_eq!(
        registration["accessibility_needs"],
        "Step-free access, please"
    );
    let own = fetch(&app, &registration).await;
    assert_eq!(own["job_title"], "Head of Libraries");
    assert_eq!(own["accessibility_needs"], "Step-free access, please");
}

// --- validation -----------------------------------------------------------------------

#[tokio::test]
async fn the_full_name_must_be_1_to_200_characters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let key = event.to_string();

    for bad in [String::new(), "   ".to_string(), "a".repeat(201)] {
        let response = post_registration(&app, &key, &reg_body_with("full_name", json!(bad))).await;
        assert_invalid(response, "full_name").await;
    }
    let longest = "é".repeat(200);
    let registration =
        created(post_registration(&app, &key, &reg_body_with("full_name", json!(longest))).await)
            .await;
    assert_eq!(registration["full_name"], longest);
}

#[tokio::test]
async fn an_invalid_email_is_422_naming_email() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    for bad in ["", "not-an-email", "ada@", "@camden.gov.uk"] {
        let response = post_registration(
            &app,
            &event.to_string(),
            &reg_body_with("email", json!(bad)),
        )
        .await;
        assert_invalid(response, "email").await;
    }
}

#[tokio::test]
async fn accessibility_needs_may_be_at_most_1000_characters() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let key = event.to_string();

    let response = post_registration(
        &app,
        &key,
        &reg_body_with("accessibility_needs", json!("x".repeat(1001))),
    )
    .await;
    assert_invalid(response, "accessibility_needs").await;

    let registration = created(
        post_registration(
            &app,
            &key,
            &reg_body_with("accessibility_needs", json!("x".repeat(1000))),
        )
        .await,
    )
    .await;
    assert_eq!(
        registration["accessibility_needs"].as_str().unwrap().len(),
        1000
    );
}

#[tokio::test]
async fn consent_false_is_422_naming_consent() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    let response = post_registration(
        &app,
        &event.to_string(),
        &reg_body_with("consent", json!(false)),
    )
    .await;

    assert_invalid(response, "consent").await;
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 0);
}

#[tokio::test]
async fn missing_consent_is_422_naming_consent() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    let response = post_registration(&app, &event.to_string(), &reg_body_without("consent")).await;

    assert_invalid(response, "consent").await;
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 0);
}

#[tokio::test]
async fn an_unknown_field_is_422_naming_it() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;

    let response = post_registration(
        &app,
        &event.to_string(),
        &reg_body_with("phone", json!("020 7946 0000")),
    )
    .await;

    assert_invalid(response, "phone").await;
}

// --- rules ----------------------------------------------------------------------------

#[tokio::test]
async fn a_draft_event_is_404_not_found() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let draft = app
        .create_event(&admin, &event_body("Service specifications", 10))
        .await;

    for key in [
        draft["id"].as_i64().unwrap().to_string(),
        draft["slug"].as_str().unwrap().to_string(),
    ] {
        let response =
            post_registration(&app, &key, &reg_body("Ada Lovelace", "ada@camden.gov.uk")).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn an_unknown_event_is_404_not_found() {
    let app = spawn_app().await;

    for key in ["999999", "no-such-event"] {
        let response =
            post_registration(&app, key, &reg_body("Ada Lovelace", "ada@camden.gov.uk")).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn a_cancelled_event_is_409_event_cancelled() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let response = app
        .post(&format!("/api/v1/admin/events/{event}/cancel"))
        .bearer_auth(&admin)
        .json(&json!({"reason": "The venue is closed for repairs."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let response = post_registration(
        &app,
        &event.to_string(),
        &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "event-cancelled").await;
}

#[tokio::test]
async fn an_event_that_has_started_is_409_event_past() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = app
        .published_event(&admin, &event_body("Service specifications", -1))
        .await;

    let response = post_registration(
        &app,
        &event["id"].as_i64().unwrap().to_string(),
        &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "event-past").await;
}

#[tokio::test]
async fn registration_not_yet_open_is_409_registration_closed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut body = event_body("Service specifications", 10);
    let opens = chrono::Utc::now() + chrono::Duration::days(2);
    body["registration"] = json!({"opens_at": opens.to_rfc3339()});
    let event = app.published_event(&admin, &body).await;
    assert_eq!(event["registration"]["state"], "not_yet_open");

    let response = post_registration(
        &app,
        &event["id"].as_i64().unwrap().to_string(),
        &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "registration-closed").await;
}

#[tokio::test]
async fn registration_past_its_closing_time_is_409_registration_closed() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut body = event_body("Service specifications", 10);
    let closed = chrono::Utc::now() - chrono::Duration::days(1);
    body["registration"] = json!({"closes_at": closed.to_rfc3339()});
    let event = app.published_event(&admin, &body).await;
    assert_eq!(event["registration"]["state"], "closed");

    let response = post_registration(
        &app,
        &event["id"].as_i64().unwrap().to_string(),
        &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "registration-closed").await;
}

#[tokio::test]
async fn an_event_without_registration_is_409_registration_not_required() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let mut body = event_body("Open morning", 10);
    body["registration"] = json!({"required": false});
    let event = app.published_event(&admin, &body).await;

    let response = post_registration(
        &app,
        &event["id"].as_i64().unwrap().to_string(),
        &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "registration-not-required").await;
}

#[tokio::test]
async fn the_same_email_in_any_letter_case_is_409_already_registered() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    register(&app, event, "ada@camden.gov.uk").await;

    for again in ["ada@camden.gov.uk", "ADA@Camden.Gov.UK"] {
        let response =
            post_registration(&app, &event.to_string(), &reg_body("Ada Again", again)).await;
        assert_problem(response, StatusCode::CONFLICT, "already-registered").await;
    }
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 1);
}

#[tokio::test]
async fn a_waitlisted_email_is_also_already_registered() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(1)).await;
    register(&app, event, "first@camden.gov.uk").await;
    let waiting = register(&app, event, "ada@camden.gov.uk").await;
    assert_eq!(waiting["status"], "waitlisted");

    let response = post_registration(
        &app,
        &event.to_string(),
        &reg_body("Ada", "Ada@Camden.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "already-registered").await;
}

#[tokio::test]
async fn the_same_email_may_register_for_another_event() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let first = open_event(&app, &admin, Some(30)).await;
    let second = open_event(&app, &admin, Some(30)).await;
    register(&app, first, "ada@camden.gov.uk").await;

    let registration = register(&app, second, "ada@camden.gov.uk").await;

    assert_eq!(registration["event_id"], second);
    assert_eq!(registration["status"], "confirmed");
}

#[tokio::test]
async fn after_cancelling_the_same_email_may_register_again() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let first = register(&app, event, "ada@camden.gov.uk").await;
    cancel(&app, &first).await;

    let again = created(
        post_registration(
            &app,
            &event.to_string(),
            &reg_body("Ada Lovelace", "ADA@camden.gov.uk"),
        )
        .await,
    )
    .await;

    assert_ne!(again["id"], first["id"]);
    assert_eq!(again["status"], "confirmed");
    assert_eq!(fetch(&app, &first).await["status"], "cancelled");
}

// --- Idempotency-Key ------------------------------------------------------------------

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_returns_the_original_201() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let body = reg_body("Ada Lovelace", "ada@camden.gov.uk");
    let key = "3f1c8a2e-retry-1";

    let first = post_with_key(&app, &event.to_string(), key, &body).await;
    let first_location = first.headers().get("location").cloned();
    let first = created(first).await;
    let retry = post_with_key(&app, &event.to_string(), key, &body).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers().get("location").cloned(), first_location);
    let retry: Value = retry.json().await.unwrap();

    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["manage_token"], first["manage_token"]);
    assert_eq!(retry["status"], "confirmed");
    assert_eq!(retry["waitlist_position"], Value::Null);
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 1);
    let queued = notifications(&app, &admin).await;
    assert_eq!(queued.len(), 1, "one confirmation only: {queued:?}");
}

#[tokio::test]
async fn a_waitlisted_retry_returns_the_same_status_and_position() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(1)).await;
    register(&app, event, "first@camden.gov.uk").await;
    let body = reg_body("Ada Lovelace", "ada@camden.gov.uk");

    let first = created(post_with_key(&app, &event.to_string(), "wait-1", &body).await).await;
    let retry = created(post_with_key(&app, &event.to_string(), "wait-1", &body).await).await;

    assert_eq!(first["status"], "waitlisted");
    assert_eq!(first["waitlist_position"], 1);
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["manage_token"], first["manage_token"]);
    assert_eq!(retry["status"], "waitlisted");
    assert_eq!(retry["waitlist_position"], 1);
    let listed = admin_registrations(&app, &admin, event).await;
    assert_eq!(listed["total"], 2);
    let waitlisted = notifications(&app, &admin)
        .await
        .into_iter()
        .filter(|n| n["template"] == "registration_waitlisted")
        .count();
    assert_eq!(waitlisted, 1, "one waiting-list message only");
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_409_idempotency_key_reused() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    created(
        post_with_key(
            &app,
            &event.to_string(),
            "key-1",
            &reg_body("Ada Lovelace", "ada@camden.gov.uk"),
        )
        .await,
    )
    .await;

    let response = post_with_key(
        &app,
        &event.to_string(),
        "key-1",
        &reg_body("Grace Hopper", "grace@hackney.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "idempotency-key-reused").await;
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 1);
}

#[tokio::test]
async fn the_same_key_on_another_event_is_independent() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let first = open_event(&app, &admin, Some(30)).await;
    let second = open_event(&app, &admin, Some(30)).await;
    let body = reg_body("Ada Lovelace", "ada@camden.gov.uk");

    let one = created(post_with_key(&app, &first.to_string(), "shared", &body).await).await;
    let two = created(post_with_key(&app, &second.to_string(), "shared", &body).await).await;

    assert_ne!(one["id"], two["id"]);
    assert_eq!(one["event_id"], first);
    assert_eq!(two["event_id"], second);
    assert_eq!(admin_registrations(&app, &admin, first).await["total"], 1);
    assert_eq!(admin_registrations(&app, &admin, second).await["total"], 1);
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let body = reg_body("Ada Lovelace", "ada@camden.gov.uk");

    for key in ["k".repeat(300), "two words".to_string()] {
        let response = post_with_key(&app, &event.to_string(), &key, &body).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    }
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 0);
}

// --- capacity and the waiting list ----------------------------------------------------

#[tokio::test]
async fn beyond_capacity_people_are_waitlisted_with_positions_in_order() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(2)).await;

    let mut seen = Vec::new();
    for email in [
        "a@x.gov.uk",
        "b@x.gov.uk",
        "c@x.gov.uk",
        "d@x.gov.uk",
        "e@x.gov.uk",
    ] {
        let r = register(&app, event, email).await;
        seen.push((r["status"].clone(), r["waitlist_position"].clone()));
    }

    assert_eq!(
        seen,
        vec![
            (json!("confirmed"), Value::Null),
            (json!("confirmed"), Value::Null),
            (json!("waitlisted"), json!(1)),
            (json!("waitlisted"), json!(2)),
            (json!("waitlisted"), json!(3)),
        ]
    );
}

#[tokio::test]
async fn seats_remaining_and_the_registration_state_tell_the_truth() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(2)).await;

    let state = |e: &Value| {
        (
            e["seats_remaining"].clone(),
            e["registration"]["state"].clone(),
        )
    };
    assert_eq!(
        state(&public_event(&app, event).await),
        (json!(2), json!("open"))
    );
    register(&app, event, "a@x.gov.uk").await;
    assert_eq!(
        state(&public_event(&app, event).await),
        (json!(1), json!("open"))
    );
    register(&app, event, "b@x.gov.uk").await;
    assert_eq!(
        state(&public_event(&app, event).await),
        (json!(0), json!("full_waitlist_open"))
    );
    register(&app, event, "c@x.gov.uk").await;
    assert_eq!(
        state(&public_event(&app, event).await),
        (json!(0), json!("full_waitlist_open"))
    );
}

#[tokio::test]
async fn an_event_without_a_capacity_confirms_everyone() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, None).await;

    for i in 0..5 {
        let r = register(&app, event, &format!("p{i}@x.gov.uk")).await;
        assert_eq!(r["status"], "confirmed");
    }
    let public = public_event(&app, event).await;
    assert_eq!(public["seats_remaining"], Value::Null);
    assert_eq!(public["registration"]["state"], "open");
}

// --- self-service ---------------------------------------------------------------------

#[tokio::test]
async fn the_holder_reads_the_registration_with_its_manage_token() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let registration = register(&app, event, "ada@camden.gov.uk").await;

    let response = get_with_token(&app, &id_of(&registration), &token_of(&registration)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let own: Value = response.json().await.unwrap();

    assert_eq!(own["id"], registration["id"]);
    assert_eq!(own["status"], "confirmed");
    assert_eq!(own["email"], "ada@camden.gov.uk");
    assert_eq!(own["event_id"], event);
}

#[tokio::test]
async fn a_wrong_missing_or_other_token_is_404_like_an_unknown_id() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let ada = register(&app, event, "ada@camden.gov.uk").await;
    let grace = register(&app, event, "grace@hackney.gov.uk").await;
    let id = id_of(&ada);

    let unknown = get_with_token(&app, &uuid::Uuid::new_v4().to_string(), &token_of(&ada)).await;
    let unknown = assert_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;

    let mut answers = Vec::new();
    for (name, token) in [
        ("wrong", Some("not-the-token".to_string())),
        ("empty", Some(String::new())),
        ("other registration's", Some(token_of(&grace))),
        ("missing", None),
    ] {
        for method in ["GET", "DELETE"] {
            let path = registration_path(&id);
            let mut request = if method == "GET" {
                app.get(&path)
            } else {
                app.delete(&path)
            };
            if let Some(token) = &token {
                request = request.header("X-Manage-Token", token);
            }
            let response = request.send().await.unwrap();
            let problem = assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
            answers.push((format!("{method} with {name} token"), problem));
        }
    }
    for (what, problem) in answers {
        assert_eq!(problem, unknown, "{what} answers like an unknown id");
    }
    assert_eq!(
        fetch(&app, &ada).await["status"],
        "confirmed",
        "still active"
    );
}

#[tokio::test]
async fn a_non_uuid_registration_id_is_404() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let registration = register(&app, event, "ada@camden.gov.uk").await;
    let token = token_of(&registration);

    for id in ["1", "not-a-uuid"] {
        let response = get_with_token(&app, id, &token).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = delete_with_token(&app, id, &token).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn cancelling_is_204_and_the_registration_shows_cancelled() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let registration = register(&app, event, "ada@camden.gov.uk").await;

    let response = delete_with_token(&app, &id_of(&registration), &token_of(&registration)).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let own = fetch(&app, &registration).await;
    assert_eq!(own["status"], "cancelled");
    assert_eq!(own["waitlist_position"], Value::Null);
}

#[tokio::test]
async fn cancelling_a_confirmed_registration_with_nobody_waiting_frees_a_seat() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(2)).await;
    let a = register(&app, event, "a@x.gov.uk").await;
    register(&app, event, "b@x.gov.uk").await;
    assert_eq!(public_event(&app, event).await["seats_remaining"], 0);

    cancel(&app, &a).await;

    let public = public_event(&app, event).await;
    assert_eq!(public["seats_remaining"], 1);
    assert_eq!(public["registration"]["state"], "open");
}

#[tokio::test]
async fn cancelling_a_confirmed_registration_promotes_the_first_waitlisted() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(2)).await;
    let a = register(&app, event, "a@x.gov.uk").await;
    register(&app, event, "b@x.gov.uk").await;
    let c = register(&app, event, "c@x.gov.uk").await;
    let d = register(&app, event, "d@x.gov.uk").await;
    let e = register(&app, event, "e@x.gov.uk").await;

    cancel(&app, &a).await;

    let c = fetch(&app, &c).await;
    assert_eq!(c["status"], "confirmed");
    assert_eq!(c["waitlist_position"], Value::Null);
    let d = fetch(&app, &d).await;
    assert_eq!(
        (&d["status"], &d["waitlist_position"]),
        (&json!("waitlisted"), &json!(1))
    );
    let e = fetch(&app, &e).await;
    assert_eq!(
        (&e["status"], &e["waitlist_position"]),
        (&json!("waitlisted"), &json!(2))
    );
    let public = public_event(&app, event).await;
    assert_eq!(public["seats_remaining"], 0);
    assert_eq!(public["registration"]["state"], "full_waitlist_open");
}

#[tokio::test]
async fn cancelling_twice_is_409_registration_cancelled() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let registration = register(&app, event, "ada@camden.gov.uk").await;
    cancel(&app, &registration).await;

    let response = delete_with_token(&app, &id_of(&registration), &token_of(&registration)).await;

    assert_problem(response, StatusCode::CONFLICT, "registration-cancelled").await;
}

#[tokio::test]
async fn cancelling_a_waitlisted_registration_closes_up_positions_and_frees_no_seat() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(2)).await;
    let a = register(&app, event, "a@x.gov.uk").await;
    let b = register(&app, event, "b@x.gov.uk").await;
    let c = register(&app, event, "c@x.gov.uk").await;
    let d = register(&app, event, "d@x.gov.uk").await;
    let e = register(&app, event, "e@x.gov.uk").await;

    cancel(&app, &c).await;

    assert_eq!(fetch(&app, &a).await["status"], "confirmed");
    assert_eq!(fetch(&app, &b).await["status"], "confirmed");
    let d = fetch(&app, &d).await;
    assert_eq!(
        (&d["status"], &d["waitlist_position"]),
        (&json!("waitlisted"), &json!(1))
    );
    let e = fetch(&app, &e).await;
    assert_eq!(
        (&e["status"], &e["waitlist_position"]),
        (&json!("waitlisted"), &json!(2))
    );
    let public = public_event(&app, event).await;
    assert_eq!(public["seats_remaining"], 0);
    assert_eq!(public["registration"]["state"], "full_waitlist_open");
    let next = register(&app, event, "f@x.gov.uk").await;
    assert_eq!(next["status"], "waitlisted");
    assert_eq!(next["waitlist_position"], 3);
}

#[tokio::test]
async fn a_registrant_cannot_cancel_once_the_event_has_started() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let event = open_event(&app, &admin, Some(30)).await;
    let registration = register(&app, event, "ada@camden.gov.uk").await;
    // The admin moves the event into the past.
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    let response = app
        .patch(&format!("/api/v1/admin/events/{event}"))
        .bearer_auth(&admin)
        .json(&json!({
            "starts_at": start.to_rfc3339(),
            "ends_at": (start + chrono::Duration::hours(4)).to_rfc3339(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let response = delete_with_token(&app, &id_of(&registration), &token_of(&registration)).await;

    assert_problem(response, StatusCode::CONFLICT, "event-past").await;
    assert_eq!(fetch(&app, &registration).await["status"], "confirmed");
}
