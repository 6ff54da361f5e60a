//! Delivers queued notifications over SMTP (`SMTP_URL`), retrying with exponential
//! backoff. Several instances may run senders: each message is claimed before sending.

use std::time::Duration as StdDuration;

use chrono::Duration;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::auth::tokens::{AccountTokens, ManageTokens};
use crate::db::{self, DbPool};
use crate::domain::time::now;
use crate::error::ApiError;
use crate::notify::{with_account_token, with_registration_tokens};
use crate::repo::notifications::{self, NotificationRow};

/// How long a claim lasts: longer than any single SMTP exchange.
const CLAIM_SECONDS: i64 = 120;
const BATCH: i64 = 20;

#[derive(Clone)]
pub struct SenderConfig {
    pub smtp_url: String,
    pub from: Mailbox,
    pub poll_interval: StdDuration,
    pub retry_base: Duration,
    pub max_attempts: i32,
    /// Fills the manage links of queued messages (see `notify::with_registration_tokens`).
    pub manage_tokens: ManageTokens,
    /// Fills the account links of queued messages (see `notify::with_account_token`).
    pub account_tokens: AccountTokens,
}

/// Starts the background sender on the current runtime.
pub fn start(pool: DbPool, config: SenderConfig) -> Result<(), String> {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
        .map_err(|_| "SMTP_URL is not a valid smtp:// or smtps:// URL".to_string())?
        .timeout(Some(StdDuration::from_secs(30)))
        .build();
    tokio::spawn(async move {
        loop {
            match deliver_due(&pool, &transport, &config).await {
                Ok(claimed) if claimed > 0 => continue,
                Ok(_) => {}
                Err(e) => log::warn!("notification sender: {e}"),
            }
            tokio::time::sleep(config.poll_interval).await;
        }
    });
    Ok(())
}

enum Outcome {
    Sent,
    Retry(String),
    GiveUp(String),
}

async fn deliver(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &SenderConfig,
    row: &NotificationRow,
) -> Outcome {
    let Ok(to) = row.recipient.parse::<Mailbox>() else {
        return Outcome::GiveUp("the recipient address is not valid".into());
    };
    let email = lettre::Message::builder()
        .from(config.from.clone())
        .to(to)
        .subject(&row.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(with_account_token(
            &with_registration_tokens(
                &row.body,
                row.registration_id.as_deref(),
                &config.manage_tokens,
            ),
            row.account_token_id.as_deref(),
            &config.account_tokens,
        ));
    let email = match email {
        Ok(email) => email,
        Err(e) => return Outcome::GiveUp(format!("the message could not be built: {e}")),
    };
    match transport.send(email).await {
        Ok(_) => Outcome::Sent,
        Err(e) if e.is_permanent() => Outcome::GiveUp(format!("rejected: {e}")),
        Err(e) => Outcome::Retry(e.to_string()),
    }
}

/// Sends what is due; returns how many messages were claimed.
async fn deliver_due(
    pool: &DbPool,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    config: &SenderConfig,
) -> Result<usize, ApiError> {
    let claimed = db::run_in_background(pool, |conn| {
        notifications::claim_due(conn, now(), BATCH, Duration::seconds(CLAIM_SECONDS))
    })
    .await?;
    for row in &claimed {
        let outcome = deliver(transport, config, row).await;
        let row = row.clone();
        let (retry_base, max_attempts) = (config.retry_base, config.max_attempts);
        match outcome {
            Outcome::Sent => {
                db::run_in_background(pool, move |conn| {
                    notifications::mark_sent(conn, &row.id, now())
                })
                .await?
            }
            Outcome::Retry(error) => {
                // The id only: server replies may quote the recipient's address.
                log::warn!(
                    "notification {} attempt {} failed; will retry",
                    row.id,
                    row.attempts
                );
                db::run_in_background(pool, move |conn| {
                    notifications::mark_attempt_failed(
                        conn,
                        &row,
                        &error,
                        now(),
                        retry_base,
                        max_attempts,
                    )
                })
                .await?
            }
            Outcome::GiveUp(error) => {
                log::warn!("notification {} could not be delivered; giving up", row.id);
                db::run_in_background(pool, move |conn| {
                    notifications::mark_attempt_failed(conn, &row, &error, now(), retry_base, 0)
                })
                .await?
            }
        }
    }
    Ok(claimed.len())
}
