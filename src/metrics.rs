//! Prometheus metrics: request counts and latencies per route pattern, recorded by a
//! middleware, and the pool, outbox and membership backlog, read at scrape time.

use std::net::IpAddr;
use std::time::Instant;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use diesel::prelude::*;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::auth::Admin;
use crate::db::schema::notifications as n;
use crate::db::{self, DbConnection};
use crate::error::{ApiError, Problem};
use crate::middleware::route_pattern;
use crate::state::AppState;

/// One registry per application (tests run several in one process).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    outbox: IntGaugeVec,
    applications: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("llcp".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time to answer an HTTP request (to the response head)",
            ),
            &["route", "method"],
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections"),
            &["state"],
        )?;
        let outbox = IntGaugeVec::new(
            Opts::new("outbox_notifications", "Notifications in the outbox"),
            &["status"],
        )?;
        let applications = IntGaugeVec::new(
            Opts::new(
                "membership_applications",
                "Membership applications awaiting a decision",
            ),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        registry.register(Box::new(applications.clone()))?;
        Ok(Self {
            registry,
            requests,
            latency,
            pool,
            outbox,
            applications,
        })
    }

    fn observe(&self, route: &str, method: &str, status: u16, started: Instant) {
        let class = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .with_label_values(&[route, method, class])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Known methods by name, anything else as one label, so that clients cannot grow the
/// number of series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// What the recording middleware keeps from the request until the response is known.
pub struct Timing {
    route: String,
    method: &'static str,
    started: Instant,
}

impl Timing {
    pub fn start(req: &ServiceRequest) -> Self {
        Self {
            route: route_pattern(req),
            method: method_label(req.method()),
            started: Instant::now(),
        }
    }

    pub fn finish<B>(self, metrics: &Metrics, res: &ServiceResponse<B>) {
        metrics.observe(
            &self.route,
            self.method,
            res.status().as_u16(),
            self.started,
        );
    }
}

struct Backlog {
    outbox_queued: i64,
    outbox_failed: i64,
    pending: i64,
    overdue: i64,
}

fn count_backlog(conn: &mut DbConnection) -> Result<Backlog, ApiError> {
    let now = crate::domain::time::now();
    let unsent = n::table.filter(n::sent_at.is_null());
    let outbox_queued: i64 = unsent
        .filter(n::failed_at.is_null())
        .count()
        .get_result(conn)?;
    let outbox_failed: i64 = unsent
        .filter(n::failed_at.is_not_null())
        .count()
        .get_result(conn)?;
    let (pending, overdue) = crate::repo::membership::waiting(conn, now)?;
    Ok(Backlog {
        outbox_queued,
        outbox_failed,
        pending,
        overdue,
    })
}

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
/// the outbox backlog, and pending and overdue membership applications. Answered to
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
) -> Result<HttpResponse, ApiError> {
    let peer = req.peer_addr().map(|a| a.ip());
    if !is_local_scraper(peer, &state.trusted_proxies)
        && !presents_metrics_token(&req, state.metrics_token.as_deref())
    {
        Admin::extract(&req).await?;
    }
    let backlog = db::run(&state.pool, count_backlog).await?;
    let pool = state.pool.state();
    let in_use = pool.connections.saturating_sub(pool.idle_connections);
    metrics
        .pool
        .with_label_values(&["in_use"])
        .set(i64::from(in_use));
    metrics
        .pool
        .with_label_values(&["idle"])
        .set(i64::from(pool.idle_connections));
    metrics
        .outbox
        .with_label_values(&["queued"])
        .set(backlog.outbox_queued);
    metrics
        .outbox
        .with_label_values(&["failed"])
        .set(backlog.outbox_failed);
    metrics
        .applications
        .with_label_values(&["pending"])
        .set(backlog.pending);
    metrics
        .applications
        .with_label_values(&["overdue"])
        .set(backlog.overdue);
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    encoder
        .encode(&metrics.registry.gather(), &mut body)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("encoding metrics: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
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
