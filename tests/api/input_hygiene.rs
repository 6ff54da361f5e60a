//! Input hygiene: control characters in any text (bodies, query parameters, path
//! segments), dates outside 1900–2200, and 422s that name every bad field at once.
//! Each case runs on the test database of the run (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL), where NUL once reached the database.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const NUL: &str = "a\u{0}b";

/// Whom a request is sent as.
#[derive(Clone, Copy)]
enum As {
    Nobody,
    Member,
    Admin,
}

/// The ids and tokens the table's requests need.
struct Fixture {
    app: TestApp,
    admin: String,
    member: String,
    event: i64,
    bulletin: i64,
    application: String,
    refresh_token: String,
}

impl Fixture {
    async fn new() -> Self {
        let app = spawn_app().await;
        let admin = app.admin_token().await;
        let event = app.open_event(&admin, Some(30)).await;
        let response = app
            .send_json(
                Method::POST,
                "/api/v1/admin/bulletins",
                &admin,
                Some(&bulletin_body()),
            )
            .await;
        let bulletin = expect_json(response, StatusCode::CREATED, "bulletin").await;
        let pair = {
            app.insert_account("applicant@example.org", llcp_hub::domain::Role::Member);
            app.sign_in("applicant@example.org").await
        };
        let member = access_token(&pair);
        let response = app.apply(&member, &application_body()).await;
        let application = expect_json(response, StatusCode::CREATED, "application").await;
        Self {
            admin,
            member,
            event,
            bulletin: bulletin["id"].as_i64().unwrap(),
            application: application["id"].as_str().unwrap().to_string(),
            refresh_token: pair["refresh_token"].as_str().unwrap().to_string(),
            app,
        }
    }

    fn token(&self, who: As) -> Option<&str> {
        match who {
            As::Nobody => None,
            As::Member => Some(&self.member),
            As::Admin => Some(&self.admin),
        }
    }

    async fn send(&self, method: Method, path: &str, who: As, body: Option<&Value>) -> Response {
        let mut request = self.app.client.request(method, self.app.url(path));
        if let Some(token) = self.token(who) {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    async fn admin_post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, As::Admin, Some(body)).await
    }

    async fn admin_patch(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PATCH, path, As::Admin, Some(body)).await
    }
}

fn bulletin_body() -> Value {
    json!({
        "number": 14,
        "title": "Bulletin 14",
        "phase": "Phase 3",
        "published_on": "2011-03-14",
        "summary": "Workshops\nand the Community of Practice",
        "sections": [{"heading": "LLCP Workshops", "body": "**Three**\r\n\tworkshops remain."}],
        "contacts": [{"name": "Programme Office", "role": "Contact", "organisation": "LLCP",
                      "email": "office@example.org", "phone": "020 7000 0000"}]
    })
}

fn application_body() -> Value {
    json!({
        "statement": "I run the libraries service.\nWe would like to share our work.",
        "organisation": "London Borough of Camden",
        "borough": "camden",
        "job_title": "Head of Libraries",
    })
}

fn full_event_body() -> Value {
    let mut body = event_body("Service specifications", 10);
    body["slug"] = json!("service-specifications");
    body["description"] = json!("Line one.\n\tLine two.");
    body["timezone"] = json!("Europe/London");
    body["organiser"] = json!("LLCP");
    body["speakers"] = json!(["Ada Lovelace"]);
    body
}

/// Sets the member at a dotted path (`venue.name`, `speakers[0]`) of a JSON body.
fn set(body: &mut Value, path: &str, value: Value) {
    let mut current = body;
    for part in path.split('.') {
        let (key, index) = match part.split_once('[') {
            Some((key, rest)) => (
                key,
                Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
            ),
            None => (part, None),
        };
        current = &mut current[key];
        if let Some(i) = index {
            current = &mut current[i];
        }
    }
    *current = value;
}

