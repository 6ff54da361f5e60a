//! One integration-test binary: every test boots the real app over HTTP.

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod accounts;
mod audit_log;
mod auth;
mod backup;
mod bulletins;
mod cli;
mod contract;
mod embed;
mod errors;
mod events_admin;
mod events_public;
mod feeds;
mod health;
mod input_hygiene;
mod limits;
mod logs;
mod membership;
mod membership_admin;
mod metrics;
mod migrations;
mod notifications;
mod personal_data;
mod public_freshness;
mod public_http;
mod rate_limits;
mod registration_confirmation;
mod registrations;
mod registrations_admin;
mod registrations_concurrency;
mod security_headers;
mod shutdown;
