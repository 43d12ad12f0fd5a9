//! `/v3/domains` (the one default domain) and `/v3/projects`.

use super::*;

pub(super) async fn list_domains(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    let keep = q.get("name").is_none_or(|n| n == DOMAIN_NAME)
        && q.get("id").is_none_or(|i| i == DOMAIN_ID);
    let domains = if keep { vec![domain_json(&s)] } else { vec![] };
    Ok(Json(
        json!({"domains": domains, "links": {"self": format!("{}/domains", v3(&s)), "next": null, "previous": null}}),
    ))
}

pub(super) async fn show_domain(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    if id != DOMAIN_ID {
        return Err(KeystoneError(
            StatusCode::NOT_FOUND,
            format!("Could not find domain: {id}."),
        ));
    }
    Ok(Json(json!({"domain": domain_json(&s)})))
}

// --- projects ---

pub(super) async fn list_projects(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let projects: Vec<Value> = s
        .identity
        .list_projects(&actor)
        .await?
        .iter()
        .filter(|p| q.get("name").is_none_or(|n| *n == p.name))
        .filter(|p| flag(&q, "enabled").is_none_or(|e| e == p.enabled))
        .filter(|_| q.get("domain_id").is_none_or(|d| d == DOMAIN_ID))
        .map(|p| project_json(&s, p))
        .collect();
    Ok(Json(
        json!({"projects": projects, "links": list_links(&s, "projects")}),
    ))
}

#[derive(Deserialize)]
pub(super) struct ProjectBody {
    project: ProjectFields,
}

#[derive(Deserialize)]
pub(super) struct ProjectFields {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    domain_id: Option<String>,
}

pub(super) async fn create_project(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Json(b): Json<ProjectBody>,
) -> KResult<Response> {
    let actor = need_actor(a)?;
    if b.project
        .domain_id
        .as_deref()
        .is_some_and(|d| d != DOMAIN_ID)
    {
        return Err(bad_request("Only the default domain exists."));
    }
    let name = b
        .project
        .name
        .ok_or_else(|| bad_request("'name' is a required property"))?;
    let p = s
        .identity
        .create_project(
            &actor,
            NewProject {
                name,
                description: b.project.description.unwrap_or_default(),
                enabled: b.project.enabled.unwrap_or(true),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"project": project_json(&s, &p)})),
    )
        .into_response())
}

pub(super) async fn show_project(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let pid = ProjectId::parse(&id).map_err(|_| project_not_found(&id))?;
    let p = s.identity.get_project(&actor, &pid).await?;
    Ok(Json(json!({"project": project_json(&s, &p)})))
}

pub(super) async fn update_project(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    Json(b): Json<ProjectBody>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let pid = ProjectId::parse(&id).map_err(|_| project_not_found(&id))?;
    let patch = ProjectPatch {
        name: b.project.name,
        description: b.project.description,
        enabled: b.project.enabled,
    };
    let p = s.identity.update_project(&actor, &pid, patch).await?;
    Ok(Json(json!({"project": project_json(&s, &p)})))
}

pub(super) async fn delete_project(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let pid = ProjectId::parse(&id).map_err(|_| project_not_found(&id))?;
    s.identity.delete_project(&actor, &pid).await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- users ---
