//! The audit log (every admin write, in the same transaction), its read-only endpoint,
//! the admin-only boundary on every admin operation, and account administration.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, FixedOffset, Utc};
use llcp_hub::domain::Role;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const LOG: &str = "/api/v1/admin/audit-log";

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// A new admin account: its id and an access token.
async fn new_admin(app: &TestApp, email: &str) -> (String, String) {
    let id = app.insert_account(email, Role::Admin);
    (id, access_token(&app.sign_in(email).await))
}

/// A new member account: its id and an access token.
async fn new_member(app: &TestApp, email: &str) -> (String, String) {
    let id = app.insert_account(email, Role::Member);
    (id, access_token(&app.sign_in(email).await))
}

/// The audit log page for the query (200 asserted).
async fn audit_log(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Value {
    let response = app
        .get(LOG)
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK, &format!("audit log {query:?}")).await
}

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().cloned().unwrap_or_default()
}

fn ids(page: &Value) -> Vec<i64> {
    items(page)
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

/// The entries with this action on this target; exactly one is asserted.
async fn only_entry(app: &TestApp, token: &str, action: &str, target_id: &str) -> Value {
    let page = audit_log(app, token, &[("action", action), ("target_id", target_id)]).await;
    assert_eq!(
        page["total"], 1,
        "one {action} entry for {target_id}: {page}"
    );
    page["items"][0].clone()
}

/// The one `action` entry on the target by admin@example.org, checked as
/// `assert_entry` does; its summary.
async fn audited(
    app: &TestApp,
    token: &str,
    admin_id: &str,
    action: &str,
    (target_type, target_id): (&str, impl std::fmt::Display),
) -> Value {
    let target_id = target_id.to_string();
    let entry = only_entry(app, token, action, &target_id).await;
    let actor = (admin_id, "admin@example.org");
    assert_entry(&entry, actor, action, (target_type, &target_id))
}

/// A new app with admin@example.org signed in: the app, the admin's id and token.
async fn app_with_admin() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let (admin_id, token) = new_admin(&app, "admin@example.org").await;
    (app, admin_id, token)
}

/// A published event with the title and grace@camden.gov.uk's confirmed registration
/// for it: their ids.
async fn registered_for(app: &TestApp, token: &str, title: &str) -> (i64, String) {
    let event = event_id(&app.published_event(token, &event_body(title, 20)).await);
    (event, register(app, event, "grace@camden.gov.uk").await)
}

/// A pending application of a new member with the email: the member's id and the
/// application's.
async fn applied(app: &TestApp, email: &str) -> (String, String) {
    let (member, member_token) = new_member(app, email).await;
    (member, apply(app, &member_token).await)
}

async fn audit_total(app: &TestApp, token: &str) -> i64 {
    audit_log(app, token, &[]).await["total"].as_i64().unwrap()
}

fn parse_time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time string"))
        .unwrap_or_else(|e| panic!("{value} is not RFC 3339: {e}"))
}

/// Asserts the entry's actor, action, target and a plausible `at`.
fn assert_entry(entry: &Value, actor: (&str, &str), action: &str, target: (&str, &str)) -> Value {
    assert_eq!(entry["actor_id"], actor.0, "actor_id in {entry}");
    assert_eq!(entry["actor_email"], actor.1, "actor_email in {entry}");
    assert_eq!(entry["action"], action, "action in {entry}");
    assert_eq!(entry["target_type"], target.0, "target_type in {entry}");
    assert_eq!(entry["target_id"], target.1, "target_id in {entry}");
    assert!(entry["id"].is_i64(), "id in {entry}");
    let at = parse_time(&entry["at"]).with_timezone(&Utc);
    let now = Utc::now();
    assert!(
        at > now - Duration::minutes(10) && at < now + Duration::minutes(10),
        "`at` {at} should be the time of the change (now is {now})"
    );
    assert!(entry["summary"].is_object(), "summary in {entry}");
    entry["summary"].clone()
}

/// A confirmed registration for the event; returns its id.
async fn register(app: &TestApp, event_id: i64, email: &str) -> String {
    let body = registration("Grace Registrant", email);
    let created = app.register(event_id, &body).await;
    assert_eq!(created["status"], "confirmed", "registration: {created}");
    registration_id(&created)
}

/// A pending membership application of the signed-in account; returns its id.
async fn apply(app: &TestApp, token: &str) -> String {
    let response = app.apply(token, &membership_application()).await;
    let body = expect_json(response, StatusCode::CREATED, "application").await;
    assert_eq!(body["status"], "pending");
    body["id"].as_str().unwrap().to_string()
}

/// An admin write: the method, the path and the JSON body, if any.
type Write<'a> = (Method, &'a str, Option<&'a Value>);

/// Sends the write with the token; asserts its status and returns the response.
async fn admin_write(
    app: &TestApp,
    token: &str,
    write: Write<'_>,
    expected: StatusCode,
) -> Response {
    let (method, path, body) = write;
    let response = app.send_json(method.clone(), path, token, body).await;
    assert_eq!(response.status(), expected, "{method} {path}");
    response
}

/// The same write twice: the first answers `first`, the second is a 409 of the kind.
async fn write_twice(
    app: &TestApp,
    token: &str,
    write: Write<'_>,
    (first, conflict): (StatusCode, &str),
) {
    admin_write(app, token, write.clone(), first).await;
    let (method, path, body) = write;
    let second = app.send_json(method, path, token, body).await;
    assert_problem(second, StatusCode::CONFLICT, conflict).await;
}

/// The path that approves or rejects the application.
fn decision_path(application: &str, decision: &str) -> String {
    format!("/api/v1/admin/membership-applications/{application}/{decision}")
}

async fn patch_account(app: &TestApp, token: &str, id: &str, body: Value) -> Response {
    app.patch_account(token, id, &body).await
}

async fn patched_account(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    let response = patch_account(app, token, id, body).await;
    expect_json(response, StatusCode::OK, "account patch").await
}

