//! Cross-cutting HTTP behaviour: a request id on every response, access logs without
//! personal data, and problem+json for every error actix produces itself.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, Logger};
use actix_web::{HttpMessage, HttpResponse};

use crate::error::{PROBLEM_JSON, Problem, problem_response, problem_type};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Clone)]
pub struct RequestId(pub String);

/// The client's `X-Request-Id` when it is well-formed (so one id follows a request
/// through proxies), a new one otherwise; kept for the log and for 5xx problems.
pub fn new_request_id(req: &ServiceRequest) -> String {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_well_formed_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    id
}

/// 1–64 characters of `[A-Za-z0-9._-]`: nothing that could forge a log line.
pub fn is_well_formed_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// What the log shows for a request that matched no route.
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// The route pattern a request matches (`/api/v1/registrations/{id}`), never the
/// concrete path, whose ids and slugs are personal or unbounded.
pub fn route_pattern(req: &ServiceRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_string())
}

/// Crates whose debug lines can carry request data (actix's logger prints each error
/// response's `Debug`, the HTTP layer the bytes it could not parse): held at info even
/// under `RUST_LOG=debug`, unless RUST_LOG names them.
const QUIET_AT_DEBUG: [&str; 6] = [
    "actix_web",
    "actix_http",
    "actix_server",
    "mio",
    "rustls",
    "lettre",
];

/// The level a RUST_LOG spec sets for modules it does not name (info when none).
fn default_level(spec: &str) -> log::LevelFilter {
    let directives = spec.split('/').next().unwrap_or("");
    directives
        .split(',')
        .map(str::trim)
        .filter(|d| !d.contains('='))
        .filter_map(|d| d.parse::<log::LevelFilter>().ok())
        .next_back()
        .unwrap_or(log::LevelFilter::Info)
}

/// env_logger at `info`, or as RUST_LOG says, with the quiet crates no more verbose
/// than info.
pub fn init_logging() {
    let spec = std::env::var("RUST_LOG").unwrap_or_default();
    let quiet = default_level(&spec).min(log::LevelFilter::Info);
    let mut builder = env_logger::Builder::new();
    builder.filter_level(log::LevelFilter::Info);
    for module in QUIET_AT_DEBUG {
        builder.filter_module(module, quiet);
    }
    // RUST_LOG comes last: it replaces the default level, and a quiet crate's level
    // where it names one.
    builder.parse_env(env_logger::Env::default());
    let _ = builder.try_init();
}

/// Request id, method, route pattern, status, time.
pub fn access_log() -> Logger {
    Logger::new("%{x-request-id}o %{METHOD}xi %{ROUTE}xi %s %Dms")
        .custom_request_replace("METHOD", |req| req.method().to_string())
        .custom_request_replace("ROUTE", route_pattern)
}

fn is_problem(res: &ServiceResponse<impl MessageBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// Makes every 4xx/5xx problem+json. 5xx bodies are replaced by an opaque problem with
/// the request id; the cause goes to the log only.
pub fn problem_for_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let request_id = res
        .request()
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone());
    if status.is_server_error() {
        let cause = res.response().error().map(|e| e.to_string());
        log::error!(
            "request {} failed with {}: {}",
            request_id.as_deref().unwrap_or("-"),
            status.as_u16(),
            cause.as_deref().unwrap_or("no error attached")
        );
    }
    if is_problem(&res) && status != StatusCode::INTERNAL_SERVER_ERROR {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let problem = generic_problem(status, request_id);
    let (req, old) = res.into_parts();
    let mut replacement: HttpResponse<BoxBody> = problem_response(status, &problem);
    // Keep headers that carry meaning (Allow, Retry-After, WWW-Authenticate).
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = old.headers().get(&name) {
            replacement.headers_mut().insert(name, value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, replacement).map_into_right_body(),
    ))
}

fn generic_problem(status: StatusCode, request_id: Option<String>) -> Problem {
    let (kind, title, detail) = match status.as_u16() {
        400 => (
            "bad-request",
            "The request is malformed",
            "The request could not be understood.",
        ),
        404 => (
            "not-found",
            "The resource was not found",
            "Nothing was found at this address.",
        ),
        405 => (
            "method-not-allowed",
            "The method is not allowed here",
            "This method is not allowed on this path.",
        ),
        413 => (
            "payload-too-large",
            "The request body is too large",
            "The request body is too large.",
        ),
        415 => (
            "unsupported-media-type",
            "The request body has the wrong content type",
            "Send the body as application/json.",
        ),
        500 => (
            "internal",
            "An unexpected error occurred",
            "An unexpected error occurred; it has been logged.",
        ),
        503 => (
            "unavailable",
            "The service is temporarily unavailable",
            "Please retry shortly.",
        ),
        _ => (
            "error",
            status.canonical_reason().unwrap_or("Error"),
            "The request failed.",
        ),
    };
    Problem {
        problem_type: problem_type(kind),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: None,
        request_id: if status.is_server_error() {
            request_id
        } else {
            None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_clients_are_short_and_plain() {
        assert!(is_well_formed_request_id("trace-7.a_B"));
        assert!(is_well_formed_request_id(&"a".repeat(64)));
        assert!(!is_well_formed_request_id(""));
        assert!(!is_well_formed_request_id(&"a".repeat(65)));
        assert!(!is_well_formed_request_id("two words"));
        assert!(!is_well_formed_request_id("line\nbreak"));
    }

    #[test]
    fn the_default_level_is_the_last_bare_level_of_rust_log() {
        use log::LevelFilter::*;
        assert_eq!(default_level(""), Info);
        assert_eq!(default_level("debug"), Debug);
        assert_eq!(default_level("warn,llcp_hub=debug"), Warn);
        assert_eq!(default_level("llcp_hub=trace"), Info);
        assert_eq!(default_level("llcp_hub"), Info);
        assert_eq!(default_level("info,TRACE/foo"), Trace);
    }
}
