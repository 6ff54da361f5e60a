//! Runs the real binary as separate processes on a database they share, and speaks to
//! them over HTTP.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::r2d2::ManageConnection;
use llcp_hub::db::{DatabaseUrl, DbConnection, DbManager};
use reqwest::StatusCode;
use serde_json::json;

pub use crate::common::http::*;
pub use crate::common::process::*;
pub use crate::common::test_db::{TestDb, number, texts};

/// The same signing key for every instance, as behind a load balancer.
pub const JWT_SECRET: &str = "ops-test-secret-that-is-at-least-32-bytes-long";
pub const ADMIN_EMAIL: &str = "ops-admin@example.org";
const READY_WITHIN: Duration = Duration::from_secs(30);

/// A database for several instances (see `TestDb::create`) and the DATABASE_URL they
/// are given.
pub fn shared_db() -> (TestDb, String) {
    let (db, url) = TestDb::create();
    let url = db.url_for_cli(&url);
    (db, url)
}

/// Creates the admin account with the CLI (which migrates first).
pub fn create_admin(database_url: &str) {
    let output = run_binary(
        &["admin", "create", "--email", ADMIN_EMAIL],
        &[("DATABASE_URL", database_url)],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        output.status.success(),
        "admin create failed: {}",
        stderr(&output)
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
    database_url: String,
}

impl Hub {
    /// Starts the process without waiting for it to be ready.
    pub fn spawn(database_url: &str, extra_env: &[(&str, &str)]) -> Self {
        Self::spawn_limited(database_url, extra_env, None)
    }

    /// `spawn`, with the process's open-file limit (soft and hard) set to `file_limit`.
    pub fn spawn_limited(
        database_url: &str,
        extra_env: &[(&str, &str)],
        file_limit: Option<u64>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("hub.log");
        let port = free_port();
        let out = std::fs::File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_llcp-hub"));
        command
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", JWT_SECRET)
            .env("PUBLIC_BASE_URL", format!("http://127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            // Every client here is 127.0.0.1; a test of the limits sets them itself.
            .env("RATE_LIMIT_REGISTRATIONS_PER_ADDRESS", "0")
            .env("RATE_LIMIT_REGISTRATIONS_PER_ADDRESS_AND_EVENT", "0")
            .env("RATE_LIMIT_SIGNUPS_PER_ADDRESS", "0")
            .envs(extra_env.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        if let Some(limit) = file_limit {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe and touches only this child.
            unsafe {
                command.pre_exec(move || {
                    let rlimit = libc::rlimit {
                        rlim_cur: limit,
                        rlim_max: limit,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &rlimit) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let child = command.spawn().expect("start llcp-hub");
        Self {
            child,
            port,
            log,
            _dir: dir,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            database_url: database_url.to_string(),
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

    /// The process's peak resident memory so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the hub's /proc status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("VmHWM in /proc status");
        kib * 1024
    }

    /// SIGTERM, then waits up to `within` for the process to exit; how long it took,
    /// or None if it was still running (it is then killed).
    pub fn terminate(&mut self, within: Duration) -> Option<Duration> {
        let started = Instant::now();
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        while started.elapsed() < within {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        None
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub async fn admin_token(&self) -> String {
        access_token(&self.sign_in(ADMIN_EMAIL).await)
    }

    /// Signs up a member over HTTP, follows the verification link it was mailed (its
    /// token derived, as the sender does, from the token row its outbox row names) and
    /// returns an access token.
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
        let ids = texts(
            &mut open_db(&self.database_url),
            &format!(
                "SELECT account_token_id AS value FROM notifications \
                 WHERE recipient = '{email}' AND template = 'account_verify_email'"
            ),
        );
        let token =
            llcp_hub::auth::tokens::AccountTokens::new(JWT_SECRET.as_bytes()).token_for(&ids[0]);
        let verified = self
            .post("/api/v1/accounts/verify")
            .json(&json!({ "token": token }))
            .send()
            .await
            .expect("verification answered");
        assert_eq!(
            verified.status(),
            StatusCode::NO_CONTENT,
            "verification of {email}"
        );
        access_token(&self.sign_in(email).await)
    }
}

impl Api for Hub {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
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
    DbManager::new(url, Default::default())
        .connect()
        .expect("connect to the database")
}
