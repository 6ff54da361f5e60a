//! One error type for every layer. What each variant means to a client (status,
//! problem type, headers) is decided in `http::problem`.

use serde::Serialize;
use utoipa::ToSchema;

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
    /// The client stopped sending its body; the connection is closed with the answer.
    #[error("request timeout: {0}")]
    RequestTimeout(String),
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
    /// The service is at a limit of its own (connections, password checks): 503 with
    /// this detail, to retry in a second.
    #[error("busy: {0}")]
    Busy(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

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
            // PostgreSQL's `statement_timeout` cancelled the query: the database is
            // too slow right now, which a retry may not meet.
            Error::DatabaseError(_, info)
                if info
                    .message()
                    .starts_with("canceling statement due to statement timeout") =>
            {
                Self::Unavailable(info.message().to_string())
            }
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

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error};

    use super::*;

    fn database_error(kind: DatabaseErrorKind) -> Error {
        Error::DatabaseError(kind, Box::new("server closed the connection".to_string()))
    }

    #[test]
    fn a_lost_connection_is_unavailable() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let error = ApiError::from(database_error(kind));
            assert!(matches!(error, ApiError::Unavailable(_)), "{error:?}");
        }
    }

    #[test]
    fn a_commit_lost_with_the_connection_is_unavailable() {
        let error = ApiError::from(Error::RollbackErrorOnCommit {
            rollback_error: Box::new(database_error(DatabaseErrorKind::ClosedConnection)),
            commit_error: Box::new(database_error(DatabaseErrorKind::ClosedConnection)),
        });
        assert!(matches!(error, ApiError::Unavailable(_)), "{error:?}");
    }
}
