//! Time: stored as UTC without offset, shown in the event's own time zone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

pub const DEFAULT_TIMEZONE: &str = "Europe/London";

/// Now, in UTC, to the microsecond (what PostgreSQL keeps), so a stored value reads
/// back equal on both backends.
pub fn now() -> NaiveDateTime {
    let now = Utc::now().naive_utc();
    now.with_nanosecond_truncated()
}

trait TruncateNanos {
    fn with_nanosecond_truncated(self) -> Self;
}

impl TruncateNanos for NaiveDateTime {
    fn with_nanosecond_truncated(self) -> Self {
        use chrono::Timelike;
        let micros = self.nanosecond() / 1_000;
        self.with_nanosecond(micros * 1_000).unwrap_or(self)
    }
}

pub fn to_utc(value: &DateTime<FixedOffset>) -> NaiveDateTime {
    value
        .with_timezone(&Utc)
        .naive_utc()
        .with_nanosecond_truncated()
}

pub fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| "must be an IANA time zone name such as Europe/London".into())
}

/// A stored UTC time rendered in the named zone (falls back to London if the stored
/// name is somehow unknown).
pub fn in_zone(utc: NaiveDateTime, zone: &str) -> DateTime<FixedOffset> {
    let tz = zone.parse::<Tz>().unwrap_or(chrono_tz::Europe::London);
    Utc.from_utc_datetime(&utc)
        .with_timezone(&tz)
        .fixed_offset()
}

pub fn as_utc(value: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&value)
}

/// Which end of a date-only filter value is meant.
#[derive(Clone, Copy)]
pub enum DateBound {
    /// `from=2011-03-15`: the day's first instant in London.
    StartOfDay,
    /// `to=2011-03-15`: up to the end of that day in London.
    EndOfDay,
}

/// The years a date or time given to the API may fall in, as written (before any
/// offset is applied). Both databases and every rendering (JSON, iCalendar) hold these;
/// past 9999 they do not agree, and no event of the programme is that far off.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2200;

/// The one check of the year range: `Err` with the 422 message when outside.
pub fn check_year(year: i32) -> Result<(), String> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(format!("must be in the years {FIRST_YEAR} to {LAST_YEAR}"))
    }
}

/// A time given in a request body: RFC 3339 with any offset, in the years
/// `FIRST_YEAR` to `LAST_YEAR`. Refused while the body is read, so the 422 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct InputTime(pub DateTime<FixedOffset>);

impl<'de> serde::Deserialize<'de> for InputTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use chrono::Datelike;
        let time = DateTime::<FixedOffset>::deserialize(d)?;
        check_year(time.year()).map_err(serde::de::Error::custom)?;
        Ok(Self(time))
    }
}

impl From<DateTime<FixedOffset>> for InputTime {
    fn from(time: DateTime<FixedOffset>) -> Self {
        Self(time)
    }
}

/// Why a filter time was refused: malformed (a 400, like any malformed query) or a
/// well-formed date outside the years accepted (a 422 naming the parameter).
#[derive(Debug, PartialEq, Eq)]
pub enum FilterTimeError {
    Malformed(String),
    OutOfRange(String),
}

