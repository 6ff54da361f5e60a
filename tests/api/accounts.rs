use llcp_hub::repo::accounts;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    Api, PASSWORD, assert_problem, assert_problem_of, case_name, error_fields, invalid_fields,
    spawn_app,
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

#[tokio::test]
async fn an_email_is_unique_ignoring_case() {
    let app = spawn_app().await;
    let first = app.sign_up(&signup("ada@camden.gov.uk")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = app.sign_up(&signup("ADA@Camden.GOV.uk")).await;
    assert_problem(second, StatusCode::CONFLICT, "email-taken").await;
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
