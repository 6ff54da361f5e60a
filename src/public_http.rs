//! What every public GET gets: a strong `ETag` from its content, `304 Not Modified` for
//! a matching `If-None-Match`, a shared-cache `Cache-Control`, and (through actix-cors)
//! CORS open to any origin, without credentials. Account, admin and registration paths get none of it:
//! they are private and grant nothing cross-origin.

use actix_web::body::{BoxBody, MessageBody};
use std::rc::Rc;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::{Error, HttpResponse};
use sha2::{Digest, Sha256};

use crate::public_cache::{self, Stored};

/// Paths whose GETs are public, cacheable and open to other origins.
pub fn is_public(path: &str) -> bool {
    const PUBLIC: [&str; 5] = [
        "/api/v1/events",
        "/api/v1/bulletins",
        "/api/v1/boroughs",
        "/api/v1/community/stats",
        "/embed/",
    ];
    let is_registration = path.starts_with("/api/v1/events/") && path.ends_with("/registrations");
    !is_registration && PUBLIC.iter().any(|p| path.starts_with(p))
}

/// CORS for public GETs: any origin, answered with the wildcard and never with
/// credentials. Requests to other paths pass through untouched, so they carry no
/// `Access-Control-Allow-Origin`, and a preflight to them is refused.
pub fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_origin_fn(|_, head| is_public(head.uri.path()))
        .block_on_origin_mismatch(false)
        .allowed_methods([Method::GET, Method::HEAD])
        .allowed_headers([header::IF_NONE_MATCH, header::ACCEPT])
        .disable_vary_header()
        .max_age(86_400)
}

/// True when `If-None-Match` names this entity tag (or is `*`); weak comparison, as
/// RFC 9110 asks for `If-None-Match`.
fn matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match.trim() == "*"
        || if_none_match
            .split(',')
            .any(|candidate| bare(candidate) == bare(etag))
}

/// The cache key of a public GET: path, query and `Accept` (which picks JSON-LD).
pub fn cache_key(req: &ServiceRequest) -> Option<String> {
    if req.method() != Method::GET || !is_public(req.path()) {
        return None;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    Some(format!("{}?{}|{accept}", req.path(), req.query_string()))
}

fn if_none_match(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
}

/// The answer from a stored response: 304 when the client's copy is current.
pub fn answer(request_headers: &header::HeaderMap, stored: &Stored) -> HttpResponse {
    let not_modified = if_none_match(request_headers).is_some_and(|inm| matches(inm, &stored.etag));
    let mut response = if not_modified {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok().body(stored.body.clone())
    };
    for (name, value) in &stored.headers {
        let keep = !not_modified
            || [
                header::ETAG,
                header::CACHE_CONTROL,
                header::VARY,
                header::LAST_MODIFIED,
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
            ]
            .contains(name);
        if keep {
            response.headers_mut().append(name.clone(), value.clone());
        }
    }
    response
}

/// Adds caching headers to a public GET: a strong `ETag` computed from the bytes sent
/// (so it changes exactly when the content does, on every instance alike), a shared
/// `Cache-Control`, and 304 when the client's copy is current. With `store`, the 200 is
/// kept in the response cache under that key and generation.
pub async fn finish<B>(
    res: ServiceResponse<B>,
    max_age: u64,
    store: Option<(String, u64)>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
{
    let public_get = matches!(*res.request().method(), Method::GET | Method::HEAD)
        && is_public(res.request().path());
    if !public_get {
        return Ok(res.map_into_boxed_body());
    }
    let mut res = res.map_into_boxed_body();
    // Set here, not by actix-cors, which would add it to private responses too.
    res.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        header::HeaderValue::from_static("ETag, Link"),
    );
    if res.status() != StatusCode::OK {
        return Ok(res);
    }
    let (req, response) = res.into_parts();
    let (mut head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.map_err(|_| {
        actix_web::error::ErrorInternalServerError("response body could not be read")
    })?;
    let digest = Sha256::digest(&bytes);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let headers = head.headers_mut();
    headers.insert(
        header::ETAG,
        header::HeaderValue::from_str(&etag).unwrap_or(header::HeaderValue::from_static("\"\"")),
    );
    if !headers.contains_key(header::CACHE_CONTROL)
        && let Ok(value) = header::HeaderValue::from_str(&format!("public, max-age={max_age}"))
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.append(header::VARY, header::HeaderValue::from_static("Accept"));
    let stored = Rc::new(Stored {
        headers: head
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        body: bytes,
        etag,
    });
    let response = answer(req.headers(), &stored);
    if let Some((key, generation)) = store {
        public_cache::put(key, generation, stored);
    }
    Ok(ServiceResponse::new(req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_exclude_registrations_and_private_areas() {
        assert!(is_public("/api/v1/events"));
        assert!(is_public("/api/v1/events/some-slug/ics"));
        assert!(is_public("/api/v1/boroughs"));
        assert!(!is_public("/api/v1/events/some-slug/registrations"));
        assert!(!is_public("/api/v1/admin/events"));
        assert!(!is_public("/api/v1/me"));
        assert!(!is_public("/api/v1/registrations/abc"));
    }

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("W/\"abc\"", "\"abc\""));
        assert!(matches("\"x\", \"abc\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abd\"", "\"abc\""));
    }
}
