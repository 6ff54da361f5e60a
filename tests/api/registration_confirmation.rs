//! Events that hold each registration until its email is confirmed: the hold and its
//! seat, the emailed link (its own token, not the manage token), confirming into a
//! seat or onto the waiting list, lapsing (with a controlled clock) and the freed seat,
//! and the mode's default for new events.

use llcp_hub::auth::tokens::{AccountTokens, ManageTokens};
use llcp_hub::notify::Links;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

/// A published event with email confirmation on and `capacity` seats.
async fn confirming_event(app: &TestApp, admin: &str, capacity: i64) -> i64 {
    let mut body = event_body("Service specifications", 10);
    body["capacity"] = json!(capacity);
    body["registration"] = json!({"email_confirmation": true});
    event_id(&app.published_event(admin, &body).await)
}

fn confirmation_token(registration: &Value) -> String {
    ManageTokens::new(TEST_JWT_SECRET).confirmation_token_for(&registration_id(registration))
}

fn confirm(app: &TestApp, registration: &Value, token: &str) -> reqwest::RequestBuilder {
    let id = registration_id(registration);
    app.post(&format!("/api/v1/registrations/{id}/confirm"))
        .json(&json!({ "token": token }))
}

/// Follows the registration's confirmation link (200 asserted); the registration.
async fn confirmed(app: &TestApp, registration: &Value) -> Value {
    let response = confirm(app, registration, &confirmation_token(registration))
        .send()
        .await
        .expect("answered");
    expect_json(response, StatusCode::OK, "confirm").await
}

async fn seats_remaining(app: &TestApp, event: i64) -> Value {
    app.public_event(event).await["seats_remaining"].clone()
}

/// (status, waitlist_position) as the holder sees it.
async fn place(app: &TestApp, registration: &Value) -> (String, Value) {
    let own = app.fetch_registration(registration).await;
    (
        own["status"].as_str().unwrap().to_string(),
        own["waitlist_position"].clone(),
    )
}

/// Runs the job that lapses holds as if it were `minutes` from now.
fn lapse_holds_in(app: &TestApp, minutes: i64) -> usize {
    let links = Links {
        base_url: BASE_URL.into(),
        manage_tokens: ManageTokens::new(TEST_JWT_SECRET),
        account_tokens: AccountTokens::new(TEST_JWT_SECRET),
    };
    let at = llcp_hub::domain::time::now() + chrono::Duration::minutes(minutes);
    let mut conn = app.pool.get().unwrap();
    llcp_hub::service::registrations::lapse_holds(&mut conn, &links, at).unwrap()
}

fn templates_to(app: &TestApp, email: &str) -> Vec<String> {
    app.db_texts(&format!(
        "SELECT template AS value FROM notifications WHERE recipient = '{email}' ORDER BY created_at, id"
    ))
}

#[tokio::test]
async fn a_registration_is_held_with_its_seat_until_the_emailed_link_is_followed() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 2).await;
    let public = app.public_event(event).await;
    assert_eq!(public["registration"]["email_confirmation"], true);

    let ada = app.register_email(event, "ada@camden.gov.uk").await;
    assert_eq!(ada["status"], "pending_confirmation");
    assert_eq!(ada["waitlist_position"], Value::Null);
    let confirm_by = chrono::DateTime::parse_from_rfc3339(ada["confirm_by"].as_str().unwrap())
        .expect("confirm_by is a time");
    let created = chrono::DateTime::parse_from_rfc3339(ada["created_at"].as_str().unwrap())
        .expect("created_at is a time");
    assert_eq!(confirm_by - created, chrono::Duration::minutes(30));
    assert_eq!(seats_remaining(&app, event).await, 1, "the hold has a seat");
    assert_eq!(
        templates_to(&app, "ada@camden.gov.uk"),
        ["registration_confirm_email"]
    );
    let body = &app.db_texts("SELECT body AS value FROM notifications")[0];
    let id = registration_id(&ada);
    assert!(
        body.contains(&format!(
            "{BASE_URL}/registrations/{id}/confirm#token=[confirmation-token]"
        )),
        "{body}"
    );
    assert!(
        !body.contains("/manage#"),
        "no manage link before confirming"
    );

    let now_confirmed = confirmed(&app, &ada).await;
    assert_eq!(now_confirmed["status"], "confirmed");
    assert_eq!(now_confirmed["confirm_by"], Value::Null);
    assert_eq!(
        seats_remaining(&app, event).await,
        1,
        "the held seat is kept"
    );
    assert_eq!(
        templates_to(&app, "ada@camden.gov.uk"),
        ["registration_confirm_email", "registration_confirmed"]
    );

    let again = confirmed(&app, &ada).await;
    assert_eq!(again["status"], "confirmed", "following the link twice");
    assert_eq!(templates_to(&app, "ada@camden.gov.uk").len(), 2);
}

