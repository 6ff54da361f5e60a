//! iCalendar (RFC 5545): London times with a `VTIMEZONE`, stable `UID`s, a `SEQUENCE`
//! that grows with every change, `STATUS:CANCELLED` for cancelled events. Escaping and
//! 75-octet line folding are the `icalendar` crate's.

use chrono::TimeZone;
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, EventStatus};

use crate::domain::time::{DEFAULT_TIMEZONE, as_utc};
use crate::notify::Links;
use crate::repo::events::EventRow;

pub const CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// Europe/London since 1996 (EU rules): BST from the last Sunday of March at 01:00 UTC
/// to the last Sunday of October.
const LONDON_VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\n\
TZID:Europe/London\r\n\
X-LIC-LOCATION:Europe/London\r\n\
BEGIN:DAYLIGHT\r\n\
TZOFFSETFROM:+0000\r\n\
TZOFFSETTO:+0100\r\n\
TZNAME:BST\r\n\
DTSTART:19810329T010000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
END:DAYLIGHT\r\n\
BEGIN:STANDARD\r\n\
TZOFFSETFROM:+0100\r\n\
TZOFFSETTO:+0000\r\n\
TZNAME:GMT\r\n\
DTSTART:19961027T020000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n\
END:STANDARD\r\n\
END:VTIMEZONE\r\n";

/// London events keep their wall-clock time with `TZID`; any other zone is given in UTC.
fn when(utc: chrono::NaiveDateTime, zone: &str) -> CalendarDateTime {
    if zone == DEFAULT_TIMEZONE {
        let local = chrono_tz::Europe::London
            .from_utc_datetime(&utc)
            .naive_local();
        CalendarDateTime::WithTimezone {
            date_time: local,
            tzid: DEFAULT_TIMEZONE.into(),
        }
    } else {
        CalendarDateTime::Utc(as_utc(utc))
    }
}

fn host(base_url: &str) -> &str {
    let rest = base_url.split("://").nth(1).unwrap_or(base_url);
    rest.split(['/', ':']).next().unwrap_or(rest)
}

fn component(row: &EventRow, links: &Links) -> icalendar::Event {
    let page = links.url(&format!("/api/v1/events/{}", row.slug));
    let mut description = String::new();
    for part in [row.summary.as_deref(), row.description.as_deref()]
        .into_iter()
        .flatten()
    {
        description.push_str(part);
        description.push_str("\n\n");
    }
    if row.is_cancelled() {
        let reason = row.cancellation_reason.as_deref().unwrap_or("");
        description.push_str(&format!("Cancelled: {reason}\n\n"));
    }
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("event-{}@{}", row.id, host(&links.base_url)))
        .summary(&row.title)
        .description(description.trim_end())
        .starts(when(row.starts_at, &row.timezone))
        .ends(when(row.ends_at, &row.timezone))
        .sequence(row.sequence.max(0) as u32)
        // The last change, not the request time: the same event serialises to the same
        // bytes until it changes, so its ETag holds.
        .timestamp(as_utc(row.updated_at))
        .last_modified(as_utc(row.updated_at))
        .created(as_utc(row.created_at))
        .url(&page)
        .status(if row.is_cancelled() {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    let location: Vec<&str> = [
        row.venue_name.as_deref(),
        row.venue_address.as_deref(),
        row.venue_postcode.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !location.is_empty() {
        event.location(&location.join(", "));
    }
    if let Some(organiser) = &row.organiser {
        event.add_property("X-LLCP-ORGANISER", organiser.as_str());
    }
    event.done()
}

/// A calendar of the events, with the London time zone defined once.
pub fn calendar(name: &str, rows: &[EventRow], links: &Links) -> String {
    let mut calendar = Calendar::new();
    calendar.name(name).timezone(DEFAULT_TIMEZONE);
    calendar.append_property(("PRODID", "-//London Library Change Programme//llcp-hub//EN"));
    for row in rows {
        calendar.push(component(row, links));
    }
    // One PRODID, ours, in place of the crate's default.
    let text = calendar
        .done()
        .to_string()
        .replacen("PRODID:ICALENDAR-RS\r\n", "", 1);
    // icalendar has no VTIMEZONE component; it goes before the first event.
    match text
        .find("BEGIN:VEVENT")
        .or_else(|| text.find("END:VCALENDAR"))
    {
        Some(at) => format!("{}{LONDON_VTIMEZONE}{}", &text[..at], &text[at..]),
        None => text,
    }
}
