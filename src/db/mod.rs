//! The database layer: one connection type over SQLite and PostgreSQL, chosen by URL.

pub mod backup;
pub mod schema;
mod url;
mod write_gate;

use std::time::Duration;

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;
pub use url::DatabaseUrl;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

pub type DbPool = r2d2::Pool<DbManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serialises concurrent `migrate` runs of several instances on one PostgreSQL.
const PG_MIGRATION_LOCK: i64 = 0x6c6c_6370;

/// Opens connections of the backend the URL names; SQLite ones get the pragmas the
/// service relies on (durability, foreign keys, waiting on locks instead of failing).
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
}

impl DbManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }
}

impl ManageConnection for DbManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path)
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA synchronous = FULL;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => diesel::PgConnection::establish(url)
                .map(DbConnection::Pg)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// Builds the pool and proves the database answers, so start-up fails early and clearly.
pub fn build_pool(url: &DatabaseUrl, max_size: u32, timeout: Duration) -> Result<DbPool, String> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        // A connection the server closed (a restart, a failover) is found out and
        // replaced before a request gets it; this is what lets the pool recover.
        .test_on_check_out(true)
        .connection_timeout(timeout)
        .build(DbManager::new(url.clone()))
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

/// Applies pending migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    let applied = match conn {
        DbConnection::Sqlite(c) => migrate_sqlite_exclusively(c),
        DbConnection::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({PG_MIGRATION_LOCK})"))
                .execute(c)
                .map_err(|e| e.to_string())?;
            let result = c
                .run_pending_migrations(PG_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| e.to_string());
            let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({PG_MIGRATION_LOCK})"))
                .execute(c);
            result
        }
    };
    let applied = applied.map_err(|e| format!("migrations failed: {e}"))?;
    if applied > 0 {
        log::info!("applied {applied} migration(s)");
    }
    Ok(applied)
}

/// SQLite has no advisory lock, so the write lock of one IMMEDIATE transaction serves:
/// instances that start together on one file migrate one after another, and the later
/// ones find nothing pending (unlocked, they raced and failed on "table already
/// exists"). diesel runs each migration in a savepoint inside it.
fn migrate_sqlite_exclusively(c: &mut diesel::SqliteConnection) -> Result<usize, String> {
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    let applied = c
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .map(|v| v.len())
        .map_err(|e| e.to_string());
    match applied {
        Ok(applied) => AnsiTransactionManager::commit_transaction(c)
            .map(|()| applied)
            .map_err(|e| e.to_string()),
        Err(e) => {
            let _ = AnsiTransactionManager::rollback_transaction(c);
            Err(e)
        }
    }
}

/// Reverts every migration (used by the migration round-trip test and operators).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConnection::Pg(c) => c.revert_all_migrations(PG_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| e.to_string())
}

/// Runs database work on the blocking pool with an owned pooled connection, so
/// diesel never blocks the async workers.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn).inspect_err(|e| {
            if matches!(e, ApiError::Unavailable(_)) {
                mark_broken(&mut conn);
            }
        })
    })
    .await?
}

/// Makes `has_broken` true, so r2d2 closes a connection the server dropped when it
/// comes back, instead of keeping it idle until a checkout finds it dead.
fn mark_broken(conn: &mut DbConnection) {
    <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .set_in_error();
}

/// True when a connection can be had and answers within `deadline`. It never takes
/// longer, even if the server stops answering mid-query (the blocked thread is left to
/// finish on its own).
pub async fn answers_within(pool: &DbPool, deadline: Duration) -> bool {
    let pool = pool.clone();
    let check = web::block(move || {
        pool.get_timeout(deadline)
            .map(|mut conn| ping(&mut conn))
            .unwrap_or(false)
    });
    matches!(
        actix_web::rt::time::timeout(deadline, check).await,
        Ok(Ok(true))
    )
}

/// A write transaction. On SQLite it begins IMMEDIATE, taking the write lock up front so
/// that concurrent writers queue (in the process on its write gate, across processes on
/// `busy_timeout`) instead of failing on lock upgrade.
pub fn write_transaction<T, F>(conn: &mut DbConnection, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError>,
{
    // Held until the commit or rollback below: the next writer starts as this one ends.
    let _turn = match conn {
        DbConnection::Sqlite(_) => Some(write_gate::enter()?),
        DbConnection::Pg(_) => None,
    };
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match work(conn) {
        Ok(value) => {
            let committed = match conn {
                DbConnection::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
                DbConnection::Pg(c) => AnsiTransactionManager::commit_transaction(c),
            };
            if let Err(e) = committed {
                rollback(conn);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            rollback(conn);
            Err(e)
        }
    }
}

fn rollback(conn: &mut DbConnection) {
    let result = match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
        DbConnection::Pg(c) => AnsiTransactionManager::rollback_transaction(c),
    };
    if let Err(e) = result {
        log::error!("rollback failed: {e}");
    }
}

/// True when the database answers a trivial query.
pub fn ping(conn: &mut DbConnection) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_marked_broken_tells_the_pool_to_drop_it() {
        let dir = tempfile::tempdir().unwrap();
        let url =
            DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        let manager = DbManager::new(url);
        let mut conn = manager.connect().unwrap();
        assert!(!manager.has_broken(&mut conn));
        mark_broken(&mut conn);
        assert!(manager.has_broken(&mut conn));
    }
}
