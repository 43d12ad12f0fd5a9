//! `/v2/images` handlers, named after Glance's operations: list, create, show, update, delete,
//! tags and the deactivate/reactivate actions. Each reads the caller, parses, makes one service
//! call and shapes the answer.

use super::error::GlanceError;
use super::{actor, image_id, wire};
use crate::domain::image::{ImageStatus, Visibility};
use crate::server::clock;
use crate::server::identity::principal::MaybeActor;
use crate::server::images::query::{Cmp, ListQuery, MemberStatusFilter, SortKey, VisibilityFilter};
use crate::server::images::service::Change;
use crate::server::state::Services;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

/// Glance's page size limit.
pub const LIMIT_MAX: i64 = 1000;
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
    let q = parse_list(&params)?;
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
        "images": images.iter().map(wire::image).collect::<Vec<_>>(),
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

fn parse_bool(key: &str, v: &str) -> Result<bool, GlanceError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(GlanceError::bad_request(format!(
            "Invalid value '{v}' for '{key}': expected true or false"
        ))),
    }
}

fn parse_int(key: &str, v: &str) -> Result<i64, GlanceError> {
    v.parse::<i64>()
        .map_err(|_| GlanceError::bad_request(format!("{key} param must be an integer")))
}

/// `in:a,b,"c,d"` -> [a, b, "c,d"]; `eq:x` and plain values -> [x]; other operators are refused.
fn parse_in(key: &str, v: &str) -> Result<Vec<String>, GlanceError> {
    if let Some(list) = v.strip_prefix("in:") {
        let mut out = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for c in list.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        return Ok(out);
    }
    if let Some(x) = v.strip_prefix("eq:") {
        return Ok(vec![x.to_string()]);
    }
    if let Some((op, _)) = v.split_once(':') {
        if ["neq", "gt", "gte", "lt", "lte"].contains(&op) {
            return Err(GlanceError::bad_request(format!(
                "Unable to filter on {key} using operator '{op}'"
            )));
        }
    }
    Ok(vec![v.to_string()])
}

fn parse_time_filter(key: &str, v: &str) -> Result<(Cmp, String), GlanceError> {
    let (op, ts) = match v.split_once(':') {
        Some((op, rest)) if ["gt", "gte", "lt", "lte", "eq", "neq"].contains(&op) => (op, rest),
        _ => ("eq", v),
    };
    let cmp = match op {
        "gt" => Cmp::Gt,
        "gte" => Cmp::Gte,
        "lt" => Cmp::Lt,
        "lte" => Cmp::Lte,
        "neq" => Cmp::Neq,
        _ => Cmp::Eq,
    };
    let t = time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .or_else(|_| {
            time::OffsetDateTime::parse(
                &format!("{ts}Z"),
                &time::format_description::well_known::Rfc3339,
            )
        })
        .map_err(|_| GlanceError::bad_request(format!("Invalid time format for {key}: {ts}")))?;
    Ok((cmp, clock::stored(t.to_offset(time::UtcOffset::UTC))))
}

