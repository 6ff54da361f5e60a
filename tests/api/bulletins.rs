//! Bulletins: drafting, publishing, the public listing and the Atom feed.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn bulletin(number: i64) -> Value {
    json!({
        "number": number,
        "title": format!("Bulletin {number} news"),
        "phase": "Phase 3: Making Transformational Change Happen",
        "published_on": "2011-03-14",
        "summary": "Workshops and the Community of Practice",
        "sections": [
            {"heading": "LLCP Workshops", "body": "**Three** workshops remain. <script>alert('x')</script>"},
            {"heading": "Seminar", "body": "At [Swiss Cottage Library](https://example.org/swiss-cottage)."}
        ],
        "contacts": [{"name": "Programme Office", "role": "Contact", "email": "office@example.org"}]
    })
}

async fn create(app: &TestApp, admin: &str, body: &Value) -> reqwest::Response {
    app.send_json(Method::POST, "/api/v1/admin/bulletins", admin, Some(body))
        .await
}

async fn created(app: &TestApp, admin: &str, number: i64) -> Value {
    let response = create(app, admin, &bulletin(number)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn publish(app: &TestApp, admin: &str, id: &Value) -> reqwest::Response {
    app.send_json(
        Method::POST,
        &format!("/api/v1/admin/bulletins/{id}/publish"),
        admin,
        None,
    )
    .await
}

#[tokio::test]
async fn a_draft_is_invisible_until_published() {
    let (app, admin) = with_admin().await;
    let draft = created(&app, &admin, 14).await;
    assert!(draft["published_at"].is_null());
    assert_eq!(
        app.get("/api/v1/bulletins/14")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let list: Value = app.public_json("/api/v1/bulletins").await;
    assert_eq!(list["total"], 0);

    assert_eq!(
        publish(&app, &admin, &draft["id"]).await.status(),
        StatusCode::OK
    );
    let public: Value = app.public_json("/api/v1/bulletins/14").await;
    assert_eq!(public["title"], "Bulletin 14 news");
    assert_eq!(
        public["sections"][0]["body"], "**Three** workshops remain. <script>alert('x')</script>",
        "JSON keeps the Markdown as written"
    );
    assert_eq!(
        public["links"]["self"],
        "http://hub.test/api/v1/bulletins/14"
    );
    assert_problem(
        publish(&app, &admin, &draft["id"]).await,
        StatusCode::CONFLICT,
        "bulletin-already-published",
    )
    .await;
}

#[tokio::test]
async fn the_listing_is_newest_first_and_links_the_bulletins_events() {
    let (app, admin) = with_admin().await;
    for number in [13, 15, 14] {
        let b = created(&app, &admin, number).await;
        publish(&app, &admin, &b["id"]).await;
    }
    let mut linked = event_body("Linked workshop", 7);
    linked["bulletin_number"] = json!(14);
    let event = app.published_event(&admin, &linked).await;
    let mut draft_event = event_body("Draft workshop", 8);
    draft_event["bulletin_number"] = json!(14);
    app.create_event(&admin, &draft_event).await;

    let list: Value = app.public_json("/api/v1/bulletins").await;
    let numbers: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [15, 14, 13]);
    let fourteen: Value = app.public_json("/api/v1/bulletins/14").await;
    assert_eq!(
        fourteen["event_ids"],
        json!([event["id"]]),
        "published events only"
    );
}

#[tokio::test]
async fn invalid_bulletins_are_422_naming_fields_and_numbers_are_unique() {
    let (app, admin) = with_admin().await;
    let mut bad = bulletin(14);
    bad["title"] = json!("ab");
    bad["published_on"] = json!("14/03/2011");
    bad["contacts"][0]["email"] = json!("not-an-email");
    bad["sections"][1]["heading"] = json!("");
    let problem = assert_problem(
        create(&app, &admin, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    )
    .await;
    let fields = error_fields(&problem);
    for field in [
        "title",
        "published_on",
        "contacts[0].email",
        "sections[1].heading",
    ] {
        assert!(fields.contains(&field.to_string()), "{field} in {fields:?}");
    }
    created(&app, &admin, 14).await;
    assert_problem(
        create(&app, &admin, &bulletin(14)).await,
        StatusCode::CONFLICT,
        "bulletin-number-taken",
    )
    .await;
}

#[tokio::test]
async fn a_patch_merges_and_revalidates_and_drafts_alone_can_be_deleted() {
    let (app, admin) = with_admin().await;
    let draft = created(&app, &admin, 14).await;
    let path = format!("/api/v1/admin/bulletins/{}", draft["id"]);
    let patch = json!({"title": "A better title", "summary": null});
    let response = app
        .send_json(Method::PATCH, &path, &admin, Some(&patch))
        .await;
    let patched = expect_json(response, StatusCode::OK, "patch").await;
    assert_eq!(patched["title"], "A better title");
    assert!(patched["summary"].is_null());
    assert_eq!(
        patched["sections"].as_array().unwrap().len(),
        2,
        "untouched fields stay"
    );
    let invalid = app
        .patch(&path)
        .bearer_auth(&admin)
        .json(&json!({"published_on": "soon"}))
        .send()
        .await
        .unwrap();
    assert_problem(invalid, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;

    let other = created(&app, &admin, 15).await;
    publish(&app, &admin, &other["id"]).await;
    let published_delete = app
        .delete(&format!("/api/v1/admin/bulletins/{}", other["id"]))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_problem(published_delete, StatusCode::CONFLICT, "bulletin-published").await;
    let deleted = app.delete(&path).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&path)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bulletin_admin_needs_the_admin_role() {
    let app = spawn_app().await;
    let member = app.member_token().await;
    assert_eq!(
        app.get("/api/v1/admin/bulletins")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let create = app.post("/api/v1/admin/bulletins").bearer_auth(&member);
    let create = create.json(&bulletin(14));
    assert_problem_of(create, StatusCode::FORBIDDEN, "admin-only").await;
}

#[tokio::test]
async fn the_atom_feed_is_valid_and_its_html_is_sanitised() {
    let (app, admin) = with_admin().await;
    let b = created(&app, &admin, 14).await;
    publish(&app, &admin, &b["id"]).await;
    created(&app, &admin, 15).await;

    let response = app.get_cross_origin("/api/v1/bulletins.atom").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let xml = response.text().await.unwrap();
    let feed = atom_syndication::Feed::read_from(xml.as_bytes()).expect("valid Atom");
    assert_eq!(feed.entries().len(), 1, "drafts stay out of the feed");
    let entry = &feed.entries()[0];
    assert_eq!(entry.id(), "http://hub.test/api/v1/bulletins/14");
    assert!(
        feed.links()
            .iter()
            .any(|l| l.rel() == "self" && l.href() == "http://hub.test/api/v1/bulletins.atom")
    );
    let html = entry.content().unwrap().value().unwrap();
    assert!(html.contains("<strong>Three</strong>"));
    assert!(html.contains("rel=\"noopener noreferrer\""));
    assert!(!html.contains("<script"), "{html}");
}

#[tokio::test]
async fn the_demo_loads_bulletin_14_with_its_four_events() {
    let app = spawn_app_with(|s| s.demo = true).await;
    let bulletin: Value = app.public_json("/api/v1/bulletins/14").await;
    assert_eq!(
        bulletin["phase"],
        "Phase 3: Making Transformational Change Happen"
    );
    assert_eq!(bulletin["published_on"], "2011-03-14");
    assert_eq!(bulletin["event_ids"].as_array().unwrap().len(), 4);
    let headings: Vec<&str> = bulletin["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["heading"].as_str().unwrap())
        .collect();
    assert!(headings.contains(&"The LLCP Community of Practice"));
    for contact in bulletin["contacts"].as_array().unwrap() {
        assert!(
            contact["email"].as_str().unwrap().ends_with("@example.org"),
            "no real addresses"
        );
    }
}

#[tokio::test]
async fn bulletin_writes_are_in_the_audit_log() {
    let (app, admin) = with_admin().await;
    let b = created(&app, &admin, 14).await;
    publish(&app, &admin, &b["id"]).await;
    let log: Value = app
        .get_json(
            &admin,
            &format!(
                "/api/v1/admin/audit-log?target_type=bulletin&target_id={}",
                b["id"]
            ),
        )
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["bulletin.publish", "bulletin.create"]);
}

#[tokio::test]
async fn a_bulletin_patch_may_not_name_unknown_fields_even_to_clear_them() {
    let (app, admin) = with_admin().await;
    let b = created(&app, &admin, 14).await;
    let patch = |body: Value| {
        app.patch(&format!("/api/v1/admin/bulletins/{}", b["id"]))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let response = patch(json!({"colour": null})).await.unwrap();
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY, "validation").await;
    assert_eq!(error_fields(&problem), ["colour"]);
    // Known optional fields still clear with null.
    let response = patch(json!({"summary": null})).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// A change that makes a valid bulletin invalid.
type Spoil = fn(&mut Value);

#[tokio::test]
async fn each_invalid_bulletin_field_is_422_naming_exactly_it() {
    let (app, admin) = with_admin().await;
    let cases: [(&str, Spoil, &[&str]); 2] = [
        (
            "an unknown field",
            |b| b["author"] = json!("someone"),
            &["author"],
        ),
        (
            "a heading and a contact name of spaces alone",
            |b| {
                b["sections"][0]["heading"] = json!("   ");
                b["contacts"][0]["name"] = json!("   ");
            },
            &["sections[0].heading", "contacts[0].name"],
        ),
    ];
    for (case, spoil, fields) in cases {
        let mut body = bulletin(14);
        spoil(&mut body);
        let response = create(&app, &admin, &body).await;
        assert_eq!(invalid_fields(case, response).await, fields, "{case}");
    }
}
