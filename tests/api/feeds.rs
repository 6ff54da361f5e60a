//! iCalendar feeds, read back with an independent parser (the `ical` crate).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

struct Parsed {
    calendar: ical::parser::ical::component::IcalCalendar,
    text: String,
}

async fn fetch(app: &TestApp, path: &str) -> Parsed {
    let response = app.get(path).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = calendars
        .next()
        .expect("one calendar")
        .expect("valid iCalendar");
    assert!(calendars.next().is_none());
    Parsed { calendar, text }
}

fn prop<'a>(
    properties: &'a [ical::property::Property],
    name: &str,
) -> Option<&'a ical::property::Property> {
    properties.iter().find(|p| p.name == name)
}

fn value(properties: &[ical::property::Property], name: &str) -> String {
    prop(properties, name)
        .and_then(|p| p.value.clone())
        .unwrap_or_default()
}

/// A property's value from the raw text, unfolded exactly as RFC 5545 says (remove each
/// CRLF followed by one space). The `ical` parser also trims spaces at fold points,
/// which would hide a folding bug, so round trips are checked on the raw text.
fn raw_value(text: &str, name: &str) -> String {
    let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
    unfolded
        .split("\r\n")
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .unwrap_or_default()
        .to_string()
}

/// RFC 5545 TEXT unescaping.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

async fn published(app: &TestApp, admin: &str, body: Value) -> Value {
    app.published_event(admin, &body).await
}

#[tokio::test]
async fn the_feed_is_valid_icalendar_with_london_times_and_a_vtimezone() {
    let (app, admin) = with_admin().await;
    let mut winter = event_body("Winter workshop", 10);
    winter["starts_at"] = json!("2031-01-15T13:00:00+00:00");
    winter["ends_at"] = json!("2031-01-15T17:00:00+00:00");
    published(&app, &admin, winter).await;
    let mut summer = event_body("Summer seminar", 10);
    summer["kind"] = json!("seminar");
    summer["starts_at"] = json!("2031-07-15T09:00:00Z");
    summer["ends_at"] = json!("2031-07-15T12:00:00Z");
    published(&app, &admin, summer).await;

    let parsed = fetch(&app, "/api/v1/events.ics").await;
    assert_eq!(parsed.calendar.timezones.len(), 1);
    assert_eq!(
        value(&parsed.calendar.timezones[0].properties, "TZID"),
        "Europe/London"
    );
    assert_eq!(
        parsed.text.matches("PRODID:").count(),
        1,
        "exactly one PRODID"
    );
    let events = &parsed.calendar.events;
    assert_eq!(events.len(), 2);
    let start = prop(&events[0].properties, "DTSTART").unwrap();
    assert_eq!(start.value.as_deref(), Some("20310115T130000"));
    assert_eq!(
        start.params.as_ref().unwrap()[0],
        ("TZID".to_string(), vec!["Europe/London".to_string()])
    );
    assert_eq!(
        value(&events[1].properties, "DTSTART"),
        "20310715T100000",
        "09:00 UTC is 10:00 BST"
    );
    for event in events {
        for required in [
            "UID", "DTSTAMP", "SEQUENCE", "SUMMARY", "URL", "STATUS", "LOCATION",
        ] {
            assert!(prop(&event.properties, required).is_some(), "{required}");
        }
    }
    for line in parsed.text.split("\r\n") {
        assert!(line.len() <= 75, "folded to 75 octets: {line:?}");
    }
}

