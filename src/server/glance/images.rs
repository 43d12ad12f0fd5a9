//! `/v2/images` handlers, named after Glance's operations: list, create, show, update, delete,
//! tags and the deactivate/reactivate actions. Each reads the caller, parses, makes one service
//! call and shapes the answer.

use super::error::GlanceError;
use super::{actor, image_id, wire};
use crate::server::identity::principal::MaybeActor;
use crate::server::images::query::ListQuery;
use crate::server::images::service::Change;
use crate::server::state::Services;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

/// The JSON-patch media types Glance accepts: RFC 6902 (v2.1) and the older draft-04 form (v2.0).
const PATCH_TYPE: &str = "application/openstack-images-v2.1-json-patch";
const PATCH_TYPE_V20: &str = "application/openstack-images-v2.0-json-patch";

/// `GET /v2/images`.
pub async fn list(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(raw.as_deref().unwrap_or(""))
        .map_err(|e| GlanceError::bad_request(format!("Invalid query string: {e}")))?;
    let q = ListQuery::parse(&params).map_err(|e| GlanceError::bad_request(e.0))?;
    let images = s.images.list(&actor, &q).await?;
    let kept: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let first = if query.is_empty() {
        "/v2/images".to_string()
    } else {
        format!("/v2/images?{query}")
    };
    let mut body = json!({
        "images": images.iter().map(|i| wire::image(i, s.images.stores().is_named())).collect::<Vec<_>>(),
        "schema": "/v2/schemas/images",
        "first": first,
    });
    if q.limit > 0 && images.len() as i64 == q.limit {
        let last = images.last().map(|i| i.id.to_string()).unwrap_or_default();
        let mut next = kept.clone();
        next.push(("marker".into(), last));
        body["next"] = json!(format!(
            "/v2/images?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        ));
    }
    Ok(Json(body))
}

/// `POST /v2/images`.
pub async fn create(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    body: Bytes,
) -> Result<Response, GlanceError> {
    let actor = actor(a)?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| GlanceError::bad_request(format!("Malformed JSON in request body: {e}")))?;
    let Value::Object(map) = v else {
        return Err(GlanceError::bad_request(
            "Request body must be a JSON object",
        ));
    };
    let img = s.images.create(&actor, map).await?;
    let stores = s.images.stores();
    let mut resp = (
        StatusCode::CREATED,
        Json(wire::image(&img, stores.is_named())),
    )
        .into_response();
    let location = format!("{}/image/v2/images/{}", s.public_url, img.id);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    let methods = s.images.import_methods();
    if !methods.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&methods.join(",")) {
            resp.headers_mut()
                .insert("openstack-image-import-methods", v);
        }
    }
    if stores.is_named() {
        let ids: Vec<&str> = stores.all().map(|st| st.id()).collect();
        if let Ok(v) = HeaderValue::from_str(&ids.join(",")) {
            resp.headers_mut().insert("openstack-image-store-ids", v);
        }
    }
    Ok(resp)
}

