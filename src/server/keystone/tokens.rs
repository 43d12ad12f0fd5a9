//! `/v3/auth`: password and token authentication with project scope, the catalog, token
//! validation and revocation, and the projects a token may be scoped to.

use super::*;

#[derive(Deserialize)]
pub(super) struct AuthBody {
    auth: Auth,
}

#[derive(Deserialize)]
pub(super) struct Auth {
    identity: Identity,
    scope: Option<Value>,
}

#[derive(Deserialize)]
pub(super) struct Identity {
    methods: Vec<String>,
    password: Option<PasswordMethod>,
    token: Option<TokenMethod>,
}

#[derive(Deserialize)]
pub(super) struct PasswordMethod {
    user: PasswordUser,
}

#[derive(Deserialize)]
pub(super) struct PasswordUser {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainRef>,
    password: String,
}

#[derive(Deserialize)]
pub(super) struct TokenMethod {
    id: String,
}

#[derive(Deserialize)]
pub(super) struct ProjectScope {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainRef>,
}

pub(super) fn catalog(s: &Services) -> Value {
    let entry = |id: &str, kind: &str, name: &str, url: String| {
        let endpoints: Vec<Value> = ["public", "internal", "admin"]
            .iter()
            .enumerate()
            .map(|(i, iface)| {
                json!({"id": format!("{id}{i}"), "interface": iface, "region": "RegionOne",
                       "region_id": "RegionOne", "url": url})
            })
            .collect();
        json!({"id": id, "type": kind, "name": name, "endpoints": endpoints})
    };
    json!([
        entry(
            "e1a6e0c0d5a04b6e9a4f0c3d2b1a0f0",
            "image",
            "glance",
            format!("{}/image", s.public_url)
        ),
        entry(
            "e2b7f1d1e6b15c7fab5e1d4e3c2b1e0",
            "identity",
            "keystone",
            format!("{}/identity", s.public_url)
        ),
    ])
}

pub(super) async fn token_body(s: &Services, t: &TokenInfo, with_catalog: bool) -> KResult<Value> {
    let ids: HashMap<Role, String> = s
        .identity
        .list_roles()
        .await?
        .into_iter()
        .map(|(id, r)| (r, id))
        .collect();
    let roles: Vec<Value> = t
        .roles
        .iter()
        .map(|r| json!({"id": ids.get(&r).cloned().unwrap_or_default(), "name": r.name()}))
        .collect();
    let mut token = json!({
        "methods": t.methods,
        "user": {"id": t.user.id, "name": t.user.name, "domain": domain_ref(), "password_expires_at": null},
        "audit_ids": [t.audit_id],
        "issued_at": t.issued_at,
        "expires_at": t.expires_at,
    });
    if let Some(p) = &t.project {
        token["project"] = json!({"id": p.id, "name": p.name, "domain": domain_ref()});
        token["is_domain"] = json!(false);
        token["roles"] = json!(roles);
        if with_catalog {
            token["catalog"] = catalog(s);
        }
    }
    Ok(json!({"token": token}))
}

pub(super) fn subject_header(secret: &str) -> KResult<HeaderValue> {
    HeaderValue::from_str(secret)
        .map_err(|_| KeystoneError(StatusCode::INTERNAL_SERVER_ERROR, "bad token".into()))
}

