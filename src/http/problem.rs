//! RFC 9457 problem details: how every error is shown to a client, whether an
//! `ApiError` from a handler or an error actix produced itself (routing, payloads).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use crate::http::middleware::request_id::RequestId;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying when the database is unavailable.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

/// RFC 9457 problem details. `errors` is present on 422 responses.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "1 field is invalid",
    "errors": [{"field": "title", "message": "must be 3 to 200 characters"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem; stable, so clients may switch on it.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Quoted by operators to find the logged cause of a 500.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl ApiError {
    /// The stable problem `type` slug and title for this error.
    fn kind_and_title(&self) -> (&str, &str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "The request is malformed"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            Self::Forbidden { kind, .. } => (kind, "The request is not allowed"),
            Self::NotFound(_) => ("not-found", "The resource was not found"),
            Self::Conflict { kind, .. } => (kind, "The request conflicts with the current state"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            Self::RequestTimeout(_) => ("request-timeout", "The request did not arrive in time"),
            Self::UnsupportedMediaType(_) => (
                "unsupported-media-type",
                "The request body has the wrong content type",
            ),
            Self::Validation(_) => ("validation", "The request has invalid fields"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "The service is temporarily unavailable"),
            Self::Busy(_) => ("busy", "The service is busy"),
            Self::Internal(_) => ("internal", "An unexpected error occurred"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::BadRequest(d)
            | Self::Unauthorized(d)
            | Self::NotFound(d)
            | Self::PayloadTooLarge(d)
            | Self::RequestTimeout(d)
            | Self::UnsupportedMediaType(d)
            | Self::Busy(d) => d.clone(),
            Self::Forbidden { detail, .. }
            | Self::Conflict { detail, .. }
            | Self::TooManyRequests { detail, .. } => detail.clone(),
            Self::Validation(errors) => match errors.len() {
                1 => format!("{}: {}", errors[0].field, errors[0].message),
                n => format!("{n} fields are invalid"),
            },
            // Never echo the cause: it may hold SQL or internals. It is logged instead.
            Self::Unavailable(_) => "The database is not reachable; please retry shortly.".into(),
            Self::Internal(_) => "An unexpected error occurred; it has been logged.".into(),
        }
    }

    /// The problem this error is shown to clients as.
    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        Problem {
            problem_type: problem_type(kind),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => Some(errors.clone()),
                _ => None,
            },
            request_id: None,
        }
    }
}

pub fn problem_type(kind: &str) -> String {
    format!("/problems/{kind}")
}

/// A problem+json response with the given status and body.
pub fn problem_response(status: StatusCode, problem: &Problem) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_string(problem).unwrap_or_default())
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = problem_response(self.status_code(), &self.problem());
        let headers = response.headers_mut();
        match self {
            Self::Unauthorized(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"llcp-hub\""),
                );
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, (*retry_after_secs).into());
            }
            Self::Unavailable(_) => {
                headers.insert(header::RETRY_AFTER, UNAVAILABLE_RETRY_SECS.into());
            }
            Self::Busy(_) => {
                headers.insert(header::RETRY_AFTER, 1.into());
            }
            // The rest of the body may still come; the connection cannot be reused.
            Self::RequestTimeout(_) => response
                .head_mut()
                .set_connection_type(actix_web::http::ConnectionType::Close),
            _ => {}
        }
        response
    }
}

fn is_problem(res: &ServiceResponse<impl MessageBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// Makes every 4xx/5xx problem+json. 5xx bodies are replaced by an opaque problem with
/// the request id; the cause goes to the log only.
pub fn problem_for_errors<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let status = res.status();
    let request_id = res
        .request()
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone());
    if status.is_server_error() {
        let cause = res.response().error().map(|e| e.to_string());
        log::error!(
            "request {} failed with {}: {}",
            request_id.as_deref().unwrap_or("-"),
            status.as_u16(),
            cause.as_deref().unwrap_or("no error attached")
        );
    }
    if is_problem(&res) && status != StatusCode::INTERNAL_SERVER_ERROR {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let problem = generic_problem(status, request_id);
    let (req, old) = res.into_parts();
    let mut replacement: HttpResponse<BoxBody> = problem_response(status, &problem);
    // Keep headers that carry meaning (Allow, Retry-After, WWW-Authenticate).
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = old.headers().get(&name) {
            replacement.headers_mut().insert(name, value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, replacement).map_into_right_body(),
    ))
}

fn generic_problem(status: StatusCode, request_id: Option<String>) -> Problem {
    let (kind, title, detail) = match status.as_u16() {
        400 => (
            "bad-request",
            "The request is malformed",
            "The request could not be understood.",
        ),
        404 => (
            "not-found",
            "The resource was not found",
            "Nothing was found at this address.",
        ),
        405 => (
            "method-not-allowed",
            "The method is not allowed here",
            "This method is not allowed on this path.",
        ),
        413 => (
            "payload-too-large",
            "The request body is too large",
            "The request body is too large.",
        ),
        415 => (
            "unsupported-media-type",
            "The request body has the wrong content type",
            "Send the body as application/json.",
        ),
        500 => (
            "internal",
            "An unexpected error occurred",
            "An unexpected error occurred; it has been logged.",
        ),
        503 => (
            "unavailable",
            "The service is temporarily unavailable",
            "Please retry shortly.",
        ),
        _ => (
            "error",
            status.canonical_reason().unwrap_or("Error"),
            "The request failed.",
        ),
    };
    Problem {
        problem_type: problem_type(kind),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: None,
        request_id: if status.is_server_error() {
            request_id
        } else {
            None
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_is_a_503_with_retry_after() {
        let response = ApiError::Unavailable("gone".into()).error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }

    #[test]
    fn unauthorized_names_the_bearer_scheme() {
        let response = ApiError::Unauthorized("no token".into()).error_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE));
    }
}
