//! Server functions, grouped by area. Each body reads who is calling, makes one service call and
//! converts the result; the rules live in `domain` and the services.

pub mod auth;
pub mod error;
pub mod identity;
pub mod images;
pub mod import;
pub mod metadefs;
pub mod stores;
pub mod trash;

pub use error::AppError;

/// Server-side helpers every server function uses.
#[cfg(feature = "ssr")]
pub(crate) mod ctx {
    use super::AppError;
    use crate::domain::policy::Actor;
    use crate::server::identity::principal::MaybeActor;
    use crate::server::state::Services;
    use leptos::prelude::use_context;

    /// The services.
    pub fn services() -> Result<Services, AppError> {
        use_context::<Services>().ok_or(AppError::Internal)
    }

    /// The caller, or `Unauthenticated`.
    pub async fn actor() -> Result<Actor, AppError> {
        let MaybeActor(a) = leptos_axum::extract::<MaybeActor>()
            .await
            .map_err(|_| AppError::Internal)?;
        a.ok_or(AppError::Unauthenticated)
    }

    /// The dashboard session.
    pub async fn session() -> Result<tower_sessions::Session, AppError> {
        leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(|_| AppError::Internal)
    }
}