/// `DELETE /v2/stores/{store}/{id}`: removes the image's data from one store.
pub async fn delete_from_store(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((store, id)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images
        .delete_from_store(&actor, &store, &image_id(&id)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v2/images/{id}`.
pub async fn show(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let img = s.images.get(&actor, &image_id(&id)?).await?;
    Ok(Json(wire::image(&img, s.images.stores().is_named())))
}

/// `PATCH /v2/images/{id}` with a JSON-patch document.
pub async fn update(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let dialect = match ctype.split(';').next().map(str::trim) {
        Some(PATCH_TYPE) => Dialect::V21,
        Some(PATCH_TYPE_V20) => Dialect::V20,
        _ => {
            return Err(GlanceError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Unsupported Content-Type: {ctype}"),
            )
            .with_header(
                HeaderName::from_static("accept-patch"),
                format!("{PATCH_TYPE_V20}, {PATCH_TYPE}"),
            ))
        }
    };
    let id = image_id(&id)?;
    let changes = parse_patch(&body, dialect)?;
    let img = s.images.update(&actor, &id, changes).await?;
    Ok(Json(wire::image(&img, s.images.stores().is_named())))
}

use axum::http::HeaderName;

/// The two JSON-patch dialects of Glance's PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `application/openstack-images-v2.1-json-patch`: `{"op": "add", "path": "/k", "value": v}`.
    V21,
    /// `application/openstack-images-v2.0-json-patch` (draft 04): `{"add": "/k", "value": v}`;
    /// adding a property that exists is a conflict.
    V20,
}

/// Parses an RFC 6902 subset (or its draft-04 form): add, remove and replace on one-level paths.
pub fn parse_patch(body: &[u8], dialect: Dialect) -> Result<Vec<Change>, GlanceError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| GlanceError::bad_request(format!("Malformed JSON in request body: {e}")))?;
    let ops = v.as_array().ok_or_else(|| {
        GlanceError::bad_request("Request body must be a JSON array of operation objects.")
    })?;
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let obj = op
            .as_object()
            .ok_or_else(|| GlanceError::bad_request("Operations must be JSON objects."))?;
        let (name, path) = match dialect {
            Dialect::V21 => {
                let name = obj.get("op").and_then(Value::as_str).ok_or_else(|| {
                    GlanceError::bad_request("Unable to find 'op' in JSON Schema change")
                })?;
                let path = obj.get("path").and_then(Value::as_str).ok_or_else(|| {
                    GlanceError::bad_request("Unable to find 'path' in JSON Schema change")
                })?;
                (name, path)
            }
            Dialect::V20 => {
                let present: Vec<&str> = ["add", "remove", "replace"]
                    .into_iter()
                    .filter(|k| obj.contains_key(*k))
                    .collect();
                let [name] = present[..] else {
                    return Err(GlanceError::bad_request(
                        "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\".",
                    ));
                };
                let path = obj.get(name).and_then(Value::as_str).ok_or_else(|| {
                    GlanceError::bad_request(format!(
                        "The \"{name}\" member must be a JSON pointer."
                    ))
                })?;
                (name, path)
            }
        };
        let key = parse_pointer(path)?;
        let value = || {
            obj.get("value").cloned().ok_or_else(|| {
                GlanceError::bad_request(format!(
                    "Operation \"{name}\" requires a member named \"value\"."
                ))
            })
        };
        out.push(match name {
            "add" if dialect == Dialect::V20 => Change::AddNew(key, value()?),
            "add" => Change::Add(key, value()?),
            "replace" => Change::Replace(key, value()?),
            "remove" => Change::Remove(key),
            other => {
                return Err(GlanceError::bad_request(format!(
                "Invalid operation: `{other}`: it must be one of \"add\", \"remove\", \"replace\"."
            )))
            }
        });
    }
    Ok(out)
}

fn parse_pointer(path: &str) -> Result<String, GlanceError> {
    let bad = |why: &str| {
        GlanceError::bad_request(format!(
            "Invalid JSON pointer for this resource: '{path}': {why}"
        ))
    };
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| bad("it must start with /"))?;
    if rest.is_empty() || rest.ends_with('/') {
        return Err(bad("it must not be empty or end with /"));
    }
    if rest.contains('/') {
        return Err(bad("nested paths are not allowed"));
    }
    let mut key = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => key.push('~'),
                Some('1') => key.push('/'),
                _ => return Err(bad("~ must be followed by 0 or 1")),
            }
        } else {
            key.push(c);
        }
    }
    Ok(key)
}

/// `DELETE /v2/images/{id}`.
pub async fn delete(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images.delete(&actor, &image_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /v2/images/{id}/tags/{tag}`.
pub async fn add_tag(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images.add_tag(&actor, &image_id(&id)?, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v2/images/{id}/tags/{tag}`.
pub async fn delete_tag(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path((id, tag)): Path<(String, String)>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images.remove_tag(&actor, &image_id(&id)?, &tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/images/{id}/actions/deactivate`.
pub async fn deactivate(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images.set_active(&actor, &image_id(&id)?, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v2/images/{id}/actions/reactivate`.
pub async fn reactivate(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<StatusCode, GlanceError> {
    let actor = actor(a)?;
    s.images.set_active(&actor, &image_id(&id)?, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_documents_parse() {
        let c = parse_patch(br#"[{"op":"add","path":"/a~1b","value":"1"},{"op":"remove","path":"/c~0d"},{"op":"replace","path":"/name","value":"n"}]"#, Dialect::V21).unwrap();
        assert_eq!(c[0], Change::Add("a/b".into(), json!("1")));
        assert_eq!(c[1], Change::Remove("c~d".into()));
        for bad in [
            &br#"{"op":"add"}"#[..],
            br#"[{"op":"move","path":"/a","value":1}]"#,
            br#"[{"op":"add","path":"a","value":1}]"#,
            br#"[{"op":"add","path":"/a/b","value":1}]"#,
            br#"[{"op":"add","path":"/a"}]"#,
            br#"[{"op":"add","path":"/a~2","value":1}]"#,
            b"not json",
        ] {
            assert!(
                parse_patch(bad, Dialect::V21).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let c = parse_patch(
            br#"[{"add":"/a","value":"1"},{"remove":"/b"},{"replace":"/name","value":"n"}]"#,
            Dialect::V20,
        )
        .unwrap();
        assert_eq!(c[0], Change::AddNew("a".into(), json!("1")));
        assert_eq!(c[1], Change::Remove("b".into()));
        assert_eq!(c[2], Change::Replace("name".into(), json!("n")));
        for bad in [
            &br#"[{"op":"add","path":"/a","value":"1"}]"#[..],
            br#"[{"add":"/a","remove":"/b","value":"1"}]"#,
            br#"[{"add":5,"value":"1"}]"#,
        ] {
            assert!(
                parse_patch(bad, Dialect::V20).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
