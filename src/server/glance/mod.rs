//! The OpenStack Image API v2 under `/image`, as Glance serves it: version discovery, schemas,
//! images, image data, tags, members, actions, and import with its tasks. Handlers are named after Glance's operations and stay
//! thin: `ImageService` holds every rule. Error bodies are negotiated in `error`.

pub mod error;
pub mod image_data;
pub mod images;
pub mod members;
pub mod metadefs;
pub mod schemas;
pub mod tasks;
pub mod wire;

use crate::domain::ids::ImageId;
use crate::domain::policy::Actor;
use crate::server::identity::principal::MaybeActor;
use crate::server::state::Services;
use axum::extract::DefaultBodyLimit;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use error::GlanceError;
use serde_json::{json, Value};
use tower::ServiceExt;

/// The `/image` routes. As in Glance's version negotiation, a path under `v2.N` (a served minor
/// version) is the same as under `v2`, and a path under any other first segment (`v1`, `v3`, …)
/// answers 300 with the versions document.
pub fn router() -> Router {
    let plain =
        routes().fallback(|| async { GlanceError::not_found("The resource could not be found.") });
    routes()
        .fallback(move |req: Request| other_version(plain.clone(), req))
        .layer(axum::middleware::from_fn(error::negotiate))
}

/// What the routes did not match: `v2.N/...` is served as `v2/...`; an unknown resource under
/// `v2` is 404; anything else is a version this server does not speak: 300 and the versions.
async fn other_version(plain: Router, mut req: Request) -> Response {
    let path = req.uri().path().to_string();
    let rest = path.trim_start_matches('/');
    let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
    if first == "v2" {
        return GlanceError::not_found("The resource could not be found.").into_response();
    }
    if VERSIONS.iter().any(|(id, _)| *id == first) {
        let query = req
            .uri()
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        if let Ok(uri) = format!("/v2/{tail}{query}").parse() {
            *req.uri_mut() = uri;
            return match plain.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
        }
    }
    match req.extensions().get::<Services>() {
        Some(s) => versions_root(Extension(s.clone())).await,
        None => GlanceError::not_found("The resource could not be found.").into_response(),
    }
}

fn routes() -> Router {
    Router::new()
        .route("/", get(versions_root))
        .route("/versions", get(versions))
        .route("/v2", get(versions_root))
        .route("/v2/", get(versions_root))
        .route("/v2/schemas/image", get(schemas::image))
        .route("/v2/schemas/images", get(schemas::images))
        .route("/v2/schemas/member", get(schemas::member))
        .route("/v2/schemas/members", get(schemas::members))
        .route("/v2/schemas/task", get(schemas::task))
        .route("/v2/schemas/tasks", get(schemas::tasks))
        .route("/v2/schemas/metadefs/{name}", get(schemas::metadefs))
        .route("/v2/info/import", get(import_info).layer(no_body()))
        .route("/v2/info/usage", get(usage).layer(no_body()))
        .route("/v2/info/stores", get(stores_info).layer(no_body()))
        .route(
            "/v2/info/stores/detail",
            get(stores_detail).layer(no_body()),
        )
        .route(
            "/v2/stores/{store}/{id}",
            axum::routing::delete(images::delete_from_store).layer(no_body()),
        )
        .route("/v2/images", get(images::list).post(images::create))
        .route(
            "/v2/metadefs/namespaces",
            get(metadefs::list_namespaces).post(metadefs::create_namespace),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}",
            get(metadefs::show_namespace)
                .put(metadefs::update_namespace)
                .delete(metadefs::delete_namespace),
        )
        .route("/v2/metadefs/resource_types", get(metadefs::resource_types))
        .route(
            "/v2/metadefs/namespaces/{ns}/resource_types",
            get(metadefs::associations).post(metadefs::associate),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/resource_types/{rt}",
            axum::routing::delete(metadefs::dissociate),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/tags/{name}",
            get(metadefs::tag_show)
                .post(metadefs::add_tag)
                .put(metadefs::tag_update)
                .delete(metadefs::tag_delete),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/{kind}",
            get(metadefs::list_items)
                .post(metadefs::create_item)
                .delete(metadefs::delete_items),
        )
        .route(
            "/v2/metadefs/namespaces/{ns}/{kind}/{name}",
            get(metadefs::show_item)
                .put(metadefs::update_item)
                .delete(metadefs::delete_item),
        )
        .route(
            "/v2/images/{id}",
            get(images::show)
                .patch(images::update)
                .delete(images::delete),
        )
        .route(
            "/v2/images/{id}/file",
            get(image_data::download)
                .layer(no_body())
                .put(image_data::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/v2/images/{id}/stage",
            axum::routing::put(tasks::stage).layer(DefaultBodyLimit::disable()),
        )
        .route("/v2/images/{id}/import", post(tasks::import))
        .route(
            "/v2/images/{id}/tasks",
            get(tasks::image_tasks).layer(no_body()),
        )
        .route("/v2/tasks", get(tasks::list).layer(no_body()))
        .route("/v2/tasks/{id}", get(tasks::show).layer(no_body()))
        .route(
            "/v2/images/{id}/tags/{tag}",
            delete(images::delete_tag)
                .layer(no_body())
                .put(images::add_tag),
        )
        .route(
            "/v2/images/{id}/members",
            get(members::index).layer(no_body()).post(members::create),
        )
        .route(
            "/v2/images/{id}/members/{member}",
            get(members::show)
                .delete(members::delete)
                .layer(no_body())
                .put(members::update),
        )
        .route(
            "/v2/images/{id}/actions/deactivate",
            post(images::deactivate).layer(no_body()),
        )
        .route(
            "/v2/images/{id}/actions/reactivate",
            post(images::reactivate).layer(no_body()),
        )
}

