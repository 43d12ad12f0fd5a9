//! Differences a user moving from Glance would hit, each checked against Glance's answer:
//! unserved versions, the image schema, the v2.0 patch dialect, members of non-shared images and
//! the metadefs tag append.

use crate::support::{Api, TestApp, PATCH, PUBLIC_URL};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

const PATCH_V20: &str = "application/openstack-images-v2.0-json-patch";

#[tokio::test]
async fn unserved_versions_answer_300_and_minor_versions_are_v2() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let img = api.create(json!({"name": "versioned"})).await;
    let id = img["id"].as_str().unwrap();
    for path in [
        "/v1/images",
        "/v3/images/x",
        "/v1",
        "/v2.99/images",
        "/nonsense",
    ] {
        let a = api.call(Method::GET, path, None).await;
        assert_eq!(
            a.status,
            StatusCode::MULTIPLE_CHOICES,
            "{path}: {}",
            a.text()
        );
        assert_eq!(
            a.json()["versions"][0]["links"][0]["href"],
            format!("{PUBLIC_URL}/image/v2/"),
            "{path}"
        );
    }
    // Glance serves v2.N paths as v2 for every minor version it lists.
    let a = api
        .call(Method::GET, &format!("/v2.1/images/{id}"), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    assert_eq!(a.json()["name"], "versioned");
    let listed = api
        .call(Method::GET, "/v2.7/images?name=versioned", None)
        .await;
    assert_eq!(listed.json()["images"][0]["id"], id);
    // An unknown resource under v2 is still 404, with Glance's JSON error body.
    let a = api.call(Method::GET, "/v2/nothing-here", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["code"], "404 Not Found");
    let a = api
        .call(
            Method::GET,
            &format!("/v2.3/images/{}", uuid_other(id)),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["message"]
        .as_str()
        .unwrap()
        .contains("No image found"));
}

fn uuid_other(id: &str) -> String {
    let mut s = id.to_string();
    let last = if s.ends_with('0') { "1" } else { "0" };
    s.replace_range(s.len() - 1.., last);
    s
}

