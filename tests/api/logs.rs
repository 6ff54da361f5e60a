//! The log of a full scenario, on the real binary at debug level: every request is one
//! line with its id, method, route pattern, status and time, and no email, password,
//! token or name used in the scenario appears anywhere in it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    TestDb, event_body, free_port, membership_application, registration, run_binary, stderr,
};
use crate::shutdown::{send_sigterm, start_hub, wait_for_exit, wait_until_ready};

const ADMIN_EMAIL: &str = "log-admin@example.org";
const ADMIN_PASSWORD: &str = "admin password for the log scan";
const ADMIN_NAME: &str = "Grace Hopperfield";
const MEMBER_EMAIL: &str = "Log.Member@Example.org";
const MEMBER_PASSWORD: &str = "member password for the log scan";
const MEMBER_NAME: &str = "Augusta Byronson";
const WRONG_PASSWORD: &str = "not the member password at all";
const REGISTRANT_EMAIL: &str = "registrant.for.logs@camden.gov.uk";
const REGISTRANT_NAME: &str = "Mary Somervilleton";

struct Hub {
    base: String,
    client: reqwest::Client,
    pool: llcp_hub::db::DbPool,
}

impl Hub {
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, String) {
        let response = request.send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    async fn json(&self, request: reqwest::RequestBuilder, expected: StatusCode) -> Value {
        let (status, text) = self.send(request).await;
        assert_eq!(status, expected, "{text}");
        serde_json::from_str(&text).unwrap()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn token(&self, email: &str, password: &str) -> Value {
        self.json(
            self.client
                .post(self.url("/api/v1/auth/token"))
                .json(&json!({"email": email, "password": password})),
            StatusCode::OK,
        )
        .await
    }
}

fn string(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
        .to_string()
}

/// Sign-up, sign-in, refresh, a failed sign-in, a registration read and cancelled with
/// its manage token, a membership application an admin approves, and a CSV export.
/// Returns every secret or personal value the scenario used.
async fn scenario(hub: &Hub) -> Vec<String> {
    let mut secrets: Vec<String> = [
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        ADMIN_NAME,
        MEMBER_EMAIL,
        MEMBER_PASSWORD,
        MEMBER_NAME,
        WRONG_PASSWORD,
        REGISTRANT_EMAIL,
        REGISTRANT_NAME,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    secrets.push(MEMBER_EMAIL.to_lowercase());
    let c = &hub.client;

    hub.json(
        c.post(hub.url("/api/v1/accounts")).json(&json!({
            "email": MEMBER_EMAIL,
            "password": MEMBER_PASSWORD,
            "full_name": MEMBER_NAME,
            "organisation": "London Borough of Camden",
        })),
        StatusCode::CREATED,
    )
    .await;
    // The same again: answered alike, and the owner mailed instead.
    let (status, _) = hub
        .send(c.post(hub.url("/api/v1/accounts")).json(&json!({
            "email": MEMBER_EMAIL,
            "password": MEMBER_PASSWORD,
            "full_name": MEMBER_NAME,
            "organisation": "London Borough of Camden",
        })))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // The link mailed at sign-up: its token, derived as the sender does from the token
    // row the outbox names.
    let token_ids = crate::common::test_db::texts(
        &mut hub.pool.get().unwrap(),
        "SELECT account_token_id AS value FROM notifications \
         WHERE template = 'account_verify_email'",
    );
    let verification = llcp_hub::auth::tokens::AccountTokens::new(crate::helpers::TEST_JWT_SECRET)
        .token_for(&token_ids[0]);
    secrets.push(verification.clone());
    let (status, _) = hub
        .send(
            c.post(hub.url("/api/v1/accounts/verify"))
                .json(&json!({ "token": verification })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let pair = hub.token(MEMBER_EMAIL, MEMBER_PASSWORD).await;
    secrets.push(string(&pair, "access_token"));
    secrets.push(string(&pair, "refresh_token"));
    let refreshed = hub
        .json(
            c.post(hub.url("/api/v1/auth/refresh"))
                .json(&json!({"refresh_token": string(&pair, "refresh_token")})),
            StatusCode::OK,
        )
        .await;
    let member = string(&refreshed, "access_token");
    secrets.push(member.clone());
    secrets.push(string(&refreshed, "refresh_token"));
    let (status, _) = hub
        .send(
            c.post(hub.url("/api/v1/auth/token"))
                .json(&json!({"email": MEMBER_EMAIL, "password": WRONG_PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let admin_pair = hub.token(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin = string(&admin_pair, "access_token");
    secrets.push(admin.clone());
    secrets.push(string(&admin_pair, "refresh_token"));
    let draft = hub
        .json(
            c.post(hub.url("/api/v1/admin/events"))
                .bearer_auth(&admin)
                .json(&event_body("Logged workshop", 7)),
            StatusCode::CREATED,
        )
        .await;
    let event_id = draft["id"].as_i64().unwrap();
    hub.json(
        c.post(hub.url(&format!("/api/v1/admin/events/{event_id}/publish")))
            .bearer_auth(&admin),
        StatusCode::OK,
    )
    .await;

    let registrations = hub.url(&format!("/api/v1/events/{event_id}/registrations"));
    let registrant = registration(REGISTRANT_NAME, REGISTRANT_EMAIL);
    let registration = hub
        .json(
            c.post(&registrations).json(&registrant),
            StatusCode::CREATED,
        )
        .await;
    let (status, _) = hub.send(c.post(&registrations).json(&registrant)).await;
    assert_eq!(status, StatusCode::CONFLICT, "registered twice");
    let id = string(&registration, "id");
    let manage = string(&registration, "manage_token");
    secrets.push(manage.clone());
    let own = format!("/api/v1/registrations/{id}");
    hub.json(
        c.get(hub.url(&own)).header("X-Manage-Token", &manage),
        StatusCode::OK,
    )
    .await;
    let (status, _) = hub
        .send(c.delete(hub.url(&own)).header("X-Manage-Token", &manage))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let application = hub
        .json(
            c.post(hub.url("/api/v1/me/membership-application"))
                .bearer_auth(&member)
                .json(&membership_application()),
            StatusCode::CREATED,
        )
        .await;
    hub.json(
        c.post(hub.url(&format!(
            "/api/v1/admin/membership-applications/{}/approve",
            string(&application, "id")
        )))
        .bearer_auth(&admin),
        StatusCode::OK,
    )
    .await;

    let (status, csv) = hub
        .send(
            c.get(hub.url(&format!("/api/v1/admin/events/{event_id}/registrations")))
                .bearer_auth(&admin)
                .header("Accept", "text/csv"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains(REGISTRANT_EMAIL), "the export is real: {csv}");
    secrets
}

#[tokio::test]
async fn a_full_scenario_logs_routes_and_request_ids_but_no_secret() {
    let (db, url) = TestDb::create();
    let database_url = db.url_for_cli(&url);
    let dir = tempfile::tempdir().unwrap();

    // The admin, made with the CLI as operators do.
    let create = run_binary(
        &[
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--name",
            ADMIN_NAME,
        ],
        &[("DATABASE_URL", &database_url)],
        Some(&format!("{ADMIN_PASSWORD}\n")),
    );
    assert!(create.status.success(), "admin create: {}", stderr(&create));

    let log_path = dir.path().join("hub.log");
    let port = free_port();
    let mut child = start_hub(
        &database_url,
        port,
        &[
            ("RUST_LOG", "debug"),
            // Mail is attempted (and fails): the sender's own lines are scanned too.
            ("SMTP_URL", "smtp://127.0.0.1:9"),
        ],
        std::fs::File::create(&log_path).unwrap(),
        dir.path(),
    );
    wait_until_ready(port, &mut child);
    let hub = Hub {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
        pool: llcp_hub::db::build_pool(&url, 1, Duration::from_secs(5)).unwrap(),
    };
    let secrets = scenario(&hub).await;
    // A client's own request id is used when well-formed, replaced when not.
    let (echoed, replaced) = {
        let ok = hub
            .client
            .get(hub.url("/api/v1/events"))
            .header("X-Request-Id", "trace-7.a_B")
            .send()
            .await
            .unwrap();
        let bad = hub
            .client
            .get(hub.url("/api/v1/events"))
            .header("X-Request-Id", "forged id 200 0ms")
            .send()
            .await
            .unwrap();
        (
            ok.headers()["x-request-id"].to_str().unwrap().to_string(),
            bad.headers()["x-request-id"].to_str().unwrap().to_string(),
        )
    };
    assert_eq!(echoed, "trace-7.a_B");
    assert!(
        replaced.len() == 32 && replaced.bytes().all(|b| b.is_ascii_hexdigit()),
        "{replaced}"
    );
    // Give the mail sender a poll to fail in, then stop and read the whole log.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send_sigterm(&child);
    let status = wait_for_exit(&mut child, Duration::from_secs(15));
    if status.is_none() {
        let _ = child.kill();
    }
    let log = std::fs::read_to_string(&log_path).unwrap();

    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log holds `{secret}`:\n{log}"
        );
    }
    // Paths hold ids; the log names the route instead.
    assert!(
        log.contains("POST /api/v1/events/{id_or_slug}/registrations 201"),
        "{log}"
    );
    assert!(
        log.contains("DELETE /api/v1/registrations/{id} 204"),
        "{log}"
    );
    assert!(log.contains("trace-7.a_B GET /api/v1/events 200"), "{log}");
    assert!(
        log.contains(&format!("{replaced} GET /api/v1/events 200")),
        "{log}"
    );
    assert!(
        log.contains("POST /api/v1/auth/token 401"),
        "the failed sign-in is logged: {log}"
    );
}
