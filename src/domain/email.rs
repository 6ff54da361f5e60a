use validator::ValidateEmail;

/// An email address as given, plus its lower-cased form used for uniqueness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    original: String,
    lower: String,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.len() > 254 || !trimmed.validate_email() {
            return Err("must be a valid email address".into());
        }
        Ok(Self {
            original: trimmed.to_string(),
            lower: trimmed.to_lowercase(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }

    pub fn lower(&self) -> &str {
        &self.lower
    }
}

/// Erased people's placeholder addresses end so: under `.invalid` (RFC 2606) they can
/// never be delivered to anyone.
pub const ERASED_EMAIL_DOMAIN: &str = "@erased.invalid";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_original_and_a_lower_cased_copy() {
        let email = Email::parse("  Ada.Lovelace@Camden.gov.uk ").unwrap();
        assert_eq!(email.as_str(), "Ada.Lovelace@Camden.gov.uk");
        assert_eq!(email.lower(), "ada.lovelace@camden.gov.uk");
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in ["", "ada", "ada@", "@camden.gov.uk", "a b@c.uk"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Email::parse(&format!("{}@x.uk", "a".repeat(250))).is_err());
    }
}
