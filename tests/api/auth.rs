use std::net::IpAddr;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use llcp_hub::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Api, PASSWORD, TEST_JWT_SECRET, TestApp, access_token, assert_bearer_challenge, assert_problem,
    has_header, header, spawn_app, spawn_app_with, with_admin,
};

#[tokio::test]
async fn login_returns_a_bearer_pair_that_works() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let response = app.login("ADA@camden.gov.uk", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(
        app.me_status(body["access_token"].as_str().unwrap()).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_answer_alike() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let wrong_password = app
        .login("ada@camden.gov.uk", "not the password at all")
        .await;
    assert!(has_header(&wrong_password, "www-authenticate"));
    let wrong_password =
        assert_problem(wrong_password, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let unknown = app.login("nobody@camden.gov.uk", PASSWORD).await;
    let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(wrong_password, unknown);
}

/// Claims of a session `sid` of `sub`.
fn session_claims(sub: &str, sid: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"iss": "llcp-hub", "aud": "llcp-hub-api", "sub": sub, "sid": sid, "iat": now, "exp": now + exp_offset})
}

/// Claims of the one open session of `sub` (see `signed_in`).
fn claims(sub: &str, exp_offset: i64) -> Value {
    session_claims(
        sub,
        SESSION.with(|s| s.borrow().clone()).as_str(),
        exp_offset,
    )
}

thread_local! {
    static SESSION: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Makes Ada's account, signs her in, and keeps the session id for `claims`; her id.
async fn signed_in(app: &TestApp) -> String {
    let id = app.insert_account("ada@camden.gov.uk", Role::Member);
    app.sign_in("ada@camden.gov.uk").await;
    let sessions = app.db_texts("SELECT family_id AS value FROM refresh_tokens");
    SESSION.with(|s| *s.borrow_mut() = sessions[0].clone());
    id
}

fn sign(header: Header, claims: &Value, secret: &[u8]) -> String {
    encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn at_header(alg: Algorithm) -> Header {
    Header {
        typ: Some("at+jwt".into()),
        ..Header::new(alg)
    }
}

#[tokio::test]
async fn a_forged_token_of_our_own_shape_is_accepted_so_the_negative_cases_mean_something() {
    let app = spawn_app().await;
    let id = signed_in(&app).await;
    let token = sign(
        at_header(Algorithm::HS256),
        &claims(&id, 60),
        TEST_JWT_SECRET,
    );
    assert_eq!(app.me_status(&token).await, StatusCode::OK);
}

/// The JwtKeys unit test covers the check; this one shows it guards every request.
#[tokio::test]
async fn access_tokens_dated_in_the_future_are_401() {
    let app = spawn_app().await;
    let id = app.insert_account("ada@camden.gov.uk", Role::Member);
    let now = chrono::Utc::now().timestamp();
    // Each is short-lived and well formed, and dated a minute or more past the
    // tolerated clock difference, so only its date refuses it.
    let mut issued_ahead = claims(&id, 0);
    issued_ahead["iat"] = json!(now + 60);
    issued_ahead["exp"] = json!(now + 120);
    let mut not_yet_valid = claims(&id, 600);
    not_yet_valid["nbf"] = json!(now + 300);
    for (name, claims) in [("iat ahead", issued_ahead), ("nbf ahead", not_yet_valid)] {
        let token = sign(at_header(Algorithm::HS256), &claims, TEST_JWT_SECRET);
        let response = app.get("/api/v1/me").bearer_auth(&token).send().await;
        assert_bearer_challenge(name, response.unwrap()).await;
    }
}

#[tokio::test]
async fn invalid_access_tokens_are_401() {
    let app = spawn_app().await;
    let id = signed_in(&app).await;
    let mut cases: Vec<(&str, String)> = vec![
        (
            "expired",
            sign(
                at_header(Algorithm::HS256),
                &claims(&id, -3600),
                TEST_JWT_SECRET,
            ),
        ),
        (
            "other secret",
            sign(
                at_header(Algorithm::HS256),
                &claims(&id, 60),
                b"another-secret-of-at-least-32-bytes!!",
            ),
        ),
        (
            "HS512",
            sign(
                at_header(Algorithm::HS512),
                &claims(&id, 60),
                TEST_JWT_SECRET,
            ),
        ),
        (
            "typ JWT",
            sign(
                Header::new(Algorithm::HS256),
                &claims(&id, 60),
                TEST_JWT_SECRET,
            ),
        ),
        ("garbage", "not.a.jwt".into()),
    ];
    for (name, field, value) in [
        ("wrong issuer", "iss", json!("someone-else")),
        ("wrong audience", "aud", json!("another-api")),
        (
            "unknown subject",
            "sub",
            json!(uuid::Uuid::new_v4().to_string()),
        ),
        (
            "unknown session",
            "sid",
            json!(uuid::Uuid::new_v4().to_string()),
        ),
    ] {
        let mut c = claims(&id, 60);
        c[field] = value;
        cases.push((name, sign(at_header(Algorithm::HS256), &c, TEST_JWT_SECRET)));
    }
    for missing in ["iat", "iss", "aud", "exp", "sid"] {
        let mut c = claims(&id, 60);
        c.as_object_mut().unwrap().remove(missing);
        let token = sign(at_header(Algorithm::HS256), &c, TEST_JWT_SECRET);
        assert_eq!(
            app.me_status(&token).await,
            StatusCode::UNAUTHORIZED,
            "missing {missing}"
        );
    }
    // An unsigned token (alg none) built by hand.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"at+jwt"}"#),
        b64.encode(claims(&id, 60).to_string())
    );
    cases.push(("alg none", none));
    for (name, token) in cases {
        let response = app.get("/api/v1/me").bearer_auth(&token).send().await;
        assert_bearer_challenge(name, response.unwrap()).await;
    }
    let basic = app
        .get("/api/v1/me")
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_stops_working() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let first = app.sign_in("ada@camden.gov.uk").await;
    let old = first["refresh_token"].as_str().unwrap();
    let response = app.refresh(old).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        app.me_status(second["access_token"].as_str().unwrap())
            .await,
        StatusCode::OK
    );
    // The rotated token is dead.
    app.assert_refresh_refused(old).await;
}

