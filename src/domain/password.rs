//! Password rules after OWASP ASVS: 12–128 characters, not a common password, not built
//! on the account's own email address.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::domain::Email;

pub struct Password(String);

pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("../../data/common-passwords.txt");

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

impl Password {
    /// Every rule the password breaks, one message each.
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, Vec<String>> {
        let mut reasons = Vec::new();
        let chars = raw.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
            reasons.push(format!(
                "must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
            ));
        } else if raw.trim().is_empty() {
            reasons.push("must not be only spaces".into());
        }
        let lower = raw.to_lowercase();
        if common_passwords().contains(lower.as_str()) {
            reasons.push("is one of the most common passwords; choose another".into());
        }
        if let Some(email) = email {
            let local = email.lower().split('@').next().unwrap_or("");
            if local.chars().count() >= 3 && lower.contains(local) {
                reasons.push("must not contain your email address".into());
            }
        }
        if reasons.is_empty() {
            Ok(Self(raw.to_string()))
        } else {
            Err(reasons)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// Never print a password.
impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_twelve_to_128_characters() {
        assert!(Password::parse("elevenchars", None).is_err());
        assert!(Password::parse("twelve chars", None).is_ok());
        assert!(Password::parse(&"é".repeat(128), None).is_ok());
        assert!(Password::parse(&"x".repeat(129), None).is_err());
        assert!(Password::parse(&" ".repeat(12), None).is_err());
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        assert!(common_passwords().len() > 3000);
        let reasons = Password::parse("Q1W2E3R4T5Y6", None).unwrap_err();
        assert_eq!(
            reasons,
            vec!["is one of the most common passwords; choose another"]
        );
    }

    #[test]
    fn the_email_local_part_is_refused_and_every_reason_is_given() {
        let email = Email::parse("ada.lovelace@camden.gov.uk").unwrap();
        assert!(Password::parse("my Ada.Lovelace pass", Some(&email)).is_err());
        assert!(Password::parse("an unrelated passphrase", Some(&email)).is_ok());
        let short = Email::parse("al@camden.gov.uk").unwrap();
        assert!(
            Password::parse("totally alright here", Some(&short)).is_ok(),
            "2-letter local parts are too common to refuse"
        );
        let reasons = Password::parse("ada.lovelace", Some(&email)).unwrap_err();
        assert_eq!(reasons.len(), 1);
        let both =
            Password::parse("password", Some(&Email::parse("password@x.uk").unwrap())).unwrap_err();
        assert_eq!(both.len(), 3, "{both:?}");
    }

    #[test]
    fn debug_hides_the_value() {
        let p = Password::parse("correct horse battery", None).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }
}
