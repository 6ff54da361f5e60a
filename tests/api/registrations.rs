//! Registering for an event and managing the registration with its manage token:
//! the 201 and its fields, validation, the rules that refuse a registration (each with
//! its own problem type), `Idempotency-Key`, capacity and the waiting list, and the
//! self-service GET and DELETE.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn registration_path(id: &str) -> String {
    format!("/api/v1/registrations/{id}")
}

/// (status, waitlist_position) of each registration as its holder now sees it.
async fn places(app: &TestApp, registrations: &[Value]) -> Vec<(Value, Value)> {
    let mut places = Vec::new();
    for registration in registrations {
        let own = app.fetch_registration(registration).await;
        places.push((own["status"].clone(), own["waitlist_position"].clone()));
    }
    places
}

/// (seats_remaining, registration state) of the public event.
async fn seats(app: &TestApp, event: i64) -> (Value, Value) {
    let public = app.public_event(event).await;
    (
        public["seats_remaining"].clone(),
        public["registration"]["state"].clone(),
    )
}

fn confirmed() -> (Value, Value) {
    (json!("confirmed"), Value::Null)
}

fn waitlisted(position: i64) -> (Value, Value) {
    (json!("waitlisted"), json!(position))
}

const FIVE: [&str; 5] = [
    "a@x.gov.uk",
    "b@x.gov.uk",
    "c@x.gov.uk",
    "d@x.gov.uk",
    "e@x.gov.uk",
];

/// A valid body: Ada Lovelace's.
fn ada() -> Value {
    registration("Ada Lovelace", "ada@camden.gov.uk")
}

/// A valid body with one member replaced.
fn reg_body_with(key: &str, value: Value) -> Value {
    let mut body = ada();
    body[key] = value;
    body
}

/// A body without one member.
fn reg_body_without(key: &str) -> Value {
    let mut body = ada();
    body.as_object_mut().unwrap().remove(key);
    body
}

async fn post_with_key(app: &TestApp, event: i64, key: &str, body: &Value) -> Response {
    app.registration_request(event, body)
        .header("Idempotency-Key", key)
        .send()
        .await
        .unwrap()
}

/// Ada Lovelace's registration for the event.
async fn ada_registers(app: &TestApp, event: impl std::fmt::Display) -> Response {
    app.post_registration(event, &ada()).await
}

/// Asserts 201 and returns the created registration.
async fn created(response: Response) -> Value {
    expect_json(response, StatusCode::CREATED, "register").await
}

/// The event's registrations as an admin lists them.
async fn admin_registrations(app: &TestApp, token: &str, event_id: i64) -> Value {
    let path = format!("/api/v1/admin/events/{event_id}/registrations?limit=100");
    app.get_json(token, &path).await
}

// --- the 201 --------------------------------------------------------------------------

#[tokio::test]
async fn registering_is_201_confirmed_with_location_and_a_manage_token() {
    let (app, _, event) = with_event(Some(30)).await;

    let response = ada_registers(&app, event).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header(&response, "location");
    let registration: Value = response.json().await.unwrap();

    let id = registration_id(&registration);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "id {id} is a UUID");
    assert_eq!(location, format!("/api/v1/registrations/{id}"));
    assert_eq!(registration["status"], "confirmed");
    assert_eq!(registration["waitlist_position"], Value::Null);
    assert_eq!(registration["event_id"], event);
    assert_eq!(registration["full_name"], "Ada Lovelace");
    assert_eq!(registration["organisation"], "London Borough of Camden");
    assert_eq!(registration["attended"], false);
    assert!(
        manage_token(&registration).len() >= 32,
        "a long manage token in {registration}"
    );
}

#[tokio::test]
async fn registering_by_slug_works() {
    let (app, admin) = with_admin().await;
    let event = app
        .published_event(&admin, &event_body("Service specifications", 10))
        .await;
    let slug = event["slug"].as_str().unwrap();

    let registration = created(ada_registers(&app, slug).await).await;

    assert_eq!(registration["event_id"], event["id"]);
    assert_eq!(registration["event_slug"], slug);
}

