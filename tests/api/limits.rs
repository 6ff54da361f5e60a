//! Limits at the HTTP edge: the 64 KiB body limit, and the head and keep-alive
//! timeouts that stop slow or idle clients from holding the server.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

fn sign_up_body(name_len: usize) -> String {
    json!({
        "email": "big@example.org",
        "password": "a long enough password",
        "full_name": "x".repeat(name_len),
        "organisation": "London Borough of Camden",
    })
    .to_string()
}

const JSON: &str = "application/json";

#[tokio::test]
async fn a_65_kib_body_is_413_problem_and_one_just_under_64_kib_is_judged_on_its_content() {
    let app = spawn_app().await;
    let over = sign_up_body(65 * 1024);
    assert!(over.len() > 64 * 1024);
    let response = app
        .send_raw(Method::POST, "/api/v1/accounts", None, (JSON, over))
        .await;
    let problem =
        assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("65536"),
        "{problem}"
    );

    // Just under the limit the body is read and judged: the name is too long.
    let under = sign_up_body(63 * 1024);
    assert!(under.len() < 64 * 1024);
    let response = app
        .send_raw(Method::POST, "/api/v1/accounts", None, (JSON, under))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_65_kib_body_sent_in_chunks_without_a_length_is_413_too() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut socket = TcpStream::connect(&address).await.unwrap();
    socket
        .write_all(
            b"POST /api/v1/accounts HTTP/1.1\r\nHost: hub.test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    for chunk in sign_up_body(65 * 1024).as_bytes().chunks(8 * 1024) {
        let size = format!("{:x}\r\n", chunk.len());
        // The server may answer (and close) before the last chunk.
        if socket.write_all(size.as_bytes()).await.is_err()
            || socket.write_all(chunk).await.is_err()
            || socket.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let received = tokio::time::timeout(Duration::from_secs(10), read_to_close(&mut socket))
        .await
        .expect("an answer within 10 s");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("/problems/payload-too-large"), "{text}");
}

#[tokio::test]
async fn a_bulletin_with_the_most_sections_and_long_bodies_fits_in_the_limit() {
    // 50 sections (the most allowed) of 1,000 characters each: over ten times bulletin
    // 14. Longer sections are each valid, but the body as a whole is capped at 64 KiB.
    let (app, token) = with_admin().await;
    let sections: Vec<Value> = (1..=50)
        .map(|i| json!({"heading": format!("Section {i}"), "body": "w".repeat(1000)}))
        .collect();
    let body = json!({
        "number": 15,
        "title": "A long bulletin",
        "published_on": "2011-04-14",
        "sections": sections,
    });
    assert!(body.to_string().len() > 50_000);
    let response = app
        .post("/api/v1/admin/bulletins")
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

/// Sends `head` one byte at a time, `pause` apart, until done or the server closes.
async fn drip(address: &str, head: &'static [u8], pause: Duration) -> std::io::Result<()> {
    let mut socket = TcpStream::connect(address).await?;
    for byte in head {
        socket.write_all(std::slice::from_ref(byte)).await?;
        tokio::time::sleep(pause).await;
    }
    Ok(())
}

const SLOW_HEAD: &[u8] = b"GET /api/v1/events HTTP/1.1\r\nHost: hub.test\r\nAccept: application/json\r\nX-Padding: 0123456789\r\n\r\n";

#[tokio::test]
async fn fifty_slow_clients_do_not_stop_another_client_being_served() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_string();
    let slow: Vec<_> = (0..50)
        .map(|_| {
            let address = address.clone();
            tokio::spawn(async move { drip(&address, SLOW_HEAD, Duration::from_millis(50)).await })
        })
        .collect();
    // Let every slow client connect and start dripping.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..3 {
        let response = client
            .get(app.url("/api/v1/events"))
            .send()
            .await
            .expect("served within 5 s while slow clients drip");
        assert_eq!(response.status(), StatusCode::OK);
    }
    for task in &slow {
        assert!(!task.is_finished(), "the slow clients were still sending");
    }
    for task in slow {
        task.abort();
    }
}