async fn accounts(app: &TestApp, token: &str, query: &[(&str, &str)]) -> Value {
    let response = app
        .get("/api/v1/admin/accounts")
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    expect_json(response, StatusCode::OK, &format!("accounts {query:?}")).await
}

fn emails(page: &Value) -> Vec<String> {
    items(page)
        .iter()
        .map(|a| a["email"].as_str().unwrap().to_string())
        .collect()
}

async fn active_admin_count(app: &TestApp, token: &str) -> i64 {
    accounts(
        app,
        token,
        &[("role", "admin"), ("disabled", "false"), ("limit", "100")],
    )
    .await["total"]
        .as_i64()
        .unwrap()
}

// ---------------------------------------------------------------------------------
// 1. Every admin write appends an entry
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn creating_an_event_is_audited_with_the_actor_lower_cased_and_the_title() {
    let app = spawn_app().await;
    let (admin_id, token) = new_admin(&app, "Ada.Admin@Example.ORG").await;
    let event = app
        .create_event(&token, &event_body("Stock Editing", 20))
        .await;
    let id = event_id(&event).to_string();

    let entry = only_entry(&app, &token, "event.create", &id).await;
    let actor = (admin_id.as_str(), "ada.admin@example.org");
    let summary = assert_entry(&entry, actor, "event.create", ("event", &id));
    assert_eq!(summary["title"], "Stock Editing");
    assert_eq!(summary["slug"], event["slug"]);
}

#[tokio::test]
async fn patching_an_event_is_audited_with_the_fields_patched() {
    let (app, admin_id, token) = app_with_admin().await;
    let id = event_id(&app.create_event(&token, &event_body("Draft", 20)).await);
    let path = format!("/api/v1/admin/events/{id}");
    let patch = json!({"title": "Renamed workshop", "capacity": 45});
    let write = (Method::PATCH, path.as_str(), Some(&patch));
    admin_write(&app, &token, write, StatusCode::OK).await;

    let target = ("event", id);
    let summary = audited(&app, &token, &admin_id, "event.update", target).await;
    let fields: BTreeSet<&str> = array(&summary["fields"])
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(fields, BTreeSet::from(["capacity", "title"]));
}

#[tokio::test]
async fn deleting_a_draft_is_audited() {
    let (app, admin_id, token) = app_with_admin().await;
    let id = event_id(
        &app.create_event(&token, &event_body("Doomed draft", 20))
            .await,
    );
    let path = format!("/api/v1/admin/events/{id}");
    let write = (Method::DELETE, path.as_str(), None);
    admin_write(&app, &token, write, StatusCode::NO_CONTENT).await;

    let target = ("event", id);
    let summary = audited(&app, &token, &admin_id, "event.delete", target).await;
    assert_eq!(summary["title"], "Doomed draft");
}

#[tokio::test]
async fn publishing_twice_leaves_exactly_one_publish_entry() {
    let (app, admin_id, token) = app_with_admin().await;
    let id = event_id(&app.create_event(&token, &event_body("Published", 20)).await);
    let path = format!("/api/v1/admin/events/{id}/publish");
    let outcomes = (StatusCode::OK, "event-already-published");
    write_twice(&app, &token, (Method::POST, &path, None), outcomes).await;

    audited(&app, &token, &admin_id, "event.publish", ("event", id)).await;
}

#[tokio::test]
async fn cancelling_an_event_is_audited_once_with_the_reason() {
    let (app, admin_id, token) = app_with_admin().await;
    let id = event_id(
        &app.published_event(&token, &event_body("Called off", 20))
            .await,
    );
    let path = format!("/api/v1/admin/events/{id}/cancel");
    let reason = json!({"reason": "The venue is closed for repairs."});
    let outcomes = (StatusCode::OK, "event-cancelled");
    write_twice(&app, &token, (Method::POST, &path, Some(&reason)), outcomes).await;

    let target = ("event", id);
    let summary = audited(&app, &token, &admin_id, "event.cancel", target).await;
    assert_eq!(summary["reason"], "The venue is closed for repairs.");
}

#[tokio::test]
async fn checking_a_registrant_in_is_audited_with_attended() {
    let (app, admin_id, token) = app_with_admin().await;
    let (_, registration) = registered_for(&app, &token, "Check-in").await;
    let path = format!("/api/v1/admin/registrations/{registration}");
    let attended = json!({"attended": true});
    let write = (Method::PATCH, path.as_str(), Some(&attended));
    admin_write(&app, &token, write, StatusCode::OK).await;

    let target = ("registration", &registration);
    let summary = audited(&app, &token, &admin_id, "registration.update", target).await;
    assert_eq!(summary["attended"], true);
}

#[tokio::test]
async fn cancelling_a_registration_is_audited_once() {
    let (app, admin_id, token) = app_with_admin().await;
    let (id, registration) = registered_for(&app, &token, "Cancel one").await;
    let path = format!("/api/v1/admin/registrations/{registration}");
    let outcomes = (StatusCode::NO_CONTENT, "registration-cancelled");
    write_twice(&app, &token, (Method::DELETE, &path, None), outcomes).await;

    let target = ("registration", &registration);
    let summary = audited(&app, &token, &admin_id, "registration.cancel", target).await;
    assert_eq!(summary["event_id"], id);
}

#[tokio::test]
async fn changing_an_account_is_audited_with_role_and_disabled_from_and_to() {
    let (app, admin_id, token) = app_with_admin().await;
    let member = app.insert_account("member@example.org", Role::Member);
    let patch = json!({"role": "admin", "disabled": true});
    patched_account(&app, &token, &member, patch).await;

    let target = ("account", &member);
    let summary = audited(&app, &token, &admin_id, "account.update", target).await;
    assert_eq!(summary["role"], json!({"from": "member", "to": "admin"}));
    assert_eq!(summary["disabled"], json!({"from": false, "to": true}));
}

