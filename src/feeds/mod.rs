//! Feeds for calendars and readers, built with real format crates.

pub mod atom;
pub mod ics;
pub mod markdown;
