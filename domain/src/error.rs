//! The one error type of the domain layer. Each door maps it to its own wire format.

use model::FieldErrors;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input broke a field rule; nothing was stored.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    /// The record does not exist *or belongs to another reseller*: callers cannot tell apart.
    #[error("not found")]
    NotFound,
    /// The request conflicts with the current state (a duplicate name, a stale version).
    #[error("{0}")]
    Conflict(String),
    /// The record changed since the version the caller's change was built from (REST
    /// `If-Match`); nothing was written.
    #[error("The record changed since you read it; nothing was changed. Read it again and retry.")]
    PreconditionFailed,
    /// A concurrent request with the same `Idempotency-Key` was answered first; nothing of this
    /// one was written (the door replays that answer).
    #[error("This request was already answered.")]
    AlreadyAnswered,
    /// The caller is signed in but lacks the permission the action needs.
    #[error("You do not have permission to do this.")]
    Forbidden,
    /// Sign-in failed. One message for unknown email and wrong password alike.
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// REST API client credentials were unknown, wrong or revoked. One message for all three.
    #[error("Unknown client, wrong secret, or revoked credentials.")]
    Unauthenticated,
    /// Too many failed sign-ins for this account or address; try again after `retry_after`.
    #[error("Too many failed sign-in attempts. Try again in {} minute(s).", retry_minutes(*.retry_after))]
    Throttled { retry_after: Duration },
    /// Too many requests of one kind (e.g. "Test connection"), or the server is busy with them;
    /// the message says what to do.
    #[error("{message}")]
    TooManyRequests { retry_after: Duration, message: String },
    /// A system the portal talks to (a PBX) failed or refused; the message says how.
    #[error("{0}")]
    Upstream(String),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn retry_minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60).max(1)
}

impl Error {
    /// A single-field validation error.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        Error::Invalid(errors)
    }
}

impl From<FieldErrors> for Error {
    fn from(errors: FieldErrors) -> Self {
        Error::Invalid(errors)
    }
}
