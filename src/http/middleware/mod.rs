//! Middleware, one job each. `app::serve` stacks them, outermost first: access log,
//! metrics, security headers, request id, HEAD as GET, problem+json for actix's own
//! errors, the connection cap, CORS, public cache.

pub mod access_log;
pub mod connection_cap;
pub mod head_as_get;
pub mod layer;
pub mod metrics;
pub mod public_cache;
pub mod request_id;
pub mod security_headers;
