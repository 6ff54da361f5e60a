use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;
use crate::helpers::{Api, assert_problem, spawn_app_with};

#[tokio::test]
async fn healthz_is_ok_while_the_process_runs() {
    let app = spawn_app().await;
    let response = app.get("/healthz").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ok_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_is_503_with_retry_after_when_no_connection_can_be_had() {
    let app = spawn_app_with(|s| {
        s.pool_size = 1;
        s.pool_timeout = std::time::Duration::from_secs(2);
    })
    .await;
    // Hold the only connection: the pool times out like an unreachable database.
    let pool = app.pool.clone();
    let held = tokio::task::spawn_blocking(move || pool.get().unwrap())
        .await
        .unwrap();
    let response = app.get("/readyz").send().await.unwrap();
    assert!(response.headers().get("retry-after").is_some());
    let body = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(
        !body.to_string().to_lowercase().contains("timed out"),
        "no internals: {body}"
    );
    drop(held);
}
