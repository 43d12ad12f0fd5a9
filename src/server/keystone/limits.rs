//! `/v3/services` (the catalog's two) and `/v3/limits` (unified limits for the image resources).

use super::*;

pub(super) const SERVICES: [(&str, &str, &str); 2] = [
    (IMAGE_SERVICE_ID, "image", "glance"),
    (IDENTITY_SERVICE_ID, "identity", "keystone"),
];

pub(super) async fn list_services(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    let list: Vec<Value> = SERVICES
        .iter()
        .filter(|(_, kind, name)| {
            q.get("name").is_none_or(|n| n == name) && q.get("type").is_none_or(|t| t == kind)
        })
        .map(|svc| service_json(&s, *svc))
        .collect();
    Ok(Json(
        json!({"services": list, "links": list_links(&s, "services")}),
    ))
}

pub(super) async fn show_service(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    let svc = SERVICES
        .iter()
        .find(|(sid, _, _)| *sid == id)
        .ok_or_else(|| {
            KeystoneError(
                StatusCode::NOT_FOUND,
                format!("Could not find service: {id}."),
            )
        })?;
    Ok(Json(json!({"service": service_json(&s, *svc)})))
}

pub(super) async fn list_limits(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let project = match q.get("project_id") {
        Some(p) => match ProjectId::parse(p) {
            Ok(p) => Some(p),
            Err(_) => {
                return Ok(Json(
                    json!({"limits": [], "links": list_links(&s, "limits")}),
                ))
            }
        },
        None => None,
    };
    let limits = s
        .identity
        .list_limits(
            &actor,
            project.as_ref(),
            q.get("service_id").map(String::as_str),
            q.get("resource_name").map(String::as_str),
        )
        .await?;
    Ok(Json(
        json!({"limits": limits.iter().map(|l| limit_json(&s, l)).collect::<Vec<_>>(), "links": list_links(&s, "limits")}),
    ))
}

#[derive(Deserialize)]
pub(super) struct NewLimits {
    limits: Vec<NewLimit>,
}

#[derive(Deserialize)]
pub(super) struct NewLimit {
    project_id: String,
    service_id: String,
    resource_name: String,
    resource_limit: i64,
    description: Option<String>,
}

pub(super) async fn create_limits(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Json(b): Json<NewLimits>,
) -> KResult<Response> {
    let actor = need_actor(a)?;
    let mut out = Vec::new();
    for l in b.limits {
        let pid = ProjectId::parse(&l.project_id).map_err(|_| project_not_found(&l.project_id))?;
        let made = s
            .identity
            .create_limit(
                &actor,
                &pid,
                &l.service_id,
                &l.resource_name,
                l.resource_limit,
                l.description,
            )
            .await?;
        out.push(limit_json(&s, &made));
    }
    Ok((StatusCode::CREATED, Json(json!({"limits": out}))).into_response())
}

pub(super) async fn show_limit(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let l = s.identity.get_limit(&actor, &id).await?;
    Ok(Json(json!({"limit": limit_json(&s, &l)})))
}

#[derive(Deserialize)]
pub(super) struct LimitPatch {
    limit: LimitFields,
}

pub(super) async fn update_limit(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    Json(b): Json<LimitPatch>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let current = s.identity.get_limit(&actor, &id).await?;
    let value = b.limit.resource_limit.unwrap_or(current.resource_limit);
    let l = s
        .identity
        .update_limit(&actor, &id, value, b.limit.description)
        .await?;
    Ok(Json(json!({"limit": limit_json(&s, &l)})))
}

pub(super) async fn delete_limit(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    s.identity.delete_limit(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub(super) struct LimitFields {
    resource_limit: Option<i64>,
    description: Option<String>,
}