/// Reads until the server closes; the bytes it sent.
async fn read_to_close(socket: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match socket.read(&mut buffer).await {
            Ok(0) | Err(_) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_client_too_slow_with_its_head_is_closed_after_the_head_timeout() {
    let app = spawn_app_with(|s| s.http.request_head_timeout = Duration::from_secs(1)).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut socket = TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = socket.split();
    // Drips for up to 4 s (at most 40 of the head's bytes); the server must give up on it
    // well before the head is done.
    let dripping = async {
        for byte in &SLOW_HEAD[..40] {
            if writer.write_all(std::slice::from_ref(byte)).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let closed = async {
        let mut received = Vec::new();
        let mut buffer = [0u8; 1024];
        loop {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => return received,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    };
    let received = tokio::select! {
        received = closed => received,
        _ = dripping => panic!("the server was still waiting for the head after 4 s"),
    };
    let text = String::from_utf8_lossy(&received);
    assert!(
        received.is_empty() || text.starts_with("HTTP/1.1 408"),
        "408 or a plain close, not {text}"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let app = spawn_app_with(|s| s.http.keep_alive = Duration::from_secs(1)).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut socket = TcpStream::connect(&address).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\n\r\n")
        .await
        .unwrap();
    // The answer, then the close: within 4 s (the default would hold it open for 5).
    let received = tokio::time::timeout(Duration::from_secs(4), read_to_close(&mut socket))
        .await
        .expect("the idle connection was closed within 4 s");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

/// Sends raw bytes on a new connection and reads the answer until the server closes
/// (or 5 s pass): the status line, the headers (lower-cased) and the body.
async fn raw_exchange(address: &str, request: &[u8]) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut socket = TcpStream::connect(address).await.unwrap();
    let _ = socket.write_all(request).await;
    let received = tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut socket))
        .await
        .unwrap_or_default();
    let split = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(received.len());
    let head = String::from_utf8_lossy(&received[..split]).to_string();
    let body = received.get(split + 4..).unwrap_or_default().to_vec();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body)
}

/// Asserts a raw answer is a problem of this status and type that closes the connection.
fn assert_raw_problem(
    case: &str,
    answer: &(String, Vec<(String, String)>, Vec<u8>),
    status: &str,
    kind: &str,
) {
    let (line, headers, body) = answer;
    assert!(
        line.starts_with(&format!("HTTP/1.1 {status} ")),
        "{case}: {line:?}"
    );
    let has = |name: &str, value: &str| {
        headers
            .iter()
            .any(|(n, v)| n == name && v.starts_with(value))
    };
    assert!(
        has("content-type", "application/problem+json"),
        "{case}: {headers:?}"
    );
    assert!(has("connection", "close"), "{case}: {headers:?}");
    assert!(
        has("x-content-type-options", "nosniff"),
        "{case}: {headers:?}"
    );
    let problem: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{case}: {e}: {:?}", String::from_utf8_lossy(body)));
    assert_eq!(problem["status"].to_string(), status, "{case}: {problem}");
    assert_eq!(
        problem["type"],
        format!("/problems/{kind}"),
        "{case}: {problem}"
    );
    assert!(
        problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{case}"
    );
}

/// What actix-http's HTTP/1 dispatcher answers by itself, before any service (router,
/// middleware, `ErrorHandlers`) sees the request (a head it cannot read), goes out as a
/// problem too, rewritten on its way to the socket (`http::edge_answers`). Anything that
/// reaches the app is problem+json as well.
#[tokio::test]
async fn the_dispatchers_own_400_and_431_are_problems_like_the_apps_errors() {
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_string();
    let many_headers: String = (0..100).map(|i| format!("X-H{i}: v\r\n")).collect();
    let huge_header = format!("X-Big: {}\r\n", "v".repeat(140 * 1024));
    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "a malformed request line",
            b"NOT HTTP AT ALL\r\n\r\n".to_vec(),
            "400",
        ),
        (
            "a control character in a header value",
            b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\nX-Bad: a\x01b\r\n\r\n".to_vec(),
            "400",
        ),
        (
            "an invalid Content-Length",
            b"POST /api/v1/accounts HTTP/1.1\r\nHost: hub.test\r\nContent-Length: ten\r\n\r\n"
                .to_vec(),
            "400",
        ),
        (
            "more than 96 headers",
            format!("GET /healthz HTTP/1.1\r\nHost: hub.test\r\n{many_headers}\r\n").into_bytes(),
            "431",
        ),
        (
            "a head over 128 KiB",
            format!("GET /healthz HTTP/1.1\r\nHost: hub.test\r\n{huge_header}\r\n").into_bytes(),
            "431",
        ),
    ];
    for (case, request, status) in cases {
        let answer = raw_exchange(&address, &request).await;
        let kind = match status {
            "400" => "bad-request",
            _ => "request-header-fields-too-large",
        };
        assert_raw_problem(case, &answer, status, kind);
    }
    // Garbage after a good request on one connection: the good one is answered as
    // usual, then the garbage gets its problem.
    let mut socket = TcpStream::connect(&address).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\n\r\nNOT HTTP\r\n\r\n")
        .await
        .unwrap();
    let received = tokio::time::timeout(Duration::from_secs(5), read_to_close(&mut socket))
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&received);
    let (first, second) = text
        .split_once("{\"status\":\"ok\"}")
        .expect("the good answer first");
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(second.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(
        second.contains("application/problem+json") && second.ends_with('}'),
        "{text}"
    );

    // Past the dispatcher, every refusal is a problem: bad JSON, a bad header value the
    // app reads, a body too large, an unknown route.
    let bad_json = (JSON, "{\"email\":".to_string());
    let bad_json = app
        .send_raw(Method::POST, "/api/v1/accounts", None, bad_json)
        .await;
    assert_problem(bad_json, StatusCode::BAD_REQUEST, "bad-request").await;
    let bad_key = app
        .registration_request(1, &registration("Ada Lovelace", "ada@camden.gov.uk"))
        .header("Idempotency-Key", "has spaces in it")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), StatusCode::BAD_REQUEST);
    assert!(header(&bad_key, "content-type").starts_with("application/problem+json"));
    let (line, headers, body) = raw_exchange(
        &address,
        b"POST /api/v1/accounts HTTP/1.1\r\nHost: hub.test\r\nContent-Type: application/json\r\nContent-Length: 999999\r\nConnection: close\r\n\r\n{}",
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 413"), "{line}");
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "content-type" && v.starts_with("application/problem+json")),
        "{headers:?}"
    );
    let problem: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(problem["type"], "/problems/payload-too-large", "{problem}");
    let bad_query = app.get("/api/v1/events?limit=many").send().await.unwrap();
    assert_problem(bad_query, StatusCode::BAD_REQUEST, "bad-request").await;
}

