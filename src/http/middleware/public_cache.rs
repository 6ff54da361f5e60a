//! What every public GET gets: a strong `ETag` from its content, `304 Not Modified` for
//! a matching `If-None-Match`, a shared-cache `Cache-Control`, and a place in the
//! response cache, from which the next request for it is answered without routing to
//! the handler (one request refills a key while the others wait for it). Only committed
//! writes of public data make cached answers stale (`db::public_changes`); other routes
//! pass through untouched.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::{Method, StatusCode, header};
use actix_web::{Error, HttpResponse};
use futures_util::future::LocalBoxFuture;
use sha2::{Digest, Sha256};

use crate::http::public_routes::PublicRoutes;
use crate::http::response_cache::{Lookup, Refill, ResponseCache, Stored};

/// How many times a request waits for another's refill of its key before it reads the
/// database itself (each wait ends when that refill does, or after `REFILL_WAIT`); a
/// refill without an answer to share (not a 200) sends its waiters round again.
const REFILL_WAITS: usize = 3;
const REFILL_WAIT: Duration = Duration::from_secs(3);

/// The middleware; `ttl` zero turns the response cache off (ETags and 304s stay).
#[derive(Clone)]
pub struct PublicCache {
    pub routes: Arc<PublicRoutes>,
    pub max_age: u64,
    pub ttl: Duration,
    pub cache: ResponseCache,
}

impl<S, B> Transform<S, ServiceRequest> for PublicCache
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = PublicCacheService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PublicCacheService {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

pub struct PublicCacheService<S> {
    service: Rc<S>,
    config: PublicCache,
}

impl<S, B> Service<ServiceRequest> for PublicCacheService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let public_get = req.method() == Method::GET && self.config.routes.contains(req.path());
        if !public_get {
            let response = self.service.call(req);
            return Box::pin(async move { Ok(response.await?.map_into_boxed_body()) });
        }
        let ttl = self.config.ttl;
        let max_age = self.config.max_age;
        let service = Rc::clone(&self.service);
        if ttl.is_zero() {
            return Box::pin(async move { finish(service.call(req).await?, max_age, None).await });
        }
        let key = cache_key(&req);
        let cache = self.config.cache.clone();
        Box::pin(async move {
            for _ in 0..REFILL_WAITS {
                match cache.lookup(&key, ttl) {
                    Lookup::Hit(stored) => {
                        let answer = answer(req.headers(), &stored);
                        return Ok(req.into_response(answer).map_into_boxed_body());
                    }
                    Lookup::Refill(refill) => {
                        return finish(service.call(req).await?, max_age, Some(refill)).await;
                    }
                    Lookup::Wait(mut refilled) => {
                        let woken = tokio::time::timeout(REFILL_WAIT, refilled.changed()).await;
                        let handed = match woken {
                            Ok(Ok(())) => refilled.borrow_and_update().clone(),
                            _ => None,
                        };
                        if let Some(stored) = handed {
                            let answer = answer(req.headers(), &stored);
                            return Ok(req.into_response(answer).map_into_boxed_body());
                        }
                    }
                }
            }
            finish(service.call(req).await?, max_age, None).await
        })
    }
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
fn cache_key(req: &ServiceRequest) -> String {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("{}?{}|{accept}", req.path(), req.query_string())
}

fn if_none_match(headers: &header::HeaderMap) -> Option<&str> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
}

/// The answer from a stored response: 304 when the client's copy is current.
fn answer(request_headers: &header::HeaderMap, stored: &Stored) -> HttpResponse {
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
/// `Cache-Control`, and 304 when the client's copy is current. With `refill`, the 200 is
/// kept in the response cache (anything else is not, and the refill ends).
async fn finish<B>(
    res: ServiceResponse<B>,
    max_age: u64,
    refill: Option<Refill>,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
{
    let mut res = res.map_into_boxed_body();
    // Set here, not by actix-cors, which would add it to private responses too.
    res.headers_mut().insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        header::HeaderValue::from_static("ETag, Link"),
    );
    if res.status() != StatusCode::OK {
        if let Some(refill) = refill {
            refill.done(None);
        }
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
    let stored = Arc::new(Stored {
        headers: head
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        body: bytes,
        etag,
    });
    let response = answer(req.headers(), &stored);
    if let Some(refill) = refill {
        refill.done(Some(stored));
    }
    Ok(ServiceResponse::new(req, response))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_lists_and_star() {
        assert!(matches("\"abc\"", "\"abc\""));
        assert!(matches("W/\"abc\"", "\"abc\""));
        assert!(matches("\"x\", \"abc\"", "\"abc\""));
        assert!(matches("*", "\"abc\""));
        assert!(!matches("\"abd\"", "\"abc\""));
    }
}
