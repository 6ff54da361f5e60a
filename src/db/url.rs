//! Chooses the backend from `DATABASE_URL` explicitly: a guess would let a typo in a
//! PostgreSQL URL silently create a SQLite file of that name.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path.
    Sqlite(String),
    /// The whole `postgres://` URL.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_string()));
        }
        let path = if let Some(rest) = raw.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            rest
        } else if let Some((scheme, _)) = raw.split_once("://") {
            return Err(format!(
                "DATABASE_URL has the unsupported scheme `{scheme}`; use sqlite://PATH or postgres://…"
            ));
        } else {
            raw
        };
        if path.is_empty() {
            return Err("DATABASE_URL names no SQLite file".into());
        }
        if path.contains(":memory:") || path.contains("mode=memory") {
            return Err(
                "DATABASE_URL: an in-memory SQLite database is private to one connection; name a file"
                    .into(),
            );
        }
        Ok(Self::Sqlite(path.to_string()))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Self::Postgres(_))
    }
}

/// The URL with libpq's connection timeout and TCP keepalives added, unless the
/// operator's URL sets them: a server that vanished (a failover, a dead host) is found
/// out by the kernel instead of after the operating system's two-hour default.
pub fn with_pg_timeouts(url: &str, connect_timeout: std::time::Duration) -> String {
    let connect = connect_timeout.as_secs().max(1).to_string();
    let defaults = [
        ("connect_timeout", connect.as_str()),
        ("keepalives", "1"),
        ("keepalives_idle", "10"),
        ("keepalives_interval", "5"),
        ("keepalives_count", "3"),
    ];
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let given: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .collect();
    let mut out = url.to_string();
    for (name, value) in defaults {
        if !given.contains(&name) {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
    }
    out
}

// Never print a PostgreSQL URL: it may hold a password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({path:?})"),
            Self::Postgres(_) => f.write_str("Postgres(<redacted>)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_scheme_and_bare_paths_are_sqlite() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://llcp-hub.db"),
            Ok(DatabaseUrl::Sqlite("llcp-hub.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/hub.db"),
            Ok(DatabaseUrl::Sqlite("/var/lib/hub.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("data/hub.db"),
            Ok(DatabaseUrl::Sqlite("data/hub.db".into()))
        );
    }

    #[test]
    fn postgres_schemes_are_postgres() {
        assert!(
            DatabaseUrl::parse("postgres://u@h/db")
                .unwrap()
                .is_postgres()
        );
        assert!(
            DatabaseUrl::parse("postgresql://u@h/db")
                .unwrap()
                .is_postgres()
        );
    }

    #[test]
    fn unknown_schemes_empty_and_memory_are_refused() {
        assert!(DatabaseUrl::parse("mysql://root@localhost/db").is_err());
        assert!(DatabaseUrl::parse("").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
    }

    #[test]
    fn pg_timeouts_are_added_unless_the_url_sets_them() {
        let connect_timeout = std::time::Duration::from_secs(3);
        let url = with_pg_timeouts("postgres://u@h/db", connect_timeout);
        assert!(
            url.starts_with("postgres://u@h/db?connect_timeout=3&keepalives=1"),
            "{url}"
        );
        let url = with_pg_timeouts(
            "postgres://u@h/db?sslmode=require&connect_timeout=9",
            connect_timeout,
        );
        assert!(
            url.contains("sslmode=require&connect_timeout=9&keepalives=1"),
            "{url}"
        );
        assert_eq!(url.matches("connect_timeout").count(), 1, "{url}");
    }

    #[test]
    fn debug_never_shows_a_postgres_password() {
        let url = DatabaseUrl::parse("postgres://u:secret@h/db").unwrap();
        assert!(!format!("{url:?}").contains("secret"));
    }
}
