//! Feeds for calendars and readers, built with real format crates.

pub mod atom;
pub mod embed;
pub mod ics;
pub mod markdown;