#[tokio::test]
async fn the_manage_token_appears_only_in_the_201_response() {
    let (app, admin, event, registration) = ada_registered(30).await;

    let own = app.fetch_registration(&registration).await;
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
    let (app, _, event) = with_event(Some(30)).await;

    let registration = created(
        app.post_registration(
            event,
            &reg_body_with("email", json!("Ada.Lovelace@Camden.GOV.uk")),
        )
        .await,
    )
    .await;

    assert_eq!(registration["email"], "ada.lovelace@camden.gov.uk");
    assert_eq!(
        app.fetch_registration(&registration).await["email"],
        "ada.lovelace@camden.gov.uk"
    );
}

#[tokio::test]
async fn the_borough_is_matched_ignoring_case_and_returned_in_its_common_spelling() {
    let (app, _, event) = with_event(Some(30)).await;

    for (i, (sent, shown)) in [
        ("kensington AND chelsea", "Kensington and Chelsea"),
        ("CITY OF LONDON", "City of London"),
        ("camden", "Camden"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = registration("Ada Lovelace", &format!("ada{i}@camden.gov.uk"));
        body["borough"] = json!(sent);
        let registration = created(app.post_registration(event, &body).await).await;
        assert_eq!(registration["borough"], shown, "borough sent as {sent:?}");
    }
}

#[tokio::test]
async fn job_title_and_accessibility_needs_are_kept() {
    let (app, _, event) = with_event(Some(30)).await;
    let mut body = ada();
    body["job_title"] = json!("Head of Libraries");
    body["accessibility_needs"] = json!("Step-free access, please");

    let registration = created(app.post_registration(event, &body).await).await;

    assert_eq!(registration["job_title"], "Head of Libraries");
    assert_eq!(
        registration["accessibility_needs"],
        "Step-free access, please"
    );
    let own = app.fetch_registration(&registration).await;
    assert_eq!(own["job_title"], "Head of Libraries");
    assert_eq!(own["accessibility_needs"], "Step-free access, please");
}

// --- validation -----------------------------------------------------------------------

#[tokio::test]
async fn each_invalid_field_is_422_naming_it_and_nothing_is_stored() {
    let (app, admin, event) = with_event(Some(30)).await;

    let set =
        |key: &'static str, value: Value| (case_name(key, &value), reg_body_with(key, value), key);
    let cases = [
        set("full_name", json!("")),
        set("full_name", json!("   ")),
        set("full_name", json!("a".repeat(201))),
        set("email", json!("")),
        set("email", json!("not-an-email")),
        set("email", json!("ada@")),
        set("email", json!("@camden.gov.uk")),
        set("borough", json!("Gotham")),
        set("accessibility_needs", json!("x".repeat(1001))),
        set("consent", json!(false)),
        ("no consent".into(), reg_body_without("consent"), "consent"),
        set("phone", json!("020 7946 0000")),
    ];
    for (case, body, field) in cases {
        assert_invalid(&case, app.post_registration(event, &body).await, field).await;
    }
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 0);
}

