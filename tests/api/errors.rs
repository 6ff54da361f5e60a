use diesel::RunQueryDsl;
use reqwest::StatusCode;

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/nothing-here").send().await.unwrap();
    assert_problem(response, StatusCode::NOT_FOUND, "route-not-found").await;
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let response = app.delete("/api/v1/events").send().await.unwrap();
    let allow = response
        .headers()
        .get("allow")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(allow.contains("GET"), "Allow: {allow}");
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;

    let response = app.get("/api/v1/auth/token").send().await.unwrap();
    assert_eq!(response.headers().get("allow").unwrap(), "POST");
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
}

#[tokio::test]
async fn a_malformed_query_is_a_400_problem() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/events?limit=many").send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    for path in ["/healthz", "/api/v1/events", "/api/v1/nothing-here"] {
        let response = app.get(path).send().await.unwrap();
        let id = response
            .headers()
            .get("x-request-id")
            .expect("x-request-id");
        assert_eq!(id.len(), 32, "{path}");
    }
}

#[tokio::test]
async fn an_unexpected_error_is_an_opaque_500_with_the_request_id() {
    let app = spawn_app().await;
    // Break the database under the running service.
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query("ALTER TABLE events RENAME TO events_gone")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let response = app.get("/api/v1/events").send().await.unwrap();
    let request_id = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let body = assert_problem(response, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    assert_eq!(body["request_id"], request_id);
    let text = body.to_string().to_lowercase();
    for leak in ["select", "events", "table", "relation", "diesel", "sql"] {
        assert!(!text.contains(leak), "500 body leaks `{leak}`: {body}");
    }
}
