//! Registration load generator for bench/run.sh and bench/registrations.sh: creates and
//! publishes a few events, registers distinct people from N concurrent clients for a
//! fixed time (round robin over the events), then checks through the admin API that no
//! event holds more confirmed registrations than its capacity, and that confirmed plus
//! remaining seats make the capacity.
//!
//! Usage: register_load BASE_URL ADMIN_TOKEN [CLIENTS] [SECONDS] [EVENTS] [CAPACITY]
//!
//! Prints one JSON line: clients, seconds, accepted (201s), failed (anything else,
//! including transport errors), per_second (accepted per second), confirmed and
//! waitlisted among the accepted, statuses (count per HTTP status, 0 for transport
//! errors), p50_ms / p99_ms / max_ms over all requests, events (their ids),
//! overbooked_events and seat_mismatches.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[derive(Default)]
struct WorkerReport {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, u64>,
    confirmed: u64,
    waitlisted: u64,
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: u64| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(default);
    let base = args
        .get(1)
        .expect("BASE_URL")
        .trim_end_matches('/')
        .to_string();
    let token = args.get(2).expect("ADMIN_TOKEN").clone();
    let (clients, seconds, event_count, capacity) =
        (arg(3, 32), arg(4, 20), arg(5, 4), arg(6, 200));
    assert!(
        clients > 0 && event_count > 0 && capacity > 0,
        "CLIENTS, EVENTS and CAPACITY must be positive"
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients as usize)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let mut events = Vec::new();
    let run = uuid::Uuid::new_v4().simple().to_string();
    for n in 0..event_count {
        let start = chrono::Utc::now() + chrono::Duration::days(30);
        let response = http
            .post(format!("{base}/api/v1/admin/events"))
            .bearer_auth(&token)
            .json(&json!({
                "title": format!("Load workshop {n} {}", &run[..8]),
                "kind": "workshop",
                "starts_at": start.to_rfc3339(),
                "ends_at": (start + chrono::Duration::hours(3)).to_rfc3339(),
                "capacity": capacity,
            }))
            .send()
            .await
            .expect("creating an event");
        let status = response.status();
        let created: Value = response.json().await.unwrap_or(Value::Null);
        let id = created["id"]
            .as_i64()
            .unwrap_or_else(|| panic!("creating an event answered {status}: {created}"));
        let published = http
            .post(format!("{base}/api/v1/admin/events/{id}/publish"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("publishing an event");
        assert!(
            published.status().is_success(),
            "publishing event {id} answered {}",
            published.status()
        );
        events.push(id);
    }
    let events = Arc::new(events);
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (http, base, events, next, run) = (
            http.clone(),
            base.clone(),
            events.clone(),
            next.clone(),
            run.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut report = WorkerReport::default();
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let event = events[(n % events.len() as u64) as usize];
                let sent = Instant::now();
                let response = http
                    .post(format!("{base}/api/v1/events/{event}/registrations"))
                    .json(&json!({
                        "full_name": format!("Officer {n}"),
                        "email": format!("officer{n}.{run}@example.org"),
                        "organisation": "Load test",
                        "consent": true,
                    }))
                    .send()
                    .await;
                let status = match response {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        if status == 201 {
                            match body["status"].as_str() {
                                Some("confirmed") => report.confirmed += 1,
                                Some("waitlisted") => report.waitlisted += 1,
                                _ => {}
                            }
                        }
                        status
                    }
                    Err(_) => 0,
                };
                report.latencies.push(sent.elapsed());
                *report.statuses.entry(status).or_default() += 1;
            }
            report
        }));
    }
    let mut total = WorkerReport::default();
    for worker in workers {
        let mut report = worker.await.unwrap();
        total.latencies.append(&mut report.latencies);
        for (status, count) in report.statuses {
            *total.statuses.entry(status).or_default() += count;
        }
        total.confirmed += report.confirmed;
        total.waitlisted += report.waitlisted;
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies.sort_unstable();

    let mut overbooked = 0;
    let mut seat_mismatches = 0;
    for event in events.iter() {
        let admin_view: Value = http
            .get(format!("{base}/api/v1/admin/events/{event}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let confirmed = admin_view["registrations"]["confirmed"]
            .as_u64()
            .unwrap_or(0);
        if confirmed > capacity {
            overbooked += 1;
        }
        let remaining = admin_view["seats_remaining"].as_u64().unwrap_or(0);
        if confirmed + remaining != capacity {
            seat_mismatches += 1;
        }
    }
    let accepted = total.statuses.get(&201).copied().unwrap_or(0);
    let requests: u64 = total.statuses.values().sum();
    let statuses = total
        .statuses
        .iter()
        .map(|(status, count)| format!("\"{status}\": {count}"))
        .collect::<Vec<_>>()
        .join(", ");
    let ids = events
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "{{\"clients\": {clients}, \"seconds\": {elapsed:.1}, \"accepted\": {accepted}, \"failed\": {}, \"per_second\": {:.0}, \"confirmed\": {}, \"waitlisted\": {}, \"statuses\": {{{statuses}}}, \"p50_ms\": {:.2}, \"p99_ms\": {:.2}, \"max_ms\": {:.2}, \"events\": [{ids}], \"capacity\": {capacity}, \"overbooked_events\": {overbooked}, \"seat_mismatches\": {seat_mismatches}}}",
        requests - accepted,
        accepted as f64 / elapsed,
        total.confirmed,
        total.waitlisted,
        percentile_ms(&total.latencies, 50.0),
        percentile_ms(&total.latencies, 99.0),
        percentile_ms(&total.latencies, 100.0),
    );
}
