//! The listing as people read it: London dates, a plain-words status and the links to
//! act on. The server-rendered fragment uses it; the script renders the same words.

use chrono::{DateTime, FixedOffset};
use chrono_tz::Europe::London;

use crate::domain::event::{EventStatus, RegistrationState};
use crate::routes::events::Event;

/// One event of the fragment. Askama escapes every field when it renders.
pub struct EmbedEvent {
    pub title: String,
    /// RFC 3339, for `<time datetime>`.
    pub starts_at: String,
    /// "Tuesday 15 March 2011, 13:00 to 17:00", London time.
    pub when: String,
    pub venue: Option<String>,
    pub summary: Option<String>,
    pub status: String,
    pub cancelled: bool,
    /// Present while people can register or join the waiting list.
    pub register: Option<RegisterLink>,
    pub ics_url: String,
}

pub struct RegisterLink {
    pub url: String,
    pub label: &'static str,
}

impl EmbedEvent {
    pub fn new(event: &Event, register_url: String) -> Self {
        let cancelled = event.status == EventStatus::Cancelled;
        let register = match event.registration.state {
            _ if cancelled => None,
            RegistrationState::Open => Some("Register"),
            RegistrationState::FullWaitlistOpen => Some("Join the waiting list"),
            _ => None,
        }
        .map(|label| RegisterLink {
            url: register_url,
            label,
        });
        Self {
            title: event.title.clone(),
            starts_at: event.starts_at.0.to_rfc3339(),
            when: when(&event.starts_at.0, &event.ends_at.0),
            venue: event.venue.as_ref().map(|v| {
                [
                    Some(v.name.as_str()),
                    v.address.as_deref(),
                    v.postcode.as_deref(),
                ]
                .into_iter()
                .flatten()
                .filter(|part| !part.trim().is_empty())
                .collect::<Vec<_>>()
                .join(", ")
            }),
            summary: event.summary.clone().filter(|s| !s.trim().is_empty()),
            status: status(event),
            cancelled,
            register,
            ics_url: event.links.ics.clone(),
        }
    }
}

/// London date and times; an event running past midnight names both days.
pub fn when(starts: &DateTime<FixedOffset>, ends: &DateTime<FixedOffset>) -> String {
    let (starts, ends) = (starts.with_timezone(&London), ends.with_timezone(&London));
    let day = "%A %-d %B %Y";
    if starts.date_naive() == ends.date_naive() {
        format!(
            "{}, {} to {}",
            starts.format(day),
            starts.format("%H:%M"),
            ends.format("%H:%M")
        )
    } else {
        format!(
            "{}, {} to {}, {}",
            starts.format(day),
            starts.format("%H:%M"),
            ends.format(day),
            ends.format("%H:%M")
        )
    }
}

/// The status line; the script in `events.js` words it the same way.
pub fn status(event: &Event) -> String {
    if event.status == EventStatus::Cancelled {
        return match &event.cancellation_reason {
            Some(reason) if !reason.trim().is_empty() => format!("Cancelled: {reason}"),
            _ => "Cancelled".into(),
        };
    }
    match event.registration.state {
        RegistrationState::Open => match event.seats_remaining {
            Some(1) => "1 place left".into(),
            Some(n) => format!("{n} places left"),
            None => "Registration open".into(),
        },
        RegistrationState::FullWaitlistOpen => "Fully booked: waiting list open".into(),
        RegistrationState::NotYetOpen => match &event.registration.opens_at {
            Some(opens) => format!(
                "Registration opens {}",
                opens
                    .0
                    .with_timezone(&London)
                    .format("%A %-d %B %Y at %H:%M")
            ),
            None => "Registration not yet open".into(),
        },
        RegistrationState::Closed => "Registration closed".into(),
        RegistrationState::NotRequired => "No registration needed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn times_are_shown_in_london_time_across_daylight_saving() {
        assert_eq!(
            when(
                &at("2011-03-15T13:00:00+00:00"),
                &at("2011-03-15T17:00:00+00:00")
            ),
            "Tuesday 15 March 2011, 13:00 to 17:00"
        );
        // 09:00 UTC in June is 10:00 in London.
        assert_eq!(
            when(&at("2031-06-10T09:00:00Z"), &at("2031-06-10T11:30:00Z")),
            "Tuesday 10 June 2031, 10:00 to 12:30"
        );
    }

    #[test]
    fn an_event_past_midnight_names_both_days() {
        assert_eq!(
            when(&at("2031-01-10T22:00:00Z"), &at("2031-01-11T01:00:00Z")),
            "Friday 10 January 2031, 22:00 to Saturday 11 January 2031, 01:00"
        );
    }
}
