//! Builds the server: the same routing for `serve` and for the tests.

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::demo::{self, DemoCredentials};
use crate::error::ApiError;
use crate::metrics::{Metrics, Timing};
use crate::middleware::{REQUEST_ID_HEADER, access_log, new_request_id, problem_for_errors};
use crate::notify::sender::{self, SenderConfig};
use crate::routes::fallback::{KnownRoutes, not_matched};
use crate::state::AppState;
use crate::{public_cache, public_http, security_headers};

pub struct Application {
    server: Server,
    handle: ServerHandle,
    port: u16,
    pool: DbPool,
    demo_admin: Option<DemoCredentials>,
}

impl Application {
    /// Connects, migrates, loads demo data if asked, and binds (port 0 picks a free one).
    pub fn build(settings: Settings) -> Result<Self, String> {
        let pool = db::build_pool(
            &settings.database_url,
            settings.pool_size,
            settings.pool_timeout,
        )?;
        {
            let mut conn = pool
                .get()
                .map_err(|e| format!("cannot connect to the database: {e}"))?;
            db::run_migrations(&mut conn)?;
        }
        let demo_admin = if settings.demo {
            let mut conn = pool
                .get()
                .map_err(|e| format!("cannot connect to the database: {e}"))?;
            Some(demo::load(&mut conn).map_err(|e| format!("loading demo data failed: {e}"))?)
        } else {
            None
        };
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        if let Some(smtp) = &settings.smtp {
            let from = smtp
                .from
                .parse()
                .map_err(|_| format!("SMTP_FROM `{}` is not a valid mailbox", smtp.from))?;
            let config = SenderConfig {
                smtp_url: smtp.url.clone(),
                from,
                poll_interval: smtp.poll_interval,
                retry_base: chrono::Duration::from_std(smtp.retry_base)
                    .unwrap_or(chrono::Duration::seconds(30)),
                max_attempts: smtp.max_attempts,
            };
            sender::start(pool.clone(), config)?;
        }
        start_reminders(
            pool.clone(),
            settings.public_base_url.clone(),
            settings.reminder_interval,
        );
        crate::retention::start(pool.clone(), settings.retention);
        let server = serve(listener, &settings, pool.clone())?;
        Ok(Self {
            handle: server.handle(),
            server,
            port,
            pool,
            demo_admin,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from elsewhere (tests stop theirs when they end).
    pub fn handle(&self) -> ServerHandle {
        self.handle.clone()
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    pub fn demo_admin(&self) -> Option<&DemoCredentials> {
        self.demo_admin.as_ref()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Hourly (by default): one reminder to admins about newly overdue applications.
fn start_reminders(pool: DbPool, base_url: String, interval: std::time::Duration) {
    tokio::spawn(async move {
        loop {
            let base_url = base_url.clone();
            let result = db::run(&pool, move |conn| {
                db::write_transaction(conn, |conn| {
                    crate::repo::membership::remind_overdue(
                        conn,
                        &base_url,
                        crate::domain::time::now(),
                    )
                })
            })
            .await;
            if let Err(e) = result {
                log::warn!("membership reminders: {e}");
            }
            tokio::time::sleep(interval).await;
        }
    });
}

fn serve(listener: TcpListener, settings: &Settings, pool: DbPool) -> Result<Server, String> {
    let spec = crate::openapi::build_spec();
    let known_routes = web::Data::new(KnownRoutes::from_spec(&spec));
    let state = web::Data::new(AppState::new(settings, pool));
    let metrics =
        web::Data::new(Metrics::new().map_err(|e| format!("cannot set up metrics: {e}"))?);
    let max_age = settings.public_max_age;
    let cache_ttl = settings.public_cache_ttl;
    let hsts = settings.http.hsts;
    let mut server = HttpServer::new(move || {
        let recorder = metrics.clone();
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(crate::routes::configure)
            .split_for_parts();
        app.app_data(state.clone())
            .app_data(known_routes.clone())
            .app_data(metrics.clone())
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("The query string is invalid: {err}.")).into()
            }))
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, req| crate::routes::fallback::path_not_parsed(req)),
            )
            .configure(crate::pages::configure)
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec.clone()))
            .default_service(web::to(not_matched))
            // Innermost, so that CORS applies to cached answers too.
            .wrap_fn(move |req, srv| {
                use futures_util::FutureExt;
                let key = public_http::cache_key(&req).filter(|_| !cache_ttl.is_zero());
                if let Some(stored) = key.as_deref().and_then(|k| public_cache::get(k, cache_ttl)) {
                    let answer = public_http::answer(req.headers(), &stored);
                    let res = req.into_response(answer).map_into_boxed_body();
                    return async move { Ok(res) }.boxed_local();
                }
                let generation = public_cache::generation();
                let response = srv.call(req);
                async move {
                    let store = key.map(|k| (k, generation));
                    public_http::finish(response.await?, max_age, store).await
                }
                .boxed_local()
            })
            .wrap(public_http::cors())
            .wrap(ErrorHandlers::new().default_handler(problem_for_errors))
            .wrap_fn(|mut req, srv| {
                let id = new_request_id(&req);
                // Anything but a read may have written: cached answers are stale once it
                // is done (and so committed).
                let writes = !matches!(
                    *req.method(),
                    actix_web::http::Method::GET
                        | actix_web::http::Method::HEAD
                        | actix_web::http::Method::OPTIONS
                );
                // HEAD is GET without a body: the HTTP layer already knows not to send
                // one, so routing it as GET answers every GET route with its headers.
                if req.method() == actix_web::http::Method::HEAD {
                    req.head_mut().method = actix_web::http::Method::GET;
                }
                let response = srv.call(req);
                async move {
                    let response = response.await;
                    if writes {
                        public_cache::invalidate();
                    }
                    let mut response = response?;
                    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
                        response.headers_mut().insert(
                            actix_web::http::header::HeaderName::from_static(REQUEST_ID_HEADER),
                            value,
                        );
                    }
                    Ok(response)
                }
            })
            // Outside everything that shapes the answer, so that every response (errors,
            // cached answers, the docs) gets the headers and is counted as sent.
            .wrap_fn(move |req, srv| {
                let path = req.path().to_string();
                let timing = Timing::start(&req);
                let recorder = recorder.clone();
                let response = srv.call(req);
                async move {
                    let mut response = response.await?;
                    security_headers::add(response.headers_mut(), &path, hsts);
                    timing.finish(&recorder, &response);
                    Ok(response)
                }
            })
            .wrap(access_log())
    })
    .client_request_timeout(settings.http.request_head_timeout)
    .keep_alive(settings.http.keep_alive)
    .client_disconnect_timeout(settings.http.disconnect_timeout)
    .shutdown_timeout(settings.http.shutdown_timeout.as_secs())
    // Blocking work is nearly all database work, which can use no more threads than the
    // pool has connections; actix's default (256 per worker on 2 cores) lets a burst
    // start dozens of threads that only wait for a connection, each holding memory.
    .worker_max_blocking_threads(blocking_threads(settings.pool_size))
    .listen(listener)
    .map_err(|e| format!("cannot serve: {e}"))?;
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// Per worker: the pool's connections, and a few more so that password hashing (also
/// on the blocking pool) never waits behind database work.
fn blocking_threads(pool_size: u32) -> usize {
    usize::try_from(pool_size)
        .unwrap_or(usize::MAX)
        .saturating_add(4)
}
