//! Request extractors whose failures are already problem+json: a JSON body that names
//! the offending field, and the client address behind trusted proxies.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::error::{ApiError, FieldError};
use crate::http::connections::{Connections, ReadWatch, shed_error};

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
    /// Deserialises (unknown fields are rejected by the DTO); a 422 names every field
    /// at fault that can be found, with the DTO's `validator` rules (see `from_value`).
    pub fn parse<T: DeserializeOwned + Validate>(&self) -> Result<T, ApiError> {
        parse_json(self.bytes()?)
    }

    /// The body's bytes: 415 for a wrong content type, 413 for a body too large.
    fn bytes(&self) -> Result<&[u8], ApiError> {
        if !self.content_type_ok {
            return Err(ApiError::UnsupportedMediaType(
                "Send the body as application/json.".into(),
            ));
        }
        if self.too_large {
            return Err(too_large());
        }
        Ok(&self.bytes)
    }

    /// Deserialises and applies the DTO's `validator` rules.
    pub fn parse_valid<T: DeserializeOwned + Validate>(&self) -> Result<T, ApiError> {
        let value: T = self.parse()?;
        value.validate()?;
        Ok(value)
    }
}

impl JsonBody {
    /// A JSON merge patch for the contract schema `P`: any object whose members `P`
    /// names and whose strings hold no control character, a 422 naming every member at
    /// fault. Its values are judged once merged into the stored value (`from_value`).
    pub fn parse_patch<P: utoipa::PartialSchema>(&self) -> Result<serde_json::Value, ApiError> {
        let patch = parse_value(self.bytes()?)?;
        let mut errors = crate::http::validation::json_text_errors(&patch);
        if let Err(ApiError::Validation(unknown)) = check_patch_fields::<P>(&patch) {
            errors.extend(unknown);
        }
        if errors.is_empty() {
            Ok(patch)
        } else {
            Err(ApiError::Validation(sorted(errors)))
        }
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
        let deadlines = req.app_data::<BodyDeadlines>().copied().unwrap_or_default();
        let connections = req.app_data::<Arc<Connections>>().cloned();
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
            let started = Instant::now();
            let watch = connections.map(|c| c.reading());
            while let Some(chunk) =
                next_in_time(&mut payload, deadlines, started, watch.as_ref()).await?
            {
                if let Some(watch) = &watch {
                    watch.progressed();
                }
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

/// How long a client may take over its body: a stalled sender would otherwise hold a
/// connection, and a file descriptor, for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadlines {
    /// The longest wait for the next part of the body.
    pub idle: Duration,
    /// The longest the whole body may take.
    pub total: Duration,
}

impl Default for BodyDeadlines {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(5),
            total: Duration::from_secs(30),
        }
    }
}