#[tokio::test]
async fn approving_an_application_is_audited_once() {
    let (app, admin_id, token) = app_with_admin().await;
    let (applicant, application) = applied(&app, "applicant@example.org").await;
    let approve = decision_path(&application, "approve");
    let outcomes = (StatusCode::OK, "application-decided");
    write_twice(&app, &token, (Method::POST, &approve, None), outcomes).await;

    let target = ("membership_application", &application);
    let summary = audited(&app, &token, &admin_id, "membership.approve", target).await;
    assert_eq!(summary["account_id"], applicant);
}

#[tokio::test]
async fn rejecting_an_application_is_audited_once_with_the_reason() {
    let (app, admin_id, token) = app_with_admin().await;
    let (_, application) = applied(&app, "applicant@example.org").await;
    let reject = decision_path(&application, "reject");
    let reason = json!({"reason": "The Community is for library staff."});
    admin_write(
        &app,
        &token,
        (Method::POST, &reject, Some(&reason)),
        StatusCode::OK,
    )
    .await;
    let approve = decision_path(&application, "approve");
    let second = app.send_json(Method::POST, &approve, &token, None).await;
    assert_problem(second, StatusCode::CONFLICT, "application-decided").await;

    let target = ("membership_application", &application);
    let summary = audited(&app, &token, &admin_id, "membership.reject", target).await;
    assert_eq!(summary["reason"], "The Community is for library staff.");
    let approvals = audit_log(&app, &token, &[("action", "membership.approve")]).await;
    assert_eq!(approvals["total"], 0, "the refused approval left no entry");
}

