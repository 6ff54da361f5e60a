//! Clients that send a request head and part of its body, then nothing: each is
//! answered and closed by the body deadline, and a normal client is served all the
//! while: with room for every connection (408 at the deadline), and with an open-file
//! limit far below their number, where the connection cap sheds the longest-stalled
//! bodies (408) or refuses connections while none can be shed (503).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::*;

const STALLED: usize = 300;
const IDLE_SECS: u64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_bodies_are_closed_at_the_deadline_while_others_are_served() {
    let answers = stalled_against_a_normal_client(None).await;
    for (closed, answer) in &answers {
        assert!(*closed, "a stalled connection was not closed: {answer:?}");
        assert!(
            answer.starts_with("HTTP/1.1 408") && answer.contains("application/problem+json"),
            "{answer:?}"
        );
    }
}

/// Far fewer descriptors than stalled clients: without the cap the process would run
/// out of them and answer nobody, /healthz included.
const FILE_LIMIT: u64 = 128;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_low_file_limit_the_connection_cap_keeps_a_normal_client_served() {
    let answers = stalled_against_a_normal_client(Some(FILE_LIMIT)).await;
    let mut shed = 0;
    for (closed, answer) in &answers {
        assert!(*closed, "a stalled connection was not closed: {answer:?}");
        assert!(
            (answer.starts_with("HTTP/1.1 408") || answer.starts_with("HTTP/1.1 503"))
                && answer.contains("application/problem+json"),
            "{answer:?}"
        );
        shed +=
            usize::from(answer.starts_with("HTTP/1.1 408") && answer.contains("connection limit"));
    }
    assert!(shed > 0, "no stalled body was shed to make room");
}

/// 300 stalled clients and a normal one beside them, against a hub with the open-file
/// limit given; each stalled connection's answer, once the hub closed it.
async fn stalled_against_a_normal_client(file_limit: Option<u64>) -> Vec<(bool, String)> {
    let (_db, url) = shared_db();
    let idle = IDLE_SECS.to_string();
    let mut hub = Hub::spawn_limited(&url, &[("HTTP_BODY_IDLE_TIMEOUT_SECS", &idle)], file_limit);
    hub.wait_ready().await;
    let port = hub.port;

    let stalled = tokio::task::spawn_blocking(move || {
        let mut sockets: Vec<TcpStream> = (0..STALLED)
            .map(|_| {
                let mut socket = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                socket
                    .write_all(
                        b"POST /api/v1/accounts HTTP/1.1\r\nHost: hub.test\r\n\
                          Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{\"email\":",
                    )
                    .expect("send part of a body");
                socket
            })
            .collect();
        let sent = Instant::now();
        // Each must be answered and closed by the hub, within the deadline and a margin.
        let mut answers = Vec::new();
        for socket in &mut sockets {
            socket
                .set_read_timeout(Some(Duration::from_secs(IDLE_SECS + 10)))
                .expect("read timeout");
            let mut answer = Vec::new();
            let closed = socket.read_to_end(&mut answer).is_ok();
            answers.push((closed, String::from_utf8_lossy(&answer).into_owned()));
        }
        (sent.elapsed(), answers)
    });

    // Meanwhile a normal client keeps being served.
    let mut served = 0;
    while !stalled.is_finished() {
        let started = Instant::now();
        assert_eq!(hub.status_of("/api/v1/events").await, Some(StatusCode::OK));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a normal request took {:?} among the stalled ones",
            started.elapsed()
        );
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (took, answers) = stalled.await.expect("stalled clients");
    assert!(served >= 5, "only {served} normal requests were made");
    // With the low limit most connections wait in the listen queue until others are
    // closed, then have the body deadline of their own.
    let within = Duration::from_secs(IDLE_SECS + if file_limit.is_some() { 10 } else { 5 });
    assert!(
        took <= within,
        "the stalled connections were closed only after {took:?}"
    );
    answers
}
