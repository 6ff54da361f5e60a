//! Settings from the environment (a `.env` file is read first if present).

use std::fmt;
use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use rand::RngCore;

use crate::db::{DatabaseUrl, DbLimits};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://llcp-hub.db";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
const MIN_SECRET_BYTES: usize = 32;

/// The HS256 signing key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

impl JwtSecret {
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes (it has {})",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(<redacted>)")
    }
}

/// Failed sign-ins within a sliding window, counted in the database. Strangers' failures
/// never refuse an account's owner: from a known device only that device's own failures
/// count, and elsewhere an account's failures only slow its sign-ins.
#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    pub window: Duration,
    /// Failures of one account from one address before that pair is refused (429).
    pub per_account_address: i64,
    /// Failures from one address, whatever the accounts, before it is refused (429).
    pub per_address: i64,
    /// Failures of one account, from anywhere, after which a sign-in from a device the
    /// account has not used waits: one second, doubling with each further failure.
    pub per_account: i64,
    /// The longest such wait.
    pub max_delay: Duration,
    /// Failures from one known device before it is refused (429).
    pub per_device: i64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account_address: 5,
            per_address: 20,
            per_account: 10,
            max_delay: Duration::from_secs(8),
            per_device: 10,
        }
    }
}

/// At most `max` attempts within `window`; `max == 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window: Duration,
}

impl Limit {
    pub const OFF: Limit = Limit {
        max: 0,
        window: Duration::ZERO,
    };

    pub fn per_hour(max: i64) -> Self {
        Self {
            max,
            window: Duration::from_secs(3600),
        }
    }

    pub fn is_on(&self) -> bool {
        self.max > 0
    }
}

/// Limits on anonymous writes, per client address (behind `TRUSTED_PROXIES`, the
/// forwarded one): registrations across all events and for one event, and sign-ups
/// with password-reset requests (both mail an address someone typed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    pub registrations_per_address: Limit,
    pub registrations_per_address_and_event: Limit,
    pub signups_per_address: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            registrations_per_address: Limit::per_hour(30),
            registrations_per_address_and_event: Limit::per_hour(10),
            signups_per_address: Limit::per_hour(10),
        }
    }
}

impl RateLimits {
    pub const OFF: RateLimits = RateLimits {
        registrations_per_address: Limit::OFF,
        registrations_per_address_and_event: Limit::OFF,
        signups_per_address: Limit::OFF,
    };

    /// `RATE_LIMIT_REGISTRATIONS_PER_ADDRESS`, `RATE_LIMIT_REGISTRATIONS_PER_ADDRESS_AND_EVENT`
    /// and `RATE_LIMIT_SIGNUPS_PER_ADDRESS`: how many an hour, 0 for no limit.
    fn from_env() -> Result<Self, String> {
        let defaults = Self::default();
        let per_hour =
            |name: &str, default: Limit| parse_per_hour(name, var(name).as_deref(), default);
        Ok(Self {
            registrations_per_address: per_hour(
                "RATE_LIMIT_REGISTRATIONS_PER_ADDRESS",
                defaults.registrations_per_address,
            )?,
            registrations_per_address_and_event: per_hour(
                "RATE_LIMIT_REGISTRATIONS_PER_ADDRESS_AND_EVENT",
                defaults.registrations_per_address_and_event,
            )?,
            signups_per_address: per_hour(
                "RATE_LIMIT_SIGNUPS_PER_ADDRESS",
                defaults.signups_per_address,
            )?,
        })
    }
}

/// How many an hour, from 0 (no limit) to 1,000,000; `default` when unset.
fn parse_per_hour(name: &str, raw: Option<&str>, default: Limit) -> Result<Limit, String> {
    let max = whole_number(name, raw, 0..=1_000_000, "")?;
    Ok(max.map_or(default, Limit::per_hour))
}

/// Holding registrations until their email is confirmed (per event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailConfirmation {
    /// Whether a new event asks for it when its body does not say
    /// (`REGISTRATION_EMAIL_CONFIRMATION`, off by default so that clients keep their
    /// immediate answer).
    pub default_for_new_events: bool,
    /// How long a place is held for the emailed link (`CONFIRM_MINUTES`, 30).
    pub hold: Duration,
}

impl Default for EmailConfirmation {
    fn default() -> Self {
        Self {
            default_for_new_events: false,
            hold: Duration::from_secs(30 * 60),
        }
    }
}

impl EmailConfirmation {
    fn from_env() -> Result<Self, String> {
        Self::from_lookup(var)
    }

