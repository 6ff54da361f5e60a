//! PostgreSQL frozen (SIGSTOP: connections stay open, nothing answers): every request,
//! also one whose database work already holds a connection, is answered 503 with
//! Retry-After within 2 s; SIGTERM ends the process within its shutdown timeout; after
//! SIGCONT the hub recovers by itself.

use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, StatusCode};

use crate::pg_cluster::PgCluster;
use crate::support::*;

/// The promise: a hung database is a 503 within this.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
const SHUTDOWN_TIMEOUT_SECS: u64 = 3;

/// What one request got while the database was frozen.
#[derive(Debug)]
struct Answer {
    what: String,
    status: Option<StatusCode>,
    retry_after: bool,
    took: Duration,
}

async fn timed(what: String, request: RequestBuilder) -> Answer {
    let started = Instant::now();
    let response = request.timeout(Duration::from_secs(30)).send().await;
    Answer {
        what,
        status: response.as_ref().ok().map(|r| r.status()),
        retry_after: response
            .as_ref()
            .is_ok_and(|r| r.headers().contains_key("retry-after")),
        took: started.elapsed(),
    }
}

/// One of each kind of request that needs the database, sent all at once: public
/// reads the cache cannot answer, registrations, an admin read, a sign-in, /metrics.
async fn wave(hub: &Hub, admin: &str, event_id: i64, round: usize) -> Vec<Answer> {
    let mut requests: Vec<(String, RequestBuilder)> = Vec::new();
    for i in 0..4 {
        let person = person(1000 * round + i);
        requests.push((
            format!("registration {i}"),
            hub.post(&format!("/api/v1/events/{event_id}/registrations"))
                .json(&person),
        ));
        requests.push((
            format!("search {i}"),
            hub.get(&format!("/api/v1/events?q=frozen-{round}-{i}")),
        ));
    }
    requests.push((
        "admin event".into(),
        hub.get(&format!("/api/v1/admin/events/{event_id}"))
            .bearer_auth(admin),
    ));
    requests.push((
        "sign-in".into(),
        hub.post("/api/v1/auth/token")
            .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": PASSWORD})),
    ));
    requests.push(("metrics".into(), hub.get("/metrics")));
    let sent: Vec<_> = requests
        .into_iter()
        .map(|(what, request)| tokio::spawn(timed(what, request)))
        .collect();
    let mut answers = Vec::new();
    for answer in sent {
        answers.push(answer.await.expect("request task"));
    }
    answers
}

fn assert_refused_in_time(answers: &[Answer]) {
    for answer in answers {
        assert_eq!(
            answer.status,
            Some(StatusCode::SERVICE_UNAVAILABLE),
            "{}: {answer:?}",
            answer.what
        );
        assert!(answer.retry_after, "no Retry-After: {answer:?}");
        assert!(answer.took <= ANSWER_WITHIN, "too slow: {answer:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_postgres_is_a_503_within_two_seconds_and_shutdown_still_ends() {
    let Some(cluster) = PgCluster::start_new() else {
        eprintln!("SKIPPED postgres_frozen: no initdb/pg_ctl in /usr/lib/postgresql/15/bin");
        return;
    };
    let (db, url) = TestDb::postgres_on(&cluster.url());
    let url = db.url_for_cli(&url);
    create_admin(&url);
    let shutdown = SHUTDOWN_TIMEOUT_SECS.to_string();
    // The outbox sender polls the database every second, so background work is stuck
    // on the frozen server too when SIGTERM comes (nothing listens on this port; no
    // mail is sent to it, as the outbox is empty).
    let smtp = format!("smtp://127.0.0.1:{}", free_port());
    let mut hub = Hub::start(
        &url,
        &[("SHUTDOWN_TIMEOUT_SECS", &shutdown), ("SMTP_URL", &smtp)],
    )
    .await;
    let admin = hub.admin_token().await;
    let event_id = hub.open_event(&admin, Some(100)).await;

    let frozen = cluster.freeze();
    // The first wave's work takes connections and then waits on the frozen server;
    // the second finds them all held.
    let first = wave(&hub, &admin, event_id, 1).await;
    let second = wave(&hub, &admin, event_id, 2).await;
    let live = hub.status_of("/healthz").await;
    drop(frozen);
    assert_refused_in_time(&first);
    assert_refused_in_time(&second);
    assert_eq!(live, Some(StatusCode::OK), "/healthz while frozen");

    // Thawed, the hub recovers without a restart.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let response = hub
            .post(&format!("/api/v1/events/{event_id}/registrations"))
            .json(&person(9999))
            .send()
            .await
            .expect("an answer after the thaw");
        if response.status() == StatusCode::CREATED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no registration within 30 s of the thaw: {}",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Frozen again with work in flight, SIGTERM still ends the process in time.
    let frozen = cluster.freeze();
    let stuck = tokio::spawn(timed(
        "in flight at SIGTERM".into(),
        hub.get("/api/v1/events?q=at-shutdown"),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let limit = Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 2);
    let exited = tokio::task::block_in_place(|| hub.terminate(limit));
    drop(frozen);
    let in_flight = stuck.await.expect("request task");
    assert!(
        // The margin is for the kill command and the polling, not the hub.
        exited
            .is_some_and(|took| took <= Duration::from_millis(SHUTDOWN_TIMEOUT_SECS * 1000 + 300)),
        "SIGTERM with the database frozen: exited after {exited:?} (limit {SHUTDOWN_TIMEOUT_SECS} s)\n{}",
        hub.log()
    );
    assert_eq!(
        in_flight.status,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "{in_flight:?}"
    );
}
