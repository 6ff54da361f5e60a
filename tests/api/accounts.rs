use diesel::prelude::*;
use llcp_hub::domain::Role;
use llcp_hub::repo::accounts;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Api, BASE_URL, PASSWORD, TestApp, access_token, assert_invalid, assert_problem,
    assert_problem_of, case_name, error_fields, expect_json, header, invalid_fields, spawn_app,
    strings_of,
};

fn signup(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "full_name": "Ada Lovelace",
        "organisation": "London Borough of Camden",
        "borough": "camden",
    })
}

#[tokio::test]
async fn sign_up_creates_a_member_account() {
    let app = spawn_app().await;
    let response = app.sign_up(&signup("Ada@Camden.gov.uk")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], "Ada@Camden.gov.uk");
    assert_eq!(body["role"], "member");
    assert_eq!(body["membership_status"], "none");
    assert_eq!(
        body["borough"], "Camden",
        "borough stored in its common spelling"
    );
    assert_eq!(body["disabled"], false);
    assert_eq!(body["email_verified"], false);
    assert!(uuid::Uuid::parse_str(body["id"].as_str().unwrap()).is_ok());
    assert!(body.get("password").is_none() && body.get("password_hash").is_none());
    assert!(body["created_at"].as_str().unwrap().ends_with("+00:00"));
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_with_owasp_parameters() {
    let app = spawn_app().await;
    app.sign_up(&signup("ada@camden.gov.uk")).await;
    let mut conn = app.pool.get().unwrap();
    let row = accounts::find_by_email(&mut conn, "ada@camden.gov.uk")
        .unwrap()
        .unwrap();
    assert!(
        row.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        row.password_hash
    );
    assert!(!row.password_hash.contains(PASSWORD));
}

/// The 201 body with what differs between any two sign-ups (id, time) taken out.
async fn sign_up_answer(app: &TestApp, body: &Value) -> Value {
    let response = app.sign_up(body).await;
    assert_eq!(header(&response, "location"), "/api/v1/me");
    let mut body = expect_json(response, StatusCode::CREATED, "sign-up").await;
    for varies in ["id", "created_at"] {
        assert!(body[varies].is_string(), "{varies} in {body}");
        body.as_object_mut().unwrap().remove(varies);
    }
    body
}

#[tokio::test]
async fn signing_up_with_a_taken_address_answers_alike_and_mails_its_owner() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let first = sign_up_answer(&app, &signup("ada@camden.gov.uk")).await;
    // Another letter case of the same address, as someone else would type it.
    let mut again = signup("ADA@Camden.GOV.uk");
    again["password"] = json!("a different long password");
    let second = sign_up_answer(&app, &again).await;
    assert_eq!(second["email"], "ADA@Camden.GOV.uk");
    second.as_object().unwrap().iter().for_each(|(key, value)| {
        if key != "email" {
            assert_eq!(&first[key], value, "{key}");
        }
    });

    // One account, its password the first one; the owner is told, not the signer.
    assert_eq!(
        app.db_texts("SELECT email AS value FROM accounts WHERE role = 'member'"),
        ["ada@camden.gov.uk"]
    );
    assert_eq!(
        app.login("ada@camden.gov.uk", PASSWORD).await.status(),
        StatusCode::OK
    );
    let outbox = app.outbox(&admin).await;
    let templates: Vec<&str> = strings_of(&outbox, "template");
    assert_eq!(templates, ["account_exists", "account_verify_email"]);
    assert_eq!(outbox[0]["recipient"], "ada@camden.gov.uk");
    let body = outbox[0]["body"].as_str().unwrap();
    assert!(body.contains("already has an account"), "{body}");
    assert!(
        body.contains(&format!(
            "{BASE_URL}/account/reset-password#token=[account-token]"
        )),
        "{body}"
    );
}

#[tokio::test]
async fn the_mailed_link_verifies_the_email_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.sign_up(&signup("Ada@Camden.gov.uk")).await;
    let outbox = app.outbox(&admin).await;
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0]["template"], "account_verify_email");
    assert_eq!(outbox[0]["recipient"], "Ada@Camden.gov.uk");
    assert!(
        outbox[0]["body"].as_str().unwrap().contains(&format!(
            "{BASE_URL}/account/verify-email#token=[account-token]"
        )),
        "{}",
        outbox[0]["body"]
    );
    let token = app.mailed_account_token("ada@camden.gov.uk", "account_verify_email");
    // Stored only as a hash; never in the outbox.
    for text in app.db_texts(
        "SELECT body AS value FROM notifications UNION ALL SELECT token_hash FROM account_tokens",
    ) {
        assert!(!text.contains(&token), "the token stored in {text:?}");
    }

    // Unverified, the account signs in and sees so.
    let access = access_token(&app.sign_in("ada@camden.gov.uk").await);
    assert_eq!(
        app.get_json(&access, "/api/v1/me").await["email_verified"],
        false
    );

    let verify = |token: String| {
        app.post("/api/v1/accounts/verify")
            .json(&json!({ "token": token }))
            .send()
    };
    assert_eq!(
        verify(token.clone()).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get_json(&access, "/api/v1/me").await["email_verified"],
        true
    );
    for (case, token) in [("used", token), ("unknown", "x".repeat(43))] {
        assert_link_refused(case, verify(token).await.unwrap()).await;
    }
}

