//! Events: their kinds, the rules a draft must satisfy, and the registration state.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::Slug;
use crate::error::FieldError;

crate::stored_as_text! {
    pub enum EventKind {
        Workshop => "workshop",
        Seminar => "seminar",
        Conference => "conference",
        Masterclass => "masterclass",
        Meeting => "meeting",
    }
}

crate::stored_as_text! {
    pub enum EventStatus {
        Scheduled => "scheduled",
        Cancelled => "cancelled",
    }
}

/// Whether someone could register right now, as a person reading the listing sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    Open,
    NotYetOpen,
    Closed,
    FullWaitlistOpen,
    NotRequired,
}

impl RegistrationState {
    /// Its name in JSON (what serde writes).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::NotYetOpen => "not_yet_open",
            Self::Closed => "closed",
            Self::FullWaitlistOpen => "full_waitlist_open",
            Self::NotRequired => "not_required",
        }
    }
}

/// The facts the registration state is derived from.
pub struct RegistrationFacts {
    pub required: bool,
    pub cancelled: bool,
    pub starts_at: NaiveDateTime,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub capacity: Option<i32>,
    pub seats_taken: i32,
}

impl RegistrationFacts {
    pub fn state(&self, now: NaiveDateTime) -> RegistrationState {
        if !self.required {
            RegistrationState::NotRequired
        } else if self.cancelled
            || now >= self.starts_at
            || self.closes_at.is_some_and(|closes| now >= closes)
        {
            RegistrationState::Closed
        } else if self.opens_at.is_some_and(|opens| now < opens) {
            RegistrationState::NotYetOpen
        } else if self.capacity.is_some_and(|cap| self.seats_taken >= cap) {
            RegistrationState::FullWaitlistOpen
        } else {
            RegistrationState::Open
        }
    }