#[tokio::test]
async fn reusing_a_rotated_token_revokes_the_whole_family() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let stolen = app.sign_in("ada@camden.gov.uk").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let other_session = app.sign_in("ada@camden.gov.uk").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let rotated: Value = app.refresh(&stolen).await.json().await.unwrap();
    let current = rotated["refresh_token"].as_str().unwrap();
    app.assert_refresh_refused(&stolen).await;
    // The legitimate descendant is revoked too...
    app.assert_refresh_refused(current).await;
    // ...but another sign-in's family is untouched.
    assert_eq!(app.refresh(&other_session).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_refresh_tokens_are_401() {
    let app = spawn_app().await;
    app.assert_refresh_refused("made-up").await;
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let pair = app.sign_in("ada@camden.gov.uk").await;
    let refresh_token = pair["refresh_token"].as_str().unwrap();
    let response = app
        .post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": refresh_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    app.assert_refresh_refused(refresh_token).await;
    let unknown = app
        .post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": "never-issued"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn logout_ends_the_sessions_access_tokens_at_once_and_no_other() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let pair = app.sign_in("ada@camden.gov.uk").await;
    let rotated: Value = app
        .refresh(&pair["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    let other = app.sign_in("ada@camden.gov.uk").await;
    for token in [&pair, &rotated, &other] {
        assert_eq!(app.me_status(&access_token(token)).await, StatusCode::OK);
    }
    let response = app
        .post("/api/v1/auth/logout")
        .json(&json!({"refresh_token": rotated["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for (case, token) in [("first", &pair), ("rotated", &rotated)] {
        let response = app
            .get("/api/v1/me")
            .bearer_auth(access_token(token))
            .send()
            .await
            .unwrap();
        assert_bearer_challenge(case, response).await;
    }
    assert_eq!(app.me_status(&access_token(&other)).await, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_ends_every_access_token_of_the_account() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    app.insert_account("bob@camden.gov.uk", Role::Member);
    let sessions = [
        app.sign_in("ada@camden.gov.uk").await,
        app.sign_in("ada@camden.gov.uk").await,
    ];
    let bob = app.sign_in("bob@camden.gov.uk").await;
    let asked = app
        .post("/api/v1/accounts/password-reset")
        .json(&json!({"email": "ada@camden.gov.uk"}))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let token = app.mailed_account_token("ada@camden.gov.uk", "password_reset");
    // Asking is not enough: the sessions go on until the link is followed.
    assert_eq!(
        app.me_status(&access_token(&sessions[0])).await,
        StatusCode::OK
    );
    let reset = app
        .post("/api/v1/accounts/password-reset/confirm")
        .json(&json!({"token": token, "password": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::NO_CONTENT);
    for session in &sessions {
        assert_eq!(
            app.me_status(&access_token(session)).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(app.me_status(&access_token(&bob)).await, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_account_stops_working_at_once() {
    let (app, admin) = with_admin().await;
    let member_id = app.insert_account("ada@camden.gov.uk", Role::Member);
    let pair = app.sign_in("ada@camden.gov.uk").await;
    let access = pair["access_token"].as_str().unwrap();
    assert_eq!(app.me_status(access).await, StatusCode::OK);

    let response = app
        .patch_account(&admin, &member_id, &json!({"disabled": true}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["disabled"], true);

    assert_eq!(app.me_status(access).await, StatusCode::UNAUTHORIZED);
    app.assert_refresh_refused(&pair["refresh_token"]).await;
    let login = app.login("ada@camden.gov.uk", PASSWORD).await;
    assert_problem(login, StatusCode::FORBIDDEN, "account-disabled").await;
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let (app, admin) = with_admin().await;
    let member_id = app.insert_account("ada@camden.gov.uk", Role::Member);
    let access = app.sign_in("ada@camden.gov.uk").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let accounts = || {
        app.get("/api/v1/admin/accounts")
            .bearer_auth(&access)
            .send()
    };
    let forbidden = accounts().await.unwrap();
    assert_problem(forbidden, StatusCode::FORBIDDEN, "admin-only").await;
    let response = app
        .patch_account(&admin, &member_id, &json!({"role": "admin"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(accounts().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_last_active_admin_cannot_be_disabled() {
    let (app, admin) = with_admin().await;
    let me = app.get_json(&admin, "/api/v1/me").await;
    let me = me["id"].as_str().unwrap();
    let response = app
        .patch_account(&admin, me, &json!({"disabled": true}))
        .await;
    assert_problem(response, StatusCode::CONFLICT, "last-admin").await;
}

#[tokio::test]
async fn account_admin_validates_and_finds() {
    let (app, admin) = with_admin().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let nobody = uuid::Uuid::new_v4().to_string();
    let unknown = app
        .patch_account(&admin, &nobody, &json!({"disabled": true}))
        .await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
    let bad_role = app
        .patch_account(&admin, &nobody, &json!({"role": "superuser"}))
        .await;
    assert_problem(bad_role, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let list: Value = app
        .get_json(&admin, "/api/v1/admin/accounts?role=member&email=CAMDEN")
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["email"], "ada@camden.gov.uk");
}

#[tokio::test]
async fn failed_logins_of_one_account_from_one_address_are_refused() {
    let app = spawn_app_with(|s| s.login_throttle.per_account_address = 3).await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    app.insert_account("bob@camden.gov.uk", Role::Member);
    for _ in 0..3 {
        assert_eq!(
            app.login("ada@camden.gov.uk", "wrong password!")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password waits now, from this address without a known device.
    let response = app.login("ada@camden.gov.uk", PASSWORD).await;
    let retry_after: u64 = header(&response, "retry-after").parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
    // Another account is unaffected.
    assert_eq!(
        app.login("bob@camden.gov.uk", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_successful_login_clears_the_count_of_its_account_and_address() {
    let app = spawn_app_with(|s| s.login_throttle.per_account_address = 3).await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    // Twice two failures, each pair under the limit of three only if the success in
    // between cleared the count.
    for round in 0..2 {
        for _ in 0..2 {
            app.login("ada@camden.gov.uk", "wrong password!").await;
        }
        let status = app.login("ada@camden.gov.uk", PASSWORD).await.status();
        assert_eq!(status, StatusCode::OK, "round {round}");
    }
}

/// A sign-in of Ada's from `client` (through the trusted proxy at 127.0.0.1), with the
/// device token of an earlier sign-in when given: the status and how long it took.
async fn ada_signs_in(
    app: &TestApp,
    client: &str,
    password: &str,
    device_token: Option<&str>,
) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let response = app
        .post("/api/v1/auth/token")
        .header("x-forwarded-for", client)
        .json(&json!({"email": "ada@camden.gov.uk", "password": password, "device_token": device_token}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

fn behind_the_proxy(s: &mut llcp_hub::config::Settings) {
    s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    s.login_throttle.per_account = 3;
    s.login_throttle.max_delay = SLOWDOWN;
}

/// The longest wait; two seconds, so that a known device's prompt answer stays well
/// under it on a busy machine.
const SLOWDOWN: Duration = Duration::from_secs(2);

#[tokio::test]
async fn fifty_strangers_failures_leave_a_known_device_alone_and_only_slow_a_new_one() {
    let app = spawn_app_with(behind_the_proxy).await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let (status, first, _) = ada_signs_in(&app, "198.51.100.7", PASSWORD, None).await;
    assert_eq!(status, StatusCode::OK);
    let device = first["device_token"].as_str().unwrap().to_string();

    // Fifty wrong passwords from fifty addresses, a few at a time.
    for batch in 0..10 {
        let app = &app;
        let attempts = (0..5).map(|i| {
            let client = format!("203.0.113.{}", batch * 5 + i + 1);
            async move { ada_signs_in(app, &client, "a wrong guess", None).await.0 }
        });
        for status in futures_util::future::join_all(attempts).await {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "slowed, never refused");
        }
    }

    let (status, _, took) = ada_signs_in(&app, "198.51.100.7", PASSWORD, Some(&device)).await;
    assert_eq!(status, StatusCode::OK, "the owner's known device");
    assert!(took < SLOWDOWN, "a known device is not slowed: {took:?}");

    let (status, body, took) = ada_signs_in(&app, "192.0.2.44", PASSWORD, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a new device is slowed, not refused"
    );
    assert!(took >= SLOWDOWN, "a new device waits: {took:?}");
    assert!(body["device_token"].is_string(), "and is known from now on");

    let (status, _, took) = ada_signs_in(&app, "203.0.113.200", "another guess", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(took >= SLOWDOWN, "a stranger's guess waits too: {took:?}");
}

#[tokio::test]
async fn a_device_token_counts_only_for_its_account_and_only_when_genuine() {
    let app = spawn_app_with(|s| {
        behind_the_proxy(s);
        s.login_throttle.per_account_address = 2;
    })
    .await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    app.insert_account("bob@camden.gov.uk", Role::Member);
    let bobs = app.sign_in("bob@camden.gov.uk").await["device_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, adas, _) = ada_signs_in(&app, "198.51.100.7", PASSWORD, None).await;
    let adas = adas["device_token"].as_str().unwrap().to_string();
    let forged = format!("{}x", &adas);
    for _ in 0..2 {
        ada_signs_in(&app, "198.51.100.7", "wrong password!", None).await;
    }
    for (token, what) in [
        (Some(bobs.as_str()), "another account's"),
        (Some(forged.as_str()), "a forged"),
        (None, "no"),
    ] {
        let (status, _, _) = ada_signs_in(&app, "198.51.100.7", PASSWORD, token).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{what} device token");
    }
    let (status, _, _) = ada_signs_in(&app, "198.51.100.7", PASSWORD, Some(&adas)).await;
    assert_eq!(status, StatusCode::OK, "her own device token");
}

#[tokio::test]
async fn a_known_device_has_a_limit_of_its_own() {
    let app = spawn_app_with(|s| s.login_throttle.per_device = 3).await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let device = app.sign_in("ada@camden.gov.uk").await["device_token"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..3 {
        let (status, _, _) = ada_signs_in(&app, "", "wrong password!", Some(&device)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, _) = ada_signs_in(&app, "", PASSWORD, Some(&device)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn browsers_keep_the_device_token_in_a_strict_http_only_cookie_that_counts_like_the_field() {
    let app = spawn_app_with(|s| s.login_throttle.per_account_address = 1).await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let response = app.login("ada@camden.gov.uk", PASSWORD).await;
    let cookie = header(&response, "set-cookie");
    for attribute in [
        "llcp_device=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth/token",
        "Max-Age=",
    ] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_string();
    app.login("ada@camden.gov.uk", "wrong password!").await;
    assert_eq!(
        app.login("ada@camden.gov.uk", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "without the cookie"
    );
    let with_cookie = app
        .post("/api/v1/auth/token")
        .header("cookie", pair)
        .json(&json!({"email": "ada@camden.gov.uk", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_cookie.status(), StatusCode::OK, "with it");
}

#[tokio::test]
async fn failed_logins_are_throttled_per_client_address() {
    let app = spawn_app_with(|s| s.login_throttle.per_address = 3).await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    for i in 0..3 {
        let response = app
            .login(&format!("nobody{i}@camden.gov.uk"), PASSWORD)
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Spoofing X-Forwarded-For does not help when the peer is not a trusted proxy.
    let response = app
        .post("/api/v1/auth/token")
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"email": "ada@camden.gov.uk", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted() {
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();
    let app = spawn_app_with(|s| {
        s.login_throttle.per_address = 2;
        s.trusted_proxies = vec![loopback];
    })
    .await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let login_from = |client: &'static str, email: String, password: &'static str| {
        app.post("/api/v1/auth/token")
            .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    for i in 0..2 {
        let response = login_from("203.0.113.5", format!("nobody{i}@camden.gov.uk"), PASSWORD)
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = login_from("203.0.113.5", "ada@camden.gov.uk".into(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let other_client = login_from("203.0.113.6", "ada@camden.gov.uk".into(), PASSWORD)
        .await
        .unwrap();
    assert_eq!(other_client.status(), StatusCode::OK);
}
