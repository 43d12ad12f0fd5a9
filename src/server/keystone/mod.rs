//! The Keystone v3 subset under `/identity` that keystoneauth and `openstack project|user|role`
//! need: version discovery, password and token auth, token validation and revocation, and the
//! admin calls for projects, users, roles and role assignments. Handlers only translate between
//! Keystone's JSON and `IdentityService`; they are split by resource (tokens, projects, users,
//! roles, limits), with Keystone's JSON in `wire` and its error answers in `error`.

mod error;
mod limits;
mod projects;
mod roles;
mod tokens;
mod users;
mod wire;

pub use error::KeystoneError;
use error::*;
use limits::*;
use projects::*;
use roles::*;
use tokens::*;
use users::*;
use wire::*;

use crate::domain::identity::{
    Assignment, Limit, Project, Role, User, IDENTITY_SERVICE_ID, IMAGE_SERVICE_ID,
};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::policy::Actor;
use crate::server::http::ClientAddr;
use crate::server::identity::error::IdentityError;
use crate::server::identity::principal::MaybeActor;
use crate::server::identity::service::{
    NewProject, NewUser, ProjectPatch, ProjectRef, TokenInfo, UserPatch, UserRef,
};
use crate::server::state::Services;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// The `/identity` routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(versions))
        .route("/v3", get(version))
        .route("/v3/", get(version))
        .route("/v3/auth/tokens", get(validate).post(issue).delete(revoke))
        .route("/v3/auth/projects", get(auth_projects))
        .route("/v3/domains", get(list_domains))
        .route("/v3/domains/{id}", get(show_domain))
        .route("/v3/projects", get(list_projects).post(create_project))
        .route(
            "/v3/projects/{id}",
            get(show_project)
                .patch(update_project)
                .delete(delete_project),
        )
        .route("/v3/projects/{p}/users/{u}/roles", get(list_grants))
        .route(
            "/v3/projects/{p}/users/{u}/roles/{r}",
            put(grant).get(check_grant).delete(revoke_grant),
        )
        .route("/v3/users", get(list_users).post(create_user))
        .route(
            "/v3/users/{id}",
            get(show_user).patch(update_user).delete(delete_user),
        )
        .route("/v3/users/{id}/projects", get(user_projects))
        .route("/v3/roles", get(list_roles))
        .route("/v3/roles/{id}", get(show_role))
        .route("/v3/role_assignments", get(list_assignments))
        .route("/v3/services", get(list_services))
        .route("/v3/services/{id}", get(show_service))
        .route("/v3/limits", get(list_limits).post(create_limits))
        .route(
            "/v3/limits/{id}",
            get(show_limit).patch(update_limit).delete(delete_limit),
        )
}

pub(super) fn version_doc(s: &Services) -> Value {
    json!({
        "id": "v3.14",
        "status": "stable",
        "updated": "2020-04-07T00:00:00Z",
        "links": [{"rel": "self", "href": format!("{}/", v3(s))}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}]
    })
}

/// `GET /identity` (and `/identity/`): the version list with 300.
pub async fn versions(Extension(s): Extension<Services>) -> Response {
    (
        StatusCode::MULTIPLE_CHOICES,
        Json(json!({"versions": {"values": [version_doc(&s)]}})),
    )
        .into_response()
}

pub(super) async fn version(Extension(s): Extension<Services>) -> Json<Value> {
    Json(json!({"version": version_doc(&s)}))
}

// --- tokens ---
