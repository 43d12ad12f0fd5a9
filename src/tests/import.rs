//! Interoperable import against a real local HTTP source (images made by `qemu-img`, with
//! Range, redirects, a stalling mode and a truncating mode): web-download and glance-direct to
//! active, Glance's preconditions and codes, the URI filter in every spelling, failures that
//! leave the image queued with the reason in the task, conversion by `qemu-img`, copy-image
//! between two stores, and a node killed while running a task.

use crate::support::{self, Api, TestApp};
use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use glimpse::server::config::Settings;
use md5::{Digest, Md5};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A local HTTP source serving the files of a directory.
pub struct Source {
    pub base: String,
    pub port: u16,
    pub dir: tempfile::TempDir,
    /// Requests `/stall/` and `/stall-once/` have had so far.
    pub stalls: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct SourceState {
    dir: PathBuf,
    stalls: Arc<AtomicUsize>,
}

async fn file_body(dir: &Path, name: &str) -> Option<Vec<u8>> {
    if name.contains('/') || name.starts_with('.') {
        return None;
    }
    tokio::fs::read(dir.join(name)).await.ok()
}

/// `/stall/{name}`: the headers and 64 KiB, then nothing more; `/stall-once/{name}` stalls
/// the first time only.
async fn stall(st: &SourceState, name: &str, once: bool) -> Response {
    let Some(data) = file_body(&st.dir, name).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let n = st.stalls.fetch_add(1, Ordering::SeqCst);
    if once && n > 0 {
        return data.into_response();
    }
    let len = data.len();
    let head = bytes::Bytes::copy_from_slice(&data[..len.min(65536)]);
    let body = futures::stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(futures::stream::pending());
    Response::builder()
        .header(header::CONTENT_LENGTH, len)
        .body(Body::from_stream(body))
        .unwrap()
}

use futures::StreamExt;

impl Source {
    pub async fn start() -> Source {
        let dir = tempfile::tempdir().unwrap();
        let stalls = Arc::new(AtomicUsize::new(0));
        let st = SourceState {
            dir: dir.path().to_path_buf(),
            stalls: stalls.clone(),
        };
        let app = Router::new()
            .nest_service("/files", tower_http::services::ServeDir::new(dir.path()))
            .route(
                "/redirect",
                get(|Query(q): Query<HashMap<String, String>>| async move {
                    Response::builder()
                        .status(StatusCode::FOUND)
                        .header(header::LOCATION, q["to"].as_str())
                        .body(Body::empty())
                        .unwrap()
                }),
            )
            .route(
                "/truncate/{name}",
                get(
                    |State(st): State<SourceState>, UrlPath(name): UrlPath<String>| async move {
                        let Some(data) = file_body(&st.dir, &name).await else {
                            return StatusCode::NOT_FOUND.into_response();
                        };
                        let half = bytes::Bytes::copy_from_slice(&data[..data.len() / 2]);
                        let body = futures::stream::iter([
                            Ok(half),
                            Err(std::io::Error::other("the source cuts the transfer")),
                        ]);
                        Response::builder()
                            .header(header::CONTENT_LENGTH, data.len())
                            .body(Body::from_stream(body))
                            .unwrap()
                    },
                ),
            )
            .route(
                "/stall/{name}",
                get(
                    |State(st): State<SourceState>, UrlPath(name): UrlPath<String>| async move {
                        stall(&st, &name, false).await
                    },
                ),
            )
            .route(
                "/stall-once/{name}",
                get(
                    |State(st): State<SourceState>, UrlPath(name): UrlPath<String>| async move {
                        stall(&st, &name, true).await
                    },
                ),
            )
            .with_state(st);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Source {
            base: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            stalls,
        }
    }

