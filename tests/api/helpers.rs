//! Boots the real application on port 0 with a fresh database per test: a temporary
//! SQLite file, or a new PostgreSQL database when TEST_DATABASE_URL is set.

use std::time::Duration;

use actix_web::dev::ServerHandle;
use llcp_hub::app::Application;
use llcp_hub::auth::tokens::AccountTokens;
use llcp_hub::config::{JwtSecret, LoginThrottle, RateLimits, Settings};
use llcp_hub::db::{DatabaseUrl, DbPool};
use llcp_hub::domain::Role;
use llcp_hub::domain::{Email, Password};
use llcp_hub::service::accounts::{NewAccountInput, create_account};
use serde_json::Value;

pub use crate::common::database_url::with_database;
pub use crate::common::http::*;
pub use crate::common::process::*;
pub use crate::common::test_db::TestDb;

pub const TEST_JWT_SECRET: &[u8] = b"test-secret-that-is-at-least-32-bytes-long";
pub const BASE_URL: &str = "http://hub.test";

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

/// An app and an admin's access token.
pub async fn with_admin() -> (TestApp, String) {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    (app, admin)
}

/// An app, an admin's token and an open event of the capacity (`None`: no limit).
pub async fn with_event(capacity: Option<i64>) -> (TestApp, String, i64) {
    let (app, admin) = with_admin().await;
    let event = app.open_event(&admin, capacity).await;
    (app, admin, event)
}

/// The same, with Ada's registration for the event.
pub async fn ada_registered(capacity: i64) -> (TestApp, String, i64, Value) {
    let (app, admin, event) = with_event(Some(capacity)).await;
    let registration = app.register_email(event, "ada@camden.gov.uk").await;
    (app, admin, event, registration)
}

pub fn test_settings(database_url: DatabaseUrl) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".into(),
        jwt_secret: JwtSecret::new(TEST_JWT_SECRET.to_vec()).unwrap(),
        public_base_url: BASE_URL.into(),
        trusted_proxies: vec![],
        login_throttle: LoginThrottle::default(),
        // Every test client is 127.0.0.1; the tests of these limits turn them on.
        rate_limits: RateLimits::OFF,
        email_confirmation: Default::default(),
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
        // Many tests share two cores: a slow moment must not turn into a 503. The
        // deadline itself is tested against the real binary (tests/ops).
        db_limits: llcp_hub::db::DbLimits {
            request_deadline: Duration::from_secs(30),
            ..Default::default()
        },
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

impl Api for TestApp {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }
}

impl TestApp {
    /// The `value` column of every row of `sql`, read straight from the database.
    pub fn db_texts(&self, sql: &str) -> Vec<String> {
        crate::common::test_db::texts(&mut self.pool.get().unwrap(), sql)
    }

    /// Runs a statement straight on the database (to age a row, say).
    pub fn db_execute(&self, sql: &str) {
        use diesel::RunQueryDsl;
        let mut conn = self.pool.get().unwrap();
        let done = match &mut *conn {
            llcp_hub::db::DbConnection::Sqlite(c) => diesel::sql_query(sql).execute(c),
            llcp_hub::db::DbConnection::Pg(c) => diesel::sql_query(sql).execute(c),
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"));
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
        create_account(&mut conn, &input, role)
            .unwrap()
            .id
            .to_string()
    }

    /// An access token for a new account of the role.
    pub async fn token_for(&self, email: &str, role: Role) -> String {
        self.insert_account(email, role);
        access_token(&self.sign_in(email).await)
    }

    /// The token of the newest account link (`template`) mailed to `recipient`: its
    /// outbox row names the token row, from which the sender derives the token as it
    /// sends; the row itself never holds it.
    pub fn mailed_account_token(&self, recipient: &str, template: &str) -> String {
        let ids = self.db_texts(&format!(
            "SELECT account_token_id AS value FROM notifications \
             WHERE lower(recipient) = lower('{recipient}') AND template = '{template}' \
             AND account_token_id IS NOT NULL ORDER BY id DESC"
        ));
        let id = ids
            .first()
            .unwrap_or_else(|| panic!("no {template} message to {recipient} in the outbox"));
        AccountTokens::new(TEST_JWT_SECRET).token_for(id)
    }

    /// Follows the verification link mailed to `email` at sign-up (204 asserted).
    pub async fn verify_email(&self, email: &str) {
        let token = self.mailed_account_token(email, "account_verify_email");
        let response = self
            .post("/api/v1/accounts/verify")
            .json(&serde_json::json!({ "token": token }))
            .send()
            .await
            .expect("answered");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(
            status,
            reqwest::StatusCode::NO_CONTENT,
            "verify {email}: {text}"
        );
    }

    pub async fn admin_token(&self) -> String {
        self.token_for("admin@example.org", Role::Admin).await
    }

    pub async fn member_token(&self) -> String {
        self.token_for("member@example.org", Role::Member).await
    }
}
