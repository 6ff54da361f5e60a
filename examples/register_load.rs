//! Registration load generator for bench/registrations.sh: creates and publishes a few
//! events, registers distinct people from N concurrent clients for a fixed time, then
//! checks that no event holds more confirmed registrations than its capacity.
//!
//! Usage: register_load BASE_URL ADMIN_TOKEN [CLIENTS] [SECONDS] [EVENTS] [CAPACITY]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients as usize)
        .build()
        .unwrap();

    let mut events = Vec::new();
    let run = uuid::Uuid::new_v4().simple().to_string();
    for n in 0..event_count {
        let start = chrono::Utc::now() + chrono::Duration::days(30);
        let created: Value = http
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
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_i64().expect("event created");
        http.post(format!("{base}/api/v1/admin/events/{id}/publish"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        events.push(id);
    }
    let events = Arc::new(events);
    let accepted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..clients {
        let (http, base, events, accepted, failed, next, run) = (
            http.clone(),
            base.clone(),
            events.clone(),
            accepted.clone(),
            failed.clone(),
            next.clone(),
            run.clone(),
        );
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let event = events[(n % events.len() as u64) as usize];
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
                match response {
                    Ok(r) if r.status().as_u16() == 201 => accepted.fetch_add(1, Ordering::Relaxed),
                    _ => failed.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();

    let mut overbooked = 0;
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
        if admin_view["registrations"]["confirmed"]
            .as_u64()
            .unwrap_or(0)
            > capacity
        {
            overbooked += 1;
        }
    }
    let accepted = accepted.load(Ordering::Relaxed);
    println!(
        "{{\"clients\": {clients}, \"seconds\": {elapsed:.1}, \"accepted\": {accepted}, \"failed\": {}, \"per_second\": {:.0}, \"overbooked_events\": {overbooked}}}",
        failed.load(Ordering::Relaxed),
        accepted as f64 / elapsed
    );
}