#[tokio::test]
async fn the_manage_token_or_another_registrations_link_does_not_confirm() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 5).await;
    let [ada, bob] = app
        .register_each(event, ["ada@camden.gov.uk", "bob@camden.gov.uk"])
        .await;
    assert_ne!(confirmation_token(&ada), manage_token(&ada));
    for token in [manage_token(&ada), confirmation_token(&bob), String::new()] {
        assert_problem_of(
            confirm(&app, &ada, &token),
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
    }
    let unknown = json!({"id": "00000000-0000-4000-8000-000000000000"});
    assert_problem_of(
        confirm(&app, &unknown, &confirmation_token(&unknown)),
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(place(&app, &ada).await.0, "pending_confirmation");
}

#[tokio::test]
async fn a_hold_made_on_a_full_event_joins_the_back_of_the_waiting_list_when_confirmed() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 1).await;
    let [ada, bob, cy] = app
        .register_each(
            event,
            ["ada@camden.gov.uk", "bob@camden.gov.uk", "cy@camden.gov.uk"],
        )
        .await;
    assert_eq!(seats_remaining(&app, event).await, 0);
    // Cy confirms before Bob, so Cy is ahead of Bob on the list.
    let cy_now = confirmed(&app, &cy).await;
    assert_eq!(cy_now["status"], "waitlisted");
    assert_eq!(cy_now["waitlist_position"], 1);
    assert_eq!(
        templates_to(&app, "cy@camden.gov.uk"),
        ["registration_confirm_email", "registration_waitlisted"]
    );
    let bob_now = confirmed(&app, &bob).await;
    assert_eq!(bob_now["waitlist_position"], 2);
    assert_eq!(confirmed(&app, &ada).await["status"], "confirmed");
    assert_eq!(place(&app, &cy).await, ("waitlisted".into(), json!(1)));
}

#[tokio::test]
async fn unconfirmed_holds_lapse_free_their_seats_and_promote_the_waiting_list() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 1).await;
    let [ada, bob] = app
        .register_each(event, ["ada@camden.gov.uk", "bob@camden.gov.uk"])
        .await;
    assert_eq!(confirmed(&app, &bob).await["status"], "waitlisted");

    assert_eq!(lapse_holds_in(&app, 29), 0, "not yet");
    assert_eq!(place(&app, &ada).await.0, "pending_confirmation");
    assert_eq!(lapse_holds_in(&app, 31), 1);
    assert_eq!(place(&app, &ada).await.0, "cancelled");
    assert_eq!(place(&app, &bob).await, ("confirmed".into(), Value::Null));
    assert_eq!(
        seats_remaining(&app, event).await,
        0,
        "the seat went to Bob"
    );
    assert_eq!(
        templates_to(&app, "bob@camden.gov.uk").last().unwrap(),
        "registration_promoted"
    );
    assert_eq!(
        templates_to(&app, "ada@camden.gov.uk"),
        ["registration_confirm_email"],
        "nothing more is mailed to an address that never confirmed"
    );
    assert_problem_of(
        confirm(&app, &ada, &confirmation_token(&ada)),
        StatusCode::CONFLICT,
        "confirmation-lapsed",
    )
    .await;
    assert_eq!(lapse_holds_in(&app, 31), 0, "each hold lapses once");

    let again = app.register_email(event, "ada@camden.gov.uk").await;
    assert_eq!(
        again["status"], "pending_confirmation",
        "Ada may register again"
    );
}

#[tokio::test]
async fn a_hold_past_its_time_cannot_be_confirmed_even_before_the_job_runs() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 1).await;
    let ada = app.register_email(event, "ada@camden.gov.uk").await;
    app.db_execute("UPDATE registrations SET confirm_by = created_at");
    assert_problem_of(
        confirm(&app, &ada, &confirmation_token(&ada)),
        StatusCode::CONFLICT,
        "confirmation-lapsed",
    )
    .await;
}

#[tokio::test]
async fn registering_for_a_full_event_first_frees_the_seats_of_its_lapsed_holds() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 1).await;
    let ada = app.register_email(event, "ada@camden.gov.uk").await;
    app.db_execute("UPDATE registrations SET confirm_by = created_at");
    let bob = app.register_email(event, "bob@camden.gov.uk").await;
    assert_eq!(place(&app, &ada).await.0, "cancelled");
    assert_eq!(
        confirmed(&app, &bob).await["status"],
        "confirmed",
        "Bob held the seat"
    );
}

