//! The Prometheus scrape: who may read it, and the gauges read at scrape time.

use std::net::IpAddr;

use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};

use crate::auth::Admin;
use crate::domain::time::now;
use crate::error::ApiError;
use crate::http::middleware::metrics::{Gauges, Metrics};
use crate::http::problem::Problem;
use crate::http::response_cache::ResponseCache;
use crate::repo::{membership, notifications};
use crate::state::AppState;

/// Loopback peers are the host's own scrapers, unless the peer is a trusted proxy: then
/// the request came from outside through it. `X-Forwarded-For` is never read here.
pub fn is_local_scraper(peer: Option<IpAddr>, trusted_proxies: &[IpAddr]) -> bool {
    peer.is_some_and(|ip| ip.is_loopback() && !trusted_proxies.contains(&ip))
}

/// True when the request's bearer token is the configured `METRICS_TOKEN`.
fn presents_metrics_token(req: &HttpRequest, expected: Option<&str>) -> bool {
    use subtle::ConstantTimeEq;
    let (Some(expected), Ok(token)) = (expected, crate::auth::bearer_token(req)) else {
        return false;
    };
    bool::from(token.as_bytes().ct_eq(expected.as_bytes()))
}

/// Get the service's metrics
///
/// Prometheus text exposition (format 0.0.4): requests per route pattern, method and
/// status class (`llcp_http_requests_total`), latency histograms per route
/// (`llcp_http_request_duration_seconds`), database pool connections in use and idle,
/// the outbox backlog, pending and overdue membership applications, committed changes
/// of public data (`llcp_public_changes_total`) and public answers read from the
/// database for the response cache (`llcp_public_cache_refills_total`). Answered to
/// loopback peers without credentials; from anywhere else (including through a trusted
/// proxy) it needs the operator's `METRICS_TOKEN` or an admin's access token as the
/// bearer token, with the usual 401 and 403.
#[utoipa::path(
    operation_id = "get_metrics",
    tag = "health",
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"),
        (status = 401, description = "Not a loopback peer, and neither the metrics token nor a valid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a loopback peer, and the account is not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn get_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    cache: web::Data<ResponseCache>,
) -> Result<HttpResponse, ApiError> {
    let peer = req.peer_addr().map(|a| a.ip());
    if !is_local_scraper(peer, &state.trusted_proxies)
        && !presents_metrics_token(&req, state.metrics_token.as_deref())
    {
        Admin::extract(&req).await?;
    }
    let backlog = state
        .run(|conn| {
            let (outbox_queued, outbox_failed) = notifications::backlog(conn)?;
            let (pending, overdue) = membership::waiting(conn, now())?;
            Ok((outbox_queued, outbox_failed, pending, overdue))
        })
        .await?;
    let (outbox_queued, outbox_failed, applications_pending, applications_overdue) = backlog;
    let pool = state.pool.state();
    let gauges = Gauges {
        pool_in_use: i64::from(pool.connections.saturating_sub(pool.idle_connections)),
        pool_idle: i64::from(pool.idle_connections),
        outbox_queued,
        outbox_failed,
        applications_pending,
        applications_overdue,
        public_changes: state.pool.public_changes().generation(),
        public_cache_refills: cache.refills(),
    };
    let (body, content_type) = metrics
        .encode(&gauges)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_peers_that_are_not_proxies_scrape_freely() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        let remote: IpAddr = "203.0.113.9".parse().unwrap();
        assert!(is_local_scraper(Some(loopback), &[]));
        assert!(is_local_scraper(Some(v6), &[]));
        assert!(!is_local_scraper(Some(remote), &[]));
        assert!(!is_local_scraper(None, &[]));
        assert!(!is_local_scraper(Some(loopback), &[loopback]));
    }
}
