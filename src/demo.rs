//! `--demo`: the events of bulletin 14 (London Library Change Programme, 14 March 2011)
//! and an admin whose generated password is printed once.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::auth::passwords;
use crate::db::{DbConnection, write_transaction};
use crate::domain::event::{EventDraft, EventKind, Venue};
use crate::domain::time::now;
use crate::domain::{Email, Password, Slug};
use crate::error::ApiError;
use crate::repo::{accounts, bulletins, events};
use crate::routes::bulletins::BulletinInput;

/// Bulletin 14, transcribed from the programme's bulletin of 14 March 2011; contacts
/// carry example.org addresses.
const BULLETIN_14: &str = include_str!("../data/bulletin-14.json");
use crate::domain::Role;
use crate::service::accounts::{NewAccountInput, create_account};

pub const DEMO_ADMIN_EMAIL: &str = "admin@example.org";

pub struct DemoCredentials {
    pub email: String,
    pub password: String,
}

/// A London wall-clock time on a 2011 date, in UTC.
fn london(month: u32, day: u32, hour: u32) -> NaiveDateTime {
    let local = NaiveDate::from_ymd_opt(2011, month, day)
        .and_then(|d| d.and_hms_opt(hour, 0, 0))
        .unwrap_or_default();
    chrono_tz::Europe::London
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.naive_utc())
        .unwrap_or(local)
}

struct Demo {
    slug: &'static str,
    title: &'static str,
    kind: EventKind,
    summary: &'static str,
    description: &'static str,
    when: (u32, u32, u32, u32),
    venue: Option<(&'static str, &'static str, &'static str)>,
    audience: &'static [&'static str],
    speakers: &'static [&'static str],
    capacity: i32,
    /// Registrations wait for the emailed link (one demo event shows the mode).
    email_confirmation: bool,
}

const BULLETIN_14_EVENTS: [Demo; 4] = [
    Demo {
        slug: "service-specifications-for-external-provision",
        title: "Service specifications for external provision",
        kind: EventKind::Workshop,
        summary: "LLCP workshop: sharing learning and defining common product tools and templates.",
        description: "One of the LLCP workshops. The aims are to share learning and start to define common product tools and templates which can be owned and developed by boroughs in greater detail to share with other boroughs. Material is posted on the Community of Practice website.",
        when: (3, 15, 13, 17),
        venue: None,
        audience: &["officers"],
        speakers: &[],
        capacity: 30,
        email_confirmation: false,
    },
    Demo {
        slug: "community-management-and-social-enterprise",
        title: "Community management and social enterprise",
        kind: EventKind::Workshop,
        summary: "LLCP workshop on community management and social enterprise.",
        description: "One of the LLCP workshops. The aims are to share learning and start to define common product tools and templates which can be owned and developed by boroughs in greater detail to share with other boroughs. Material is posted on the Community of Practice website.",
        when: (3, 21, 13, 17),
        venue: None,
        audience: &["officers"],
        speakers: &[],
        capacity: 30,
        email_confirmation: false,
    },
    Demo {
        slug: "community-engagement-lcip-workshop",
        title: "Community engagement (LCIP workshop)",
        kind: EventKind::Workshop,
        summary: "At the London Cultural Improvement Programme conference on Community Engagement.",
        description: "Cabinet Members have been invited to join us at the London Cultural Improvement Programme conference on Community Engagement, where one of the bespoke masterclasses in the afternoon will be designed for Councillors.",
        when: (3, 23, 10, 16),
        venue: None,
        audience: &["officers", "councillors"],
        speakers: &[],
        capacity: 30,
        email_confirmation: false,
    },
    Demo {
        slug: "officers-seminar-april-2011",
        title: "Seminar for officers",
        kind: EventKind::Seminar,
        summary: "The latest developments across London, and updates from the key collaborative projects.",
        description: "We will be reviewing the latest developments across London and there will be updates from the key collaborative projects funded by the Future Libraries Programme and LLCP. The bulletin gives no times; these are placeholders.",
        when: (4, 15, 10, 13),
        venue: Some(("Swiss Cottage Library", "88 Avenue Road, London", "NW3 3HA")),
        audience: &["officers"],
        speakers: &["Keynote: Society of London Treasurers (SLT)"],
        capacity: 60,
        email_confirmation: true,
    },
];

fn random_password() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

/// Loads the events into an empty database (published), then creates the demo admin
/// or gives it a new password, which is returned for printing.
pub fn load(conn: &mut DbConnection) -> Result<DemoCredentials, ApiError> {
    write_transaction(conn, |conn| {
        if events::count(conn)? == 0 {
            let at = now();
            for demo in &BULLETIN_14_EVENTS {
                let (month, day, from, to) = demo.when;
                let draft = EventDraft {
                    title: demo.title.into(),
                    slug: Slug::parse(demo.slug).ok(),
                    kind: demo.kind,
                    summary: Some(demo.summary.into()),
                    description: Some(demo.description.into()),
                    starts_at: london(month, day, from),
                    ends_at: london(month, day, to),
                    timezone: chrono_tz::Europe::London,
                    venue: demo.venue.map(|(name, address, postcode)| Venue {
                        name: name.into(),
                        address: Some(address.into()),
                        postcode: Some(postcode.into()),
                    }),
                    audience: demo.audience.iter().map(|s| s.to_string()).collect(),
                    organiser: Some("London Library Change Programme".into()),
                    speakers: demo.speakers.iter().map(|s| s.to_string()).collect(),
                    capacity: Some(demo.capacity),
                    registration_required: true,
                    registration_opens_at: None,
                    registration_closes_at: None,
                    email_confirmation: demo.email_confirmation,
                    bulletin_number: Some(14),
                };
                let row = events::insert(conn, &draft, at)?;
                events::publish(conn, row.id, at)?;
            }
            log::info!(
                "demo: loaded the {} events of bulletin 14",
                BULLETIN_14_EVENTS.len()
            );
        }
        if bulletins::find_by_number(conn, 14)?.is_none() {
            let at = now();
            let input: BulletinInput = serde_json::from_str(BULLETIN_14)
                .map_err(|e| ApiError::internal(format!("data/bulletin-14.json: {e}")))?;
            let row = bulletins::insert(conn, &input.into_values(at)?, at)?;
            bulletins::publish(conn, row.id, at)?;
            log::info!("demo: loaded bulletin 14");
        }
        let password = random_password();
        match accounts::find_by_email(conn, DEMO_ADMIN_EMAIL)? {
            Some(admin) => {
                accounts::set_password(conn, &admin.id, &passwords::hash(&password)?, now())?;
                accounts::set_role_and_disabled(conn, &admin.id, Role::Admin, false, now())?;
            }
            None => {
                let input = NewAccountInput {
                    email: Email::parse(DEMO_ADMIN_EMAIL).map_err(ApiError::internal)?,
                    password: Password::parse(&password, None)
                        .map_err(|r| ApiError::internal(r.join("; ")))?,
                    full_name: "Demo Admin".into(),
                    organisation: "London Library Change Programme".into(),
                    borough: None,
                };
                create_account(conn, &input, Role::Admin)?;
            }
        }
        Ok(DemoCredentials {
            email: DEMO_ADMIN_EMAIL.into(),
            password,
        })
    })
}