#[tokio::test]
async fn a_full_name_of_200_and_accessibility_needs_of_1000_characters_are_accepted() {
    let (app, _, event) = with_event(Some(30)).await;

    for (i, (key, longest)) in [
        ("full_name", "é".repeat(200)),
        ("accessibility_needs", "x".repeat(1000)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = registration("Ada Lovelace", &format!("ada{i}@camden.gov.uk"));
        body[key] = json!(longest);
        let registration = created(app.post_registration(event, &body).await).await;
        assert_eq!(registration[key], longest, "{key}");
    }
}

// --- rules ----------------------------------------------------------------------------

#[tokio::test]
async fn a_draft_event_is_404_not_found() {
    let (app, admin) = with_admin().await;
    let draft = app
        .create_event(&admin, &event_body("Service specifications", 10))
        .await;

    for key in [
        draft["id"].as_i64().unwrap().to_string(),
        draft["slug"].as_str().unwrap().to_string(),
    ] {
        let response = ada_registers(&app, key).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn an_unknown_event_is_404_not_found() {
    let app = spawn_app().await;

    for key in ["999999", "no-such-event"] {
        let response = ada_registers(&app, key).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn a_cancelled_event_is_409_event_cancelled() {
    let (app, admin, event) = with_event(Some(30)).await;
    app.cancel_event(&admin, event, "The venue is closed for repairs.")
        .await;

    let response = ada_registers(&app, event).await;

    assert_problem(response, StatusCode::CONFLICT, "event-cancelled").await;
}

#[tokio::test]
async fn an_event_that_takes_no_registration_now_is_409_saying_why() {
    let (app, admin) = with_admin().await;
    let now = chrono::Utc::now();
    let with_registration = |registration: Value| {
        let mut body = event_body("Service specifications", 10);
        body["registration"] = registration;
        body
    };
    let opens = (now + chrono::Duration::days(2)).to_rfc3339();
    let closed = (now - chrono::Duration::days(1)).to_rfc3339();
    let cases = [
        (
            "an event that has started",
            event_body("Service specifications", -1),
            None,
            "event-past",
        ),
        (
            "registration not yet open",
            with_registration(json!({ "opens_at": opens })),
            Some("not_yet_open"),
            "registration-closed",
        ),
        (
            "registration past its closing time",
            with_registration(json!({ "closes_at": closed })),
            Some("closed"),
            "registration-closed",
        ),
        (
            "an event without registration",
            with_registration(json!({"required": false})),
            None,
            "registration-not-required",
        ),
    ];
    for (case, body, state, kind) in cases {
        let event = app.published_event(&admin, &body).await;
        if let Some(state) = state {
            assert_eq!(event["registration"]["state"], state, "{case}");
        }
        let response = ada_registers(&app, event_id(&event)).await;
        assert_problem_in(case, response, StatusCode::CONFLICT, kind).await;
    }
}

#[tokio::test]
async fn the_same_email_in_any_letter_case_is_409_already_registered() {
    let (app, admin, event) = with_event(Some(30)).await;
    app.register_email(event, "ada@camden.gov.uk").await;

    for again in ["ada@camden.gov.uk", "ADA@Camden.Gov.UK"] {
        let response = app
            .post_registration(event, &registration("Ada Again", again))
            .await;
        assert_problem(response, StatusCode::CONFLICT, "already-registered").await;
    }
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 1);
}

#[tokio::test]
async fn a_waitlisted_email_is_also_already_registered() {
    let (app, _, event) = with_event(Some(1)).await;
    let [_, waiting] = app
        .register_each(event, ["first@camden.gov.uk", "ada@camden.gov.uk"])
        .await;
    assert_eq!(waiting["status"], "waitlisted");

    let response = app
        .post_registration(event, &registration("Ada", "Ada@Camden.gov.uk"))
        .await;

    assert_problem(response, StatusCode::CONFLICT, "already-registered").await;
}

#[tokio::test]
async fn the_same_email_may_register_for_another_event() {
    let (app, admin, first) = with_event(Some(30)).await;
    let second = app.open_event(&admin, Some(30)).await;
    app.register_email(first, "ada@camden.gov.uk").await;

    let registration = app.register_email(second, "ada@camden.gov.uk").await;

    assert_eq!(registration["event_id"], second);
    assert_eq!(registration["status"], "confirmed");
}

#[tokio::test]
async fn after_cancelling_the_same_email_may_register_again() {
    let (app, _, event, first) = ada_registered(30).await;
    app.cancel_registration(&first).await;

    let again = created(
        app.post_registration(event, &registration("Ada Lovelace", "ADA@camden.gov.uk"))
            .await,
    )
    .await;

    assert_ne!(again["id"], first["id"]);
    assert_eq!(again["status"], "confirmed");
    assert_eq!(app.fetch_registration(&first).await["status"], "cancelled");
}

// --- Idempotency-Key ------------------------------------------------------------------

#[tokio::test]
async fn a_retry_with_the_same_key_and_body_returns_the_original_201() {
    let (app, admin, event) = with_event(Some(30)).await;
    let body = ada();
    let key = "3f1c8a2e-retry-1";

    let first = post_with_key(&app, event, key, &body).await;
    let first_location = first.headers().get("location").cloned();
    let first = created(first).await;
    let retry = post_with_key(&app, event, key, &body).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers().get("location").cloned(), first_location);
    let retry: Value = retry.json().await.unwrap();

    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["manage_token"], first["manage_token"]);
    assert_eq!(retry["status"], "confirmed");
    assert_eq!(retry["waitlist_position"], Value::Null);
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 1);
    let queued = app.outbox(&admin).await;
    assert_eq!(queued.len(), 1, "one confirmation only: {queued:?}");
}

#[tokio::test]
async fn a_waitlisted_retry_returns_the_same_status_and_position() {
    let (app, admin, event) = with_event(Some(1)).await;
    app.register_email(event, "first@camden.gov.uk").await;
    let body = ada();

    let first = created(post_with_key(&app, event, "wait-1", &body).await).await;
    let retry = created(post_with_key(&app, event, "wait-1", &body).await).await;

    assert_eq!(first["status"], "waitlisted");
    assert_eq!(first["waitlist_position"], 1);
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["manage_token"], first["manage_token"]);
    assert_eq!(retry["status"], "waitlisted");
    assert_eq!(retry["waitlist_position"], 1);
    let listed = admin_registrations(&app, &admin, event).await;
    assert_eq!(listed["total"], 2);
    let waitlisted = app
        .outbox(&admin)
        .await
        .into_iter()
        .filter(|n| n["template"] == "registration_waitlisted")
        .count();
    assert_eq!(waitlisted, 1, "one waiting-list message only");
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_409_idempotency_key_reused() {
    let (app, admin, event) = with_event(Some(30)).await;
    created(post_with_key(&app, event, "key-1", &ada()).await).await;

    let response = post_with_key(
        &app,
        event,
        "key-1",
        &registration("Grace Hopper", "grace@hackney.gov.uk"),
    )
    .await;

    assert_problem(response, StatusCode::CONFLICT, "idempotency-key-reused").await;
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 1);
}

