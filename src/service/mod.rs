//! Use cases: each change's transaction, rules, audit entry and notifications.

pub mod accounts;
pub mod bulletins;
pub mod events;
pub mod membership;
pub mod personal_data;
pub mod publishing;
pub mod registrations;
pub mod sessions;
pub mod throttle;
