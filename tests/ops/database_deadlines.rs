//! A database that holds a request up: a lock held by another connection keeps the
//! request's query waiting, and the hub answers 503 with Retry-After in about the
//! configured time instead of waiting for the lock; once it is released the hub serves
//! again. On PostgreSQL the server's `statement_timeout` ends the wait, on SQLite the
//! per-request deadline.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::support::*;

/// How long the other connection holds its lock: far longer than the limit under test,
/// so that without that limit the request would wait for the lock and then succeed.
const HOLD: Duration = Duration::from_secs(4);

/// Takes a lock with `sql` (inside a transaction it begins) on a connection of its own,
/// and returns once it holds it; the lock is released after `HOLD`.
fn hold_lock(database_url: &str, sql: &str) -> JoinHandle<()> {
    let mut conn = open_db(database_url);
    conn.batch_execute(sql).expect("take the lock");
    std::thread::spawn(move || {
        std::thread::sleep(HOLD);
        conn.batch_execute("ROLLBACK").expect("release the lock");
    })
}

/// Sends the request and asserts a 503 `unavailable` problem with Retry-After, answered
/// within `within`.
async fn assert_unavailable_within(case: &str, request: RequestBuilder, within: Duration) {
    let started = Instant::now();
    let response: Response = request.send().await.expect("answered");
    let took = started.elapsed();
    let retry_after = header(&response, "retry-after");
    let status = StatusCode::SERVICE_UNAVAILABLE;
    assert_problem_in(case, response, status, "unavailable").await;
    assert!(!retry_after.is_empty(), "{case}: no Retry-After");
    assert!(took <= within, "{case}: answered after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_past_postgres_statement_timeout_is_a_503_with_retry_after() {
    let (_db, url) = shared_db();
    if !url.starts_with("postgres") {
        eprintln!("skipped: PostgreSQL only (TEST_DATABASE_URL is not set)");
        return;
    }
    create_admin(&url);
    // A request deadline well past the statement timeout, so that the server's
    // cancellation, not the hub's own deadline, ends the wait.
    let env = [
        ("DATABASE_STATEMENT_TIMEOUT_MS", "1000"),
        ("DATABASE_REQUEST_TIMEOUT_MS", "10000"),
    ];
    let hub = Hub::start(&url, &env).await;

    let holder = hold_lock(&url, "BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE");
    let listing = hub.get("/api/v1/events");
    assert_unavailable_within("listing", listing, Duration::from_secs(3)).await;
    holder.join().expect("the lock holder");

    hub.public_json("/api/v1/events").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_sqlite_write_lock_is_a_503_within_the_request_deadline() {
    // SQLite whatever TEST_DATABASE_URL says: the lock is the database file's.
    let (db, url) = TestDb::sqlite();
    let url = db.url_for_cli(&url);
    create_admin(&url);
    // The event is made with the default deadline: under load, a sign-in alone (a
    // password hash) can take longer than the short one under test.
    let event = {
        let setup = Hub::start(&url, &[]).await;
        let admin = setup.admin_token().await;
        setup.open_event(&admin, None).await
    };
    let hub = Hub::start(&url, &[("DATABASE_REQUEST_TIMEOUT_MS", "500")]).await;

    // SQLite itself would wait on the lock for its busy timeout (10 s).
    let holder = hold_lock(&url, "BEGIN IMMEDIATE");
    let registration = hub.registration_request(event, &person(1));
    let within = Duration::from_millis(1500);
    assert_unavailable_within("registration", registration, within).await;
    holder.join().expect("the lock holder");

    // Served again: the deadline is short, so a slow moment of a loaded machine may
    // still refuse an attempt, but not every attempt for ten seconds.
    // Each attempt is someone new: a refused one may still have been stored.
    let until = Instant::now() + Duration::from_secs(10);
    for attempt in 2.. {
        let response = hub.post_registration(event, &person(attempt)).await;
        if response.status() == StatusCode::CREATED {
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            Instant::now() < until,
            "still refused 10 s after the lock's release"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
