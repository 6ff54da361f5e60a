//! The applicant's side of Community of Practice membership: the password policy at
//! sign-up, applying, the latest application and `membership_status` on GET /me.

use chrono::DateTime;
use llcp_hub::domain::Role;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const APPLY: &str = "/api/v1/me/membership-application";

fn signup(email: &str, password: &str) -> Value {
    json!({
        "email": email,
        "password": password,
        "full_name": "Ada Lovelace",
        "organisation": "London Borough of Camden",
        "borough": "Camden",
    })
}

async fn sign_up(app: &TestApp, email: &str, password: &str) -> Response {
    app.sign_up(&signup(email, password)).await
}

/// Asserts a 422 whose `errors` are all about `password` and returns their messages.
async fn password_messages(response: Response) -> Vec<String> {
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let fields = error_fields(&problem);
    assert!(
        !fields.is_empty() && fields.iter().all(|f| f == "password"),
        "only password errors in {problem}"
    );
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

fn application() -> Value {
    json!({
        "statement": "I run the libraries service and would like to share our co-location work.",
        "organisation": "London Borough of Camden",
        "borough": "Camden",
        "job_title": "Head of Libraries",
    })
}

async fn apply(app: &TestApp, token: &str, body: &Value) -> Response {
    app.apply(token, body).await
}

/// Applies with a valid body and returns the 201 JSON.
async fn apply_ok(app: &TestApp, token: &str) -> Value {
    let response = apply(app, token, &application()).await;
    expect_json(response, StatusCode::CREATED, "apply").await
}

async fn my_application(app: &TestApp, token: &str) -> Response {
    app.get(APPLY).bearer_auth(token).send().await.unwrap()
}

async fn membership_status(app: &TestApp, token: &str) -> String {
    let response = app
        .get("/api/v1/me")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["membership_status"].as_str().unwrap().to_string()
}

/// An admin's decision on the application (200 asserted); the decided application.
async fn decide(
    app: &TestApp,
    admin: &str,
    application: &Value,
    action: &str,
    body: Value,
) -> Value {
    let id = application["id"].as_str().unwrap();
    let response = app.decide(admin, id, action, Some(&body)).await;
    expect_json(response, StatusCode::OK, action).await
}

fn hours_between(from: &Value, to: &Value) -> f64 {
    let from = DateTime::parse_from_rfc3339(from.as_str().unwrap()).unwrap();
    let to = DateTime::parse_from_rfc3339(to.as_str().unwrap()).unwrap();
    (to - from).num_seconds() as f64 / 3600.0
}

// --- a verified email first -----------------------------------------------------------

#[tokio::test]
async fn only_an_account_that_verified_its_email_may_apply() {
    let app = spawn_app().await;
    let response = sign_up(&app, "ada@camden.gov.uk", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let token = access_token(&app.sign_in("ada@camden.gov.uk").await);
    let refused = apply(&app, &token, &application()).await;
    assert_problem(refused, StatusCode::FORBIDDEN, "email-unverified").await;
    assert_eq!(membership_status(&app, &token).await, "none");

    app.verify_email("ada@camden.gov.uk").await;
    apply_ok(&app, &token).await;
    assert_eq!(membership_status(&app, &token).await, "pending");
}

// --- passwords at sign-up -------------------------------------------------------------

#[tokio::test]
async fn sign_up_refuses_passwords_outside_12_to_128_characters() {
    let app = spawn_app().await;
    for (i, bad) in ["elevenchars".to_string(), "x".repeat(129)]
        .iter()
        .enumerate()
    {
        let messages =
            password_messages(sign_up(&app, &format!("p{i}@camden.gov.uk"), bad).await).await;
        assert_eq!(messages, vec!["must be 12 to 128 characters"], "{bad}");
    }
    for (i, good) in ["twelve chars".to_string(), "é".repeat(128)]
        .iter()
        .enumerate()
    {
        let response = sign_up(&app, &format!("ok{i}@camden.gov.uk"), good).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{good}");
    }
}

#[tokio::test]
async fn sign_up_refuses_common_passwords_in_any_letter_case() {
    let app = spawn_app().await;
    for (i, common) in [
        "q1w2e3r4t5y6",
        "1qaz2wsx3edc",
        "qwerty123456",
        "QWERTY123456",
        "Q1W2e3r4T5y6",
    ]
    .iter()
    .enumerate()
    {
        let response = sign_up(&app, &format!("common{i}@camden.gov.uk"), common).await;
        let messages = password_messages(response).await;
        assert_eq!(messages.len(), 1, "{common}: {messages:?}");
        assert!(messages[0].contains("common"), "{common}: {messages:?}");
    }
}

#[tokio::test]
async fn sign_up_refuses_passwords_containing_the_email_local_part() {
    let app = spawn_app().await;
    let response = sign_up(
        &app,
        "ada.lovelace@camden.gov.uk",
        "my ADA.Lovelace passphrase",
    )
    .await;
    let messages = password_messages(response).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("email"), "{messages:?}");

    // The local part is compared case-insensitively in both directions.
    let response = sign_up(
        &app,
        "Grace.Hopper@camden.gov.uk",
        "all about grace.hopper!",
    )
    .await;
    assert_eq!(password_messages(response).await.len(), 1);

    // A three-character local part counts; a two-character one is too common to refuse.
    let response = sign_up(&app, "bob@camden.gov.uk", "what about bob then").await;
    assert_eq!(password_messages(response).await.len(), 1);
    let response = sign_up(&app, "al@camden.gov.uk", "totally alright here").await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn sign_up_names_every_broken_password_rule_with_its_own_message() {
    let app = spawn_app().await;
    // Too short, common and the email's local part: three reasons.
    let response = sign_up(&app, "password@camden.gov.uk", "Password").await;
    let messages = password_messages(response).await;
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("12 to 128")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("common")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("email")), "{messages:?}");

    // Common and built on the local part, but long enough: two reasons.
    let response = sign_up(&app, "qwerty@camden.gov.uk", "qwerty123456").await;
    let messages = password_messages(response).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    let mut distinct = messages.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 2, "one message per reason: {messages:?}");
}

