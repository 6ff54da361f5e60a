//! The public event listing and event pages: what the public sees, filters, paging,
//! the event JSON, times in the event's own zone, and the registration state.

use std::collections::HashMap;

use reqwest::{Response, StatusCode, Url};
use serde_json::{Value, json};

use crate::helpers::*;

/// A valid event body at fixed times (RFC 3339 strings).
fn event_at(title: &str, starts_at: &str, ends_at: &str) -> Value {
    let mut body = event_body(title, 1);
    body["starts_at"] = json!(starts_at);
    body["ends_at"] = json!(ends_at);
    body
}

/// `GET /api/v1/events` with the query pairs; asserts 200 and returns the response.
async fn list_response(app: &TestApp, query: &[(&str, &str)]) -> Response {
    let response = app.get("/api/v1/events").query(query).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "listing with {query:?}");
    response
}

/// The listing's JSON body.
async fn list(app: &TestApp, query: &[(&str, &str)]) -> Value {
    list_response(app, query).await.json().await.unwrap()
}

/// The titles of a listing's items, in order.
fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items is an array")
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_string())
        .collect()
}

/// The titles the listing shows for the query.
async fn listed_titles(app: &TestApp, query: &[(&str, &str)]) -> Vec<String> {
    titles(&list(app, query).await)
}

async fn get_event(app: &TestApp, id_or_slug: &str) -> Response {
    app.get(&format!("/api/v1/events/{id_or_slug}"))
        .send()
        .await
        .unwrap()
}

/// The public JSON of a published event.
async fn public_event(app: &TestApp, id_or_slug: &str) -> Value {
    let response = get_event(app, id_or_slug).await;
    assert_eq!(response.status(), StatusCode::OK, "GET event {id_or_slug}");
    response.json().await.unwrap()
}

/// A new app with these event bodies published, in turn.
async fn app_with_bodies(bodies: &[Value]) -> TestApp {
    let (app, token) = with_admin().await;
    for body in bodies {
        app.published_event(&token, body).await;
    }
    app
}

/// A new app with events published, each `(title, days ahead)`.
async fn app_with_events(events: &[(&str, i64)]) -> TestApp {
    let bodies: Vec<Value> = events
        .iter()
        .map(|&(title, days)| event_body(title, days))
        .collect();
    app_with_bodies(&bodies).await
}

/// A new app with events published at fixed times, each `(title, starts_at, ends_at)`.
async fn app_with_events_at(events: &[(&str, &str, &str)]) -> TestApp {
    let bodies: Vec<Value> = events
        .iter()
        .map(|&(title, starts, ends)| event_at(title, starts, ends))
        .collect();
    app_with_bodies(&bodies).await
}

/// A listing's query and the titles it shows, in order.
type Listing<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