/// The next chunk of the body, or 408 when it does not come within the deadlines or
/// the body is shed to make room for another connection.
async fn next_in_time(
    payload: &mut Payload,
    deadlines: BodyDeadlines,
    started: Instant,
    watch: Option<&ReadWatch>,
) -> Result<Option<web::Bytes>, ApiError> {
    let left = deadlines.total.saturating_sub(started.elapsed());
    let wait = deadlines.idle.min(left);
    let next = actix_web::rt::time::timeout(wait, payload.next());
    let next = match watch {
        Some(watch) => tokio::select! {
            next = next => next,
            () = watch.shed() => return Err(shed_error()),
        },
        None => next.await,
    };
    match next {
        Ok(None) => Ok(None),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        Ok(Some(Err(_))) => Err(ApiError::BadRequest("The body could not be read.".into())),
        Err(_) => Err(ApiError::RequestTimeout(format!(
            "The body stopped arriving: each part must come within {} s and the whole within {} s.",
            deadlines.idle.as_secs(),
            deadlines.total.as_secs()
        ))),
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

/// Parses JSON, telling syntax errors (400) from schema errors (422 naming every field
/// at fault, see `from_value`).
pub fn parse_json<T: DeserializeOwned + Validate>(body: &[u8]) -> Result<T, ApiError> {
    from_value(parse_value(body)?)
}

/// The body as a JSON object: 400 when empty or not JSON, 422 when not an object or
/// when a member is named twice (which value would count is a guess).
fn parse_value(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::BadRequest(
            "The request body is empty; send a JSON object.".into(),
        ));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(body);
    let StrictValue(value) =
        serde_path_to_error::deserialize(&mut *deserializer).map_err(|e| json_error(e).error)?;
    // Characters after the value.
    deserializer.end().map_err(|e| {
        ApiError::BadRequest(format!(
            "The body is not valid JSON: {}.",
            strip_position(&e.to_string())
        ))
    })?;
    // serde would read a struct from an array too (`[null, null]`); every body here is
    // an object, as the contract says.
    if !value.is_object() {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    Ok(value)
}

/// A merge patch may name only the fields of `T` (its contract schema), even to clear
/// them with `null`, which the merge would otherwise drop without a word.
fn check_patch_fields<T: utoipa::PartialSchema>(patch: &serde_json::Value) -> Result<(), ApiError> {
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

/// Most deserialisation passes one body gets while its faults are set aside.
const MAX_PASSES: usize = 48;

/// Deserialises a parsed JSON value, naming every field at fault, not only the first
/// that serde meets: control characters in any string (`validation::json_text_errors`),
/// then serde's own faults (unknown or missing fields, wrong types, enum values, times),
/// each set aside in turn (removed, or replaced by a stand-in when the field is
/// required) so that the next pass finds the next one. When the rest then deserialises,
/// its `validator` rules are added for every field that was not set aside. A body
/// without faults costs one pass.
pub fn from_value<T: DeserializeOwned + Validate>(
    mut value: serde_json::Value,
) -> Result<T, ApiError> {
    let mut errors = crate::http::validation::json_text_errors(&value);
    let mut set_aside: Vec<SetAside> = Vec::new();
    let mut built = None;
    for _ in 0..MAX_PASSES {
        let failure = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(t) => {
                built = Some(t);
                break;
            }
            Err(e) => json_error(e),
        };
        let ApiError::Validation(found) = failure.error else {
            return Err(failure.error);
        };
        let Some(steps) = failure.steps else { break };
        let field = found.first().map(|e| e.field.clone()).unwrap_or_default();
        if !set_aside.iter().any(|s| within(&field, &s.field)) {
            errors.extend(found.iter().cloned());
        }
        let first_time = !set_aside.iter().any(|s| s.field == field);
        if first_time {
            set_aside.push(SetAside {
                field: field.clone(),
                variant: None,
                variant_tried: false,
                stand_ins_tried: 0,
            });
        }
        let Some(entry) = set_aside.iter_mut().find(|s| s.field == field) else {
            break;
        };
        if entry.variant.is_none() {
            entry.variant = found.first().and_then(|e| named_variant(&e.message));
        }
        // First removed (an optional member or an unknown one is then simply absent),
        // then, once serde misses it, stand-ins until one is taken.
        let removable =
            first_time && !failure.missing && matches!(steps.last(), Some(Step::Key(_)));
        let replacement = if removable {
            None
        } else {
            match entry.next_stand_in() {
                Some(v) => Some(v),
                None => break,
            }
        };
        if !put(&mut value, &steps, replacement) {
            break;
        }
    }
    match built {
        Some(t) if errors.is_empty() => Ok(t),
        Some(t) => {
            errors.extend(
                crate::http::validation::errors_of(&t)
                    .into_iter()
                    .filter(|e| !set_aside.iter().any(|s| within(&e.field, &s.field))),
            );
            Err(ApiError::Validation(sorted(errors)))
        }
        None if errors.is_empty() => Err(ApiError::invalid("body", "is invalid")),
        None => Err(ApiError::Validation(sorted(errors))),
    }
}

/// A field whose value was set aside, and the stand-ins tried in its place.
struct SetAside {
    field: String,
    /// The first value of the enum the field's errors named, when they named one.
    variant: Option<String>,
    variant_tried: bool,
    stand_ins_tried: usize,
}

impl SetAside {
    /// Values tried, in order, for a required field whose own value was refused: the
    /// enum's first value, then one of each JSON type (a time inside the accepted
    /// years). What a stand-in breaks is not reported: it lies within this field.
    fn next_stand_in(&mut self) -> Option<serde_json::Value> {
        use serde_json::json;
        if let Some(variant) = &self.variant
            && !self.variant_tried
        {
            self.variant_tried = true;
            return Some(json!(variant));
        }
        let generic = [
            json!("2000-01-01T00:00:00+00:00"),
            json!(1),
            json!(false),
            json!([]),
            json!({}),
        ];
        let next = generic.into_iter().nth(self.stand_ins_tried);
        self.stand_ins_tried += 1;
        next
    }
}

/// The first value serde's message says an enum expects.
fn named_variant(message: &str) -> Option<String> {
    message
        .split_once("expected one of `")
        .or_else(|| message.split_once("expected `"))
        .and_then(|(_, rest)| rest.split('`').next())
        .map(str::to_string)
}

fn sorted(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.sort_by(|a, b| a.field.cmp(&b.field));
    errors.dedup();
    errors
}

/// Whether `field` is `outer` or inside it (`venue.name` is within `venue`).
fn within(field: &str, outer: &str) -> bool {
    field == outer
        || field
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// One step of a path into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Sets the value at `steps` (an object member is created when missing), or removes it
/// when `replacement` is `None`; false when the path does not lead anywhere.
fn put(
    value: &mut serde_json::Value,
    steps: &[Step],
    replacement: Option<serde_json::Value>,
) -> bool {
    use serde_json::Value;
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut current = value;
    for step in parents {
        let next = match (step, current) {
            (Step::Key(key), Value::Object(members)) => members.get_mut(key),
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return false,
        }
    }
    match (last, current, replacement) {
        (Step::Key(key), Value::Object(members), Some(v)) => {
            members.insert(key.clone(), v);
            true
        }
        (Step::Key(key), Value::Object(members), None) => members.shift_remove(key).is_some(),
        (Step::Index(i), Value::Array(items), Some(v)) if *i < items.len() => {
            items[*i] = v;
            true
        }
        _ => false,
    }
}

/// A deserialisation failure as the client sees it, with where it lies in the value
/// (`None` when that cannot be told) and whether a required member is missing.
struct Failure {
    error: ApiError,
    steps: Option<Vec<Step>>,
    missing: bool,
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> Failure {
    use serde_path_to_error::Segment;
    let path = e.path().to_string();
    let mut steps: Option<Vec<Step>> = e
        .path()
        .iter()
        .map(|segment| match segment {
            Segment::Map { key } => Some(Step::Key(key.clone())),
            Segment::Seq { index } => Some(Step::Index(*index)),
            _ => None,
        })
        .collect();
    let inner = e.into_inner();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let message = strip_position(&inner.to_string());
            let named = unknown_or_missing_field(&message);
            let missing = message.starts_with("missing field `");
            let field = match (&named, path.as_str()) {
                (Some(name), ".") => name.clone(),
                // For an unknown field serde's path already ends with it.
                (Some(name), p) if p == name || p.ends_with(&format!(".{name}")) => path,
                (Some(name), _) => format!("{path}.{name}"),
                (None, ".") => "body".into(),
                (None, _) => path,
            };
            if missing && let (Some(steps), Some(name)) = (steps.as_mut(), named) {
                steps.push(Step::Key(name));
            }
            Failure {
                error: ApiError::Validation(vec![FieldError::new(field, message)]),
                steps,
                missing,
            }
        }
        _ => Failure {
            error: ApiError::BadRequest(format!(
                "The body is not valid JSON: {}.",
                strip_position(&inner.to_string())
            )),
            steps: None,
            missing: false,
        },
    }
}

/// A JSON value read like `serde_json::Value`, except that an object naming a member
/// twice is refused.
struct StrictValue(serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(v.into())
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if members.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!(
                    "duplicate field `{key}`"
                )));
            }
            let StrictValue(member) = map.next_value()?;
            members.insert(key, member);
        }
        Ok(serde_json::Value::Object(members))
    }
}