    /// `REGISTRATION_EMAIL_CONFIRMATION` (true or false) and `CONFIRM_MINUTES` (1 to
    /// 1440) from any source of settings.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let defaults = Self::default();
        let flag = "REGISTRATION_EMAIL_CONFIRMATION";
        let minutes = "CONFIRM_MINUTES";
        Ok(Self {
            default_for_new_events: yes_or_no(flag, lookup(flag).as_deref())?
                .unwrap_or(defaults.default_for_new_events),
            hold: parse_duration(
                minutes,
                lookup(minutes).as_deref(),
                1..=1440,
                Unit::Minutes,
                defaults.hold,
            )?,
        })
    }
}

/// Outgoing mail. `SMTP_URL` may hold a password, so `Debug` hides it.
#[derive(Clone)]
pub struct SmtpSettings {
    pub url: String,
    pub from: String,
    pub poll_interval: Duration,
    pub retry_base: Duration,
    pub max_attempts: i32,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("url", &"<redacted>")
            .field("from", &self.from)
            .finish()
    }
}

/// Data retention (UK GDPR storage limitation), applied by `crate::retention`.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Registrations are anonymised once their event ended this many months ago.
    pub registration_months: u32,
    /// How often the retention job runs (it also runs at start-up).
    pub interval: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            registration_months: 24,
            interval: Duration::from_secs(3600),
        }
    }
}

/// `RETENTION_MONTHS`: a whole number from 1 to 120; 24 when unset.
pub fn parse_retention_months(raw: Option<&str>) -> Result<u32, String> {
    let months = whole_number("RETENTION_MONTHS", raw, 1..=120, "months")?;
    Ok(months.unwrap_or(Retention::default().registration_months))
}

pub const DEFAULT_SMTP_FROM: &str = "London Library Change Programme <no-reply@localhost>";

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    pub jwt_secret: JwtSecret,
    /// Absolute base for links in responses, feeds and emails, without a trailing slash.
    pub public_base_url: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub login_throttle: LoginThrottle,
    pub rate_limits: RateLimits,
    pub email_confirmation: EmailConfirmation,
    /// How long an admin has to decide a membership application (the promise).
    pub membership_sla: Duration,
    /// How often overdue applications are looked for, to remind admins.
    pub reminder_interval: Duration,
    /// Notifications are sent only when set; otherwise they stay queued.
    pub smtp: Option<SmtpSettings>,
    pub retention: Retention,
    /// `Cache-Control: public, max-age` of public GETs, in seconds.
    pub public_max_age: u64,
    /// How long a worker may answer a public GET from memory. Writes through this
    /// instance end it at once; up to a second is what other instances may lag by.
    pub public_cache_ttl: Duration,
    pub demo: bool,
    pub workers: Option<usize>,
    pub pool_size: u32,
    pub pool_timeout: Duration,
    pub db_limits: DbLimits,
    pub http: HttpSettings,
}

/// Reads an environment variable, treating empty as unset.
fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn database_url_from_env() -> Result<DatabaseUrl, String> {
    DatabaseUrl::parse(&var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()))
}

