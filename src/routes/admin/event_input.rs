//! The body admins send to create or edit an event, and its conversion into a draft.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::Slug;
use crate::domain::event::{EventDraft, EventKind, Venue, parse_audience_tag};
use crate::domain::time::{DEFAULT_TIMEZONE, InputTime, in_zone, parse_timezone, to_utc};
use crate::error::{ApiError, FieldError};
use crate::http::extract::from_value;
use crate::repo::events::EventRow;

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueInput {
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200, example = "Swiss Cottage Library")]
    pub name: String,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[validate(length(max = 16))]
    #[schema(max_length = 16, example = "NW3 3HA")]
    pub postcode: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    /// Whether people register at all; `false` shows the state `not_required`.
    #[serde(default = "default_true")]
    #[schema(default = true)]
    pub required: bool,
    /// When registration opens; absent means open once published.
    #[schema(value_type = Option<DateTime<FixedOffset>>)]
    pub opens_at: Option<InputTime>,
    /// When registration closes; absent means at the start of the event.
    #[schema(value_type = Option<DateTime<FixedOffset>>)]
    pub closes_at: Option<InputTime>,
    /// Whether each registration is held (`pending_confirmation`, `CONFIRM_MINUTES`)
    /// until the registrant follows the link emailed to them, and only then confirmed
    /// or waitlisted. Absent on a new event means the operator's default
    /// (`REGISTRATION_EMAIL_CONFIRMATION`, off unless set).
    pub email_confirmation: Option<bool>,
}

fn default_true() -> bool {
    true
}

/// A new event. It is created as an unpublished draft.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[validate(length(min = 3, max = 200))]
    #[schema(
        min_length = 3,
        max_length = 200,
        example = "Service specifications for external provision"
    )]
    pub title: String,
    /// Lower-case `a-z`, `0-9` and hyphens, with at least one letter (so it is never
    /// taken for an id); made from the title when absent.
    #[schema(
        max_length = 100,
        pattern = "^([0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$"
    )]
    pub slug: Option<String>,
    pub kind: EventKind,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    /// Any offset; stored in UTC and shown in `timezone`.
    #[schema(value_type = DateTime<FixedOffset>, example = "2011-03-15T13:00:00+00:00")]
    pub starts_at: InputTime,
    /// Must be after `starts_at`.
    #[schema(value_type = DateTime<FixedOffset>, example = "2011-03-15T17:00:00+00:00")]
    pub ends_at: InputTime,
    /// An IANA zone; `Europe/London` when absent.
    #[schema(example = "Europe/London")]
    pub timezone: Option<String>,
    #[validate(nested)]
    pub venue: Option<VenueInput>,
    /// Audience tags such as `officers`, `councillors`.
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20, value_type = Vec<AudienceTag>)]
    pub audience: Vec<String>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub organiser: Option<String>,
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub speakers: Vec<String>,
    /// Seats; `null` or absent means no limit.
    #[validate(range(min = 1, max = 100000))]
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i32>,
    #[validate(nested)]
    pub registration: Option<RegistrationInput>,
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub bulletin_number: Option<i32>,
}

/// An audience tag: lower-case `a-z`, `0-9` and hyphens.
#[derive(ToSchema)]
#[schema(pattern = "^[a-z0-9-]{1,40}$", example = "officers")]
#[allow(dead_code)]
pub struct AudienceTag(String);

/// A partial edit (JSON merge patch): send only what changes; `null` clears an
/// optional field. The result must still be a valid event.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EventPatch {
    #[schema(value_type = String, required = false, min_length = 3, max_length = 200)]
    pub title: Option<String>,
    #[schema(
        max_length = 100,
        pattern = "^([0-9]+-)*[0-9]*[a-z][a-z0-9]*(-[a-z0-9]+)*$"
    )]
    pub slug: Option<String>,
    #[schema(value_type = EventKind, required = false)]
    pub kind: Option<EventKind>,
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[schema(value_type = DateTime<FixedOffset>, required = false)]
    pub starts_at: Option<DateTime<FixedOffset>>,
    #[schema(value_type = DateTime<FixedOffset>, required = false)]
    pub ends_at: Option<DateTime<FixedOffset>>,
    pub timezone: Option<String>,
    pub venue: Option<VenueInput>,
    #[schema(max_items = 20, value_type = Option<Vec<AudienceTag>>)]
    pub audience: Option<Vec<String>>,
    #[schema(max_length = 200)]
    pub organiser: Option<String>,
    pub speakers: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i32>,
    pub registration: Option<RegistrationInput>,
    #[schema(minimum = 1)]
    pub bulletin_number: Option<i32>,
}

