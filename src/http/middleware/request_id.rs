//! A request id on every request and response: the client's `X-Request-Id` when it is
//! well-formed (so one id follows a request through proxies), a new one otherwise. The
//! log and 5xx problems quote it.

use actix_web::HttpMessage;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};

use super::layer::Wrap;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[derive(Clone)]
pub struct RequestId(pub String);

/// The middleware.
pub struct RequestIds;

impl Wrap for RequestIds {
    type State = Option<HeaderValue>;

    fn before(&self, req: &mut ServiceRequest) -> Self::State {
        let id = id_for(req);
        let header = HeaderValue::from_str(&id).ok();
        req.extensions_mut().insert(RequestId(id));
        header
    }

    fn after<B>(&self, header: Self::State, res: &mut ServiceResponse<B>) {
        if let Some(value) = header {
            res.headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
    }
}

fn id_for(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_well_formed_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// 1–64 characters of `[A-Za-z0-9._-]`: nothing that could forge a log line.
pub fn is_well_formed_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
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
}
