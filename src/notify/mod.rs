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

    /// The page where a registrant manages their registration, as it is queued: the
    /// token is put in only when the message is sent (`with_manage_token`), so the
    /// outbox, its admin view and a copy of the database never hold it. The token
    /// travels in the fragment, which browsers never send to a server, so it reaches no
    /// access log.
    pub fn queued_manage_link(&self, registration_id: &str) -> String {
        format!("{}{}", self.base_url, token_slot(registration_id))
    }
}

/// What stands for the manage token in a queued message.
pub const MANAGE_TOKEN_SLOT: &str = "[manage-token]";

fn token_slot(registration_id: &str) -> String {
    format!("/registrations/{registration_id}/manage#token={MANAGE_TOKEN_SLOT}")
}

/// The body to send: the slot of the message's own registration filled with its token.
/// Only that registration's link is filled, so text a registrant typed cannot draw
/// another registration's token into their mail.
pub fn with_manage_token(
    body: &str,
    registration_id: Option<&str>,
    tokens: &ManageTokens,
) -> String {
    match registration_id {
        Some(id) => body.replace(
            &token_slot(id),
            &format!("/registrations/{id}/manage#token={}", tokens.token_for(id)),
        ),
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_messages_own_registration_gets_its_token() {
        let tokens = ManageTokens::new(b"a server secret of at least 32 bytes!!");
        let links = Links {
            base_url: "https://hub.example.org".into(),
            manage_tokens: tokens.clone(),
        };
        let own = links.queued_manage_link("r-1");
        let other = links.queued_manage_link("r-2");
        assert!(!own.contains(&tokens.token_for("r-1")));
        let body = format!("Open:\n{own}\nnot this one: {other}");
        let sent = with_manage_token(&body, Some("r-1"), &tokens);
        let link = format!(
            "https://hub.example.org/registrations/r-1/manage#token={}",
            tokens.token_for("r-1")
        );
        assert!(sent.contains(&link), "{sent}");
        assert!(!sent.contains(&tokens.token_for("r-2")), "{sent}");
        assert_eq!(with_manage_token(&body, None, &tokens), body);
    }
}
