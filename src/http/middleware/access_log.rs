//! The access log: request id, method, route pattern, status and time, never the
//! concrete path (its ids and slugs are personal or unbounded).

use actix_web::dev::ServiceRequest;
use actix_web::middleware::Logger;

/// What the log shows for a request that matched no route.
pub const UNMATCHED_ROUTE: &str = "<unmatched>";

/// The route pattern a request matches (`/api/v1/registrations/{id}`).
pub fn route_pattern(req: &ServiceRequest) -> String {
    req.match_pattern()
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_string())
}

pub fn access_log() -> Logger {
    Logger::new("%{x-request-id}o %{METHOD}xi %{ROUTE}xi %s %Dms")
        .custom_request_replace("METHOD", |req| req.method().to_string())
        .custom_request_replace("ROUTE", route_pattern)
}