/// A link that cannot be used (unknown, used, spent or expired): one 404 for all.
async fn assert_link_refused(case: &str, response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "{case}");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "/problems/not-found", "{case}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("ask for a new one"),
        "{case}"
    );
}

#[tokio::test]
async fn an_expired_verification_link_is_refused() {
    let app = spawn_app().await;
    app.sign_up(&signup("ada@camden.gov.uk")).await;
    let token = app.mailed_account_token("ada@camden.gov.uk", "account_verify_email");
    app.db_execute("UPDATE account_tokens SET expires_at = created_at");
    let response = app
        .post("/api/v1/accounts/verify")
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_link_refused("expired", response).await;
}

#[tokio::test]
async fn accounts_made_by_an_admin_count_as_verified() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    assert_eq!(
        app.get_json(&token, "/api/v1/me").await["email_verified"],
        true
    );
}

#[tokio::test]
async fn each_invalid_sign_up_field_is_422_naming_exactly_it() {
    let app = spawn_app().await;
    let set = |key: &'static str, value: Value| {
        let mut body = signup("ada@camden.gov.uk");
        body[key] = value.clone();
        (case_name(key, &value), body, key)
    };
    let mut without_organisation = signup("a@b.uk");
    for key in ["organisation", "borough"] {
        without_organisation.as_object_mut().unwrap().remove(key);
    }
    let cases = [
        set("role", json!("admin")),
        set("password", json!("elevenchars")),
        set("password", json!("x".repeat(129))),
        (
            "no organisation".into(),
            without_organisation,
            "organisation",
        ),
    ];
    for (case, body, field) in cases {
        let fields = invalid_fields(&case, app.sign_up(&body).await).await;
        assert_eq!(fields, [field], "{case}");
    }
}

#[tokio::test]
async fn passwords_of_12_and_128_characters_are_accepted() {
    let app = spawn_app().await;
    for (i, good) in ["twelve chars".to_string(), "é".repeat(128)]
        .iter()
        .enumerate()
    {
        let mut body = signup(&format!("ok{i}@camden.gov.uk"));
        body["password"] = json!(good);
        let response = app.sign_up(&body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{good}");
    }
}

#[tokio::test]
async fn invalid_fields_are_all_named() {
    let app = spawn_app().await;
    let body = json!({
        "email": "not-an-email",
        "password": PASSWORD,
        "full_name": "",
        "organisation": "Camden",
        "borough": "Manchester",
    });
    let response = app.sign_up(&body).await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    let fields = error_fields(&problem);
    for field in ["email", "full_name", "borough"] {
        assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
    }
}

#[tokio::test]
async fn a_sign_up_body_that_cannot_be_read_is_a_problem() {
    let app = spawn_app().await;
    let mut oversized = signup("a@b.uk");
    oversized["full_name"] = json!("x".repeat(300 * 1024));
    let post = |content_type: &str, body: String| {
        let request = app.post("/api/v1/accounts");
        request.header("content-type", content_type).body(body)
    };
    let json = "application/json";
    for (request, status, kind) in [
        (
            post(json, "{\"email\": ".into()),
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
        (
            post("text/plain", signup("a@b.uk").to_string()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            post(json, oversized.to_string()),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
        ),
    ] {
        assert_problem_of(request, status, kind).await;
    }
}

#[tokio::test]
async fn me_returns_the_signed_in_account() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let response = app
        .get("/api/v1/me")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], "member@example.org");
    assert_eq!(body["membership_status"], "none");
}

#[tokio::test]
async fn me_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/me").send().await.unwrap();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn boroughs_lists_londons_33_authorities() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/boroughs").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let items: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(items.len(), 33);
    assert!(items.contains(&"City of London"));
    assert!(items.contains(&"Kensington and Chelsea"));
}

// --- password reset -------------------------------------------------------------------

async fn ask_reset(app: &TestApp, email: &str) -> reqwest::Response {
    app.post("/api/v1/accounts/password-reset")
        .json(&json!({ "email": email }))
        .send()
        .await
        .unwrap()
}

