//! Who is calling: every request resolves to an optional `Actor`, from the `X-Auth-Token` header
//! (API clients) or else from the dashboard session cookie. Roles are re-read on every request,
//! so disabling a user or removing a role takes effect at once.

use super::error::IdentityError;
use super::service::IdentityService;
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::policy::Actor;
use crate::server::state::Services;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use tower_sessions::Session;

/// Session key holding the logged-in user's id.
pub const SESSION_USER: &str = "user_id";
/// Session key holding the project the user is working in.
pub const SESSION_PROJECT: &str = "project_id";

/// The caller, if authenticated. Extracting never rejects for missing credentials: each API
/// answers that in its own error shape.
#[derive(Debug, Clone)]
pub struct MaybeActor(pub Option<Actor>);

/// One request's resolved caller, shared by every copy of the request's parts: a dashboard page
/// rendered on the server runs several server functions, each extracting the caller from its
/// own copy, and the session and roles are then read once per request instead of once per call.
#[derive(Debug, Clone, Default)]
pub struct ActorCell(std::sync::Arc<std::sync::OnceLock<MaybeActor>>);

/// Middleware: gives each request an empty [`ActorCell`].
pub async fn with_actor_cell(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    req.extensions_mut().insert(ActorCell::default());
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeActor {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<MaybeActor>() {
            return Ok(cached.clone());
        }
        let cell = parts.extensions.get::<ActorCell>().cloned();
        if let Some(known) = cell.as_ref().and_then(|c| c.0.get()) {
            return Ok(known.clone());
        }
        let services = parts
            .extensions
            .get::<Services>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        let actor = if let Some(v) = parts.headers.get("x-auth-token") {
            match v.to_str() {
                Ok(secret) => services
                    .identity
                    .validate_token(secret)
                    .await
                    .map(|t| t.and_then(|t| t.actor())),
                Err(_) => Ok(None),
            }
        } else if let Some(session) = parts.extensions.get::<Session>().cloned() {
            actor_from_session(&services.identity, &session).await
        } else {
            Ok(None)
        };
        let actor = actor.map_err(|e| {
            e.log_if_internal();
            StatusCode::INTERNAL_SERVER_ERROR
        })?;
        let resolved = MaybeActor(actor);
        parts.extensions.insert(resolved.clone());
        if let Some(cell) = cell {
            let _ = cell.0.set(resolved.clone());
        }
        Ok(resolved)
    }
}

fn session_err(e: tower_sessions::session::Error) -> IdentityError {
    IdentityError::Internal(anyhow::anyhow!("session store: {e}"))
}

/// The actor of a dashboard session; the session's project is corrected if it is no longer
/// allowed (role removed, project disabled).
pub async fn actor_from_session(
    identity: &IdentityService,
    session: &Session,
) -> Result<Option<Actor>, IdentityError> {
    let Some(uid) = session
        .get::<String>(SESSION_USER)
        .await
        .map_err(session_err)?
    else {
        return Ok(None);
    };
    let Ok(uid) = UserId::parse(&uid) else {
        return Ok(None);
    };
    let pid = session
        .get::<String>(SESSION_PROJECT)
        .await
        .map_err(session_err)?
        .and_then(|p| ProjectId::parse(&p).ok());
    let actor = identity.actor_for_session(&uid, pid.as_ref()).await?;
    if let Some(a) = &actor {
        if pid.as_ref() != Some(&a.project_id) {
            session
                .insert(SESSION_PROJECT, a.project_id.as_str())
                .await
                .map_err(session_err)?;
        }
    }
    Ok(actor)
}

/// Starts a dashboard session for `user` in `project`: the session id is rotated first, so an
/// id planted before login is worthless after it.
pub async fn start_session(
    session: &Session,
    user: &UserId,
    project: Option<&ProjectId>,
) -> Result<(), IdentityError> {
    session.cycle_id().await.map_err(session_err)?;
    session
        .insert(SESSION_USER, user.as_str())
        .await
        .map_err(session_err)?;
    if let Some(p) = project {
        session
            .insert(SESSION_PROJECT, p.as_str())
            .await
            .map_err(session_err)?;
    }
    Ok(())
}

/// Moves a session to another project.
pub async fn set_session_project(
    session: &Session,
    project: &ProjectId,
) -> Result<(), IdentityError> {
    session
        .insert(SESSION_PROJECT, project.as_str())
        .await
        .map_err(session_err)
}

/// Ends a session: its row is deleted from the store and the cookie cleared.
pub async fn end_session(session: &Session) -> Result<(), IdentityError> {
    session.flush().await.map_err(session_err)
}