#[tokio::test]
async fn bulk_decisions_append_one_entry_per_decided_item_and_none_for_a_failed_one() {
    let (app, _, token) = app_with_admin().await;
    let (_, first_token) = new_member(&app, "first@example.org").await;
    let (_, second_token) = new_member(&app, "second@example.org").await;
    let first = apply(&app, &first_token).await;
    let second = apply(&app, &second_token).await;
    let response = app
        .post("/api/v1/admin/membership-applications/decisions")
        .bearer_auth(&token)
        .json(&json!({"decisions": [
            {"id": first, "decision": "approve"},
            {"id": second, "decision": "reject", "reason": "Not a library role."},
            {"id": first, "decision": "reject", "reason": "Changed my mind."},
        ]}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcomes = strings_of(array(&body["results"]), "outcome");
    assert_eq!(outcomes, ["approved", "rejected", "failed"]);

    only_entry(&app, &token, "membership.approve", &first).await;
    let rejected = only_entry(&app, &token, "membership.reject", &second).await;
    assert_eq!(rejected["summary"]["reason"], "Not a library role.");
    let on_first = audit_log(&app, &token, &[("target_id", &first)]).await;
    assert_eq!(
        on_first["total"], 1,
        "the failed item left no entry: {on_first}"
    );
}

#[tokio::test]
async fn every_admin_sign_in_is_audited_but_member_and_failed_sign_ins_are_not() {
    let app = spawn_app().await;
    let admin_id = app.insert_account("Boss@Example.org", Role::Admin);
    let token = access_token(&app.sign_in("boss@example.org").await);
    app.sign_in("BOSS@example.org").await;
    let member_id = app.insert_account("member@example.org", Role::Member);
    app.sign_in("member@example.org").await;
    let wrong = app
        .login("boss@example.org", "not the password at all")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let page = audit_log(&app, &token, &[("action", "auth.admin_sign_in")]).await;
    assert_eq!(page["total"], 2, "two admin sign-ins: {page}");
    for entry in items(&page) {
        assert_entry(
            &entry,
            (&admin_id, "boss@example.org"),
            "auth.admin_sign_in",
            ("account", &admin_id),
        );
    }
    let by_member = audit_log(&app, &token, &[("actor", &member_id)]).await;
    assert_eq!(by_member["total"], 0, "member sign-in left no entry");
    assert_eq!(audit_total(&app, &token).await, 2);
}

#[tokio::test]
async fn failed_writes_append_nothing() {
    let (app, admin_id, token) = app_with_admin().await;
    let published = event_id(&app.published_event(&token, &event_body("Live", 20)).await);
    let draft = event_id(&app.create_event(&token, &event_body("Draft", 20)).await);
    let registration = register(&app, published, "grace@camden.gov.uk").await;
    let before = audit_log(&app, &token, &[("limit", "100")]).await;

    // 422: invalid event
    let mut invalid = event_body("", 20);
    invalid["capacity"] = json!(-3);
    let r = app
        .send_json(Method::POST, "/api/v1/admin/events", &token, Some(&invalid))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // 422: a patch that leaves the event invalid
    let r = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/admin/events/{draft}"),
            &token,
            Some(&json!({"title": ""})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // 409: deleting a published event
    let r = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/admin/events/{published}"),
            &token,
            None,
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "event-published").await;
    // 409: cancelling a draft
    let r = app
        .send_json(
            Method::POST,
            &format!("/api/v1/admin/events/{draft}/cancel"),
            &token,
            Some(&json!({"reason": "No longer needed."})),
        )
        .await;
    assert_problem(r, StatusCode::CONFLICT, "event-not-published").await;
    // 422: unknown field on a registration patch
    let r = app
        .send_json(
            Method::PATCH,
            &format!("/api/v1/admin/registrations/{registration}"),
            &token,
            Some(&json!({"attended": true, "status": "cancelled"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // 409: the last admin demoting themselves
    let r = patch_account(&app, &token, &admin_id, json!({"role": "member"})).await;
    assert_problem(r, StatusCode::CONFLICT, "last-admin").await;
    // 404: no such account
    let r = patch_account(
        &app,
        &token,
        &uuid::Uuid::new_v4().to_string(),
        json!({"disabled": true}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let after = audit_log(&app, &token, &[("limit", "100")]).await;
    assert_eq!(after, before, "failed writes appended nothing");
}

// ---------------------------------------------------------------------------------
// 2. GET /api/v1/admin/audit-log
// ---------------------------------------------------------------------------------

/// An admin with a few entries: sign-in, three creates, a publish.
async fn app_with_entries() -> (TestApp, String, String) {
    let (app, admin_id, token) = app_with_admin().await;
    let first = app.create_event(&token, &event_body("First", 10)).await;
    app.create_event(&token, &event_body("Second", 11)).await;
    app.create_event(&token, &event_body("Third", 12)).await;
    app.publish_event(&token, event_id(&first)).await;
    (app, admin_id, token)
}

#[tokio::test]
async fn the_audit_log_is_newest_first() {
    let (app, _, token) = app_with_entries().await;
    let page = audit_log(&app, &token, &[]).await;
    let actions: Vec<String> = items(&page)
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "event.publish",
            "event.create",
            "event.create",
            "event.create",
            "auth.admin_sign_in"
        ]
    );
    let titles: Vec<Value> = items(&page)[1..4]
        .iter()
        .map(|e| e["summary"]["title"].clone())
        .collect();
    assert_eq!(titles, [json!("Third"), json!("Second"), json!("First")]);
    let entry_ids = ids(&page);
    assert!(
        entry_ids.windows(2).all(|w| w[0] > w[1]),
        "ids descend: {entry_ids:?}"
    );
    let times: Vec<_> = items(&page).iter().map(|e| parse_time(&e["at"])).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "times descend: {times:?}"
    );
}

#[tokio::test]
async fn the_audit_log_filters_by_actor_id_or_email_in_any_case() {
    let (app, admin_id, token) = app_with_entries().await;
    let (other_id, other_token) = new_admin(&app, "Other.Admin@Example.org").await;
    app.create_event(&other_token, &event_body("By the other", 13))
        .await;

    let by_id = audit_log(&app, &token, &[("actor", &admin_id)]).await;
    assert_eq!(by_id["total"], 5, "{by_id}");
    assert!(items(&by_id).iter().all(|e| e["actor_id"] == admin_id));

    for email in [
        "other.admin@example.org",
        "OTHER.ADMIN@EXAMPLE.ORG",
        "Other.Admin@Example.org",
    ] {
        let by_email = audit_log(&app, &token, &[("actor", email)]).await;
        assert_eq!(by_email["total"], 2, "actor={email}: {by_email}");
        assert!(
            items(&by_email)
                .iter()
                .all(|e| e["actor_id"] == other_id && e["actor_email"] == "other.admin@example.org")
        );
    }
    let nobody = audit_log(&app, &token, &[("actor", "nobody@example.org")]).await;
    assert_eq!(nobody["total"], 0);
}

#[tokio::test]
async fn the_audit_log_filters_by_action_target_type_and_target_id() {
    let (app, admin_id, token) = app_with_entries().await;

    let creates = audit_log(&app, &token, &[("action", "event.create")]).await;
    assert_eq!(creates["total"], 3);
    assert!(
        items(&creates)
            .iter()
            .all(|e| e["action"] == "event.create")
    );

    let on_events = audit_log(&app, &token, &[("target_type", "event")]).await;
    assert_eq!(on_events["total"], 4);
    let on_accounts = audit_log(&app, &token, &[("target_type", "account")]).await;
    assert_eq!(on_accounts["total"], 1);
    assert_eq!(on_accounts["items"][0]["target_id"], admin_id);

    let first_id = items(&creates)[2]["target_id"]
        .as_str()
        .unwrap()
        .to_string();
    let on_first = audit_log(
        &app,
        &token,
        &[("target_type", "event"), ("target_id", &first_id)],
    )
    .await;
    let actions: Vec<Value> = items(&on_first)
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, [json!("event.publish"), json!("event.create")]);
    assert!(items(&on_first).iter().all(|e| e["target_id"] == first_id));

    let combined = audit_log(
        &app,
        &token,
        &[("action", "event.publish"), ("target_id", &first_id)],
    )
    .await;
    assert_eq!(combined["total"], 1);
    let none = audit_log(&app, &token, &[("action", "event.delete")]).await;
    assert_eq!(none["total"], 0);
}

#[tokio::test]
async fn the_audit_log_filters_by_time_with_rfc3339_or_dates() {
    let (app, _, token) = app_with_entries().await;
    let now = Utc::now();
    let total = |page: &Value| page["total"].as_i64().unwrap();
    let london = FixedOffset::east_opt(3600).unwrap();
    let hour_ago = (now - Duration::hours(1))
        .with_timezone(&london)
        .to_rfc3339();
    let in_an_hour = (now + Duration::hours(1)).to_rfc3339();
    let two_days_ago = (now - Duration::days(2)).format("%Y-%m-%d").to_string();
    let in_two_days = (now + Duration::days(2)).format("%Y-%m-%d").to_string();

    let window = [("from", hour_ago.as_str()), ("to", in_an_hour.as_str())];
    let queries: [(&[(&str, &str)], i64); 9] = [
        (&[("from", &hour_ago)], 5),
        (&[("to", &hour_ago)], 0),
        (&[("from", &in_an_hour)], 0),
        (&[("to", &in_an_hour)], 5),
        (&window, 5),
        (&[("from", &two_days_ago)], 5),
        (&[("to", &two_days_ago)], 0),
        (&[("from", &in_two_days)], 0),
        (&[("to", &in_two_days)], 5),
    ];
    for (query, expected) in queries {
        let page = audit_log(&app, &token, query).await;
        assert_eq!(total(&page), expected, "{query:?}");
    }
    let combined = [("from", "2011-03-15"), ("to", two_days_ago.as_str())];
    assert_eq!(total(&audit_log(&app, &token, &combined).await), 0);
}

#[tokio::test]
async fn a_bad_time_filter_is_400() {
    let (app, token) = with_admin().await;
    for (name, value) in [
        ("from", "yesterday"),
        ("to", "2011-13-45"),
        ("from", "15/03/2011"),
        ("to", "2011-03-15T25:00:00Z"),
    ] {
        let problem = app
            .assert_bad_query(Some(&token), LOG, &[(name, value)])
            .await;
        assert!(
            problem["detail"].as_str().unwrap().contains(name),
            "the detail names `{name}`: {problem}"
        );
    }
}

#[tokio::test]
async fn the_audit_log_pages_with_the_list_envelope() {
    let (app, _, token) = app_with_entries().await;
    let all = audit_log(&app, &token, &[]).await;
    assert_eq!(all["total"], 5);
    assert_eq!(all["limit"], 20);
    assert_eq!(all["offset"], 0);

    let response = app
        .get(LOG)
        .bearer_auth(&token)
        .query(&[("limit", "2"), ("offset", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let link = header(&response, "link");
    assert!(link.contains("rel=\"next\""), "Link: {link}");
    assert!(link.contains("rel=\"prev\""), "Link: {link}");
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["total"], 5);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 1);
    assert_eq!(ids(&page), ids(&all)[1..3].to_vec());

    let last = audit_log(&app, &token, &[("limit", "2"), ("offset", "4")]).await;
    assert_eq!(ids(&last), ids(&all)[4..].to_vec());
    let beyond = audit_log(&app, &token, &[("offset", "50")]).await;
    assert_eq!(beyond["items"], json!([]));
    assert_eq!(beyond["total"], 5);

    for (name, value) in [("limit", "0"), ("limit", "101"), ("offset", "-1")] {
        app.assert_bad_query(Some(&token), LOG, &[(name, value)])
            .await;
    }
}

#[tokio::test]
async fn no_method_but_get_is_allowed_on_the_audit_log() {
    let (app, _, token) = app_with_entries().await;
    let before = audit_log(&app, &token, &[("limit", "100")]).await;
    for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
        for with_token in [true, false] {
            let mut request = app
                .client
                .request(method.clone(), app.url(LOG))
                .json(&json!({"action": "event.delete", "summary": {}}));
            if with_token {
                request = request.bearer_auth(&token);
            }
            let response = request.send().await.unwrap();
            let allow = response
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_string());
            assert_problem(
                response,
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
            )
            .await;
            assert_eq!(allow.as_deref(), Some("GET, HEAD"), "Allow on {method}");
        }
    }
    let after = audit_log(&app, &token, &[("limit", "100")]).await;
    assert_eq!(after, before, "the audit log is unchanged");
}

#[tokio::test]
async fn head_on_the_audit_log_is_allowed_as_its_allow_header_says() {
    let (app, _, token) = app_with_entries().await;
    let response = app
        .client
        .request(Method::HEAD, app.url(LOG))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "HEAD {LOG} (the response's Allow: {allow:?})"
    );
    assert!(response.bytes().await.unwrap().is_empty(), "no body");
}

#[tokio::test]
async fn no_entry_has_its_own_address() {
    let (app, _, token) = app_with_entries().await;
    let before = audit_log(&app, &token, &[("limit", "100")]).await;
    let first = ids(&before)[0];
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        for path in [format!("{LOG}/{first}"), format!("{LOG}/1")] {
            let response = app
                .client
                .request(method.clone(), app.url(&path))
                .bearer_auth(&token)
                .json(&json!({"summary": {}}))
                .send()
                .await
                .unwrap();
            assert_problem(response, StatusCode::NOT_FOUND, "route-not-found").await;
        }
    }
    let after = audit_log(&app, &token, &[("limit", "100")]).await;
    assert_eq!(after, before, "the audit log is unchanged");
}

// ---------------------------------------------------------------------------------
// 3. Every admin operation, from the OpenAPI document: member 403, no token 401
// ---------------------------------------------------------------------------------

/// Real objects to put into the admin paths.
struct Fixture {
    admin_token: String,
    event: i64,
    registration: String,
    application: String,
    account: String,
    bulletin: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin_token = app.admin_token().await;
    let event = event_id(
        &app.published_event(&admin_token, &event_body("Live", 20))
            .await,
    );
    let registration = register(app, event, "grace@camden.gov.uk").await;
    let (account, applicant_token) = new_member(app, "applicant@example.org").await;
    let application = apply(app, &applicant_token).await;
    let body = json!({"number": 14, "title": "Bulletin 14", "published_on": "2011-03-14"});
    let path = "/api/v1/admin/bulletins";
    let response = app
        .send_json(Method::POST, path, &admin_token, Some(&body))
        .await;
    let bulletin = expect_json(response, StatusCode::CREATED, "bulletin").await;
    let bulletin = bulletin["id"].as_i64().unwrap();
    Fixture {
        bulletin,
        admin_token,
        event,
        registration,
        application,
        account,
    }
}

/// Every operation under /api/v1/admin/ in the generated OpenAPI document, with its
/// path parameters replaced by ids of existing objects and a plausible body.
fn admin_operations(f: &Fixture) -> Vec<(Method, String, Option<Value>)> {
    let spec = serde_json::to_value(llcp_hub::openapi::build_spec()).unwrap();
    let paths = spec["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (template, item) in paths {
        if !template.starts_with("/api/v1/admin/") {
            continue;
        }
        let path = if template.contains('{') {
            let (collection, id) = if template.starts_with("/api/v1/admin/events/{") {
                ("events", f.event.to_string())
            } else if template.starts_with("/api/v1/admin/registrations/{") {
                ("registrations", f.registration.clone())
            } else if template.starts_with("/api/v1/admin/membership-applications/{") {
                ("membership-applications", f.application.clone())
            } else if template.starts_with("/api/v1/admin/accounts/{") {
                ("accounts", f.account.clone())
            } else if template.starts_with("/api/v1/admin/bulletins/{") {
                ("bulletins", f.bulletin.to_string())
            } else {
                panic!("no object for the parameters of {template}: extend this test");
            };
            let replaced = template.replace("{id}", &id);
            assert!(
                !replaced.contains('{'),
                "unexpected parameter in {template} ({collection})"
            );
            replaced
        } else {
            template.clone()
        };
        for (name, method) in [
            ("get", Method::GET),
            ("post", Method::POST),
            ("put", Method::PUT),
            ("patch", Method::PATCH),
            ("delete", Method::DELETE),
        ] {
            if item.get(name).is_none() {
                continue;
            }
            let body = match (name, template.as_str()) {
                ("post", "/api/v1/admin/events") => Some(event_body("Hijacked", 5)),
                ("patch", "/api/v1/admin/events/{id}") => {
                    Some(json!({"title": "Hijacked", "capacity": 1}))
                }
                ("post", "/api/v1/admin/events/{id}/cancel") => {
                    Some(json!({"reason": "Cancelled by a member."}))
                }
                ("patch", "/api/v1/admin/registrations/{id}") => Some(json!({"attended": true})),
                ("post", "/api/v1/admin/membership-applications/{id}/reject") => {
                    Some(json!({"reason": "Rejected by a member."}))
                }
                ("post", "/api/v1/admin/membership-applications/decisions") => {
                    Some(json!({"decisions": [{"id": f.application, "decision": "approve"}]}))
                }
                ("patch", "/api/v1/admin/accounts/{id}") => {
                    Some(json!({"role": "admin", "disabled": false}))
                }
                ("post" | "patch" | "put", _) => Some(json!({})),
                _ => None,
            };
            operations.push((method, path.clone(), body));
        }
    }
    operations
}

/// What admins can see of the fixture's objects (minus the ever-growing age).
async fn admin_view(app: &TestApp, f: &Fixture) -> Vec<Value> {
    let paths = [
        "/api/v1/admin/events?limit=100".to_string(),
        format!("/api/v1/admin/events/{}", f.event),
        format!("/api/v1/admin/bulletins/{}", f.bulletin),
        format!("/api/v1/admin/events/{}/registrations?limit=100", f.event),
        "/api/v1/admin/membership-applications?limit=100".to_string(),
        format!("/api/v1/admin/membership-applications/{}", f.application),
        "/api/v1/admin/accounts?limit=100".to_string(),
        "/api/v1/admin/notifications?limit=100".to_string(),
        format!("{LOG}?limit=100"),
    ];
    let mut views = Vec::new();
    for path in paths {
        let response = app
            .get(&path)
            .bearer_auth(&f.admin_token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let mut body: Value = response.json().await.unwrap();
        strip_age(&mut body);
        views.push(json!({"path": path, "body": body}));
    }
    views
}

/// Asserts that admins see the fixture's objects as they did `before`.
async fn assert_admin_view_unchanged(app: &TestApp, f: &Fixture, before: &[Value], what: &str) {
    let after = admin_view(app, f).await;
    assert_eq!(after.len(), before.len(), "the same views after {what}");
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a, b, "unchanged after {what}");
    }
}

