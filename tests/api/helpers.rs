//! Boots the real application on port 0 with a fresh database per test: a temporary
//! SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set.

use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use llcp_hub::app::Application;
use llcp_hub::config::{JwtSecret, LoginThrottle, Settings};
use llcp_hub::db::{DatabaseUrl, DbPool};
use llcp_hub::domain::Role;
use llcp_hub::domain::{Email, Password};
use llcp_hub::service::accounts::{NewAccountInput, create_account};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

#[path = "../common/database_url.rs"]
mod database_url;
pub use database_url::with_database;

pub const TEST_JWT_SECRET: &[u8] = b"test-secret-that-is-at-least-32-bytes-long";
pub const PASSWORD: &str = "correct horse battery staple";
pub const BASE_URL: &str = "http://hub.test";

/// A database that disappears with the test.
pub enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server_url: String, name: String },
}

impl TestDb {
    pub fn create() -> (Self, DatabaseUrl) {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(server_url) => {
                // Loopback needs no TLS; without it libpq's OpenSSL state cannot race
                // with the process's exit while pools of finished tests still reconnect.
                let server_url = if server_url.contains("sslmode=") {
                    server_url
                } else if server_url.contains('?') {
                    format!("{server_url}&sslmode=disable")
                } else {
                    format!("{server_url}?sslmode=disable")
                };
                let name = format!("llcp_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn =
                    PgConnection::establish(&server_url).expect("connect to TEST_DATABASE_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .expect("create test database");
                let url = with_database(&server_url, &name);
                (
                    Self::Postgres { server_url, name },
                    DatabaseUrl::parse(&url).unwrap(),
                )
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("test.db");
                let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
                (Self::Sqlite(dir), url)
            }
        }
    }

    /// The URL as the CLI takes it in DATABASE_URL.
    pub fn url_for_cli(&self, url: &DatabaseUrl) -> String {
        match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Off the async runtime: diesel blocks.
            let _ = std::thread::spawn(move || {
                if let Ok(mut conn) = PgConnection::establish(&server_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub pool: DbPool,
    handle: ServerHandle,
    server_thread: Option<std::thread::JoinHandle<()>>,
    // Dropped last: the server's connections go first.
    _db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The server runs on its own thread, so it can stop (closing its database
        // connections) even while the test's runtime is shutting down.
        drop(self.handle.stop(false));
        if let Some(thread) = self.server_thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn test_settings(database_url: DatabaseUrl) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        jwt_secret: JwtSecret::new(TEST_JWT_SECRET.to_vec()).unwrap(),
        public_base_url: BASE_URL.into(),
        trusted_proxies: vec![],
        login_throttle: LoginThrottle::default(),
        membership_sla: Duration::from_secs(24 * 3600),
        reminder_interval: Duration::from_secs(3600),
        smtp: None,
        retention: Default::default(),
        public_max_age: 60,
        public_cache_ttl: llcp_hub::http::response_cache::DEFAULT_TTL,
        demo: false,
        workers: Some(2),
        pool_size: 8,
        pool_timeout: Duration::from_secs(5),
        http: llcp_hub::config::HttpSettings::default(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, database_url) = TestDb::create();
    spawn_app_on(db, database_url, configure).await
}

/// Boots the app on a database that a test prepared (for example with the CLI).
pub async fn spawn_app_on(
    db: TestDb,
    database_url: DatabaseUrl,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = test_settings(database_url);
    configure(&mut settings);
    let app = Application::build(settings).expect("the application builds");
    let port = app.port();
    let pool = app.pool().clone();
    let handle = app.handle();
    let server_thread = std::thread::spawn(move || {
        let _ = actix_web::rt::System::new().block_on(app.run_until_stopped());
    });
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        pool,
        handle,
        server_thread: Some(server_thread),
        _db: db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.client.patch(self.url(path))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path))
    }

    /// Creates an account straight in the database (no HTTP), with `PASSWORD`.
    pub fn insert_account(&self, email: &str, role: Role) -> String {
        let mut conn = self.pool.get().unwrap();
        let input = NewAccountInput {
            email: Email::parse(email).unwrap(),
            password: Password::parse(PASSWORD, None).unwrap(),
            full_name: "Test Person".into(),
            organisation: "Test Borough Council".into(),
            borough: None,
        };
        create_account(&mut conn, &input, role).unwrap().id
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post("/api/v1/auth/token")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// An access token for a new account of the role.
    pub async fn token_for(&self, email: &str, role: Role) -> String {
        self.insert_account(email, role);
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {email}");
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.token_for("admin@example.org", Role::Admin).await
    }

    pub async fn member_token(&self) -> String {
        self.token_for("member@example.org", Role::Member).await
    }

    /// Creates a draft event as admin and returns its JSON (201 asserted).
    pub async fn create_event(&self, token: &str, body: &Value) -> Value {
        let response = self
            .post("/api/v1/admin/events")
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let json: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "create event: {json}");
        json
    }

    pub async fn publish_event(&self, token: &str, id: i64) -> Value {
        let response = self
            .post(&format!("/api/v1/admin/events/{id}/publish"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Creates and publishes; returns the published JSON.
    pub async fn published_event(&self, token: &str, body: &Value) -> Value {
        let created = self.create_event(token, body).await;
        self.publish_event(token, created["id"].as_i64().unwrap())
            .await
    }
}

/// A valid event body, starting `days_ahead` days from now (negative for the past).
pub fn event_body(title: &str, days_ahead: i64) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::days(days_ahead);
    let end = start + chrono::Duration::hours(4);
    json!({
        "title": title,
        "kind": "workshop",
        "summary": "A workshop for borough officers",
        "starts_at": start.to_rfc3339(),
        "ends_at": end.to_rfc3339(),
        "venue": {"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"},
        "audience": ["officers"],
        "capacity": 30,
    })
}

/// Asserts a problem+json response with the status and `type` and returns its body.
pub async fn assert_problem(response: Response, status: StatusCode, kind: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type was {content_type:?}"
    );
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(
        body["type"],
        format!("/problems/{kind}"),
        "problem type in {body}"
    );
    assert_eq!(body["status"], status.as_u16(), "problem status in {body}");
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "title and detail in {body}"
    );
    body
}

/// The fields named in a 422 problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}
