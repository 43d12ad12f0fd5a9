//! `/v2/metadefs`: namespaces, resource types and associations, properties, objects and tags, as
//! Glance serves them. Thin: `MetadefService` holds every rule.

use super::actor;
use super::error::GlanceError;
use crate::domain::metadefs::{Association, Namespace, NamespaceFile};
use crate::domain::policy::Actor;
use crate::server::clock::stored_to_seconds;
use crate::server::identity::principal::MaybeActor;
use crate::server::metadefs::{
    object_from, AssociationRow, Item, Kind, NamespaceQuery, NamespaceRow,
};
use crate::server::state::Services;
use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

type Answer = Result<Json<Value>, GlanceError>;
type Created = Result<(StatusCode, Json<Value>), GlanceError>;

/// Parses a JSON body, answering 400 with serde's words (which name the field).
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, GlanceError> {
    serde_json::from_slice(bytes)
        .map_err(|e| GlanceError::bad_request(format!("Invalid request body: {e}")))
}

fn stamps(m: &mut Map<String, Value>, created: &str, updated: &str) {
    m.insert("created_at".into(), json!(stored_to_seconds(created)));
    m.insert("updated_at".into(), json!(stored_to_seconds(updated)));
}

fn namespace_json(row: &NamespaceRow) -> Value {
    let mut v = serde_json::to_value(&row.ns).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        stamps(m, &row.created_at, &row.updated_at);
        m.insert(
            "self".into(),
            json!(format!("/v2/metadefs/namespaces/{}", row.ns.namespace)),
        );
        m.insert("schema".into(), json!("/v2/schemas/metadefs/namespace"));
    }
    v
}

fn association_json(r: &AssociationRow) -> Value {
    let mut v = serde_json::to_value(&r.assoc).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        stamps(m, &r.created_at, &r.updated_at);
    }
    v
}

fn item_json(ns: &str, kind: Kind, i: &Item) -> Value {
    let mut v = match kind {
        Kind::Object => serde_json::to_value(object_from(i)).unwrap_or_default(),
        _ => i.body.clone(),
    };
    if let Some(m) = v.as_object_mut() {
        m.insert("name".into(), json!(i.name));
        if kind != Kind::Property {
            stamps(m, &i.created_at, &i.updated_at);
        }
        if kind == Kind::Object {
            m.insert(
                "self".into(),
                json!(format!("/v2/metadefs/namespaces/{ns}/objects/{}", i.name)),
            );
            m.insert("schema".into(), json!("/v2/schemas/metadefs/object"));
        }
    }
    v
}

/// A namespace's associations, as Glance lists them.
async fn association_list(
    s: &Services,
    actor: &Actor,
    ns: &str,
) -> Result<Vec<Value>, GlanceError> {
    Ok(s.metadefs
        .associations(actor, ns)
        .await?
        .iter()
        .map(association_json)
        .collect())
}

/// The prefix of `resource_type` for a namespace, if associated.
async fn prefix_for(
    s: &Services,
    actor: &Actor,
    ns: &str,
    resource_type: Option<&String>,
) -> Result<String, GlanceError> {
    let Some(rt) = resource_type else {
        return Ok(String::new());
    };
    let assocs: Vec<Association> = s
        .metadefs
        .associations(actor, ns)
        .await?
        .into_iter()
        .map(|a| a.assoc)
        .collect();
    Ok(crate::domain::metadefs::prefix_for(&assocs, rt))
}

