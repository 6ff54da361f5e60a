//! Delivery of queued notifications over SMTP, against a small sink the test runs on
//! loopback.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use llcp_hub::app::Application;
use llcp_hub::config::{DEFAULT_SMTP_FROM, SmtpSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{
    Api, BASE_URL, PASSWORD, TestApp, TestDb, access_token, event_body, header, spawn_app_on,
    test_settings,
};

#[derive(Debug, Clone)]
struct Received {
    to: String,
    data: String,
}

/// A minimal SMTP server: records messages; can answer the first N recipients with a
/// temporary (451) or a permanent (550) refusal.
#[derive(Clone)]
struct SmtpSink {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    refuse_next: Arc<AtomicUsize>,
    refusal: &'static str,
}

impl SmtpSink {
    async fn start(refuse_next: usize, refusal: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = Self {
            port: listener.local_addr().unwrap().port(),
            received: Arc::default(),
            refuse_next: Arc::new(AtomicUsize::new(refuse_next)),
            refusal,
        };
        let shared = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(shared.clone().session(socket));
            }
        });
        sink
    }

    async fn session(self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 sink ESMTP\r\n").await;
        let mut to = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let command = line.to_ascii_uppercase();
            let reply: String = if command.starts_with("EHLO") || command.starts_with("HELO") {
                "250 sink\r\n".into()
            } else if command.starts_with("RCPT TO:") {
                let refused = self
                    .refuse_next
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok();
                if refused {
                    format!("{}\r\n", self.refusal)
                } else {
                    to = line[8..].trim().trim_matches(['<', '>']).to_string();
                    "250 OK\r\n".into()
                }
            } else if command == "DATA" {
                let _ = write.write_all(b"354 go ahead\r\n").await;
                let mut data = String::new();
                while let Ok(Some(body_line)) = lines.next_line().await {
                    if body_line == "." {
                        break;
                    }
                    data.push_str(&body_line);
                    data.push('\n');
                }
                self.received.lock().unwrap().push(Received {
                    to: to.clone(),
                    data,
                });
                "250 queued\r\n".into()
            } else if command == "QUIT" {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            } else {
                "250 OK\r\n".into()
            };
            if write.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn settings(&self) -> SmtpSettings {
        SmtpSettings {
            url: format!("smtp://127.0.0.1:{}", self.port),
            from: DEFAULT_SMTP_FROM.into(),
            poll_interval: Duration::from_millis(50),
            retry_base: Duration::from_millis(100),
            max_attempts: 3,
        }
    }
}

