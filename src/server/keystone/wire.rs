//! Keystone's JSON: domain, project, user, role, service and limit documents, links, and the
//! small request parsers they share.

use super::*;

pub(super) const DOMAIN_ID: &str = "default";
pub(super) const DOMAIN_NAME: &str = "Default";

pub(super) fn v3(s: &Services) -> String {
    format!("{}/identity/v3", s.public_url)
}

pub(super) fn domain_ref() -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME})
}

pub(super) fn check_domain(d: Option<&DomainRef>) -> bool {
    match d {
        None => true,
        Some(d) => {
            d.id.as_deref().is_none_or(|i| i == DOMAIN_ID)
                && d.name.as_deref().is_none_or(|n| n == DOMAIN_NAME)
        }
    }
}

// --- version discovery ---

#[derive(Deserialize)]
pub(super) struct DomainRef {
    id: Option<String>,
    name: Option<String>,
}

pub(super) fn domain_json(s: &Services) -> Value {
    json!({"id": DOMAIN_ID, "name": DOMAIN_NAME, "description": "The default domain", "enabled": true,
           "tags": [], "options": {}, "links": {"self": format!("{}/domains/{DOMAIN_ID}", v3(s))}})
}

pub(super) fn project_json(s: &Services, p: &Project) -> Value {
    json!({"id": p.id, "name": p.name, "description": p.description, "enabled": p.enabled,
           "domain_id": DOMAIN_ID, "parent_id": DOMAIN_ID, "is_domain": false, "tags": [], "options": {},
           "links": {"self": format!("{}/projects/{}", v3(s), p.id)}})
}

pub(super) fn list_links(s: &Services, what: &str) -> Value {
    json!({"self": format!("{}/{what}", v3(s)), "next": null, "previous": null})
}

pub(super) fn flag(q: &HashMap<String, String>, key: &str) -> Option<bool> {
    q.get(key)
        .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0" | "no"))
}

pub(super) fn user_json(s: &Services, u: &User) -> Value {
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

pub(super) fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

pub(super) fn parse_project_ref(p: Option<String>) -> KResult<Option<ProjectId>> {
    match p {
        None => Ok(None),
        Some(p) if p.is_empty() => Ok(None),
        Some(p) => ProjectId::parse(&p)
            .map(Some)
            .map_err(|_| project_not_found(&p)),
    }
}

pub(super) fn role_json(s: &Services, id: &str, r: Role) -> Value {
    json!({"id": id, "name": r.name(), "domain_id": null, "description": null, "options": {},
           "links": {"self": format!("{}/roles/{id}", v3(s))}})
}

pub(super) fn service_json(s: &Services, (id, kind, name): (&str, &str, &str)) -> Value {
    json!({"id": id, "type": kind, "name": name, "enabled": true, "description": null,
           "links": {"self": format!("{}/services/{id}", v3(s))}})
}

pub(super) fn limit_json(s: &Services, l: &Limit) -> Value {
    json!({"id": l.id, "project_id": l.project_id, "service_id": l.service_id, "resource_name": l.resource_name,
           "resource_limit": l.resource_limit, "description": l.description, "region_id": null, "domain_id": null,
           "links": {"self": format!("{}/limits/{}", v3(s), l.id)}})
}
