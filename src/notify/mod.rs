//! Notifications: rendered into an outbox table in the same transaction as the change
//! they announce (so none is lost), then delivered by a background sender over SMTP.

pub mod sender;
pub mod templates;

use crate::auth::tokens::ManageTokens;

/// What a message needs to build absolute links.
#[derive(Clone)]
pub struct Links {
    pub base_url: String,
    pub manage_tokens: ManageTokens,
}

impl Links {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The page where a registrant manages their registration. The token travels in the
    /// fragment, which browsers never send to a server, so it reaches no access log.
    pub fn manage_link(&self, registration_id: &str) -> String {
        format!(
            "{}/registrations/{registration_id}/manage#token={}",
            self.base_url,
            self.manage_tokens.token_for(registration_id)
        )
    }
}