/// The head timeout's 408 is the dispatcher's too: a problem, then the connection closes.
#[tokio::test]
async fn the_head_timeouts_408_is_a_problem() {
    let app = spawn_app_with(|s| s.http.request_head_timeout = Duration::from_secs(1)).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let answer = raw_exchange(&address, b"GET /healthz HTTP/1.1\r\nHost: hub").await;
    assert_raw_problem("a head cut short", &answer, "408", "request-timeout");
}

const STALLED_POST: &[u8] = b"POST /api/v1/accounts HTTP/1.1\r\nHost: hub.test\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{\"email\":";
const GET_HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\n\r\n";

/// Opens a connection and sends `request`; the socket, left open.
async fn send(address: &str, request: &[u8]) -> TcpStream {
    let mut socket = TcpStream::connect(address).await.unwrap();
    socket.write_all(request).await.unwrap();
    socket
}

async fn answer_until_closed(socket: &mut TcpStream) -> String {
    let received = tokio::time::timeout(Duration::from_secs(10), read_to_close(socket))
        .await
        .expect("answered and closed within 10 s");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn over_the_connection_cap_the_longest_stalled_body_makes_room() {
    let app = spawn_app_with(|s| s.http.max_connections = 1).await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stalled = send(&address, STALLED_POST).await;
    // Long past the 250 ms after which a body counts as stalled, also on a busy machine.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let mut newcomer = send(
        &address,
        b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    let served = answer_until_closed(&mut newcomer).await;
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    let shed = answer_until_closed(&mut stalled).await;
    assert!(shed.starts_with("HTTP/1.1 408"), "{shed}");
    assert!(shed.contains("/problems/request-timeout"), "{shed}");
}

#[tokio::test]
async fn over_the_connection_cap_with_nothing_stalled_a_request_is_503_and_closed() {
    let app = spawn_app_with(|s| s.http.max_connections = 1).await;
    let address = app.address.trim_start_matches("http://").to_string();
    // A keep-alive connection that was served holds the one place.
    let mut holder = send(&address, GET_HEALTH).await;
    let mut first = [0u8; 12];
    holder.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    let mut refused = send(&address, GET_HEALTH).await;
    let answer = answer_until_closed(&mut refused).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after:"),
        "{answer}"
    );
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("/problems/busy"), "{answer}");

    drop(holder);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut later = send(
        &address,
        b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    let answer = answer_until_closed(&mut later).await;
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "a place is free again: {answer}"
    );
}
