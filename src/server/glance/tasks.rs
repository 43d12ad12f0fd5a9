//! Interoperable import under `/v2`: `PUT /images/{id}/stage`, `POST /images/{id}/import`,
//! `GET /images/{id}/tasks`, and the admin task API (`GET /tasks`, `GET /tasks/{id}`), shaped
//! as Glance answers them. `ImageService` holds every rule.

use super::error::GlanceError;
use super::{actor, image_id};
use crate::domain::task::{ImportRequest, Task, TaskStatus};
use crate::server::clock::stored_to_seconds;
use crate::server::identity::principal::MaybeActor;
use crate::server::state::Services;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde_json::{json, Value};

/// A task as Glance shows it in full.
pub fn task_json(t: &Task) -> Value {
    json!({
        "id": t.id,
        "type": t.kind,
        "status": t.status.as_str(),
        "input": t.input,
        "result": t.result,
        "owner": t.owner,
        "message": t.message,
        "image_id": t.image_id,
        "request_id": t.request_id,
        "user_id": t.user_id,
        "expires_at": t.expires_at.as_deref().map(stored_to_seconds),
        "created_at": stored_to_seconds(&t.created_at),
        "updated_at": stored_to_seconds(&t.updated_at),
        "self": format!("/v2/tasks/{}", t.id),
        "schema": "/v2/schemas/task",
    })
}

/// `PUT /v2/images/{id}/stage` (application/octet-stream): 204 once the data is staged.
pub async fn stage(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    req: Request,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    let id = image_id(&id)?;
    let declared = super::image_data::octet_stream_size(req.headers())?;
    let body = req.into_body().into_data_stream();
    s.images.stage(&actor, &id, declared, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/images/{id}/import`: 202 with no body once the task is started.
pub async fn import(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    let id = image_id(&id)?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| GlanceError::bad_request(format!("Malformed JSON in request body: {e}")))?;
    let mut req = ImportRequest::from_json(&v).map_err(GlanceError::bad_request)?;
    if req.stores.is_empty() && !req.all_stores {
        // `X-Image-Meta-Store` stands in for `stores`, as in Glance.
        if let Some(store) = headers
            .get("x-image-meta-store")
            .and_then(|v| v.to_str().ok())
        {
            req.stores.push(store.to_string());
        }
    }
    let request_id = headers
        .get(crate::server::http::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    s.images.import(&actor, &id, req, &request_id).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `GET /v2/images/{id}/tasks`.
pub async fn image_tasks(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let id = image_id(&id)?;
    let tasks = s.images.image_tasks(&actor, &id).await?;
    Ok(Json(
        json!({"tasks": tasks.iter().map(task_json).collect::<Vec<_>>()}),
    ))
}

/// `GET /v2/tasks` (admin): stubs without input, result and message, newest first.
pub async fn list(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| GlanceError::bad_request(format!("Invalid query string: {e}")))?;
    let get = |k: &str| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
    let status = match get("status") {
        None => None,
        Some(v) => Some(
            TaskStatus::parse(v)
                .ok_or_else(|| GlanceError::bad_request(format!("Invalid status value: {v}")))?,
        ),
    };
    let limit = match get("limit") {
        None => 25,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| GlanceError::bad_request("limit param must be a positive integer"))?
            .min(1000),
    };
    let tasks = s.images.tasks(&actor, status, get("marker"), limit).await?;
    let stubs: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let mut v = task_json(t);
            if let Some(o) = v.as_object_mut() {
                for k in ["input", "result", "message"] {
                    o.remove(k);
                }
            }
            v
        })
        .collect();
    let mut out = json!({"tasks": stubs, "first": "/v2/tasks", "schema": "/v2/schemas/tasks"});
    if tasks.len() as i64 == limit && limit > 0 {
        if let Some(last) = tasks.last() {
            out["next"] = json!(format!("/v2/tasks?marker={}&limit={limit}", last.id));
        }
    }
    Ok(Json(out))
}

/// `GET /v2/tasks/{id}` (admin).
pub async fn show(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let t = s.images.task(&actor, &id).await?;
    Ok(Json(task_json(&t)))
}
