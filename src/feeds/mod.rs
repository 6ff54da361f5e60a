//! Feeds for calendars and readers, built with real format crates.

pub mod ics;