/// Every operation with a JSON body: its method, path, sender, a valid body and the
/// paths of every text field in it.
fn body_cases(f: &Fixture) -> Vec<(Method, String, As, Value, Vec<&'static str>)> {
    let event_fields = vec![
        "title",
        "slug",
        "summary",
        "description",
        "timezone",
        "venue.name",
        "venue.address",
        "venue.postcode",
        "audience[0]",
        "organiser",
        "speakers[0]",
    ];
    let bulletin_fields = vec![
        "title",
        "phase",
        "published_on",
        "summary",
        "sections[0].heading",
        "sections[0].body",
        "contacts[0].name",
        "contacts[0].role",
        "contacts[0].organisation",
        "contacts[0].email",
        "contacts[0].phone",
    ];
    let mut registration_body = registration("Ada Lovelace", "ada@camden.gov.uk");
    registration_body["borough"] = json!("Camden");
    registration_body["job_title"] = json!("Officer");
    registration_body["accessibility_needs"] = json!("Step-free\naccess");
    let signup = json!({"email": "new@example.org", "password": "a long enough passphrase",
                        "full_name": "Ada Lovelace", "organisation": "Camden", "borough": "Camden"});
    let application = &f.application;
    vec![
        (
            Method::POST,
            "/api/v1/accounts".into(),
            As::Nobody,
            signup,
            vec!["email", "password", "full_name", "organisation", "borough"],
        ),
        (
            Method::POST,
            "/api/v1/auth/token".into(),
            As::Nobody,
            json!({"email": "admin@example.org", "password": PASSWORD}),
            vec!["email", "password"],
        ),
        (
            Method::POST,
            "/api/v1/auth/refresh".into(),
            As::Nobody,
            json!({"refresh_token": f.refresh_token}),
            vec!["refresh_token"],
        ),
        (
            Method::POST,
            "/api/v1/auth/logout".into(),
            As::Nobody,
            json!({"refresh_token": f.refresh_token}),
            vec!["refresh_token"],
        ),
        (
            Method::POST,
            format!("/api/v1/events/{}/registrations", f.event),
            As::Nobody,
            registration_body,
            vec![
                "full_name",
                "email",
                "organisation",
                "borough",
                "job_title",
                "accessibility_needs",
            ],
        ),
        (
            Method::POST,
            "/api/v1/registrations/00000000-0000-4000-8000-000000000000/confirm".into(),
            As::Nobody,
            json!({"token": "a-confirmation-token"}),
            vec!["token"],
        ),
        (
            Method::POST,
            "/api/v1/accounts/verify".into(),
            As::Nobody,
            json!({"token": "a-verification-token"}),
            vec!["token"],
        ),
        (
            Method::POST,
            "/api/v1/accounts/password-reset".into(),
            As::Nobody,
            json!({"email": "ada@camden.gov.uk"}),
            vec!["email"],
        ),
        (
            Method::POST,
            "/api/v1/accounts/password-reset/confirm".into(),
            As::Nobody,
            json!({"token": "a-reset-token", "password": "a long enough passphrase"}),
            vec!["token", "password"],
        ),
        (
            Method::POST,
            "/api/v1/me/membership-application".into(),
            As::Member,
            application_body(),
            vec!["statement", "organisation", "borough", "job_title"],
        ),
        (
            Method::POST,
            "/api/v1/admin/events".into(),
            As::Admin,
            full_event_body(),
            event_fields.clone(),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/events/{}", f.event),
            As::Admin,
            full_event_body(),
            event_fields,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/events/{}/cancel", f.event),
            As::Admin,
            json!({"reason": "The venue\nis closed."}),
            vec!["reason"],
        ),
        (
            Method::POST,
            "/api/v1/admin/bulletins".into(),
            As::Admin,
            bulletin_body(),
            bulletin_fields.clone(),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/bulletins/{}", f.bulletin),
            As::Admin,
            bulletin_body(),
            bulletin_fields,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/membership-applications/{application}/reject"),
            As::Admin,
            json!({"reason": "Not a London borough."}),
            vec!["reason"],
        ),
        (
            Method::POST,
            "/api/v1/admin/membership-applications/decisions".into(),
            As::Admin,
            json!({"decisions": [{"id": application, "decision": "reject", "reason": "No."}]}),
            vec![
                "decisions[0].id",
                "decisions[0].decision",
                "decisions[0].reason",
            ],
        ),
        (
            Method::POST,
            "/api/v1/admin/personal-data/erase".into(),
            As::Admin,
            json!({"email": "ada@camden.gov.uk"}),
            vec!["email"],
        ),
    ]
}

