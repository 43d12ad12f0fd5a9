//! Keystone error answers (`{"error": {"code", "message", "title"}}`) and the identity
//! service's errors rendered as them.

use super::*;

/// A Keystone error answer: `{"error": {"code", "message", "title"}}`.
#[derive(Debug)]
pub struct KeystoneError(pub(super) StatusCode, pub(super) String);

pub(super) fn unauthenticated() -> KeystoneError {
    KeystoneError(
        StatusCode::UNAUTHORIZED,
        "The request you have made requires authentication.".into(),
    )
}

pub(super) fn bad_request(msg: impl Into<String>) -> KeystoneError {
    KeystoneError(StatusCode::BAD_REQUEST, msg.into())
}

pub(super) fn need_actor(a: MaybeActor) -> KResult<Actor> {
    a.0.ok_or_else(unauthenticated)
}

pub(super) fn project_not_found(id: &str) -> KeystoneError {
    KeystoneError(
        StatusCode::NOT_FOUND,
        format!("Could not find project: {id}."),
    )
}

pub(super) fn user_not_found(id: &str) -> KeystoneError {
    KeystoneError(StatusCode::NOT_FOUND, format!("Could not find user: {id}."))
}

pub(super) fn role_not_found(id: &str) -> KeystoneError {
    KeystoneError(StatusCode::NOT_FOUND, format!("Could not find role: {id}."))
}

impl IntoResponse for KeystoneError {
    fn into_response(self) -> Response {
        let title = self.0.canonical_reason().unwrap_or("Error");
        (
            self.0,
            Json(json!({"error": {"code": self.0.as_u16(), "message": self.1, "title": title}})),
        )
            .into_response()
    }
}

impl From<IdentityError> for KeystoneError {
    fn from(e: IdentityError) -> Self {
        e.log_if_internal();
        let status = match &e {
            IdentityError::Unauthenticated | IdentityError::Locked(_) => StatusCode::UNAUTHORIZED,
            IdentityError::Forbidden(_) => StatusCode::FORBIDDEN,
            IdentityError::NotFound(_) => StatusCode::NOT_FOUND,
            IdentityError::Conflict(_) => StatusCode::CONFLICT,
            IdentityError::Invalid(_) => StatusCode::BAD_REQUEST,
            IdentityError::Db(_) | IdentityError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let msg = match &e {
            IdentityError::Unauthenticated => {
                "The request you have made requires authentication.".to_string()
            }
            IdentityError::Db(_) | IdentityError::Internal(_) => {
                "An unexpected error prevented the server from fulfilling your request.".to_string()
            }
            other => other.to_string(),
        };
        KeystoneError(status, msg)
    }
}

pub(super) type KResult<T> = Result<T, KeystoneError>;
