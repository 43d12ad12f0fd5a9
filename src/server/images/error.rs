//! `ImageError`: every way an image use case can fail. `glance::error` maps it to Glance's status
//! codes and bodies; server functions map it to `AppError`.

use crate::domain::image::FieldError;
use crate::domain::lifecycle::TransitionError;
use crate::domain::reason::Reason;

/// An image operation's failure.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// No such image, or the caller may not know of it (404).
    #[error("{0}")]
    NotFound(Reason),
    /// Not allowed (403).
    #[error("{0}")]
    Forbidden(Reason),
    /// Conflicts with the image's state (409).
    #[error("{0}")]
    Conflict(Reason),
    /// Bad input (400).
    #[error("{0}")]
    Invalid(Reason),
    /// Too large: size cap, quota, limits (413).
    #[error("{0}")]
    TooLarge(Reason),
    /// The data is not what it claims to be (415).
    #[error("{0}")]
    UnsupportedMedia(Reason),
    /// The image was deleted while its data was uploading (410).
    #[error("{0}")]
    Gone(Reason),
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
            FieldError::Schema(_) => ImageError::Invalid(e.into()),
            FieldError::ReadOnly(_) | FieldError::Reserved(_) => ImageError::Forbidden(e.into()),
        }
    }
}

impl From<TransitionError> for ImageError {
    fn from(e: TransitionError) -> Self {
        use crate::domain::lifecycle::Event::*;
        match e.event {
            Deactivate | Reactivate => ImageError::Forbidden(Reason::CannotChangeActivation {
                reactivate: e.event == Reactivate,
                status: e.from.to_string(),
            }),
            event => {
                let r = Reason::Transition {
                    from: e.from.to_string(),
                    event: format!("{event:?}"),
                };
                if event == Delete {
                    ImageError::Invalid(r)
                } else {
                    ImageError::Conflict(r)
                }
            }
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