pub(super) async fn issue(
    Extension(s): Extension<Services>,
    ClientAddr(addr): ClientAddr,
    Json(body): Json<AuthBody>,
) -> KResult<Response> {
    let id = body.auth.identity;
    let (user, methods) = if id.methods.iter().any(|m| m == "password") {
        let pw = id
            .password
            .ok_or_else(|| bad_request("Expecting to find password in identity."))?;
        if !check_domain(pw.user.domain.as_ref()) {
            return Err(unauthenticated());
        }
        let who = match (pw.user.name, pw.user.id) {
            (Some(n), _) => UserRef::Name(n),
            (None, Some(uid)) => UserRef::Id(UserId::parse(&uid).map_err(|_| unauthenticated())?),
            (None, None) => {
                return Err(bad_request(
                    "Expecting to find user name or id in password.",
                ))
            }
        };
        let user = s
            .identity
            .authenticate_ref(&who, &pw.user.password, addr)
            .await?;
        (user, vec!["password".to_string()])
    } else if id.methods.iter().any(|m| m == "token") {
        let t = id
            .token
            .ok_or_else(|| bad_request("Expecting to find token in identity."))?;
        let info = s
            .identity
            .validate_token(&t.id)
            .await?
            .ok_or_else(unauthenticated)?;
        (info.user, vec!["token".to_string()])
    } else {
        return Err(unauthenticated());
    };

    let scope = match body.auth.scope {
        None => None,
        Some(Value::String(ref u)) if u == "unscoped" => None,
        Some(v) => {
            let project = v.get("project").ok_or_else(unauthenticated)?;
            let ps: ProjectScope =
                serde_json::from_value(project.clone()).map_err(|e| bad_request(e.to_string()))?;
            if !check_domain(ps.domain.as_ref()) {
                return Err(unauthenticated());
            }
            let which = match (ps.id, ps.name) {
                (Some(pid), _) => {
                    ProjectRef::Id(ProjectId::parse(&pid).map_err(|_| unauthenticated())?)
                }
                (None, Some(name)) => ProjectRef::Name(name),
                (None, None) => {
                    return Err(bad_request(
                        "Expecting to find project id or name in scope.",
                    ))
                }
            };
            let pid = s
                .identity
                .scope_project(&which)
                .await?
                .ok_or_else(unauthenticated)?;
            Some(pid)
        }
    };
    let (secret, info) = s
        .identity
        .issue_token(&user, scope.as_ref(), methods)
        .await?;
    let body = token_body(&s, &info, true).await?;
    let mut resp = (StatusCode::CREATED, Json(body)).into_response();
    resp.headers_mut()
        .insert("x-subject-token", subject_header(&secret)?);
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub(super) struct ValidateQuery {
    nocatalog: Option<String>,
}

/// The token a request names in `X-Subject-Token`, as its caller (`X-Auth-Token`) may see it:
/// the identity service decides (its own token, or any for an admin).
pub(super) async fn subject(s: &Services, headers: &HeaderMap) -> KResult<(String, TokenInfo)> {
    let caller = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthenticated)?;
    let subject = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| KeystoneError(StatusCode::NOT_FOUND, "Could not find token.".into()))?
        .to_string();
    let info = s.identity.inspect_token(caller, &subject).await?;
    Ok((subject, info))
}

pub(super) async fn validate(
    Extension(s): Extension<Services>,
    headers: HeaderMap,
    q: Query<ValidateQuery>,
) -> KResult<Response> {
    let (secret, info) = subject(&s, &headers).await?;
    let body = token_body(&s, &info, q.nocatalog.is_none()).await?;
    let mut resp = Json(body).into_response();
    resp.headers_mut()
        .insert("x-subject-token", subject_header(&secret)?);
    Ok(resp)
}

pub(super) async fn revoke(
    Extension(s): Extension<Services>,
    headers: HeaderMap,
) -> KResult<StatusCode> {
    let (secret, _) = subject(&s, &headers).await?;
    s.identity.revoke_token(&secret).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) async fn auth_projects(
    Extension(s): Extension<Services>,
    a: MaybeActor,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let projects: Vec<Value> = s
        .identity
        .projects_for(&actor.user_id)
        .await?
        .iter()
        .map(|(p, _)| project_json(&s, p))
        .collect();
    Ok(Json(
        json!({"projects": projects, "links": {"self": format!("{}/auth/projects", v3(&s)), "next": null, "previous": null}}),
    ))
}

// --- domains (one, "Default") ---