/// Glance's `body_reject`: these calls take no body, and one sent anyway is refused with 400.
type RejectBody =
    fn(Request, axum::middleware::Next) -> futures::future::BoxFuture<'static, Response>;

fn no_body() -> axum::middleware::FromFnLayer<RejectBody, (), (Request,)> {
    axum::middleware::from_fn(reject_body)
}

fn reject_body(
    req: Request,
    next: axum::middleware::Next,
) -> futures::future::BoxFuture<'static, Response> {
    use axum::body::HttpBody;
    // A body with a length above zero, or a chunked one (its end not known yet).
    let has_body = !req.body().is_end_stream();
    Box::pin(async move {
        if has_body {
            return GlanceError::bad_request("A body is not expected with this request.")
                .into_response();
        }
        next.run(req).await
    })
}

/// The caller, or 401.
pub fn actor(a: MaybeActor) -> Result<Actor, GlanceError> {
    a.0.ok_or_else(GlanceError::unauthorized)
}

/// An image id from the path; anything that is not one is simply not found.
pub fn image_id(s: &str) -> Result<ImageId, GlanceError> {
    ImageId::parse(s).map_err(|_| GlanceError::not_found(format!("No image found with ID {s}")))
}

/// Versions this server speaks. As in Glance, v2.12 (an image's tasks) is the current one with
/// or without multi-store, and v2.8 (stores) to v2.11 (copy-image) are listed only with it (the
/// settings name the stores).
const VERSIONS: [(&str, &str); 13] = [
    ("v2.12", "CURRENT"),
    ("v2.11", "SUPPORTED"),
    ("v2.10", "SUPPORTED"),
    ("v2.9", "SUPPORTED"),
    ("v2.8", "SUPPORTED"),
    ("v2.7", "SUPPORTED"),
    ("v2.6", "SUPPORTED"),
    ("v2.5", "SUPPORTED"),
    ("v2.4", "SUPPORTED"),
    ("v2.3", "SUPPORTED"),
    ("v2.2", "SUPPORTED"),
    ("v2.1", "SUPPORTED"),
    ("v2.0", "SUPPORTED"),
];

/// The versions served: without multi-store, v2.12 and then v2.7 down.
fn served(s: &Services) -> Vec<(&'static str, &'static str)> {
    if s.images.stores().is_named() {
        VERSIONS.to_vec()
    } else {
        VERSIONS[..1]
            .iter()
            .chain(&VERSIONS[5..])
            .copied()
            .collect()
    }
}

fn version_doc(s: &Services) -> Value {
    let href = format!("{}/image/v2/", s.public_url);
    let list: Vec<Value> = served(s)
        .iter()
        .map(|(id, status)| json!({"id": id, "status": status, "links": [{"rel": "self", "href": href}]}))
        .collect();
    json!({ "versions": list })
}

/// `GET /v2/info/stores`: the stores (404 without multi-store).
async fn stores_info(
    Extension(s): Extension<Services>,
    a: MaybeActor,
) -> Result<Json<Value>, GlanceError> {
    stores_json(&s, a, false)
}

/// `GET /v2/info/stores/detail` (admins): also each store's type.
async fn stores_detail(
    Extension(s): Extension<Services>,
    a: MaybeActor,
) -> Result<Json<Value>, GlanceError> {
    stores_json(&s, a, true)
}

fn stores_json(s: &Services, a: MaybeActor, detail: bool) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let stores = s.images.store_infos(&actor, detail)?;
    let list: Vec<Value> = stores
        .iter()
        .map(|st| {
            let mut v = json!({"id": st.id});
            if let Some(d) = &st.description {
                v["description"] = json!(d);
            }
            if st.default {
                v["default"] = json!("true");
            }
            if detail {
                v["type"] = json!(st.kind);
                v["weight"] = json!(0);
                v["properties"] = json!({});
            }
            v
        })
        .collect();
    Ok(Json(json!({ "stores": list })))
}

/// `GET /image` (and `/image/`, `/image/v2`): the version list with 300, as Glance answers.
pub async fn versions_root(Extension(s): Extension<Services>) -> Response {
    (StatusCode::MULTIPLE_CHOICES, Json(version_doc(&s))).into_response()
}

async fn versions(Extension(s): Extension<Services>) -> Json<Value> {
    Json(version_doc(&s))
}

/// `GET /v2/info/import`: the enabled import methods.
async fn import_info(Extension(s): Extension<Services>) -> Json<Value> {
    Json(
        json!({"import-methods": {"description": "Import methods available.", "type": "array", "value": s.images.import_methods()}}),
    )
}

/// `GET /v2/info/usage`: the caller's project against its limits (sizes in MiB, -1 = unlimited).
async fn usage(
    Extension(s): Extension<Services>,
    a: MaybeActor,
) -> Result<Json<Value>, GlanceError> {
    let actor = actor(a)?;
    let u = s.images.usage(&actor).await?;
    let entry = |limit: i64, usage: i64| json!({"limit": limit, "usage": usage});
    Ok(Json(json!({"usage": {
        "image_size_total": entry(u.size_limit, u.size_bytes / (1 << 20)),
        "image_stage_total": entry(u.stage_limit, 0),
        "image_count_total": entry(u.count_limit, u.count),
        "image_count_uploading": entry(u.uploading_limit, u.uploading),
    }})))
}
