use diesel::RunQueryDsl;
use reqwest::StatusCode;

use llcp_hub::domain::Role;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_unknown_route_or_a_malformed_query_is_a_problem() {
    let app = spawn_app().await;
    for (path, status, kind) in [
        (
            "/api/v1/nothing-here",
            StatusCode::NOT_FOUND,
            "route-not-found",
        ),
        (
            "/api/v1/events?limit=many",
            StatusCode::BAD_REQUEST,
            "bad-request",
        ),
    ] {
        assert_problem_of(app.get(path), status, kind).await;
    }
}

/// Asserts a 405 `method-not-allowed` problem; returns its Allow header.
async fn method_not_allowed(request: reqwest::RequestBuilder) -> String {
    let response = request.send().await.unwrap();
    let allow = header(&response, "allow");
    let status = StatusCode::METHOD_NOT_ALLOWED;
    assert_problem(response, status, "method-not-allowed").await;
    allow
}

#[tokio::test]
async fn a_wrong_method_is_a_405_problem_with_allow() {
    let app = spawn_app().await;
    let allow = method_not_allowed(app.delete("/api/v1/events")).await;
    assert!(allow.contains("GET"), "Allow: {allow}");
    assert_eq!(
        method_not_allowed(app.get("/api/v1/auth/token")).await,
        "POST"
    );
}

#[tokio::test]
async fn a_fixed_path_under_an_id_route_answers_405_for_a_wrong_method() {
    let (app, admin) = with_admin().await;
    // `GET …/{id}` would take `decisions` as an id; the path is POST-only.
    let decisions = app.get("/api/v1/admin/membership-applications/decisions");
    assert_eq!(
        method_not_allowed(decisions.bearer_auth(&admin)).await,
        "POST"
    );
    // A malformed id is still simply not found.
    let request = app.get("/api/v1/admin/membership-applications/not-a-uuid");
    let response = request.bearer_auth(&admin).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_offset_beyond_a_billion_is_a_400_not_an_overflow() {
    let (app, admin) = with_admin().await;
    for path in [
        "/api/v1/events?offset=9223372036854775807",
        "/api/v1/bulletins?offset=1000000001",
        "/api/v1/admin/accounts?offset=9223372036854775807",
    ] {
        let request = app.get(path).bearer_auth(&admin);
        assert_problem_of(request, StatusCode::BAD_REQUEST, "bad-request").await;
    }
    app.public_json("/api/v1/events?offset=1000000000&limit=100")
        .await;
}

#[tokio::test]
async fn query_values_are_held_to_the_documented_limits() {
    let (app, admin) = with_admin().await;
    let long_email = format!("/api/v1/admin/accounts?email={}", "a".repeat(255));
    let request = app.get(&long_email).bearer_auth(&admin);
    assert_problem_of(request, StatusCode::BAD_REQUEST, "bad-request").await;
    for audience in ["Officers", "%20officers", ""] {
        let request = app.get(&format!("/api/v1/events?audience={audience}"));
        assert_problem_of(request, StatusCode::BAD_REQUEST, "bad-request").await;
    }
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
    let request_id = header(&response, "x-request-id");
    let body = assert_problem(response, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
    assert_eq!(body["request_id"], request_id);
    let text = body.to_string().to_lowercase();
    for leak in ["select", "events", "table", "relation", "diesel", "sql"] {
        assert!(!text.contains(leak), "500 body leaks `{leak}`: {body}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_a_422_naming_the_body() {
    let (app, admin) = with_admin().await;
    let member = app.insert_account("someone@camden.gov.uk", Role::Member);
    for body in ["[null, null]", "\"text\"", "42"] {
        let response = app
            .patch(&format!("/api/v1/admin/accounts/{member}"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(error_fields(&problem), ["body"], "{body}");
    }
}

#[tokio::test]
async fn a_merge_patch_may_not_name_unknown_fields_even_to_clear_them() {
    let (app, admin) = with_admin().await;
    let event = app
        .create_event(&admin, &event_body("Patched workshop", 10))
        .await;
    for (patch, field) in [(json!({"": null}), ""), (json!({"colour": null}), "colour")] {
        let response = app
            .patch(&format!("/api/v1/admin/events/{}", event["id"]))
            .bearer_auth(&admin)
            .json(&patch)
            .send()
            .await
            .unwrap();
        let problem =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(error_fields(&problem), [field]);
    }
    // Known fields still clear with null.
    let response = app
        .patch(&format!("/api/v1/admin/events/{}", event["id"]))
        .bearer_auth(&admin)
        .json(&json!({"summary": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// A stored list the code cannot read (the database's CHECKs already refuse unknown
/// statuses and kinds) is an error the operator sees, never a quietly empty list.
#[tokio::test]
async fn a_stored_list_that_is_not_json_is_a_500_not_an_empty_list() {
    let (app, _, event) = with_event(Some(10)).await;
    let path = format!("/api/v1/events/{event}");
    assert_eq!(
        app.get(&path).send().await.unwrap().status(),
        StatusCode::OK
    );
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(format!(
        "UPDATE events SET audience = 'officers, councillors', sequence = sequence + 1 WHERE id = {event}"
    ))
    .execute(&mut conn)
    .unwrap();
    // A new version of the event (as every write makes), past the response cache's
    // freshness bound, so the row is read again.
    tokio::time::sleep(llcp_hub::http::response_cache::DEFAULT_TTL).await;
    let response = app.get(&path).send().await.unwrap();
    assert_problem(response, StatusCode::INTERNAL_SERVER_ERROR, "internal").await;
}