#[tokio::test]
async fn image_schema_lists_every_property_glance_lists() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let schema = api
        .call(Method::GET, "/v2/schemas/image", None)
        .await
        .json();
    let props = schema["properties"].as_object().unwrap();
    // Glance's get_base_properties plus its etc/schema-image.json.
    for key in [
        "id",
        "name",
        "status",
        "visibility",
        "protected",
        "os_hidden",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
        "owner",
        "size",
        "virtual_size",
        "container_format",
        "disk_format",
        "created_at",
        "updated_at",
        "tags",
        "direct_url",
        "min_ram",
        "min_disk",
        "self",
        "file",
        "stores",
        "schema",
        "locations",
        "kernel_id",
        "ramdisk_id",
        "instance_uuid",
        "architecture",
        "os_distro",
        "os_version",
        "description",
        "cinder_encryption_key_id",
        "cinder_encryption_key_deletion_policy",
    ] {
        assert!(
            props.contains_key(key),
            "{key} is missing from the image schema"
        );
    }
    let loc = &props["locations"];
    assert_eq!(loc["type"], "array");
    assert_eq!(loc["items"]["required"], json!(["url", "metadata"]));
    // The feature behind it is Glance's show_multiple_locations=False: PATCH on it is refused.
    let img = api.create(json!({"name": "l"})).await;
    let a = api
        .patch(
            img["id"].as_str().unwrap(),
            json!([{"op": "add", "path": "/locations", "value": []}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());
    // The images schema carries the same item schema.
    let images = api
        .call(Method::GET, "/v2/schemas/images", None)
        .await
        .json();
    assert_eq!(
        images["properties"]["images"]["items"]["properties"]["locations"],
        *loc
    );
}

async fn patch_as(api: &Api<'_>, id: &str, ctype: &str, ops: Value) -> crate::support::Answer {
    let req = Request::builder()
        .method(Method::PATCH)
        .uri(format!("/image/v2/images/{id}"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::ACCEPT, "application/json")
        .body(Body::from(ops.to_string()))
        .unwrap();
    api.app.send(req).await
}

#[tokio::test]
async fn patch_in_the_older_v2_0_dialect() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let img = api
        .create(json!({"name": "old", "os_distro": "cirros"}))
        .await;
    let id = img["id"].as_str().unwrap();

    let a = patch_as(
        &api,
        id,
        PATCH_V20,
        json!([{"replace": "/name", "value": "renamed"}, {"add": "/os_version", "value": "0.6"},
               {"remove": "/os_distro"}]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    let v = a.json();
    assert_eq!(v["name"], "renamed");
    assert_eq!(v["os_version"], "0.6");
    assert!(v.get("os_distro").is_none());

    // Adding what exists is a conflict in v2.0 (base properties always exist)…
    for path in ["/os_version", "/name"] {
        let a = patch_as(&api, id, PATCH_V20, json!([{"add": path, "value": "x"}])).await;
        assert_eq!(a.status, StatusCode::CONFLICT, "{path}: {}", a.text());
        assert!(a.json()["message"]
            .as_str()
            .unwrap()
            .contains("already present"));
    }
    // …and nothing of a refused document is kept.
    let a = patch_as(
        &api,
        id,
        PATCH_V20,
        json!([{"add": "/fresh", "value": "1"}, {"add": "/os_version", "value": "x"}]),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let now = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert!(now.get("fresh").is_none());
    assert_eq!(now["os_version"], "0.6");
    // …while v2.1 overwrites it.
    let a = patch_as(
        &api,
        id,
        PATCH,
        json!([{"op": "add", "path": "/os_version", "value": "0.7"}]),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["os_version"], "0.7");

    // The v2.0 shape is required under its media type, and the v2.1 shape under its own.
    for (ctype, ops) in [
        (
            PATCH_V20,
            json!([{"op": "replace", "path": "/name", "value": "n"}]),
        ),
        (
            PATCH_V20,
            json!([{"add": "/a", "remove": "/b", "value": "1"}]),
        ),
        (PATCH, json!([{"replace": "/name", "value": "n"}])),
    ] {
        let a = patch_as(&api, id, ctype, ops.clone()).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{ctype} {ops}");
    }
    // Read-only keys are 403 in both dialects; removing a missing one is 409.
    let a = patch_as(
        &api,
        id,
        PATCH_V20,
        json!([{"replace": "/status", "value": "active"}]),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = patch_as(&api, id, PATCH_V20, json!([{"remove": "/nope"}])).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    // Any other media type: 415 naming both dialects.
    let a = patch_as(&api, id, "application/json", json!([])).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let accept = a.header("accept-patch").unwrap();
    assert!(
        accept.contains(PATCH) && accept.contains(PATCH_V20),
        "{accept}"
    );
}

#[tokio::test]
async fn members_of_an_image_that_is_not_shared_are_403() {
    let app = TestApp::new().await;
    let owner = Api::member(&app, "alpha", "alice").await;
    let other = Api::member(&app, "beta", "bob").await;
    let beta = project_of(&other).await;
    let admin = Api::admin(&app).await;
    for visibility in ["private", "public", "community"] {
        let api = if visibility == "public" {
            &admin
        } else {
            &owner
        };
        let img = api
            .create(json!({"name": visibility, "visibility": visibility}))
            .await;
        let id = img["id"].as_str().unwrap();
        let a = api
            .call(Method::GET, &format!("/v2/images/{id}/members"), None)
            .await;
        assert_eq!(
            a.status,
            StatusCode::FORBIDDEN,
            "{visibility}: {}",
            a.text()
        );
        assert!(a.json()["message"]
            .as_str()
            .unwrap()
            .contains("Only shared images have members"));
        let a = api
            .call(
                Method::GET,
                &format!("/v2/images/{id}/members/{beta}"),
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{visibility}");
    }
    // An image the caller cannot see is still 404, not 403.
    let hidden = owner
        .create(json!({"name": "p", "visibility": "private"}))
        .await;
    let a = other
        .call(
            Method::GET,
            &format!("/v2/images/{}/members", hidden["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    // A shared image lists its members (none yet).
    let shared = owner.create(json!({"name": "s"})).await;
    let a = owner
        .call(
            Method::GET,
            &format!("/v2/images/{}/members", shared["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["members"], json!([]));
}

/// The project id behind an `Api`'s token, read from an image it creates.
async fn project_of(api: &Api<'_>) -> String {
    let img = api.create(json!({"name": "whose"})).await;
    img["owner"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn appending_metadef_tags_answers_with_the_tags_given() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let a = api
        .call(
            Method::POST,
            "/v2/metadefs/namespaces",
            Some(json!({"namespace": "Tagged"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let post = |append: bool, names: &[&str]| {
        let body = json!({"tags": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/image/v2/metadefs/namespaces/Tagged/tags")
            .header("x-auth-token", &api.token)
            .header(header::CONTENT_TYPE, "application/json");
        if append {
            b = b.header("x-openstack-append", "True");
        }
        b.body(Body::from(body.to_string())).unwrap()
    };
    let names = |v: &Value| -> Vec<String> {
        v["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_string())
            .collect()
    };
    let a = app.send(post(false, &["a", "b"])).await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(names(&a.json()), ["a", "b"]);
    let a = app.send(post(true, &["c", "d"])).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    assert_eq!(names(&a.json()), ["c", "d"]);
    assert!(a.json()["tags"][0]["created_at"].is_string());
    let all = api
        .call(Method::GET, "/v2/metadefs/namespaces/Tagged/tags", None)
        .await
        .json();
    let mut listed = names(&all);
    listed.sort();
    assert_eq!(listed, ["a", "b", "c", "d"]);
    // Without the header the given tags replace the others, and the answer is those tags.
    let a = app.send(post(false, &["e"])).await;
    assert_eq!(names(&a.json()), ["e"]);
    let all = api
        .call(Method::GET, "/v2/metadefs/namespaces/Tagged/tags", None)
        .await
        .json();
    assert_eq!(names(&all), ["e"]);
}

#[tokio::test]
async fn task_schemas_and_inbound_request_ids_as_glance() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let task = api.call(Method::GET, "/v2/schemas/task", None).await;
    assert_eq!(task.status, StatusCode::OK);
    assert_eq!(task.json()["name"], "task");
    assert!(task.json()["properties"]["status"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("processing")));
    let tasks = api
        .call(Method::GET, "/v2/schemas/tasks", None)
        .await
        .json();
    assert_eq!(tasks["properties"]["tasks"]["items"], task.json());

    let with_id = |id: &str| {
        Request::builder()
            .uri("/image/versions")
            .header("x-openstack-request-id", id)
            .body(Body::empty())
            .unwrap()
    };
    let a = app.send(with_id("abc-123")).await;
    assert_eq!(a.header("x-openstack-request-id").unwrap(), "req-abc-123");
    let a = app.send(with_id("req-given")).await;
    assert_eq!(a.header("x-openstack-request-id").unwrap(), "req-given");
    let a = app.send(with_id(&"x".repeat(65))).await;
    assert_eq!(a.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let a = app.send(with_id(&"x".repeat(60))).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn calls_that_take_no_body_refuse_one() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let img = api.create(json!({"name": "nobody", "tags": ["t"]})).await;
    let id = img["id"].as_str().unwrap();
    let with_body = |method: Method, path: String| {
        Request::builder()
            .method(method)
            .uri(format!("/image{path}"))
            .header("x-auth-token", &api.token)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{\"unexpected\": true}"))
            .unwrap()
    };
    for (method, path) in [
        (Method::GET, format!("/v2/images/{id}/file")),
        (Method::GET, format!("/v2/images/{id}/members")),
        (Method::DELETE, format!("/v2/images/{id}/tags/t")),
        (Method::POST, format!("/v2/images/{id}/actions/deactivate")),
        (Method::GET, "/v2/info/usage".to_string()),
    ] {
        let a = app.send(with_body(method.clone(), path.clone())).await;
        assert_eq!(
            a.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            a.text()
        );
        assert!(a.json()["message"]
            .as_str()
            .unwrap()
            .contains("A body is not expected"));
    }
    // The tag is still there, and the same calls without a body work.
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{id}/tags/t"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::GET, "/v2/info/usage", None).await.status,
        StatusCode::OK
    );
}
