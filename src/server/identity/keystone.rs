//! The Keystone v3 subset under `/identity` that keystoneauth and `openstack project|user|role`
//! need: version discovery, password and token auth, token validation and revocation, and the
//! admin calls for projects, users, roles and role assignments. Handlers only translate between
//! Keystone's JSON and `IdentityService`.

use super::error::IdentityError;
use super::principal::MaybeActor;
use super::service::{NewProject, NewUser, ProjectPatch, TokenInfo, UserPatch};
use crate::domain::identity::{
    Assignment, Limit, Project, Role, User, IDENTITY_SERVICE_ID, IMAGE_SERVICE_ID,
};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::policy::Actor;
use crate::server::http::ClientAddr;
use crate::server::state::Services;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

const DOMAIN_ID: &str = "default";
const DOMAIN_NAME: &str = "Default";

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

/// A Keystone error answer: `{"error": {"code", "message", "title"}}`.
#[derive(Debug)]
pub struct KeystoneError(StatusCode, String);

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

type KResult<T> = Result<T, KeystoneError>;

fn unauthenticated() -> KeystoneError {
    KeystoneError(
        StatusCode::UNAUTHORIZED,
        "The request you have made requires authentication.".into(),
    )
}

fn bad_request(msg: impl Into<String>) -> KeystoneError {
    KeystoneError(StatusCode::BAD_REQUEST, msg.into())
}

fn need_actor(a: MaybeActor) -> KResult<Actor> {
    a.0.ok_or_else(unauthenticated)
}

fn v3(s: &Services) -> String {
    format!("{}/identity/v3", s.public_url)
}

fn domain_ref() -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME})
}

fn check_domain(d: Option<&DomainRef>) -> bool {
    match d {
        None => true,
        Some(d) => {
            d.id.as_deref().is_none_or(|i| i == DOMAIN_ID)
                && d.name.as_deref().is_none_or(|n| n == DOMAIN_NAME)
        }
    }
}

// --- version discovery ---

