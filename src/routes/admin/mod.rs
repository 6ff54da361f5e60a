//! Endpoints for the `admin` role.

pub mod accounts;
pub mod audit;
pub mod bulletins;
pub mod event_input;
pub mod events;
pub mod membership;
pub mod notifications;
pub mod personal_data;
pub mod registrations;
