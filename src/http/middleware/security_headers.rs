//! Headers every response carries, added outside everything that shapes the answer,
//! so that errors, 404s, cached public answers and the Swagger UI get them too. A header a handler already set wins (the
//! embed and page CSPs), except `Cache-Control` on personal answers, which is always
//! `no-store`.

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};

use super::layer::Wrap;

/// The middleware; `hsts` when the service is reached over https.
pub struct SecurityHeaders {
    pub hsts: bool,
}

impl Wrap for SecurityHeaders {
    type State = ();

    fn before(&self, _: &mut ServiceRequest) {}

    fn after<B>(&self, _: (), res: &mut ServiceResponse<B>) {
        let request = res.request().clone();
        add(res.headers_mut(), request.path(), self.hsts);
    }
}

/// For JSON, problems, feeds and anything else that runs nothing and is never framed.
pub const STRICT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// What the vendored Swagger UI needs (checked in headless Chromium): its own scripts,
/// its stylesheet plus the `<style>` elements it injects, data: icons, and calls to this
/// service's API.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Answers that concern one person (or an operator): never kept by any cache.
pub fn is_personal(path: &str) -> bool {
    const PREFIXES: [&str; 6] = [
        "/api/v1/admin/",
        "/api/v1/me",
        "/api/v1/auth/",
        "/api/v1/accounts",
        "/api/v1/registrations/",
        "/registrations/",
    ];
    // A registration answer holds the manage token.
    let is_registration = path.starts_with("/api/v1/events/") && path.ends_with("/registrations");
    is_registration || path == "/metrics" || PREFIXES.iter().any(|p| path.starts_with(p))
}

/// The embed keeps the policy its handlers chose: it has to be framed by borough sites.
fn is_embed(path: &str) -> bool {
    path.starts_with("/embed/")
}

fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

fn insert_if_absent(headers: &mut HeaderMap, name: header::HeaderName, value: &'static str) {
    if !headers.contains_key(&name) {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// Adds the security headers for a response to a request for `path`.
fn add(headers: &mut HeaderMap, path: &str, hsts: bool) {
    insert_if_absent(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert_if_absent(headers, header::REFERRER_POLICY, "no-referrer");
    if !is_embed(path) {
        let csp = if is_docs(path) { DOCS_CSP } else { STRICT_CSP };
        insert_if_absent(headers, header::CONTENT_SECURITY_POLICY, csp);
    }
    if is_personal(path) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_paths_are_told_from_public_ones() {
        for path in [
            "/api/v1/me",
            "/api/v1/me/membership-application",
            "/api/v1/admin/events",
            "/api/v1/auth/token",
            "/api/v1/registrations/abc",
            "/api/v1/events/a-workshop/registrations",
            "/registrations/abc/manage",
            "/metrics",
        ] {
            assert!(is_personal(path), "{path}");
        }
        for path in [
            "/api/v1/events",
            "/api/v1/events/a-workshop",
            "/embed/events",
        ] {
            assert!(!is_personal(path), "{path}");
        }
    }

    #[test]
    fn a_handlers_csp_is_kept() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'"),
        );
        add(&mut headers, "/events/x/register", false);
        assert_eq!(
            headers.get(header::CONTENT_SECURITY_POLICY).unwrap(),
            "default-src 'self'"
        );
    }
}
