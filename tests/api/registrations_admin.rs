//! Registrations for admins: access, the list and its CSV export, check-in, cancelling,
//! the counts on the admin event, capacity changes, and the notification outbox that
//! every registration change writes to.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const NOTIFICATIONS: &str = "/api/v1/admin/notifications";

fn list_path(event_id: i64) -> String {
    format!("/api/v1/admin/events/{event_id}/registrations")
}

fn admin_registration_path(id: &str) -> String {
    format!("/api/v1/admin/registrations/{id}")
}

/// The admin list of an event's registrations with the query (200 asserted).
async fn list(app: &TestApp, token: &str, event_id: i64, query: &[(&str, &str)]) -> Value {
    let response = app
        .get(&list_path(event_id))
        .query(query)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK, &format!("admin list {query:?}")).await
}

/// (email, status, waitlist_position) of each item, in order.
fn rows(list: &Value) -> Vec<(String, String, Value)> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
                r["waitlist_position"].clone(),
            )
        })
        .collect()
}

fn row(email: &str, status: &str, position: Value) -> (String, String, Value) {
    (email.to_string(), status.to_string(), position)
}

async fn csv_response(app: &TestApp, token: &str, event_id: i64, query: &str) -> Response {
    app.get(&format!("{}{query}", list_path(event_id)))
        .header("Accept", "text/csv")
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The CSV export parsed: the header row and the records (200 asserted).
async fn csv_export(
    app: &TestApp,
    token: &str,
    event_id: i64,
    query: &str,
) -> (Vec<String>, Vec<Vec<String>>) {
    let response = csv_response(app, token, event_id, query).await;
    assert_eq!(response.status(), StatusCode::OK, "CSV export");
    let text = response.text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let records = reader
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    (headers, records)
}

fn column(headers: &[String], name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name:?} column in {headers:?}"))
}

async fn patch_registration(app: &TestApp, token: &str, id: &str, body: &Value) -> Response {
    app.send_json(
        Method::PATCH,
        &admin_registration_path(id),
        token,
        Some(body),
    )
    .await
}

/// Checks the registration in (or out).
async fn check_in(app: &TestApp, token: &str, registration: &Value, attended: bool) -> Response {
    let body = json!({ "attended": attended });
    patch_registration(app, token, &registration_id(registration), &body).await
}

/// How many of the event's registrants attended, by the admin event's count.
async fn attended(app: &TestApp, token: &str, event: i64) -> Value {
    app.admin_event(token, event).await["registrations"]["attended"].clone()
}

/// The registrants a@ to f@x.gov.uk, in the order they register.
const PEOPLE: [&str; 6] = [
    "a@x.gov.uk",
    "b@x.gov.uk",
    "c@x.gov.uk",
    "d@x.gov.uk",
    "e@x.gov.uk",
    "f@x.gov.uk",
];

/// An app, an admin's token, an open event of the capacity, and the registrations of
/// a@, b@ and c@x.gov.uk, in that order.
async fn abc_registered(capacity: i64) -> (TestApp, String, i64, [Value; 3]) {
    let (app, admin, event) = with_event(Some(capacity)).await;
    let emails = ["a@x.gov.uk", "b@x.gov.uk", "c@x.gov.uk"];
    let registrations = app.register_each(event, emails).await;
    (app, admin, event, registrations)
}

/// Cancels the registration as admin (204 asserted).
async fn admin_cancelled(app: &TestApp, token: &str, id: &str) {
    let response = admin_cancel(app, token, id).await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "admin cancel {id}"
    );
}

async fn admin_cancel(app: &TestApp, token: &str, id: &str) -> Response {
    app.send_json(Method::DELETE, &admin_registration_path(id), token, None)
        .await
}

async fn patch_event(app: &TestApp, token: &str, id: i64, body: &Value) -> Response {
    app.send_json(
        Method::PATCH,
        &format!("/api/v1/admin/events/{id}"),
        token,
        Some(body),
    )
    .await
}

/// The outbox page for the query, newest first (200 asserted).
async fn outbox_page(app: &TestApp, token: &str, query: &str) -> Value {
    app.get_json(token, &format!("{NOTIFICATIONS}{query}"))
        .await
}

/// The messages of one template, newest first.
async fn messages_of(app: &TestApp, token: &str, template: &str) -> Vec<Value> {
    app.outbox(token)
        .await
        .into_iter()
        .filter(|m| m["template"] == template)
        .collect()
}

