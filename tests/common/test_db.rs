//! A database that disappears with the test: a temporary SQLite file, or, when
//! TEST_DATABASE_URL names a PostgreSQL server, a new database on it that is dropped
//! afterwards.

use diesel::{Connection, PgConnection, RunQueryDsl};
use llcp_hub::db::{DatabaseUrl, DbConnection};

use super::database_url::with_database;

pub enum TestDb {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server_url: String, name: String },
}

impl TestDb {
    /// A new database on TEST_DATABASE_URL's server when it is set, else a SQLite file.
    pub fn create() -> (Self, DatabaseUrl) {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|v| !v.is_empty())
        {
            Some(server_url) => Self::postgres_on(&server_url),
            None => Self::sqlite(),
        }
    }

    /// A temporary SQLite file, whatever TEST_DATABASE_URL says.
    pub fn sqlite() -> (Self, DatabaseUrl) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hub.db");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
        (Self::Sqlite(dir), url)
    }

    /// A new database on the server that `server_url` reaches.
    pub fn postgres_on(server_url: &str) -> (Self, DatabaseUrl) {
        let server_url = with_sslmode_disabled(server_url);
        let name = format!("llcp_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn =
            PgConnection::establish(&server_url).expect("connect to the PostgreSQL server");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create the test database");
        let url = DatabaseUrl::parse(&with_database(&server_url, &name)).unwrap();
        (Self::Postgres { server_url, name }, url)
    }

    /// The URL as the binary takes it in DATABASE_URL.
    pub fn url_for_cli(&self, url: &DatabaseUrl) -> String {
        match url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{path}"),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Self::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Off any async runtime: diesel blocks.
            let _ = std::thread::spawn(move || {
                if let Ok(mut conn) = PgConnection::establish(&server_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn);
                }
            })
            .join();
        }
    }
}

/// Loopback needs no TLS (a throwaway cluster has none), and without it libpq's OpenSSL
/// state cannot race with the process's exit while pools of finished tests reconnect.
pub fn with_sslmode_disabled(url: &str) -> String {
    if url.contains("sslmode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    }
}

#[derive(diesel::QueryableByName)]
struct TextRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// The `value` column of every row of `sql`.
pub fn texts(conn: &mut DbConnection, sql: &str) -> Vec<String> {
    let rows: Vec<TextRow> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c),
        DbConnection::Pg(c) => diesel::sql_query(sql).load(c),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.value).collect()
}

/// A single whole number that `sql` selects as `value` (cast to text).
pub fn number(conn: &mut DbConnection, sql: &str) -> i64 {
    let values = texts(conn, sql);
    values[0]
        .parse()
        .unwrap_or_else(|_| panic!("{sql} gave {values:?}"))
}
