//! The S3 store against a real S3 server (moto's, started by `.ci/with-s3`; `make test` does):
//! the image API with S3 as the default store and multipart really used (the object's ETag
//! counts its parts), ranges, deletes; a client that goes away and a server killed mid-upload
//! leave no multipart upload and no object behind (checked with boto3, another S3 client); and
//! `/healthcheck` names an unreachable store.

use crate::interrupted::{create, image, spawn_configured, token};
use crate::support::{Api, TestApp, ADMIN_PASSWORD};
use axum::http::{Method, StatusCode};
use glimpse::server::config::{Settings, StoreSettings};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use tokio::io::AsyncWriteExt;

/// The test S3 server and bucket.
fn server() -> (String, String) {
    let endpoint = std::env::var("GLIMPSE_TEST_S3_ENDPOINT").expect(
        "no S3 server for the S3 store's tests: run them under .ci/with-s3 (make test does)",
    );
    let bucket = std::env::var("GLIMPSE_TEST_S3_BUCKET").unwrap();
    (endpoint, bucket)
}

/// A `[[stores]]` table for the test bucket under `prefix` (each test its own).
fn s3_store(id: &str, prefix: &str, endpoint: &str) -> StoreSettings {
    let (_, bucket) = server();
    let text = |s: &str| toml::Value::String(s.to_string());
    let options: BTreeMap<String, toml::Value> = [
        ("endpoint", text(endpoint)),
        ("bucket", text(&bucket)),
        ("access_key_id", text("test")),
        ("secret_access_key", text("test")),
        ("prefix", text(prefix)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    StoreSettings {
        id: id.into(),
        kind: "s3".into(),
        default: true,
        description: Some("the test bucket".into()),
        options,
    }
}

/// The test bucket as the only store, under a fresh prefix.
pub fn test_bucket_store() -> StoreSettings {
    let (endpoint, _) = server();
    s3_store("s3", &prefix(), &endpoint)
}

fn with_s3(s: &mut Settings, prefix: &str) {
    let (endpoint, _) = server();
    s.stores = Some(vec![s3_store("ceph", prefix, &endpoint)]);
}

/// Asks the S3 server, through boto3, what is under `prefix`: (object keys with their ETags,
/// unfinished multipart uploads).
fn bucket_contents(prefix: &str) -> (Vec<(String, String)>, usize) {
    let (endpoint, bucket) = server();
    let venv = std::env::var("GLIMPSE_CLIENT_VENV").unwrap_or_else(|_| "target/venv".into());
    let script = format!(
        r#"
import boto3, json
s3 = boto3.client("s3", endpoint_url="{endpoint}", region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
objects = s3.list_objects_v2(Bucket="{bucket}", Prefix="{prefix}").get("Contents", [])
uploads = s3.list_multipart_uploads(Bucket="{bucket}", Prefix="{prefix}").get("Uploads", [])
print(json.dumps({{"objects": [[o["Key"], o["ETag"]] for o in objects], "uploads": len(uploads)}}))
"#
    );
    let out = std::process::Command::new(format!("{venv}/bin/python"))
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o[0].as_str().unwrap().into(), o[1].as_str().unwrap().into()))
        .collect();
    (objects, v["uploads"].as_u64().unwrap() as usize)
}

fn prefix() -> String {
    format!("t-{}/", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn the_image_api_keeps_data_in_s3_in_parts() {
    let p = prefix();
    let app = TestApp::with(|s| with_s3(s, &p)).await;
    let admin = Api::admin(&app).await;
    let img = admin
        .create(json!({"name": "in-s3", "disk_format": "raw", "container_format": "bare"}))
        .await;
    let id = img["id"].as_str().unwrap().to_string();
    // Three parts: 8 MiB, 8 MiB and the rest.
    let data: Vec<u8> = (0..(20u32 << 20) + 123)
        .map(|i| (i * 31 % 253) as u8)
        .collect();
    let a = admin.upload(&id, &data, None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    let (objects, uploads) = bucket_contents(&p);
    assert_eq!(uploads, 0, "the multipart upload completed");
    assert_eq!(objects.len(), 1, "only the image's object: {objects:?}");
    assert_eq!(objects[0].0, format!("{p}images/{id}"));
    assert!(
        objects[0].1.ends_with("-3\""),
        "three parts: {:?}",
        objects[0].1
    );

    let shown = admin
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["size"], data.len());
    assert_eq!(shown["checksum"], {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(&data))
    });
    let whole = admin.download(&id, None).await;
    assert_eq!(whole.status, StatusCode::OK);
    assert!(whole.body == data, "the data comes back byte for byte");
    let part = admin.download(&id, Some("bytes=8388600-8388700")).await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.body, &data[8_388_600..=8_388_700]);
    let tail = admin.download(&id, Some("bytes=-5")).await;
    assert_eq!(tail.body, &data[data.len() - 5..]);
    let beyond = admin.download(&id, Some("bytes=99999999-")).await;
    assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);

    // An empty image is one empty part.
    let empty = admin
        .create(json!({"name": "empty", "disk_format": "raw", "container_format": "bare"}))
        .await;
    let eid = empty["id"].as_str().unwrap();
    assert_eq!(
        admin.upload(eid, b"", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(admin.download(eid, None).await.body, b"");

    // Deleting the image deletes its object.
    for gone in [id.as_str(), eid] {
        let a = admin
            .call(Method::DELETE, &format!("/v2/images/{gone}"), None)
            .await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
    }
    assert_eq!(bucket_contents(&p), (vec![], 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_uploads_leave_no_parts_and_no_object() {
    let p = prefix();
    let app = TestApp::with(|s| with_s3(s, &p)).await;
    let base = app.spawn().await;
    let addr = base.trim_start_matches("http://").to_string();
    let t = token(&addr).await;
    let id = create(&addr, &t).await;

    // A client that goes away after two parts' worth: the upload is aborted.
    {
        let mut conn = partial_upload(&addr, &t, &id, 17 << 20).await;
        wait_for(
            || bucket_contents(&p).1 == 1,
            "the multipart upload started",
        )
        .await;
        conn.shutdown().await.unwrap();
    }
    wait_for(
        || bucket_contents(&p) == (vec![], 0),
        "the multipart upload and its marker are gone",
    )
    .await;
    assert_eq!(image(&addr, &t, &id).await["status"], "queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_leaves_nothing_in_the_bucket_after_recovery() {
    let p = prefix();
    let dir = tempfile::tempdir().unwrap();
    let (endpoint, bucket) = server();
    let config = dir.path().join("glimpse.toml");
    std::fs::write(
        &config,
        format!(
            "[[stores]]\nid = \"ceph\"\nkind = \"s3\"\ndefault = true\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\naccess_key_id = \"test\"\nsecret_access_key_env = \"GLIMPSE_TEST_S3_SECRET\"\nprefix = \"{p}\"\n"
        ),
    )
    .unwrap();
    let (mut server, addr) = serve(dir.path(), &config).await;
    let t = token(&addr).await;
    let id = create(&addr, &t).await;
    let _conn = partial_upload(&addr, &t, &id, 17 << 20).await;
    wait_for(
        || bucket_contents(&p).1 == 1,
        "the multipart upload started",
    )
    .await;
    server.start_kill().unwrap(); // SIGKILL: nothing is aborted on the way out
    server.wait().await.unwrap();
    let (objects, uploads) = bucket_contents(&p);
    assert_eq!(uploads, 1, "the crash left the multipart upload");
    assert_eq!(objects.len(), 1, "and its marker: {objects:?}");

    // The next start takes the upload back: the image is queued, the bucket empty.
    let (_server, addr) = serve(dir.path(), &config).await;
    assert_eq!(bucket_contents(&p), (vec![], 0));
    let t = token(&addr).await;
    assert_eq!(image(&addr, &t, &id).await["status"], "queued");
}

#[tokio::test]
async fn healthcheck_names_an_unreachable_s3_store() {
    let p = prefix();
    let app = TestApp::with(|s| with_s3(s, &p)).await;
    let a = app.json(Method::GET, "/healthcheck", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    // Nothing listens on port 9 of the loopback.
    let down = TestApp::with(|s| {
        s.stores = Some(vec![s3_store("ceph", "x/", "http://127.0.0.1:9")]);
    })
    .await;
    let a = down.json(Method::GET, "/healthcheck", None, None).await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(a.text().contains("store ceph unreachable"), "{}", a.text());
}

/// `glimpse serve` with `config` on `dir`; the same node name on every start, so that a
/// restarted node takes its own upload back at once.
async fn serve(dir: &Path, config: &Path) -> (tokio::process::Child, String) {
    let env = [("GLIMPSE_TEST_S3_SECRET", "test")];
    let (server, _) =
        spawn_configured(dir, "s3-node", 60, Some(ADMIN_PASSWORD), Some(config), &env).await;
    (server.child, server.addr)
}

/// Starts a chunked upload and sends `bytes` of it; returns the open connection.
async fn partial_upload(addr: &str, token: &str, id: &str, bytes: usize) -> tokio::net::TcpStream {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /image/v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![5u8; 1 << 20];
    for _ in 0..bytes.div_ceil(chunk.len()) {
        s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        s.write_all(&chunk).await.unwrap();
        s.write_all(b"\r\n").await.unwrap();
    }
    s.flush().await.unwrap();
    s
}

/// Polls (bounded) until `cond` holds: the server and S3 work asynchronously.
async fn wait_for(mut cond: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !tokio::task::block_in_place(&mut cond) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Two named stores (Glance's multi-store): a file store `local` and the test bucket `ceph`, the
/// default. Driven through the API and the real `glance` client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_stores_are_listed_chosen_per_upload_and_kept_apart() {
    use crate::clients::Clients;
    let p = prefix();
    let app = TestApp::with(|s| {
        let (endpoint, _) = server();
        let mut local = s3_store("local", "", &endpoint);
        local.kind = "file".into();
        local.default = false;
        local.description = Some("this host's disk".into());
        local.options = BTreeMap::new();
        s.stores = Some(vec![s3_store("ceph", &p, &endpoint), local]);
    })
    .await;
    let admin = Api::admin(&app).await;
    let member = Api::member(&app, "beta", "bea").await;

    let info = admin.call(Method::GET, "/v2/info/stores", None).await;
    assert_eq!(
        info.json(),
        json!({"stores": [
            {"id": "ceph", "description": "the test bucket", "default": "true"},
            {"id": "local", "description": "this host's disk"},
        ]})
    );
    let detail = admin
        .call(Method::GET, "/v2/info/stores/detail", None)
        .await;
    assert_eq!(detail.json()["stores"][1]["type"], "file");
    assert_eq!(detail.json()["stores"][0]["type"], "s3");
    let refused = member
        .call(Method::GET, "/v2/info/stores/detail", None)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    // The dashboard: every user sees the choice of store, only admins the Stores page.
    for (user, password, overview) in [
        ("bea", "member-password", StatusCode::FORBIDDEN),
        ("admin", ADMIN_PASSWORD, StatusCode::OK),
    ] {
        use glimpse::server_fns::stores::{ListStores, StoreOverview};
        use leptos::server_fn::ServerFn;
        let login = app
            .server_fn(
                glimpse::server_fns::auth::Login::PATH,
                None,
                &[("username", user), ("password", password), ("next", "/")],
            )
            .await;
        let cookie = login.session_cookie().unwrap();
        let choice = app.server_fn(ListStores::PATH, Some(&cookie), &[]).await;
        assert_eq!(choice.status, StatusCode::OK);
        assert!(choice.text().contains("local"), "{}", choice.text());
        let a = app.server_fn(StoreOverview::PATH, Some(&cookie), &[]).await;
        assert_eq!(a.status, overview, "{}", a.text());
    }
    let versions = admin.call(Method::GET, "/versions", None).await.json();
    assert_eq!(
        versions["versions"][0],
        json!({"id": "v2.12", "status": "CURRENT", "links": versions["versions"][0]["links"]})
    );

    // Creating answers with the store ids; an upload picks one, or goes to the default.
    let created = app
        .json(
            Method::POST,
            "/image/v2/images",
            Some(&admin.token),
            Some(json!({"name": "on-disk", "disk_format": "raw", "container_format": "bare"})),
        )
        .await;
    assert_eq!(
        created.header("openstack-image-store-ids").as_deref(),
        Some("ceph,local")
    );
    let local_id = created.json()["id"].as_str().unwrap().to_string();
    let upload = |id: String, store: Option<&'static str>| {
        let token = admin.token.clone();
        let app = &app;
        async move {
            let mut b = axum::http::Request::builder()
                .method(Method::PUT)
                .uri(format!("/image/v2/images/{id}/file"))
                .header("x-auth-token", token)
                .header("content-type", "application/octet-stream")
                .header("accept", "application/json");
            if let Some(s) = store {
                b = b.header("x-image-meta-store", s);
            }
            app.send(b.body(axum::body::Body::from(vec![7u8; 5000])).unwrap())
                .await
        }
    };
    let a = upload(local_id.clone(), Some("tape")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.text().contains("Store for identifier tape not found"),
        "{}",
        a.text()
    );
    let a = upload(local_id.clone(), Some("local")).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    assert!(app._dir.path().join("images").join(&local_id).exists());
    let shown = admin
        .call(Method::GET, &format!("/v2/images/{local_id}"), None)
        .await
        .json();
    assert_eq!(shown["stores"], "local");
    let ceph_id = admin
        .create(json!({"name": "in-bucket", "disk_format": "raw", "container_format": "bare"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        upload(ceph_id.clone(), None).await.status,
        StatusCode::NO_CONTENT
    );
    let listed = admin
        .call(Method::GET, "/v2/images?sort_key=name&sort_dir=asc", None)
        .await
        .json();
    assert_eq!(listed["images"][0]["stores"], "ceph");
    assert_eq!(listed["images"][1]["stores"], "local");
    assert_eq!(
        bucket_contents(&p).0.len(),
        1,
        "only the default store's image is in the bucket"
    );

    // Removing one store's copy: Glance's answers (no second copy exists without copy-image).
    let drop = |store: &'static str, id: String| {
        let api = &admin;
        async move {
            api.call(Method::DELETE, &format!("/v2/stores/{store}/{id}"), None)
                .await
        }
    };
    assert_eq!(
        drop("local", local_id.clone()).await.status,
        StatusCode::FORBIDDEN,
        "the last copy"
    );
    assert_eq!(
        drop("ceph", local_id.clone()).await.status,
        StatusCode::NOT_FOUND,
        "not there"
    );
    assert_eq!(
        drop("tape", local_id.clone()).await.status,
        StatusCode::CONFLICT,
        "no such store"
    );
    let a = member
        .call(
            Method::DELETE,
            &format!("/v2/stores/local/{local_id}"),
            None,
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::NOT_FOUND,
        "another project's private image"
    );

    // The real client lists the stores and uploads to the one it names.
    let base = app.spawn().await;
    let clients = Clients::new(&base);
    let image_url = format!("{base}/image");
    let env = [
        ("OS_AUTH_TOKEN", admin.token.as_str()),
        ("OS_IMAGE_URL", image_url.as_str()),
    ];
    let info = clients.run_env("glance", &env, &["stores-info"]).await;
    assert!(info.ok, "{}", info.stderr);
    assert!(
        info.stdout.contains("ceph") && info.stdout.contains("local"),
        "{}",
        info.stdout
    );
    let file = app._dir.path().join("up.raw");
    std::fs::write(&file, vec![3u8; 70_000]).unwrap();
    let made = clients
        .run_env(
            "glance",
            &env,
            &[
                "image-create",
                "--name",
                "via-glance",
                "--disk-format",
                "raw",
                "--container-format",
                "bare",
                "--store",
                "local",
                "--file",
                file.to_str().unwrap(),
            ],
        )
        .await;
    assert!(made.ok, "{}\n{}", made.stdout, made.stderr);
    let stores = clients
        .as_user("openstack", "admin", ADMIN_PASSWORD, "admin")
        .run(&["image", "stores", "list", "-f", "json"])
        .await;
    assert!(stores.ok, "{}", stores.stderr);
    let ids: Vec<String> = stores
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s.get("ID").or(s.get("id")).and_then(|v| v.as_str());
            id.unwrap_or_else(|| panic!("{s}")).to_string()
        })
        .collect();
    assert_eq!(ids, ["ceph", "local"]);
    let last = clients
        .run_env(
            "glance",
            &env,
            &["stores-delete", "--store", "local", &local_id],
        )
        .await;
    assert!(!last.ok);
    assert!(
        last.stderr
            .contains("not allowed to remove image data from all stores"),
        "{}",
        last.stderr
    );
    let listed = admin
        .call(Method::GET, "/v2/images?name=via-glance", None)
        .await
        .json();
    assert_eq!(listed["images"][0]["stores"], "local", "{listed}");
    assert_eq!(listed["images"][0]["size"], 70_000);
}

#[tokio::test]
async fn without_named_stores_multi_store_is_off_as_in_glance() {
    let app = TestApp::with(|s| s.stores = None).await;
    let admin = Api::admin(&app).await;
    let a = admin.call(Method::GET, "/v2/info/stores", None).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(
        a.text().contains("Multi backend is not supported"),
        "{}",
        a.text()
    );
    let img = admin
        .create(json!({"name": "x", "disk_format": "raw", "container_format": "bare"}))
        .await;
    assert!(img.get("stores").is_none());
    let id = img["id"].as_str().unwrap();
    let a = admin
        .call(Method::DELETE, &format!("/v2/stores/file/{id}"), None)
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let versions = admin.call(Method::GET, "/versions", None).await.json();
    assert_eq!(versions["versions"][0]["id"], "v2.12");
    assert_eq!(
        versions["versions"][1]["id"], "v2.7",
        "no stores API without multi-store"
    );
}

/// The signature-checking server (`make test-s3-signed`): `(endpoint, bucket, key, secret)`.
fn signed_server() -> (String, String, String, String) {
    let var = |k: &str| {
        std::env::var(format!("GLIMPSE_TEST_S3_SIGNED_{k}"))
            .expect("no signature-checking S3 server: run make test-s3-signed")
    };
    (
        var("ENDPOINT"),
        var("BUCKET"),
        var("ACCESS_KEY"),
        var("SECRET"),
    )
}

fn signed_store(secret: &str) -> StoreSettings {
    let (endpoint, bucket, key, _) = signed_server();
    let text = |s: &str| toml::Value::String(s.to_string());
    StoreSettings {
        id: "signed".into(),
        kind: "s3".into(),
        default: true,
        description: None,
        options: [
            ("endpoint", text(&endpoint)),
            ("bucket", text(&bucket)),
            ("access_key_id", text(&key)),
            ("secret_access_key", text(secret)),
            ("prefix", text(&prefix())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
    }
}

/// Against a server that checks signatures: the right secret stores and serves an image in
/// parts; a wrong one is refused, the image stays queued, and `/healthcheck` says so.
#[tokio::test]
#[ignore = "needs a signature-checking S3 server: make test-s3-signed"]
async fn signatures_are_checked_by_a_real_s3_server() {
    let (_, _, _, secret) = signed_server();
    let app = TestApp::with(|s| s.stores = Some(vec![signed_store(&secret)])).await;
    let admin = Api::admin(&app).await;
    let id = admin
        .create(json!({"name": "signed", "disk_format": "raw", "container_format": "bare"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let data: Vec<u8> = (0..(17u32 << 20) + 5).map(|i| (i % 241) as u8).collect();
    let a = admin.upload(&id, &data, None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.text());
    assert!(admin.download(&id, None).await.body == data);
    let part = admin.download(&id, Some("bytes=9000000-9000009")).await;
    assert_eq!(part.body, &data[9_000_000..9_000_010]);
    assert_eq!(
        app.json(Method::GET, "/healthcheck", None, None)
            .await
            .status,
        StatusCode::OK
    );

    let wrong = TestApp::with(|s| s.stores = Some(vec![signed_store("not-the-secret")])).await;
    let admin = Api::admin(&wrong).await;
    let id = admin
        .create(json!({"name": "refused", "disk_format": "raw", "container_format": "bare"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = admin.upload(&id, &[1u8; 1000], None).await;
    assert_eq!(a.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", a.text());
    let img = admin
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "queued");
    let h = wrong.json(Method::GET, "/healthcheck", None, None).await;
    assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        h.text().contains("store signed unreachable"),
        "{}",
        h.text()
    );
}
