//! Deciding Community of Practice applications: the admin list and filters, single and
//! bulk decisions (and their races), notifications, the measured promise and the
//! overdue reminders.

use std::time::Duration;

use llcp_hub::domain::Role;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const ADMIN_APPLICATIONS: &str = "/api/v1/admin/membership-applications";

fn application() -> Value {
    json!({
        "statement": "I run the libraries service and would like to share our co-location work.",
        "organisation": "London Borough of Camden",
        "borough": "camden",
        "job_title": "Head of Libraries",
    })
}

/// An applicant with a pending application.
struct Applicant {
    account_id: String,
    email: String,
    token: String,
    application_id: String,
}

async fn applicant(app: &TestApp, email: &str) -> Applicant {
    let token = app.token_for(email, Role::Member).await;
    let me: Value = app.get_json(&token, "/api/v1/me").await;
    let response = app.apply(&token, &application()).await;
    let body = expect_json(response, StatusCode::CREATED, "apply").await;
    Applicant {
        account_id: me["id"].as_str().unwrap().to_string(),
        email: email.to_string(),
        token,
        application_id: body["id"].as_str().unwrap().to_string(),
    }
}

async fn approve(app: &TestApp, admin: &str, id: &str) -> Response {
    app.decide(admin, id, "approve", None).await
}

async fn reject(app: &TestApp, admin: &str, id: &str, body: &Value) -> Response {
    app.decide(admin, id, "reject", Some(body)).await
}

async fn ok_json(response: Response) -> Value {
    expect_json(response, StatusCode::OK, "decision").await
}

/// Approves the application (200 asserted).
async fn approval(app: &TestApp, admin: &str, who: &Applicant) -> Value {
    ok_json(approve(app, admin, &who.application_id).await).await
}

/// Rejects the application with the reason (200 asserted).
async fn rejection(app: &TestApp, admin: &str, who: &Applicant, reason: &str) -> Value {
    let body = json!({ "reason": reason });
    ok_json(reject(app, admin, &who.application_id, &body).await).await
}

async fn list(app: &TestApp, admin: &str, query: &str) -> Value {
    app.get_json(admin, &format!("{ADMIN_APPLICATIONS}{query}"))
        .await
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

async fn membership_status(app: &TestApp, token: &str) -> String {
    let me = app.get_json(token, "/api/v1/me").await;
    me["membership_status"].as_str().unwrap().to_string()
}

/// Every notification in the outbox with this template.
async fn notifications(app: &TestApp, admin: &str, template: &str) -> Vec<Value> {
    let all = app.outbox(admin).await;
    all.into_iter()
        .filter(|n| n["template"] == template)
        .collect()
}

/// The one notification of `template` in the outbox, to ada@example.org, with none of
/// `not_sent`.
async fn the_one_notice(app: &TestApp, admin: &str, template: &str, not_sent: &str) -> Value {
    let sent = notifications(app, admin, template).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["recipient"], "ada@example.org");
    assert!(notifications(app, admin, not_sent).await.is_empty());
    sent[0].clone()
}

fn zero_sla(s: &mut llcp_hub::config::Settings) {
    s.membership_sla = Duration::ZERO;
}

// --- access -----------------------------------------------------------------------------