/// The recipients of the messages, in alphabetical order.
fn sorted_recipients(messages: &[Value]) -> Vec<&str> {
    let mut recipients: Vec<&str> = strings_of(messages, "recipient");
    recipients.sort();
    recipients
}

/// The manage link as it is queued: the sender puts the token in only when it sends.
fn manage_link(registration: &Value) -> String {
    format!(
        "{BASE_URL}/registrations/{}/manage#token=[manage-token]",
        registration_id(registration)
    )
}

/// The one message of `template` for `registration`, with the fields every message has.
fn message_for<'a>(messages: &'a [Value], template: &str, registration: &Value) -> &'a Value {
    let found: Vec<&Value> = messages
        .iter()
        .filter(|m| m["template"] == template && m["registration_id"] == registration["id"])
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {template} message for {}: {messages:?}",
        registration["id"]
    );
    let message = found[0];
    assert_eq!(message["recipient"], registration["email"]);
    assert_eq!(message["status"], "queued");
    assert!(
        message["subject"].as_str().is_some_and(|s| !s.is_empty()),
        "a subject in {message}"
    );
    assert!(message["body"].is_string(), "a body in {message}");
    message
}

// --- access ---------------------------------------------------------------------------

/// One request to each admin registration endpoint, and to the outbox.
fn every_admin_request(app: &TestApp, event_id: i64, id: &str) -> Vec<(String, RequestBuilder)> {
    let list = list_path(event_id);
    let one = admin_registration_path(id);
    vec![
        (format!("GET {list}"), app.get(&list)),
        (
            format!("GET {list} as CSV"),
            app.get(&list).header("Accept", "text/csv"),
        ),
        (
            format!("PATCH {one}"),
            app.patch(&one).json(&json!({"attended": true})),
        ),
        (format!("DELETE {one}"), app.delete(&one)),
        (format!("GET {NOTIFICATIONS}"), app.get(NOTIFICATIONS)),
    ]
}

/// Sends every admin registration request for Ada's registration, as a member or
/// (`false`) without a token; asserts each is refused (403 `admin-only`, or 401 with a
/// bearer challenge) and that the registration is untouched.
async fn assert_every_admin_request_refused(as_member: bool) {
    let (app, _, event, registration) = ada_registered(30).await;
    let member = app.member_token().await;

    for (name, request) in every_admin_request(&app, event, &registration_id(&registration)) {
        if as_member {
            let response = request.bearer_auth(&member).send().await.unwrap();
            assert_problem_in(&name, response, StatusCode::FORBIDDEN, "admin-only").await;
        } else {
            assert_bearer_challenge(&name, request.send().await.unwrap()).await;
        }
    }
    let own = app.fetch_registration(&registration).await;
    assert_eq!(own["status"], "confirmed");
    assert_eq!(own["attended"], false);
}

#[tokio::test]
async fn admin_registration_endpoints_without_a_token_are_401() {
    assert_every_admin_request_refused(false).await;
}

#[tokio::test]
async fn admin_registration_endpoints_refuse_members_with_403() {
    assert_every_admin_request_refused(true).await;
}

// --- the list -------------------------------------------------------------------------

#[tokio::test]
async fn the_list_is_a_paging_envelope_in_arrival_order_with_positions() {
    let (app, admin, event) = with_event(Some(2)).await;
    app.register_emails(
        event,
        &["a@x.gov.uk", "b@x.gov.uk", "c@x.gov.uk", "d@x.gov.uk"],
    )
    .await;

    let all = list(&app, &admin, event, &[]).await;

    assert_eq!(all["total"], 4);
    assert_eq!(all["limit"], 20);
    assert_eq!(all["offset"], 0);
    assert_eq!(
        rows(&all),
        vec![
            row("a@x.gov.uk", "confirmed", Value::Null),
            row("b@x.gov.uk", "confirmed", Value::Null),
            row("c@x.gov.uk", "waitlisted", json!(1)),
            row("d@x.gov.uk", "waitlisted", json!(2)),
        ]
    );
}

