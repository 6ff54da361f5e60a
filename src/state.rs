//! What every handler shares: the pool, the signing keys and a few settings.

use std::net::IpAddr;

use crate::auth::JwtKeys;
use crate::config::{LoginThrottle, Settings};
use crate::db::DbPool;

pub struct AppState {
    pub pool: DbPool,
    pub jwt: JwtKeys,
    pub public_base_url: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub login_throttle: LoginThrottle,
}

impl AppState {
    pub fn new(settings: &Settings, pool: DbPool) -> Self {
        Self {
            pool,
            jwt: JwtKeys::new(&settings.jwt_secret),
            public_base_url: settings.public_base_url.clone(),
            trusted_proxies: settings.trusted_proxies.clone(),
            login_throttle: settings.login_throttle,
        }
    }

    /// An absolute URL for a path of this service.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_base_url)
    }
}
