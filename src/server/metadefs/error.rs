//! `MetadefError`: what the metadata-definition service answers besides success, with the reason
//! typed; the Glance adapter, the server functions and the CLI render it.

use crate::domain::reason::Reason;

/// A metadata-definition operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum MetadefError {
    /// No such namespace or item, or one the caller may not see (404).
    #[error("{0}")]
    NotFound(Reason),
    /// The caller may not do this, or the namespace is protected (403).
    #[error("{0}")]
    Forbidden(Reason),
    /// A name is taken (409).
    #[error("{0}")]
    Conflict(Reason),
    /// The definition breaks the rules (400); the message names the field.
    #[error("{0}")]
    Invalid(Reason),
    /// The database failed.
    #[error("database error")]
    Db(#[from] sqlx::Error),
}

impl MetadefError {
    /// Logs an internal failure once, with its cause; callers then show an opaque message.
    pub fn log_if_internal(&self) {
        if let MetadefError::Db(e) = self {
            tracing::error!(error = %e, "metadefs database error");
        }
    }
}

impl From<crate::domain::metadefs::Invalid> for MetadefError {
    fn from(e: crate::domain::metadefs::Invalid) -> Self {
        MetadefError::Invalid(Reason::Definition { problem: e })
    }
}