// --- applying ---------------------------------------------------------------------------

#[tokio::test]
async fn applying_and_reading_the_application_need_a_token() {
    let app = spawn_app().await;
    let response = app.post(APPLY).json(&application()).send().await.unwrap();
    assert!(response.headers().contains_key("www-authenticate"));
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.get(APPLY).send().await.unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = apply(&app, "not-a-jwt", &application()).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn an_application_is_pending_with_a_decision_promised_within_24_hours() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let mut body = application();
    body["borough"] = json!("  kensington AND chelsea ");
    let response = apply(&app, &token, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.headers()["location"],
        "/api/v1/me/membership-application"
    );
    let created: Value = response.json().await.unwrap();
    assert!(uuid::Uuid::parse_str(created["id"].as_str().unwrap()).is_ok());
    assert_eq!(created["status"], "pending");
    assert_eq!(created["overdue"], false);
    assert_eq!(created["borough"], "Kensington and Chelsea");
    assert_eq!(created["statement"], application()["statement"]);
    assert_eq!(created["organisation"], "London Borough of Camden");
    assert_eq!(created["job_title"], "Head of Libraries");
    assert!(created["decided_at"].is_null() && created["reason"].is_null());
    assert_eq!(
        hours_between(&created["submitted_at"], &created["respond_by"]),
        24.0
    );
}

#[tokio::test]
async fn respond_by_follows_the_configured_promise() {
    let app = spawn_app_with(|s| s.membership_sla = std::time::Duration::from_secs(2 * 3600)).await;
    let token = app.member_token().await;
    let created = apply_ok(&app, &token).await;
    assert_eq!(
        hours_between(&created["submitted_at"], &created["respond_by"]),
        2.0
    );
    assert_eq!(created["overdue"], false);
}

#[tokio::test]
async fn my_application_is_404_before_applying_and_then_the_latest() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    assert_problem(
        my_application(&app, &token).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;

    let created = apply_ok(&app, &token).await;
    let response = my_application(&app, &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mine: Value = response.json().await.unwrap();
    assert_eq!(mine, created);
}

#[tokio::test]
async fn another_account_does_not_see_my_application() {
    let app = spawn_app().await;
    let mine = app.member_token().await;
    apply_ok(&app, &mine).await;
    let other = app.token_for("other@example.org", Role::Member).await;
    assert_problem(
        my_application(&app, &other).await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    assert_eq!(membership_status(&app, &other).await, "none");
}

#[tokio::test]
async fn membership_status_is_none_before_applying_and_pending_after() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    assert_eq!(membership_status(&app, &token).await, "none");
    apply_ok(&app, &token).await;
    assert_eq!(membership_status(&app, &token).await, "pending");
}

#[tokio::test]
async fn a_second_application_while_one_is_pending_is_409() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let first = apply_ok(&app, &token).await;
    let response = apply(&app, &token, &application()).await;
    assert_problem(response, StatusCode::CONFLICT, "application-pending").await;
    let mine: Value = my_application(&app, &token).await.json().await.unwrap();
    assert_eq!(mine["id"], first["id"], "the first application stands");
}

