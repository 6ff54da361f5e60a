//! Per-address limits on anonymous writes: registrations (across events, and for one
//! event) and sign-ups, counted in the database, answered 429 with `Retry-After`.

use llcp_hub::config::{Limit, Settings};
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::*;

/// Requests through the trusted proxy at 127.0.0.1 from `client`.
fn behind_the_proxy(s: &mut Settings) {
    s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
}

async fn register_from(
    app: &TestApp,
    client: &str,
    event: impl std::fmt::Display,
    i: usize,
) -> Response {
    app.registration_request(event, &person(i))
        .header("x-forwarded-for", client)
        .send()
        .await
        .unwrap()
}

async fn assert_limited(response: Response) {
    let retry_after: u64 = header(&response, "retry-after").parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
}

#[tokio::test]
async fn of_forty_registrations_from_one_address_only_the_configured_number_succeed() {
    let app = spawn_app_with(|s| {
        behind_the_proxy(s);
        s.rate_limits.registrations_per_address_and_event = Limit::per_hour(5);
    })
    .await;
    let admin = app.admin_token().await;
    let event = app.open_event(&admin, Some(100)).await;
    let mut created = 0;
    for i in 0..40 {
        let response = register_from(&app, "203.0.113.9", event, i).await;
        if response.status() == StatusCode::CREATED {
            created += 1;
        } else {
            assert_limited(response).await;
        }
    }
    assert_eq!(created, 5);
    assert_eq!(
        app.public_event(event).await["seats_remaining"],
        95,
        "refusals hold no seat"
    );
    // Another address is not held back.
    let other = register_from(&app, "203.0.113.10", event, 40).await;
    assert_eq!(other.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_per_address_limit_spans_events_and_a_retry_does_not_count() {
    let app = spawn_app_with(|s| {
        behind_the_proxy(s);
        s.rate_limits.registrations_per_address = Limit::per_hour(3);
    })
    .await;
    let admin = app.admin_token().await;
    let first = app.open_event(&admin, None).await;
    let second = app.open_event(&admin, None).await;
    let retried = |i| {
        app.registration_request(first, &person(i))
            .header("x-forwarded-for", "203.0.113.9")
            .header("idempotency-key", "retry-1")
            .send()
    };
    assert_eq!(retried(0).await.unwrap().status(), StatusCode::CREATED);
    assert_eq!(
        retried(0).await.unwrap().status(),
        StatusCode::CREATED,
        "a replay"
    );
    assert_eq!(
        register_from(&app, "203.0.113.9", first, 1).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        register_from(&app, "203.0.113.9", second, 2).await.status(),
        StatusCode::CREATED
    );
    assert_limited(register_from(&app, "203.0.113.9", second, 3).await).await;
}

#[tokio::test]
async fn a_refused_registration_counts_nothing() {
    let app = spawn_app_with(|s| {
        behind_the_proxy(s);
        s.rate_limits.registrations_per_address = Limit::per_hour(1);
    })
    .await;
    let admin = app.admin_token().await;
    let event = app.open_event(&admin, None).await;
    assert_eq!(
        register_from(&app, "203.0.113.9", event, 0).await.status(),
        StatusCode::CREATED
    );
    // Past the limit: refused.
    assert_limited(register_from(&app, "203.0.113.9", event, 1).await).await;
    // Another address registering twice for the same email: a 409 counts nothing.
    let fresh = "203.0.113.77";
    assert_eq!(
        register_from(&app, "203.0.113.78", event, 5).await.status(),
        StatusCode::CREATED
    );
    let duplicate = register_from(&app, fresh, event, 5).await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    assert_eq!(
        register_from(&app, fresh, event, 6).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = spawn_app_with(|s| {
        behind_the_proxy(s);
        s.rate_limits.signups_per_address = Limit::per_hour(3);
    })
    .await;
    let sign_up = |client: &'static str, i: usize| {
        app.post("/api/v1/accounts")
            .header("x-forwarded-for", client)
            .json(&json!({
                "email": format!("officer{i}@camden.gov.uk"),
                "password": "a long enough password",
                "full_name": format!("Officer {i}"),
                "organisation": "London Borough of Camden",
            }))
            .send()
    };
    for i in 0..3 {
        let status = sign_up("203.0.113.9", i).await.unwrap().status();
        assert!(status.is_success(), "{status}");
    }
    assert_limited(sign_up("203.0.113.9", 3).await.unwrap()).await;
    // A reset request mails an address too, and shares the budget.
    let reset = app
        .post("/api/v1/accounts/password-reset")
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"email": "officer0@camden.gov.uk"}))
        .send()
        .await
        .unwrap();
    assert_limited(reset).await;
    let elsewhere = sign_up("203.0.113.10", 4).await.unwrap().status();
    assert!(elsewhere.is_success(), "{elsewhere}");
}
