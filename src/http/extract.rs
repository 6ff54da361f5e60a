//! Request extractors whose failures are already problem+json: a JSON body that names
//! the offending field, and the client address behind trusted proxies.

use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::{ApiError, FieldError};

/// Largest JSON body accepted; bulletins with long sections stay well inside it.
pub const MAX_JSON_BODY: usize = 64 * 1024;

/// A request body read for JSON but not yet parsed. Extraction never fails: the handler
/// parses once its other extractors (authentication first) have succeeded, so a client
/// without the right token learns nothing from how its body would have been judged.
/// `parse` answers 415 for a wrong content type, 413 for a body too large, 400 for
/// malformed JSON and 422 naming the field at fault.
pub struct JsonBody {
    content_type_ok: bool,
    too_large: bool,
    bytes: web::Bytes,
}

impl JsonBody {
    /// Deserialises (unknown fields are rejected by the DTO).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if !self.content_type_ok {
            return Err(ApiError::UnsupportedMediaType(
                "Send the body as application/json.".into(),
            ));
        }
        if self.too_large {
            return Err(too_large());
        }
        parse_json(&self.bytes)
    }

    /// Deserialises and applies the DTO's `validator` rules.
    pub fn parse_valid<T: DeserializeOwned + Validate>(&self) -> Result<T, ApiError> {
        let value: T = self.parse()?;
        value.validate()?;
        Ok(value)
    }
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = is_json_content_type(req);
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            let mut body = JsonBody {
                content_type_ok,
                too_large: declared_length.is_some_and(|n| n > MAX_JSON_BODY),
                bytes: web::Bytes::new(),
            };
            if body.too_large || !content_type_ok {
                return Ok(body);
            }
            let mut buffer = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::BadRequest("The body could not be read.".into()))?;
                if buffer.len() + chunk.len() > MAX_JSON_BODY {
                    body.too_large = true;
                    return Ok(body);
                }
                buffer.extend_from_slice(&chunk);
            }
            body.bytes = buffer.freeze();
            Ok(body)
        })
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!("The body must be at most {MAX_JSON_BODY} bytes."))
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses JSON, telling syntax errors (400) from schema errors (422 naming the field).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "The request body is empty; send a JSON object.".into(),
        ));
    }
    // serde would read a struct from an array too (`[null, null]`); every body here is
    // an object, as the contract says.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "body",
            "must be a JSON object",
        )]));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(deserializer).map_err(json_error)
}

/// A merge patch may name only the fields of `T` (its contract schema), even to clear
/// them with `null`, which the merge would otherwise drop without a word.
pub fn check_patch_fields<T: utoipa::PartialSchema>(
    patch: &serde_json::Value,
) -> Result<(), ApiError> {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;
    let RefOr::T(Schema::Object(schema)) = T::schema() else {
        return Ok(());
    };
    let unknown: Vec<FieldError> = patch
        .as_object()
        .into_iter()
        .flat_map(|members| members.keys())
        .filter(|key| !schema.properties.contains_key(*key))
        .map(|key| FieldError::new(key.clone(), "unknown field"))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(unknown))
    }
}

/// Deserialises an already parsed JSON value, naming the field at fault.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(json_error)
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            let field = match (unknown_or_missing_field(&message), path.as_str()) {
                (Some(name), ".") => name,
                // For an unknown field serde's path already ends with it.
                (Some(name), p) if p == name || p.ends_with(&format!(".{name}")) => path,
                (Some(name), _) => format!("{path}.{name}"),
                (None, ".") => "body".into(),
                (None, _) => path,
            };
            ApiError::Validation(vec![FieldError::new(field, message)])
        }
        _ => ApiError::BadRequest(format!(
            "The body is not valid JSON: {}.",
            strip_position(&inner.to_string())
        )),
    }
}

/// Any JSON object, for merge-patch bodies whose fields are checked after merging.
pub struct JsonObject(pub serde_json::Value);

impl<'de> serde::Deserialize<'de> for JsonObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::deserialize(d)?;
        Ok(Self(serde_json::Value::Object(map)))
    }
}

/// serde names the field of an unknown/missing-field error only in its message.
fn unknown_or_missing_field(message: &str) -> Option<String> {
    for prefix in ["unknown field `", "missing field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            return rest.split('`').next().map(str::to_string);
        }
    }
    None
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The client's address: the socket peer, unless the peer is a trusted proxy, in which
/// case the nearest untrusted address in `X-Forwarded-For`.
pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted_proxies.contains(ip))
        .or(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        size: u32,
    }

    fn field_of(result: Result<Body, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse_json::<Body>(b"{\"name\":"),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b""),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn schema_errors_name_the_field() {
        assert_eq!(
            field_of(parse_json(br#"{"name":"a","role":"admin"}"#)),
            "role"
        );
        assert_eq!(field_of(parse_json(br#"{}"#)), "name");
        assert_eq!(
            field_of(parse_json(br#"{"name":"a","inner":{"size":"big"}}"#)),
            "inner.size"
        );
    }
}
