//! The Image API v2 under /image, in-process on a temp data dir: discovery, schemas, create,
//! show, update, list, tags, actions, upload, download and delete, with good and bad input.

use crate::support;
use crate::support::{Api, TestApp, PATCH, PUBLIC_URL};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use glimpse::domain::identity::Role;
use md5::Md5;
use serde_json::{json, Value};
use sha2::{Digest, Sha512};

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn version_discovery_and_schemas() {
    let app = TestApp::new().await;
    let a = app.json(Method::GET, "/image", None, None).await;
    assert_eq!(a.status, StatusCode::MULTIPLE_CHOICES);
    assert_eq!(
        a.json()["versions"][0]["links"][0]["href"],
        format!("{PUBLIC_URL}/image/v2/")
    );
    assert_eq!(a.json()["versions"][0]["status"], "CURRENT");
    assert_eq!(
        app.json(Method::GET, "/image/versions", None, None)
            .await
            .status,
        StatusCode::OK
    );
    let api = Api::admin(&app).await;
    for s in ["image", "images", "member", "members"] {
        let a = api
            .call(Method::GET, &format!("/v2/schemas/{s}"), None)
            .await;
        assert_eq!(a.status, StatusCode::OK, "{s}");
        assert_eq!(a.json()["name"], s);
    }
    let image = api
        .call(Method::GET, "/v2/schemas/image", None)
        .await
        .json();
    assert_eq!(image["additionalProperties"]["type"], "string");
    assert!(image["properties"]["disk_format"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("qcow2")));
}

