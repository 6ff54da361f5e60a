//! The durable-commit baseline of bench/run.sh: how many one-row write transactions per
//! second the database commits, each durable before the next begins. On SQLite the
//! file gets the hub's own settings (WAL, `synchronous = FULL`) and each transaction
//! begins IMMEDIATE, as the hub's writes do; on PostgreSQL each is a plain transaction
//! with the server's settings. With THREADS > 1 each thread has its own connection.
//! Prints one JSON line: commits, seconds, per_second, latency percentiles, version.
//!
//! Usage: bench_commits DATABASE SECONDS [THREADS]
//!   DATABASE: sqlite:///abs/path.db (the file is created; use a scratch path) or
//!   postgres://user@host/db (a table bench_commits is created there and dropped after).

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// About the size of a registration row.
const PAYLOAD: &str = "Officer 12345 of event 678|officer12345.e678@example.org|Camden Council|Camden|Library services officer|confirmed|0000000000000000000000000000000100000000000000000000000000000001";

enum Target {
    Sqlite(String),
    Postgres(String),
}

impl Target {
    fn parse(raw: &str) -> Self {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Self::Postgres(raw.to_string())
        } else {
            let path = raw
                .strip_prefix("sqlite://")
                .or_else(|| raw.strip_prefix("sqlite:"))
                .unwrap_or(raw);
            Self::Sqlite(path.to_string())
        }
    }
}

fn insert_sql(n: u64) -> String {
    format!("INSERT INTO bench_commits (n, payload) VALUES ({n}, '{PAYLOAD}')")
}

/// Commits one-row transactions until the deadline; returns each commit's latency.
fn run(target: &Target, thread: u64, deadline: Instant) -> QueryResult<Vec<Duration>> {
    let mut latencies = Vec::new();
    let mut n = thread << 40;
    match target {
        Target::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
            conn.batch_execute(
                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = FULL;",
            )?;
            while Instant::now() < deadline {
                let started = Instant::now();
                conn.immediate_transaction(|c| diesel::sql_query(insert_sql(n)).execute(c))?;
                latencies.push(started.elapsed());
                n += 1;
            }
        }
        Target::Postgres(url) => {
            let mut conn = PgConnection::establish(url)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
            while Instant::now() < deadline {
                let started = Instant::now();
                conn.transaction(|c| diesel::sql_query(insert_sql(n)).execute(c))?;
                latencies.push(started.elapsed());
                n += 1;
            }
        }
    }
    Ok(latencies)
}

fn setup(target: &Target) -> QueryResult<String> {
    match target {
        Target::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            let mut conn = SqliteConnection::establish(path)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
            conn.batch_execute(
                "PRAGMA journal_mode = WAL;
                 CREATE TABLE bench_commits (
                     id INTEGER PRIMARY KEY AUTOINCREMENT,
                     n BIGINT NOT NULL,
                     payload TEXT NOT NULL,
                     at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);",
            )?;
            let v: String = diesel::select(diesel::dsl::sql::<Text>("sqlite_version()"))
                .get_result(&mut conn)?;
            Ok(format!("SQLite {v}"))
        }
        Target::Postgres(url) => {
            let mut conn = PgConnection::establish(url)
                .map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
            conn.batch_execute(
                "DROP TABLE IF EXISTS bench_commits;
                 CREATE TABLE bench_commits (
                     id BIGSERIAL PRIMARY KEY,
                     n BIGINT NOT NULL,
                     payload TEXT NOT NULL,
                     at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);",
            )?;
            let v: String = diesel::select(diesel::dsl::sql::<Text>(
                "current_setting('server_version')",
            ))
            .get_result(&mut conn)?;
            Ok(format!("PostgreSQL {v}"))
        }
    }
}

fn teardown(target: &Target) {
    match target {
        Target::Sqlite(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
        Target::Postgres(url) => {
            if let Ok(mut conn) = PgConnection::establish(url) {
                let _ = conn.batch_execute("DROP TABLE IF EXISTS bench_commits");
            }
        }
    }
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench_commits DATABASE SECONDS [THREADS]");
        std::process::exit(2);
    }
    let target = Target::parse(&args[1]);
    let seconds: f64 = args[2].parse().expect("SECONDS must be a number");
    let threads: u64 = args.get(3).map_or(1, |t| t.parse().expect("THREADS"));
    let version = setup(&target).unwrap_or_else(|e| {
        eprintln!("bench_commits: setting up failed: {e}");
        std::process::exit(1);
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let results: Vec<QueryResult<Vec<Duration>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let target = &target;
                scope.spawn(move || run(target, t, deadline))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a commit thread panicked"))
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    teardown(&target);
    let mut latencies = Vec::new();
    for result in results {
        match result {
            Ok(mut l) => latencies.append(&mut l),
            Err(e) => {
                eprintln!("bench_commits: a commit failed: {e}");
                std::process::exit(1);
            }
        }
    }
    latencies.sort_unstable();
    let commits = latencies.len();
    println!(
        "{{\"database\": \"{version}\", \"threads\": {threads}, \"commits\": {commits}, \"seconds\": {elapsed:.2}, \"per_second\": {:.1}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}}}",
        commits as f64 / elapsed,
        percentile_ms(&latencies, 50.0),
        percentile_ms(&latencies, 99.0),
        percentile_ms(&latencies, 100.0),
    );
}