#[tokio::test]
async fn a_later_page_shows_the_true_waitlist_positions() {
    let (app, admin, event) = with_event(Some(1)).await;
    app.register_emails(event, &PEOPLE[..5]).await;

    let page = list(&app, &admin, event, &[("limit", "2"), ("offset", "2")]).await;

    assert_eq!(page["total"], 5);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 2);
    assert_eq!(
        rows(&page),
        vec![
            row("c@x.gov.uk", "waitlisted", json!(2)),
            row("d@x.gov.uk", "waitlisted", json!(3)),
        ]
    );
}

#[tokio::test]
async fn the_list_filters_by_status() {
    let (app, admin, event) = with_event(Some(2)).await;
    let a = app.register_email(event, "a@x.gov.uk").await;
    app.register_emails(
        event,
        &["b@x.gov.uk", "c@x.gov.uk", "d@x.gov.uk", "e@x.gov.uk"],
    )
    .await;
    // a cancels: c takes the seat; d and e wait.
    app.cancel_registration(&a).await;

    let confirmed = list(&app, &admin, event, &[("status", "confirmed")]).await;
    assert_eq!(confirmed["total"], 2);
    assert_eq!(
        rows(&confirmed),
        vec![
            row("b@x.gov.uk", "confirmed", Value::Null),
            row("c@x.gov.uk", "confirmed", Value::Null),
        ]
    );
    let waitlisted = list(&app, &admin, event, &[("status", "waitlisted")]).await;
    assert_eq!(waitlisted["total"], 2);
    assert_eq!(
        rows(&waitlisted),
        vec![
            row("d@x.gov.uk", "waitlisted", json!(1)),
            row("e@x.gov.uk", "waitlisted", json!(2)),
        ]
    );
    let cancelled = list(&app, &admin, event, &[("status", "cancelled")]).await;
    assert_eq!(cancelled["total"], 1);
    assert_eq!(
        rows(&cancelled),
        vec![row("a@x.gov.uk", "cancelled", Value::Null)]
    );
}

#[tokio::test]
async fn an_unknown_status_filter_is_400() {
    let (app, admin, event) = with_event(Some(2)).await;

    app.assert_bad_query(Some(&admin), &list_path(event), &[("status", "maybe")])
        .await;
}

#[tokio::test]
async fn the_list_of_an_unknown_event_is_404() {
    let (app, admin) = with_admin().await;

    let response = app
        .get(&list_path(999_999))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();

    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
}

// --- CSV export -----------------------------------------------------------------------

#[tokio::test]
async fn the_csv_export_is_an_attachment_with_a_header_row_and_one_row_per_registration() {
    let (app, admin, event, [a, b, c]) = abc_registered(1).await;
    app.cancel_registration(&c).await;

    let response = csv_response(&app, &admin, event, "").await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| header(&response, name);
    assert!(
        header("content-type").starts_with("text/csv"),
        "content type {:?}",
        header("content-type")
    );
    let disposition = header("content-disposition");
    assert!(
        disposition.starts_with("attachment"),
        "Content-Disposition was {disposition:?}"
    );
    let (headers, records) = csv_export(&app, &admin, event, "").await;

    for name in [
        "id",
        "status",
        "waitlist_position",
        "full_name",
        "email",
        "organisation",
    ] {
        column(&headers, name);
    }
    assert_eq!(records.len(), 3, "one row per registration: {records:?}");
    let (id, status, position, email) = (
        column(&headers, "id"),
        column(&headers, "status"),
        column(&headers, "waitlist_position"),
        column(&headers, "email"),
    );
    let got: Vec<[&str; 4]> = records
        .iter()
        .map(|r| [&*r[id], &*r[status], &*r[position], &*r[email]])
        .collect();
    let (a, b, c) = (
        registration_id(&a),
        registration_id(&b),
        registration_id(&c),
    );
    assert_eq!(
        got,
        vec![
            [a.as_str(), "confirmed", "", "a@x.gov.uk"],
            [b.as_str(), "waitlisted", "1", "b@x.gov.uk"],
            [c.as_str(), "cancelled", "", "c@x.gov.uk"],
        ]
    );
}

#[tokio::test]
async fn the_csv_export_ignores_paging_and_applies_the_status_filter() {
    let (app, admin, event) = with_event(Some(1)).await;
    app.register_emails(event, &["a@x.gov.uk", "b@x.gov.uk", "c@x.gov.uk"])
        .await;

    let (_, all) = csv_export(&app, &admin, event, "?limit=1&offset=1").await;
    assert_eq!(all.len(), 3, "paging does not apply: {all:?}");

    let (headers, waiting) = csv_export(&app, &admin, event, "?status=waitlisted").await;
    let email = column(&headers, "email");
    let emails: Vec<&str> = waiting.iter().map(|r| r[email].as_str()).collect();
    assert_eq!(emails, vec!["b@x.gov.uk", "c@x.gov.uk"]);
}