#[tokio::test]
async fn create_show_and_every_base_field() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let a = api
        .call(
            Method::POST,
            "/v2/images",
            Some(json!({"name": "cirros", "disk_format": "qcow2", "container_format": "bare", "min_ram": 64,
                        "tags": ["a", "b", "a"], "os_distro": "cirros", "owner_specified.openstack.md5": "abc"})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let img = a.json();
    let id = img["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.header("location").unwrap(),
        format!("{PUBLIC_URL}/image/v2/images/{id}")
    );
    assert!(a.header("x-openstack-request-id").is_some());
    for key in [
        "size",
        "virtual_size",
        "checksum",
        "os_hash_algo",
        "os_hash_value",
    ] {
        assert!(img[key].is_null(), "{key} present and null");
    }
    assert_eq!(img["status"], "queued");
    assert_eq!(img["visibility"], "shared");
    assert_eq!(img["protected"], false);
    assert_eq!(img["os_hidden"], false);
    assert_eq!(img["min_ram"], 64);
    assert_eq!(img["min_disk"], 0);
    assert_eq!(img["tags"], json!(["a", "b"]));
    assert_eq!(img["os_distro"], "cirros");
    assert_eq!(img["owner_specified.openstack.md5"], "abc");
    assert_eq!(img["self"], format!("/v2/images/{id}"));
    assert_eq!(img["file"], format!("/v2/images/{id}/file"));
    assert_eq!(img["schema"], "/v2/schemas/image");
    assert_eq!(img["created_at"].as_str().unwrap().len(), 20);
    let shown = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await;
    assert_eq!(shown.status, StatusCode::OK);
    assert_eq!(shown.json(), img);
}

#[tokio::test]
async fn create_refuses_bad_input_with_glance_codes() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let cases = [
        (json!({"status": "active"}), StatusCode::FORBIDDEN),
        (json!({"checksum": "x"}), StatusCode::FORBIDDEN),
        (json!({"self": "x"}), StatusCode::FORBIDDEN),
        (json!({"deleted": "x"}), StatusCode::FORBIDDEN),
        (json!({"os_glance_import_task": "x"}), StatusCode::FORBIDDEN),
        (json!({"disk_format": "floppy"}), StatusCode::BAD_REQUEST),
        (json!({"container_format": "zip"}), StatusCode::BAD_REQUEST),
        (json!({"visibility": "secret"}), StatusCode::BAD_REQUEST),
        (json!({"min_disk": -1}), StatusCode::BAD_REQUEST),
        (json!({"os_distro": 7}), StatusCode::BAD_REQUEST),
        (json!({"name": "n".repeat(256)}), StatusCode::BAD_REQUEST),
        (json!({"id": "not-a-uuid"}), StatusCode::BAD_REQUEST),
        (json!(["not", "an", "object"]), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let a = api
            .call(Method::POST, "/v2/images", Some(body.clone()))
            .await;
        assert_eq!(a.status, status, "{body}: {}", a.text());
        assert!(
            a.json()["message"].as_str().is_some(),
            "Glance's error body"
        );
        assert_eq!(
            a.json()["code"],
            format!("{} {}", status.as_u16(), status.canonical_reason().unwrap())
        );
    }
    // A chosen id works once; a deleted id is never reused.
    let id = "6b1f1a1e-0d4c-4c9a-9c1f-2a8b7e0c5d11";
    api.create(json!({"id": id})).await;
    assert_eq!(
        api.call(Method::POST, "/v2/images", Some(json!({"id": id})))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::POST, "/v2/images", Some(json!({"id": id})))
            .await
            .status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn errors_are_negotiated_and_ids_validated() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let missing = "/image/v2/images/6b1f1a1e-0d4c-4c9a-9c1f-2a8b7e0c5d12";
    let get = |accept: Option<&str>| {
        let mut b = Request::builder()
            .uri(missing)
            .header("x-auth-token", &api.token);
        if let Some(a) = accept {
            b = b.header(header::ACCEPT, a);
        }
        b.body(Body::empty()).unwrap()
    };
    let a = app.send(get(Some("application/json"))).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json()["title"], "Not Found");
    let a = app.send(get(None)).await;
    assert!(a.text().contains("<title>404 Not Found</title>"));
    let a = app.send(get(Some("text/plain"))).await;
    assert!(a.text().starts_with("404 Not Found\n\n"));
    assert_eq!(
        api.call(Method::GET, "/v2/images/../../etc/passwd", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.call(Method::GET, "/v2/images/not-an-id", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.json(Method::GET, "/image/v2/images", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let a = api.call(Method::PUT, "/v2/images", None).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(a.header("allow").unwrap().contains("GET"));
}

#[tokio::test]
async fn patch_updates_with_glance_rules() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let id = api.create(json!({"name": "a", "os_distro": "x"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ok = api
        .patch(
            &id,
            json!([{"op": "replace", "path": "/name", "value": "b"}, {"op": "add", "path": "/hw_disk_bus", "value": "scsi"},
                   {"op": "remove", "path": "/os_distro"}, {"op": "add", "path": "/tags", "value": ["t1"]},
                   {"op": "replace", "path": "/protected", "value": true}]),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let img = ok.json();
    assert_eq!(img["name"], "b");
    assert_eq!(img["hw_disk_bus"], "scsi");
    assert!(img.get("os_distro").is_none());
    assert_eq!(img["tags"], json!(["t1"]));
    assert_eq!(img["protected"], true);

    for (ops, status) in [
        (
            json!([{"op": "replace", "path": "/nope", "value": "x"}]),
            StatusCode::CONFLICT,
        ),
        (
            json!([{"op": "remove", "path": "/nope"}]),
            StatusCode::CONFLICT,
        ),
        (
            json!([{"op": "remove", "path": "/name"}]),
            StatusCode::FORBIDDEN,
        ),
        (
            json!([{"op": "replace", "path": "/status", "value": "active"}]),
            StatusCode::FORBIDDEN,
        ),
        (
            json!([{"op": "add", "path": "/locations", "value": []}]),
            StatusCode::FORBIDDEN,
        ),
        (
            json!([{"op": "add", "path": "/min_ram", "value": "lots"}]),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!([{"op": "test", "path": "/name", "value": "b"}]),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!([{"op": "add", "path": "/a/b", "value": "x"}]),
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let a = api.patch(&id, ops.clone()).await;
        assert_eq!(a.status, status, "{ops}: {}", a.text());
    }
    // Nothing of a refused patch is applied.
    let a = api.patch(&id, json!([{"op": "replace", "path": "/name", "value": "c"}, {"op": "remove", "path": "/nope"}])).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert_eq!(
        api.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .json()["name"],
        "b"
    );

    let req = Request::builder()
        .method(Method::PATCH)
        .uri(format!("/image/v2/images/{id}"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("[]"))
        .unwrap();
    let a = app.send(req).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(a.header("accept-patch").unwrap().contains(PATCH));
}

#[tokio::test]
async fn upload_download_hashes_ranges_and_lifecycle() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let id = api
        .create(json!({"name": "d", "disk_format": "raw", "container_format": "bare"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.download(&id, None).await.status,
        StatusCode::NO_CONTENT,
        "no data yet"
    );

    let bytes = data(3 * 1024 * 1024 + 17);
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/image/v2/images/{id}/file"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("x"))
        .unwrap();
    assert_eq!(
        app.send(req).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let a = api
        .upload(&id, &bytes, Some(&bytes.len().to_string()))
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "active");
    assert_eq!(img["size"], bytes.len());
    assert_eq!(img["checksum"], hex::encode(Md5::digest(&bytes)));
    assert_eq!(img["os_hash_algo"], "sha512");
    assert_eq!(img["os_hash_value"], hex::encode(Sha512::digest(&bytes)));
    assert_eq!(
        api.upload(&id, b"again", None).await.status,
        StatusCode::CONFLICT
    );

    let d = api.download(&id, None).await;
    assert_eq!(d.status, StatusCode::OK);
    assert_eq!(d.body, bytes);
    assert_eq!(d.header("content-length").unwrap(), bytes.len().to_string());
    assert_eq!(
        d.header("content-md5").unwrap(),
        img["checksum"].as_str().unwrap()
    );
    let r = api.download(&id, Some("bytes=10-19")).await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body, bytes[10..20]);
    assert_eq!(
        r.header("content-range").unwrap(),
        format!("bytes 10-19/{}", bytes.len())
    );
    let r = api.download(&id, Some("bytes=-5")).await;
    assert_eq!(r.body, bytes[bytes.len() - 5..]);
    let r = api
        .download(&id, Some(&format!("bytes={}-", bytes.len())))
        .await;
    assert_eq!(r.status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        api.download(&id, Some("bytes=0-1,5-6")).await.status,
        StatusCode::BAD_REQUEST
    );

    // Deactivated: admins still download, members of the owning project do not.
    assert_eq!(
        api.call(
            Method::POST,
            &format!("/v2/images/{id}/actions/deactivate"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .json()["status"],
        "deactivated"
    );
    assert_eq!(api.download(&id, None).await.status, StatusCode::OK);
    let op = glimpse::server::operator();
    let admin_project = app
        .backend
        .identity
        .find_project(&op, "admin")
        .await
        .unwrap()
        .unwrap();
    let (_, uid) = app
        .user_with_role("other", "mia", "member-password", Role::Member)
        .await;
    app.backend
        .identity
        .assign_role(&op, &uid.parse().unwrap(), &admin_project.id, Role::Member)
        .await
        .unwrap();
    let mia = Api {
        app: &app,
        token: app.token("mia", "member-password", "admin").await,
    };
    assert_eq!(mia.download(&id, None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        api.call(
            Method::POST,
            &format!("/v2/images/{id}/actions/reactivate"),
            None
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(mia.download(&id, None).await.status, StatusCode::OK);
    // Deactivating a queued image is refused.
    let q = api.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.call(
            Method::POST,
            &format!("/v2/images/{q}/actions/deactivate"),
            None
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );

    // Protected images cannot be deleted; deleting removes the data.
    api.patch(
        &id,
        json!([{"op": "replace", "path": "/protected", "value": true}]),
    )
    .await;
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    api.patch(
        &id,
        json!([{"op": "replace", "path": "/protected", "value": false}]),
    )
    .await;
    assert!(support::has_data(&app, &id).await);
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert!(!support::has_data(&app, &id).await, "data removed");
    assert_eq!(
        api.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn failed_uploads_leave_the_image_queued_with_no_data() {
    let app = TestApp::with(|s| s.image_size_cap = Some(1000)).await;
    let api = Api::admin(&app).await;
    let no_format = api.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        api.upload(&no_format, b"abc", None).await.status,
        StatusCode::BAD_REQUEST
    );

    let id = api
        .create(json!({"disk_format": "raw", "container_format": "bare"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = api.upload(&id, &data(100), Some("99")).await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "size mismatch: {}",
        a.text()
    );
    let a = api.upload(&id, &data(100), Some("101")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        api.upload(&id, &data(1001), None).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        api.upload(&id, &data(10), Some("5000")).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "queued");
    assert!(img["size"].is_null() && img["checksum"].is_null());
    assert!(!support::has_data(&app, &id).await);
    assert_eq!(support::leftovers(&app).await, 0, "no partial data");
    // The next upload works.
    assert_eq!(
        api.upload(&id, &data(1000), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .json()["size"],
        1000
    );
}

#[tokio::test]
async fn tags() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let id = api.create(json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..2 {
        assert_eq!(
            api.call(Method::PUT, &format!("/v2/images/{id}/tags/web"), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        api.call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .json()["tags"],
        json!(["web"])
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{id}/tags/web"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.call(Method::DELETE, &format!("/v2/images/{id}/tags/web"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

fn names(list: &Value) -> Vec<String> {
    list["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    for i in 0..7 {
        let id = api
            .create(json!({"name": format!("img-{i}"), "disk_format": if i % 2 == 0 { "qcow2" } else { "raw" },
                           "container_format": "bare", "os_distro": if i < 3 { "ubuntu" } else { "fedora" },
                           "tags": if i == 4 { json!(["gold", "x"]) } else { json!(["x"]) }}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        if i == 6 {
            // A qcow2 v3 header (64 MiB virtual), padded: what the inspector accepts as qcow2.
            let mut qcow2 = data(5000);
            qcow2[..104].fill(0);
            qcow2[..8].copy_from_slice(b"QFI\xfb\0\0\0\x03");
            qcow2[24..32].copy_from_slice(&(64u64 << 20).to_be_bytes());
            api.upload(&id, &qcow2, None).await;
        }
    }
    let all = api.call(Method::GET, "/v2/images", None).await.json();
    assert_eq!(
        names(&all),
        ["img-6", "img-5", "img-4", "img-3", "img-2", "img-1", "img-0"],
        "created_at desc"
    );
    assert_eq!(all["first"], "/v2/images");
    assert!(all.get("next").is_none());

    // Pages of 3 through `next`, as a client follows them.
    let mut seen = vec![];
    let mut url = "/v2/images?limit=3&sort=name:asc".to_string();
    loop {
        let page = api.call(Method::GET, &url, None).await.json();
        seen.extend(names(&page));
        match page.get("next").and_then(Value::as_str) {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["img-0", "img-1", "img-2", "img-3", "img-4", "img-5", "img-6"]
    );

    let q = |s: &'static str| api.call(Method::GET, s, None);
    assert_eq!(names(&q("/v2/images?name=img-3").await.json()), ["img-3"]);
    assert_eq!(
        names(
            &q("/v2/images?name=in:img-1,img-2&sort_key=name&sort_dir=asc")
                .await
                .json()
        ),
        ["img-1", "img-2"]
    );
    assert_eq!(
        names(
            &q("/v2/images?disk_format=raw&sort_key=name&sort_dir=asc")
                .await
                .json()
        ),
        ["img-1", "img-3", "img-5"]
    );
    assert_eq!(
        names(
            &q("/v2/images?os_distro=ubuntu&sort_key=name&sort_dir=asc")
                .await
                .json()
        ),
        ["img-0", "img-1", "img-2"]
    );
    assert_eq!(
        names(&q("/v2/images?tag=gold&tag=x").await.json()),
        ["img-4"]
    );
    assert_eq!(
        names(&q("/v2/images?status=active").await.json()),
        ["img-6"]
    );
    assert_eq!(
        names(&q("/v2/images?size_min=4000&size_max=6000").await.json()),
        ["img-6"]
    );
    assert_eq!(
        names(
            &q("/v2/images?created_at=gt:2000-01-01T00:00:00Z&limit=1")
                .await
                .json()
        ),
        ["img-6"]
    );
    assert!(names(
        &q("/v2/images?created_at=lt:2000-01-01T00:00:00Z")
            .await
            .json()
    )
    .is_empty());
    assert_eq!(
        names(
            &q("/v2/images?sort_key=size&sort_dir=desc&limit=1")
                .await
                .json()
        ),
        ["img-6"]
    );
    for bad in [
        "/v2/images?limit=-1",
        "/v2/images?sort_key=owner",
        "/v2/images?visibility=nope",
        "/v2/images?marker=6b1f1a1e-0d4c-4c9a-9c1f-2a8b7e0c5d99",
    ] {
        let a = api.call(Method::GET, bad, None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}: {}", a.text());
    }
}

#[tokio::test]
async fn other_projects_see_only_what_they_may() {
    let app = TestApp::new().await;
    let owner = Api::member(&app, "alpha", "ann").await;
    let other = Api::member(&app, "beta", "ben").await;
    let admin = Api::admin(&app).await;
    let private = owner
        .create(json!({"name": "private", "visibility": "private"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shared = owner.create(json!({"name": "shared"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let community = owner
        .create(json!({"name": "community", "visibility": "community"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Members may not publish; admins may.
    assert_eq!(
        owner
            .call(
                Method::POST,
                "/v2/images",
                Some(json!({"visibility": "public"}))
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let public = admin
        .create(json!({"name": "public", "visibility": "public"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        names(&other.call(Method::GET, "/v2/images", None).await.json()),
        ["public"]
    );
    assert_eq!(
        names(
            &other
                .call(Method::GET, "/v2/images?visibility=community", None)
                .await
                .json()
        ),
        ["community"]
    );
    assert_eq!(
        names(
            &owner
                .call(Method::GET, "/v2/images?sort_key=name&sort_dir=asc", None)
                .await
                .json()
        ),
        ["community", "private", "public", "shared"]
    );
    for hidden in [&private, &shared] {
        for (m, p) in [
            (Method::GET, format!("/v2/images/{hidden}")),
            (Method::DELETE, format!("/v2/images/{hidden}")),
            (Method::GET, format!("/v2/images/{hidden}/file")),
        ] {
            assert_eq!(
                other.call(m, &p, None).await.status,
                StatusCode::NOT_FOUND,
                "hidden, not forbidden"
            );
        }
    }
    assert_eq!(
        other
            .call(Method::GET, &format!("/v2/images/{community}"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        other
            .call(Method::DELETE, &format!("/v2/images/{public}"), None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        other
            .patch(
                &community,
                json!([{"op": "replace", "path": "/name", "value": "mine"}])
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Admins see every project's images.
    assert_eq!(
        admin
            .call(Method::GET, "/v2/images?visibility=all", None)
            .await
            .json()["images"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}