/// Trims, and turns blank optional text into absent.
fn optional_text(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

impl EventInput {
    /// The stored event as this body, so a merge patch can be applied to it.
    pub fn from_row(row: &EventRow) -> Self {
        let tz = &row.timezone;
        Self {
            title: row.title.clone(),
            slug: Some(row.slug.clone()),
            kind: row.kind,
            summary: row.summary.clone(),
            description: row.description.clone(),
            starts_at: in_zone(row.starts_at, tz).into(),
            ends_at: in_zone(row.ends_at, tz).into(),
            timezone: Some(row.timezone.clone()),
            venue: row.venue_name.clone().map(|name| VenueInput {
                name,
                address: row.venue_address.clone(),
                postcode: row.venue_postcode.clone(),
            }),
            audience: row.audience_list(),
            organiser: row.organiser.clone(),
            speakers: row.speaker_list(),
            capacity: row.capacity,
            registration: Some(RegistrationInput {
                required: row.registration_required,
                opens_at: row.registration_opens_at.map(|t| in_zone(t, tz).into()),
                closes_at: row.registration_closes_at.map(|t| in_zone(t, tz).into()),
                email_confirmation: Some(row.email_confirmation),
            }),
            bulletin_number: row.bulletin_number,
        }
    }

    /// Checks what field-level validation cannot, and builds the draft. `seats_taken`
    /// guards capacity on an event that already has registrations;
    /// `email_confirmation_default` applies when the body does not say.
    pub fn into_draft(
        self,
        seats_taken: i32,
        email_confirmation_default: bool,
    ) -> Result<EventDraft, ApiError> {
        let mut errors = crate::http::validation::errors_of(&self);
        let title = self.title.trim().to_string();
        if title.chars().count() < 3 && !errors.iter().any(|e| e.field == "title") {
            errors.push(FieldError::new("title", "must be 3 to 200 characters"));
        }
        let slug = match self.slug.as_deref() {
            Some(raw) => Slug::parse(raw).map(Some).unwrap_or_else(|m| {
                errors.push(FieldError::new("slug", m));
                None
            }),
            None => None,
        };
        let timezone = parse_timezone(self.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE))
            .unwrap_or_else(|m| {
                errors.push(FieldError::new("timezone", m));
                chrono_tz::Europe::London
            });
        let mut audience = Vec::new();
        for (i, raw) in self.audience.iter().enumerate() {
            match parse_audience_tag(raw) {
                Ok(tag) if !audience.contains(&tag) => audience.push(tag),
                Ok(_) => {}
                Err(m) => errors.push(FieldError::new(format!("audience[{i}]"), m)),
            }
        }
        let mut speakers = Vec::new();
        for (i, raw) in self.speakers.iter().enumerate() {
            let name = raw.trim();
            if name.is_empty() || name.chars().count() > 200 {
                errors.push(FieldError::new(
                    format!("speakers[{i}]"),
                    "must be 1 to 200 characters",
                ));
            } else {
                speakers.push(name.to_string());
            }
        }
        let venue = self.venue.and_then(|v| {
            let name = v.name.trim().to_string();
            if name.is_empty() {
                if !errors.iter().any(|e| e.field == "venue.name") {
                    errors.push(FieldError::new("venue.name", "must be 1 to 200 characters"));
                }
                return None;
            }
            Some(Venue {
                name,
                address: optional_text(v.address),
                postcode: optional_text(v.postcode).map(|p| p.to_uppercase()),
            })
        });
        let registration = self.registration.unwrap_or(RegistrationInput {
            required: true,
            opens_at: None,
            closes_at: None,
            email_confirmation: None,
        });
        let draft = EventDraft {
            title,
            slug,
            kind: self.kind,
            summary: optional_text(self.summary),
            description: optional_text(self.description),
            starts_at: to_utc(&self.starts_at.0),
            ends_at: to_utc(&self.ends_at.0),
            timezone,
            venue,
            audience,
            organiser: optional_text(self.organiser),
            speakers,
            capacity: self.capacity,
            registration_required: registration.required,
            registration_opens_at: registration.opens_at.map(|t| to_utc(&t.0)),
            registration_closes_at: registration.closes_at.map(|t| to_utc(&t.0)),
            email_confirmation: registration
                .email_confirmation
                .unwrap_or(email_confirmation_default),
            bulletin_number: self.bulletin_number,
        };
        errors.extend(draft.check(seats_taken));
        if errors.is_empty() {
            Ok(draft)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// `current` with a merge patch applied, read back as `T` (a 422 names what is wrong).
pub fn patched<T: Serialize + serde::de::DeserializeOwned + Validate>(
    current: &T,
    patch: &serde_json::Value,
) -> Result<T, ApiError> {
    let mut merged =
        serde_json::to_value(current).map_err(|e| ApiError::internal(e.to_string()))?;
    merge_patch(&mut merged, patch);
    from_value(merged)
}

/// The members a merge patch names, for the audit entry of the change.
pub fn patched_fields(patch: &serde_json::Value) -> Vec<String> {
    patch
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// RFC 7396: objects merge member by member, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(patch_members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(target_members) = target {
        for (key, value) in patch_members {
            if value.is_null() {
                target_members.remove(key);
            } else {
                merge_patch(
                    target_members.entry(key.clone()).or_insert(Value::Null),
                    value,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_replaces_merges_and_removes() {
        let mut doc =
            json!({"title": "Old", "venue": {"name": "A", "postcode": "NW3"}, "capacity": 30});
        merge_patch(
            &mut doc,
            &json!({"title": "New", "venue": {"postcode": null}, "capacity": null}),
        );
        assert_eq!(doc, json!({"title": "New", "venue": {"name": "A"}}));
    }
}
