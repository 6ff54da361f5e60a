use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Api, spawn_app};

const REFRESH: &str = "cargo run -- openapi > openapi/openapi.json";

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    let generated = llcp_hub::openapi::spec_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date; refresh it with:\n    {REFRESH}"
    );
}

#[tokio::test]
async fn openapi_json_is_served_as_openapi_3_1_with_bearer_auth() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let spec: Value = response.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        spec["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let served = serde_json::to_value(llcp_hub::openapi::build_spec()).unwrap();
    assert_eq!(spec, served);
}

#[tokio::test]
async fn the_docs_are_served_without_the_internet() {
    let app = spawn_app().await;
    let bare = app.get("/docs").send().await.unwrap();
    assert_eq!(bare.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(bare.headers()["location"], "/docs/");
    let html = app.get_text("/docs/").await;
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("unpkg.com") && !html.contains("cdn."),
        "assets must be local"
    );
    app.get_text("/docs/swagger-ui-bundle.js").await;
    let init = app.get_text("/docs/swagger-initializer.js").await;
    assert!(init.contains("/openapi.json"), "{init}");
}

fn documented_operations(spec: &Value) -> Vec<(Method, String)> {
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let concrete = path
                    .split('/')
                    .map(|segment| {
                        if segment.starts_with('{') {
                            "1"
                        } else {
                            segment
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("/");
                operations.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    concrete,
                ));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = spawn_app().await;
    let spec = serde_json::to_value(llcp_hub::openapi::build_spec()).unwrap();
    let operations = documented_operations(&spec);
    assert!(operations.len() >= 17, "{operations:?}");
    for (method, path) in operations {
        let response = app
            .client
            .request(method.clone(), app.url(&path))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_ne!(
            body["type"], "/problems/route-not-found",
            "{method} {path} is documented but not routed"
        );
    }
}

#[test]
fn every_operation_documents_its_errors_as_problem_json() {
    let spec = serde_json::to_value(llcp_hub::openapi::build_spec()).unwrap();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                operation["operationId"].is_string(),
                "{method} {path}: operationId"
            );
            assert!(operation["tags"].is_array(), "{method} {path}: tags");
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status} is not documented as problem+json"
                    );
                }
            }
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                let documented: Vec<&String> =
                    operation["responses"].as_object().unwrap().keys().collect();
                assert!(
                    documented.iter().any(|s| *s == "401"),
                    "{method} {path} needs a 401"
                );
            }
        }
    }
}

#[test]
fn operation_ids_are_unique_verb_noun_names_with_a_summary_and_description() {
    let spec = serde_json::to_value(llcp_hub::openapi::build_spec()).unwrap();
    let mut seen = std::collections::HashSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(seen.insert(id.to_string()), "{id} is used twice");
            let verb = id.split('_').next().unwrap();
            assert!(
                id.contains('_')
                    && id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    && [
                        "get", "list", "create", "update", "delete", "publish", "cancel",
                        "approve", "reject", "decide", "apply", "refresh", "revoke", "export",
                        "erase",
                    ]
                    .contains(&verb),
                "{method} {path}: `{id}` is not verb_noun"
            );
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && !summary.contains('\n') && summary.len() <= 60,
                "{method} {path}: the summary is one short line: {summary:?}"
            );
            assert!(
                operation["description"].is_string(),
                "{method} {path}: description"
            );
        }
    }
}

#[test]
fn response_fields_that_are_always_sent_are_required_even_when_null() {
    let spec = serde_json::to_value(llcp_hub::openapi::build_spec()).unwrap();
    let event = &spec["components"]["schemas"]["Event"];
    let required: Vec<&str> = event["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "summary",
        "venue",
        "capacity",
        "published_at",
        "bulletin_number",
    ] {
        assert!(required.contains(&field), "Event.{field}");
    }
    // Request bodies keep their optional fields optional.
    let input = &spec["components"]["schemas"]["RegistrationRequest"]["required"];
    assert!(!input.as_array().unwrap().iter().any(|v| v == "borough"));
    // The event's registration block is its own schema, not the registration record.
    assert_eq!(
        event["properties"]["registration"]["$ref"],
        "#/components/schemas/EventRegistration"
    );
}
