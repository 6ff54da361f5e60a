//! One error type for the whole API, rendered as RFC 9457 problem details.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

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

/// One invalid field; `field` is a dotted path into the request (`venue.name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {kind}: {detail}")]
    Forbidden { kind: &'static str, detail: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {kind}: {detail}")]
    Conflict { kind: &'static str, detail: String },
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests {
        retry_after_secs: u64,
        detail: String,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// Seconds a client should wait before retrying when the database is unavailable.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl ApiError {
    pub fn conflict(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            detail: detail.into(),
        }
    }

    pub fn forbidden(kind: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            kind,
            detail: detail.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::Internal(anyhow::anyhow!(message.into()))
    }

    /// The stable problem `type` slug and title for this error.
    fn kind_and_title(&self) -> (&str, &str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "The request is malformed"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication is required"),
            Self::Forbidden { kind, .. } => (kind, "The request is not allowed"),
            Self::NotFound(_) => ("not-found", "The resource was not found"),
            Self::Conflict { kind, .. } => (kind, "The request conflicts with the current state"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            Self::UnsupportedMediaType(_) => (
                "unsupported-media-type",
                "The request body has the wrong content type",
            ),
            Self::Validation(_) => ("validation", "The request has invalid fields"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "The service is temporarily unavailable"),
            Self::Internal(_) => ("internal", "An unexpected error occurred"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::BadRequest(d)
            | Self::Unauthorized(d)
            | Self::NotFound(d)
            | Self::PayloadTooLarge(d)
            | Self::UnsupportedMediaType(d) => d.clone(),
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
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            _ => {}
        }
        response
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("The resource was not found.".into()),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("conflict", "A resource with these values already exists.")
            }
            // The server went away: between queries, or before the command was sent.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(info.message().to_string()),
            // A COMMIT lost with the connection fails its rollback too: the commit's own
            // error says what happened (and a retry with an Idempotency-Key is safe).
            Error::RollbackErrorOnCommit { commit_error, .. } => Self::from(*commit_error),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::internal(format!("blocking task failed: {e}"))
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        Self::Validation(crate::validation::field_errors(&e))
    }
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn database_error(kind: DatabaseErrorKind) -> Error {
        Error::DatabaseError(kind, Box::new("server closed the connection".to_string()))
    }

    #[test]
    fn a_lost_connection_is_unavailable_with_retry_after() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let error = ApiError::from(database_error(kind));
            assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
            let response = error.error_response();
            assert!(response.headers().contains_key(header::RETRY_AFTER));
        }
    }

    #[test]
    fn a_commit_lost_with_the_connection_is_unavailable() {
        let error = ApiError::from(Error::RollbackErrorOnCommit {
            rollback_error: Box::new(database_error(DatabaseErrorKind::ClosedConnection)),
            commit_error: Box::new(database_error(DatabaseErrorKind::ClosedConnection)),
        });
        assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