impl Settings {
    /// Settings for `serve`. `bind` from the command line wins over `BIND`.
    pub fn from_env(bind: Option<String>, demo: bool) -> Result<Self, String> {
        let database_url = database_url_from_env()?;
        let bind = bind
            .or_else(|| var("BIND"))
            .unwrap_or_else(|| DEFAULT_BIND.into());
        let jwt_secret = match var("JWT_SECRET") {
            Some(secret) => JwtSecret::new(secret.into_bytes())?,
            None if demo => {
                log::warn!(
                    "JWT_SECRET is not set: demo mode uses a random one, so tokens end with the process"
                );
                JwtSecret::generate()
            }
            None => {
                return Err(
                    "JWT_SECRET is required (at least 32 bytes); set it, or run with --demo".into(),
                );
            }
        };
        let public_base_url = match var("PUBLIC_BASE_URL") {
            Some(url) => parse_base_url(&url)?,
            None => format!("http://{bind}"),
        };
        let trusted_proxies = match var("TRUSTED_PROXIES") {
            Some(list) => parse_proxies(&list)?,
            None => Vec::new(),
        };
        let pool_size = parse_pool_size(var("DATABASE_POOL_SIZE").as_deref())?;
        let smtp = var("SMTP_URL").map(|url| SmtpSettings {
            url,
            from: var("SMTP_FROM").unwrap_or_else(|| DEFAULT_SMTP_FROM.into()),
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(30),
            max_attempts: 8,
        });
        let membership_sla = env_duration(
            "MEMBERSHIP_SLA_HOURS",
            1..=720,
            Unit::Hours,
            Duration::from_secs(24 * 3600),
        )?;
        let public_max_age = env_duration(
            "PUBLIC_MAX_AGE",
            0..=86_400,
            Unit::Seconds,
            Duration::from_secs(60),
        )?
        .as_secs();
        // 0 turns the cache off.
        let public_cache_ttl = env_duration(
            "PUBLIC_CACHE_TTL_MS",
            0..=1000,
            Unit::Milliseconds,
            crate::http::response_cache::DEFAULT_TTL,
        )?;
        let retention = Retention {
            registration_months: parse_retention_months(var("RETENTION_MONTHS").as_deref())?,
            ..Retention::default()
        };
        Ok(Self {
            retention,
            public_max_age,
            public_cache_ttl,
            membership_sla,
            reminder_interval: Duration::from_secs(3600),
            smtp,
            database_url,
            bind,
            jwt_secret,
            public_base_url,
            trusted_proxies,
            login_throttle: LoginThrottle::default(),
            rate_limits: RateLimits::from_env()?,
            email_confirmation: EmailConfirmation::from_env()?,
            demo,
            workers: None,
            pool_size,
            // The longest a request waits for a connection. When the database is down
            // that wait is the whole answer, so it stays well inside the 5 s within
            // which a client is promised a 503 with Retry-After.
            pool_timeout: Duration::from_secs(3),
            db_limits: db_limits_from_env()?,
            http: HttpSettings::from_env()?,
        })
    }
}

/// `DATABASE_REQUEST_TIMEOUT_MS` (100 to 60000), `DATABASE_STATEMENT_TIMEOUT_MS` and
/// `DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS` (1000 to 3600000), and
/// `DATABASE_CONNECT_TIMEOUT_SECS` (1 to 60); each falls back to `DbLimits::default`.
fn db_limits_from_env() -> Result<DbLimits, String> {
    db_limits(var)
}

/// `db_limits_from_env` over any source of settings (`lookup` gives a set one's value).
fn db_limits(lookup: impl Fn(&str) -> Option<String>) -> Result<DbLimits, String> {
    let defaults = DbLimits::default();
    let setting = |name: &str, range: RangeInclusive<u64>, unit: Unit, default: Duration| {
        parse_duration(name, lookup(name).as_deref(), range, unit, default)
    };
    Ok(DbLimits {
        request_deadline: setting(
            "DATABASE_REQUEST_TIMEOUT_MS",
            100..=60_000,
            Unit::Milliseconds,
            defaults.request_deadline,
        )?,
        statement_timeout: setting(
            "DATABASE_STATEMENT_TIMEOUT_MS",
            1000..=3_600_000,
            Unit::Milliseconds,
            defaults.statement_timeout,
        )?,
        idle_in_transaction_timeout: setting(
            "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
            1000..=3_600_000,
            Unit::Milliseconds,
            defaults.idle_in_transaction_timeout,
        )?,
        connect_timeout: setting(
            "DATABASE_CONNECT_TIMEOUT_SECS",
            1..=60,
            Unit::Seconds,
            defaults.connect_timeout,
        )?,
    })
}

/// `DATABASE_POOL_SIZE`: connections per instance, 1 to 200; 10 when unset.
fn parse_pool_size(raw: Option<&str>) -> Result<u32, String> {
    Ok(whole_number("DATABASE_POOL_SIZE", raw, 1..=200, "")?.unwrap_or(10))
}

/// What the whole number of a duration setting counts.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Milliseconds => "milliseconds",
            Unit::Seconds => "seconds",
            Unit::Minutes => "minutes",
            Unit::Hours => "hours",
        }
    }

    fn of(self, n: u64) -> Duration {
        match self {
            Unit::Milliseconds => Duration::from_millis(n),
            Unit::Seconds => Duration::from_secs(n),
            Unit::Minutes => Duration::from_secs(n * 60),
            Unit::Hours => Duration::from_secs(n * 3600),
        }
    }
}

/// The duration setting `name` from the environment: see `parse_duration`.
fn env_duration(
    name: &str,
    range: RangeInclusive<u64>,
    unit: Unit,
    default: Duration,
) -> Result<Duration, String> {
    parse_duration(name, var(name).as_deref(), range, unit, default)
}

