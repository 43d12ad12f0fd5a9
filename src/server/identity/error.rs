//! `IdentityError`: what the identity service can answer besides success. Each transport (the
//! Keystone API, server functions, the CLI) maps it to its own shape in one place.

use crate::domain::identity::ValidationError;
use crate::domain::reason::Reason;
use std::time::Duration;

/// An identity operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Bad credentials, unknown user, disabled user or project: all look the same to the caller.
    #[error("The user name or password is incorrect.")]
    Unauthenticated,
    /// Too many failed logins.
    #[error("Too many failed login attempts. Try again in {} minute(s).", .0.as_secs().div_ceil(60))]
    Locked(Duration),
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(Reason),
    /// No such thing (or the caller may not know of it).
    #[error("{0}")]
    NotFound(Reason),
    /// A name is taken, or the state does not allow it.
    #[error("{0}")]
    Conflict(Reason),
    /// Input failed validation.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The database failed.
    #[error("database error")]
    Db(#[from] sqlx::Error),
    /// Anything else unexpected.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl IdentityError {
    /// Logs an internal failure once, with its cause; callers then show an opaque message.
    pub fn log_if_internal(&self) {
        match self {
            IdentityError::Db(e) => tracing::error!(error = %e, "identity database error"),
            IdentityError::Internal(e) => tracing::error!(error = %e, "identity internal error"),
            _ => {}
        }
    }
}
