//! Operations: several instances on one database, and surviving faults. Each test runs
//! the real binary as separate processes, so it lives apart from the API suite.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod database_deadlines;
mod erasure_on_disk;
mod instances;
mod password_hashing;
mod pg_cluster;
mod postgres_frozen;
mod postgres_outage;
mod sqlite_crash;
mod stalled_bodies;
