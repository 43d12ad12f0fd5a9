//! `AppError`: the one error type server functions return, serialisable so the browser can match
//! on it and show the message. Internal failures are logged on the server and cross as `Internal`
//! with no detail.

use crate::domain::reason::{via_value, Reason};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A server function's failure, as the dashboard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Not logged in (or the session ended).
    #[error("Your session has ended. Please log in again.")]
    Unauthenticated,
    /// Login refused: wrong credentials, too many attempts, or no role anywhere.
    #[error("{0}")]
    LoginRefused(LoginRefusal),
    /// Not allowed, with the reason (typed, so the dashboard words it in the user's language).
    #[error("{0}")]
    Forbidden(#[serde(deserialize_with = "via_value::deserialize")] Reason),
    /// Not found.
    #[error("{0}")]
    NotFound(#[serde(deserialize_with = "via_value::deserialize")] Reason),
    /// A conflict (name taken, wrong state).
    #[error("{0}")]
    Conflict(#[serde(deserialize_with = "via_value::deserialize")] Reason),
    /// Bad input a service refused, with the reason (typed, so the dashboard words it).
    #[error("{0}")]
    Refused(#[serde(deserialize_with = "via_value::deserialize")] Reason),
    /// A field failed validation.
    #[error("{field} {message}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Something failed on the server; details are in its log.
    #[error("Something went wrong on the server. Please try again; if it keeps happening, tell your administrator.")]
    Internal,
    /// The request did not get through.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

/// Why a login was refused (typed, so the login page words it in the user's language).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum LoginRefusal {
    /// Unknown user, wrong password, disabled user or project: all look the same.
    #[error("The user name or password is incorrect.")]
    BadCredentials,
    /// Too many failed logins.
    #[error("Too many failed login attempts. Try again in {minutes} minute(s).")]
    Locked {
        /// Minutes until the next try, rounded up.
        minutes: u64,
    },
    /// The account holds no role on any enabled project.
    #[error("Your account has no role on any enabled project. Ask an administrator for access.")]
    NoRole,
}

impl AppError {
    /// The HTTP status a server function answers with when it fails this way.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::LoginRefused(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::Invalid { .. } | AppError::Refused(_) => 400,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }

    /// Encodes the error, and on the server gives the response the matching status code, so a
    /// refused login is a 401 and not a server failure.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(
                axum::http::StatusCode::from_u16(self.status())
                    .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        serde_json::to_vec(self).map(Into::into).unwrap_or_default()
    }
}

impl From<crate::domain::identity::ValidationError> for AppError {
    fn from(e: crate::domain::identity::ValidationError) -> Self {
        AppError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<crate::domain::ids::IdError> for AppError {
    fn from(e: crate::domain::ids::IdError) -> Self {
        AppError::Invalid {
            field: format!("{} id", e.kind),
            message: "is not valid".into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::server::identity::IdentityError> for AppError {
    fn from(e: crate::server::identity::IdentityError) -> Self {
        use crate::server::identity::IdentityError as E;
        e.log_if_internal();
        match e {
            E::Unauthenticated => AppError::LoginRefused(LoginRefusal::BadCredentials),
            E::Locked(left) => AppError::LoginRefused(LoginRefusal::Locked {
                minutes: left.as_secs().div_ceil(60),
            }),
            // The server functions' edge: reasons in words.
            E::Forbidden(r) => AppError::Forbidden(r),
            E::NotFound(r) => AppError::NotFound(r),
            E::Conflict(r) => AppError::Conflict(r),
            E::Invalid(v) => v.into(),
            E::Db(_) | E::Internal(_) => AppError::Internal,
        }
    }
}
