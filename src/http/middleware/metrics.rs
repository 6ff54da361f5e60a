//! Prometheus metrics: request counts and latencies per route pattern, recorded by the
//! middleware here, and gauges (pool, outbox, membership backlog) that the scrape
//! handler sets before it encodes the registry.

use std::time::Instant;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::web;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use super::layer::Wrap;
use crate::http::middleware::access_log::UNMATCHED_ROUTE;

/// One registry per application (tests run several in one process).
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    outbox: IntGaugeVec,
    applications: IntGaugeVec,
    public_changes: IntCounter,
    public_cache_refills: IntCounter,
    /// Two scrapes at once must not both add the same catch-up.
    catching_up: parking_lot::Mutex<()>,
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
        let public_changes = IntCounter::new(
            "public_changes_total",
            "Committed changes of what public reads show that this instance counted: its own, and on PostgreSQL those other instances announced",
        )?;
        let public_cache_refills = IntCounter::new(
            "public_cache_refills_total",
            "Public answers read from the database to be kept in the response cache",
        )?;
        registry.register(Box::new(applications.clone()))?;
        registry.register(Box::new(public_changes.clone()))?;
        registry.register(Box::new(public_cache_refills.clone()))?;
        Ok(Self {
            catching_up: parking_lot::Mutex::new(()),
            public_changes,
            public_cache_refills,
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

/// The middleware: counts and times every response, errors and cached answers too.
pub struct RecordMetrics(pub web::Data<Metrics>);

impl Wrap for RecordMetrics {
    type State = (&'static str, Instant);

    fn before(&self, req: &mut ServiceRequest) -> Self::State {
        // The method as sent: HEAD is routed as GET further in.
        (method_label(req.method()), Instant::now())
    }

    fn after<B>(&self, (method, started): Self::State, res: &mut ServiceResponse<B>) {
        let route = res.request().match_pattern();
        self.0.observe(
            route.as_deref().unwrap_or(UNMATCHED_ROUTE),
            method,
            res.status().as_u16(),
            started,
        );
    }
}

/// The gauges a scrape sets, read from the pool and the database just before.
pub struct Gauges {
    pub pool_in_use: i64,
    pub pool_idle: i64,
    pub outbox_queued: i64,
    pub outbox_failed: i64,
    pub applications_pending: i64,
    pub applications_overdue: i64,
    pub public_changes: u64,
    pub public_cache_refills: u64,
}

impl Metrics {
    /// The text exposition of everything, with the gauges set first; and its content type.
    pub fn encode(&self, gauges: &Gauges) -> Result<(Vec<u8>, String), prometheus::Error> {
        let set = |vec: &IntGaugeVec, label: &str, value: i64| {
            vec.with_label_values(&[label]).set(value);
        };
        set(&self.pool, "in_use", gauges.pool_in_use);
        set(&self.pool, "idle", gauges.pool_idle);
        set(&self.outbox, "queued", gauges.outbox_queued);
        set(&self.outbox, "failed", gauges.outbox_failed);
        set(&self.applications, "pending", gauges.applications_pending);
        set(&self.applications, "overdue", gauges.applications_overdue);
        // Counted elsewhere (atomics on the hot path); brought up to date here.
        let _one_at_a_time = self.catching_up.lock();
        let catch_up = |counter: &IntCounter, value: u64| {
            counter.inc_by(value.saturating_sub(counter.get()));
        };
        catch_up(&self.public_changes, gauges.public_changes);
        catch_up(&self.public_cache_refills, gauges.public_cache_refills);
        let encoder = TextEncoder::new();
        let mut body = Vec::new();
        encoder.encode(&self.registry.gather(), &mut body)?;
        Ok((body, encoder.format_type().to_string()))
    }
}
