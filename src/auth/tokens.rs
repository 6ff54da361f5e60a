//! Opaque secrets handed to clients (refresh tokens, manage tokens): 256 random bits,
//! stored only as a SHA-256 hash and compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Constant-time comparison of a presented secret with a stored hash.
pub fn secret_matches(secret: &str, stored_hash: &str) -> bool {
    hash_secret(secret)
        .as_bytes()
        .ct_eq(stored_hash.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_256_bits_and_distinct() {
        let a = new_secret();
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(a, new_secret());
    }

    #[test]
    fn only_the_right_secret_matches_its_hash() {
        let secret = new_secret();
        let stored = hash_secret(&secret);
        assert_ne!(stored, secret);
        assert!(secret_matches(&secret, &stored));
        assert!(!secret_matches(&new_secret(), &stored));
    }
}

/// HMAC-SHA256 of `message` under `key`: derives a purpose's key from the server secret
/// (with the purpose's label as the message), and signs with it.
#[expect(clippy::expect_used, reason = "HMAC accepts a key of any length")]
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// A token derived from `key` and `id`, URL-safe.
fn derived_token(key: &[u8; 32], id: &str) -> String {
    URL_SAFE_NO_PAD.encode(hmac_sha256(key, id.as_bytes()))
}

/// Registration manage tokens: 256 bits derived with HMAC from a server key and the
/// registration id. Nothing reversible is stored (only a hash), yet the service can put
/// the link in a later email (a promotion) and an idempotent retry can return the same
/// token as the original response.
#[derive(Clone)]
pub struct ManageTokens {
    key: [u8; 32],
    confirmation_key: [u8; 32],
}

impl ManageTokens {
    pub fn new(server_secret: &[u8]) -> Self {
        Self {
            key: hmac_sha256(server_secret, b"llcp-hub registration manage tokens v1"),
            confirmation_key: hmac_sha256(
                server_secret,
                b"llcp-hub registration confirmation tokens v1",
            ),
        }
    }

    pub fn token_for(&self, registration_id: &str) -> String {
        derived_token(&self.key, registration_id)
    }

    /// The token of a held registration's confirmation link: another key than the
    /// manage token's, so that whoever sent the form (and got the manage token in the
    /// answer) cannot confirm an address they do not read. Never stored: a link lives
    /// only as long as the hold.
    pub fn confirmation_token_for(&self, registration_id: &str) -> String {
        derived_token(&self.confirmation_key, registration_id)
    }

    /// Constant time.
    pub fn verify_confirmation(&self, registration_id: &str, presented: &str) -> bool {
        self.confirmation_token_for(registration_id)
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
    }

    /// Constant time. The stored hash still admits a token issued under an earlier key.
    pub fn verify(&self, registration_id: &str, presented: &str, stored_hash: &str) -> bool {
        let derived: bool = self
            .token_for(registration_id)
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into();
        derived | secret_matches(presented, stored_hash)
    }
}

/// The tokens of an account's mailed links (verifying its email, resetting its
/// password), derived like manage tokens from a random row id: the table keeps only a
/// hash and the outbox only a slot, and the sender fills the link in as it sends.
#[derive(Clone)]
pub struct AccountTokens {
    key: [u8; 32],
}

impl AccountTokens {
    pub fn new(server_secret: &[u8]) -> Self {
        Self {
            key: hmac_sha256(server_secret, b"llcp-hub account link tokens v1"),
        }
    }

    pub fn token_for(&self, token_id: &str) -> String {
        derived_token(&self.key, token_id)
    }
}

#[cfg(test)]
mod manage_token_tests {
    use super::*;

    #[test]
    fn tokens_are_per_registration_and_per_key() {
        let tokens = ManageTokens::new(b"server secret of enough length!!");
        let a = tokens.token_for("a");
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_eq!(a, tokens.token_for("a"));
        assert_ne!(a, tokens.token_for("b"));
        assert_ne!(
            a,
            ManageTokens::new(b"another secret of enough length!").token_for("a")
        );
    }

    #[test]
    fn verification_accepts_only_the_registrations_token() {
        let tokens = ManageTokens::new(b"server secret of enough length!!");
        let token = tokens.token_for("a");
        let stored = hash_secret(&token);
        assert!(tokens.verify("a", &token, &stored));
        assert!(!tokens.verify("a", &tokens.token_for("b"), &stored));
        assert!(!tokens.verify("a", "", &stored));
        let rotated = ManageTokens::new(b"a rotated secret of enough length");
        assert!(
            rotated.verify("a", &token, &stored),
            "old links keep working after rotation"
        );
    }
}

#[cfg(test)]
mod account_token_tests {
    use super::*;

    #[test]
    fn account_tokens_differ_from_manage_tokens_of_the_same_id() {
        let secret = b"server secret of enough length!!";
        let token = AccountTokens::new(secret).token_for("a");
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_eq!(token, AccountTokens::new(secret).token_for("a"));
        assert_ne!(token, ManageTokens::new(secret).token_for("a"));
    }

    #[test]
    fn a_confirmation_token_is_not_the_manage_token_and_verifies_only_its_registration() {
        let tokens = ManageTokens::new(b"server secret of enough length!!");
        let token = tokens.confirmation_token_for("a");
        assert_ne!(token, tokens.token_for("a"));
        assert!(tokens.verify_confirmation("a", &token));
        assert!(!tokens.verify_confirmation("a", &tokens.token_for("a")));
        assert!(!tokens.verify_confirmation("b", &token));
        assert!(!tokens.verify_confirmation("a", ""));
    }
}
