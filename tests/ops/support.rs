//! Runs the real binary as separate processes on a database they share, and speaks to
//! them over HTTP.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::r2d2::ManageConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use llcp_hub::db::{DatabaseUrl, DbConnection, DbManager};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

#[path = "../common/database_url.rs"]
mod database_url;
pub use database_url::with_database;

/// The same signing key for every instance, as behind a load balancer.
pub const JWT_SECRET: &str = "ops-test-secret-that-is-at-least-32-bytes-long";
pub const ADMIN_EMAIL: &str = "ops-admin@example.org";
pub const PASSWORD: &str = "correct horse battery staple";
const READY_WITHIN: Duration = Duration::from_secs(30);

/// A database for several instances: one SQLite file, or a fresh PostgreSQL database on
/// TEST_DATABASE_URL's server that is dropped with the test.
pub enum SharedDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server_url: String, name: String },
}

impl SharedDb {
    /// Returns the database and the DATABASE_URL the instances are given.
    pub fn create() -> (Self, String) {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(server_url) => Self::postgres_on(&with_sslmode_disabled(&server_url)),
            None => Self::sqlite(),
        }
    }

    pub fn sqlite() -> (Self, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("hub.db").display());
        (Self::Sqlite(dir), url)
    }

    pub fn postgres_on(server_url: &str) -> (Self, String) {
        let name = format!("llcp_ops_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::establish(server_url).expect("connect to the server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create the test database");
        let url = with_database(server_url, &name);
        (
            Self::Postgres {
                server_url: server_url.to_string(),
                name,
            },
            url,
        )
    }
}

impl Drop for SharedDb {
    fn drop(&mut self) {
        if let Self::Postgres { server_url, name } = self
            && let Ok(mut conn) = PgConnection::establish(server_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// Loopback needs no TLS, and the throwaway cluster has none.
pub fn with_sslmode_disabled(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

/// A port that was free a moment ago (the hub binds it by number).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Runs the binary once to completion in an empty folder (no `.env`).
pub fn run_cli(args: &[&str], database_url: &str, stdin: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_llcp-hub"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run llcp-hub");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait for llcp-hub")
}

/// Creates the admin account with the CLI (which migrates first).
pub fn create_admin(database_url: &str) {
    let output = run_cli(
        &["admin", "create", "--email", ADMIN_EMAIL],
        database_url,
        &format!("{PASSWORD}\n"),
    );
    assert!(
        output.status.success(),
        "admin create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// One `llcp-hub serve` process. It is killed when dropped; if the test is failing, its
/// log is printed first.
pub struct Hub {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
    pub client: reqwest::Client,
}

impl Hub {
    /// Starts the process without waiting for it to be ready.
    pub fn spawn(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("hub.log");
        let port = free_port();
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_llcp-hub"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", JWT_SECRET)
            .env("PUBLIC_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .envs(extra_env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start llcp-hub");
        Self {
            child,
            port,
            log,
            _dir: dir,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
        }
    }

    /// Starts the process and waits until `/readyz` answers 200.
    pub async fn start(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        let mut hub = Self::spawn(database_url, extra_env);
        hub.wait_ready().await;
        hub
    }

    /// Waits for `/readyz` to answer 200; panics with the log if the process exits or
    /// is not ready within 30 s.
    pub async fn wait_ready(&mut self) {
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "llcp-hub exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            if self.status_of("/readyz").await == Some(StatusCode::OK) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("llcp-hub was not ready within 30 s:\n{}", self.log());
    }

    /// The status of a GET, or None when nothing answered.
    pub async fn status_of(&self, path: &str) -> Option<StatusCode> {
        self.client
            .get(self.url(path))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .ok()
            .map(|r| r.status())
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn patch(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path))
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post("/api/v1/auth/token")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login answered")
    }

    /// The token pair of a successful sign-in.
    pub async fn sign_in(&self, email: &str) -> Value {
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
        response.json().await.expect("token pair")
    }

    pub async fn admin_token(&self) -> String {
        access_token(&self.sign_in(ADMIN_EMAIL).await)
    }

    /// Signs up a member over HTTP and returns an access token.
    pub async fn member_token(&self, email: &str) -> String {
        let response = self
            .post("/api/v1/accounts")
            .json(&json!({
                "email": email,
                "password": PASSWORD,
                "full_name": "Test Member",
                "organisation": "London Borough of Camden",
            }))
            .send()
            .await
            .expect("sign-up answered");
        assert_eq!(response.status(), StatusCode::CREATED, "sign-up of {email}");
        access_token(&self.sign_in(email).await)
    }

    /// Creates and publishes a workshop as admin; returns its id.
    pub async fn published_workshop(&self, admin: &str, capacity: i64) -> i64 {
        let (status, created) = json_of(
            self.post("/api/v1/admin/events")
                .bearer_auth(admin)
                .json(&event_body("Shared workshop", capacity))
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "create event: {created}");
        let id = created["id"].as_i64().expect("event id");
        let (status, published) = json_of(
            self.post(&format!("/api/v1/admin/events/{id}/publish"))
                .bearer_auth(admin)
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "publish: {published}");
        id
    }

    /// The admin view of an event (never cached).
    pub async fn admin_event(&self, admin: &str, id: i64) -> Value {
        let (status, event) = json_of(
            self.get(&format!("/api/v1/admin/events/{id}"))
                .bearer_auth(admin)
                .send()
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "admin event: {event}");
        event
    }

    /// POST a registration, optionally with an Idempotency-Key.
    pub fn register(
        &self,
        event_id: i64,
        person: &Value,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .post(&format!("/api/v1/events/{event_id}/registrations"))
            .json(person);
        match key {
            Some(key) => request.header("Idempotency-Key", key),
            None => request,
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("---- llcp-hub on port {} (last lines) ----", self.port);
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

pub fn access_token(pair: &Value) -> String {
    pair["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

/// Status and JSON body (Null when the body is not JSON).
pub async fn json_of(response: reqwest::Result<Response>) -> (StatusCode, Value) {
    let response = response.expect("the hub answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A valid workshop ten days ahead.
pub fn event_body(title: &str, capacity: i64) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::days(10);
    let end = start + chrono::Duration::hours(4);
    json!({
        "title": title,
        "kind": "workshop",
        "summary": "A workshop for borough officers",
        "starts_at": start.to_rfc3339(),
        "ends_at": end.to_rfc3339(),
        "venue": {"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"},
        "audience": ["officers"],
        "capacity": capacity,
    })
}

/// A registration body for person `i`.
pub fn person(i: usize) -> Value {
    json!({
        "full_name": format!("Officer {i}"),
        "email": format!("officer{i}@camden.gov.uk"),
        "organisation": "London Borough of Camden",
        "consent": true,
    })
}

/// The number of migration versions shipped for the backend of `database_url`.
pub fn migration_count(database_url: &str) -> usize {
    let folder = if database_url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    std::fs::read_dir(dir).expect("migrations folder").count()
}

/// A direct connection to the database the instances share, to check what they stored.
pub fn open_db(database_url: &str) -> DbConnection {
    let url = DatabaseUrl::parse(database_url).expect("a database URL");
    DbManager::new(url)
        .connect()
        .expect("connect to the database")
}

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The `value` column of every row of `sql`.
pub fn texts(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    let rows: Vec<TextRow> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConnection::Pg(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.value).collect()
}

/// A single whole number that `sql` selects as `value` (cast to text).
pub fn number(conn: &mut DbConnection, sql: &str) -> i64 {
    let values = texts(conn, sql);
    values[0]
        .parse()
        .unwrap_or_else(|_| panic!("{sql} gave {values:?}"))
}
