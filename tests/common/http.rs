//! What both suites send a running hub over HTTP, and the checks on its answers.

use std::collections::BTreeSet;
use std::fmt::Display;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

/// The password of every account the tests make.
pub const PASSWORD: &str = "correct horse battery staple";

/// A running hub, spoken to over HTTP: the app a test booted, or a process it started.
pub trait Api {
    fn client(&self) -> &reqwest::Client;

    /// The absolute URL of `path` on this hub.
    fn url(&self, path: &str) -> String;

    fn get(&self, path: &str) -> RequestBuilder {
        self.client().get(self.url(path))
    }

    fn post(&self, path: &str) -> RequestBuilder {
        self.client().post(self.url(path))
    }

    fn patch(&self, path: &str) -> RequestBuilder {
        self.client().patch(self.url(path))
    }

    fn delete(&self, path: &str) -> RequestBuilder {
        self.client().delete(self.url(path))
    }

    /// A request with the bearer token and, when given, a JSON body.
    async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self
            .client()
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("answered")
    }

    /// A request whose body is sent as written with this Content-Type, and the bearer
    /// token when given.
    async fn send_raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        (content_type, body): (&str, String),
    ) -> Response {
        let mut request = self.client().request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let request = request.header("content-type", content_type).body(body);
        request.send().await.expect("answered")
    }

    /// A PATCH of the account as admin (role, disabled).
    async fn patch_account(&self, token: &str, id: &str, body: &Value) -> Response {
        let path = format!("/api/v1/admin/accounts/{id}");
        self.send_json(Method::PATCH, &path, token, Some(body))
            .await
    }

    async fn login(&self, email: &str, password: &str) -> Response {
        self.post("/api/v1/auth/token")
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("login answered")
    }

    /// A GET without a token, 200 asserted; its body as text.
    async fn get_text(&self, path: &str) -> String {
        let response = self.get(path).send().await.expect("answered");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("a body")
    }

    /// The ETag of a public GET.
    async fn etag_of(&self, path: &str) -> String {
        let response = self.get(path).send().await.expect("answered");
        let etag = header(&response, "etag");
        assert!(!etag.is_empty(), "an ETag on GET {path}");
        etag
    }

    /// A GET with `If-None-Match: etag`.
    async fn get_if_none_match(&self, path: &str, etag: &str) -> Response {
        let request = self.get(path).header("If-None-Match", etag);
        request.send().await.expect("answered")
    }

    /// A POST of the sign-up body to /api/v1/accounts.
    async fn sign_up(&self, body: &Value) -> Response {
        let request = self.post("/api/v1/accounts").json(body);
        request.send().await.expect("sign-up answered")
    }

    /// A membership application of the signed-in account with the body.
    async fn apply(&self, token: &str, body: &Value) -> Response {
        let path = "/api/v1/me/membership-application";
        self.send_json(Method::POST, path, token, Some(body)).await
    }

    /// An admin's `approve` or `reject` of the application, with the body when given.
    async fn decide(
        &self,
        token: &str,
        id: &str,
        decision: &str,
        body: Option<&Value>,
    ) -> Response {
        let path = format!("/api/v1/admin/membership-applications/{id}/{decision}");
        self.send_json(Method::POST, &path, token, body).await
    }

    /// The token pair of a sign-in with `PASSWORD` (200 asserted).
    async fn sign_in(&self, email: &str) -> Value {
        let response = self.login(email, PASSWORD).await;
        expect_json(response, StatusCode::OK, &format!("sign-in of {email}")).await
    }

    /// Presents a refresh token (a string, or a token pair's `refresh_token` member).
    async fn refresh(&self, refresh_token: impl Serialize) -> Response {
        self.post("/api/v1/auth/refresh")
            .json(&json!({ "refresh_token": refresh_token }))
            .send()
            .await
            .expect("refresh answered")
    }

    /// Asserts that the refresh token is refused: a 401 `unauthorized` problem.
    async fn assert_refresh_refused(&self, refresh_token: impl Serialize) {
        let response = self.refresh(refresh_token).await;
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }

    /// A GET with the bearer token, 200 asserted; its JSON.
    async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self
            .get(path)
            .bearer_auth(token)
            .send()
            .await
            .expect("answered");
        expect_json(response, StatusCode::OK, &format!("GET {path}")).await
    }

    /// A GET of the path with the query, and the bearer token when given: asserts a 400
    /// `bad-request` problem (the query in the message) and returns it.
    async fn assert_bad_query(
        &self,
        token: Option<&str>,
        path: &str,
        query: &[(&str, &str)],
    ) -> Value {
        let mut request = self.get(path).query(query);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("answered");
        let case = format!("GET {path} with {query:?}");
        assert_problem_in(&case, response, StatusCode::BAD_REQUEST, "bad-request").await
    }

    /// The status of GET /api/v1/me with the access token.
    async fn me_status(&self, token: &str) -> StatusCode {
        self.get("/api/v1/me")
            .bearer_auth(token)
            .send()
            .await
            .expect("answered")
            .status()
    }

    /// Creates a draft event as admin and returns its JSON (201 asserted).
    async fn create_event(&self, token: &str, body: &Value) -> Value {
        let response = self
            .post("/api/v1/admin/events")
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("answered");
        expect_json(response, StatusCode::CREATED, "create event").await
    }

    /// Publishes a draft and returns its JSON (200 asserted).
    async fn publish_event(&self, token: &str, id: i64) -> Value {
        let response = self
            .post(&format!("/api/v1/admin/events/{id}/publish"))
            .bearer_auth(token)
            .send()
            .await
            .expect("answered");
        expect_json(response, StatusCode::OK, "publish event").await
    }

    /// Creates and publishes; returns the published JSON.
    async fn published_event(&self, token: &str, body: &Value) -> Value {
        let created = self.create_event(token, body).await;
        self.publish_event(token, event_id(&created)).await
    }

    /// A published event ten days ahead with the capacity (`None`: no limit); its id.
    async fn open_event(&self, token: &str, capacity: Option<i64>) -> i64 {
        let mut body = event_body("Service specifications", 10);
        body["capacity"] = json!(capacity);
        event_id(&self.published_event(token, &body).await)
    }

    /// A GET without a token, 200 asserted; its JSON.
    async fn public_json(&self, path: &str) -> Value {
        let response = self.get(path).send().await.expect("answered");
        expect_json(response, StatusCode::OK, &format!("GET {path}")).await
    }

    /// A GET as a borough's website sends it, with its Origin.
    async fn get_cross_origin(&self, path: &str) -> Response {
        self.get(path)
            .header("Origin", "https://www.camden.gov.uk")
            .send()
            .await
            .expect("answered")
    }

    /// The public JSON of a published event, by id or slug (200 asserted).
    async fn public_event(&self, id_or_slug: impl Display) -> Value {
        self.public_json(&format!("/api/v1/events/{id_or_slug}"))
            .await
    }

    /// The admin view of an event, never cached (200 asserted).
    async fn admin_event(&self, token: &str, id: i64) -> Value {
        self.get_json(token, &format!("/api/v1/admin/events/{id}"))
            .await
    }

    /// Cancels a published event with the reason (200 asserted).
    async fn cancel_event(&self, token: &str, id: impl Display, reason: &str) -> Value {
        let response = self
            .post(&format!("/api/v1/admin/events/{id}/cancel"))
            .bearer_auth(token)
            .json(&json!({ "reason": reason }))
            .send()
            .await
            .expect("answered");
        expect_json(response, StatusCode::OK, "cancel event").await
    }

    /// Every message in the notification outbox, newest first.
    async fn outbox(&self, token: &str) -> Vec<Value> {
        let page = self
            .get_json(token, "/api/v1/admin/notifications?limit=100")
            .await;
        assert!(page["total"].as_i64().unwrap() <= 100, "one page holds all");
        page["items"].as_array().expect("items").clone()
    }

    /// A POST of the registration body to the event (by id or slug), not yet sent.
    fn registration_request(&self, event: impl Display, body: &Value) -> RequestBuilder {
        self.post(&format!("/api/v1/events/{event}/registrations"))
            .json(body)
    }

    async fn post_registration(&self, event: impl Display, body: &Value) -> Response {
        self.registration_request(event, body)
            .send()
            .await
            .expect("answered")
    }

    /// Registers with the body; the created registration (201 asserted).
    async fn register(&self, event: impl Display, body: &Value) -> Value {
        let response = self.post_registration(event, body).await;
        expect_json(response, StatusCode::CREATED, "register").await
    }

    /// Registers `email`, named after its local part (201 asserted).
    async fn register_email(&self, event: impl Display, email: &str) -> Value {
        let name = email.split('@').next().unwrap();
        self.register(event, &registration(name, email)).await
    }

    /// Registers each email in turn (201s asserted).
    async fn register_emails(&self, event: i64, emails: &[&str]) -> Vec<Value> {
        let mut registrations = Vec::new();
        for email in emails {
            registrations.push(self.register_email(event, email).await);
        }
        registrations
    }

    /// Registers each email in turn (201s asserted), as an array to take apart.
    async fn register_each<const N: usize>(&self, event: i64, emails: [&str; N]) -> [Value; N] {
        let registrations = self.register_emails(event, &emails).await;
        registrations
            .try_into()
            .expect("one registration per email")
    }

    /// A request for the registration by its holder, with this manage token.
    async fn manage_registration(&self, method: Method, id: &str, token: &str) -> Response {
        let url = self.url(&format!("/api/v1/registrations/{id}"));
        let request = self.client().request(method, url);
        let response = request.header("X-Manage-Token", token).send().await;
        response.expect("answered")
    }

    async fn get_registration(&self, id: &str, token: &str) -> Response {
        self.manage_registration(Method::GET, id, token).await
    }

    async fn delete_registration(&self, id: &str, token: &str) -> Response {
        self.manage_registration(Method::DELETE, id, token).await
    }

    /// The registration as its holder sees it (200 asserted).
    async fn fetch_registration(&self, registration: &Value) -> Value {
        let response = self
            .get_registration(&registration_id(registration), &manage_token(registration))
            .await;
        expect_json(response, StatusCode::OK, "GET registration").await
    }

    /// A DELETE of the registration with its own manage token.
    async fn delete_own_registration(&self, registration: &Value) -> Response {
        self.delete_registration(&registration_id(registration), &manage_token(registration))
            .await
    }

    /// Cancels with the registration's own token (204 asserted).
    async fn cancel_registration(&self, registration: &Value) {
        let response = self.delete_own_registration(registration).await;
        assert_eq!(
            response.status(),
            StatusCode::NO_CONTENT,
            "DELETE registration"
        );
    }
}

