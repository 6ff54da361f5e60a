//! Shared by the test binaries, which include this folder with `#[path]`: the test
//! database, running the binary, and the requests and checks both suites make over HTTP.
//! Each binary uses a part of it.
#![allow(dead_code)]

pub mod database_url;
pub mod http;
pub mod process;
pub mod test_db;
