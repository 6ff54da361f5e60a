//! Use cases: each change's transaction, rules, audit entry and notifications.

pub mod bulletins;
pub mod events;
pub mod publishing;