#[tokio::test]
async fn concurrent_applications_by_one_account_leave_exactly_one_pending() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let body = application();
    let responses =
        futures_util::future::join_all((0..6).map(|_| apply(&app, &token, &body))).await;
    let mut created = 0;
    for response in responses {
        match response.status() {
            StatusCode::CREATED => created += 1,
            _ => {
                assert_problem(response, StatusCode::CONFLICT, "application-pending").await;
            }
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn a_new_application_is_allowed_after_a_rejection() {
    let (app, admin) = with_admin().await;
    let token = app.member_token().await;
    let first = apply_ok(&app, &token).await;
    decide(
        &app,
        &admin,
        &first,
        "reject",
        json!({"reason": "Please tell us more about your role."}),
    )
    .await;

    let second = apply_ok(&app, &token).await;
    assert_ne!(second["id"], first["id"]);
    assert_eq!(second["status"], "pending");
    let mine: Value = my_application(&app, &token).await.json().await.unwrap();
    assert_eq!(mine["id"], second["id"], "the latest application is shown");
    assert_eq!(membership_status(&app, &token).await, "pending");
}

#[tokio::test]
async fn a_member_cannot_apply_again() {
    let (app, admin) = with_admin().await;
    let token = app.member_token().await;
    let created = apply_ok(&app, &token).await;
    decide(&app, &admin, &created, "approve", json!({})).await;
    let response = apply(&app, &token, &application()).await;
    assert_problem(response, StatusCode::CONFLICT, "already-member").await;
}

#[tokio::test]
async fn membership_status_and_my_application_follow_the_decisions() {
    let (app, admin) = with_admin().await;
    let token = app.member_token().await;
    assert_eq!(membership_status(&app, &token).await, "none");

    let first = apply_ok(&app, &token).await;
    assert_eq!(membership_status(&app, &token).await, "pending");
    let reason = "We need a statement about your borough's library plans.";
    decide(&app, &admin, &first, "reject", json!({ "reason": reason })).await;
    assert_eq!(membership_status(&app, &token).await, "rejected");
    let mine: Value = my_application(&app, &token).await.json().await.unwrap();
    assert_eq!(mine["status"], "rejected");
    assert_eq!(mine["reason"], reason, "the applicant sees why");
    assert!(mine["decided_at"].is_string());
    assert_eq!(mine["overdue"], false);

    let second = apply_ok(&app, &token).await;
    assert_eq!(membership_status(&app, &token).await, "pending");
    decide(&app, &admin, &second, "approve", json!({})).await;
    assert_eq!(membership_status(&app, &token).await, "member");
    let mine: Value = my_application(&app, &token).await.json().await.unwrap();
    assert_eq!(mine["id"], second["id"]);
    assert_eq!(mine["status"], "approved");
    assert!(mine["reason"].is_null());
}

// --- validation -------------------------------------------------------------------------

#[tokio::test]
async fn each_invalid_application_field_is_422_naming_exactly_it() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let set = |key: &'static str, value: Value| {
        let mut body = application();
        body[key] = value.clone();
        (case_name(key, &value), body, key)
    };
    let mut without_job_title = application();
    without_job_title
        .as_object_mut()
        .unwrap()
        .remove("job_title");
    let cases = [
        set("statement", json!("s".repeat(19))),
        set("statement", json!("s".repeat(2001))),
        set("statement", json!(format!("   {}   ", "s".repeat(19)))),
        set("statement", json!("")),
        set("borough", json!("Gotham")),
        set("borough", json!("Surrey")),
        set("borough", json!("")),
        ("no job_title".into(), without_job_title, "job_title"),
        set("status", json!("approved")),
    ];
    for (case, body, field) in cases {
        let fields = invalid_fields(&case, apply(&app, &token, &body).await).await;
        assert_eq!(fields, [field], "{case}");
    }
    assert_eq!(membership_status(&app, &token).await, "none");
}

#[tokio::test]
async fn statements_of_20_and_2000_characters_are_accepted() {
    let app = spawn_app().await;
    for (i, good) in ["é".repeat(20), "s".repeat(2000)].iter().enumerate() {
        let applicant = app
            .token_for(&format!("good{i}@example.org"), Role::Member)
            .await;
        let mut body = application();
        body["statement"] = json!(good);
        let response = apply(&app, &applicant, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{} characters",
            good.chars().count()
        );
    }
}

#[tokio::test]
async fn every_invalid_field_is_named_at_once() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let body = json!({
        "statement": "Too short.",
        "organisation": "   ",
        "borough": "Atlantis",
        "job_title": "  ",
    });
    let mut fields = invalid_fields("all at once", apply(&app, &token, &body).await).await;
    fields.sort();
    assert_eq!(
        fields,
        vec!["borough", "job_title", "organisation", "statement"]
    );
}
