//! `/v2/images/{id}/members` handlers: share a shared image with another project, list and show
//! members, accept or reject as the member, and stop sharing as the owner.

use super::error::GlanceError;
use super::{actor, image_id};
use crate::domain::ids::ProjectId;
use crate::domain::image::Member;
use crate::server::clock::stored_to_seconds;
use crate::server::identity::principal::MaybeActor;
use crate::server::state::Services;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::{json, Value};

fn member_json(m: &Member) -> Value {
    json!({"image_id": m.image_id, "member_id": m.member_id, "status": m.status,
           "created_at": stored_to_seconds(&m.created_at), "updated_at": stored_to_seconds(&m.updated_at),
           "schema": "/v2/schemas/member"})
}

fn body_field(body: &Bytes, field: &str) -> Result<String, GlanceError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| GlanceError::bad_request(format!("Malformed JSON in request body: {e}")))?;
    match v.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(GlanceError::bad_request(format!(
            "Request body must be a JSON object with a string '{field}'."
        ))),
    }
}

fn member_id(s: &str, image: &str) -> Result<ProjectId, GlanceError> {
    ProjectId::parse(s)
        .map_err(|_| GlanceError::not_found(format!("{s} is not a member of image {image}.")))
}

/// `POST /v2/images/{id}/members` (200, as Glance answers).
pub async fn create(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let member = body_field(&body, "member")?;
    let m = s
        .images
        .add_member(&actor, &image_id(&id)?, &member)
        .await?;
    Ok(Json(member_json(&m)))
}

/// `GET /v2/images/{id}/members`.
pub async fn index(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let members = s.images.members(&actor, &image_id(&id)?).await?;
    Ok(Json(
        json!({"members": members.iter().map(member_json).collect::<Vec<_>>(), "schema": "/v2/schemas/members"}),
    ))
}

/// `GET /v2/images/{id}/members/{member}`.
pub async fn show(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((id, m)): Path<(String, String)>,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let member = s
        .images
        .member(&actor, &image_id(&id)?, &member_id(&m, &id)?)
        .await?;
    Ok(Json(member_json(&member)))
}

/// `PUT /v2/images/{id}/members/{member}` with `{"status": …}`.
pub async fn update(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((id, m)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let status = body_field(&body, "status")?;
    let member = s
        .images
        .set_member_status(&actor, &image_id(&id)?, &member_id(&m, &id)?, &status)
        .await?;
    Ok(Json(member_json(&member)))
}

/// `DELETE /v2/images/{id}/members/{member}`.
pub async fn delete(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((id, m)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images
        .remove_member(&actor, &image_id(&id)?, &member_id(&m, &id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
