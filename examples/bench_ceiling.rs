//! The benchmarks' ceiling (bench/run.sh): an actix-web server that does nothing but
//! answer with bytes held in memory. At start-up it fetches one response from the
//! running hub (by default `GET /api/v1/events?limit=20`), then answers every request,
//! whatever its path, with that status, those headers (less the ones actix writes
//! itself: `date`, `content-length`, `connection`, `transfer-encoding`) and that body.
//! It runs as many workers as the hub does (actix's default: one per core).
//!
//! Usage: bench_ceiling HUB_URL BIND [PATH]
//!   e.g. bench_ceiling http://127.0.0.1:18080 127.0.0.1:18081 '/api/v1/events?limit=20'

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpResponse, HttpServer};

/// One response, as the hub sent it.
struct Captured {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
}

/// Headers that actix writes itself for every response.
const OWN_HEADERS: [&str; 5] = [
    "date",
    "content-length",
    "connection",
    "transfer-encoding",
    "keep-alive",
];

fn fail(message: impl Into<String>) -> std::io::Error {
    std::io::Error::other(message.into())
}

/// Decodes a chunked body (in case the hub ever streams).
fn dechunk(mut raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| fail("truncated chunk size"))?;
        let size_text = std::str::from_utf8(&raw[..line_end]).map_err(|e| fail(e.to_string()))?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| fail(format!("bad chunk size {size_text:?}: {e}")))?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if raw.len() < size + 2 {
            return Err(fail("truncated chunk"));
        }
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// Sends the request wrk sends (`GET PATH HTTP/1.1` with a `Host`), reads the whole
/// response and keeps it.
fn fetch(hub: &str, path: &str) -> std::io::Result<Captured> {
    let authority = hub
        .strip_prefix("http://")
        .ok_or_else(|| fail("HUB_URL must start with http://"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| fail("no end of headers in the hub's response"))?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|e| fail(e.to_string()))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| fail(format!("bad status line {status_line:?}")))?;
    let mut headers = Vec::new();
    let mut chunked = false;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| fail(format!("bad header line {line:?}")))?;
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
            chunked = true;
        }
        if OWN_HEADERS.contains(&name.as_str()) {
            continue;
        }
        headers.push((
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| fail(e.to_string()))?,
            HeaderValue::from_str(value).map_err(|e| fail(e.to_string()))?,
        ));
    }
    let rest = &raw[split + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Captured {
        status,
        headers,
        body: Bytes::from(body),
    })
}

async fn replay(captured: web::Data<Captured>) -> HttpResponse {
    let mut response = HttpResponse::build(captured.status);
    for (name, value) in &captured.headers {
        response.append_header((name.clone(), value.clone()));
    }
    response.body(captured.body.clone())
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_ceiling HUB_URL BIND [PATH]");
        std::process::exit(2);
    }
    let path = args
        .get(3)
        .map(String::as_str)
        .unwrap_or("/api/v1/events?limit=20");
    let captured = fetch(&args[1], path)?;
    if captured.status != StatusCode::OK {
        return Err(fail(format!(
            "the hub answered {} to {path}",
            captured.status
        )));
    }
    eprintln!(
        "bench_ceiling: serving {} bytes and {} headers of {path} on {}",
        captured.body.len(),
        captured.headers.len(),
        args[2]
    );
    let captured = web::Data::new(captured);
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(captured.clone())
                .default_service(web::to(replay))
        })
        .bind(&args[2])?
        .run()
        .await
    })
}