fn strip_age(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("age_hours");
            map.values_mut().for_each(strip_age);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_age),
        _ => {}
    }
}

#[tokio::test]
async fn the_admin_operations_from_the_openapi_document_cover_every_admin_route() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let operations: BTreeSet<String> = admin_operations(&f)
        .into_iter()
        .map(|(m, p, _)| format!("{m} {p}"))
        .collect();
    let e = f.event;
    let r = &f.registration;
    let a = &f.application;
    let c = &f.account;
    for expected in [
        "GET /api/v1/admin/events".to_string(),
        "POST /api/v1/admin/events".to_string(),
        format!("GET /api/v1/admin/events/{e}"),
        format!("PATCH /api/v1/admin/events/{e}"),
        format!("DELETE /api/v1/admin/events/{e}"),
        format!("POST /api/v1/admin/events/{e}/publish"),
        format!("POST /api/v1/admin/events/{e}/cancel"),
        format!("GET /api/v1/admin/events/{e}/registrations"),
        format!("PATCH /api/v1/admin/registrations/{r}"),
        format!("DELETE /api/v1/admin/registrations/{r}"),
        "GET /api/v1/admin/notifications".to_string(),
        "GET /api/v1/admin/membership-applications".to_string(),
        "GET /api/v1/admin/membership-applications/stats".to_string(),
        "POST /api/v1/admin/membership-applications/decisions".to_string(),
        format!("GET /api/v1/admin/membership-applications/{a}"),
        format!("POST /api/v1/admin/membership-applications/{a}/approve"),
        format!("POST /api/v1/admin/membership-applications/{a}/reject"),
        "GET /api/v1/admin/audit-log".to_string(),
        "GET /api/v1/admin/accounts".to_string(),
        format!("PATCH /api/v1/admin/accounts/{c}"),
    ] {
        assert!(
            operations.contains(&expected),
            "{expected} in {operations:?}"
        );
    }
}