#[tokio::test]
async fn the_feed_takes_the_listing_filters() {
    let (app, admin) = with_admin().await;
    published(&app, &admin, event_body("A workshop", 5)).await;
    let mut seminar = event_body("A seminar", 6);
    seminar["kind"] = json!("seminar");
    published(&app, &admin, seminar).await;
    let mut past = event_body("A past workshop", -30);
    past["starts_at"] = json!("2011-03-15T13:00:00Z");
    past["ends_at"] = json!("2011-03-15T17:00:00Z");
    published(&app, &admin, past).await;
    app.create_event(&admin, &event_body("A draft", 5)).await;

    let titles = |parsed: &Parsed| -> Vec<String> {
        parsed
            .calendar
            .events
            .iter()
            .map(|e| value(&e.properties, "SUMMARY"))
            .collect()
    };
    assert_eq!(
        titles(&fetch(&app, "/api/v1/events.ics").await),
        ["A workshop", "A seminar"]
    );
    assert_eq!(
        titles(&fetch(&app, "/api/v1/events.ics?kind=seminar").await),
        ["A seminar"]
    );
    assert_eq!(
        titles(&fetch(&app, "/api/v1/events.ics?from=2011-01-01&limit=1").await),
        ["A past workshop"]
    );
    let bad = app
        .get("/api/v1/events.ics?from=someday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn uids_are_stable_and_sequence_grows_with_each_change() {
    let (app, admin) = with_admin().await;
    let event = published(&app, &admin, event_body("Workshop", 7)).await;
    let path = format!("/api/v1/events/{}/ics", event["slug"].as_str().unwrap());
    let first = fetch(&app, &path).await;
    let uid = value(&first.calendar.events[0].properties, "UID");
    assert_eq!(value(&first.calendar.events[0].properties, "SEQUENCE"), "0");
    let again = fetch(&app, &path).await;
    assert_eq!(
        first.text, again.text,
        "an unchanged event serialises identically"
    );

    app.patch(&format!("/api/v1/admin/events/{}", event["id"]))
        .bearer_auth(&admin)
        .json(&json!({"summary": "Moved rooms"}))
        .send()
        .await
        .unwrap();
    let edited = fetch(&app, &path).await;
    assert_eq!(value(&edited.calendar.events[0].properties, "UID"), uid);
    assert_eq!(
        value(&edited.calendar.events[0].properties, "SEQUENCE"),
        "1"
    );

    app.cancel_event(&admin, &event["id"], "Venue closed").await;
    let cancelled = fetch(&app, &path).await;
    let props = &cancelled.calendar.events[0].properties;
    assert_eq!(value(props, "STATUS"), "CANCELLED");
    assert_eq!(value(props, "SEQUENCE"), "2");
    assert_eq!(value(props, "UID"), uid);
}

#[tokio::test]
async fn tricky_text_round_trips() {
    let (app, admin) = with_admin().await;
    let mut body = event_body("Commas, semicolons; and a back\\slash — Café Société", 7);
    body["description"] = json!(
        "Line one,\nline two; with ünïcödé and a very long sentence that must be folded across several lines of the calendar file."
    );
    body["venue"] = json!({"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"});
    let event = published(&app, &admin, body).await;
    let parsed = fetch(&app, &format!("/api/v1/events/{}/ics", event["id"])).await;
    assert_eq!(
        parsed.calendar.events.len(),
        1,
        "the independent parser reads it"
    );
    let text = &parsed.text;
    for line in text.split("\r\n") {
        assert!(
            line.len() <= 75,
            "folded to 75 octets, not characters: {line:?}"
        );
    }
    assert_eq!(
        unescape(&raw_value(text, "SUMMARY")),
        "Commas, semicolons; and a back\\slash — Café Société"
    );
    let description = unescape(&raw_value(text, "DESCRIPTION"));
    assert!(
        description.ends_with("Line one,\nline two; with ünïcödé and a very long sentence that must be folded across several lines of the calendar file."),
        "{description}"
    );
    assert_eq!(
        unescape(&raw_value(text, "LOCATION")),
        "Swiss Cottage Library, 88 Avenue Road, London, NW3 3HA"
    );
}

#[tokio::test]
async fn a_draft_or_unknown_event_has_no_calendar() {
    let (app, admin) = with_admin().await;
    let draft = app.create_event(&admin, &event_body("Draft", 7)).await;
    for path in [
        format!("/api/v1/events/{}/ics", draft["id"]),
        "/api/v1/events/nothing-here/ics".to_string(),
    ] {
        let response = app.get(&path).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn feeds_are_cacheable_and_open_to_any_origin() {
    let app = spawn_app().await;
    let response = app.get_cross_origin("/api/v1/events.ics").await;
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .get("/api/v1/events.ics")
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

async fn json_ld(app: &TestApp, slug: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/events/{slug}"))
        .header("Accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/ld+json");
    response.json().await.unwrap()
}

#[tokio::test]
async fn an_event_is_available_as_schema_org_json_ld() {
    let (app, admin) = with_admin().await;
    let mut body = event_body("Seminar at Swiss Cottage", 10);
    body["starts_at"] = json!("2031-04-15T09:00:00Z");
    body["ends_at"] = json!("2031-04-15T12:00:00Z");
    body["capacity"] = json!(1);
    body["organiser"] = json!("London Library Change Programme");
    let event = published(&app, &admin, body).await;
    let slug = event["slug"].as_str().unwrap();

    let ld = json_ld(&app, slug).await;
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "Event");
    assert_eq!(ld["name"], "Seminar at Swiss Cottage");
    assert_eq!(ld["startDate"], "2031-04-15T10:00:00+01:00");
    assert_eq!(ld["eventStatus"], "https://schema.org/EventScheduled");
    assert_eq!(ld["location"]["name"], "Swiss Cottage Library");
    assert_eq!(ld["location"]["address"]["postalCode"], "NW3 3HA");
    assert_eq!(ld["organizer"]["name"], "London Library Change Programme");
    assert_eq!(
        ld["offers"]["availability"],
        "https://schema.org/LimitedAvailability"
    );
    assert_eq!(
        ld["offers"]["url"],
        format!("http://hub.test/events/{slug}/register"),
        "the offer links to the page people register on"
    );

    app.register_email(slug, "ada@camden.gov.uk").await;
    assert_eq!(
        json_ld(&app, slug).await["offers"]["availability"],
        "https://schema.org/SoldOut"
    );

    app.cancel_event(&admin, &event["id"], "Venue closed").await;
    assert_eq!(
        json_ld(&app, slug).await["eventStatus"],
        "https://schema.org/EventCancelled"
    );
    let plain: Value = app.public_json(&format!("/api/v1/events/{slug}")).await;
    assert_eq!(plain["slug"], slug, "plain JSON without the Accept header");
}