/// A filter value: RFC 3339 (any offset) or a plain date read in London time.
pub fn parse_filter_time(raw: &str, bound: DateBound) -> Result<NaiveDateTime, FilterTimeError> {
    use chrono::Datelike;
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        check_year(t.year()).map_err(FilterTimeError::OutOfRange)?;
        return Ok(to_utc(&t));
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        FilterTimeError::Malformed("must be an RFC 3339 time or a date like 2011-03-15".into())
    })?;
    check_year(date.year()).map_err(FilterTimeError::OutOfRange)?;
    let out_of_range = || FilterTimeError::OutOfRange("date is out of range".into());
    let date = match bound {
        DateBound::StartOfDay => date,
        DateBound::EndOfDay => date.succ_opt().ok_or_else(out_of_range)?,
    };
    let midnight = date.and_hms_opt(0, 0, 0).ok_or_else(out_of_range)?;
    let local = chrono_tz::Europe::London
        .from_local_datetime(&midnight)
        .earliest()
        .ok_or_else(out_of_range)?;
    Ok(local.with_timezone(&Utc).naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn london_is_gmt_in_winter_and_bst_in_summer() {
        let march = NaiveDate::from_ymd_opt(2011, 3, 15)
            .unwrap()
            .and_hms_opt(13, 0, 0)
            .unwrap();
        assert_eq!(
            in_zone(march, DEFAULT_TIMEZONE).to_rfc3339(),
            "2011-03-15T13:00:00+00:00"
        );
        let april = NaiveDate::from_ymd_opt(2011, 4, 15)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert_eq!(
            in_zone(april, DEFAULT_TIMEZONE).to_rfc3339(),
            "2011-04-15T10:00:00+01:00"
        );
    }

    #[test]
    fn date_filters_are_london_days() {
        let from = parse_filter_time("2011-04-15", DateBound::StartOfDay).unwrap();
        assert_eq!(from.to_string(), "2011-04-14 23:00:00");
        let to = parse_filter_time("2011-04-15", DateBound::EndOfDay).unwrap();
        assert_eq!(to.to_string(), "2011-04-15 23:00:00");
        let exact = parse_filter_time("2011-03-15T13:00:00+01:00", DateBound::StartOfDay).unwrap();
        assert_eq!(exact.to_string(), "2011-03-15 12:00:00");
        assert!(matches!(
            parse_filter_time("next week", DateBound::StartOfDay),
            Err(FilterTimeError::Malformed(_))
        ));
    }

    #[test]
    fn years_outside_1900_to_2200_are_refused() {
        for raw in [
            "1899-12-31",
            "2201-01-01",
            "1899-12-31T23:00:00+00:00",
            "+10000-01-01",
        ] {
            assert!(
                parse_filter_time(raw, DateBound::StartOfDay).is_err(),
                "{raw}"
            );
        }
        assert!(matches!(
            parse_filter_time("2201-01-01", DateBound::StartOfDay),
            Err(FilterTimeError::OutOfRange(_))
        ));
        assert!(parse_filter_time("1900-01-01", DateBound::StartOfDay).is_ok());
        assert!(parse_filter_time("2200-12-31", DateBound::EndOfDay).is_ok());
        let late: Result<InputTime, _> = serde_json::from_str("\"+10000-01-01T00:00:00Z\"");
        assert!(late.is_err());
        let early: Result<InputTime, _> = serde_json::from_str("\"1899-12-31T23:59:59Z\"");
        assert!(early.is_err());
        let fine: Result<InputTime, _> = serde_json::from_str("\"2200-12-31T23:59:59-05:00\"");
        assert!(fine.is_ok());
    }

    #[test]
    fn unknown_time_zones_are_refused() {
        assert!(parse_timezone("Europe/London").is_ok());
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert!(parse_timezone("europe/london").is_err());
    }

    #[test]
    fn a_parsed_zone_is_stored_under_the_name_it_was_given() {
        for zone in chrono_tz::TZ_VARIANTS {
            assert_eq!(parse_timezone(zone.name()).map(Tz::name), Ok(zone.name()));
        }
    }
}

/// A time as RFC 3339 with a numeric offset (`+00:00`, never `Z`), so that London
/// times read the same way in winter and summer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub DateTime<FixedOffset>);

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
    }
}

impl utoipa::PartialSchema for Rfc3339 {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .examples([serde_json::json!("2011-03-15T13:00:00+00:00")])
            .into()
    }
}

impl utoipa::ToSchema for Rfc3339 {}

/// A stored UTC time rendered in the named zone, for responses.
pub fn shown_in(utc: NaiveDateTime, zone: &str) -> Rfc3339 {
    Rfc3339(in_zone(utc, zone))
}

/// A stored UTC time rendered as UTC with `+00:00`.
pub fn shown_utc(utc: NaiveDateTime) -> Rfc3339 {
    Rfc3339(as_utc(utc).fixed_offset())
}

/// The contract's view of a filter time (`from`, `to`): a date or an RFC 3339 time, as
/// `parse_filter_time` reads them.
pub struct FilterTime;

impl utoipa::PartialSchema for FilterTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
        use utoipa::openapi::{KnownFormat, SchemaFormat};
        let string = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        AnyOfBuilder::new()
            .item(string(KnownFormat::Date))
            .item(string(KnownFormat::DateTime))
            .description(Some(
                "A date (read as that day in London) or an RFC 3339 time",
            ))
            .into()
    }
}

impl utoipa::ToSchema for FilterTime {}
