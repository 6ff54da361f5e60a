//! The listing for borough websites: the iframe document, the script and the
//! registration page its links lead to.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const HOSTILE: &str = "<script>alert(1)</script> & <img src=x onerror=alert(2)>";

async fn document(app: &TestApp, query: &str) -> String {
    let response = app
        .get(&format!("/embed/events{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_document_lists_events_in_london_time_with_a_register_link_each() {
    let (app, admin) = with_admin().await;
    let mut body = event_body("Service specifications for external provision", 10);
    body["starts_at"] = json!("2031-06-10T09:00:00Z");
    body["ends_at"] = json!("2031-06-10T13:00:00Z");
    let event = app.published_event(&admin, &body).await;
    let slug = event["slug"].as_str().unwrap();

    let html = document(&app, "").await;
    assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
    assert!(
        html.contains(
            "<h2 class=\"llcp-title\">Service specifications for external provision</h2>"
        )
    );
    assert!(
        html.contains(
            "<time datetime=\"2031-06-10T10:00:00+01:00\">Tuesday 10 June 2031, 10:00 to 14:00</time>"
        ),
        "British Summer Time: {html}"
    );
    assert!(html.contains("Swiss Cottage Library, 88 Avenue Road, London, NW3 3HA"));
    assert!(html.contains("30 places left"));
    assert!(html.contains(&format!(
        "<a class=\"llcp-register\" href=\"http://hub.test/events/{slug}/register\""
    )));
    assert!(html.contains(&format!(
        "href=\"http://hub.test/api/v1/events/{slug}/ics\""
    )));
}

#[tokio::test]
async fn the_document_escapes_every_field() {
    let (app, admin) = with_admin().await;
    let mut body = event_body(HOSTILE, 10);
    body["summary"] = json!(HOSTILE);
    body["venue"]["name"] = json!("<b>Library</b>");
    app.published_event(&admin, &body).await;

    let html = document(&app, "").await;
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn the_document_takes_the_listing_filters() {
    let (app, admin) = with_admin().await;
    app.published_event(&admin, &event_body("Commissioning workshop", 10))
        .await;
    let mut seminar = event_body("Seminar at Swiss Cottage", 11);
    seminar["kind"] = json!("seminar");
    app.published_event(&admin, &seminar).await;
    app.published_event(&admin, &event_body("Procurement workshop", 12))
        .await;

    let seminars = document(&app, "?kind=seminar").await;
    assert!(seminars.contains("Seminar at Swiss Cottage"));
    assert!(!seminars.contains("Commissioning workshop"));

    let first = document(&app, "?kind=workshop&limit=1").await;
    assert!(first.contains("Commissioning workshop"));
    assert!(!first.contains("Procurement workshop"));

    let response = app.get("/embed/events?limit=0").send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
}

#[tokio::test]
async fn the_document_says_when_events_are_full_or_cancelled_and_offers_no_register_link() {
    let (app, admin) = with_admin().await;
    let mut full = event_body("A full workshop", 10);
    full["capacity"] = json!(1);
    let full = app.published_event(&admin, &full).await;
    app.register_email(full["slug"].as_str().unwrap(), "ada@camden.gov.uk")
        .await;
    let cancelled = app
        .published_event(&admin, &event_body("A cancelled workshop", 11))
        .await;
    app.cancel_event(&admin, &cancelled["id"], "Venue closed")
        .await;

    let html = document(&app, "").await;
    assert!(html.contains("Fully booked: waiting list open"));
    assert!(html.contains(">Join the waiting list<span"));
    assert!(html.contains("Cancelled: Venue closed"));
    assert_eq!(
        html.matches("class=\"llcp-register\"").count(),
        1,
        "only the full event (waiting list) offers a link: {html}"
    );
}

#[tokio::test]
async fn the_document_can_be_framed_and_loads_only_its_stylesheet() {
    let app = spawn_app().await;
    let response = app.get("/embed/events").send().await.unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"));
    assert!(csp.contains("style-src 'self'"));
    assert!(!csp.contains("frame-ancestors"), "any site may frame it");
    assert!(response.headers().get("x-frame-options").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("<p class=\"llcp-empty\">"));
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/embed/events.css\">"));

    let css = app.get("/embed/events.css").send().await.unwrap();
    assert_eq!(css.status(), StatusCode::OK);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert!(css.text().await.unwrap().contains("--llcp-accent"));
}

#[tokio::test]
async fn the_script_carries_its_stylesheet_and_is_open_to_any_origin() {
    let app = spawn_app().await;
    let response = app.get_cross_origin("/embed/events.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers().get("etag").is_some());
    assert!(response.headers().get("set-cookie").is_none());
    let script = response.text().await.unwrap();
    assert!(
        !script.contains("__LLCP_CSS__"),
        "the stylesheet is built in"
    );
    assert!(script.contains("--llcp-accent"));
    assert!(script.contains("credentials: \"omit\""));
    assert!(
        !script.contains(".innerHTML"),
        "fields are set as text only"
    );
}

#[tokio::test]
async fn the_registration_page_is_static_with_a_strict_policy() {
    let app = spawn_app().await;
    let response = app.get("/events/any-event/register").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"));
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<script src=\"/assets/register.js\"></script>"));
    assert!(html.contains("<label for=\"email\">"));

    let script = app.get("/assets/register.js").send().await.unwrap();
    assert_eq!(
        script.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(script.text().await.unwrap().contains("Idempotency-Key"));
}
