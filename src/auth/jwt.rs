//! Access tokens: HS256 only, 15 minutes, with issuer, audience, subject, session and
//! times required, and a token type so that no other JWT signed with the key passes.

use chrono::Utc;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::JwtSecret;
use crate::error::ApiError;

pub const ISSUER: &str = "llcp-hub";
pub const AUDIENCE: &str = "llcp-hub-api";
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
/// Clock difference tolerated between instances.
const LEEWAY_SECONDS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    /// The session (refresh-token family) the token was issued in: once it ends
    /// (sign-out, a password reset), the token stops working at once.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// What a valid access token says.
#[derive(Debug, PartialEq, Eq)]
pub struct AccessToken {
    pub account_id: Uuid,
    pub session_id: String,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtKeys {
    pub fn new(secret: &JwtSecret) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "iat", "exp"]);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = LEEWAY_SECONDS;
        // A token dated in the future was not issued by this hub (or its clock is
        // broken): `nbf` is checked when present, `iat` always (below).
        validation.validate_nbf = true;
        Self {
            encoding: EncodingKey::from_secret(secret.bytes()),
            decoding: DecodingKey::from_secret(secret.bytes()),
            validation,
        }
    }

    pub fn issue(&self, account_id: &str, session_id: &str) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: account_id.into(),
            sid: session_id.into(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
        };
        let header = Header {
            typ: Some(ACCESS_TOKEN_TYPE.into()),
            ..Header::new(Algorithm::HS256)
        };
        encode(&header, &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("token signing failed: {e}")))
    }

    /// The account and session of a valid access token (whether the session is still
    /// open is the extractor's question).
    pub fn verify(&self, token: &str) -> Result<AccessToken, ApiError> {
        let invalid =
            || ApiError::Unauthorized("The access token is invalid or has expired.".into());
        let header = decode_header(token).map_err(|_| invalid())?;
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(invalid());
        }
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| invalid())?;
        let claims = data.claims;
        let now = Utc::now().timestamp();
        // Issued in the future, or valid for longer than this hub ever issues.
        if claims.iat > now + LEEWAY_SECONDS as i64
            || claims.exp - claims.iat > ACCESS_TOKEN_SECONDS
        {
            return Err(invalid());
        }
        if claims.sid.is_empty() {
            return Err(invalid());
        }
        Ok(AccessToken {
            account_id: Uuid::parse_str(&claims.sub).map_err(|_| invalid())?,
            session_id: claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&JwtSecret::new(vec![7u8; 32]).unwrap())
    }

    #[test]
    fn issued_tokens_verify_to_their_subject() {
        let id = Uuid::new_v4();
        let token = keys().issue(&id.to_string(), "s-1").unwrap();
        let verified = keys().verify(&token).unwrap();
        assert_eq!(verified.account_id, id);
        assert_eq!(verified.session_id, "s-1");
    }

    #[test]
    fn another_key_or_algorithm_or_type_is_refused() {
        let id = Uuid::new_v4().to_string();
        let other = JwtKeys::new(&JwtSecret::new(vec![8u8; 32]).unwrap());
        assert!(keys().verify(&other.issue(&id, "s-1").unwrap()).is_err());

        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: id,
            sid: "s-1".into(),
            iat: now,
            exp: now + 60,
        };
        let secret = EncodingKey::from_secret(&[7u8; 32]);
        let plain_jwt = encode(&Header::new(Algorithm::HS256), &claims, &secret).unwrap();
        assert!(keys().verify(&plain_jwt).is_err(), "typ must be at+jwt");
        let hs512 = Header {
            typ: Some(ACCESS_TOKEN_TYPE.into()),
            ..Header::new(Algorithm::HS512)
        };
        assert!(
            keys()
                .verify(&encode(&hs512, &claims, &secret).unwrap())
                .is_err()
        );
        assert!(keys().verify("not.a.token").is_err());
    }

    #[test]
    fn tokens_dated_in_the_future_or_too_long_lived_are_refused() {
        let now = Utc::now().timestamp();
        let secret = EncodingKey::from_secret(&[7u8; 32]);
        let header = Header {
            typ: Some(ACCESS_TOKEN_TYPE.into()),
            ..Header::new(Algorithm::HS256)
        };
        let signed = |claims: serde_json::Value| encode(&header, &claims, &secret).unwrap();
        let claims = |iat: i64, exp: i64| {
            serde_json::json!({"iss": ISSUER, "aud": AUDIENCE,
                "sub": Uuid::new_v4().to_string(), "sid": "s-1", "iat": iat, "exp": exp})
        };
        assert!(keys().verify(&signed(claims(now, now + 60))).is_ok());
        assert!(
            keys()
                .verify(&signed(claims(now + 3600, now + 3660)))
                .is_err(),
            "iat ahead"
        );
        assert!(
            keys().verify(&signed(claims(now, now + 86_400))).is_err(),
            "a day long"
        );
        let mut nbf = claims(now, now + 60);
        nbf["nbf"] = serde_json::json!(now + 600);
        assert!(keys().verify(&signed(nbf)).is_err(), "nbf ahead");
        let mut no_session = claims(now, now + 60);
        no_session.as_object_mut().unwrap().remove("sid");
        assert!(keys().verify(&signed(no_session)).is_err(), "no sid");
    }
}