/// serde names the field of an unknown/missing-field error only in its message.
fn unknown_or_missing_field(message: &str) -> Option<String> {
    for prefix in ["unknown field `", "missing field `", "duplicate field `"] {
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

/// `web::Query`, after every parameter of the query string (known to `T` or not) is
/// checked for control characters: 422 naming each, as for a body. Parse failures
/// stay `web::Query`'s (the app's `QueryConfig`: 400).
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The query string as `T`, checked as `Query` checks it, for handlers that read it
/// only after their other extractors succeeded.
pub fn query<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    check_query(req)?;
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::BadRequest(format!("The query string is invalid: {e}.")))
}

fn check_query(req: &HttpRequest) -> Result<(), ApiError> {
    let errors = crate::http::validation::query_text_errors(req.query_string());
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_query(req);
        let inner = web::Query::<T>::from_request(req, payload);
        Box::pin(async move {
            checked?;
            Ok(Self(inner.await?.into_inner()))
        })
    }
}

/// `web::Path`, after every segment the route captured is checked for control
/// characters (percent-decoded): 422 naming the parameter (`id_or_slug`). Parse
/// failures stay `web::Path`'s (the app's `PathConfig`: 404).
pub struct Path<T>(pub T);

impl<T> Path<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Path<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Path<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let errors = crate::http::validation::path_text_errors(req.match_info().iter());
        let inner = web::Path::<T>::from_request(req, payload);
        Box::pin(async move {
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors).into());
            }
            Ok(Self(inner.await?.into_inner()))
        })
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

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        size: u32,
    }

    #[derive(Debug, Clone, Copy, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Workshop,
        Seminar,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Event {
        #[validate(length(max = 10))]
        title: String,
        kind: Kind,
        starts_at: crate::domain::time::InputTime,
        #[validate(nested)]
        venue: Option<Venue>,
        #[serde(default)]
        speakers: Vec<String>,
        #[validate(range(min = 1))]
        capacity: Option<i32>,
    }

    #[derive(Debug, Deserialize, Validate)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Venue {
        #[validate(length(min = 1, max = 5))]
        name: String,
        postcode: Option<String>,
    }

    fn fields_of<T: std::fmt::Debug>(result: Result<T, ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn field_of(result: Result<Body, ApiError>) -> String {
        match result {
            Err(ApiError::Validation(errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn every_fault_of_a_body_is_named() {
        let body = br#"{
            "title": "far too long a title",
            "kind": "party",
            "starts_at": "+10000-01-01T00:00:00Z",
            "venue": {"name": "a\u0000b", "postcode": 7},
            "speakers": ["x", 2, "y\nz"],
            "capacity": 0,
            "colour": "red"
        }"#;
        assert_eq!(
            fields_of(parse_json::<Event>(body)),
            [
                "capacity",
                "colour",
                "kind",
                "speakers[1]",
                "speakers[2]",
                "starts_at",
                "title",
                "venue.name",
                "venue.postcode",
            ]
        );
    }

    #[test]
    fn missing_and_unparseable_required_fields_are_named_once() {
        let body = br#"{"kind": 3, "venue": {"postcode": "NW3"}}"#;
        assert_eq!(
            fields_of(parse_json::<Event>(body)),
            ["kind", "starts_at", "title", "venue.name"]
        );
    }

    #[test]
    fn a_valid_body_parses_and_a_repeated_member_is_refused() {
        let body =
            br#"{"title": "ok", "kind": "seminar", "starts_at": "2011-03-15T13:00:00+00:00"}"#;
        assert!(parse_json::<Event>(body).is_ok());
        let twice = br#"{"title": "ok", "title": "no", "kind": "seminar", "starts_at": "2011-03-15T13:00:00+00:00"}"#;
        assert_eq!(fields_of(parse_json::<Event>(twice)), ["title"]);
        assert!(matches!(
            parse_json::<Event>(b"{} x"),
            Err(ApiError::BadRequest(_))
        ));
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
