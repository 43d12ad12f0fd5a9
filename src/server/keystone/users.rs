//! `/v3/users` and a user's projects.

use super::*;

pub(super) async fn list_users(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let users: Vec<Value> = s
        .identity
        .list_users(&actor)
        .await?
        .iter()
        .filter(|u| q.get("name").is_none_or(|n| *n == u.name))
        .filter(|u| flag(&q, "enabled").is_none_or(|e| e == u.enabled))
        .map(|u| user_json(&s, u))
        .collect();
    Ok(Json(
        json!({"users": users, "links": list_links(&s, "users")}),
    ))
}

#[derive(Deserialize)]
pub(super) struct UserBody {
    user: UserFields,
}

#[derive(Deserialize)]
pub(super) struct UserFields {
    name: Option<String>,
    password: Option<String>,
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "double_option")]
    default_project_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    email: Option<Option<String>>,
    description: Option<String>,
    domain_id: Option<String>,
}

pub(super) async fn create_user(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Json(b): Json<UserBody>,
) -> KResult<Response> {
    let actor = need_actor(a)?;
    let f = b.user;
    if f.domain_id.as_deref().is_some_and(|d| d != DOMAIN_ID) {
        return Err(bad_request("Only the default domain exists."));
    }
    let name = f
        .name
        .ok_or_else(|| bad_request("'name' is a required property"))?;
    let password = f
        .password
        .ok_or_else(|| bad_request("A password is required: Glimpse users log in with one."))?;
    let new = NewUser {
        name,
        password,
        enabled: f.enabled.unwrap_or(true),
        default_project_id: parse_project_ref(f.default_project_id.flatten())?,
        email: f.email.flatten(),
        description: f.description.unwrap_or_default(),
    };
    let u = s.identity.create_user(&actor, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": user_json(&s, &u)})),
    )
        .into_response())
}

pub(super) async fn show_user(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let uid = UserId::parse(&id).map_err(|_| user_not_found(&id))?;
    let u = s.identity.get_user(&actor, &uid).await?;
    Ok(Json(json!({"user": user_json(&s, &u)})))
}

pub(super) async fn update_user(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    Json(b): Json<UserBody>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let uid = UserId::parse(&id).map_err(|_| user_not_found(&id))?;
    let f = b.user;
    let default_project_id = match f.default_project_id {
        None => None,
        Some(p) => Some(parse_project_ref(p)?),
    };
    let patch = UserPatch {
        name: f.name,
        password: f.password,
        enabled: f.enabled,
        default_project_id,
        email: f.email,
        description: f.description,
    };
    let u = s.identity.update_user(&actor, &uid, patch).await?;
    Ok(Json(json!({"user": user_json(&s, &u)})))
}

pub(super) async fn delete_user(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let uid = UserId::parse(&id).map_err(|_| user_not_found(&id))?;
    s.identity.delete_user(&actor, &uid).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn user_projects(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let uid = UserId::parse(&id).map_err(|_| user_not_found(&id))?;
    s.identity.get_user(&actor, &uid).await?;
    let projects: Vec<Value> = s
        .identity
        .projects_for(&uid)
        .await?
        .iter()
        .map(|(p, _)| project_json(&s, p))
        .collect();
    Ok(Json(
        json!({"projects": projects, "links": list_links(&s, &format!("users/{uid}/projects"))}),
    ))
}

// --- roles and assignments ---
