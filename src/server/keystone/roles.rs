//! `/v3/roles`, role grants on projects and `/v3/role_assignments`.

use super::*;

pub(super) async fn list_roles(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    let roles: Vec<Value> = s
        .identity
        .list_roles()
        .await?
        .iter()
        .filter(|(_, r)| q.get("name").is_none_or(|n| n == r.name()))
        .map(|(id, r)| role_json(&s, id, *r))
        .collect();
    Ok(Json(
        json!({"roles": roles, "links": list_links(&s, "roles")}),
    ))
}

pub(super) async fn role_by_id(s: &Services, id: &str) -> KResult<Role> {
    s.identity
        .list_roles()
        .await?
        .into_iter()
        .find(|(rid, _)| rid == id)
        .map(|(_, r)| r)
        .ok_or_else(|| role_not_found(id))
}

pub(super) async fn show_role(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    let role = role_by_id(&s, &id).await?;
    Ok(Json(json!({"role": role_json(&s, &id, role)})))
}

pub(super) async fn grant_target(
    s: &Services,
    p: &str,
    u: &str,
    r: &str,
) -> KResult<(ProjectId, UserId, Role)> {
    let pid = ProjectId::parse(p).map_err(|_| project_not_found(p))?;
    let uid = UserId::parse(u).map_err(|_| user_not_found(u))?;
    let role = role_by_id(s, r).await?;
    Ok((pid, uid, role))
}

pub(super) async fn grant(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((p, u, r)): Path<(String, String, String)>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let (pid, uid, role) = grant_target(&s, &p, &u, &r).await?;
    s.identity.assign_role(&actor, &uid, &pid, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn check_grant(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((p, u, r)): Path<(String, String, String)>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let (pid, uid, role) = grant_target(&s, &p, &u, &r).await?;
    let found = s
        .identity
        .list_assignments(&actor, Some(&uid), Some(&pid), Some(role))
        .await?;
    if found.is_empty() {
        return Err(KeystoneError(
            StatusCode::NOT_FOUND,
            format!("Could not find role assignment with role: {r}, user: {u}, project: {p}."),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn revoke_grant(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((p, u, r)): Path<(String, String, String)>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let (pid, uid, role) = grant_target(&s, &p, &u, &r).await?;
    s.identity.unassign_role(&actor, &uid, &pid, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn list_grants(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((p, u)): Path<(String, String)>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let pid = ProjectId::parse(&p).map_err(|_| project_not_found(&p))?;
    let uid = UserId::parse(&u).map_err(|_| user_not_found(&u))?;
    let ids: HashMap<Role, String> = s
        .identity
        .list_roles()
        .await?
        .into_iter()
        .map(|(id, r)| (r, id))
        .collect();
    let roles: Vec<Value> = s
        .identity
        .list_assignments(&actor, Some(&uid), Some(&pid), None)
        .await?
        .iter()
        .map(|a| {
            role_json(
                &s,
                ids.get(&a.role).map(String::as_str).unwrap_or_default(),
                a.role,
            )
        })
        .collect();
    Ok(Json(
        json!({"roles": roles, "links": list_links(&s, &format!("projects/{pid}/users/{uid}/roles"))}),
    ))
}

pub(super) async fn list_assignments(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let names = q.contains_key("include_names");
    let effective = q.contains_key("effective");
    let none =
        || Json(json!({"role_assignments": [], "links": list_links(&s, "role_assignments")}));
    // Filters that name something malformed or another kind of scope match nothing.
    let user = match q.get("user.id") {
        Some(u) => match UserId::parse(u) {
            Ok(u) => Some(u),
            Err(_) => return Ok(none()),
        },
        None => None,
    };
    let project = match q.get("scope.project.id") {
        Some(p) => match ProjectId::parse(p) {
            Ok(p) => Some(p),
            Err(_) => return Ok(none()),
        },
        None => None,
    };
    if q.contains_key("group.id")
        || q.contains_key("scope.domain.id")
        || q.contains_key("scope.system")
    {
        return Ok(none());
    }
    let ids: HashMap<Role, String> = s
        .identity
        .list_roles()
        .await?
        .into_iter()
        .map(|(id, r)| (r, id))
        .collect();
    let role = match q.get("role.id") {
        Some(r) => match ids.iter().find(|(_, id)| *id == r) {
            Some((role, _)) => Some(*role),
            None => return Ok(none()),
        },
        None => None,
    };
    let rows: Vec<Assignment> = if effective {
        s.identity
            .list_effective_assignments(&actor, user.as_ref(), project.as_ref())
            .await?
    } else {
        s.identity
            .list_assignments(&actor, user.as_ref(), project.as_ref(), None)
            .await?
    };
    let out: Vec<Value> = rows
        .iter()
        .filter(|a| role.is_none_or(|r| r == a.role))
        .map(|a| {
            let rid = ids.get(&a.role).cloned().unwrap_or_default();
            let mut role_v = json!({"id": rid});
            let mut user_v = json!({"id": a.user_id});
            let mut proj_v = json!({"id": a.project_id});
            if names {
                role_v["name"] = json!(a.role.name());
                user_v["name"] = json!(a.user_name);
                user_v["domain"] = domain_ref();
                proj_v["name"] = json!(a.project_name);
                proj_v["domain"] = domain_ref();
            }
            json!({"role": role_v, "user": user_v, "scope": {"project": proj_v},
                   "links": {"assignment": format!("{}/projects/{}/users/{}/roles/{}", v3(&s), a.project_id, a.user_id, rid)}})
        })
        .collect();
    Ok(Json(
        json!({"role_assignments": out, "links": list_links(&s, "role_assignments")}),
    ))
}

// --- services and limits (quotas the image service enforces) ---
