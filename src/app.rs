//! Builds the server: the same routing for `serve` and for the tests.

use std::net::TcpListener;
use std::sync::Arc;

use actix_service::{IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::ErrorHandlers;
use actix_web::rt::net::TcpStream;
use actix_web::{App, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::demo::{self, DemoCredentials};
use crate::error::ApiError;
use crate::http::connections::{self, Connections};
use crate::http::cors::cors;
use crate::http::edge_answers::ProblemStream;
use crate::http::extract::BodyDeadlines;
use crate::http::middleware::access_log::access_log;
use crate::http::middleware::connection_cap::ConnectionCap;
use crate::http::middleware::head_as_get::HeadAsGet;
use crate::http::middleware::layer::Layer;
use crate::http::middleware::metrics::{Metrics, RecordMetrics};
use crate::http::middleware::public_cache::PublicCache;
use crate::http::middleware::request_id::RequestIds;
use crate::http::middleware::security_headers::SecurityHeaders;
use crate::http::problem::problem_for_errors;
use crate::http::response_cache::ResponseCache;
use crate::notify::sender::{self, SenderConfig};
use crate::routes::event_fragments::EventFragments;
use crate::routes::fallback::{KnownRoutes, not_matched, path_not_parsed};
use crate::state::AppState;

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
        let pool = db::build_pool_with(
            &settings.database_url,
            settings.pool_size,
            settings.pool_timeout,
            settings.db_limits,
        )?;
        {
            let mut conn = pool
                .get()
                .map_err(|e| format!("cannot connect to the database: {e}"))?;
            db::run_migrations(&mut conn)?;
        }
        db::change_listener::start(
            settings.database_url.clone(),
            settings.db_limits,
            pool.public_changes(),
        );
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
                manage_tokens: crate::auth::tokens::ManageTokens::new(settings.jwt_secret.bytes()),
                account_tokens: crate::auth::tokens::AccountTokens::new(
                    settings.jwt_secret.bytes(),
                ),
            };
            sender::start(pool.clone(), config)?;
        }
        start_reminders(
            pool.clone(),
            settings.public_base_url.clone(),
            settings.reminder_interval,
        );
        crate::retention::start(pool.clone(), settings.retention);
        start_lapsing_holds(pool.clone(), crate::notify::Links::new(&settings));
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
            let result = db::run_in_background(&pool, move |conn| {
                crate::service::membership::remind_overdue(
                    conn,
                    &base_url,
                    crate::domain::time::now(),
                )
            })
            .await;
            if let Err(e) = result {
                log::warn!("membership reminders: {e}");
            }
            tokio::time::sleep(interval).await;
        }
    });
}

/// How often the seats of unconfirmed registrations whose time ran out are freed (an
/// event's own are also freed whenever someone registers for it).
const LAPSE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(15);

fn start_lapsing_holds(pool: DbPool, links: crate::notify::Links) {
    tokio::spawn(async move {
        loop {
            let links = links.clone();
            let result = db::run_in_background(&pool, move |conn| {
                crate::service::registrations::lapse_holds(conn, &links, crate::domain::time::now())
            })
            .await;
            match result {
                Ok(0) => {}
                Ok(n) => log::info!("{n} unconfirmed registration(s) lapsed"),
                Err(e) => log::warn!("lapsing unconfirmed registrations: {e}"),
            }
            tokio::time::sleep(LAPSE_INTERVAL).await;
        }
    });
}

