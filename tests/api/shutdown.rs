//! SIGTERM with a request in flight, on the real binary: the request completes, new
//! connections are refused, and the process exits 0 within the shutdown timeout, its
//! background tasks (reminders, a mail sender that cannot connect) notwithstanding.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{TEST_JWT_SECRET, TestDb, free_port};

/// Starts `llcp-hub serve` on the database and port, logging to `log` (a file, so that
/// a full pipe can never stall the server), from an empty folder (no `.env`).
pub fn start_hub(
    database_url: &str,
    port: u16,
    extra_env: &[(&str, &str)],
    log: std::fs::File,
    dir: &std::path::Path,
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_llcp-hub"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env(
            "JWT_SECRET",
            String::from_utf8_lossy(TEST_JWT_SECRET).as_ref(),
        )
        .env("PUBLIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .envs(extra_env.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary starts")
}

/// Waits (up to 60 s: migrations on a busy machine) until the hub answers /healthz.
pub fn wait_until_ready(port: u16, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the hub exited early with {status}");
        }
        if let Ok(mut socket) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = socket.set_read_timeout(Some(Duration::from_secs(5)));
            let _ = socket
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: hub.test\r\nConnection: close\r\n\r\n");
            let mut answer = String::new();
            let _ = socket.read_to_string(&mut answer);
            if answer.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the hub did not become ready within 60 s");
}

pub fn send_sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM");
}

/// Waits up to `limit` for the process to exit.
pub fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn sigterm_lets_a_request_in_flight_finish_refuses_new_ones_and_exits_0() {
    let (db, url) = TestDb::create();
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("hub.log");
    let port = free_port();
    let mut hub = start_hub(
        &db.url_for_cli(&url),
        port,
        &[
            ("SHUTDOWN_TIMEOUT_SECS", "10"),
            // The sender polls and fails against a closed port; it must not hold the exit.
            ("SMTP_URL", "smtp://127.0.0.1:9"),
            ("RUST_LOG", "info"),
        ],
        std::fs::File::create(&log_path).unwrap(),
        dir.path(),
    );
    wait_until_ready(port, &mut hub);

    // A sign-up whose head is sent, and whose body is only half there.
    let body = serde_json::json!({
        "email": "in-flight@example.org",
        "password": "a long enough password",
        "full_name": "In Flight",
        "organisation": "London Borough of Camden",
    })
    .to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(
        in_flight,
        "POST /api/v1/accounts HTTP/1.1\r\nHost: hub.test\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    in_flight.write_all(first).unwrap();
    in_flight.flush().unwrap();
    // Give the worker the head, so that the request is being handled, not just queued.
    std::thread::sleep(Duration::from_millis(300));

    let signalled = Instant::now();
    send_sigterm(&hub);

    // New connections are refused once the listener is closed (within 5 s).
    let refused = loop {
        match TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500))
        {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break true,
            _ if signalled.elapsed() > Duration::from_secs(5) => break false,
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert!(
        refused,
        "new connections were still accepted 5 s after SIGTERM"
    );
    assert!(
        hub.try_wait().unwrap().is_none(),
        "the hub exited with a request in flight"
    );

    // The rest of the body: the request completes with its real answer.
    in_flight.write_all(rest).unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("in-flight@example.org"), "{answer}");

    // Then the process exits 0 within the shutdown timeout (10 s from the signal; 2 s
    // more for a busy machine to reap it).
    let limit = Duration::from_secs(12).saturating_sub(signalled.elapsed());
    let status = wait_for_exit(&mut hub, limit);
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        Some(status) => assert!(status.success(), "exit status {status}; log:\n{log}"),
        None => {
            let _ = hub.kill();
            panic!("the hub was still running 12 s after SIGTERM; log:\n{log}");
        }
    }
}