fn version_doc(s: &Services) -> Value {
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

async fn version(Extension(s): Extension<Services>) -> Json<Value> {
    Json(json!({"version": version_doc(&s)}))
}

// --- tokens ---

#[derive(Deserialize)]
struct DomainRef {
    id: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct AuthBody {
    auth: Auth,
}

#[derive(Deserialize)]
struct Auth {
    identity: Identity,
    scope: Option<Value>,
}

#[derive(Deserialize)]
struct Identity {
    methods: Vec<String>,
    password: Option<PasswordMethod>,
    token: Option<TokenMethod>,
}

#[derive(Deserialize)]
struct PasswordMethod {
    user: PasswordUser,
}

#[derive(Deserialize)]
struct PasswordUser {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainRef>,
    password: String,
}

#[derive(Deserialize)]
struct TokenMethod {
    id: String,
}

#[derive(Deserialize)]
struct ProjectScope {
    id: Option<String>,
    name: Option<String>,
    domain: Option<DomainRef>,
}

fn catalog(s: &Services) -> Value {
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

async fn token_body(s: &Services, t: &TokenInfo, with_catalog: bool) -> KResult<Value> {
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

fn subject_header(secret: &str) -> KResult<HeaderValue> {
    HeaderValue::from_str(secret)
        .map_err(|_| KeystoneError(StatusCode::INTERNAL_SERVER_ERROR, "bad token".into()))
}

async fn issue(
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
        let name = match (pw.user.name, pw.user.id) {
            (Some(n), _) => n,
            (None, Some(uid)) => {
                let uid = UserId::parse(&uid).map_err(|_| unauthenticated())?;
                let op = crate::server::operator();
                s.identity
                    .get_user(&op, &uid)
                    .await
                    .map_err(|_| unauthenticated())?
                    .name
            }
            (None, None) => {
                return Err(bad_request(
                    "Expecting to find user name or id in password.",
                ))
            }
        };
        let user = s
            .identity
            .authenticate(&name, &pw.user.password, addr)
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
            let op = crate::server::operator();
            let pid = match (ps.id, ps.name) {
                (Some(pid), _) => ProjectId::parse(&pid).map_err(|_| unauthenticated())?,
                (None, Some(name)) => {
                    s.identity
                        .find_project(&op, &name)
                        .await?
                        .ok_or_else(unauthenticated)?
                        .id
                }
                (None, None) => {
                    return Err(bad_request(
                        "Expecting to find project id or name in scope.",
                    ))
                }
            };
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
struct ValidateQuery {
    nocatalog: Option<String>,
}

/// Validating a token needs a valid caller token: the same one, or an admin's.
async fn subject(s: &Services, headers: &HeaderMap) -> KResult<(String, TokenInfo)> {
    let caller = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthenticated)?;
    let caller_info = s
        .identity
        .validate_token(caller)
        .await?
        .ok_or_else(unauthenticated)?;
    let subject = headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| KeystoneError(StatusCode::NOT_FOUND, "Could not find token.".into()))?
        .to_string();
    if subject != caller && !caller_info.roles.contains(Role::Admin) {
        return Err(KeystoneError(
            StatusCode::FORBIDDEN,
            "You are not authorized to perform the requested action.".into(),
        ));
    }
    let info = s.identity.validate_token(&subject).await?.ok_or_else(|| {
        KeystoneError(
            StatusCode::NOT_FOUND,
            format!("Could not find token: {}.", short(&subject)),
        )
    })?;
    Ok((subject, info))
}

fn short(secret: &str) -> String {
    secret.chars().take(6).collect::<String>() + "…"
}

async fn validate(
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

async fn revoke(Extension(s): Extension<Services>, headers: HeaderMap) -> KResult<StatusCode> {
    let (secret, _) = subject(&s, &headers).await?;
    s.identity.revoke_token(&secret).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn auth_projects(Extension(s): Extension<Services>, a: MaybeActor) -> KResult<Json<Value>> {
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

fn domain_json(s: &Services) -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME, "description": "The default domain", "enabled": true,
           "tags": [], "options": {}, "links": {"self": format!("{}/domains/{DOMAIN_ID}", v3(s))}})
}

async fn list_domains(
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

async fn show_domain(
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

fn project_json(s: &Services, p: &Project) -> Value {
    json!({"id": p.id, "name": p.name, "description": p.description, "enabled": p.enabled,
           "domain_id": DOMAIN_ID, "parent_id": DOMAIN_ID, "is_domain": false, "tags": [], "options": {},
           "links": {"self": format!("{}/projects/{}", v3(s), p.id)}})
}

fn list_links(s: &Services, what: &str) -> Value {
    json!({"self": format!("{}/{what}", v3(s)), "next": null, "previous": null})
}

fn flag(q: &HashMap<String, String>, key: &str) -> Option<bool> {
    q.get(key)
        .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no"))
}

fn project_not_found(id: &str) -> KeystoneError {
    KeystoneError(
        StatusCode::NOT_FOUND,
        format!("Could not find project: {id}."),
    )
}

fn user_not_found(id: &str) -> KeystoneError {
    KeystoneError(StatusCode::NOT_FOUND, format!("Could not find user: {id}."))
}

fn role_not_found(id: &str) -> KeystoneError {
    KeystoneError(StatusCode::NOT_FOUND, format!("Could not find role: {id}."))
}

async fn list_projects(
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
struct ProjectBody {
    project: ProjectFields,
}

#[derive(Deserialize)]
struct ProjectFields {
    name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
    domain_id: Option<String>,
}

async fn create_project(
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

async fn show_project(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let pid = ProjectId::parse(&id).map_err(|_| project_not_found(&id))?;
    let p = s.identity.get_project(&actor, &pid).await?;
    Ok(Json(json!({"project": project_json(&s, &p)})))
}

async fn update_project(
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

async fn delete_project(
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

fn user_json(s: &Services, u: &User) -> Value {
    let mut v = json!({"id": u.id, "name": u.name, "domain_id": DOMAIN_ID, "enabled": u.enabled,
                       "password_expires_at": null, "options": {},
                       "links": {"self": format!("{}/users/{}", v3(s), u.id)}});
    if let Some(p) = &u.default_project_id {
        v["default_project_id"] = json!(p);
    }
    if let Some(e) = &u.email {
        v["email"] = json!(e);
    }
    if !u.description.is_empty() {
        v["description"] = json!(u.description);
    }
    v
}

async fn list_users(
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
struct UserBody {
    user: UserFields,
}

#[derive(Deserialize)]
struct UserFields {
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

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

fn parse_project_ref(p: Option<String>) -> KResult<Option<ProjectId>> {
    match p {
        None => Ok(None),
        Some(p) if p.is_empty() => Ok(None),
        Some(p) => ProjectId::parse(&p)
            .map(Some)
            .map_err(|_| project_not_found(&p)),
    }
}

async fn create_user(
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

async fn show_user(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let uid = UserId::parse(&id).map_err(|_| user_not_found(&id))?;
    let u = s.identity.get_user(&actor, &uid).await?;
    Ok(Json(json!({"user": user_json(&s, &u)})))
}

async fn update_user(
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

async fn delete_user(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let uid = UserId::parse(&id).map_err(|_| user_not_found(&id))?;
    s.identity.delete_user(&actor, &uid).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn user_projects(
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

fn role_json(s: &Services, id: &str, r: Role) -> Value {
    json!({"id": id, "name": r.name(), "domain_id": null, "description": null, "options": {},
           "links": {"self": format!("{}/roles/{id}", v3(s))}})
}

async fn list_roles(
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

async fn role_by_id(s: &Services, id: &str) -> KResult<Role> {
    s.identity
        .list_roles()
        .await?
        .into_iter()
        .find(|(rid, _)| rid == id)
        .map(|(_, r)| r)
        .ok_or_else(|| role_not_found(id))
}

async fn show_role(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    need_actor(a)?;
    let role = role_by_id(&s, &id).await?;
    Ok(Json(json!({"role": role_json(&s, &id, role)})))
}

async fn grant_target(
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

async fn grant(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((p, u, r)): Path<(String, String, String)>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let (pid, uid, role) = grant_target(&s, &p, &u, &r).await?;
    s.identity.assign_role(&actor, &uid, &pid, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn check_grant(
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

async fn revoke_grant(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((p, u, r)): Path<(String, String, String)>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    let (pid, uid, role) = grant_target(&s, &p, &u, &r).await?;
    s.identity.unassign_role(&actor, &uid, &pid, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_grants(
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

async fn list_assignments(
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
    let mut rows: Vec<Assignment> = s
        .identity
        .list_assignments(&actor, user.as_ref(), project.as_ref(), None)
        .await?;
    if effective {
        // Effective assignments list implied roles too, as Keystone does with implied roles.
        let mut expanded = Vec::new();
        for a in rows {
            for r in a.role.implied().iter() {
                if !expanded.iter().any(|e: &Assignment| {
                    e.user_id == a.user_id && e.project_id == a.project_id && e.role == r
                }) {
                    expanded.push(Assignment {
                        role: r,
                        ..a.clone()
                    });
                }
            }
        }
        rows = expanded;
    }
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

const SERVICES: [(&str, &str, &str); 2] = [
    (IMAGE_SERVICE_ID, "image", "glance"),
    (IDENTITY_SERVICE_ID, "identity", "keystone"),
];

fn service_json(s: &Services, (id, kind, name): (&str, &str, &str)) -> Value {
    json!({"id": id, "type": kind, "name": name, "enabled": true, "description": null,
           "links": {"self": format!("{}/services/{id}", v3(s))}})
}

async fn list_services(
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

async fn show_service(
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

fn limit_json(s: &Services, l: &Limit) -> Value {
    json!({"id": l.id, "project_id": l.project_id, "service_id": l.service_id, "resource_name": l.resource_name,
           "resource_limit": l.resource_limit, "description": l.description, "region_id": null, "domain_id": null,
           "links": {"self": format!("{}/limits/{}", v3(s), l.id)}})
}

async fn list_limits(
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
struct NewLimits {
    limits: Vec<NewLimit>,
}

#[derive(Deserialize)]
struct NewLimit {
    project_id: String,
    service_id: String,
    resource_name: String,
    resource_limit: i64,
    description: Option<String>,
}

async fn create_limits(
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

async fn show_limit(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<Json<Value>> {
    let actor = need_actor(a)?;
    let l = s.identity.get_limit(&actor, &id).await?;
    Ok(Json(json!({"limit": limit_json(&s, &l)})))
}

#[derive(Deserialize)]
struct LimitPatch {
    limit: LimitFields,
}

#[derive(Deserialize)]
struct LimitFields {
    resource_limit: Option<i64>,
    description: Option<String>,
}

async fn update_limit(
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

async fn delete_limit(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> KResult<StatusCode> {
    let actor = need_actor(a)?;
    s.identity.delete_limit(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