#[tokio::test]
async fn a_member_gets_403_on_every_admin_operation_and_nothing_changes() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let member_token = app.member_token().await;
    let before = admin_view(&app, &f).await;

    let operations = admin_operations(&f);
    assert!(operations.len() >= 20, "{} operations", operations.len());
    for (method, path, body) in operations {
        let response = app
            .send_json(method.clone(), &path, &member_token, body.as_ref())
            .await;
        let problem = assert_problem(response, StatusCode::FORBIDDEN, "admin-only").await;
        assert!(
            problem.get("errors").is_none_or(Value::is_null),
            "{method} {path}: {problem}"
        );
    }

    assert_admin_view_unchanged(&app, &f, &before, "the member's attempts").await;
}

#[tokio::test]
async fn every_admin_operation_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let before = admin_view(&app, &f).await;

    for (method, path, body) in admin_operations(&f) {
        let mut request = app.client.request(method.clone(), app.url(&path));
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        assert_bearer_challenge(&format!("{method} {path}"), response).await;
    }

    assert_admin_view_unchanged(&app, &f, &before, "the anonymous attempts").await;
}

// ---------------------------------------------------------------------------------
// 4. Accounts
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_accounts_list_pages_and_filters_by_role_disabled_and_email() {
    let (app, _, token) = app_with_admin().await;
    app.insert_account("ada@camden.gov.uk", Role::Member);
    app.insert_account("grace@camden.gov.uk", Role::Member);
    let hedy = app.insert_account("hedy@hackney.gov.uk", Role::Member);
    app.insert_account("second.admin@hackney.gov.uk", Role::Admin);
    patched_account(&app, &token, &hedy, json!({"disabled": true})).await;

    let all = accounts(&app, &token, &[]).await;
    assert_eq!(all["total"], 5);
    assert_eq!(all["limit"], 20);
    assert_eq!(all["offset"], 0);
    assert_eq!(
        emails(&all),
        [
            "admin@example.org",
            "ada@camden.gov.uk",
            "grace@camden.gov.uk",
            "hedy@hackney.gov.uk",
            "second.admin@hackney.gov.uk"
        ],
        "oldest first"
    );

    let page = accounts(&app, &token, &[("limit", "2"), ("offset", "2")]).await;
    assert_eq!(page["total"], 5);
    assert_eq!(page["limit"], 2);
    assert_eq!(page["offset"], 2);
    assert_eq!(emails(&page), emails(&all)[2..4].to_vec());

    let admins = accounts(&app, &token, &[("role", "admin")]).await;
    assert_eq!(
        emails(&admins),
        ["admin@example.org", "second.admin@hackney.gov.uk"]
    );
    let members = accounts(&app, &token, &[("role", "member")]).await;
    assert_eq!(members["total"], 3);
    assert!(items(&members).iter().all(|a| a["role"] == "member"));

    let disabled = accounts(&app, &token, &[("disabled", "true")]).await;
    assert_eq!(emails(&disabled), ["hedy@hackney.gov.uk"]);
    assert_eq!(disabled["items"][0]["disabled"], true);
    let enabled = accounts(&app, &token, &[("disabled", "false")]).await;
    assert_eq!(enabled["total"], 4);

    let camden = accounts(&app, &token, &[("email", "CAMDEN")]).await;
    assert_eq!(
        emails(&camden),
        ["ada@camden.gov.uk", "grace@camden.gov.uk"]
    );
    let hackney_members = accounts(&app, &token, &[("email", "hackney"), ("role", "member")]).await;
    assert_eq!(emails(&hackney_members), ["hedy@hackney.gov.uk"]);
    let none = accounts(&app, &token, &[("email", "%")]).await;
    assert_eq!(none["total"], 0, "`%` is matched literally");

    for (name, value) in [
        ("limit", "0"),
        ("limit", "101"),
        ("role", "owner"),
        ("disabled", "maybe"),
    ] {
        let path = "/api/v1/admin/accounts";
        app.assert_bad_query(Some(&token), path, &[(name, value)])
            .await;
    }
}

