//! What every handler shares: the pool, the signing keys and a few settings.

use std::net::IpAddr;

use crate::auth::JwtKeys;
use crate::auth::devices::KnownDevices;
use crate::config::{EmailConfirmation, LoginThrottle, RateLimits, Settings};
use crate::db::{self, DbConnection, DbPool};
use crate::error::ApiError;
use crate::notify::Links;

pub struct AppState {
    pub pool: DbPool,
    pub jwt: JwtKeys,
    pub links: Links,
    pub trusted_proxies: Vec<IpAddr>,
    pub metrics_token: Option<String>,
    pub login_throttle: LoginThrottle,
    pub rate_limits: RateLimits,
    pub email_confirmation: EmailConfirmation,
    pub devices: KnownDevices,
    pub membership_sla: chrono::Duration,
}

impl AppState {
    pub fn new(settings: &Settings, pool: DbPool) -> Self {
        Self {
            pool,
            jwt: JwtKeys::new(&settings.jwt_secret),
            links: Links::new(settings),
            trusted_proxies: settings.trusted_proxies.clone(),
            metrics_token: settings.http.metrics_token.clone(),
            login_throttle: settings.login_throttle,
            rate_limits: settings.rate_limits,
            email_confirmation: settings.email_confirmation,
            devices: KnownDevices::new(settings.jwt_secret.bytes()),
            membership_sla: chrono::Duration::from_std(settings.membership_sla)
                .unwrap_or(chrono::Duration::hours(24)),
        }
    }

    /// Runs blocking database work on a pooled connection, off the async workers:
    /// `db::run` on this state's pool, so that a handler's call reads as its one step.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        db::run(&self.pool, work).await
    }

    /// An absolute URL for a path of this service.
    pub fn url(&self, path: &str) -> String {
        self.links.url(path)
    }
}