/// Undoes quoted-printable: soft line breaks and `=XX` escapes.
fn quoted_printable_decoded(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn app_with_sink(sink: &SmtpSink) -> TestApp {
    let (db, url) = TestDb::create();
    let smtp = sink.settings();
    spawn_app_on(db, url, move |s| s.smtp = Some(smtp)).await
}

/// Waits (bounded) until every message in the outbox has left the `queued` state.
async fn settled(app: &TestApp, admin: &str, expected: usize) -> Vec<Value> {
    for _ in 0..400 {
        let items = app.outbox(admin).await;
        if items.len() == expected && items.iter().all(|n| n["status"] != "queued") {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the outbox did not settle: {:#?}", app.outbox(admin).await);
}

async fn published(app: &TestApp, admin: &str) -> i64 {
    app.published_event(admin, &event_body("Workshop", 7)).await["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_confirmation_is_delivered_once_with_its_manage_link() {
    let sink = SmtpSink::start(0, "").await;
    let app = app_with_sink(&sink).await;
    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    let created = app.register_email(event_id, "Ada@Camden.gov.uk").await;

    let items = settled(&app, &admin, 1).await;
    assert_eq!(items[0]["status"], "sent");
    assert_eq!(items[0]["attempts"], 1);
    let received = sink.received();
    assert_eq!(received.len(), 1, "sent exactly once");
    assert_eq!(received[0].to, "ada@camden.gov.uk");
    assert!(
        received[0]
            .data
            .contains("Subject: Your place is confirmed: Workshop")
    );
    let link = format!(
        "{BASE_URL}/registrations/{}/manage#token={}",
        created["id"].as_str().unwrap(),
        created["manage_token"].as_str().unwrap()
    );
    assert!(
        quoted_printable_decoded(&received[0].data).contains(&link),
        "{}",
        received[0].data
    );
    // Only the mail holds the token: not the outbox row, sent or not.
    let token = created["manage_token"].as_str().unwrap();
    for body in app.db_texts("SELECT body AS value FROM notifications") {
        assert!(!body.contains(token), "the token stored in {body:?}");
    }
}

#[tokio::test]
async fn the_delivered_manage_links_token_manages_the_registration() {
    let sink = SmtpSink::start(0, "").await;
    let app = app_with_sink(&sink).await;
    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    let created = app.register_email(event_id, "ada@camden.gov.uk").await;
    settled(&app, &admin, 1).await;

    let data = quoted_printable_decoded(&sink.received()[0].data);
    let id = created["id"].as_str().unwrap();
    let prefix = format!("/registrations/{id}/manage#token=");
    let start = data.find(&prefix).expect("a manage link") + prefix.len();
    let token: String = data[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let response = app
        .get(&format!("/api/v1/registrations/{id}"))
        .header("X-Manage-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// The token of the link `{BASE_URL}{page}#token=…` in a delivered message.
fn delivered_link_token(received: &Received, page: &str) -> String {
    let data = quoted_printable_decoded(&received.data);
    let prefix = format!("{BASE_URL}{page}#token=");
    let start = data
        .find(&prefix)
        .unwrap_or_else(|| panic!("a link in {data}"))
        + prefix.len();
    data[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test]
async fn the_delivered_verification_link_verifies_the_account() {
    let sink = SmtpSink::start(0, "").await;
    let app = app_with_sink(&sink).await;
    let admin = app.admin_token().await;
    let signup = json!({"email": "ada@camden.gov.uk", "password": PASSWORD,
        "full_name": "Ada Lovelace", "organisation": "London Borough of Camden"});
    let response = app
        .post("/api/v1/accounts")
        .json(&signup)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let items = settled(&app, &admin, 1).await;
    assert_eq!(items[0]["template"], "account_verify_email");
    let received = sink.received();
    assert_eq!(received[0].to, "ada@camden.gov.uk");
    assert!(
        received[0]
            .data
            .contains("Subject: Confirm your email address")
    );
    let token = delivered_link_token(&received[0], "/account/verify-email");
    assert_eq!(token.len(), 43, "256 bits: {}", received[0].data);
    for body in app.db_texts("SELECT body AS value FROM notifications") {
        assert!(!body.contains(&token), "the token stored in {body:?}");
    }
    let verify = || {
        app.post("/api/v1/accounts/verify")
            .json(&json!({ "token": token }))
            .send()
    };
    assert_eq!(verify().await.unwrap().status(), StatusCode::NO_CONTENT);
    let access = access_token(&app.sign_in("ada@camden.gov.uk").await);
    assert_eq!(
        app.get_json(&access, "/api/v1/me").await["email_verified"],
        true
    );
    assert_eq!(
        verify().await.unwrap().status(),
        StatusCode::NOT_FOUND,
        "the link works once"
    );
}

#[tokio::test]
async fn the_delivered_confirmation_link_confirms_and_the_next_mail_brings_the_manage_link() {
    let sink = SmtpSink::start(0, "").await;
    let app = app_with_sink(&sink).await;
    let admin = app.admin_token().await;
    let mut event = event_body("Workshop", 7);
    event["registration"] = json!({"email_confirmation": true});
    let event_id = app.published_event(&admin, &event).await["id"]
        .as_i64()
        .unwrap();
    let created = app.register_email(event_id, "ada@camden.gov.uk").await;
    let id = created["id"].as_str().unwrap();
    let manage_token = created["manage_token"].as_str().unwrap();
    settled(&app, &admin, 1).await;

    let received = sink.received();
    assert!(
        received[0]
            .data
            .contains("Subject: Please confirm your registration: Workshop"),
        "{}",
        received[0].data
    );
    let token = delivered_link_token(&received[0], &format!("/registrations/{id}/confirm"));
    assert_eq!(token.len(), 43, "256 bits: {}", received[0].data);
    assert_ne!(token, manage_token);
    assert!(!quoted_printable_decoded(&received[0].data).contains(manage_token));
    for body in app.db_texts("SELECT body AS value FROM notifications") {
        assert!(!body.contains(&token), "the token stored in {body:?}");
    }
    let confirm = app
        .post(&format!("/api/v1/registrations/{id}/confirm"))
        .json(&json!({ "token": token }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), StatusCode::OK);

    settled(&app, &admin, 2).await;
    let received = sink.received();
    assert!(
        received[1]
            .data
            .contains("Subject: Your place is confirmed: Workshop")
    );
    let link = format!("{BASE_URL}/registrations/{id}/manage#token={manage_token}");
    assert!(
        quoted_printable_decoded(&received[1].data).contains(&link),
        "{}",
        received[1].data
    );
}

#[tokio::test]
async fn a_temporary_refusal_is_retried_with_backoff_and_delivered_once() {
    let sink = SmtpSink::start(1, "451 4.3.0 try again later").await;
    let app = app_with_sink(&sink).await;
    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    app.register_email(event_id, "ada@camden.gov.uk").await;

    let items = settled(&app, &admin, 1).await;
    assert_eq!(items[0]["status"], "sent");
    assert_eq!(items[0]["attempts"], 2, "one refusal, one success");
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_permanent_refusal_gives_up_without_retrying() {
    let sink = SmtpSink::start(1, "550 5.1.1 no such mailbox").await;
    let app = app_with_sink(&sink).await;
    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    app.register_email(event_id, "nobody@camden.gov.uk").await;

    let items = settled(&app, &admin, 1).await;
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["attempts"], 1);
    assert!(items[0]["last_error"].as_str().unwrap().contains("550"));
    assert!(sink.received().is_empty());
}

#[tokio::test]
async fn two_instances_on_one_database_never_send_a_message_twice() {
    let sink = SmtpSink::start(0, "").await;
    let (db, url) = TestDb::create();
    let mut second_settings = test_settings(url.clone());
    second_settings.smtp = Some(sink.settings());
    let smtp = sink.settings();
    let app = spawn_app_on(db, url, move |s| s.smtp = Some(smtp)).await;
    let second = Application::build(second_settings).unwrap();
    let second_handle = second.handle();
    tokio::spawn(second.run_until_stopped());

    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    for i in 0..12 {
        app.register_email(event_id, &format!("officer{i}@camden.gov.uk"))
            .await;
    }
    let items = settled(&app, &admin, 12).await;
    assert!(items.iter().all(|n| n["status"] == "sent"));
    let mut recipients: Vec<String> = sink.received().into_iter().map(|r| r.to).collect();
    recipients.sort();
    let before = recipients.len();
    recipients.dedup();
    assert_eq!(before, 12, "12 messages, each sent once");
    assert_eq!(recipients.len(), 12);
    drop(second_handle.stop(false));
}

#[tokio::test]
async fn without_smtp_messages_stay_queued() {
    let (db, url) = TestDb::create();
    let app = spawn_app_on(db, url, |_| {}).await;
    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    app.register_email(event_id, "ada@camden.gov.uk").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let items = app.outbox(&admin).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "queued");
    assert_eq!(items[0]["attempts"], 0);
}

#[tokio::test]
async fn the_manage_link_opens_a_page_that_uses_the_api_with_a_strict_policy() {
    let (db, url) = TestDb::create();
    let app = spawn_app_on(db, url, |_| {}).await;
    let admin = app.admin_token().await;
    let event_id = published(&app, &admin).await;
    let created = app.register_email(event_id, "ada@camden.gov.uk").await;
    let items = app.outbox(&admin).await;
    let body = items[0]["body"].as_str().unwrap();
    let link = body.lines().find(|l| l.contains("/manage#token=")).unwrap();
    let path = link.trim_start_matches(BASE_URL).split('#').next().unwrap();
    assert_eq!(
        path,
        format!("/registrations/{}/manage", created["id"].as_str().unwrap())
    );

    assert_page_runs_only_its_script(&app, path, "/assets/manage.js").await;
    let script = app.get_text("/assets/manage.js").await;
    assert!(script.contains("X-Manage-Token") && script.contains("location.hash"));
}

#[tokio::test]
async fn the_confirmation_link_opens_a_page_that_posts_the_token_with_a_strict_policy() {
    let (db, url) = TestDb::create();
    let app = spawn_app_on(db, url, |_| {}).await;
    let admin = app.admin_token().await;
    let mut event = event_body("Workshop", 7);
    event["registration"] = json!({"email_confirmation": true});
    let event_id = app.published_event(&admin, &event).await["id"]
        .as_i64()
        .unwrap();
    let created = app.register_email(event_id, "ada@camden.gov.uk").await;
    let items = app.outbox(&admin).await;
    let body = items[0]["body"].as_str().unwrap();
    let link = body
        .lines()
        .find(|l| l.contains("/confirm#token="))
        .unwrap();
    let path = link.trim_start_matches(BASE_URL).split('#').next().unwrap();
    assert_eq!(
        path,
        format!("/registrations/{}/confirm", created["id"].as_str().unwrap())
    );
    assert_page_runs_only_its_script(&app, path, "/assets/manage.js").await;
    let script = app.get_text("/assets/manage.js").await;
    assert!(script.contains("\"/confirm\"") && script.contains("location.hash"));
}

/// The page at `path` loads, allows no script but its own, and loads `script`.
async fn assert_page_runs_only_its_script(app: &TestApp, path: &str, script: &str) {
    let page = app.get(path).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{path}");
    let csp = header(&page, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{path}: {csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("<script src=\"{script}\">")),
        "{path}"
    );
}

#[tokio::test]
async fn account_links_open_pages_that_post_the_token_with_a_strict_policy() {
    let (db, url) = TestDb::create();
    let app = spawn_app_on(db, url, |_| {}).await;
    let admin = app.admin_token().await;
    let signup = json!({"email": "ada@camden.gov.uk", "password": PASSWORD,
        "full_name": "Ada Lovelace", "organisation": "London Borough of Camden"});
    for _ in 0..2 {
        app.post("/api/v1/accounts")
            .json(&signup)
            .send()
            .await
            .unwrap();
    }
    let mut paths = Vec::new();
    for item in app.outbox(&admin).await {
        let body = item["body"].as_str().unwrap();
        let link = body.lines().find(|l| l.contains("#token=")).unwrap();
        paths.push(
            link.trim_start_matches(BASE_URL)
                .split('#')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(paths, ["/account/reset-password", "/account/verify-email"]);
    for path in paths {
        assert_page_runs_only_its_script(&app, &path, "/assets/account.js").await;
    }
    let script = app
        .get("/assets/account.js")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for used in [
        "location.hash",
        "/api/v1/accounts/",
        "password-reset/confirm",
        "verify",
    ] {
        assert!(script.contains(used), "{used}");
    }
}

#[tokio::test]
async fn messages_queued_by_one_change_are_listed_in_the_order_they_were_written() {
    let (db, url) = TestDb::create();
    let app = spawn_app_on(db, url, |_| {}).await;
    let admin = app.admin_token().await;
    let mut body = event_body("Small workshop", 7);
    body["capacity"] = json!(1);
    let event_id = app.published_event(&admin, &body).await["id"]
        .as_i64()
        .unwrap();
    let first = app.register_email(event_id, "ada@camden.gov.uk").await;
    app.register_email(event_id, "bob@camden.gov.uk").await;
    let response = app
        .delete(&format!(
            "/api/v1/admin/registrations/{}",
            first["id"].as_str().unwrap()
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let templates: Vec<String> = app
        .outbox(&admin)
        .await
        .iter()
        .map(|n| n["template"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        templates,
        [
            "registration_promoted",
            "registration_cancelled",
            "registration_waitlisted",
            "registration_confirmed"
        ],
        "newest first, and the cancellation before the promotion it caused"
    );
}