fn serve(listener: TcpListener, settings: &Settings, pool: DbPool) -> Result<Server, String> {
    let contract = crate::openapi::build();
    let known_routes = web::Data::new(KnownRoutes::from_spec(&contract.spec));
    let public_routes = Arc::new(contract.public_routes);
    let spec = contract.spec;
    let state = web::Data::new(AppState::new(settings, pool));
    let metrics =
        web::Data::new(Metrics::new().map_err(|e| format!("cannot set up metrics: {e}"))?);
    let response_cache = ResponseCache::new(state.pool.public_changes().clone());
    let public_cache = PublicCache {
        routes: public_routes.clone(),
        max_age: settings.public_max_age,
        ttl: settings.public_cache_ttl,
        cache: response_cache.clone(),
    };
    let response_cache = web::Data::new(response_cache);
    let event_fragments = web::Data::new(EventFragments::default());
    let hsts = settings.http.hsts;
    let body_deadlines = BodyDeadlines {
        idle: settings.http.body_idle_timeout,
        total: settings.http.body_timeout,
    };
    let file_limit = connections::raise_file_limit();
    let cap = connections::cap_within(
        settings.http.max_connections,
        file_limit,
        settings.pool_size,
    )?;
    log::info!("at most {cap} connections at once (open-file limit {file_limit})");
    let open = Connections::new(cap);
    let counted = open.clone();
    let workers = settings
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Past this many (a quarter over the cap, still within the file limit) a worker
    // stops accepting; those over the cap but under this are answered 503 and closed.
    let accepted_per_worker = (cap + cap / 4).div_ceil(workers).max(1);
    let local_addr = listener.local_addr().map_err(|e| e.to_string())?;
    let http = settings.http.clone();
    let app = move || {
        let (app, _) = App::new()
            .into_utoipa_app()
            .configure(crate::routes::configure)
            .split_for_parts();
        app.app_data(state.clone())
            .app_data(known_routes.clone())
            .app_data(metrics.clone())
            .app_data(response_cache.clone())
            .app_data(event_fragments.clone())
            .app_data(body_deadlines)
            .app_data(open.clone())
            .app_data(query_errors())
            .app_data(path_errors())
            .configure(crate::pages::configure)
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec.clone()))
            .default_service(web::to(not_matched))
            // Innermost first; CORS outside the cache, so that cached answers get it.
            .wrap(public_cache.clone())
            .wrap(cors(public_routes.clone()))
            .wrap(ConnectionCap)
            .wrap(ErrorHandlers::new().default_handler(problem_for_errors))
            .wrap(Layer::new(HeadAsGet))
            .wrap(Layer::new(RequestIds))
            .wrap(Layer::new(SecurityHeaders { hsts }))
            .wrap(Layer::new(RecordMetrics(metrics.clone())))
            .wrap(access_log())
    };
    // What `HttpServer` would build, with one difference: each connection's stream is a
    // `ProblemStream`, so that the answers the HTTP/1 dispatcher writes itself (a head it
    // cannot read) are problem+json too. HTTP/1 only, as `HttpServer` serves plain TCP.
    let server = actix_server::Server::build()
        .shutdown_timeout(settings.http.shutdown_timeout.as_secs())
        // The binary handles signals itself (`main.rs`), to bound shutdown.
        .disable_signals()
        .worker_max_blocking_threads(blocking_threads(settings.pool_size))
        .workers(workers)
        .max_concurrent_connections(accepted_per_worker)
        .listen("llcp-hub", listener, move || {
            let counted = counted.clone();
            let app = app().into_factory();
            let dispatcher = actix_http::HttpService::build()
                .client_request_timeout(http.request_head_timeout)
                .keep_alive(http.keep_alive)
                .client_disconnect_timeout(http.disconnect_timeout)
                .local_addr(local_addr)
                .on_connect_ext(move |_: &ProblemStream<TcpStream>, extensions| {
                    counted.opened(extensions)
                })
                .h1(actix_service::map_config(app, move |_| {
                    app_config(local_addr)
                }));
            actix_service::fn_service(|stream: TcpStream| async move {
                let peer = stream.peer_addr().ok();
                // As actix-http does for TCP: answers are small and must not wait.
                let _ = stream.set_nodelay(true);
                Ok::<_, actix_http::error::DispatchError>((ProblemStream::new(stream), peer))
            })
            .and_then(dispatcher)
        })
        .map_err(|e| format!("cannot serve: {e}"))?;
    Ok(server.run())
}

/// The app's view of its listener: plain HTTP, named by its address (what a request
/// without a `Host` header is taken to be for), as `HttpServer` sets it. actix-web
/// builds this only through the constructor it keeps for actix-test (hidden, so a
/// release may rename it: the build then says so).
fn app_config(local_addr: std::net::SocketAddr) -> actix_web::dev::AppConfig {
    actix_web::dev::AppConfig::__priv_test_new(false, local_addr.to_string(), local_addr)
}

/// A query string that does not parse is a 400 problem.
fn query_errors() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::BadRequest(format!("The query string is invalid: {err}.")).into()
    })
}

/// A path parameter that does not parse is a 404 (or 405) problem.
fn path_errors() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| path_not_parsed(req))
}

/// Per worker: the pool's connections, and a few more so that password hashing (also
/// on the blocking pool) never waits behind database work. Blocking work is nearly all
/// database work, which can use no more threads than the pool has connections;
/// actix's default (256 per worker on 2 cores) lets a burst start dozens of threads
/// that only wait for a connection, each holding memory.
fn blocking_threads(pool_size: u32) -> usize {
    usize::try_from(pool_size)
        .unwrap_or(usize::MAX)
        .saturating_add(4)
}