    /// Writes `name` in the served directory.
    pub fn put(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    /// Runs `qemu-img` in the served directory.
    pub fn qemu(&self, args: &[&str]) {
        let out = Command::new("qemu-img")
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .expect("qemu-img must be installed (make test installs it)");
        assert!(
            out.status.success(),
            "qemu-img {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A qcow2 image (1 MiB of patterned data inside) and the raw data it holds.
    pub fn qcow2(&self, name: &str) -> (PathBuf, Vec<u8>) {
        let raw: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
        self.put(&format!("{name}.raw"), &raw);
        self.qemu(&[
            "convert",
            "-q",
            "-f",
            "raw",
            "-O",
            "qcow2",
            &format!("{name}.raw"),
            name,
        ]);
        (self.dir.path().join(name), raw)
    }
}

/// Settings that let web-download reach this machine's loopback source on any port.
pub fn loopback_allowed(s: &mut Settings) {
    s.import_filtering = Some(glimpse::domain::uri_filter::UriFilter {
        allowed_hosts: vec!["127.0.0.1".into()],
        allowed_ports: vec![],
        ..Default::default()
    });
}

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Polls the image until `done` holds for it (or a minute passes); returns it.
pub async fn wait_image(api: &Api<'_>, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let img = api
            .call(Method::GET, &format!("/v2/images/{id}"), None)
            .await
            .json();
        if done(&img) {
            return img;
        }
        assert!(
            Instant::now() < deadline,
            "the image never got there: {img}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The image's tasks.
pub async fn tasks(api: &Api<'_>, id: &str) -> Vec<Value> {
    let a = api
        .call(Method::GET, &format!("/v2/images/{id}/tasks"), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text());
    a.json()["tasks"].as_array().unwrap().clone()
}

/// Polls until the image's newest task has ended; returns it.
pub async fn ended_task(api: &Api<'_>, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let t = tasks(api, id).await;
        if let Some(task) = t.first() {
            if matches!(task["status"].as_str(), Some("success" | "failure")) {
                return task.clone();
            }
        }
        assert!(Instant::now() < deadline, "the task never ended: {t:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn import(api: &Api<'_>, id: &str, body: Value) -> support::Answer {
    api.call(Method::POST, &format!("/v2/images/{id}/import"), Some(body))
        .await
}

fn web(uri: &str) -> Value {
    json!({"method": {"name": "web-download", "uri": uri}})
}

async fn new_image(api: &Api<'_>, disk: &str) -> String {
    api.create(json!({"name": "imported", "disk_format": disk, "container_format": "bare"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn web_download_brings_a_qcow2_to_active_with_its_hashes_and_virtual_size() {
    let source = Source::start().await;
    let (_, _) = source.qcow2("cirros.qcow2");
    let qcow2 = std::fs::read(source.dir.path().join("cirros.qcow2")).unwrap();
    let app = TestApp::with(loopback_allowed).await;
    let api = Api::admin(&app).await;

    let info = api.call(Method::GET, "/v2/info/import", None).await.json();
    assert_eq!(
        info["import-methods"]["value"],
        json!(["glance-direct", "web-download", "copy-image"])
    );
    let created = api
        .call(
            Method::POST,
            "/v2/images",
            Some(json!({"name": "cirros", "disk_format": "qcow2", "container_format": "bare"})),
        )
        .await;
    assert_eq!(
        created.header("openstack-image-import-methods").as_deref(),
        Some("glance-direct,web-download,copy-image")
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    let a = import(
        &api,
        &id,
        web(&format!("{}/files/cirros.qcow2", source.base)),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    assert!(a.body.is_empty());

    wait_image(&api, &id, |i| i["status"] == "active").await;
    // As in Glance, the image turns active first; the task then ends and takes its lock away.
    let t = ended_task(&api, &id).await;
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "active");
    assert_eq!(img["size"], json!(qcow2.len()));
    assert_eq!(img["checksum"], json!(md5_hex(&qcow2)));
    assert_eq!(img["virtual_size"], json!(1 << 20));
    assert!(
        img.get("os_glance_import_task").is_none(),
        "the lock went: {img}"
    );
    assert!(img.get("os_glance_importing_to_stores").is_none(), "{img}");
    assert_eq!(t["status"], "success", "{t}");
    assert_eq!(t["type"], "api_image_import");
    assert_eq!(t["input"]["import_req"]["method"]["name"], "web-download");
    assert!(t["expires_at"].is_string());
    let got = api.download(&id, None).await;
    assert_eq!(got.body, qcow2);

    // The admin task API shows it too; a member cannot list tasks.
    let all = api.call(Method::GET, "/v2/tasks", None).await.json();
    assert_eq!(all["tasks"][0]["id"], t["id"]);
    assert!(
        all["tasks"][0].get("input").is_none(),
        "stubs only in the list"
    );
    let one = api
        .call(
            Method::GET,
            &format!("/v2/tasks/{}", t["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(one.json()["input"], t["input"]);
    let member = Api::member(&app, "demo", "alice").await;
    let refused = member.call(Method::GET, "/v2/tasks", None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn glance_direct_stages_then_imports_and_leaves_nothing_staged() {
    let app = TestApp::new().await;
    let api = Api::member(&app, "demo", "alice").await;
    let id = new_image(&api, "raw").await;
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();

    // Importing with nothing staged is refused in Glance's words.
    let early = import(&api, &id, json!({"method": {"name": "glance-direct"}})).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
    assert!(early.text().contains("uploading"), "{}", early.text());

    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/image/v2/images/{id}/stage"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(data.clone()))
        .unwrap();
    let staged = app.send(req).await;
    assert_eq!(staged.status, StatusCode::NO_CONTENT, "{}", staged.text());
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "uploading");
    assert_eq!(img["size"], json!(data.len()));
    let staging = app.backend.images.stores().staging().unwrap().clone();
    let gid = glimpse::domain::ids::ImageId::parse(&id).unwrap();
    assert!(staging.exists(&staging.location_for(&gid)).await.unwrap());

    let a = import(&api, &id, json!({"method": {"name": "glance-direct"}})).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    let img = wait_image(&api, &id, |i| i["status"] == "active").await;
    assert_eq!(img["checksum"], json!(md5_hex(&data)));
    assert_eq!(api.download(&id, None).await.body, data);
    // The staged data goes before the task ends.
    assert_eq!(ended_task(&api, &id).await["status"], "success");
    assert!(
        !staging.exists(&staging.location_for(&gid)).await.unwrap(),
        "staged data went"
    );
    // Deleting an image with staged data removes the staged data too.
    let other = new_image(&api, "raw").await;
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/image/v2/images/{other}/stage"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(data.clone()))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::NO_CONTENT);
    let oid = glimpse::domain::ids::ImageId::parse(&other).unwrap();
    assert!(staging.exists(&staging.location_for(&oid)).await.unwrap());
    let d = api
        .call(Method::DELETE, &format!("/v2/images/{other}"), None)
        .await;
    assert_eq!(d.status, StatusCode::NO_CONTENT);
    assert!(
        !staging.exists(&staging.location_for(&oid)).await.unwrap(),
        "staged data deleted"
    );
}

#[tokio::test]
async fn imports_answer_to_the_project_quotas() {
    use glimpse::domain::identity::{Role, IMAGE_SERVICE_ID};
    let source = Source::start().await;
    source.put("big.img", &vec![5u8; 3 << 20]);
    let app = TestApp::with(loopback_allowed).await;
    let (alpha, _) = app
        .user_with_role("alpha", "ann", "ann-password", Role::Member)
        .await;
    let api = Api {
        app: &app,
        token: app.token("ann", "ann-password", "alpha").await,
    };
    let admin = app.token("admin", support::ADMIN_PASSWORD, "admin").await;
    let limit = |name: &str, value: i64| json!({"limits": [{"project_id": alpha, "service_id": IMAGE_SERVICE_ID, "resource_name": name, "resource_limit": value}]});
    let a = app
        .json(
            Method::POST,
            "/identity/v3/limits",
            Some(&admin),
            Some(limit("image_size_total", 1)),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());

    // Staging more than the quota: 413, and the image is queued with nothing staged.
    let id = new_image(&api, "raw").await;
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/image/v2/images/{id}/stage"))
        .header("x-auth-token", &api.token)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(Body::from(vec![1u8; 2 << 20]))
        .unwrap();
    let staged = app.send(req).await;
    assert_eq!(
        staged.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        staged.text()
    );
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "queued");

    // A web-download past the quota fails its task with the reason and keeps nothing.
    let a = import(&api, &id, web(&format!("{}/files/big.img", source.base))).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let t = ended_task(&api, &id).await;
    assert_eq!(t["status"], "failure");
    assert!(t["message"].as_str().unwrap().contains("quota"), "{t}");
    wait_image(&api, &id, |i| i["status"] == "queued").await;
    assert!(!support::has_data(&app, &id).await);

    // No uploads allowed at once: the import itself is refused with 413.
    let a = app
        .json(
            Method::POST,
            "/identity/v3/limits",
            Some(&admin),
            Some(limit("image_count_uploading", 0)),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text());
    let a = import(&api, &id, web(&format!("{}/files/big.img", source.base))).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.text());
    assert_eq!(tasks(&api, &id).await.len(), 1, "no new task");
}

#[tokio::test]
async fn imports_are_checked_in_glance_order() {
    let source = Source::start().await;
    source.put("disk.img", &[7u8; 70_000]);
    let uri = format!("{}/stall/disk.img?signature=secret", source.base);
    let app = TestApp::with(|s| {
        loopback_allowed(s);
        s.enabled_import_methods = Some(vec!["glance-direct".into(), "web-download".into()]);
    })
    .await;
    let api = Api::member(&app, "demo", "alice").await;

    // A disabled method is a bad request; the info lists only the enabled ones.
    let id = new_image(&api, "raw").await;
    let info = api.call(Method::GET, "/v2/info/import", None).await.json();
    assert_eq!(
        info["import-methods"]["value"],
        json!(["glance-direct", "web-download"])
    );
    let a = import(&api, &id, json!({"method": {"name": "copy-image"}})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
    // Malformed requests.
    for bad in [
        json!({}),
        json!({"method": {"name": "web-download"}}),
        json!({"method": {"name": "nope"}}),
    ] {
        assert_eq!(import(&api, &id, bad).await.status, StatusCode::BAD_REQUEST);
    }
    // Missing formats: 409.
    let bare = api.create(json!({"name": "no formats"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let a = import(&api, &bare, web(&uri)).await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());
    assert!(a.text().contains("disk_format"), "{}", a.text());
    // Another project's image is not there; a reader may not import.
    let bob = Api::member(&app, "other", "bob").await;
    assert_eq!(
        import(&bob, &id, web(&uri)).await.status,
        StatusCode::NOT_FOUND
    );
    // An unknown store: 409.
    let a = import(
        &api,
        &id,
        json!({"method": {"name": "web-download", "uri": uri}, "stores": ["nowhere"]}),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.text());

    // The first import holds the image (its source stalls); a second one is refused.
    let a = import(&api, &id, web(&uri)).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    let img = wait_image(&api, &id, |i| i["status"] == "importing").await;
    let lock = img["os_glance_import_task"].as_str().unwrap().to_string();
    let default = app.backend.images.stores().default_id().to_string();
    assert_eq!(img["os_glance_importing_to_stores"], json!(default));
    let again = import(&api, &id, web(&uri)).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    // A member of a shared image sees the task, but not the source's query string.
    let (partner, _) = app
        .user_with_role(
            "partner",
            "pat",
            "pat-password",
            glimpse::domain::identity::Role::Member,
        )
        .await;
    let member = Api {
        app: &app,
        token: app.token("pat", "pat-password", "partner").await,
    };
    let shared = api
        .call(
            Method::POST,
            &format!("/v2/images/{id}/members"),
            Some(json!({"member": partner})),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.text());
    let seen = tasks(&member, &id).await;
    assert_eq!(seen[0]["id"], json!(lock));
    let plain = uri.split('?').next().unwrap();
    assert_eq!(
        seen[0]["input"]["import_req"]["method"]["uri"],
        json!(format!("{plain}?…"))
    );
    let own = tasks(&api, &id).await;
    assert_eq!(own[0]["input"]["import_req"]["method"]["uri"], json!(uri));
    // Its status is wrong for glance-direct as well, and a user cannot touch the lock.
    let a = import(&api, &id, json!({"method": {"name": "glance-direct"}})).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let p = api
        .patch(
            &id,
            json!([{"op": "add", "path": "/os_glance_import_task", "value": "x"}]),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.text());
    assert_eq!(tasks(&api, &id).await[0]["id"], json!(lock));
}

#[tokio::test]
async fn web_download_refuses_loopback_metadata_and_private_addresses_in_any_spelling() {
    let app = TestApp::new().await;
    let api = Api::member(&app, "demo", "alice").await;
    let id = new_image(&api, "raw").await;
    for uri in [
        "http://127.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "ftp://example.org/x.img",
        "http://example.org:8080/x.img",
        "file:///etc/passwd",
    ] {
        let a = import(&api, &id, web(uri)).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{uri}: {}", a.text());
        assert!(
            a.text().contains("does not pass filtering"),
            "{uri}: {}",
            a.text()
        );
    }
    // Nothing started: the image is still queued and has no task.
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["status"], "queued");
    assert!(tasks(&api, &id).await.is_empty());

    // A name that resolves to loopback fails the task at run time, before any connection.
    let a = import(&api, &id, web("http://localhost/x.img")).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    let t = ended_task(&api, &id).await;
    assert_eq!(t["status"], "failure");
    assert!(t["message"].as_str().unwrap().contains("loopback"), "{t}");
    let img = wait_image(&api, &id, |i| i["status"] == "queued").await;
    assert!(img.get("os_glance_import_task").is_none(), "{img}");
}

#[tokio::test]
async fn a_redirect_is_checked_again_and_one_to_loopback_is_refused() {
    let source = Source::start().await;
    source.put("disk.img", &[1u8; 4096]);
    let app = TestApp::with(loopback_allowed).await;
    let api = Api::member(&app, "demo", "alice").await;

    // A redirect to an allowed place is followed.
    let id = new_image(&api, "raw").await;
    let to = format!("{}/files/disk.img", source.base);
    let a = import(
        &api,
        &id,
        web(&format!(
            "{}/redirect?to={}",
            source.base,
            support::urlencode(&to)
        )),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    wait_image(&api, &id, |i| i["status"] == "active").await;

    // A redirect to another loopback address, which the settings do not allow, is refused.
    let id = new_image(&api, "raw").await;
    let to = format!("http://127.0.0.2:{}/files/disk.img", source.port);
    let a = import(
        &api,
        &id,
        web(&format!(
            "{}/redirect?to={}",
            source.base,
            support::urlencode(&to)
        )),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let t = ended_task(&api, &id).await;
    assert_eq!(t["status"], "failure");
    let msg = t["message"].as_str().unwrap();
    assert!(
        msg.contains("does not pass filtering") && msg.contains("127.0.0.2"),
        "{t}"
    );
    wait_image(&api, &id, |i| i["status"] == "queued").await;
}

#[tokio::test]
async fn a_truncated_or_stalled_transfer_fails_with_its_reason_and_keeps_nothing() {
    let source = Source::start().await;
    source.put("disk.img", &[3u8; 200_000]);
    let app = TestApp::with(|s| {
        loopback_allowed(s);
        s.web_download_idle_timeout = Some(1);
    })
    .await;
    let api = Api::member(&app, "demo", "alice").await;
    for (path, why) in [
        ("truncate/disk.img", "transfer"),
        ("stall/disk.img", "timed out"),
        ("files/missing.img", "404"),
    ] {
        let id = new_image(&api, "raw").await;
        let a = import(&api, &id, web(&format!("{}/{path}", source.base))).await;
        assert_eq!(a.status, StatusCode::ACCEPTED);
        let t = ended_task(&api, &id).await;
        assert_eq!(t["status"], "failure", "{path}: {t}");
        let msg = t["message"].as_str().unwrap();
        assert!(msg.contains(why), "{path}: {msg}");
        let img = wait_image(&api, &id, |i| i["status"] == "queued").await;
        assert!(img["size"].is_null() && img["checksum"].is_null(), "{img}");
        assert!(img.get("os_glance_import_task").is_none(), "{img}");
        assert!(!support::has_data(&app, &id).await, "{path}: no data kept");
        // It can be retried once the source is fixed.
        let a = import(&api, &id, web(&format!("{}/files/disk.img", source.base))).await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
        wait_image(&api, &id, |i| i["status"] == "active").await;
    }
    assert_eq!(support::leftovers(&app).await, 0);
}

#[tokio::test]
async fn conversion_turns_a_qcow2_into_raw_and_refuses_a_backing_file_first() {
    let source = Source::start().await;
    let (_, raw) = source.qcow2("disk.qcow2");
    source.qemu(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "disk.qcow2",
        "-F",
        "qcow2",
        "child.qcow2",
    ]);
    let app = TestApp::with(|s| {
        loopback_allowed(s);
        s.image_conversion_format = Some("raw".into());
    })
    .await;
    let api = Api::member(&app, "demo", "alice").await;

    let id = new_image(&api, "qcow2").await;
    let a = import(&api, &id, web(&format!("{}/files/disk.qcow2", source.base))).await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let img = wait_image(&api, &id, |i| i["status"] == "active").await;
    assert_eq!(img["disk_format"], "raw");
    assert_eq!(img["size"], json!(raw.len()));
    assert_eq!(img["virtual_size"], json!(raw.len()));
    let got = api.download(&id, None).await.body;
    assert_eq!(got, raw);
    let out = source.put("downloaded.img", &got);
    let info = Command::new("qemu-img")
        .args(["info", "--output=json"])
        .arg(&out)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(info["format"], "raw");

    let id = new_image(&api, "qcow2").await;
    let a = import(
        &api,
        &id,
        web(&format!("{}/files/child.qcow2", source.base)),
    )
    .await;
    assert_eq!(a.status, StatusCode::ACCEPTED);
    let t = ended_task(&api, &id).await;
    assert_eq!(t["status"], "failure");
    assert!(t["message"].as_str().unwrap().contains("backing"), "{t}");
    let img = wait_image(&api, &id, |i| i["status"] == "queued").await;
    assert_eq!(img["disk_format"], "qcow2");
    let work = app.config.data_dir.join("convert");
    let left = std::fs::read_dir(&work).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no work files stay");
}

/// Two named file stores, `fast` (the default) and `slow`: multi-store is on.
fn two_stores(s: &mut Settings, dir: &Path) {
    let store = |id: &str, default: bool| {
        toml::from_str::<glimpse::server::config::StoreSettings>(&format!(
            "id = \"{id}\"\nkind = \"file\"\ndefault = {default}\npath = \"{}\"\n",
            dir.join(id).display()
        ))
        .unwrap()
    };
    s.stores = Some(vec![store("fast", true), store("slow", false)]);
}

#[tokio::test]
async fn copy_image_puts_an_active_image_in_more_stores_for_admins_only() {
    let stores = tempfile::tempdir().unwrap();
    let app = TestApp::with(|s| two_stores(s, stores.path())).await;
    let admin = Api::admin(&app).await;
    let id = new_image(&admin, "raw").await;
    let data = vec![9u8; 100_000];
    assert_eq!(
        admin.upload(&id, &data, None).await.status,
        StatusCode::NO_CONTENT
    );
    let img = admin
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(img["stores"], "fast");

    // Already there: 400; unknown: 409; a member of the owning project may not copy: 403.
    let copy = |stores: Value| json!({"method": {"name": "copy-image"}, "stores": stores});
    assert_eq!(
        import(&admin, &id, copy(json!(["fast"]))).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        import(&admin, &id, copy(json!(["tape"]))).await.status,
        StatusCode::CONFLICT
    );
    let alice = Api::member(&app, "demo", "alice").await;
    let own = new_image(&alice, "raw").await;
    alice.upload(&own, &data, None).await;
    let a = import(&alice, &own, copy(json!(["slow"]))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.text());

    let a = import(&admin, &id, copy(json!(["slow"]))).await;
    assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text());
    assert_eq!(ended_task(&admin, &id).await["status"], "success");
    let img = wait_image(&admin, &id, |i| i["stores"] == "fast,slow").await;
    assert_eq!(
        img["status"], "active",
        "copy-image never changes the status"
    );
    assert!(img.get("os_glance_import_task").is_none(), "{img}");
    assert_eq!(
        std::fs::read(stores.path().join("slow").join(&id)).unwrap(),
        data
    );
    // all_stores with nothing left to copy to is refused.
    let a = import(
        &admin,
        &id,
        json!({"method": {"name": "copy-image"}, "all_stores": true}),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_real_clients_import_by_every_method() {
    use crate::clients::Clients;
    use crate::support::ADMIN_PASSWORD;
    let source = Source::start().await;
    let (path, _) = source.qcow2("cirros.qcow2");
    let qcow2 = std::fs::read(&path).unwrap();
    let stores = tempfile::tempdir().unwrap();
    let app = TestApp::with(|s| {
        loopback_allowed(s);
        two_stores(s, stores.path());
    })
    .await;
    let base = app.spawn().await;
    let c = Clients::new(&base);
    let api = Api::admin(&app).await;
    let uri = format!("{}/files/cirros.qcow2", source.base);
    let file = path.to_str().unwrap();

    // glance image-create-via-import, web-download: the client waits for nothing, so poll.
    let out = c
        .run_without_stdin(
            "glance",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "image-create-via-import",
                "--name",
                "via-web",
                "--disk-format",
                "qcow2",
                "--container-format",
                "bare",
                "--import-method",
                "web-download",
                "--uri",
                &uri,
            ],
        )
        .await;
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    let id = field(&out.stdout, "id");
    let img = wait_image(&api, &id, |i| i["status"] == "active").await;
    assert_eq!(img["checksum"], json!(md5_hex(&qcow2)));

    // glance image-create-via-import, glance-direct from a file (stage, then import).
    let out = c
        .run_without_stdin(
            "glance",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "image-create-via-import",
                "--name",
                "via-stage",
                "--disk-format",
                "qcow2",
                "--container-format",
                "bare",
                "--import-method",
                "glance-direct",
                "--file",
                file,
            ],
        )
        .await;
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    let staged = field(&out.stdout, "id");
    let img = wait_image(&api, &staged, |i| i["status"] == "active").await;
    assert_eq!(img["checksum"], json!(md5_hex(&qcow2)));
    assert_eq!(img["stores"], "fast");
    // Its task ends (and drops the image's import lock) just after the image turns active.
    assert_eq!(ended_task(&api, &staged).await["status"], "success");

    // glance image-import --import-method copy-image --stores slow.
    let out = c
        .run_without_stdin(
            "glance",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &[
                "image-import",
                "--import-method",
                "copy-image",
                "--stores",
                "slow",
                &staged,
            ],
        )
        .await;
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    wait_image(&api, &staged, |i| i["stores"] == "fast,slow").await;
    let listed = c
        .run_without_stdin(
            "glance",
            "admin",
            ADMIN_PASSWORD,
            "admin",
            &["image-tasks", &staged],
        )
        .await;
    assert!(listed.ok, "{}\n{}", listed.stdout, listed.stderr);
    assert!(listed.stdout.contains("success"), "{}", listed.stdout);

    // openstack image create --import (glance-direct through openstacksdk).
    let osc = c.as_user("openstack", "admin", ADMIN_PASSWORD, "admin");
    let out = osc
        .run(&[
            "image",
            "create",
            "--import",
            "--disk-format",
            "qcow2",
            "--container-format",
            "bare",
            "--file",
            file,
            "-f",
            "json",
            "osc-import",
        ])
        .await
        .json();
    let id = out["id"].as_str().unwrap().to_string();
    wait_image(&api, &id, |i| i["status"] == "active").await;

    // openstacksdk's import_image, web-download.
    let script = format!(
        "import openstack\n\
         conn = openstack.connect()\n\
         img = conn.image.create_image(name='sdk-web', disk_format='qcow2', container_format='bare')\n\
         conn.image.import_image(img, method='web-download', uri='{uri}')\n\
         img = conn.image.wait_for_status(img, status='active', failures=['queued'], interval=0.2, wait=60)\n\
         print(img.id, img.status, img.checksum)\n"
    );
    let auth = format!("{base}/identity/v3");
    let out = c
        .run_env(
            "python",
            &crate::clients::password_env(&auth, "admin", ADMIN_PASSWORD, "admin"),
            &["-c", &script],
        )
        .await;
    assert!(out.ok, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!("active {}", md5_hex(&qcow2))),
        "{}",
        out.stdout
    );
}

/// A field of the table glance prints (`| id | … |`).
fn field(table: &str, name: &str) -> String {
    table
        .lines()
        .find_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells.len() > 2 && cells[1] == name).then(|| cells[2].to_string())
        })
        .unwrap_or_else(|| panic!("no {name} in:\n{table}"))
}

/// GET `path` on the node at `addr` with `token`; the JSON answer.
async fn get_json(addr: &str, token: &str, path: &str) -> Value {
    let (status, head, body) =
        crate::interrupted::http(addr, "GET", path, &[("X-Auth-Token", token)], b"").await;
    assert_eq!(status, 200, "{head}");
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_whose_node_is_killed_is_finished_by_another_node() {
    use crate::interrupted::{http, spawn_configured, token};
    use crate::support::ADMIN_PASSWORD;
    let source = Source::start().await;
    let (path, _) = source.qcow2("disk.qcow2");
    let qcow2 = std::fs::read(path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("glimpse.toml");
    std::fs::write(
        &config,
        "[import_filtering]\nallowed_hosts = [\"127.0.0.1\"]\nallowed_ports = []\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let spawn = |node: &'static str| {
        let (data, config) = (data.clone(), config.clone());
        async move {
            spawn_configured(&data, node, 3, Some(ADMIN_PASSWORD), Some(&config), &[])
                .await
                .0
        }
    };
    let mut a = spawn("node-a").await;
    let tok = token(&a.addr).await;
    let (status, head, body) = http(
        &a.addr,
        "POST",
        "/image/v2/images",
        &[("X-Auth-Token", &tok), ("Content-Type", "application/json")],
        br#"{"name": "taken over", "disk_format": "qcow2", "container_format": "bare"}"#,
    )
    .await;
    assert_eq!(status, 201, "{head}");
    let id = serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The source stalls the first transfer: node A is still running the task when it dies.
    let req = json!({"method": {"name": "web-download", "uri": format!("{}/stall-once/disk.qcow2", source.base)}});
    let (status, head, _) = http(
        &a.addr,
        "POST",
        &format!("/image/v2/images/{id}/import"),
        &[("X-Auth-Token", &tok), ("Content-Type", "application/json")],
        req.to_string().as_bytes(),
    )
    .await;
    assert_eq!(status, 202, "{head}");
    let tasks_path = format!("/image/v2/images/{id}/tasks");
    let deadline = Instant::now() + Duration::from_secs(60);
    while get_json(&a.addr, &tok, &tasks_path).await["tasks"][0]["status"] != "processing"
        || source.stalls.load(Ordering::SeqCst) == 0
    {
        assert!(
            Instant::now() < deadline,
            "node A never started the transfer"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let b = spawn("node-b").await;
    a.child.kill().await.unwrap();

    // Once A's lease runs out, B takes the task over, fetches again and finishes it.
    let deadline = Instant::now() + Duration::from_secs(60);
    let t = loop {
        let t = get_json(&b.addr, &tok, &tasks_path).await["tasks"][0].clone();
        if t["status"] == "success" || t["status"] == "failure" {
            break t;
        }
        assert!(Instant::now() < deadline, "node B never finished it: {t}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(t["status"], "success", "{t}");
    let img = get_json(&b.addr, &tok, &format!("/image/v2/images/{id}")).await;
    assert_eq!(img["status"], "active", "{img}");
    assert_eq!(img["checksum"], json!(md5_hex(&qcow2)));
    assert!(img.get("os_glance_import_task").is_none(), "{img}");
    let (status, _, got) = http(
        &b.addr,
        "GET",
        &format!("/image/v2/images/{id}/file"),
        &[("X-Auth-Token", &tok)],
        b"",
    )
    .await;
    assert_eq!((status, got.len()), (200, qcow2.len()));
}
