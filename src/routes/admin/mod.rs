//! Endpoints for the `admin` role.

pub mod accounts;
pub mod event_input;
pub mod events;
pub mod notifications;
pub mod registrations;