/// `GET /v2/metadefs/namespaces`.
pub async fn list_namespaces(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let actor = actor(a)?;
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| *l > 0)
            .ok_or_else(|| GlanceError::bad_request("limit param must be positive"))?
            .min(1000),
        None => 25,
    };
    let visibility = q.get("visibility").cloned();
    if visibility
        .as_deref()
        .is_some_and(|v| v != "public" && v != "private")
    {
        return Err(GlanceError::bad_request(
            "visibility must be public or private",
        ));
    }
    let query = NamespaceQuery {
        visibility,
        resource_types: q
            .get("resource_types")
            .map(|r| r.split(',').map(|x| x.trim().to_string()).collect())
            .unwrap_or_default(),
        limit: limit + 1,
        marker: q.get("marker").cloned(),
        sort_key: Some(
            q.get("sort_key")
                .cloned()
                .unwrap_or_else(|| "created_at".into()),
        ),
        descending: match q.get("sort_dir").map(String::as_str) {
            None | Some("desc") => true,
            Some("asc") => false,
            Some(other) => {
                return Err(GlanceError::bad_request(format!(
                    "Invalid sort direction: {other}. It must be one of the following: asc, desc."
                )))
            }
        },
    };
    let mut rows = s.metadefs.list(&actor, &query).await?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let mut list = Vec::new();
    for r in &rows {
        let mut v = namespace_json(r);
        let assoc = association_list(&s, &actor, &r.ns.namespace).await?;
        if !assoc.is_empty() {
            v["resource_type_associations"] = Value::Array(assoc);
        }
        list.push(v);
    }
    let mut out = json!({
        "namespaces": list,
        "first": "/v2/metadefs/namespaces",
        "schema": "/v2/schemas/metadefs/namespaces",
    });
    if more {
        if let Some(last) = rows.last() {
            let mut params = vec![
                ("marker", last.ns.namespace.clone()),
                ("limit", limit.to_string()),
            ];
            for k in ["sort_key", "sort_dir", "visibility", "resource_types"] {
                if let Some(v) = q.get(k) {
                    params.push((k, v.clone()));
                }
            }
            let query = serde_urlencoded::to_string(&params).unwrap_or_default();
            out["next"] = json!(format!("/v2/metadefs/namespaces?{query}"));
        }
    }
    Ok(Json(out))
}

/// `POST /v2/metadefs/namespaces` (with optional inline properties, objects, tags, associations).
pub async fn create_namespace(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    bytes: Bytes,
) -> Created {
    let actor = actor(a)?;
    let doc: NamespaceFile = body(&bytes)?;
    let row = s.metadefs.create(&actor, doc).await?;
    let full = s.metadefs.document(&actor, &row.ns.namespace).await?;
    let mut v = serde_json::to_value(&full).unwrap_or_default();
    if let (Some(m), Value::Object(base)) = (v.as_object_mut(), namespace_json(&row)) {
        m.extend(base);
    }
    Ok((StatusCode::CREATED, Json(v)))
}

/// `GET /v2/metadefs/namespaces/{ns}` (`?resource_type=` prefixes the property names).
pub async fn show_namespace(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(ns): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let actor = actor(a)?;
    let row = s.metadefs.namespace(&actor, &ns).await?;
    let prefix = prefix_for(&s, &actor, &ns, q.get("resource_type")).await?;
    let full = s.metadefs.document(&actor, &row.ns.namespace).await?;
    let mut v = namespace_json(&row);
    if !full.properties.is_empty() {
        let props: Map<String, Value> = full
            .properties
            .into_iter()
            .map(|(k, p)| (format!("{prefix}{k}"), p))
            .collect();
        v["properties"] = Value::Object(props);
    }
    if !full.objects.is_empty() {
        v["objects"] = serde_json::to_value(&full.objects).unwrap_or_default();
    }
    if !full.tags.is_empty() {
        v["tags"] = serde_json::to_value(&full.tags).unwrap_or_default();
    }
    let assoc = association_list(&s, &actor, &ns).await?;
    if !assoc.is_empty() {
        v["resource_type_associations"] = Value::Array(assoc);
    }
    Ok(Json(v))
}

/// `PUT /v2/metadefs/namespaces/{ns}`: a full replace of the namespace's fields.
pub async fn update_namespace(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(ns): Path<String>,
    bytes: Bytes,
) -> Answer {
    let actor = actor(a)?;
    let new: Namespace = body(&bytes)?;
    Ok(Json(namespace_json(
        &s.metadefs.replace(&actor, &ns, new).await?,
    )))
}