#[tokio::test]
async fn the_admin_endpoints_are_for_admins_only() {
    let app = spawn_app().await;
    let member = app.member_token().await;
    let paths = [
        ADMIN_APPLICATIONS.to_string(),
        format!("{ADMIN_APPLICATIONS}/stats"),
        format!("{ADMIN_APPLICATIONS}/{}", uuid::Uuid::new_v4()),
    ];
    for path in &paths {
        let response = app.get(path).send().await.unwrap();
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let response = app.get(path).bearer_auth(&member).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let response = app
        .post(&format!("{ADMIN_APPLICATIONS}/decisions"))
        .bearer_auth(&member)
        .json(&json!({"decisions": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

// --- the list and one application ---------------------------------------------------------

#[tokio::test]
async fn the_list_is_oldest_first_with_age_overdue_and_applicant() {
    let (app, admin) = with_admin().await;
    let mut applicants = Vec::new();
    for name in ["first", "second", "third"] {
        applicants.push(applicant(&app, &format!("{name}@example.org")).await);
    }
    let body = list(&app, &admin, "").await;
    assert_eq!(body["total"], 3);
    let expected: Vec<String> = applicants
        .iter()
        .map(|a| a.application_id.clone())
        .collect();
    assert_eq!(ids(&body), expected, "oldest first");
    for (item, who) in body["items"].as_array().unwrap().iter().zip(&applicants) {
        assert_eq!(item["status"], "pending");
        assert_eq!(item["overdue"], false);
        assert_eq!(item["borough"], "Camden");
        let age = item["age_hours"].as_f64().expect("age_hours is a number");
        assert!((0.0..1.0).contains(&age), "{age}");
        assert_eq!(
            item["applicant"],
            json!({
                "id": who.account_id,
                "full_name": "Test Person",
                "email": who.email,
                "organisation": "Test Borough Council",
            })
        );
    }
}

#[tokio::test]
async fn the_list_filters_by_status() {
    let (app, admin) = with_admin().await;
    let pending = applicant(&app, "pending@example.org").await;
    let approved = applicant(&app, "approved@example.org").await;
    let rejected = applicant(&app, "rejected@example.org").await;
    approval(&app, &admin, &approved).await;
    rejection(&app, &admin, &rejected, "Not a council officer.").await;

    for (status, who) in [
        ("pending", &pending),
        ("approved", &approved),
        ("rejected", &rejected),
    ] {
        let body = list(&app, &admin, &format!("?status={status}")).await;
        assert_eq!(body["total"], 1, "{status}");
        assert_eq!(ids(&body), vec![who.application_id.clone()], "{status}");
        assert_eq!(body["items"][0]["status"], status);
    }
    let rejected_list = list(&app, &admin, "?status=rejected").await;
    assert_eq!(
        rejected_list["items"][0]["reason"],
        "Not a council officer."
    );
    assert_eq!(list(&app, &admin, "").await["total"], 3);

    let request = app.get(&format!("{ADMIN_APPLICATIONS}?status=maybe"));
    let request = request.bearer_auth(&admin);
    assert_problem_of(request, StatusCode::BAD_REQUEST, "bad-request").await;
}

#[tokio::test]
async fn overdue_true_lists_only_pending_applications_past_respond_by() {
    let app = spawn_app_with(zero_sla).await;
    let admin = app.admin_token().await;
    let waiting = applicant(&app, "waiting@example.org").await;
    let decided = applicant(&app, "decided@example.org").await;
    let later = applicant(&app, "later@example.org").await;
    approval(&app, &admin, &decided).await;

    let body = list(&app, &admin, "?overdue=true").await;
    assert_eq!(body["total"], 2);
    assert_eq!(
        ids(&body),
        vec![waiting.application_id.clone(), later.application_id.clone()]
    );
    for item in body["items"].as_array().unwrap() {
        assert_eq!(item["overdue"], true);
        assert_eq!(item["status"], "pending");
        assert_eq!(item["respond_by"], item["submitted_at"]);
    }
    let all = list(&app, &admin, "").await;
    assert_eq!(all["total"], 3);
    let decided_item = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == decided.application_id.as_str())
        .unwrap();
    assert_eq!(
        decided_item["overdue"], false,
        "a decided application is never overdue"
    );
}

#[tokio::test]
async fn overdue_true_is_empty_while_within_the_promise() {
    let (app, admin) = with_admin().await;
    applicant(&app, "fresh@example.org").await;
    let body = list(&app, &admin, "?overdue=true").await;
    assert_eq!(body["total"], 0);
    assert_eq!(body["items"], json!([]));
    assert_eq!(list(&app, &admin, "?overdue=false").await["total"], 1);
}

#[tokio::test]
async fn one_application_is_shown_with_its_applicant() {
    let (app, admin) = with_admin().await;
    let who = applicant(&app, "ada@example.org").await;
    let body = app
        .get_json(
            &admin,
            &format!("{ADMIN_APPLICATIONS}/{}", who.application_id),
        )
        .await;
    assert_eq!(body["id"], who.application_id.as_str());
    assert_eq!(body["status"], "pending");
    assert_eq!(body["applicant"]["id"], who.account_id.as_str());
    assert_eq!(body["applicant"]["email"], "ada@example.org");
    assert!(body["age_hours"].is_number());
    assert_eq!(body["overdue"], false);
}

#[tokio::test]
async fn an_unknown_or_malformed_application_id_is_404() {
    let (app, admin) = with_admin().await;
    applicant(&app, "ada@example.org").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    for id in [unknown.as_str(), "not-a-uuid", "42"] {
        let response = app
            .get(&format!("{ADMIN_APPLICATIONS}/{id}"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
        assert_problem(
            approve(&app, &admin, id).await,
            StatusCode::NOT_FOUND,
            "not-found",
        )
        .await;
        let response = reject(&app, &admin, id, &json!({"reason": "No."})).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    }
}

// --- single decisions ---------------------------------------------------------------------

#[tokio::test]
async fn approving_makes_the_applicant_a_member_at_once_and_notifies_them() {
    let (app, admin) = with_admin().await;
    let who = applicant(&app, "ada@example.org").await;
    assert_eq!(membership_status(&app, &who.token).await, "pending");

    let decided = approval(&app, &admin, &who).await;
    assert_eq!(decided["id"], who.application_id.as_str());
    assert_eq!(decided["status"], "approved");
    assert!(decided["decided_at"].is_string());
    assert!(decided["reason"].is_null());
    assert_eq!(decided["overdue"], false);
    assert_eq!(decided["applicant"]["id"], who.account_id.as_str());

    assert_eq!(membership_status(&app, &who.token).await, "member");
    the_one_notice(&app, &admin, "membership_approved", "membership_rejected").await;
}

#[tokio::test]
async fn rejecting_shows_the_reason_to_the_applicant_and_notifies_them() {
    let (app, admin) = with_admin().await;
    let who = applicant(&app, "ada@example.org").await;
    let reason = "The Community of Practice is for library service staff.";
    let decided = rejection(&app, &admin, &who, reason).await;
    assert_eq!(decided["status"], "rejected");
    assert_eq!(decided["reason"], reason);

    let mine = app
        .get_json(&who.token, "/api/v1/me/membership-application")
        .await;
    assert_eq!(mine["status"], "rejected");
    assert_eq!(mine["reason"], reason);
    assert_eq!(membership_status(&app, &who.token).await, "rejected");

    let sent = the_one_notice(&app, &admin, "membership_rejected", "membership_approved").await;
    assert!(sent["body"].as_str().unwrap().contains(reason), "{sent}");
}

#[tokio::test]
async fn rejecting_needs_a_reason_of_1_to_2000_characters() {
    let (app, admin) = with_admin().await;
    let who = applicant(&app, "ada@example.org").await;
    for (body, field) in [
        (json!({}), "reason"),
        (json!({"reason": ""}), "reason"),
        (json!({"reason": "   "}), "reason"),
        (json!({"reason": "r".repeat(2001)}), "reason"),
        (json!({"reason": null}), "reason"),
        (json!({"reason": "ok", "note": 1}), "note"),
    ] {
        let case = body.to_string();
        let response = reject(&app, &admin, &who.application_id, &body).await;
        assert_eq!(invalid_fields(&case, response).await, [field], "{case}");
    }

    assert_eq!(membership_status(&app, &who.token).await, "pending");
    let decided = rejection(&app, &admin, &who, &"r".repeat(2000)).await;
    assert_eq!(decided["status"], "rejected");
}

#[tokio::test]
async fn deciding_an_already_decided_application_is_409() {
    let (app, admin) = with_admin().await;
    let approved = applicant(&app, "approved@example.org").await;
    let rejected = applicant(&app, "rejected@example.org").await;
    approval(&app, &admin, &approved).await;
    rejection(&app, &admin, &rejected, "No.").await;

    let again = json!({"reason": "Changed my mind."});
    for who in [&approved, &rejected] {
        let response = approve(&app, &admin, &who.application_id).await;
        assert_problem(response, StatusCode::CONFLICT, "application-decided").await;
        let response = reject(&app, &admin, &who.application_id, &again).await;
        assert_problem(response, StatusCode::CONFLICT, "application-decided").await;
    }
    assert_eq!(membership_status(&app, &approved.token).await, "member");
    assert_eq!(
        membership_status(&app, &rejected.token).await,
        "rejected",
        "a late approval does not make a rejected applicant a member"
    );
    let rejected_now = app
        .get_json(
            &admin,
            &format!("{ADMIN_APPLICATIONS}/{}", rejected.application_id),
        )
        .await;
    assert_eq!(rejected_now["reason"], "No.");
    assert_eq!(
        notifications(&app, &admin, "membership_approved")
            .await
            .len(),
        1
    );
    assert_eq!(
        notifications(&app, &admin, "membership_rejected")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn concurrent_approve_and_reject_have_exactly_one_winner() {
    let (app, admin) = with_admin().await;
    let reason = json!({"reason": "Raced."});
    for round in 0..6 {
        let who = applicant(&app, &format!("race{round}@example.org")).await;
        let (approved, rejected) = tokio::join!(
            approve(&app, &admin, &who.application_id),
            reject(&app, &admin, &who.application_id, &reason),
        );
        let statuses = (approved.status(), rejected.status());
        let winner = match statuses {
            (StatusCode::OK, StatusCode::CONFLICT) => {
                assert_problem(rejected, StatusCode::CONFLICT, "application-decided").await;
                "approved"
            }
            (StatusCode::CONFLICT, StatusCode::OK) => {
                assert_problem(approved, StatusCode::CONFLICT, "application-decided").await;
                "rejected"
            }
            other => panic!("round {round}: expected one 200 and one 409, got {other:?}"),
        };
        let now = app
            .get_json(
                &admin,
                &format!("{ADMIN_APPLICATIONS}/{}", who.application_id),
            )
            .await;
        assert_eq!(now["status"], winner, "round {round}");
        let expected_status = if winner == "approved" {
            "member"
        } else {
            "rejected"
        };
        assert_eq!(membership_status(&app, &who.token).await, expected_status);
    }
    let approved = notifications(&app, &admin, "membership_approved").await;
    let rejected = notifications(&app, &admin, "membership_rejected").await;
    assert_eq!(
        approved.len() + rejected.len(),
        6,
        "one notification per application"
    );
}

// --- bulk decisions -----------------------------------------------------------------------

async fn bulk(app: &TestApp, admin: &str, body: &Value) -> Response {
    app.send_json(
        Method::POST,
        &format!("{ADMIN_APPLICATIONS}/decisions"),
        admin,
        Some(body),
    )
    .await
}

#[tokio::test]
async fn bulk_decisions_give_one_result_per_item_in_order_and_failures_undo_nothing() {
    let (app, admin) = with_admin().await;
    let a = applicant(&app, "a@example.org").await;
    let b = applicant(&app, "b@example.org").await;
    let c = applicant(&app, "c@example.org").await;
    let d = applicant(&app, "d@example.org").await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let body = json!({"decisions": [
        {"id": a.application_id, "decision": "approve"},
        {"id": b.application_id, "decision": "reject", "reason": "Not library staff."},
        {"id": unknown, "decision": "approve"},
        {"id": c.application_id, "decision": "reject"},
        {"id": a.application_id, "decision": "reject", "reason": "Too late."},
        {"id": d.application_id, "decision": "reject", "reason": "  "},
    ]});
    let results = ok_json(bulk(&app, &admin, &body).await).await["results"].clone();
    let results = results.as_array().unwrap();
    assert_eq!(results.len(), 6);
    let expected_ids = [
        &a.application_id,
        &b.application_id,
        &unknown,
        &c.application_id,
        &a.application_id,
        &d.application_id,
    ];
    for (result, id) in results.iter().zip(expected_ids) {
        assert_eq!(result["id"], id.as_str(), "in the order sent");
    }

    assert_eq!(results[0]["outcome"], "approved");
    assert_eq!(results[0]["application"]["status"], "approved");
    assert_eq!(
        results[0]["application"]["applicant"]["email"],
        "a@example.org"
    );
    assert!(results[0]["problem"].is_null());
    assert_eq!(results[1]["outcome"], "rejected");
    assert_eq!(results[1]["application"]["reason"], "Not library staff.");

    for (index, kind, status) in [
        (2, "not-found", 404),
        (3, "validation", 422),
        (4, "application-decided", 409),
        (5, "validation", 422),
    ] {
        let result = &results[index];
        assert_eq!(result["outcome"], "failed", "{result}");
        assert!(result["application"].is_null(), "{result}");
        assert_eq!(
            result["problem"]["type"],
            format!("/problems/{kind}"),
            "{result}"
        );
        assert_eq!(result["problem"]["status"], status, "{result}");
        assert!(result["problem"]["title"].is_string() && result["problem"]["detail"].is_string());
    }
    assert_eq!(results[3]["problem"]["errors"][0]["field"], "reason");

    // The failures undid none of the decisions, and decided nothing themselves.
    assert_eq!(membership_status(&app, &a.token).await, "member");
    assert_eq!(membership_status(&app, &b.token).await, "rejected");
    assert_eq!(membership_status(&app, &c.token).await, "pending");
    assert_eq!(membership_status(&app, &d.token).await, "pending");
    let pending = list(&app, &admin, "?status=pending").await;
    assert_eq!(pending["total"], 2);
    assert_eq!(
        notifications(&app, &admin, "membership_approved")
            .await
            .len(),
        1
    );
    let rejections = notifications(&app, &admin, "membership_rejected").await;
    assert_eq!(rejections.len(), 1);
    assert!(
        rejections[0]["body"]
            .as_str()
            .unwrap()
            .contains("Not library staff.")
    );
}

#[tokio::test]
async fn bulk_decisions_take_1_to_100_items() {
    let (app, admin) = with_admin().await;
    let items = |n: usize| -> Value {
        let decisions: Vec<Value> = (0..n)
            .map(|_| json!({"id": uuid::Uuid::new_v4(), "decision": "approve"}))
            .collect();
        json!({ "decisions": decisions })
    };
    for n in [0, 101] {
        let response = bulk(&app, &admin, &items(n)).await;
        let problem =
            assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
        assert_eq!(error_fields(&problem), vec!["decisions"], "{n} items");
    }
    let results = ok_json(bulk(&app, &admin, &items(100)).await).await;
    let results = results["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert!(
        results
            .iter()
            .all(|r| r["outcome"] == "failed" && r["problem"]["type"] == "/problems/not-found")
    );
}

#[tokio::test]
async fn a_malformed_bulk_item_is_422_naming_it() {
    let (app, admin) = with_admin().await;
    let who = applicant(&app, "ada@example.org").await;
    let body = json!({"decisions": [
        {"id": who.application_id, "decision": "approve"},
        {"id": who.application_id, "decision": "maybe"},
    ]});
    let problem = assert_problem(
        bulk(&app, &admin, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    assert_eq!(error_fields(&problem), vec!["decisions[1].decision"]);
    assert_eq!(
        membership_status(&app, &who.token).await,
        "pending",
        "nothing is decided when the request is invalid"
    );
}

// --- stats --------------------------------------------------------------------------------

async fn admin_stats(app: &TestApp, admin: &str) -> Value {
    app.get_json(admin, &format!("{ADMIN_APPLICATIONS}/stats"))
        .await
}

async fn community_stats(app: &TestApp) -> (Value, String) {
    let response = app.get("/api/v1/community/stats").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

#[tokio::test]
async fn admin_stats_are_empty_before_any_application() {
    let (app, admin) = with_admin().await;
    assert_eq!(
        admin_stats(&app, &admin).await,
        json!({
            "pending": 0,
            "overdue": 0,
            "decided_last_30_days": 0,
            "share_decided_within_promise": null,
            "median_hours_to_decision": null,
            "p90_hours_to_decision": null,
            "promise_hours": 24.0,
        })
    );
}

/// Three applicants: one approved, one rejected, one waiting; the admin stats then.
async fn stats_after_two_decisions((app, admin): (TestApp, String)) -> Value {
    let a = applicant(&app, "a@example.org").await;
    let b = applicant(&app, "b@example.org").await;
    applicant(&app, "c@example.org").await;
    approval(&app, &admin, &a).await;
    rejection(&app, &admin, &b, "No.").await;
    admin_stats(&app, &admin).await
}

#[tokio::test]
async fn admin_stats_count_decisions_within_the_promise() {
    let stats = stats_after_two_decisions(with_admin().await).await;
    assert_eq!(stats["pending"], 1);
    assert_eq!(stats["overdue"], 0);
    assert_eq!(stats["decided_last_30_days"], 2);
    assert_eq!(stats["share_decided_within_promise"], 1.0);
    let median = stats["median_hours_to_decision"].as_f64().unwrap();
    let p90 = stats["p90_hours_to_decision"].as_f64().unwrap();
    assert!(
        (0.0..1.0).contains(&median) && median <= p90 && p90 < 1.0,
        "{stats}"
    );
    assert_eq!(stats["promise_hours"], 24.0);
}

#[tokio::test]
async fn admin_stats_count_overdue_and_decisions_past_the_promise() {
    let app = spawn_app_with(zero_sla).await;
    let admin = app.admin_token().await;
    let stats = stats_after_two_decisions((app, admin)).await;
    assert_eq!(stats["pending"], 1);
    assert_eq!(stats["overdue"], 1);
    assert_eq!(stats["decided_last_30_days"], 2);
    assert_eq!(stats["share_decided_within_promise"], 0.0);
    assert_eq!(stats["promise_hours"], 0.0);
}

#[tokio::test]
async fn community_stats_are_public_and_empty_before_any_decision() {
    let app = spawn_app().await;
    applicant(&app, "waiting@example.org").await;
    let (stats, _) = community_stats(&app).await;
    assert_eq!(
        stats,
        json!({
            "window_days": 90,
            "promise_hours": 24.0,
            "decided": 0,
            "median_hours_to_decision": null,
            "share_decided_within_promise": null,
        })
    );
}

#[tokio::test]
async fn community_stats_measure_the_promise_without_personal_data() {
    let (app, admin) = with_admin().await;
    let a = applicant(&app, "ada.lovelace@example.org").await;
    let b = applicant(&app, "grace.hopper@example.org").await;
    let c = applicant(&app, "waiting@example.org").await;
    approval(&app, &admin, &a).await;
    rejection(&app, &admin, &b, "Wrong borough.").await;

    let (stats, text) = community_stats(&app).await;
    assert_eq!(stats["window_days"], 90);
    assert_eq!(stats["promise_hours"], 24.0);
    assert_eq!(stats["decided"], 2);
    assert_eq!(stats["share_decided_within_promise"], 1.0);
    assert!(stats["median_hours_to_decision"].as_f64().unwrap() >= 0.0);
    let keys: Vec<&String> = stats.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "aggregates only: {stats}");
    for who in [&a, &b, &c] {
        for secret in [&who.email, &who.account_id, &who.application_id] {
            assert!(!text.contains(secret.as_str()), "{secret} in {text}");
        }
    }
    for secret in [
        "@",
        "Test Person",
        "Test Borough Council",
        "Wrong borough",
        "co-location",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

#[tokio::test]
async fn community_stats_count_decisions_after_respond_by_as_outside_the_promise() {
    let app = spawn_app_with(zero_sla).await;
    let admin = app.admin_token().await;
    let a = applicant(&app, "a@example.org").await;
    approval(&app, &admin, &a).await;
    let (stats, _) = community_stats(&app).await;
    assert_eq!(stats["decided"], 1);
    assert_eq!(stats["share_decided_within_promise"], 0.0);
    assert_eq!(stats["promise_hours"], 0.0);
}

// --- the reminder job ----------------------------------------------------------------------

const REMINDER: &str = "membership_overdue_reminder";

fn reminders_soon(s: &mut llcp_hub::config::Settings) {
    s.membership_sla = Duration::ZERO;
    s.reminder_interval = Duration::from_millis(100);
}

/// Polls the outbox (up to 10 s) until `done` holds for the reminders; returns them.
async fn wait_for_reminders(
    app: &TestApp,
    admin: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    for _ in 0..200 {
        let reminders = notifications(app, admin, REMINDER).await;
        if done(&reminders) {
            return reminders;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the reminders never arrived");
}

fn mentions(reminder: &Value, id: &str) -> bool {
    reminder["body"].as_str().unwrap().contains(id)
}

/// Several reminder intervals, for a reminder that should not come to come.
async fn several_intervals() {
    tokio::time::sleep(Duration::from_millis(800)).await;
}

#[tokio::test]
async fn an_overdue_application_reminds_each_active_admin_exactly_once() {
    let app = spawn_app_with(reminders_soon).await;
    let admin = app.admin_token().await;
    app.insert_account("second.admin@example.org", Role::Admin);
    let retired = app.insert_account("retired.admin@example.org", Role::Admin);
    let response = app
        .patch(&format!("/api/v1/admin/accounts/{retired}"))
        .bearer_auth(&admin)
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let who = applicant(&app, "late@example.org").await;
    wait_for_reminders(&app, &admin, |r| r.len() >= 2).await;
    several_intervals().await;

    let reminders = notifications(&app, &admin, REMINDER).await;
    let mut recipients: Vec<&str> = reminders
        .iter()
        .map(|r| r["recipient"].as_str().unwrap())
        .collect();
    recipients.sort();
    assert_eq!(
        recipients,
        vec!["admin@example.org", "second.admin@example.org"],
        "one reminder per active admin, none to a disabled one"
    );
    assert!(
        reminders.iter().all(|r| mentions(r, &who.application_id)),
        "{reminders:?}"
    );
    assert!(
        notifications(&app, &admin, REMINDER)
            .await
            .iter()
            .all(|r| r["recipient"] != "late@example.org"),
        "applicants are not reminded"
    );
}

#[tokio::test]
async fn a_later_overdue_application_gets_its_own_single_reminder() {
    let app = spawn_app_with(reminders_soon).await;
    let admin = app.admin_token().await;
    let first = applicant(&app, "first@example.org").await;
    wait_for_reminders(&app, &admin, |r| !r.is_empty()).await;
    several_intervals().await;
    let reminders = notifications(&app, &admin, REMINDER).await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");

    let second = applicant(&app, "second@example.org").await;
    wait_for_reminders(&app, &admin, |r| {
        r.iter().any(|r| mentions(r, &second.application_id))
    })
    .await;
    several_intervals().await;

    let reminders = notifications(&app, &admin, REMINDER).await;
    assert_eq!(reminders.len(), 2, "{reminders:?}");
    let about_first = reminders
        .iter()
        .filter(|r| mentions(r, &first.application_id))
        .count();
    let about_second = reminders
        .iter()
        .filter(|r| mentions(r, &second.application_id))
        .count();
    assert_eq!((about_first, about_second), (1, 1), "{reminders:?}");
}

// --- stats windows, with stored times moved into the past ---------------------------------

/// Moves an application's times back: submitted `days_ago` days ago, promised 24 h later,
/// and (when decided) decided `hours_to_decision` hours after submission.
fn backdate(app: &TestApp, id: &str, days_ago: i64, hours_to_decision: Option<i64>) {
    use diesel::prelude::*;
    use llcp_hub::db::schema::membership_applications as ma;
    let submitted = chrono::Utc::now().naive_utc() - chrono::Duration::days(days_ago);
    let mut conn = app.pool.get().unwrap();
    diesel::update(ma::table.find(id))
        .set((
            ma::submitted_at.eq(submitted),
            ma::respond_by.eq(submitted + chrono::Duration::hours(24)),
            ma::decided_at.eq(hours_to_decision.map(|h| submitted + chrono::Duration::hours(h))),
        ))
        .execute(&mut *conn)
        .unwrap();
}

#[tokio::test]
async fn stats_measure_decisions_within_their_window_against_the_promise() {
    let (app, admin) = with_admin().await;
    // (days ago, hours to the decision): within the last 30 days 1 h, 10 h and 30 h;
    // 31 to 90 days ago 2 h and 50 h; more than 90 days ago 5 h.
    let plan = [(5, 1), (10, 10), (20, 30), (40, 2), (60, 50), (100, 5)];
    for (i, (days_ago, hours)) in plan.iter().enumerate() {
        let who = applicant(&app, &format!("a{i}@example.org")).await;
        approval(&app, &admin, &who).await;
        backdate(&app, &who.application_id, *days_ago, Some(*hours));
    }

    let stats = admin_stats(&app, &admin).await;
    assert_eq!(stats["decided_last_30_days"], 3, "{stats}");
    assert_eq!(stats["median_hours_to_decision"], 10.0, "{stats}");
    assert_eq!(stats["p90_hours_to_decision"], 30.0, "{stats}");
    assert_eq!(
        stats["share_decided_within_promise"], 0.67,
        "2 of 3: {stats}"
    );

    let (community, _) = community_stats(&app).await;
    assert_eq!(community["decided"], 5, "{community}");
    assert_eq!(community["median_hours_to_decision"], 10.0, "{community}");
    assert_eq!(
        community["share_decided_within_promise"], 0.6,
        "3 of 5: {community}"
    );
}

#[tokio::test]
async fn a_pending_application_past_its_promise_is_overdue_everywhere() {
    let (app, admin) = with_admin().await;
    let late = applicant(&app, "late@example.org").await;
    applicant(&app, "fresh@example.org").await;
    backdate(&app, &late.application_id, 2, None);

    let overdue = list(&app, &admin, "?overdue=true").await;
    assert_eq!(ids(&overdue), vec![late.application_id.clone()]);
    let age = overdue["items"][0]["age_hours"].as_f64().unwrap();
    assert!((47.9..=48.2).contains(&age), "{age}");
    assert_eq!(overdue["items"][0]["overdue"], true);

    let stats = admin_stats(&app, &admin).await;
    assert_eq!(
        (stats["pending"].as_i64(), stats["overdue"].as_i64()),
        (Some(2), Some(1))
    );
    let mine = app
        .get_json(&late.token, "/api/v1/me/membership-application")
        .await;
    assert_eq!(mine["overdue"], true);
}