/// Parses Glance's list parameters.
pub fn parse_list(params: &[(String, String)]) -> Result<ListQuery, GlanceError> {
    let mut q = ListQuery::default();
    let (mut sort_keys, mut sort_dirs, mut sort) = (vec![], vec![], None);
    for (k, v) in params {
        match k.as_str() {
            "limit" => {
                let n = parse_int("limit", v)?;
                if n < 0 {
                    return Err(GlanceError::bad_request("limit param must be positive"));
                }
                q.limit = n.min(LIMIT_MAX);
            }
            "marker" => {
                q.marker = Some(
                    v.parse()
                        .map_err(|_| GlanceError::bad_request(format!("marker {v} not found")))?,
                );
            }
            "sort_key" => sort_keys.push(v.clone()),
            "sort_dir" => sort_dirs.push(v.clone()),
            "sort" => sort = Some(v.clone()),
            "name" | "id" | "disk_format" | "container_format" => {
                let col: &'static str = match k.as_str() {
                    "name" => "name",
                    "id" => "id",
                    "disk_format" => "disk_format",
                    _ => "container_format",
                };
                q.columns.push((col, parse_in(k, v)?));
            }
            "status" => {
                let values = parse_in(k, v)?;
                for s in &values {
                    if ImageStatus::parse(s).is_none() {
                        return Err(GlanceError::bad_request(format!(
                            "Invalid status value: {s}"
                        )));
                    }
                }
                q.columns.push(("status", values));
            }
            "owner" => q.columns.push(("owner", vec![v.clone()])),
            "checksum" => q.columns.push(("checksum", vec![v.clone()])),
            "os_hash_value" => q.columns.push(("os_hash_value", vec![v.clone()])),
            "created_at" => q.created_at.push(parse_time_filter(k, v)?),
            "updated_at" => q.updated_at.push(parse_time_filter(k, v)?),
            "size_min" => q.size_min = Some(parse_int(k, v)?),
            "size_max" => q.size_max = Some(parse_int(k, v)?),
            "tag" => q.tags.push(v.clone()),
            "protected" => q.protected = Some(parse_bool(k, v)?),
            "os_hidden" => q.os_hidden = parse_bool(k, v)?,
            "visibility" => {
                q.visibility = Some(match v.as_str() {
                    "all" => VisibilityFilter::All,
                    other => VisibilityFilter::Only(Visibility::parse(other).ok_or_else(|| {
                        GlanceError::bad_request(format!("Invalid visibility value: {other}"))
                    })?),
                })
            }
            "member_status" => {
                q.member_status = match v.as_str() {
                    "pending" => MemberStatusFilter::Pending,
                    "accepted" => MemberStatusFilter::Accepted,
                    "rejected" => MemberStatusFilter::Rejected,
                    "all" => MemberStatusFilter::All,
                    other => {
                        return Err(GlanceError::bad_request(format!("Invalid status: {other}")))
                    }
                }
            }
            "changes-since" => {
                return Err(GlanceError::bad_request(
                    "The 'changes-since' filter is no longer available on v2.",
                ))
            }
            _ => q.properties.push((k.clone(), v.clone())),
        }
    }
    if let Some(sort) = sort {
        if !sort_keys.is_empty() || !sort_dirs.is_empty() {
            return Err(GlanceError::bad_request(
                "The 'sort' parameter cannot be combined with sort_key or sort_dir.",
            ));
        }
        for part in sort.split(',').filter(|p| !p.is_empty()) {
            let (key, dir) = part.split_once(':').unwrap_or((part, "desc"));
            q.sort.push((sort_key(key.trim())?, sort_desc(dir.trim())?));
        }
    } else {
        if sort_dirs.len() > 1 && sort_dirs.len() != sort_keys.len() {
            return Err(GlanceError::bad_request(
                "Number of sort dirs does not match the number of sort keys",
            ));
        }
        for (i, key) in sort_keys.iter().enumerate() {
            let dir = sort_dirs
                .get(i)
                .or(sort_dirs.first())
                .map(String::as_str)
                .unwrap_or("desc");
            q.sort.push((sort_key(key)?, sort_desc(dir)?));
        }
        if sort_keys.is_empty() {
            if let Some(dir) = sort_dirs.first() {
                q.sort.push((SortKey::CreatedAt, sort_desc(dir)?));
            }
        }
    }
    Ok(q)
}

fn sort_key(k: &str) -> Result<SortKey, GlanceError> {
    SortKey::parse(k).ok_or_else(|| GlanceError::bad_request(format!("Invalid sort key: {k}. It should be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.")))
}

fn sort_desc(d: &str) -> Result<bool, GlanceError> {
    match d {
        "asc" => Ok(false),
        "desc" => Ok(true),
        other => Err(GlanceError::bad_request(format!(
            "Invalid sort direction: {other}"
        ))),
    }
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
    let mut resp = (StatusCode::CREATED, Json(wire::image(&img))).into_response();
    let location = format!("{}/image/v2/images/{}", s.public_url, img.id);
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `GET /v2/images/{id}`.
pub async fn show(
    Extension(s): Extension<Services>,
    a: MaybeActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let img = s.images.get(&actor, &image_id(&id)?).await?;
    Ok(Json(wire::image(&img)))
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
    Ok(Json(wire::image(&img)))
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

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn list_parameters_parse_or_fail_with_400() {
        let q = parse_list(&p(&[
            ("limit", "5000"),
            ("name", "in:a,\"b,c\""),
            ("tag", "x"),
            ("tag", "y"),
            ("os_distro", "ubuntu"),
        ]))
        .unwrap();
        assert_eq!(q.limit, LIMIT_MAX);
        assert_eq!(q.columns[0].1, vec!["a".to_string(), "b,c".to_string()]);
        assert_eq!(q.tags.len(), 2);
        assert_eq!(
            q.properties,
            vec![("os_distro".to_string(), "ubuntu".to_string())]
        );
        let q = parse_list(&p(&[("sort", "name:asc,size")])).unwrap();
        assert_eq!(q.sort, vec![(SortKey::Name, false), (SortKey::Size, true)]);
        for bad in [
            vec![("limit", "x")],
            vec![("limit", "-1")],
            vec![("marker", "nope")],
            vec![("sort_key", "owner")],
            vec![("sort_dir", "up")],
            vec![("sort", "name"), ("sort_key", "size")],
            vec![("status", "bogus")],
            vec![("visibility", "secret")],
            vec![("protected", "maybe")],
            vec![("created_at", "gt:yesterday")],
            vec![("name", "gt:a")],
            vec![("size_min", "big")],
            vec![("changes-since", "2020-01-01T00:00:00Z")],
            vec![("member_status", "x")],
        ] {
            assert!(parse_list(&p(&bad)).is_err(), "{bad:?}");
        }
    }

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
