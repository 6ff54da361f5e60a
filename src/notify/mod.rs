//! Notifications: rendered into an outbox table in the same transaction as the change
//! they announce (so none is lost), then delivered by a background sender over SMTP.

pub mod sender;
pub mod templates;

use crate::auth::tokens::{AccountTokens, ManageTokens};

/// What a message needs to build absolute links.
#[derive(Clone)]
pub struct Links {
    pub base_url: String,
    pub manage_tokens: ManageTokens,
    pub account_tokens: AccountTokens,
}

/// The page an email-verification link opens.
pub const VERIFY_EMAIL_PAGE: &str = "/account/verify-email";
/// The page a password-reset link opens.
pub const RESET_PASSWORD_PAGE: &str = "/account/reset-password";

/// What stands for an account link's token in a queued message.
pub const ACCOUNT_TOKEN_SLOT: &str = "[account-token]";

impl Links {
    /// The links of this service, with tokens derived from its secret.
    pub fn new(settings: &crate::config::Settings) -> Self {
        Self {
            base_url: settings.public_base_url.clone(),
            manage_tokens: ManageTokens::new(settings.jwt_secret.bytes()),
            account_tokens: AccountTokens::new(settings.jwt_secret.bytes()),
        }
    }

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

    /// The page that confirms a held registration, as it is queued: like the manage
    /// link, its token (`ManageTokens::confirmation_token_for`) is put in only as it is
    /// sent.
    pub fn queued_confirmation_link(&self, registration_id: &str) -> String {
        format!("{}{}", self.base_url, confirmation_slot(registration_id))
    }
}

/// An account link (`VERIFY_EMAIL_PAGE`, `RESET_PASSWORD_PAGE`) as it is queued: the
/// token of the message's `account_token_id` is put in when it is sent
/// (`with_account_token`), in the fragment, which reaches no access log.
pub fn queued_account_link(base_url: &str, page: &str) -> String {
    format!("{base_url}{page}#token={ACCOUNT_TOKEN_SLOT}")
}

/// The body to send: the account link slot filled with the token of the message's own
/// token row (a body without one is sent as it is).
pub fn with_account_token(
    body: &str,
    account_token_id: Option<&str>,
    tokens: &AccountTokens,
) -> String {
    match account_token_id {
        Some(id) => body.replace(
            &format!("#token={ACCOUNT_TOKEN_SLOT}"),
            &format!("#token={}", tokens.token_for(id)),
        ),
        None => body.to_string(),
    }
}

/// What stands for the manage token in a queued message.
pub const MANAGE_TOKEN_SLOT: &str = "[manage-token]";
/// What stands for the confirmation token in a queued message.
pub const CONFIRMATION_TOKEN_SLOT: &str = "[confirmation-token]";

fn token_slot(registration_id: &str) -> String {
    format!("/registrations/{registration_id}/manage#token={MANAGE_TOKEN_SLOT}")
}

fn confirmation_slot(registration_id: &str) -> String {
    format!("/registrations/{registration_id}/confirm#token={CONFIRMATION_TOKEN_SLOT}")
}

/// The body to send: the manage and confirmation slots of the message's own
/// registration filled with its tokens. Only that registration's links are filled, so
/// text a registrant typed cannot draw another registration's token into their mail.
pub fn with_registration_tokens(
    body: &str,
    registration_id: Option<&str>,
    tokens: &ManageTokens,
) -> String {
    match registration_id {
        Some(id) => body
            .replace(
                &token_slot(id),
                &format!("/registrations/{id}/manage#token={}", tokens.token_for(id)),
            )
            .replace(
                &confirmation_slot(id),
                &format!(
                    "/registrations/{id}/confirm#token={}",
                    tokens.confirmation_token_for(id)
                ),
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
            account_tokens: AccountTokens::new(b"a server secret of at least 32 bytes!!"),
        };
        let own = links.queued_manage_link("r-1");
        let other = links.queued_manage_link("r-2");
        assert!(!own.contains(&tokens.token_for("r-1")));
        let body = format!("Open:\n{own}\nnot this one: {other}");
        let sent = with_registration_tokens(&body, Some("r-1"), &tokens);
        let link = format!(
            "https://hub.example.org/registrations/r-1/manage#token={}",
            tokens.token_for("r-1")
        );
        assert!(sent.contains(&link), "{sent}");
        assert!(!sent.contains(&tokens.token_for("r-2")), "{sent}");
        assert_eq!(with_registration_tokens(&body, None, &tokens), body);
    }

    #[test]
    fn a_confirmation_link_gets_its_own_token_only_when_sent() {
        let tokens = ManageTokens::new(b"a server secret of at least 32 bytes!!");
        let links = Links {
            base_url: "https://hub.example.org".into(),
            manage_tokens: tokens.clone(),
            account_tokens: AccountTokens::new(b"a server secret of at least 32 bytes!!"),
        };
        let queued = links.queued_confirmation_link("r-1");
        assert!(!queued.contains(&tokens.confirmation_token_for("r-1")));
        let sent = with_registration_tokens(&format!("Open {queued}"), Some("r-1"), &tokens);
        assert_eq!(
            sent,
            format!(
                "Open https://hub.example.org/registrations/r-1/confirm#token={}",
                tokens.confirmation_token_for("r-1")
            )
        );
        let other = with_registration_tokens(&format!("Open {queued}"), Some("r-2"), &tokens);
        assert!(!other.contains(&tokens.confirmation_token_for("r-1")));
    }

    #[test]
    fn an_account_link_gets_the_token_of_its_own_row_only_when_sent() {
        let tokens = AccountTokens::new(b"a server secret of at least 32 bytes!!");
        let link = queued_account_link("https://hub.example.org", VERIFY_EMAIL_PAGE);
        let body = format!("Open:\n{link}\n");
        let sent = with_account_token(&body, Some("t-1"), &tokens);
        assert!(
            sent.contains(&format!(
                "https://hub.example.org/account/verify-email#token={}",
                tokens.token_for("t-1")
            )),
            "{sent}"
        );
        assert_eq!(with_account_token(&body, None, &tokens), body);
    }
}