async fn confirm_reset(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post("/api/v1/accounts/password-reset/confirm")
        .json(&json!({ "token": token, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_reset_is_asked_alike_for_any_address_and_mailed_only_to_an_enabled_account() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    let disabled = app.insert_account("gone@camden.gov.uk", Role::Member);
    let patched = app
        .patch_account(&admin, &disabled, &json!({"disabled": true}))
        .await;
    assert_eq!(patched.status(), StatusCode::OK);

    for email in [
        "Ada@Camden.gov.uk",
        "nobody@camden.gov.uk",
        "gone@camden.gov.uk",
    ] {
        let response = ask_reset(&app, email).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{email}");
        assert_eq!(response.text().await.unwrap(), "", "{email}");
    }
    let outbox = app.outbox(&admin).await;
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert_eq!(outbox[0]["template"], "password_reset");
    assert_eq!(outbox[0]["recipient"], "ada@camden.gov.uk");
    assert!(outbox[0]["body"].as_str().unwrap().contains(&format!(
        "{BASE_URL}/account/reset-password#token=[account-token]"
    )));
    let response = ask_reset(&app, "not an address").await;
    assert_invalid("malformed", response, "email").await;
}

#[tokio::test]
async fn the_mailed_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    // Signed up and never verified: the reset link proves the address as well.
    let response = app.sign_up(&signup("ada@camden.gov.uk")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let session = app.sign_in("ada@camden.gov.uk").await;
    assert_eq!(
        ask_reset(&app, "ada@camden.gov.uk").await.status(),
        StatusCode::ACCEPTED
    );
    let token = app.mailed_account_token("ada@camden.gov.uk", "password_reset");
    for text in app.db_texts(
        "SELECT body AS value FROM notifications UNION ALL SELECT token_hash FROM account_tokens",
    ) {
        assert!(!text.contains(&token), "the token stored in {text:?}");
    }

    // The sign-up rules, the email one included, and nothing used up by a refusal.
    let weak = confirm_reset(&app, &token, "ada of camden again").await;
    assert_invalid("weak", weak, "password").await;
    let new_password = "a brand new passphrase";
    let done = confirm_reset(&app, &token, new_password).await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.login("ada@camden.gov.uk", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let pair = app.login("ada@camden.gov.uk", new_password).await;
    let pair = expect_json(pair, StatusCode::OK, "sign-in with the new password").await;
    assert_eq!(
        app.get_json(&access_token(&pair), "/api/v1/me").await["email_verified"],
        true
    );
    app.assert_refresh_refused(&session["refresh_token"]).await;
    let again = confirm_reset(&app, &token, "yet another passphrase").await;
    assert_link_refused("used", again).await;
}

#[tokio::test]
async fn a_reset_link_works_for_an_hour_and_a_newer_reset_spends_the_older_link() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    ask_reset(&app, "ada@camden.gov.uk").await;
    let first = app.mailed_account_token("ada@camden.gov.uk", "password_reset");
    ask_reset(&app, "ada@camden.gov.uk").await;
    let second = app.mailed_account_token("ada@camden.gov.uk", "password_reset");
    assert_ne!(first, second);
    let done = confirm_reset(&app, &second, "a brand new passphrase").await;
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    let spent = confirm_reset(&app, &first, "another new passphrase").await;
    assert_link_refused("spent", spent).await;

    ask_reset(&app, "ada@camden.gov.uk").await;
    let late = app.mailed_account_token("ada@camden.gov.uk", "password_reset");
    let hours = app.db_texts(
        "SELECT CAST(COUNT(*) AS TEXT) AS value FROM account_tokens WHERE used_at IS NULL",
    );
    assert_eq!(hours, ["1"]);
    app.db_execute("UPDATE account_tokens SET expires_at = created_at WHERE used_at IS NULL");
    let expired = confirm_reset(&app, &late, "another new passphrase").await;
    assert_link_refused("expired", expired).await;
}

#[tokio::test]
async fn retention_deletes_account_links_a_week_after_they_expired() {
    let app = spawn_app().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    for _ in 0..2 {
        ask_reset(&app, "ada@camden.gov.uk").await;
    }
    let now = llcp_hub::domain::time::now();
    let mut conn = app.pool.get().unwrap();
    let count = |conn: &mut llcp_hub::db::DbConnection| {
        llcp_hub::db::schema::account_tokens::table
            .count()
            .get_result::<i64>(conn)
            .unwrap()
    };
    let policy = llcp_hub::config::Retention::default();
    llcp_hub::retention::apply(&mut conn, &policy, now + chrono::Duration::days(7)).unwrap();
    assert_eq!(count(&mut conn), 2, "expired less than a week ago");
    llcp_hub::retention::apply(&mut conn, &policy, now + chrono::Duration::days(8)).unwrap();
    assert_eq!(count(&mut conn), 0);
}