    pub fn seats_remaining(&self) -> Option<i32> {
        self.capacity.map(|cap| (cap - self.seats_taken).max(0))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Venue {
    pub name: String,
    pub address: Option<String>,
    pub postcode: Option<String>,
}

/// Every editable field of an event, after field-level validation. `check` applies
/// the rules that span fields.
#[derive(Debug, Clone)]
pub struct EventDraft {
    pub title: String,
    pub slug: Option<Slug>,
    pub kind: EventKind,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub timezone: Tz,
    pub venue: Option<Venue>,
    pub audience: Vec<String>,
    pub organiser: Option<String>,
    pub speakers: Vec<String>,
    pub capacity: Option<i32>,
    pub registration_required: bool,
    pub registration_opens_at: Option<NaiveDateTime>,
    pub registration_closes_at: Option<NaiveDateTime>,
    /// Registrations are held until the registrant follows the emailed link.
    pub email_confirmation: bool,
    pub bulletin_number: Option<i32>,
}

impl EventDraft {
    /// Rules across fields; `seats_taken` guards capacity changes on a live event.
    pub fn check(&self, seats_taken: i32) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.ends_at <= self.starts_at {
            errors.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        if let (Some(opens), Some(closes)) =
            (self.registration_opens_at, self.registration_closes_at)
            && closes <= opens
        {
            errors.push(FieldError::new(
                "registration.closes_at",
                "must be after registration.opens_at",
            ));
        }
        if self
            .registration_opens_at
            .is_some_and(|opens| opens >= self.starts_at)
        {
            errors.push(FieldError::new(
                "registration.opens_at",
                "must be before starts_at",
            ));
        }
        if self
            .registration_closes_at
            .is_some_and(|closes| closes > self.starts_at)
        {
            errors.push(FieldError::new(
                "registration.closes_at",
                "must not be after starts_at",
            ));
        }
        if let Some(capacity) = self.capacity
            && capacity < seats_taken
        {
            errors.push(FieldError::new(
                "capacity",
                format!("must be at least the {seats_taken} seats already taken"),
            ));
        }
        errors
    }

    /// Lower-cased text the `q` filter searches; computed here so that both databases
    /// match exactly alike (their own case folding differs).
    pub fn search_text(&self) -> String {
        [
            Some(self.title.as_str()),
            self.summary.as_deref(),
            self.description.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase()
    }
}

/// Audience tags are short lower-case words (`officers`, `councillors`), so that a
/// filter matches them exactly.
/// Exactly as stored and as the contract's pattern `^[a-z0-9-]{1,40}$` says: no
/// trimming or case folding, so what a client validates is what the server accepts.
pub fn parse_audience_tag(raw: &str) -> Result<String, String> {
    let tag = raw.to_string();
    let valid = (1..=40).contains(&tag.len())
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(tag)
    } else {
        Err("must be 1 to 40 characters of a-z, 0-9 and hyphens".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2011, 3, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn facts() -> RegistrationFacts {
        RegistrationFacts {
            required: true,
            cancelled: false,
            starts_at: at(15, 13),
            opens_at: Some(at(1, 9)),
            closes_at: Some(at(14, 17)),
            capacity: Some(30),
            seats_taken: 0,
        }
    }

    #[test]
    fn registration_state_follows_the_window_and_the_seats() {
        assert_eq!(facts().state(at(1, 8)), RegistrationState::NotYetOpen);
        assert_eq!(facts().state(at(2, 9)), RegistrationState::Open);
        assert_eq!(facts().state(at(14, 17)), RegistrationState::Closed);
        assert_eq!(facts().state(at(16, 9)), RegistrationState::Closed);
        let full = RegistrationFacts {
            seats_taken: 30,
            ..facts()
        };
        assert_eq!(full.state(at(2, 9)), RegistrationState::FullWaitlistOpen);
        assert_eq!(full.seats_remaining(), Some(0));
        let cancelled = RegistrationFacts {
            cancelled: true,
            ..facts()
        };
        assert_eq!(cancelled.state(at(2, 9)), RegistrationState::Closed);
        let free = RegistrationFacts {
            required: false,
            ..facts()
        };
        assert_eq!(free.state(at(2, 9)), RegistrationState::NotRequired);
        let unlimited = RegistrationFacts {
            capacity: None,
            ..facts()
        };
        assert_eq!(unlimited.seats_remaining(), None);
    }

    fn draft() -> EventDraft {
        EventDraft {
            title: "Service specifications".into(),
            slug: None,
            kind: EventKind::Workshop,
            summary: None,
            description: Some("For External PROVISION".into()),
            starts_at: at(15, 13),
            ends_at: at(15, 17),
            timezone: chrono_tz::Europe::London,
            venue: None,
            audience: vec![],
            organiser: None,
            speakers: vec![],
            capacity: Some(30),
            registration_required: true,
            registration_opens_at: None,
            registration_closes_at: None,
            email_confirmation: false,
            bulletin_number: Some(14),
        }
    }

    #[test]
    fn an_event_must_end_after_it_starts() {
        assert!(draft().check(0).is_empty());
        let backwards = EventDraft {
            ends_at: at(15, 12),
            ..draft()
        };
        assert_eq!(backwards.check(0)[0].field, "ends_at");
        let instant = EventDraft {
            ends_at: at(15, 13),
            ..draft()
        };
        assert_eq!(instant.check(0)[0].field, "ends_at");
    }

    #[test]
    fn the_registration_window_must_precede_the_start() {
        let late = EventDraft {
            registration_closes_at: Some(at(16, 9)),
            ..draft()
        };
        assert_eq!(late.check(0)[0].field, "registration.closes_at");
        let inverted = EventDraft {
            registration_opens_at: Some(at(10, 9)),
            registration_closes_at: Some(at(9, 9)),
            ..draft()
        };
        assert_eq!(inverted.check(0)[0].field, "registration.closes_at");
    }

    #[test]
    fn capacity_cannot_drop_below_seats_taken() {
        let small = EventDraft {
            capacity: Some(10),
            ..draft()
        };
        assert!(small.check(10).is_empty());
        assert_eq!(small.check(11)[0].field, "capacity");
    }

    #[test]
    fn search_text_is_lower_cased() {
        assert!(draft().search_text().contains("external provision"));
    }

    #[test]
    fn audience_tags_are_lower_case_words_taken_exactly() {
        assert_eq!(parse_audience_tag("officers").unwrap(), "officers");
        assert!(parse_audience_tag("Officers").is_err());
        assert!(parse_audience_tag(" officers").is_err());
        assert!(parse_audience_tag("chief executives").is_err());
        assert!(parse_audience_tag("").is_err());
    }
}