/// `DELETE /v2/metadefs/namespaces/{ns}`.
pub async fn delete_namespace(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(ns): Path<String>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.metadefs.delete(&actor, &ns).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v2/metadefs/resource_types`.
pub async fn resource_types(Extension(s): Extension<Services>, a: MaybeActor) -> Answer {
    let actor = actor(a)?;
    let list: Vec<Value> = s
        .metadefs
        .resource_types(&actor)
        .await?
        .into_iter()
        .map(|(name, c, u)| json!({"name": name, "created_at": stored_to_seconds(&c), "updated_at": stored_to_seconds(&u)}))
        .collect();
    Ok(Json(json!({ "resource_types": list })))
}

/// `GET /v2/metadefs/namespaces/{ns}/resource_types`.
pub async fn associations(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(ns): Path<String>,
) -> Answer {
    let actor = actor(a)?;
    s.metadefs.namespace(&actor, &ns).await?;
    let list = association_list(&s, &actor, &ns).await?;
    Ok(Json(json!({ "resource_type_associations": list })))
}

/// `POST /v2/metadefs/namespaces/{ns}/resource_types`.
pub async fn associate(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(ns): Path<String>,
    bytes: Bytes,
) -> Created {
    let actor = actor(a)?;
    let assoc: Association = body(&bytes)?;
    let row = s.metadefs.associate(&actor, &ns, assoc).await?;
    Ok((StatusCode::CREATED, Json(association_json(&row))))
}

/// `DELETE /v2/metadefs/namespaces/{ns}/resource_types/{rt}`.
pub async fn dissociate(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, rt)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.metadefs.dissociate(&actor, &ns, &rt).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn kind_of(segment: &str) -> Result<Kind, GlanceError> {
    match segment {
        "properties" => Ok(Kind::Property),
        "objects" => Ok(Kind::Object),
        "tags" => Ok(Kind::Tag),
        _ => Err(GlanceError::not_found("The resource could not be found.")),
    }
}

/// `GET /v2/metadefs/namespaces/{ns}/{properties|objects|tags}`.
pub async fn list_items(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, what)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let actor = actor(a)?;
    let kind = kind_of(&what)?;
    let items = s.metadefs.items(&actor, &ns, kind).await?;
    Ok(Json(match kind {
        Kind::Property => {
            let prefix = prefix_for(&s, &actor, &ns, q.get("resource_type")).await?;
            let props: Map<String, Value> = items
                .iter()
                .map(|i| (format!("{prefix}{}", i.name), item_json(&ns, kind, i)))
                .collect();
            json!({"properties": props})
        }
        Kind::Object => json!({
            "objects": items.iter().map(|i| item_json(&ns, kind, i)).collect::<Vec<_>>(),
            "schema": "/v2/schemas/metadefs/objects",
        }),
        Kind::Tag => {
            let page = tag_page(items, &q)?;
            json!({"tags": page.iter().map(|i| item_json(&ns, kind, i)).collect::<Vec<_>>()})
        }
    }))
}

/// The name a create or update body gives.
fn named(v: &mut Value) -> Result<String, GlanceError> {
    let name = v
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| GlanceError::bad_request("'name' is a required property"))?;
    if let Some(m) = v.as_object_mut() {
        m.remove("name");
        for k in ["created_at", "updated_at", "self", "schema"] {
            m.remove(k);
        }
    }
    Ok(name)
}

/// `POST /v2/metadefs/namespaces/{ns}/{properties|objects|tags}` (tags: replace all, or append
/// with `X-Openstack-Append: true`).
pub async fn create_item(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, what)): Path<(String, String)>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Created {
    let actor = actor(a)?;
    let kind = kind_of(&what)?;
    let mut v: Value = body(&bytes)?;
    if kind == Kind::Tag {
        let tags: Vec<String> = v
            .get("tags")
            .and_then(Value::as_array)
            .ok_or_else(|| GlanceError::bad_request("'tags' is a required property"))?
            .iter()
            .map(|t| t.get("name").and_then(Value::as_str).map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| GlanceError::bad_request("every tag needs a 'name'"))?;
        let append = headers
            .get("x-openstack-append")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|h| h.eq_ignore_ascii_case("true"));
        let all = s.metadefs.set_tags(&actor, &ns, &tags, append).await?;
        // Glance answers with the tags it was given (with their stored times), not the whole list.
        let list: Vec<Value> = tags
            .iter()
            .filter_map(|t| all.iter().find(|i| i.name == *t))
            .map(|i| item_json(&ns, kind, i))
            .collect();
        return Ok((StatusCode::CREATED, Json(json!({ "tags": list }))));
    }
    let name = named(&mut v)?;
    let item = s.metadefs.create_item(&actor, &ns, kind, &name, v).await?;
    Ok((StatusCode::CREATED, Json(item_json(&ns, kind, &item))))
}

/// `DELETE /v2/metadefs/namespaces/{ns}/{properties|objects|tags}`: deletes them all.
pub async fn delete_items(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, what)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.metadefs
        .delete_items(&actor, &ns, kind_of(&what)?, None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Strips a resource type's prefix from a property name (`?resource_type=`).
async fn unprefixed(
    s: &Services,
    actor: &Actor,
    ns: &str,
    name: String,
    q: &HashMap<String, String>,
) -> Result<String, GlanceError> {
    let prefix = prefix_for(s, actor, ns, q.get("resource_type")).await?;
    Ok(name
        .strip_prefix(prefix.as_str())
        .map(str::to_string)
        .unwrap_or(name))
}

/// `GET /v2/metadefs/namespaces/{ns}/{kind}/{name}`.
pub async fn show_item(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, what, name)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let actor = actor(a)?;
    let kind = kind_of(&what)?;
    let name = unprefixed(&s, &actor, &ns, name, &q).await?;
    let item = s.metadefs.item(&actor, &ns, kind, &name).await?;
    Ok(Json(item_json(&ns, kind, &item)))
}

/// `PUT /v2/metadefs/namespaces/{ns}/{kind}/{name}`: replaces it (a new `name` renames it).
pub async fn update_item(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, what, name)): Path<(String, String, String)>,
    bytes: Bytes,
) -> Answer {
    let actor = actor(a)?;
    let kind = kind_of(&what)?;
    let mut v: Value = body(&bytes)?;
    let new_name = named(&mut v)?;
    let item = s
        .metadefs
        .replace_item(&actor, &ns, kind, &name, &new_name, v)
        .await?;
    Ok(Json(item_json(&ns, kind, &item)))
}

/// `DELETE /v2/metadefs/namespaces/{ns}/{kind}/{name}`.
pub async fn delete_item(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, what, name)): Path<(String, String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.metadefs
        .delete_items(&actor, &ns, kind_of(&what)?, Some(&name))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/metadefs/namespaces/{ns}/tags/{name}`: adds one tag.
pub async fn add_tag(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((ns, name)): Path<(String, String)>,
) -> Created {
    let actor = actor(a)?;
    let item = s
        .metadefs
        .create_item(&actor, &ns, Kind::Tag, &name, json!({}))
        .await?;
    Ok((StatusCode::CREATED, Json(item_json(&ns, Kind::Tag, &item))))
}

/// `GET /v2/metadefs/namespaces/{ns}/tags/{name}`.
pub async fn tag_show(
    s: Extension<Services>,
    a: MaybeActor,
    Path((ns, name)): Path<(String, String)>,
    q: Query<HashMap<String, String>>,
) -> Answer {
    show_item(s, a, Path((ns, "tags".into(), name)), q).await
}

/// `PUT /v2/metadefs/namespaces/{ns}/tags/{name}`: renames the tag.
pub async fn tag_update(
    s: Extension<Services>,
    a: MaybeActor,
    Path((ns, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    update_item(s, a, Path((ns, "tags".into(), name)), bytes).await
}

/// `DELETE /v2/metadefs/namespaces/{ns}/tags/{name}`.
pub async fn tag_delete(
    s: Extension<Services>,
    a: MaybeActor,
    Path((ns, name)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    delete_item(s, a, Path((ns, "tags".into(), name))).await
}

/// `GET …/tags` paging: `sort_key` (created_at, name), `sort_dir`, `marker` (a tag name), `limit`.
fn tag_page(mut items: Vec<Item>, q: &HashMap<String, String>) -> Result<Vec<Item>, GlanceError> {
    match q.get("sort_key").map(String::as_str) {
        None | Some("created_at") => {
            items.sort_by(|a, b| (&a.created_at, &a.name).cmp(&(&b.created_at, &b.name)))
        }
        Some("name") => items.sort_by(|a, b| a.name.cmp(&b.name)),
        Some(k) => {
            return Err(GlanceError::bad_request(format!(
                "Invalid sort key: {k}. It must be one of the following: created_at, name."
            )))
        }
    }
    match q.get("sort_dir").map(String::as_str) {
        None | Some("desc") => items.reverse(),
        Some("asc") => {}
        Some(d) => {
            return Err(GlanceError::bad_request(format!(
                "Invalid sort direction: {d}. It must be one of the following: asc, desc."
            )))
        }
    }
    if let Some(m) = q.get("marker") {
        let at = items
            .iter()
            .position(|i| &i.name == m)
            .ok_or_else(|| GlanceError::not_found(format!("Tag marker {m} could not be found.")))?;
        items.drain(..=at);
    }
    if let Some(l) = q.get("limit") {
        let l = l
            .parse::<usize>()
            .map_err(|_| GlanceError::bad_request("limit param must be an integer"))?;
        items.truncate(l);
    }
    Ok(items)
}