fn distinct(mut fields: Vec<String>) -> Vec<String> {
    fields.dedup();
    fields
}

#[tokio::test]
async fn nul_in_every_text_field_of_every_body_is_422_naming_exactly_it() {
    let f = Fixture::new().await;
    let mut checked = 0;
    for (method, path, who, valid, fields) in body_cases(&f) {
        for field in fields {
            let mut body = valid.clone();
            set(&mut body, field, json!(NUL));
            let case = format!("{method} {path} with NUL in {field}");
            let response = f.send(method.clone(), &path, who, Some(&body)).await;
            let named = distinct(invalid_fields(&case, response).await);
            assert_eq!(named, [field], "{case}");
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} fields checked");
    // Nothing was stored: the event and bulletin read as they were.
    let event = f.app.admin_event(&f.admin, f.event).await;
    assert_eq!(event["status"], "scheduled", "{event}");
    assert_eq!(event["updated_at"], event["published_at"], "{event}");
}

#[tokio::test]
async fn line_breaks_and_tabs_are_refused_in_single_line_fields_only() {
    let f = Fixture::new().await;
    for (field, bad) in [
        ("full_name", "Ada\r\nLovelace"),
        ("full_name", "Ada\nLovelace"),
        ("organisation", "Camden\tCouncil"),
        ("job_title", "Officer\r"),
        ("email", "ada@camden.gov.uk\n"),
        ("full_name", "Ada\u{7f}"),
        ("full_name", "Ada\u{1b}[31m"),
    ] {
        let mut body = registration("Ada Lovelace", "ada@camden.gov.uk");
        body[field] = json!(bad);
        let case = format!("{field} = {bad:?}");
        let response = f.app.post_registration(f.event, &body).await;
        assert_eq!(distinct(invalid_fields(&case, response).await), [field]);
    }
    for (field, bad) in [("title", "Two\nlines"), ("venue.name", "Swiss\tCottage")] {
        let mut body = event_body("Service specifications", 10);
        set(&mut body, field, json!(bad));
        let response = f.admin_post("/api/v1/admin/events", &body).await;
        assert_eq!(distinct(invalid_fields(field, response).await), [field]);
    }
    // Free text keeps its lines and tabs, and refuses the other controls.
    let mut body = registration("Ada Lovelace", "ada@camden.gov.uk");
    body["accessibility_needs"] = json!("Step-free access\r\n\tand a hearing loop");
    let created = f.app.register(f.event, &body).await;
    assert_eq!(
        created["accessibility_needs"],
        "Step-free access\r\n\tand a hearing loop"
    );
    let mut body = full_event_body();
    body["description"] = json!("Bell\u{7}");
    let response = f.admin_post("/api/v1/admin/events", &body).await;
    assert_eq!(invalid_fields("BEL", response).await, ["description"]);
}

/// Every GET operation's path, its parameters filled in from the fixture.
fn concrete(path: &str, f: &Fixture) -> String {
    path.replace("{id_or_slug}", &f.event.to_string())
        .replace("{number}", "14")
        .replace("{id}", &f.event.to_string())
}

fn sender_for(path: &str) -> As {
    if path.starts_with("/api/v1/admin/") {
        As::Admin
    } else if path.starts_with("/api/v1/me") {
        As::Member
    } else {
        As::Nobody
    }
}

/// Every parameter of every operation in the OpenAPI document that sits `place`
/// ("query" or "path"): its operation's path template and method, and the parameter.
fn parameters_in<'a>(doc: &'a Value, place: &str) -> Vec<(&'a str, Method, &'a Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == place {
                    let method = method.to_uppercase().parse().unwrap();
                    found.push((path.as_str(), method, parameter));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn nul_in_every_query_parameter_of_every_operation_is_422_naming_it() {
    let f = Fixture::new().await;
    let doc = f.app.public_json("/openapi.json").await;
    let mut checked = 0;
    for (path, method, parameter) in parameters_in(&doc, "query") {
        let name = parameter["name"].as_str().unwrap();
        let url = format!("{}?{name}=a%00b", concrete(path, &f));
        let case = format!("{method} {url}");
        let response = f.send(method, &url, sender_for(path), None).await;
        assert_eq!(invalid_fields(&case, response).await, [name], "{case}");
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} query parameters checked");
    // A parameter no operation knows is checked too, and line breaks are refused.
    for query in ["colour=a%00b", "q=two%0Alines", "q=tab%09bed", "q=a%7Fb"] {
        let response = f
            .send(
                Method::GET,
                &format!("/api/v1/events?{query}"),
                As::Nobody,
                None,
            )
            .await;
        let name = query.split('=').next().unwrap();
        assert_eq!(invalid_fields(query, response).await, [name]);
    }
    // The search that once reached the database with its NUL.
    let response = f
        .app
        .get("/api/v1/events.ics?q=a%00b")
        .send()
        .await
        .unwrap();
    assert_invalid("ics q", response, "q").await;
}

#[tokio::test]
async fn nul_in_every_text_path_segment_is_422_naming_it() {
    let f = Fixture::new().await;
    let doc = f.app.public_json("/openapi.json").await;
    let mut checked = 0;
    for (path, method, parameter) in parameters_in(&doc, "path") {
        let schema = &parameter["schema"];
        if schema["type"] != "string" || schema.get("format").is_some() {
            continue;
        }
        let name = parameter["name"].as_str().unwrap();
        let url = concrete(&path.replace(&format!("{{{name}}}"), "a%00b"), &f);
        let case = format!("{method} {url}");
        let body = (method == Method::POST).then(|| registration("Ada", "ada@camden.gov.uk"));
        let response = f.send(method, &url, sender_for(path), body.as_ref()).await;
        assert_eq!(invalid_fields(&case, response).await, [name], "{case}");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} path parameters checked");
    let response = f.app.get("/api/v1/events/a%0Ab").send().await.unwrap();
    assert_invalid("LF in a slug", response, "id_or_slug").await;
}

#[tokio::test]
async fn dates_outside_1900_to_2200_are_422_naming_the_field() {
    let f = Fixture::new().await;
    let far = [
        "+10000-01-01T10:00:00+00:00",
        "1899-12-31T23:59:59+00:00",
        "2201-01-01T00:00:00Z",
    ];
    for raw in far {
        for field in [
            "starts_at",
            "ends_at",
            "registration.opens_at",
            "registration.closes_at",
        ] {
            let mut body = event_body("Far away", 10);
            body["registration"] = json!({});
            set(&mut body, field, json!(raw));
            let case = format!("{field} = {raw}");
            let response = f.admin_post("/api/v1/admin/events", &body).await;
            let named = invalid_fields(&case, response).await;
            assert!(named.contains(&field.to_string()), "{case}: {named:?}");
        }
        let response = f
            .send(
                Method::PATCH,
                &format!("/api/v1/admin/events/{}", f.event),
                As::Admin,
                Some(&json!({"ends_at": raw})),
            )
            .await;
        assert_eq!(invalid_fields(raw, response).await, ["ends_at"]);
    }
    for date in ["1899-12-31", "2201-01-01"] {
        let mut body = bulletin_body();
        body["number"] = json!(15);
        body["published_on"] = json!(date);
        let response = f.admin_post("/api/v1/admin/bulletins", &body).await;
        assert_eq!(invalid_fields(date, response).await, ["published_on"]);
        for (path, who) in [
            ("/api/v1/events", As::Nobody),
            ("/api/v1/admin/audit-log", As::Admin),
        ] {
            for name in ["from", "to"] {
                let url = format!("{path}?{name}={date}");
                let response = f.send(Method::GET, &url, who, None).await;
                assert_eq!(invalid_fields(&url, response).await, [name]);
            }
        }
    }
    let response = f
        .send(
            Method::GET,
            "/api/v1/events?from=%2B10000-01-01T00:00:00Z",
            As::Nobody,
            None,
        )
        .await;
    let status = response.status();
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
        "year 10000 in a filter: {status}"
    );
    // The edges themselves are accepted, and read back as written.
    let mut body = event_body("At the edges", 10);
    body["starts_at"] = json!("1900-01-01T00:00:00+00:00");
    body["ends_at"] = json!("2200-12-31T23:59:59+00:00");
    let created = f.app.create_event(&f.admin, &body).await;
    assert_eq!(created["ends_at"], "2200-12-31T23:59:59+00:00", "{created}");
    assert_eq!(
        created["starts_at"], "1900-01-01T00:00:00+00:00",
        "{created}"
    );
    f.app
        .public_json("/api/v1/events?from=1900-01-01&to=2200-12-31")
        .await;
}

#[tokio::test]
async fn a_422_lists_every_bad_field_of_a_body() {
    let f = Fixture::new().await;
    let mut body = event_body("x", 10);
    body["title"] = json!("t".repeat(300));
    body["kind"] = json!("party");
    body["starts_at"] = json!("next tuesday");
    body["ends_at"] = json!("+10000-01-01T00:00:00Z");
    body["venue"]["name"] = json!(NUL);
    body["capacity"] = json!(0);
    body["colour"] = json!("red");
    let response = f.admin_post("/api/v1/admin/events", &body).await;
    let problem = assert_validation("many faults", response).await;
    assert_eq!(
        distinct(error_fields(&problem)),
        [
            "capacity",
            "colour",
            "ends_at",
            "kind",
            "starts_at",
            "title",
            "venue.name"
        ],
        "{problem}"
    );
    assert_eq!(problem["detail"], "7 fields are invalid", "{problem}");

    // A patch: an unknown member and a control character together; then, once merged,
    // a bad enum value, a bad time and a long title together.
    let path = format!("/api/v1/admin/events/{}", f.event);
    let patch = json!({"colour": "red", "title": NUL, "summary": "ok"});
    let response = f.admin_patch(&path, &patch).await;
    assert_eq!(
        distinct(invalid_fields("patch", response).await),
        ["colour", "title"]
    );
    let patch = json!({"kind": "party", "ends_at": "soon", "title": "t".repeat(201)});
    let response = f.admin_patch(&path, &patch).await;
    assert_eq!(
        distinct(invalid_fields("merged patch", response).await),
        ["ends_at", "kind", "title"]
    );

    // A registration with a missing field, a wrong type and a bad borough.
    let body = json!({"email": 7, "organisation": "Camden", "consent": "yes", "full_name": "x\ny"});
    let response = f.app.post_registration(f.event, &body).await;
    assert_eq!(
        distinct(invalid_fields("registration", response).await),
        ["consent", "email", "full_name"]
    );

    // A bulletin with a wrong type inside a list, an unknown field and a long title.
    let mut body = bulletin_body();
    body["number"] = json!(16);
    body["title"] = json!("t".repeat(201));
    body["sections"][0]["heading"] = json!(5);
    body["contacts"][0]["fax"] = json!("none");
    let response = f.admin_post("/api/v1/admin/bulletins", &body).await;
    assert_eq!(
        distinct(invalid_fields("bulletin", response).await),
        ["contacts[0].fax", "sections[0].heading", "title"]
    );
}
