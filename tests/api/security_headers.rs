//! Security headers on every response: nosniff, a referrer policy, a CSP (strict for
//! JSON, Swagger UI's needs for /docs, the embed's own), no-store on personal answers,
//! and HSTS only when configured.

use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::helpers::*;

const STRICT: &str = "default-src 'none'; frame-ancestors 'none'";

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

fn assert_baseline(response: &Response, what: &str) {
    let headers = response.headers();
    assert_eq!(
        header(headers, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert!(
        header(headers, "referrer-policy").is_some(),
        "{what}: Referrer-Policy"
    );
}

fn csp(response: &Response) -> Option<&str> {
    header(response.headers(), "content-security-policy")
}

async fn get(app: &TestApp, path: &str) -> Response {
    app.get(path).send().await.unwrap()
}

#[tokio::test]
async fn a_json_answer_gets_nosniff_a_referrer_policy_and_the_strict_csp() {
    let app = spawn_app().await;
    let response = get(&app, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_baseline(&response, "/healthz");
    assert_eq!(csp(&response), Some(STRICT));
}

#[tokio::test]
async fn a_problem_404_gets_the_same_headers() {
    let app = spawn_app().await;
    for path in ["/no/such/path", "/api/v1/events/no-such-event"] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_baseline(&response, path);
        assert_eq!(csp(&response), Some(STRICT), "{path}");
    }
}

#[tokio::test]
async fn a_public_answer_keeps_its_headers_when_served_from_the_cache() {
    let app = spawn_app().await;
    let first = get(&app, "/api/v1/events").await;
    let second = get(&app, "/api/v1/events").await;
    for (response, what) in [(&first, "first"), (&second, "cached")] {
        assert_eq!(response.status(), StatusCode::OK, "{what}");
        assert_baseline(response, what);
        assert_eq!(csp(response), Some(STRICT), "{what}");
        assert!(
            header(response.headers(), "cache-control")
                .unwrap()
                .starts_with("public, max-age="),
            "{what}: public caching stays"
        );
    }
    assert_eq!(first.headers()["etag"], second.headers()["etag"]);
}

#[tokio::test]
async fn the_docs_get_a_csp_that_lets_swagger_ui_run_its_own_assets_only() {
    let app = spawn_app().await;
    let page = get(&app, "/docs/").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_baseline(&page, "/docs/");
    let policy = csp(&page).expect("a CSP on /docs/").to_string();
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    // Every script the page loads is its own, since inline scripts would be blocked.
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<script type=\"text/javascript\">"),
        "the docs page has an inline script, which the CSP blocks: {html}"
    );
}

#[tokio::test]
async fn the_embed_keeps_its_own_policy_and_stays_frameable() {
    let (app, token) = with_admin().await;
    app.published_event(&token, &event_body("Framed workshop", 5))
        .await;
    let document = get(&app, "/embed/events").await;
    assert_eq!(document.status(), StatusCode::OK);
    assert_baseline(&document, "/embed/events");
    let policy = csp(&document).expect("the embed's own CSP");
    assert_ne!(policy, STRICT);
    assert!(!policy.contains("frame-ancestors"), "{policy}");
    assert!(document.headers().get("x-frame-options").is_none());
    for path in ["/embed/events.js", "/embed/events.css"] {
        let response = get(&app, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_baseline(&response, path);
        assert!(
            csp(&response).is_none_or(|p| !p.contains("frame-ancestors")),
            "{path}"
        );
        assert!(
            response.headers().get("x-frame-options").is_none(),
            "{path}"
        );
    }
    // The pages keep the policy their handler set.
    let page = get(&app, "/events/framed-workshop/register").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(csp(&page).unwrap().contains("script-src 'self'"));
}

#[tokio::test]
async fn personal_answers_and_their_errors_are_no_store() {
    let app = spawn_app().await;
    let token = app.member_token().await;
    let me = app
        .get("/api/v1/me")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let unauthenticated = get(&app, "/api/v1/me").await;
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    let forbidden = app
        .get("/api/v1/admin/events")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let failed_login = app.login("member@example.org", "not the password").await;
    assert_eq!(failed_login.status(), StatusCode::UNAUTHORIZED);
    let registration = app
        .get("/api/v1/registrations/00000000-0000-0000-0000-000000000000")
        .header("X-Manage-Token", "not-a-token")
        .send()
        .await
        .unwrap();
    assert!(registration.status().is_client_error());
    for (response, what) in [
        (&me, "GET /me"),
        (&unauthenticated, "401 /me"),
        (&forbidden, "403 admin"),
        (&failed_login, "401 login"),
        (&registration, "registration by id"),
    ] {
        assert_eq!(
            header(response.headers(), "cache-control"),
            Some("no-store"),
            "{what}"
        );
        assert_baseline(response, what);
    }
}

#[tokio::test]
async fn hsts_is_sent_only_when_configured_behind_https() {
    let plain = spawn_app().await;
    let response = get(&plain, "/healthz").await;
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );

    let behind_https = spawn_app_with(|s| s.http.hsts = true).await;
    for path in ["/healthz", "/api/v1/events", "/no/such/path"] {
        let response = get(&behind_https, path).await;
        assert_eq!(
            header(response.headers(), "strict-transport-security"),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    // A write answers with it too.
    let response = behind_https
        .post("/api/v1/auth/token")
        .json(&json!({"email": "nobody@example.org", "password": "wrong password"}))
        .send()
        .await
        .unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_some()
    );
}
