//! Prometheus metrics at /metrics: per-route counts and latencies, pool, outbox and
//! membership backlog; open to loopback peers, admins only through a proxy.

use reqwest::StatusCode;

use crate::helpers::*;

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("text/plain") && content_type.contains("version=0.0.4"),
        "{content_type}"
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.text().await.unwrap()
}

/// The value of the sample of `name` that has exactly these labels (in any order).
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (series_name, rest) = series.split_once('{').unwrap_or((series, "}"));
        let mut found: Vec<String> = rest
            .trim_end_matches('}')
            .split(',')
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        found.sort();
        (series_name == name && found == wanted).then(|| value.parse().ok())?
    })
}

#[tokio::test]
async fn requests_are_counted_by_route_pattern_method_and_status_class() {
    let (app, token) = with_admin().await;
    let event = app
        .published_event(&token, &event_body("Counted workshop", 5))
        .await;
    let by_id = format!("/api/v1/events/{}", event["id"]);
    for _ in 0..3 {
        assert_eq!(app.get(&by_id).send().await.unwrap().status(), 200);
    }
    let missing = app
        .get("/api/v1/events/no-such-event")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    app.get("/nowhere/9f1c").send().await.unwrap();

    let text = scrape(&app).await;
    let route = ("route", "/api/v1/events/{id_or_slug}");
    let get = ("method", "GET");
    let requests = "llcp_http_requests_total";
    assert_eq!(
        sample(&text, requests, &[route, get, ("status", "2xx")]),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, requests, &[route, get, ("status", "4xx")]),
        Some(1.0),
        "{text}"
    );
    let latency = "llcp_http_request_duration_seconds";
    assert_eq!(
        sample(&text, &format!("{latency}_count"), &[route, get]),
        Some(4.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("{latency}_bucket"),
            &[route, get, ("le", "+Inf")]
        ),
        Some(4.0),
        "{text}"
    );
    // Concrete paths never become labels.
    assert!(
        !text.contains("Counted") && !text.contains("9f1c"),
        "{text}"
    );
    assert!(text.contains(r#"route="<unmatched>""#), "{text}");
}

#[tokio::test]
async fn the_pool_outbox_and_membership_backlog_are_read_at_scrape_time() {
    let app = spawn_app().await;
    let text = scrape(&app).await;
    let pool = "llcp_db_pool_connections";
    let idle = sample(&text, pool, &[("state", "idle")]).expect("idle connections");
    let in_use = sample(&text, pool, &[("state", "in_use")]).expect("connections in use");
    assert!(idle + in_use >= 1.0, "{text}");
    let outbox = "llcp_outbox_notifications";
    let applications = "llcp_membership_applications";
    assert_eq!(sample(&text, outbox, &[("status", "queued")]), Some(0.0));
    assert_eq!(
        sample(&text, applications, &[("state", "pending")]),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, applications, &[("state", "overdue")]),
        Some(0.0)
    );

    // A registration queues its confirmation (no SMTP here, so it stays queued).
    let admin = app.admin_token().await;
    let event = app
        .published_event(&admin, &event_body("Queued workshop", 5))
        .await;
    app.register(
        &event["id"],
        &registration("Ada Lovelace", "ada@camden.gov.uk"),
    )
    .await;
    let member = app.member_token().await;
    let response = app.apply(&member, &membership_application()).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{:?}",
        response.text().await
    );
    // Made overdue in the database, as an hour-long wait would.
    {
        use diesel::prelude::*;
        use llcp_hub::db::schema::membership_applications as ma;
        let mut conn = app.pool.get().unwrap();
        diesel::update(ma::table)
            .set(ma::respond_by.eq(chrono::Utc::now().naive_utc() - chrono::Duration::hours(1)))
            .execute(&mut conn)
            .unwrap();
    }
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, applications, &[("state", "pending")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, applications, &[("state", "overdue")]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, outbox, &[("status", "queued")]),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test]
async fn through_a_trusted_proxy_only_an_admin_token_gets_the_metrics() {
    // Loopback behind a proxy on the same host is the outside world: X-Forwarded-For
    // is not read, and a loopback peer that is a proxy does not count as local.
    let app = spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let anonymous = app
        .get("/metrics")
        .header("X-Forwarded-For", "127.0.0.1")
        .send()
        .await
        .unwrap();
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let member = app.member_token().await;
    let response = scrape_with(&app, &member).await;
    assert_problem(response, StatusCode::FORBIDDEN, "admin-only").await;
    let admin = app.admin_token().await;
    assert_scraped(scrape_with(&app, &admin).await, "llcp_http_requests_total").await;
}

/// GET /metrics with the bearer token.
async fn scrape_with(app: &TestApp, token: &str) -> reqwest::Response {
    app.get("/metrics").bearer_auth(token).send().await.unwrap()
}

/// Asserts a 200 whose metrics text names the metric.
async fn assert_scraped(response: reqwest::Response, metric: &str) {
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(text.contains(metric), "{metric} in {text}");
}

#[tokio::test]
async fn from_elsewhere_the_operators_metrics_token_gets_the_metrics() {
    const TOKEN: &str = "scraper-secret-scraper-secret-0123456789";
    let app = spawn_app_with(|s| {
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.http.metrics_token = Some(TOKEN.into());
    })
    .await;
    assert_scraped(scrape_with(&app, TOKEN).await, "llcp_db_pool_connections").await;
    let wrong = scrape_with(&app, &TOKEN.replace('0', "1")).await;
    assert_problem(wrong, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
