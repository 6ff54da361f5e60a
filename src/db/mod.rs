//! The database layer: one connection type over SQLite and PostgreSQL, chosen by URL.

pub mod backup;
pub mod change_listener;
pub mod public_changes;
pub mod schema;
mod url;
mod write_gate;

use std::time::{Duration, Instant};

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;
use public_changes::PublicChanges;
pub use url::DatabaseUrl;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(diesel::SqliteConnection),
    Pg(diesel::PgConnection),
}

/// The connection pool, with the deadline every request's database work must meet.
#[derive(Clone)]
pub struct DbPool {
    pool: r2d2::Pool<DbManager>,
    deadline: Duration,
    postgres: bool,
    changes: PublicChanges,
}

impl DbPool {
    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// The committed changes of public data made through this pool.
    pub fn public_changes(&self) -> &PublicChanges {
        &self.changes
    }
}

impl std::ops::Deref for DbPool {
    type Target = r2d2::Pool<DbManager>;

    fn deref(&self) -> &Self::Target {
        &self.pool
    }
}

/// How long the database may take before the hub gives up on it. A hung server (a
/// frozen or partitioned PostgreSQL) keeps its connections open and answers nothing;
/// without these a request, and shutdown, would wait for it indefinitely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbLimits {
    /// The whole of a request's database work, waiting for a connection included;
    /// after it the request is answered 503 with `Retry-After`.
    pub request_deadline: Duration,
    /// PostgreSQL: the server cancels a statement that runs longer.
    pub statement_timeout: Duration,
    /// PostgreSQL: the server ends a session left idle inside a transaction this long.
    pub idle_in_transaction_timeout: Duration,
    /// PostgreSQL: how long opening a connection may take.
    pub connect_timeout: Duration,
}

impl Default for DbLimits {
    fn default() -> Self {
        Self {
            request_deadline: Duration::from_millis(1500),
            statement_timeout: Duration::from_secs(30),
            idle_in_transaction_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
        }
    }
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serialises concurrent `migrate` runs of several instances on one PostgreSQL.
const PG_MIGRATION_LOCK: i64 = 0x6c6c_6370;

/// Opens connections of the backend the URL names; SQLite ones get the pragmas the
/// service relies on (durability, foreign keys, waiting on locks instead of failing).
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
    limits: DbLimits,
}

impl DbManager {
    pub fn new(url: DatabaseUrl, limits: DbLimits) -> Self {
        Self { url, limits }
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
                     PRAGMA synchronous = FULL;
                     PRAGMA secure_delete = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = diesel::PgConnection::establish(&url::with_pg_timeouts(
                    url,
                    self.limits.connect_timeout,
                ))
                .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {}; SET idle_in_transaction_session_timeout = {};",
                    self.limits.statement_timeout.as_millis(),
                    self.limits.idle_in_transaction_timeout.as_millis()
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Pg(conn))
            }
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
    build_pool_with(url, max_size, timeout, DbLimits::default())
}