/// Every duration setting: a whole number of `unit`s within `range`; `default` when
/// unset. The message names the setting, its unit and its range.
fn parse_duration(
    name: &str,
    raw: Option<&str>,
    range: RangeInclusive<u64>,
    unit: Unit,
    default: Duration,
) -> Result<Duration, String> {
    let n = whole_number(name, raw, range, unit.name())?;
    Ok(n.map_or(default, |n| unit.of(n)))
}

/// Every numeric setting: a whole number within `range` (surrounding spaces allowed),
/// `None` when unset. The message names the setting, what it counts (`unit`, unless
/// empty) and the range.
fn whole_number<N: FromStr + PartialOrd + fmt::Display>(
    name: &str,
    raw: Option<&str>,
    range: RangeInclusive<N>,
    unit: &str,
) -> Result<Option<N>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    raw.trim()
        .parse::<N>()
        .ok()
        .filter(|n| range.contains(n))
        .map(Some)
        .ok_or_else(|| {
            let of_unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" of {unit}")
            };
            format!(
                "{name} must be a whole number{of_unit} from {} to {}",
                range.start(),
                range.end()
            )
        })
}

/// The HTTP edge: timeouts that keep slow or idle clients from holding sockets, and
/// whether browsers are told to insist on HTTPS.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// How long a client has to send a request's head (408 after).
    pub request_head_timeout: Duration,
    /// How long an idle keep-alive connection stays open.
    pub keep_alive: Duration,
    /// How long a closing connection may take to shut down.
    pub disconnect_timeout: Duration,
    /// How long a client may pause while sending a body, and take over all of it (408
    /// and the connection closed after).
    pub body_idle_timeout: Duration,
    pub body_timeout: Duration,
    /// How long in-flight requests may run on after SIGTERM before the workers stop.
    pub shutdown_timeout: Duration,
    /// Send `Strict-Transport-Security` (only right behind HTTPS).
    pub hsts: bool,
    /// A long-lived secret a scraper may present to `/metrics` from elsewhere than
    /// loopback (access tokens expire in 15 minutes; a scraper cannot sign in).
    pub metrics_token: Option<String>,
    /// The most connections open at once (lowered to fit the open-file limit).
    pub max_connections: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            request_head_timeout: Duration::from_secs(5),
            keep_alive: Duration::from_secs(5),
            disconnect_timeout: Duration::from_secs(1),
            body_idle_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(10),
            hsts: false,
            metrics_token: None,
            max_connections: 10_000,
        }
    }
}

impl HttpSettings {
    fn from_env() -> Result<Self, String> {
        let defaults = Self::default();
        let seconds = |name: &str, default| env_duration(name, 1..=300, Unit::Seconds, default);
        let hsts = hsts_wanted(var("HSTS").as_deref(), var("PUBLIC_BASE_URL").as_deref())?;
        Ok(Self {
            request_head_timeout: seconds(
                "HTTP_REQUEST_TIMEOUT_SECS",
                defaults.request_head_timeout,
            )?,
            keep_alive: seconds("HTTP_KEEP_ALIVE_SECS", defaults.keep_alive)?,
            disconnect_timeout: seconds(
                "HTTP_DISCONNECT_TIMEOUT_SECS",
                defaults.disconnect_timeout,
            )?,
            body_idle_timeout: seconds("HTTP_BODY_IDLE_TIMEOUT_SECS", defaults.body_idle_timeout)?,
            body_timeout: seconds("HTTP_BODY_TIMEOUT_SECS", defaults.body_timeout)?,
            shutdown_timeout: seconds("SHUTDOWN_TIMEOUT_SECS", defaults.shutdown_timeout)?,
            hsts,
            metrics_token: parse_metrics_token(var("METRICS_TOKEN").as_deref())?,
            max_connections: whole_number(
                "HTTP_MAX_CONNECTIONS",
                var("HTTP_MAX_CONNECTIONS").as_deref(),
                1..=1_000_000,
                "connections",
            )?
            .unwrap_or(defaults.max_connections),
        })
    }
}

/// At least 32 characters, so that it cannot be guessed in any number of scrapes.
fn parse_metrics_token(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some(token) if token.len() >= 32 && token.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(token.to_string()))
        }
        Some(_) => Err("METRICS_TOKEN must be at least 32 visible ASCII characters".into()),
    }
}

/// `HSTS` when set; otherwise behind HTTPS exactly when the public address says so.
fn hsts_wanted(flag: Option<&str>, public_base_url: Option<&str>) -> Result<bool, String> {
    let behind_https = public_base_url.is_some_and(|url| url.trim().starts_with("https://"));
    Ok(yes_or_no("HSTS", flag)?.unwrap_or(behind_https))
}