/// A hub reached at a base URL with a client of the test's.
pub struct HubAt {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api for HubAt {
    fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Asserts the status and returns the JSON body; `what` and the body are in the message.
pub async fn expect_json(response: Response, expected: StatusCode, what: &str) -> Value {
    let status = response.status();
    let text = response.text().await.expect("a body");
    assert_eq!(status, expected, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

/// Status and JSON body (Null when the body is not JSON).
pub async fn json_of(response: reqwest::Result<Response>) -> (StatusCode, Value) {
    let response = response.expect("the hub answered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A header's value, or "" when it is missing.
pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub fn access_token(pair: &Value) -> String {
    pair["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

pub fn event_id(event: &Value) -> i64 {
    event["id"].as_i64().expect("the event has an id")
}

pub fn registration_id(registration: &Value) -> String {
    registration["id"].as_str().expect("an id").to_string()
}

pub fn manage_token(registration: &Value) -> String {
    registration["manage_token"]
        .as_str()
        .expect("a manage_token")
        .to_string()
}

/// Whether the response has the header at all.
pub fn has_header(response: &Response, name: &str) -> bool {
    response.headers().contains_key(name)
}

/// The JSON array's items (the value is in the message when it is not an array).
pub fn array(value: &Value) -> &Vec<Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
}

/// The `key` string of each item, in order.
pub fn strings_of<'a>(items: impl IntoIterator<Item = &'a Value>, key: &str) -> Vec<&'a str> {
    items
        .into_iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("a string {key} in {item}"))
        })
        .collect()
}

/// A valid event body, starting `days_ahead` days from now (negative for the past).
pub fn event_body(title: &str, days_ahead: i64) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::days(days_ahead);
    let end = start + chrono::Duration::hours(4);
    json!({
        "title": title,
        "kind": "workshop",
        "summary": "A workshop for borough officers",
        "starts_at": start.to_rfc3339(),
        "ends_at": end.to_rfc3339(),
        "venue": {"name": "Swiss Cottage Library", "address": "88 Avenue Road, London", "postcode": "NW3 3HA"},
        "audience": ["officers"],
        "capacity": 30,
    })
}

/// A valid registration body.
pub fn registration(full_name: &str, email: &str) -> Value {
    json!({
        "full_name": full_name,
        "email": email,
        "organisation": "London Borough of Camden",
        "consent": true,
    })
}

/// A valid membership application body.
pub fn membership_application() -> Value {
    json!({
        "statement": "I lead our borough's library change work and want to share it.",
        "organisation": "London Borough of Camden",
        "borough": "Camden",
        "job_title": "Service Manager",
    })
}

/// A registration body for person `i`.
pub fn person(i: usize) -> Value {
    registration(
        &format!("Officer {i}"),
        &format!("officer{i}@camden.gov.uk"),
    )
}

/// Asserts that concurrent registrations for `capacity` seats were all accepted (201),
/// exactly the capacity confirmed and the rest given the positions 1, 2, … once each.
pub fn assert_never_overbooked(results: &[(StatusCode, Value)], capacity: usize) {
    for (status, body) in results {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
    }
    let confirmed = results
        .iter()
        .filter(|(_, b)| b["status"] == "confirmed")
        .count();
    assert_eq!(confirmed, capacity, "exactly the capacity is confirmed");
    let positions: BTreeSet<i64> = results
        .iter()
        .filter(|(_, b)| b["status"] == "waitlisted")
        .map(|(_, b)| b["waitlist_position"].as_i64().unwrap())
        .collect();
    let waiting = (results.len() - capacity) as i64;
    assert_eq!(
        positions,
        (1..=waiting).collect(),
        "distinct and contiguous waiting-list positions"
    );
}

/// A table case's name in failure messages: `key = value`, long text by its length.
pub fn case_name(key: &str, value: &Value) -> String {
    match value.as_str().map(|text| text.chars().count()) {
        Some(length) if length > 20 => format!("{key} of {length} characters"),
        _ => format!("{key} = {value}"),
    }
}

/// Asserts a problem+json response with the status and `type` and returns its body.
pub async fn assert_problem(response: Response, status: StatusCode, kind: &str) -> Value {
    assert_problem_in("", response, status, kind).await
}

/// Sends the request and asserts a problem with the status and `type` (the method and
/// URL lead every failure message); returns its body.
pub async fn assert_problem_of(request: RequestBuilder, status: StatusCode, kind: &str) -> Value {
    let (client, request) = request.build_split();
    let request = request.expect("a well-formed request");
    let case = format!("{} {}", request.method(), request.url());
    let response = client.execute(request).await.expect("answered");
    assert_problem_in(&case, response, status, kind).await
}

/// `assert_problem` for one case of several: `case` leads every failure message.
pub async fn assert_problem_in(
    case: &str,
    response: Response,
    status: StatusCode,
    kind: &str,
) -> Value {
    assert_eq!(response.status(), status, "{case}: status");
    let content_type = header(&response, "content-type");
    assert!(
        content_type.starts_with("application/problem+json"),
        "{case}: content type was {content_type:?}"
    );
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(
        body["type"],
        format!("/problems/{kind}"),
        "{case}: problem type in {body}"
    );
    assert_eq!(
        body["status"],
        status.as_u16(),
        "{case}: problem status in {body}"
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{case}: title and detail in {body}"
    );
    body
}

/// Asserts a 401 `unauthorized` problem with a `Bearer` challenge; `case` leads every
/// failure message.
pub async fn assert_bearer_challenge(case: &str, response: Response) -> Value {
    let challenge = header(&response, "www-authenticate");
    assert!(
        challenge.starts_with("Bearer"),
        "{case}: WWW-Authenticate was {challenge:?}"
    );
    assert_problem_in(case, response, StatusCode::UNAUTHORIZED, "unauthorized").await
}

/// Asserts a 415 `unsupported-media-type` problem.
pub async fn assert_unsupported_media_type(response: Response) -> Value {
    let status = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    assert_problem(response, status, "unsupported-media-type").await
}

/// The fields named in a 422 problem's `errors`.
pub fn error_fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a 422 validation problem and returns it.
pub async fn assert_validation(case: &str, response: Response) -> Value {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    assert_problem_in(case, response, status, "validation").await
}

/// Asserts a 422 validation problem and returns the fields it names.
pub async fn invalid_fields(case: &str, response: Response) -> Vec<String> {
    error_fields(&assert_validation(case, response).await)
}

/// Asserts a 422 validation problem that names `field` (among others, perhaps).
pub async fn assert_invalid(case: &str, response: Response, field: &str) -> Value {
    let problem = assert_validation(case, response).await;
    let fields = error_fields(&problem);
    assert!(
        fields.iter().any(|f| f == field),
        "{case}: expected an error for {field:?}, got {fields:?} in {problem}"
    );
    problem
}
