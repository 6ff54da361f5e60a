//! Known devices (OWASP's device cookies): after a successful sign-in the client gets a
//! signed token naming the account. Presented with a later sign-in to the same account,
//! it exempts that client from the limits that strangers' failures build up, so nobody
//! can lock an owner out by guessing their password. Nothing is stored: the signature
//! is the proof, and a device's own failures are counted under its nonce.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::auth::tokens::hmac_sha256;

/// How long a device stays known after its last successful sign-in.
pub const DEVICE_DAYS: i64 = 180;
/// The cookie a browser keeps the token in (the JSON field serves other clients).
pub const DEVICE_COOKIE: &str = "llcp_device";

#[derive(Clone)]
pub struct KnownDevices {
    key: [u8; 32],
}

/// A verified device token: the account it was issued to and its nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub account_id: String,
    pub nonce: String,
}

impl KnownDevices {
    pub fn new(server_secret: &[u8]) -> Self {
        Self {
            key: hmac_sha256(server_secret, b"llcp-hub known devices v1"),
        }
    }

    /// `account.issued.nonce.signature`, URL-safe.
    pub fn issue(&self, account_id: &str, now: NaiveDateTime) -> String {
        let mut nonce = [0u8; 16];
        rand::rng().fill_bytes(&mut nonce);
        let body = format!(
            "{account_id}.{}.{}",
            now.and_utc().timestamp(),
            URL_SAFE_NO_PAD.encode(nonce)
        );
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, body.as_bytes()));
        format!("{body}.{signature}")
    }

    /// The device, if the token is ours, unaltered and not older than `DEVICE_DAYS`.
    pub fn verify(&self, token: &str, now: NaiveDateTime) -> Option<Device> {
        let (body, signature) = token.rsplit_once('.')?;
        let expected = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, body.as_bytes()));
        if !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return None;
        }
        let mut parts = body.split('.');
        let (account_id, issued, nonce) = (parts.next()?, parts.next()?, parts.next()?);
        let issued = chrono::DateTime::from_timestamp(issued.parse().ok()?, 0)?.naive_utc();
        let fresh =
            issued <= now + Duration::minutes(1) && now - issued <= Duration::days(DEVICE_DAYS);
        (fresh && parts.next().is_none()).then(|| Device {
            account_id: account_id.to_string(),
            nonce: nonce.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(days: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + Duration::days(days)
    }

    #[test]
    fn a_token_verifies_as_its_account_until_it_is_too_old() {
        let devices = KnownDevices::new(b"a server secret of at least 32 bytes");
        let token = devices.issue("ada", at(0));
        let device = devices.verify(&token, at(1)).unwrap();
        assert_eq!(device.account_id, "ada");
        assert_eq!(devices.verify(&token, at(DEVICE_DAYS - 1)), Some(device));
        assert_eq!(devices.verify(&token, at(DEVICE_DAYS + 1)), None);
        assert_eq!(devices.verify(&token, at(-1)), None, "issued in the future");
        assert_ne!(
            devices.issue("ada", at(0)),
            token,
            "each device its own nonce"
        );
    }

    #[test]
    fn an_altered_or_foreign_token_does_not_verify() {
        let devices = KnownDevices::new(b"a server secret of at least 32 bytes");
        let token = devices.issue("ada", at(0));
        let forged = token.replacen("ada", "bob", 1);
        assert_eq!(devices.verify(&forged, at(0)), None);
        let other = KnownDevices::new(b"another server secret of 32 bytes!");
        assert_eq!(other.verify(&token, at(0)), None);
        for junk in ["", ".", "a.b.c.d", "a.b.c.d.e"] {
            assert_eq!(devices.verify(junk, at(0)), None, "{junk}");
        }
    }
}