/// Every on/off setting: `true`/`1` or `false`/`0`; `None` when unset.
fn yes_or_no(name: &str, raw: Option<&str>) -> Result<Option<bool>, String> {
    match raw.map(str::trim) {
        None => Ok(None),
        Some("true" | "1") => Ok(Some(true)),
        Some("false" | "0") => Ok(Some(false)),
        Some(_) => Err(format!("{name} must be true or false")),
    }
}

pub fn parse_base_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("PUBLIC_BASE_URL must start with http:// or https://")?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err("PUBLIC_BASE_URL must name a host".into());
    }
    Ok(url.to_string())
}

fn parse_proxies(list: &str) -> Result<Vec<IpAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpAddr>()
                .map_err(|_| format!("TRUSTED_PROXIES: `{s}` is not an IP address"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtSecret::new(vec![b'x'; 31]).is_err());
        assert!(JwtSecret::new(vec![b'x'; 32]).is_ok());
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = JwtSecret::new(b"a-very-secret-value-of-32-bytes!!".to_vec()).unwrap();
        assert!(!format!("{secret:?}").contains("very-secret"));
    }

    #[test]
    fn base_url_must_be_http_and_loses_trailing_slash() {
        assert_eq!(
            parse_base_url("https://hub.example.org/").unwrap(),
            "https://hub.example.org"
        );
        assert!(parse_base_url("hub.example.org").is_err());
        assert!(parse_base_url("https://").is_err());
    }

    #[test]
    fn retention_months_default_to_24_and_stay_within_1_to_120() {
        assert_eq!(parse_retention_months(None).unwrap(), 24);
        assert_eq!(parse_retention_months(Some("1")).unwrap(), 1);
        assert_eq!(parse_retention_months(Some("120")).unwrap(), 120);
        for bad in ["0", "121", "-3", "two", "1.5"] {
            assert!(parse_retention_months(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn hsts_follows_the_flag_or_an_https_public_address() {
        assert_eq!(hsts_wanted(None, Some("https://hub.example.org")), Ok(true));
        assert_eq!(hsts_wanted(None, Some("http://127.0.0.1:8080")), Ok(false));
        assert_eq!(hsts_wanted(None, None), Ok(false));
        assert_eq!(
            hsts_wanted(Some("false"), Some("https://hub.example.org")),
            Ok(false)
        );
        assert_eq!(hsts_wanted(Some("true"), None), Ok(true));
        assert!(hsts_wanted(Some("yes"), None).is_err());
    }

    #[test]
    fn email_confirmation_is_off_with_30_minute_holds_unless_set() {
        let read = |pairs: &'static [(&'static str, &'static str)]| {
            EmailConfirmation::from_lookup(move |name| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            })
        };
        assert_eq!(read(&[]), Ok(EmailConfirmation::default()));
        assert!(!EmailConfirmation::default().default_for_new_events);
        assert_eq!(EmailConfirmation::default().hold, Duration::from_secs(1800));
        let set = read(&[
            ("REGISTRATION_EMAIL_CONFIRMATION", "true"),
            ("CONFIRM_MINUTES", "45"),
        ])
        .unwrap();
        assert!(set.default_for_new_events);
        assert_eq!(set.hold, Duration::from_secs(45 * 60));
        assert!(
            read(&[("REGISTRATION_EMAIL_CONFIRMATION", "yes")])
                .unwrap_err()
                .contains("REGISTRATION_EMAIL_CONFIRMATION")
        );
        let out_of_range: [&'static [(&str, &str)]; 3] = [
            &[("CONFIRM_MINUTES", "0")],
            &[("CONFIRM_MINUTES", "1441")],
            &[("CONFIRM_MINUTES", "ten")],
        ];
        for bad in out_of_range {
            assert!(
                read(bad).unwrap_err().contains("CONFIRM_MINUTES"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_metrics_token_is_long_or_refused() {
        assert_eq!(parse_metrics_token(None), Ok(None));
        let long = "s".repeat(32);
        assert_eq!(parse_metrics_token(Some(&long)), Ok(Some(long.clone())));
        assert!(parse_metrics_token(Some("short")).is_err());
        assert!(parse_metrics_token(Some(&format!("{long} x"))).is_err());
    }

    #[test]
    fn durations_parse_within_their_range_or_are_refused() {
        let parse = |raw| {
            parse_duration(
                "X_MS",
                raw,
                100..=60_000,
                Unit::Milliseconds,
                Duration::ZERO,
            )
        };
        assert_eq!(parse(None), Ok(Duration::ZERO));
        assert_eq!(parse(Some("1500")), Ok(Duration::from_millis(1500)));
        assert_eq!(parse(Some(" 100 ")), Ok(Duration::from_millis(100)));
        for bad in ["99", "60001", "-1", "1.5", "soon", ""] {
            assert_eq!(
                parse(Some(bad)),
                Err("X_MS must be a whole number of milliseconds from 100 to 60000".into()),
                "{bad}"
            );
        }
        let hours = parse_duration("H", Some("2"), 1..=720, Unit::Hours, Duration::ZERO);
        assert_eq!(hours, Ok(Duration::from_secs(7200)));
    }

    #[test]
    fn database_settings_default_when_unset_and_are_read_in_their_units() {
        assert_eq!(db_limits(|_| None), Ok(DbLimits::default()));
        let set = |name: &str| {
            match name {
                "DATABASE_REQUEST_TIMEOUT_MS" => Some("2500"),
                "DATABASE_STATEMENT_TIMEOUT_MS" => Some("30000"),
                "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS" => Some("1000"),
                "DATABASE_CONNECT_TIMEOUT_SECS" => Some(" 7"),
                _ => None,
            }
            .map(String::from)
        };
        let limits = db_limits(set).unwrap();
        assert_eq!(limits.request_deadline, Duration::from_millis(2500));
        assert_eq!(limits.statement_timeout, Duration::from_secs(30));
        assert_eq!(limits.idle_in_transaction_timeout, Duration::from_secs(1));
        assert_eq!(limits.connect_timeout, Duration::from_secs(7));
    }

    #[test]
    fn each_database_setting_is_refused_outside_its_range_by_name() {
        for (name, bad, message) in [
            (
                "DATABASE_REQUEST_TIMEOUT_MS",
                "99",
                "of milliseconds from 100 to 60000",
            ),
            (
                "DATABASE_REQUEST_TIMEOUT_MS",
                "60001",
                "of milliseconds from 100 to 60000",
            ),
            (
                "DATABASE_STATEMENT_TIMEOUT_MS",
                "999",
                "of milliseconds from 1000 to 3600000",
            ),
            (
                "DATABASE_STATEMENT_TIMEOUT_MS",
                "3600001",
                "of milliseconds from 1000 to 3600000",
            ),
            (
                "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                "0",
                "of milliseconds from 1000 to 3600000",
            ),
            (
                "DATABASE_CONNECT_TIMEOUT_SECS",
                "61",
                "of seconds from 1 to 60",
            ),
            (
                "DATABASE_CONNECT_TIMEOUT_SECS",
                "5s",
                "of seconds from 1 to 60",
            ),
        ] {
            let error = db_limits(|n| (n == name).then(|| bad.to_string())).unwrap_err();
            assert_eq!(error, format!("{name} must be a whole number {message}"));
        }
    }

    #[test]
    fn the_pool_size_is_1_to_200_connections() {
        assert_eq!(parse_pool_size(None), Ok(10));
        assert_eq!(parse_pool_size(Some("1")), Ok(1));
        assert_eq!(parse_pool_size(Some("200")), Ok(200));
        for bad in ["0", "201", "-1", "ten", "4294967296"] {
            assert_eq!(
                parse_pool_size(Some(bad)),
                Err("DATABASE_POOL_SIZE must be a whole number from 1 to 200".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn hourly_limits_are_on_by_default_and_parse_from_0_to_a_million() {
        let defaults = RateLimits::default();
        for limit in [
            defaults.registrations_per_address,
            defaults.registrations_per_address_and_event,
            defaults.signups_per_address,
        ] {
            assert!(limit.is_on(), "{limit:?}");
        }
        let parse = |raw| parse_per_hour("X", raw, Limit::per_hour(7));
        assert_eq!(parse(None), Ok(Limit::per_hour(7)));
        assert_eq!(parse(Some("0")), Ok(Limit::per_hour(0)));
        assert!(!parse(Some("0")).unwrap().is_on());
        assert_eq!(parse(Some(" 25 ")), Ok(Limit::per_hour(25)));
        for bad in ["-1", "1000001", "ten", "2.5"] {
            assert!(parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn proxies_parse_as_ip_addresses() {
        assert_eq!(parse_proxies("127.0.0.1, ::1").unwrap().len(), 2);
        assert!(parse_proxies("proxy.local").is_err());
    }
}
