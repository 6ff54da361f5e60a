//! Access tokens: HS256 only, 15 minutes, with issuer, audience, subject and times
//! required, and a token type so that no other JWT signed with the key passes.

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
    pub iat: i64,
    pub exp: i64,
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

    pub fn issue(&self, account_id: &str) -> Result<String, ApiError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: account_id.into(),
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

    /// The account id of a valid access token.
    pub fn verify(&self, token: &str) -> Result<Uuid, ApiError> {
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
        Uuid::parse_str(&claims.sub).map_err(|_| invalid())
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
        let token = keys().issue(&id.to_string()).unwrap();
        assert_eq!(keys().verify(&token).unwrap(), id);
    }

    #[test]
    fn another_key_or_algorithm_or_type_is_refused() {
        let id = Uuid::new_v4().to_string();
        let other = JwtKeys::new(&JwtSecret::new(vec![8u8; 32]).unwrap());
        assert!(keys().verify(&other.issue(&id).unwrap()).is_err());

        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: id,
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
                "sub": Uuid::new_v4().to_string(), "iat": iat, "exp": exp})
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
    }
}
