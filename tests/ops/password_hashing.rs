//! A burst of sign-ups: each needs an argon2 hash of 19 MiB, and hashes run at most as
//! many at once as there are cores, so memory stays bounded; the sign-ups that cannot
//! get a core in time are a 503 with Retry-After, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::*;

const SIGN_UPS: usize = 60;
const PEAK_RSS_LIMIT: u64 = 150 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_concurrent_sign_ups_keep_the_hub_under_150_mib() {
    let (_db, url) = shared_db();
    let hub = Hub::start(&url, &[]).await;
    let sent: Vec<_> = (0..SIGN_UPS)
        .map(|i| {
            let request = hub.post("/api/v1/accounts").json(&json!({
                "email": format!("burst{i}@camden.gov.uk"),
                "password": PASSWORD,
                "full_name": format!("Officer {i}"),
                "organisation": "London Borough of Camden",
            }));
            tokio::spawn(async move {
                let response = request.send().await.expect("sign-up answered");
                (
                    response.status(),
                    response.headers().contains_key("retry-after"),
                )
            })
        })
        .collect();
    let mut created = 0;
    for answer in sent {
        let (status, retry_after) = answer.await.expect("sign-up task");
        match status {
            StatusCode::CREATED => created += 1,
            StatusCode::SERVICE_UNAVAILABLE => assert!(retry_after, "503 without Retry-After"),
            other => panic!("a sign-up answered {other}"),
        }
    }
    let peak = hub.peak_rss();
    assert!(created > 0, "no sign-up succeeded");
    assert!(
        peak < PEAK_RSS_LIMIT,
        "peak RSS {:.1} MiB with {SIGN_UPS} concurrent sign-ups ({created} created)",
        peak as f64 / 1048576.0
    );
}
