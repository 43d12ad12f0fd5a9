//! `ImageError`: every way an image use case can fail. `glance::error` maps it to Glance's status
//! codes and bodies; server functions map it to `AppError`.

use crate::domain::image::FieldError;
use crate::domain::lifecycle::TransitionError;

/// An image operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// No such image, or the caller may not know of it (404).
    #[error("{0}")]
    NotFound(String),
    /// Not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// Conflicts with the image's state (409).
    #[error("{0}")]
    Conflict(String),
    /// Bad input (400).
    #[error("{0}")]
    Invalid(String),
    /// Too large: size cap, quota, limits (413).
    #[error("{0}")]
    TooLarge(String),
    /// The data is not what it claims to be (415).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// The image was deleted while its data was uploading (410).
    #[error("{0}")]
    Gone(String),
    /// The requested range is outside the data (416); carries the data size.
    #[error("Requested range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// The request body failed mid-way (client disconnect); nothing to answer.
    #[error("upload interrupted: {0}")]
    Interrupted(String),
    /// Storage failed.
    #[error("storage error")]
    Store(#[from] std::io::Error),
    /// The database failed.
    #[error("database error")]
    Db(#[from] sqlx::Error),
}

impl From<FieldError> for ImageError {
    fn from(e: FieldError) -> Self {
        match e {
            FieldError::ReadOnly(_) | FieldError::Reserved(_) => {
                ImageError::Forbidden(e.to_string())
            }
            FieldError::Schema(_) => ImageError::Invalid(e.to_string()),
        }
    }
}

impl From<TransitionError> for ImageError {
    fn from(e: TransitionError) -> Self {
        use crate::domain::lifecycle::Event::*;
        let msg = format!(
            "Image status transition from {} is not allowed for {:?}.",
            e.from, e.event
        );
        match e.event {
            Deactivate | Reactivate => ImageError::Forbidden(format!(
                "Not allowed to {} an image in status '{}'.",
                if e.event == Deactivate {
                    "deactivate"
                } else {
                    "reactivate"
                },
                e.from
            )),
            Delete => ImageError::Invalid(msg),
            _ => ImageError::Conflict(msg),
        }
    }
}

impl ImageError {
    /// Logs an internal failure once, with its cause.
    pub fn log_if_internal(&self) {
        match self {
            ImageError::Store(e) => tracing::error!(error = %e, "image store error"),
            ImageError::Db(e) => tracing::error!(error = %e, "image database error"),
            _ => {}
        }
    }
}