#[tokio::test]
async fn the_csv_export_neutralises_cells_that_a_spreadsheet_would_run() {
    let (app, admin, event) = with_event(Some(30)).await;
    let mut body = registration(r#"=HYPERLINK("http://evil")"#, "mallory@x.gov.uk");
    body["organisation"] = json!("+SUM(A1)");
    body["job_title"] = json!("-2+3");
    body["accessibility_needs"] = json!("@cmd|' /C calc'!A0");
    app.register(event, &body).await;
    // A leading tab or carriage return never reaches a cell: a single-line field
    // refuses control characters.
    let mut tabbed = registration("\tTabbed Name", "tab@x.gov.uk");
    tabbed["organisation"] = json!("\rReturned Org");
    let response = app.post_registration(event, &tabbed).await;
    assert_eq!(
        invalid_fields("tab and CR", response).await,
        ["full_name", "organisation"]
    );
    let mut harmless = registration("Tabbed Name", "tab@x.gov.uk");
    harmless["job_title"] = json!("Harmless = title");
    app.register(event, &harmless).await;

    let (headers, records) = csv_export(&app, &admin, event, "").await;
    let cell = |row: usize, name: &str| records[row][column(&headers, name)].clone();

    assert_eq!(cell(0, "full_name"), r#"'=HYPERLINK("http://evil")"#);
    assert_eq!(cell(0, "organisation"), "'+SUM(A1)");
    assert_eq!(cell(0, "job_title"), "'-2+3");
    assert_eq!(cell(0, "accessibility_needs"), "'@cmd|' /C calc'!A0");
    assert_eq!(cell(1, "job_title"), "Harmless = title");
    // The JSON list keeps the values as given.
    let listed = list(&app, &admin, event, &[]).await;
    assert_eq!(
        listed["items"][0]["full_name"],
        r#"=HYPERLINK("http://evil")"#
    );
    assert_eq!(listed["items"][0]["organisation"], "+SUM(A1)");
}

// --- check-in -------------------------------------------------------------------------

#[tokio::test]
async fn marking_attended_is_200_and_counts_it() {
    let (app, admin, event) = with_event(Some(30)).await;
    let [a, _] = app.register_each(event, ["a@x.gov.uk", "b@x.gov.uk"]).await;
    assert_eq!(attended(&app, &admin, event).await, 0);

    let response = check_in(&app, &admin, &a, true).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();

    assert_eq!(updated["id"], a["id"]);
    assert_eq!(updated["attended"], true);
    assert_eq!(updated["status"], "confirmed");
    assert_eq!(app.fetch_registration(&a).await["attended"], true);
    assert_eq!(attended(&app, &admin, event).await, 1);
}

#[tokio::test]
async fn marking_attended_false_undoes_the_check_in() {
    let (app, admin, event) = with_event(Some(30)).await;
    let a = app.register_email(event, "a@x.gov.uk").await;
    let response = check_in(&app, &admin, &a, true).await;
    assert_eq!(response.status(), StatusCode::OK);

    let response = check_in(&app, &admin, &a, false).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(attended(&app, &admin, event).await, 0);
}

#[tokio::test]
async fn marking_a_waitlisted_or_cancelled_registration_attended_is_409_registration_not_confirmed()
{
    let (app, admin, event) = with_event(Some(1)).await;
    let [confirmed, waiting] = app.register_each(event, ["a@x.gov.uk", "b@x.gov.uk"]).await;
    let response = check_in(&app, &admin, &waiting, true).await;
    assert_problem_in(
        "waitlisted",
        response,
        StatusCode::CONFLICT,
        "registration-not-confirmed",
    )
    .await;
    assert_eq!(app.fetch_registration(&waiting).await["attended"], false);

    // A confirmed registration, once cancelled, cannot be checked in either.
    app.cancel_registration(&confirmed).await;
    let response = check_in(&app, &admin, &confirmed, true).await;
    assert_problem_in(
        "cancelled",
        response,
        StatusCode::CONFLICT,
        "registration-not-confirmed",
    )
    .await;
    assert_eq!(attended(&app, &admin, event).await, 0);
}

#[tokio::test]
async fn patching_a_registration_with_an_unknown_field_is_422_naming_it() {
    let (app, admin, event) = with_event(Some(30)).await;
    let a = app.register_email(event, "a@x.gov.uk").await;

    let response = patch_registration(
        &app,
        &admin,
        &registration_id(&a),
        &json!({"attended": true, "status": "cancelled"}),
    )
    .await;

    assert_invalid("status", response, "status").await;
    let own = app.fetch_registration(&a).await;
    assert_eq!(own["status"], "confirmed");
    assert_eq!(own["attended"], false);
}

#[tokio::test]
async fn patching_or_cancelling_an_unknown_registration_is_404() {
    let (app, admin) = with_admin().await;

    for id in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_string()] {
        let response = patch_registration(&app, &admin, &id, &json!({"attended": true})).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        let response = admin_cancel(&app, &admin, &id).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

// --- admin cancellation ---------------------------------------------------------------

#[tokio::test]
async fn admin_cancelling_is_204_and_promotes_the_waiting_list() {
    let (app, admin, _, [a, b, c]) = abc_registered(1).await;

    admin_cancelled(&app, &admin, &registration_id(&a)).await;

    assert_eq!(app.fetch_registration(&a).await["status"], "cancelled");
    let b = app.fetch_registration(&b).await;
    assert_eq!(b["status"], "confirmed");
    assert_eq!(b["waitlist_position"], Value::Null);
    let c = app.fetch_registration(&c).await;
    assert_eq!(c["status"], "waitlisted");
    assert_eq!(c["waitlist_position"], 1);
}

#[tokio::test]
async fn admin_cancelling_twice_is_409_registration_cancelled() {
    let (app, admin, event) = with_event(Some(30)).await;
    let a = app.register_email(event, "a@x.gov.uk").await;
    admin_cancelled(&app, &admin, &registration_id(&a)).await;

    let response = admin_cancel(&app, &admin, &registration_id(&a)).await;

    assert_problem(response, StatusCode::CONFLICT, "registration-cancelled").await;
}

// --- counts on the admin event --------------------------------------------------------

#[tokio::test]
async fn the_admin_event_shows_registration_counts() {
    let (app, admin, event) = with_event(Some(3)).await;
    let counts = |e: &Value| e["registrations"].clone();
    assert_eq!(
        counts(&app.admin_event(&admin, event).await),
        json!({"pending_confirmation": 0, "confirmed": 0, "waitlisted": 0, "cancelled": 0, "attended": 0})
    );

    let people = app.register_emails(event, &PEOPLE).await;
    // a and b attend; f (waitlisted) and then c (confirmed, d takes the seat) cancel.
    for p in &people[..2] {
        let response = check_in(&app, &admin, p, true).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    app.cancel_registration(&people[5]).await;
    admin_cancelled(&app, &admin, &registration_id(&people[2])).await;

    assert_eq!(
        counts(&app.admin_event(&admin, event).await),
        json!({"pending_confirmation": 0, "confirmed": 3, "waitlisted": 1, "cancelled": 2, "attended": 2})
    );
    let listed = admin_listing_counts(&app, &admin, event).await;
    assert_eq!(
        listed,
        json!({"pending_confirmation": 0, "confirmed": 3, "waitlisted": 1, "cancelled": 2, "attended": 2}),
        "the admin listing agrees"
    );
}

/// The counts of the event in the admin event listing.
async fn admin_listing_counts(app: &TestApp, token: &str, event_id: i64) -> Value {
    let body = app.get_json(token, "/api/v1/admin/events?limit=100").await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == event_id)
        .expect("the event is listed")["registrations"]
        .clone()
}

// --- capacity changes -----------------------------------------------------------------

#[tokio::test]
async fn raising_the_capacity_promotes_waitlisted_people_in_order_at_once() {
    let (app, admin, event) = with_event(Some(1)).await;
    let _ = app
        .register_emails(
            event,
            &["a@x.gov.uk", "b@x.gov.uk", "c@x.gov.uk", "d@x.gov.uk"],
        )
        .await;

    let response = patch_event(&app, &admin, event, &json!({"capacity": 3})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();

    assert_eq!(edited["capacity"], 3);
    assert_eq!(edited["seats_remaining"], 0);
    assert_eq!(
        edited["registrations"],
        json!({"pending_confirmation": 0, "confirmed": 3, "waitlisted": 1, "cancelled": 0, "attended": 0})
    );
    assert_eq!(
        rows(&list(&app, &admin, event, &[]).await),
        vec![
            row("a@x.gov.uk", "confirmed", Value::Null),
            row("b@x.gov.uk", "confirmed", Value::Null),
            row("c@x.gov.uk", "confirmed", Value::Null),
            row("d@x.gov.uk", "waitlisted", json!(1)),
        ]
    );
    let promoted = messages_of(&app, &admin, "registration_promoted").await;
    assert_eq!(sorted_recipients(&promoted), ["b@x.gov.uk", "c@x.gov.uk"]);
}

#[tokio::test]
async fn removing_the_capacity_confirms_the_whole_waiting_list() {
    let (app, admin, event) = with_event(Some(1)).await;
    app.register_emails(event, &["a@x.gov.uk", "b@x.gov.uk", "c@x.gov.uk"])
        .await;

    let response = patch_event(&app, &admin, event, &json!({"capacity": null})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();

    assert_eq!(edited["capacity"], Value::Null);
    assert_eq!(
        edited["registrations"],
        json!({"pending_confirmation": 0, "confirmed": 3, "waitlisted": 0, "cancelled": 0, "attended": 0})
    );
}

#[tokio::test]
async fn lowering_the_capacity_below_the_confirmed_seats_is_422_naming_capacity() {
    let (app, admin, event) = with_event(Some(3)).await;
    app.register_emails(event, &["a@x.gov.uk", "b@x.gov.uk", "c@x.gov.uk"])
        .await;

    let response = patch_event(&app, &admin, event, &json!({"capacity": 2})).await;

    assert_invalid("capacity 2", response, "capacity").await;
    let after = app.admin_event(&admin, event).await;
    assert_eq!(after["capacity"], 3);
    assert_eq!(after["registrations"]["confirmed"], 3);
}

#[tokio::test]
async fn lowering_the_capacity_to_the_confirmed_seats_is_allowed() {
    let (app, admin, event) = with_event(Some(5)).await;
    app.register_emails(event, &["a@x.gov.uk", "b@x.gov.uk"])
        .await;

    let response = patch_event(&app, &admin, event, &json!({"capacity": 2})).await;
    assert_eq!(response.status(), StatusCode::OK);

    let next = app.register_email(event, "c@x.gov.uk").await;
    assert_eq!(next["status"], "waitlisted");
    assert_eq!(next["waitlist_position"], 1);
}

// --- notifications --------------------------------------------------------------------

#[tokio::test]
async fn a_confirmation_is_queued_with_the_manage_link() {
    let (app, admin, event) = with_event(Some(30)).await;
    let registration = app
        .register(
            event,
            &registration("Ada Lovelace", "Ada.Lovelace@Camden.gov.uk"),
        )
        .await;

    let all = app.outbox(&admin).await;
    assert_eq!(all.len(), 1, "{all:?}");
    let message = message_for(&all, "registration_confirmed", &registration);

    assert_eq!(message["recipient"], "ada.lovelace@camden.gov.uk");
    let body = message["body"].as_str().unwrap();
    assert!(
        body.contains(&manage_link(&registration)),
        "the manage link in {body:?}"
    );
    assert!(body.contains("Ada Lovelace"), "addressed by name: {body:?}");
}

/// One seat: a confirmed, b waitlisted, then a cancels and b is promoted; the outbox.
async fn a_cancels_and_b_is_promoted() -> (TestApp, Value, Value, Vec<Value>) {
    let (app, admin, event) = with_event(Some(1)).await;
    let [a, b] = app.register_each(event, ["a@x.gov.uk", "b@x.gov.uk"]).await;
    app.cancel_registration(&a).await;
    let all = app.outbox(&admin).await;
    (app, a, b, all)
}

#[tokio::test]
async fn the_outbox_never_holds_a_manage_token() {
    let (app, a, b, all) = a_cancels_and_b_is_promoted().await;
    assert!(
        all.len() >= 4,
        "confirmed, waitlisted, cancelled, promoted: {all:?}"
    );
    let tokens = [manage_token(&a), manage_token(&b)];
    for message in &all {
        let shown = message.to_string();
        for token in &tokens {
            assert!(!shown.contains(token.as_str()), "a token in {shown}");
        }
    }
    let stored = app.db_texts("SELECT body AS value FROM notifications");
    assert_eq!(stored.len(), all.len());
    for body in stored {
        for token in &tokens {
            assert!(!body.contains(token.as_str()), "a token stored in {body:?}");
        }
    }
}

#[tokio::test]
async fn waitlisting_is_queued_with_the_position_and_the_manage_link() {
    let (app, admin, _, [_, _, c]) = abc_registered(1).await;

    let all = app.outbox(&admin).await;
    let message = message_for(&all, "registration_waitlisted", &c);

    let body = message["body"].as_str().unwrap();
    assert!(
        body.contains(&manage_link(&c)),
        "the manage link in {body:?}"
    );
    assert!(body.contains("number 2"), "the position in {body:?}");
}

#[tokio::test]
async fn a_promotion_is_queued_with_the_manage_link() {
    let (_app, _a, b, all) = a_cancels_and_b_is_promoted().await;
    let message = message_for(&all, "registration_promoted", &b);
    let body = message["body"].as_str().unwrap();
    assert!(
        body.contains(&manage_link(&b)),
        "the manage link in {body:?}"
    );
}

#[tokio::test]
async fn a_cancellation_is_queued_without_a_manage_link() {
    let (app, admin, event) = with_event(Some(30)).await;
    let a = app.register_email(event, "a@x.gov.uk").await;

    app.cancel_registration(&a).await;

    let all = app.outbox(&admin).await;
    let message = message_for(&all, "registration_cancelled", &a);
    let body = message["body"].as_str().unwrap();
    assert!(!body.contains(&manage_token(&a)), "no token in {body:?}");
    assert!(!body.contains("/manage"), "no manage link in {body:?}");
    assert_eq!(all[0]["template"], "registration_cancelled", "newest first");
}

#[tokio::test]
async fn an_admin_cancellation_queues_the_cancellation_and_the_promotion() {
    let (app, admin, event) = with_event(Some(1)).await;
    let [a, b] = app.register_each(event, ["a@x.gov.uk", "b@x.gov.uk"]).await;

    admin_cancelled(&app, &admin, &registration_id(&a)).await;

    let all = app.outbox(&admin).await;
    assert_eq!(all.len(), 4, "{all:?}");
    message_for(&all, "registration_cancelled", &a);
    message_for(&all, "registration_promoted", &b);
}

#[tokio::test]
async fn the_outbox_is_newest_first() {
    let (app, admin, _, [a, b, c]) = abc_registered(1).await;

    let all = outbox_page(&app, &admin, "").await;

    assert_eq!(all["total"], 3);
    let order: Vec<(Value, Value)> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["registration_id"].clone(), m["template"].clone()))
        .collect();
    assert_eq!(
        order,
        vec![
            (c["id"].clone(), json!("registration_waitlisted")),
            (b["id"].clone(), json!("registration_waitlisted")),
            (a["id"].clone(), json!("registration_confirmed")),
        ]
    );
}

#[tokio::test]
async fn messages_stay_queued_without_smtp_and_the_queued_filter_lists_them() {
    let (app, admin, event) = with_event(Some(1)).await;
    let [a, _] = app.register_each(event, ["a@x.gov.uk", "b@x.gov.uk"]).await;
    app.cancel_registration(&a).await;

    let queued = outbox_page(&app, &admin, "?status=queued").await;
    assert_eq!(queued["total"], 4);
    assert!(
        queued["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "queued"),
        "{queued}"
    );
    for other in ["sent", "failed"] {
        let list = outbox_page(&app, &admin, &format!("?status={other}")).await;
        assert_eq!(list["total"], 0, "{other}: {list}");
    }
}

#[tokio::test]
async fn cancelling_an_event_notifies_every_active_registrant_only() {
    let (app, admin, event, [_, _, c]) = abc_registered(1).await;
    app.cancel_registration(&c).await;

    app.cancel_event(&admin, event, "The venue is closed for repairs.")
        .await;

    let notices = messages_of(&app, &admin, "event_cancelled").await;
    assert_eq!(sorted_recipients(&notices), ["a@x.gov.uk", "b@x.gov.uk"]);
    for notice in &notices {
        assert_eq!(notice["status"], "queued");
        let body = notice["body"].as_str().unwrap();
        assert!(
            body.contains("The venue is closed for repairs."),
            "the reason in {body:?}"
        );
    }
}
