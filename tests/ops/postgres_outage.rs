//! PostgreSQL stopped under load: the service answers 503 quickly, stays alive, and
//! recovers by itself when the database is back, losing and doubling nothing.
//!
//! It runs its own throwaway cluster (whatever TEST_DATABASE_URL says), so it can stop
//! and start the server.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::pg_cluster::PgCluster;
use crate::support::*;

/// How long any answer may take while the database is down.
const FAIL_FAST: Duration = Duration::from_secs(5);
const WORKERS: usize = 4;

/// One answer given while the database was unreachable.
#[derive(Debug)]
struct Refusal {
    elapsed: Duration,
    retry_after: bool,
    content_type: String,
    problem_type: Value,
}

/// What the load saw: registrations acknowledged, refusals, and anything else.
#[derive(Default)]
struct Load {
    next_person: AtomicUsize,
    stop: AtomicBool,
    acknowledged: Mutex<Vec<(usize, String)>>,
    refusals: Mutex<Vec<Refusal>>,
    unexpected: Mutex<Vec<String>>,
}

impl Load {
    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    fn refused(&self) -> usize {
        self.refusals.lock().unwrap().len()
    }
}

/// Registers one person after another; a 503 is retried with the same Idempotency-Key
/// until it succeeds, as a careful client would.
async fn register_in_turn(client: reqwest::Client, url: String, load: Arc<Load>) {
    while !load.stop.load(Ordering::SeqCst) {
        let i = load.next_person.fetch_add(1, Ordering::SeqCst);
        let key = format!("outage-{i}");
        for _attempt in 0..300 {
            let started = Instant::now();
            let sent = client
                .post(&url)
                .header("Idempotency-Key", &key)
                .json(&person(i))
                .send()
                .await;
            let elapsed = started.elapsed();
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    load.unexpected
                        .lock()
                        .unwrap()
                        .push(format!("person {i}: {e}"));
                    return;
                }
            };
            let status = response.status();
            let retry_after = response.headers().contains_key("retry-after");
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            match status {
                StatusCode::CREATED => {
                    let id = body["id"].as_str().unwrap_or_default().to_string();
                    load.acknowledged.lock().unwrap().push((i, id));
                    break;
                }
                StatusCode::SERVICE_UNAVAILABLE => {
                    load.refusals.lock().unwrap().push(Refusal {
                        elapsed,
                        retry_after,
                        content_type,
                        problem_type: body["type"].clone(),
                    });
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                other => {
                    load.unexpected
                        .lock()
                        .unwrap()
                        .push(format!("person {i}: {other} {body}"));
                    return;
                }
            }
        }
    }
}

/// Polls `done` every 100 ms; panics with `what` after `within`.
async fn wait_for(what: &str, within: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A GET's status (None if nothing answered within 10 s) and how long it took.
async fn timed_status(hub: &Hub, path: &str) -> (Option<StatusCode>, Duration) {
    let started = Instant::now();
    let response = hub.get(path).timeout(Duration::from_secs(10)).send().await;
    (response.ok().map(|r| r.status()), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_fails_fast_and_recovers_without_a_restart() {
    let Some(cluster) = PgCluster::start_new() else {
        eprintln!(
            "SKIPPED postgres_stopped_under_load: no initdb/pg_ctl in /usr/lib/postgresql/15/bin"
        );
        return;
    };
    let (db, url) = TestDb::postgres_on(&cluster.url());
    let url = db.url_for_cli(&url);
    create_admin(&url);
    let hub = Hub::start(&url, &[]).await;
    let admin = hub.admin_token().await;
    let event_id = hub.open_event(&admin, Some(40)).await;

    let load = Arc::new(Load::default());
    let registrations = hub.url(&format!("/api/v1/events/{event_id}/registrations"));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            tokio::spawn(register_in_turn(
                hub.client.clone(),
                registrations.clone(),
                load.clone(),
            ))
        })
        .collect();
    wait_for("ten registrations", Duration::from_secs(30), async || {
        load.acknowledged() >= 10
    })
    .await;

    tokio::task::block_in_place(|| cluster.stop_immediately());
    wait_for(
        "two refusals per client",
        Duration::from_secs(30),
        async || load.refused() >= 2 * WORKERS,
    )
    .await;
    let (ready, took) = timed_status(&hub, "/readyz").await;
    assert_eq!(
        ready,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "/readyz while down"
    );
    assert!(took <= FAIL_FAST, "/readyz took {took:?} while down");
    let (live, _) = timed_status(&hub, "/healthz").await;
    assert_eq!(live, Some(StatusCode::OK), "/healthz while down");

    tokio::task::block_in_place(|| cluster.start());
    wait_for(
        "/readyz 200 after the restart",
        Duration::from_secs(30),
        async || hub.status_of("/readyz").await == Some(StatusCode::OK),
    )
    .await;
    let after_restart = load.acknowledged();
    wait_for(
        "ten more registrations after the restart",
        Duration::from_secs(30),
        async || load.acknowledged() >= after_restart + 10,
    )
    .await;
    load.stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("worker");
    }

    let unexpected = load.unexpected.lock().unwrap();
    assert!(
        unexpected.is_empty(),
        "answers other than 201 and 503: {unexpected:?}"
    );
    for refusal in load.refusals.lock().unwrap().iter() {
        assert!(refusal.elapsed <= FAIL_FAST, "slow refusal: {refusal:?}");
        assert!(refusal.retry_after, "no Retry-After: {refusal:?}");
        assert!(
            refusal.content_type.starts_with("application/problem+json"),
            "{refusal:?}"
        );
        assert_eq!(refusal.problem_type, "/problems/unavailable", "{refusal:?}");
    }

    let acknowledged = load.acknowledged.lock().unwrap();
    let mut conn = open_db(&url);
    let stored = texts(
        &mut conn,
        &format!("SELECT id AS value FROM registrations WHERE event_id = {event_id}"),
    );
    for (i, id) in acknowledged.iter() {
        assert!(
            stored.contains(id),
            "person {i}'s acknowledged registration {id} is missing"
        );
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "one stored registration per acknowledged person, none doubled"
    );
    let distinct = number(
        &mut conn,
        &format!(
            "SELECT CAST(COUNT(DISTINCT email) AS TEXT) AS value FROM registrations WHERE event_id = {event_id}"
        ),
    );
    assert_eq!(
        distinct as usize,
        stored.len(),
        "no person registered twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_in_time_while_postgres_is_frozen() {
    let Some(cluster) = PgCluster::start_new() else {
        eprintln!("SKIPPED readiness_while_frozen: no initdb/pg_ctl in /usr/lib/postgresql/15/bin");
        return;
    };
    let (db, url) = TestDb::postgres_on(&cluster.url());
    let url = db.url_for_cli(&url);
    let hub = Hub::start(&url, &[]).await;

    // A frozen server keeps its connections open and answers nothing: a probe that
    // waited on it would hang.
    let frozen = cluster.freeze();
    let (ready, took) = timed_status(&hub, "/readyz").await;
    let (live, _) = timed_status(&hub, "/healthz").await;
    drop(frozen);
    assert_eq!(
        ready,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "/readyz while frozen"
    );
    assert!(took <= FAIL_FAST, "/readyz took {took:?} while frozen");
    assert_eq!(live, Some(StatusCode::OK), "/healthz while frozen");
    wait_for(
        "/readyz 200 after the thaw",
        Duration::from_secs(30),
        async || hub.status_of("/readyz").await == Some(StatusCode::OK),
    )
    .await;
}