#[tokio::test]
async fn cancelling_a_hold_frees_its_seat() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 1).await;
    let ada = app.register_email(event, "ada@camden.gov.uk").await;
    assert_eq!(seats_remaining(&app, event).await, 0);
    let response = app
        .manage_registration(Method::DELETE, &registration_id(&ada), &manage_token(&ada))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(seats_remaining(&app, event).await, 1);
    assert_problem_of(
        confirm(&app, &ada, &confirmation_token(&ada)),
        StatusCode::CONFLICT,
        "registration-cancelled",
    )
    .await;
}

#[tokio::test]
async fn admins_see_holds_counted_and_listed_by_status() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 1).await;
    let [ada, _bob] = app
        .register_each(event, ["ada@camden.gov.uk", "bob@camden.gov.uk"])
        .await;
    confirmed(&app, &ada).await;
    let admin_event = app
        .get_json(&admin, &format!("/api/v1/admin/events/{event}"))
        .await;
    let counts = &admin_event["registrations"];
    assert_eq!(counts["pending_confirmation"], 1, "{counts}");
    assert_eq!(counts["confirmed"], 1, "{counts}");
    let held = app
        .get_json(
            &admin,
            &format!("/api/v1/admin/events/{event}/registrations?status=pending_confirmation"),
        )
        .await;
    assert_eq!(held["total"], 1, "{held}");
    assert_eq!(held["items"][0]["email"], "bob@camden.gov.uk");
}

#[tokio::test]
async fn new_events_take_the_operators_default_and_an_edit_can_change_the_mode() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let plain = app
        .create_event(&admin, &event_body("Without confirmation", 10))
        .await;
    assert_eq!(plain["registration"]["email_confirmation"], false);

    let app = spawn_app_with(|s| s.email_confirmation.default_for_new_events = true).await;
    let admin = app.admin_token().await;
    let by_default = app
        .create_event(&admin, &event_body("With confirmation", 10))
        .await;
    assert_eq!(by_default["registration"]["email_confirmation"], true);
    let mut body = event_body("Explicitly without", 10);
    body["registration"] = json!({"email_confirmation": false});
    assert_eq!(
        app.create_event(&admin, &body).await["registration"]["email_confirmation"],
        false
    );
    let id = event_id(&by_default);
    let patch = json!({"registration": {"email_confirmation": false}});
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/admin/events/{id}"),
            &admin,
            Some(&patch),
        )
        .await;
    let edited = expect_json(response, StatusCode::OK, "patch").await;
    assert_eq!(edited["registration"]["email_confirmation"], false);
}

#[tokio::test]
async fn confirm_minutes_sets_how_long_a_place_is_held() {
    let app = spawn_app_with(|s| {
        s.email_confirmation.hold = std::time::Duration::from_secs(5 * 60);
    })
    .await;
    let admin = app.admin_token().await;
    let event = confirming_event(&app, &admin, 3).await;
    let ada = app.register_email(event, "ada@camden.gov.uk").await;
    let at =
        |field: &str| chrono::DateTime::parse_from_rfc3339(ada[field].as_str().unwrap()).unwrap();
    assert_eq!(
        at("confirm_by") - at("created_at"),
        chrono::Duration::minutes(5)
    );
    assert_eq!(lapse_holds_in(&app, 6), 1);
}

#[tokio::test]
async fn without_email_confirmation_a_registration_is_answered_at_once() {
    let (app, _admin, event) = with_event(Some(1)).await;
    let ada = app.register_email(event, "ada@camden.gov.uk").await;
    assert_eq!(ada["status"], "confirmed");
    assert_eq!(ada["confirm_by"], Value::Null);
    assert_eq!(
        templates_to(&app, "ada@camden.gov.uk"),
        ["registration_confirmed"]
    );
}

#[tokio::test]
async fn an_address_that_never_confirmed_is_sent_nothing_more() {
    let (app, admin) = with_admin().await;
    let event = confirming_event(&app, &admin, 5).await;
    let [ada, bob] = app
        .register_each(event, ["ada@camden.gov.uk", "bob@camden.gov.uk"])
        .await;
    confirmed(&app, &ada).await;
    let cancelled = app
        .manage_registration(Method::DELETE, &registration_id(&bob), &manage_token(&bob))
        .await;
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);
    let cy = app.register_email(event, "cy@camden.gov.uk").await;
    assert_eq!(cy["status"], "pending_confirmation");
    let response = app
        .send_json(
            Method::POST,
            &format!("/api/v1/admin/events/{event}/cancel"),
            &admin,
            Some(&json!({"reason": "The venue is closed."})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        templates_to(&app, "ada@camden.gov.uk").last().unwrap(),
        "event_cancelled"
    );
    for unconfirmed in ["bob@camden.gov.uk", "cy@camden.gov.uk"] {
        assert_eq!(
            templates_to(&app, unconfirmed),
            ["registration_confirm_email"],
            "{unconfirmed}"
        );
    }
}