/// Asserts, for each `(query, titles)`, the titles the listing shows, in order.
async fn assert_listings(app: &TestApp, cases: &[Listing<'_>]) {
    for (query, expected) in cases {
        assert_eq!(
            listed_titles(app, query).await,
            *expected,
            "listing with {query:?}"
        );
    }
}

/// Asserts that each id or slug is a 404 `not-found`.
async fn assert_not_found(app: &TestApp, ids_or_slugs: &[&str]) {
    for id_or_slug in ids_or_slugs {
        let response = get_event(app, id_or_slug).await;
        assert_problem_in(id_or_slug, response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

/// Asserts that the listing refuses the query with a 400 `bad-request`.
async fn assert_bad_listing(app: &TestApp, query: &[(&str, &str)]) {
    app.assert_bad_query(None, "/api/v1/events", query).await;
}

/// Publishes the body as a new admin; the event's public JSON, found by its slug.
async fn published_and_shown(app: &TestApp, body: &Value) -> Value {
    let token = app.admin_token().await;
    let event = app.published_event(&token, body).await;
    public_event(app, event["slug"].as_str().unwrap()).await
}

/// The `Link` header as rel → target.
fn links(response: &Response) -> HashMap<String, String> {
    let Some(header) = response.headers().get("link") else {
        return HashMap::new();
    };
    header
        .to_str()
        .unwrap()
        .split(',')
        .map(|part| {
            let part = part.trim();
            let target = part
                .strip_prefix('<')
                .and_then(|rest| rest.split_once('>'))
                .map(|(target, _)| target.to_string())
                .unwrap_or_else(|| panic!("link target in {part:?}"));
            let rel = part
                .split_once("rel=\"")
                .and_then(|(_, rest)| rest.split_once('"'))
                .map(|(rel, _)| rel.to_string())
                .unwrap_or_else(|| panic!("rel in {part:?}"));
            (rel, target)
        })
        .collect()
}

/// A link target resolved against the public base URL.
fn link_url(target: &str) -> Url {
    Url::parse(BASE_URL).unwrap().join(target).unwrap()
}

/// A link target's query as name → value.
fn link_query(target: &str) -> HashMap<String, String> {
    link_url(target).query_pairs().into_owned().collect()
}

// --- visibility ---------------------------------------------------------------------

#[tokio::test]
async fn the_listing_shows_only_published_events() {
    let (app, token) = with_admin().await;
    app.create_event(&token, &event_body("Draft workshop", 5))
        .await;
    app.published_event(&token, &event_body("Published workshop", 6))
        .await;

    let body = list(&app, &[]).await;

    assert_eq!(titles(&body), ["Published workshop"]);
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn a_draft_is_not_found_by_id_or_by_slug() {
    let (app, token) = with_admin().await;
    let draft = app
        .create_event(&token, &event_body("Draft workshop", 5))
        .await;
    let id = draft["id"].as_i64().unwrap().to_string();
    let slug = draft["slug"].as_str().unwrap();

    assert_not_found(&app, &[&id, slug]).await;
}

#[tokio::test]
async fn an_unknown_event_is_not_found() {
    let app = spawn_app().await;
    assert_not_found(&app, &["999999", "no-such-event"]).await;
}

// --- time filters and order -----------------------------------------------------------

#[tokio::test]
async fn the_listing_shows_upcoming_events_only_by_default() {
    let app = app_with_events(&[
        ("Last month's workshop", -30),
        ("Next month's workshop", 30),
    ])
    .await;

    let body = list(&app, &[]).await;

    assert_eq!(titles(&body), ["Next month's workshop"]);
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn from_a_past_date_includes_past_events() {
    let app = app_with_events(&[
        ("Last month's workshop", -30),
        ("Next month's workshop", 30),
    ])
    .await;

    assert_listings(
        &app,
        &[(
            &[("from", "2011-01-01")],
            &["Last month's workshop", "Next month's workshop"],
        )],
    )
    .await;
}

#[tokio::test]
async fn events_are_listed_soonest_first() {
    let app = app_with_events(&[
        ("In thirty days", 30),
        ("In five days", 5),
        ("In fifteen days", 15),
    ])
    .await;

    assert_listings(
        &app,
        &[(&[], &["In five days", "In fifteen days", "In thirty days"])],
    )
    .await;
}

#[tokio::test]
async fn to_with_a_plain_date_includes_that_whole_london_day() {
    // 15 July is in BST: the London day runs from 14 July 23:00Z to 15 July 23:00Z.
    let app = app_with_events_at(&[
        (
            "Morning of the 15th",
            "2031-07-15T08:00:00Z",
            "2031-07-15T09:00:00Z",
        ),
        (
            "Late on the 15th",
            "2031-07-15T22:30:00Z",
            "2031-07-15T22:45:00Z",
        ),
        (
            "Just after midnight on the 16th",
            "2031-07-15T23:30:00Z",
            "2031-07-15T23:45:00Z",
        ),
    ])
    .await;

    assert_listings(
        &app,
        &[(
            &[("to", "2031-07-15")],
            &["Morning of the 15th", "Late on the 15th"],
        )],
    )
    .await;
}

#[tokio::test]
async fn from_with_a_plain_date_starts_at_london_midnight() {
    // 15 July is in BST: its London day starts at 14 July 23:00Z.
    let app = app_with_events_at(&[
        (
            "Ends at 23:30 BST on the 14th",
            "2031-07-14T21:00:00Z",
            "2031-07-14T22:30:00Z",
        ),
        (
            "Ends at 00:30 BST on the 15th",
            "2031-07-14T22:00:00Z",
            "2031-07-14T23:30:00Z",
        ),
    ])
    .await;

    assert_listings(
        &app,
        &[(
            &[("from", "2031-07-15")],
            &["Ends at 00:30 BST on the 15th"],
        )],
    )
    .await;
}

#[tokio::test]
async fn from_and_to_accept_rfc3339_times_with_any_offset() {
    let app = app_with_events_at(&[
        (
            "Nine o'clock",
            "2031-03-10T09:00:00Z",
            "2031-03-10T10:00:00Z",
        ),
        ("Noon", "2031-03-10T12:00:00Z", "2031-03-10T13:00:00Z"),
        (
            "Three o'clock",
            "2031-03-10T15:00:00Z",
            "2031-03-10T16:00:00Z",
        ),
    ])
    .await;
    // 11:00Z and 14:00Z, written with other offsets.
    let from = "2031-03-10T16:00:00+05:00";
    let to = "2031-03-10T09:00:00-05:00";

    assert_listings(
        &app,
        &[
            (&[("from", from)], &["Noon", "Three o'clock"]),
            (&[("to", to)], &["Nine o'clock", "Noon"]),
            (&[("from", from), ("to", to)], &["Noon"]),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_malformed_from_or_to_is_a_bad_request() {
    let app = spawn_app().await;
    for query in [
        [("from", "next week")],
        [("from", "2031-02-30")],
        [("to", "15/03/2031")],
    ] {
        assert_bad_listing(&app, &query).await;
    }
}

// --- kind, audience and text filters --------------------------------------------------

#[tokio::test]
async fn kind_filters_the_listing() {
    let mut seminar = event_body("A seminar", 6);
    seminar["kind"] = json!("seminar");
    let app = app_with_bodies(&[event_body("A workshop", 5), seminar]).await;

    assert_listings(
        &app,
        &[
            (&[("kind", "seminar")], &["A seminar"]),
            (&[("kind", "workshop")], &["A workshop"]),
            (&[("kind", "conference")], &[]),
        ],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_kind_is_a_bad_request() {
    let app = spawn_app().await;
    assert_bad_listing(&app, &[("kind", "party")]).await;
}

#[tokio::test]
async fn audience_matches_whole_tags_only() {
    let mut for_officers = event_body("For officers", 5);
    for_officers["audience"] = json!(["officers"]);
    let mut for_one_officer = event_body("For one officer and councillors", 6);
    for_one_officer["audience"] = json!(["officer", "councillors"]);
    let app = app_with_bodies(&[for_officers, for_one_officer]).await;

    assert_listings(
        &app,
        &[
            (
                &[("audience", "officer")],
                &["For one officer and councillors"],
            ),
            (&[("audience", "officers")], &["For officers"]),
            (
                &[("audience", "councillors")],
                &["For one officer and councillors"],
            ),
            (&[("audience", "council")], &[]),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_malformed_audience_is_a_bad_request() {
    let app = spawn_app().await;
    assert_bad_listing(&app, &[("audience", "chief executives")]).await;
}

#[tokio::test]
async fn q_searches_title_summary_and_description_ignoring_case() {
    let mut in_summary = event_body("Shelving", 2);
    in_summary["summary"] = json!("How rotation keeps shelves fresh");
    let mut in_description = event_body("Collections", 3);
    in_description["description"] = json!("We will discuss ROTATION plans.");
    let app = app_with_bodies(&[
        event_body("Stock Rotation in practice", 1),
        in_summary,
        in_description,
        event_body("Unrelated", 4),
    ])
    .await;

    let expected = ["Stock Rotation in practice", "Shelving", "Collections"];
    for q in ["rotation", "ROTATION", "RoTaTiOn"] {
        assert_listings(&app, &[(&[("q", q)], &expected)]).await;
    }
}

#[tokio::test]
async fn q_matches_non_ascii_text_in_any_letter_case() {
    let app = app_with_events(&[("Évening at the Café Société", 1), ("Unrelated", 2)]).await;

    for q in ["Société", "société", "SOCIÉTÉ", "évening", "CAFÉ"] {
        assert_listings(&app, &[(&[("q", q)], &["Évening at the Café Société"])]).await;
    }
}

#[tokio::test]
async fn percent_and_underscore_in_q_are_literal() {
    let app = app_with_events(&[
        ("Save 50% on stock", 1),
        ("Top 500 titles", 2),
        ("stock_rotation plan", 3),
        ("stock rotation plan", 4),
    ])
    .await;

    assert_listings(
        &app,
        &[
            (&[("q", "50%")], &["Save 50% on stock"]),
            (&[("q", "k_r")], &["stock_rotation plan"]),
            (&[("q", "%")], &["Save 50% on stock"]),
            (&[("q", "_")], &["stock_rotation plan"]),
        ],
    )
    .await;
}

// --- the envelope and paging ------------------------------------------------------------

#[tokio::test]
async fn the_listing_is_an_envelope_with_items_total_limit_and_offset() {
    let app = app_with_events(&[("First", 1), ("Second", 2), ("Third", 3)]).await;

    let body = list(&app, &[("limit", "2"), ("offset", "1")]).await;

    assert_eq!(titles(&body), ["Second", "Third"]);
    assert_eq!(body["total"], 3);
    assert_eq!(body["limit"], 2);
    assert_eq!(body["offset"], 1);
}

#[tokio::test]
async fn a_limit_outside_1_to_100_is_a_bad_request() {
    let app = spawn_app().await;
    for limit in ["0", "101"] {
        assert_bad_listing(&app, &[("limit", limit)]).await;
    }
    // The bounds themselves are fine.
    for limit in ["1", "100"] {
        list(&app, &[("limit", limit)]).await;
    }
}

#[tokio::test]
async fn a_negative_offset_is_a_bad_request() {
    let app = spawn_app().await;
    assert_bad_listing(&app, &[("offset", "-1")]).await;
}

#[tokio::test]
async fn a_q_over_200_characters_is_a_bad_request() {
    let app = spawn_app().await;
    let q = "a".repeat(201);
    assert_bad_listing(&app, &[("q", q.as_str())]).await;
}

#[tokio::test]
async fn the_default_limit_is_20() {
    let (app, token) = with_admin().await;
    for day in 1..=21 {
        app.published_event(&token, &event_body(&format!("Event {day:02}"), day))
            .await;
    }

    let body = list(&app, &[]).await;

    assert_eq!(body["limit"], 20);
    assert_eq!(body["offset"], 0);
    assert_eq!(body["total"], 21);
    assert_eq!(body["items"].as_array().unwrap().len(), 20);
    assert_eq!(titles(&body)[19], "Event 20");
}

#[tokio::test]
async fn the_link_header_names_next_and_prev_pages_keeping_the_filters() {
    let (app, token) = with_admin().await;
    for day in 1..=5 {
        let mut seminar = event_body(&format!("Review seminar {day}"), day);
        seminar["kind"] = json!("seminar");
        app.published_event(&token, &seminar).await;
    }
    app.published_event(&token, &event_body("Review workshop", 6))
        .await;
    let filters = [("kind", "seminar"), ("q", "review seminar")];

    let response = list_response(
        &app,
        &[filters[0], filters[1], ("limit", "2"), ("offset", "2")],
    )
    .await;
    let page_links = links(&response);
    let body: Value = response.json().await.unwrap();
    assert_eq!(titles(&body), ["Review seminar 3", "Review seminar 4"]);

    let next = link_query(&page_links["next"]);
    let prev = link_query(&page_links["prev"]);
    for query in [&next, &prev] {
        assert_eq!(query["kind"], "seminar");
        assert_eq!(query["q"], "review seminar");
        assert_eq!(query["limit"], "2");
    }
    assert_eq!(next["offset"], "4");
    assert_eq!(prev["offset"], "0");
    assert_eq!(link_url(&page_links["next"]).path(), "/api/v1/events");

    // Following `next` gives the last page, which has only a `prev`.
    let next_url = link_url(&page_links["next"]);
    let last = app
        .get(&format!(
            "{}?{}",
            next_url.path(),
            next_url.query().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(last.status(), StatusCode::OK);
    let last_links = links(&last);
    let last_body: Value = last.json().await.unwrap();
    assert_eq!(titles(&last_body), ["Review seminar 5"]);
    assert_eq!(last_body["total"], 5);
    assert!(!last_links.contains_key("next"), "{last_links:?}");
    assert_eq!(link_query(&last_links["prev"])["offset"], "2");
}

#[tokio::test]
async fn there_is_no_link_header_when_one_page_holds_everything() {
    let app = app_with_events(&[("First", 1), ("Second", 2)]).await;

    let response = list_response(&app, &[("limit", "2")]).await;

    assert!(response.headers().get("link").is_none());
}

// --- one event ----------------------------------------------------------------------------

#[tokio::test]
async fn an_event_is_found_by_id_and_by_slug() {
    let (app, token) = with_admin().await;
    let event = app
        .published_event(&token, &event_body("Community engagement", 5))
        .await;
    let id = event["id"].as_i64().unwrap();

    let by_id = public_event(&app, &id.to_string()).await;
    let by_slug = public_event(&app, "community-engagement").await;

    assert_eq!(by_id["id"], id);
    assert_eq!(by_slug["id"], id);
    assert_eq!(by_id, by_slug);
}

#[tokio::test]
async fn an_event_with_a_numeric_title_is_found_by_its_self_link() {
    let (app, token) = with_admin().await;
    let event = app.published_event(&token, &event_body("2031", 5)).await;
    let self_link = Url::parse(event["links"]["self"].as_str().unwrap()).unwrap();

    let response = get_event(&app, self_link.path().trim_start_matches("/api/v1/events/")).await;

    assert_eq!(
        response.status(),
        StatusCode::OK,
        "GET {self_link} (slug {})",
        event["slug"]
    );
    let found: Value = response.json().await.unwrap();
    assert_eq!(found["id"], event["id"]);
}

#[tokio::test]
async fn a_numeric_slug_never_leads_to_another_event() {
    let (app, token) = with_admin().await;
    let first = app
        .published_event(&token, &event_body("First workshop", 5))
        .await;
    let mut body = event_body("Second workshop", 6);
    body["slug"] = json!(first["id"].as_i64().unwrap().to_string());

    let response = app
        .post("/api/v1/admin/events")
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();

    // Either such a slug is refused, or the event's own link leads to it.
    if response.status() == StatusCode::UNPROCESSABLE_ENTITY {
        let problem =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(error_fields(&problem), ["slug"]);
        return;
    }
    assert_eq!(response.status(), StatusCode::CREATED);
    let second: Value = response.json().await.unwrap();
    let second = app
        .publish_event(&token, second["id"].as_i64().unwrap())
        .await;
    let self_link = Url::parse(second["links"]["self"].as_str().unwrap()).unwrap();
    let found = public_event(&app, self_link.path().trim_start_matches("/api/v1/events/")).await;
    assert_eq!(
        found["title"], "Second workshop",
        "GET {self_link} gave another event"
    );
}

#[tokio::test]
async fn event_json_has_the_documented_fields() {
    let (app, token) = with_admin().await;
    let body = json!({
        "title": "Service specifications for external provision",
        "slug": "service-specifications",
        "kind": "seminar",
        "summary": "What to put in a specification",
        "description": "A half-day seminar on **specifications**.",
        "starts_at": "2031-01-15T13:00:00+00:00",
        "ends_at": "2031-01-15T17:00:00+00:00",
        "timezone": "Europe/London",
        "venue": {"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"},
        "audience": ["officers", "councillors"],
        "organiser": "LLCP programme team",
        "speakers": ["Ann Example", "Bo Example"],
        "capacity": 40,
        "registration": {"required": true, "opens_at": "2030-12-01T09:00:00+00:00", "closes_at": "2031-01-14T17:00:00+00:00"},
        "bulletin_number": 14,
    });
    let id = app.published_event(&token, &body).await["id"]
        .as_i64()
        .unwrap();

    let event = public_event(&app, &id.to_string()).await;

    assert_eq!(event["id"], id);
    assert_eq!(event["slug"], "service-specifications");
    assert_eq!(
        event["title"],
        "Service specifications for external provision"
    );
    assert_eq!(event["kind"], "seminar");
    assert_eq!(event["summary"], "What to put in a specification");
    assert_eq!(
        event["description"],
        "A half-day seminar on **specifications**."
    );
    assert_eq!(event["starts_at"], "2031-01-15T13:00:00+00:00");
    assert_eq!(event["ends_at"], "2031-01-15T17:00:00+00:00");
    assert_eq!(event["timezone"], "Europe/London");
    assert_eq!(
        event["venue"],
        json!({"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"})
    );
    assert_eq!(event["audience"], json!(["officers", "councillors"]));
    assert_eq!(event["organiser"], "LLCP programme team");
    assert_eq!(event["speakers"], json!(["Ann Example", "Bo Example"]));
    assert_eq!(event["capacity"], 40);
    assert_eq!(event["seats_remaining"], 40);
    assert_eq!(
        event["registration"]["opens_at"],
        "2030-12-01T09:00:00+00:00"
    );
    assert_eq!(
        event["registration"]["closes_at"],
        "2031-01-14T17:00:00+00:00"
    );
    assert!(event["registration"]["state"].is_string());
    assert_eq!(event["status"], "scheduled");
    assert_eq!(event["bulletin_number"], 14);
    assert_eq!(
        event["links"],
        json!({
            "self": format!("{BASE_URL}/api/v1/events/service-specifications"),
            "ics": format!("{BASE_URL}/api/v1/events/service-specifications/ics"),
            "register": format!("{BASE_URL}/api/v1/events/service-specifications/registrations"),
        })
    );
    let updated_at = event["updated_at"]
        .as_str()
        .expect("updated_at is a string");
    assert!(
        chrono::DateTime::parse_from_rfc3339(updated_at).is_ok(),
        "updated_at {updated_at:?} is RFC 3339"
    );
}

#[tokio::test]
async fn the_listing_items_are_the_same_event_json() {
    let (app, token) = with_admin().await;
    let event = app
        .published_event(&token, &event_body("Community engagement", 5))
        .await;

    let body = list(&app, &[]).await;

    assert_eq!(
        body["items"][0],
        public_event(&app, event["slug"].as_str().unwrap()).await
    );
}

// --- times --------------------------------------------------------------------------------

/// Publishes an event at these times and asserts the `starts_at` and `ends_at` its
/// public JSON shows; returns the app, to list it.
async fn assert_shown_times(
    title: &str,
    (starts, ends): (&str, &str),
    (shown_starts, shown_ends): (&str, &str),
) -> TestApp {
    let (app, token) = with_admin().await;
    let id = event_id(
        &app.published_event(&token, &event_at(title, starts, ends))
            .await,
    );
    let event = public_event(&app, &id.to_string()).await;
    assert_eq!(event["starts_at"], shown_starts, "{title}: starts_at");
    assert_eq!(event["ends_at"], shown_ends, "{title}: ends_at");
    app
}

#[tokio::test]
async fn winter_times_are_shown_in_gmt() {
    let sent = ("2031-01-15T13:00:00Z", "2031-01-15T17:00:00Z");
    let shown = ("2031-01-15T13:00:00+00:00", "2031-01-15T17:00:00+00:00");
    assert_shown_times("Winter workshop", sent, shown).await;
}

#[tokio::test]
async fn summer_times_are_shown_in_bst() {
    let sent = ("2031-07-15T12:00:00Z", "2031-07-15T16:00:00Z");
    let shown = ("2031-07-15T13:00:00+01:00", "2031-07-15T17:00:00+01:00");
    assert_shown_times("Summer workshop", sent, shown).await;
}

#[tokio::test]
async fn a_time_sent_with_another_offset_is_stored_as_the_same_instant() {
    let sent = ("2031-01-15T15:00:00+02:00", "2031-01-15T19:00:00+02:00");
    let shown = ("2031-01-15T13:00:00+00:00", "2031-01-15T17:00:00+00:00");
    let app = assert_shown_times("Workshop booked from Athens", sent, shown).await;

    // The stored instant is what the filters compare: 13:00Z is not before 13:00Z.
    assert!(
        listed_titles(&app, &[("to", "2031-01-15T13:00:00Z")])
            .await
            .is_empty()
    );
    assert_eq!(
        listed_titles(&app, &[("to", "2031-01-15T13:00:01Z")]).await,
        ["Workshop booked from Athens"]
    );
}

#[tokio::test]
async fn times_are_shown_in_the_event_s_own_timezone() {
    let (app, token) = with_admin().await;
    let mut body = event_at(
        "Transatlantic call",
        "2031-01-15T15:00:00Z",
        "2031-01-15T16:00:00Z",
    );
    body["timezone"] = json!("America/New_York");
    let id = app.published_event(&token, &body).await["id"]
        .as_i64()
        .unwrap();

    let event = public_event(&app, &id.to_string()).await;

    assert_eq!(event["timezone"], "America/New_York");
    assert_eq!(event["starts_at"], "2031-01-15T10:00:00-05:00");
    assert_eq!(event["ends_at"], "2031-01-15T11:00:00-05:00");
}

// --- registration state and seats -------------------------------------------------------

#[tokio::test]
async fn registration_is_open_for_a_future_event_with_all_seats_remaining() {
    let app = spawn_app().await;

    let event = published_and_shown(&app, &event_body("Open workshop", 10)).await;

    assert_eq!(event["registration"]["state"], "open");
    assert_eq!(event["capacity"], 30);
    assert_eq!(event["seats_remaining"], 30);
}

#[tokio::test]
async fn registration_is_not_yet_open_before_opens_at() {
    let app = spawn_app().await;
    let mut body = event_body("Later workshop", 10);
    let opens_at = chrono::Utc::now() + chrono::Duration::days(5);
    body["registration"] = json!({"opens_at": opens_at.to_rfc3339()});

    let event = published_and_shown(&app, &body).await;

    assert_eq!(event["registration"]["state"], "not_yet_open");
}

#[tokio::test]
async fn registration_is_closed_once_the_event_is_cancelled() {
    let (app, token) = with_admin().await;
    let event = app
        .published_event(&token, &event_body("Doomed workshop", 10))
        .await;
    app.cancel_event(
        &token,
        event["id"].clone(),
        "The venue is closed for repairs.",
    )
    .await;

    let event = public_event(&app, event["slug"].as_str().unwrap()).await;

    assert_eq!(event["registration"]["state"], "closed");
}

#[tokio::test]
async fn registration_is_not_required_when_the_event_says_so() {
    let app = spawn_app().await;
    let mut body = event_body("Drop-in session", 10);
    body["registration"] = json!({"required": false});

    let event = published_and_shown(&app, &body).await;

    assert_eq!(event["registration"]["state"], "not_required");
}

#[tokio::test]
async fn seats_remaining_is_null_without_a_capacity() {
    let app = spawn_app().await;
    let mut body = event_body("Unlimited conference", 10);
    body["capacity"] = Value::Null;

    let event = published_and_shown(&app, &body).await;

    assert_eq!(event["capacity"], Value::Null);
    assert_eq!(event["seats_remaining"], Value::Null);
    assert_eq!(event["registration"]["state"], "open");
}