#[tokio::test]
async fn the_same_key_on_another_event_is_independent() {
    let (app, admin, first) = with_event(Some(30)).await;
    let second = app.open_event(&admin, Some(30)).await;
    let body = ada();

    let one = created(post_with_key(&app, first, "shared", &body).await).await;
    let two = created(post_with_key(&app, second, "shared", &body).await).await;

    assert_ne!(one["id"], two["id"]);
    assert_eq!(one["event_id"], first);
    assert_eq!(two["event_id"], second);
    assert_eq!(admin_registrations(&app, &admin, first).await["total"], 1);
    assert_eq!(admin_registrations(&app, &admin, second).await["total"], 1);
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400() {
    let (app, admin, event) = with_event(Some(30)).await;
    let body = ada();

    for key in ["k".repeat(300), "two words".to_string()] {
        let response = post_with_key(&app, event, &key, &body).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    }
    assert_eq!(admin_registrations(&app, &admin, event).await["total"], 0);
}

// --- capacity and the waiting list ----------------------------------------------------

#[tokio::test]
async fn beyond_capacity_people_are_waitlisted_with_positions_in_order() {
    let (app, _, event) = with_event(Some(2)).await;

    let seen: Vec<_> = app
        .register_emails(event, &FIVE)
        .await
        .iter()
        .map(|r| (r["status"].clone(), r["waitlist_position"].clone()))
        .collect();

    assert_eq!(
        seen,
        [
            confirmed(),
            confirmed(),
            waitlisted(1),
            waitlisted(2),
            waitlisted(3)
        ]
    );
}

#[tokio::test]
async fn seats_remaining_and_the_registration_state_tell_the_truth() {
    let (app, _, event) = with_event(Some(2)).await;

    assert_eq!(seats(&app, event).await, (json!(2), json!("open")));
    for (email, left, state) in [
        ("a@x.gov.uk", 1, "open"),
        ("b@x.gov.uk", 0, "full_waitlist_open"),
        ("c@x.gov.uk", 0, "full_waitlist_open"),
    ] {
        app.register_email(event, email).await;
        assert_eq!(
            seats(&app, event).await,
            (json!(left), json!(state)),
            "after {email}"
        );
    }
}

#[tokio::test]
async fn an_event_without_a_capacity_confirms_everyone() {
    let (app, _, event) = with_event(None).await;

    for i in 0..5 {
        let r = app.register_email(event, &format!("p{i}@x.gov.uk")).await;
        assert_eq!(r["status"], "confirmed");
    }
    let public = app.public_event(event).await;
    assert_eq!(public["seats_remaining"], Value::Null);
    assert_eq!(public["registration"]["state"], "open");
}

// --- self-service ---------------------------------------------------------------------

#[tokio::test]
async fn the_holder_reads_the_registration_with_its_manage_token() {
    let (app, _, event, registration) = ada_registered(30).await;

    let own = app.fetch_registration(&registration).await;

    assert_eq!(own["id"], registration["id"]);
    assert_eq!(own["status"], "confirmed");
    assert_eq!(own["email"], "ada@camden.gov.uk");
    assert_eq!(own["event_id"], event);
}

#[tokio::test]
async fn a_wrong_missing_or_other_token_is_404_like_an_unknown_id() {
    let (app, _, event, ada) = ada_registered(30).await;
    let grace = app.register_email(event, "grace@hackney.gov.uk").await;
    let id = registration_id(&ada);

    let unknown = app
        .get_registration(&uuid::Uuid::new_v4().to_string(), &manage_token(&ada))
        .await;
    let unknown = assert_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;

    let mut answers = Vec::new();
    for (name, token) in [
        ("wrong", Some("not-the-token".to_string())),
        ("empty", Some(String::new())),
        ("other registration's", Some(manage_token(&grace))),
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
        app.fetch_registration(&ada).await["status"],
        "confirmed",
        "still active"
    );
}

#[tokio::test]
async fn a_non_uuid_registration_id_is_404() {
    let (app, _, _, registration) = ada_registered(30).await;
    let token = manage_token(&registration);

    for id in ["1", "not-a-uuid"] {
        let response = app.get_registration(id, &token).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = app.delete_registration(id, &token).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

#[tokio::test]
async fn cancelling_is_204_and_the_registration_shows_cancelled() {
    let (app, _, _, registration) = ada_registered(30).await;

    app.cancel_registration(&registration).await;

    let own = app.fetch_registration(&registration).await;
    assert_eq!(own["status"], "cancelled");
    assert_eq!(own["waitlist_position"], Value::Null);
}

#[tokio::test]
async fn cancelling_a_confirmed_registration_with_nobody_waiting_frees_a_seat() {
    let (app, _, event) = with_event(Some(2)).await;
    let people = app.register_emails(event, &FIVE[..2]).await;
    assert_eq!(seats(&app, event).await.0, 0);

    app.cancel_registration(&people[0]).await;

    assert_eq!(seats(&app, event).await, (json!(1), json!("open")));
}

#[tokio::test]
async fn cancelling_a_confirmed_registration_promotes_the_first_waitlisted() {
    let (app, _, event) = with_event(Some(2)).await;
    let people = app.register_emails(event, &FIVE).await;

    app.cancel_registration(&people[0]).await;

    assert_eq!(
        places(&app, &people[2..]).await,
        [confirmed(), waitlisted(1), waitlisted(2)]
    );
    assert_eq!(
        seats(&app, event).await,
        (json!(0), json!("full_waitlist_open"))
    );
}

#[tokio::test]
async fn cancelling_twice_is_409_registration_cancelled() {
    let (app, _, _, registration) = ada_registered(30).await;
    app.cancel_registration(&registration).await;

    let response = app.delete_own_registration(&registration).await;

    assert_problem(response, StatusCode::CONFLICT, "registration-cancelled").await;
}

#[tokio::test]
async fn cancelling_a_waitlisted_registration_closes_up_positions_and_frees_no_seat() {
    let (app, _, event) = with_event(Some(2)).await;
    let mut people = app.register_emails(event, &FIVE).await;

    app.cancel_registration(&people.remove(2)).await;

    assert_eq!(
        places(&app, &people).await,
        [confirmed(), confirmed(), waitlisted(1), waitlisted(2)]
    );
    assert_eq!(
        seats(&app, event).await,
        (json!(0), json!("full_waitlist_open"))
    );
    let next = app.register_email(event, "f@x.gov.uk").await;
    assert_eq!(next["status"], "waitlisted");
    assert_eq!(next["waitlist_position"], 3);
}

#[tokio::test]
async fn a_registrant_cannot_cancel_once_the_event_has_started() {
    let (app, admin, event, registration) = ada_registered(30).await;
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

    let response = app.delete_own_registration(&registration).await;

    assert_problem(response, StatusCode::CONFLICT, "event-past").await;
    assert_eq!(
        app.fetch_registration(&registration).await["status"],
        "confirmed"
    );
}