#[tokio::test]
async fn every_listed_account_has_its_membership_status() {
    let (app, _, token) = app_with_admin().await;
    let (_, pending_token) = new_member(&app, "pending@example.org").await;
    let (_, member_token) = new_member(&app, "member@example.org").await;
    let (_, rejected_token) = new_member(&app, "rejected@example.org").await;
    apply(&app, &pending_token).await;
    let to_approve = apply(&app, &member_token).await;
    let to_reject = apply(&app, &rejected_token).await;
    let approve = format!("/api/v1/admin/membership-applications/{to_approve}/approve");
    let r = app.send_json(Method::POST, &approve, &token, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let reject = format!("/api/v1/admin/membership-applications/{to_reject}/reject");
    let r = app
        .send_json(
            Method::POST,
            &reject,
            &token,
            Some(&json!({"reason": "Not a library role."})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let all = accounts(&app, &token, &[]).await;
    let statuses: Vec<(String, String)> = items(&all)
        .iter()
        .map(|a| {
            (
                a["email"].as_str().unwrap().to_string(),
                a["membership_status"]
                    .as_str()
                    .unwrap_or_else(|| panic!("membership_status in {a}"))
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("admin@example.org", "none"),
        ("pending@example.org", "pending"),
        ("member@example.org", "member"),
        ("rejected@example.org", "rejected"),
    ]
    .map(|(e, s)| (e.to_string(), s.to_string()));
    assert_eq!(statuses, expected);
}

#[tokio::test]
async fn demoting_an_admin_revokes_their_refresh_tokens_and_admin_access() {
    let (app, _, token) = app_with_admin().await;
    let other = app.insert_account("other@example.org", Role::Admin);
    let pair = app.sign_in("other@example.org").await;
    let other_token = access_token(&pair);
    assert_eq!(audit_log(&app, &other_token, &[]).await["total"], 2);

    let account = patched_account(&app, &token, &other, json!({"role": "member"})).await;
    assert_eq!(account["role"], "member");
    assert_eq!(account["disabled"], false);

    app.assert_refresh_refused(&pair["refresh_token"]).await;
    // Its sessions ended, access tokens included.
    assert_eq!(app.me_status(&other_token).await, StatusCode::UNAUTHORIZED);
    let response = app.get(LOG).bearer_auth(&other_token).send().await.unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // Signed in again, a member without admin access.
    let member_token = access_token(&app.sign_in("other@example.org").await);
    let response = app
        .get(LOG)
        .bearer_auth(&member_token)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "admin-only").await;
    let response = app
        .post("/api/v1/admin/events")
        .bearer_auth(&member_token)
        .json(&event_body("After demotion", 5))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN, "admin-only").await;
    assert_eq!(app.me_status(&member_token).await, StatusCode::OK);
}

#[tokio::test]
async fn disabling_an_account_revokes_its_refresh_tokens_and_access_at_once() {
    let (app, _, token) = app_with_admin().await;
    let member = app.insert_account("member@example.org", Role::Member);
    let first = app.sign_in("member@example.org").await;
    let second = app.sign_in("member@example.org").await;
    let member_token = access_token(&first);
    assert_eq!(app.me_status(&member_token).await, StatusCode::OK);

    let account = patched_account(&app, &token, &member, json!({"disabled": true})).await;
    assert_eq!(account["disabled"], true);
    assert_eq!(account["role"], "member");

    for pair in [&first, &second] {
        app.assert_refresh_refused(&pair["refresh_token"]).await;
    }
    let response = app
        .get("/api/v1/me")
        .bearer_auth(&member_token)
        .send()
        .await;
    assert_bearer_challenge("GET /api/v1/me", response.unwrap()).await;
    let login = app.login("member@example.org", PASSWORD).await;
    assert_problem(login, StatusCode::FORBIDDEN, "account-disabled").await;
}

#[tokio::test]
async fn disabling_an_admin_stops_their_admin_token_with_401() {
    let (app, _, token) = app_with_admin().await;
    let other = app.insert_account("other@example.org", Role::Admin);
    let pair = app.sign_in("other@example.org").await;

    patched_account(&app, &token, &other, json!({"disabled": true})).await;
    app.assert_refresh_refused(&pair["refresh_token"]).await;
    let log = app.get(LOG).bearer_auth(access_token(&pair));
    assert_problem_of(log, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn the_last_active_admin_cannot_demote_or_disable_themselves() {
    let (app, admin_id, token) = app_with_admin().await;
    app.insert_account("member@example.org", Role::Member);
    for body in [
        json!({"role": "member"}),
        json!({"disabled": true}),
        json!({"role": "member", "disabled": true}),
        json!({"role": "admin", "disabled": true}),
    ] {
        let response = patch_account(&app, &token, &admin_id, body.clone()).await;
        assert_problem(response, StatusCode::CONFLICT, "last-admin").await;
    }
    // A change that keeps them an active admin is fine.
    let account = patched_account(
        &app,
        &token,
        &admin_id,
        json!({"role": "admin", "disabled": false}),
    )
    .await;
    assert_eq!(account["role"], "admin");
    assert_eq!(active_admin_count(&app, &token).await, 1);
    assert_eq!(app.me_status(&token).await, StatusCode::OK);
}

#[tokio::test]
async fn a_disabled_admin_does_not_count_as_another_active_admin() {
    let (app, admin_id, token) = app_with_admin().await;
    let other = app.insert_account("other@example.org", Role::Admin);
    patched_account(&app, &token, &other, json!({"disabled": true})).await;

    let response = patch_account(&app, &token, &admin_id, json!({"role": "member"})).await;
    assert_problem(response, StatusCode::CONFLICT, "last-admin").await;
    assert_eq!(active_admin_count(&app, &token).await, 1);
}

#[tokio::test]
async fn with_two_admins_one_may_demote_the_other_and_then_is_the_last() {
    let (app, admin_id, token) = app_with_admin().await;
    let (other_id, other_token) = new_admin(&app, "other@example.org").await;

    let demoted = patched_account(&app, &other_token, &admin_id, json!({"role": "member"})).await;
    assert_eq!(demoted["role"], "member");
    assert_eq!(active_admin_count(&app, &other_token).await, 1);

    for body in [json!({"role": "member"}), json!({"disabled": true})] {
        let response = patch_account(&app, &other_token, &other_id, body).await;
        assert_problem(response, StatusCode::CONFLICT, "last-admin").await;
    }
    // The demoted admin can no longer try: their session ended, and signed in again
    // they are a member.
    let response = patch_account(&app, &token, &other_id, json!({"role": "member"})).await;
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let token = access_token(&app.sign_in("admin@example.org").await);
    let response = patch_account(&app, &token, &other_id, json!({"role": "member"})).await;
    assert_problem(response, StatusCode::FORBIDDEN, "admin-only").await;
    let remaining = accounts(&app, &other_token, &[("role", "admin")]).await;
    assert_eq!(emails(&remaining), ["other@example.org"]);
}

#[tokio::test]
async fn concurrent_mutual_demotions_leave_an_active_admin() {
    let app = spawn_app().await;
    let (first_id, mut first_token) = new_admin(&app, "first@example.org").await;
    let (second_id, mut second_token) = new_admin(&app, "second@example.org").await;

    for round in 0..6 {
        let (a, b) = tokio::join!(
            patch_account(&app, &first_token, &second_id, json!({"role": "member"})),
            patch_account(&app, &second_token, &first_id, json!({"role": "member"})),
        );
        let statuses = [a.status(), b.status()];
        let successes = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(
            successes, 1,
            "round {round}: exactly one demotion wins: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [
                StatusCode::OK,
                StatusCode::CONFLICT,
                StatusCode::FORBIDDEN,
                StatusCode::UNAUTHORIZED
            ]
            .contains(s)),
            "round {round}: the loser is refused: {statuses:?}"
        );

        // The survivor is whoever won; the other was demoted.
        let (survivor_token, demoted_id) = if statuses[0] == StatusCode::OK {
            (&first_token, &second_id)
        } else {
            (&second_token, &first_id)
        };
        let admins = accounts(
            &app,
            survivor_token,
            &[("role", "admin"), ("disabled", "false")],
        )
        .await;
        assert_eq!(admins["total"], 1, "round {round}: {admins}");
        // Restore both admins for the next round; the demotion ended the other's
        // sessions, so it signs in again.
        patched_account(&app, survivor_token, demoted_id, json!({"role": "admin"})).await;
        assert_eq!(active_admin_count(&app, survivor_token).await, 2);
        if statuses[0] == StatusCode::OK {
            second_token = access_token(&app.sign_in("second@example.org").await);
        } else {
            first_token = access_token(&app.sign_in("first@example.org").await);
        }
    }
}