/// `build_pool` with the operator's limits.
pub fn build_pool_with(
    url: &DatabaseUrl,
    max_size: u32,
    timeout: Duration,
    limits: DbLimits,
) -> Result<DbPool, String> {
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        // A connection the server closed (a restart, a failover) is found out and
        // replaced before a request gets it; this is what lets the pool recover.
        .test_on_check_out(true)
        .connection_timeout(timeout)
        .build(DbManager::new(url.clone(), limits))
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    Ok(DbPool {
        pool,
        deadline: limits.request_deadline,
        postgres: url.is_postgres(),
        changes: PublicChanges::default(),
    })
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
///
/// Foreign keys are off meanwhile (the pragma cannot change inside a transaction), so
/// that a migration can rebuild a table that others refer to, which is how SQLite
/// changes a CHECK; `foreign_key_check` then proves every reference still holds before
/// the commit (SQLite's own procedure for schema changes).
fn migrate_sqlite_exclusively(c: &mut diesel::SqliteConnection) -> Result<usize, String> {
    c.batch_execute("PRAGMA foreign_keys = OFF")
        .map_err(|e| e.to_string())?;
    let result = migrate_sqlite_in_one_transaction(c);
    c.batch_execute("PRAGMA foreign_keys = ON")
        .map_err(|e| e.to_string())?;
    result
}

fn migrate_sqlite_in_one_transaction(c: &mut diesel::SqliteConnection) -> Result<usize, String> {
    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        .map_err(|e| e.to_string())?;
    let applied = c
        .run_pending_migrations(SQLITE_MIGRATIONS)
        .map(|v| v.len())
        .map_err(|e| e.to_string())
        .and_then(|applied| match broken_references(c)? {
            0 => Ok(applied),
            n => Err(format!("{n} reference(s) broken by a migration")),
        });
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

/// The rows whose foreign key points at nothing (SQLite's `foreign_key_check`).
fn broken_references(c: &mut diesel::SqliteConnection) -> Result<usize, String> {
    #[derive(QueryableByName)]
    struct Broken {
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[allow(dead_code)]
        table: String,
    }
    diesel::sql_query("PRAGMA foreign_key_check")
        .load::<Broken>(c)
        .map(|rows| rows.len())
        .map_err(|e| e.to_string())
}

/// Reverts every migration (used by the migration round-trip test and operators); on
/// SQLite with foreign keys off, as when migrating.
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<usize, String> {
    match conn {
        DbConnection::Sqlite(c) => without_foreign_keys(c, |c| {
            c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
        }),
        DbConnection::Pg(c) => c.revert_all_migrations(PG_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| e.to_string())
}

/// Reverts the newest applied migration, keeping the data the earlier schema can hold
/// (operators stepping back from an upgrade; the tests of each down migration).
pub fn revert_last_migration(conn: &mut DbConnection) -> Result<(), String> {
    match conn {
        DbConnection::Sqlite(c) => without_foreign_keys(c, |c| {
            c.revert_last_migration(SQLITE_MIGRATIONS).map(|_| ())
        }),
        DbConnection::Pg(c) => c.revert_last_migration(PG_MIGRATIONS).map(|_| ()),
    }
    .map_err(|e| e.to_string())
}

type MigrationResult<T> = diesel::migration::Result<T>;

fn without_foreign_keys<T>(
    c: &mut diesel::SqliteConnection,
    work: impl FnOnce(&mut diesel::SqliteConnection) -> MigrationResult<T>,
) -> MigrationResult<T> {
    c.batch_execute("PRAGMA foreign_keys = OFF")?;
    let done = work(c);
    c.batch_execute("PRAGMA foreign_keys = ON")?;
    done
}

/// Runs a request's database work on the blocking pool with an owned pooled
/// connection, so diesel never blocks the async workers, and answers
/// `ApiError::Unavailable` (503 with `Retry-After`) once the pool's deadline has
/// passed, whatever the database does. Work that has not started by then never starts;
/// work stuck in a call to a hung server finishes on its own thread when the server
/// answers again (its transaction commits or rolls back then, as after a lost reply).
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let deadline = pool.deadline;
    let started = Instant::now();
    let changes = pool.changes.clone();
    let pool = pool.pool.clone();
    let job = web::block(move || {
        let left = deadline
            .checked_sub(started.elapsed())
            .filter(|left| !left.is_zero())
            .ok_or_else(too_late)?;
        let wait = left.min(pool.connection_timeout());
        let mut conn = pool.get_timeout(wait)?;
        public_changes::counting(&changes, || with_connection(&mut conn, work))
    });
    match actix_web::rt::time::timeout(deadline, job).await {
        Ok(done) => done?,
        Err(_) => Err(too_late()),
    }
}

/// `run` without a deadline, for background jobs (the outbox sender, retention,
/// reminders): no client waits on them, and giving up would not stop the work.
pub async fn run_in_background<T, F>(pool: &DbPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let changes = pool.changes.clone();
    let pool = pool.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        public_changes::counting(&changes, || with_connection(&mut conn, work))
    })
    .await?
}

fn with_connection<T>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    work(conn).inspect_err(|e| {
        if matches!(e, ApiError::Unavailable(_)) {
            mark_broken(conn);
        }
    })
}

fn too_late() -> ApiError {
    ApiError::Unavailable("the database did not answer within the request deadline".into())
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
            if !in_transaction(conn) {
                public_changes::committed();
            }
            Ok(value)
        }
        Err(e) => {
            rollback(conn);
            Err(e)
        }
    }
}

/// This write changes what public reads show (`public_changes`): counted when its
/// transaction commits, at once when there is none; on PostgreSQL other instances are
/// told as it commits.
pub fn mark_public_change(conn: &mut DbConnection) {
    let first_in_transaction = if in_transaction(conn) {
        public_changes::mark_in_transaction()
    } else {
        public_changes::count_change();
        true
    };
    if first_in_transaction && let DbConnection::Pg(c) = conn {
        // Delivered at the commit, dropped with a rollback. It cannot fail short of the
        // connection failing, which fails the write too.
        let _ = diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<diesel::sql_types::Text, _>(public_changes::CHANNEL)
            .bind::<diesel::sql_types::Text, _>(public_changes::instance())
            .execute(c);
    }
}

fn in_transaction(conn: &mut DbConnection) -> bool {
    fn depth<C>(conn: &mut C) -> u32
    where
        C: diesel::Connection<TransactionManager = AnsiTransactionManager>,
    {
        AnsiTransactionManager::transaction_manager_status_mut(conn)
            .transaction_depth()
            .ok()
            .flatten()
            .map_or(0, |d| d.get())
    }
    match conn {
        DbConnection::Sqlite(c) => depth(c) > 0,
        DbConnection::Pg(c) => depth(c) > 0,
    }
}

fn rollback(conn: &mut DbConnection) {
    public_changes::rolled_back();
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
        let manager = DbManager::new(url, DbLimits::default());
        let mut conn = manager.connect().unwrap();
        assert!(!manager.has_broken(&mut conn));
        mark_broken(&mut conn);
        assert!(manager.has_broken(&mut conn));
    }
}
