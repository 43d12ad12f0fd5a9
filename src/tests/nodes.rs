//! Two `glimpse serve` processes on one database and one data directory, driven alternately
//! with the real python clients (and the dashboard's session cookie): whatever one node does,
//! the other sees and honours.

use crate::clients::Clients;
use crate::interrupted::{http, spawn_node};
use crate::support::{urlencode, ADMIN_PASSWORD};
use glimpse::server_fns::auth::{CurrentSession, Login};
use leptos::server_fn::ServerFn;
use serde_json::Value;

/// The admin's dashboard session cookie, from logging in on the node at `addr`.
async fn admin_session(addr: &str) -> String {
    let form = format!(
        "username=admin&password={}&next=%2F",
        urlencode(ADMIN_PASSWORD)
    );
    let (status, head, _) = http(
        addr,
        "POST",
        Login::PATH,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        form.as_bytes(),
    )
    .await;
    assert!(status < 400, "{head}");
    head.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_serve_one_cloud_to_the_real_clients() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (a, _) = spawn_node(data, "node-a", 60, Some(ADMIN_PASSWORD)).await;
    let (b, _) = spawn_node(data, "node-b", 60, Some(ADMIN_PASSWORD)).await;
    let (ca, cb) = (
        Clients::new(&format!("http://{}", a.addr)),
        Clients::new(&format!("http://{}", b.addr)),
    );

    // A token issued by node A is accepted by node B.
    let token = ca
        .as_user("openstack", "admin", ADMIN_PASSWORD, "admin")
        .run(&["token", "issue", "-f", "json"])
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let auth_b = format!("http://{}/identity/v3", b.addr);
    let with_token_on_b = [
        ("OS_AUTH_URL", auth_b.as_str()),
        ("OS_AUTH_TYPE", "v3token"),
        ("OS_TOKEN", token.as_str()),
        ("OS_PROJECT_NAME", "admin"),
        ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_INTERFACE", "public"),
    ];

    // Create on A, upload on B (with A's token), download from A.
    // The record is made with one API call on A: both CLIs upload whatever their standard input
    // holds when it is not a terminal, and a test's is not.
    let body = br#"{"name": "two-nodes", "disk_format": "raw", "container_format": "bare"}"#;
    let (status, _, created) = http(
        &a.addr,
        "POST",
        "/image/v2/images",
        &[
            ("X-Auth-Token", &token),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await;
    assert_eq!(status, 201);
    let created: Value = serde_json::from_slice(&created).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let bytes: Vec<u8> = (0..(3u32 << 20) + 7).map(|i| (i % 253) as u8).collect();
    let file = data.join("upload.raw");
    std::fs::write(&file, &bytes).unwrap();
    // glance with a token and an endpoint talks to node B's image API directly.
    let image_b = format!("http://{}/image", b.addr);
    let glance_on_b = [
        ("OS_AUTH_TOKEN", token.as_str()),
        ("OS_IMAGE_URL", image_b.as_str()),
    ];
    let up = cb
        .run_env(
            "glance",
            &glance_on_b,
            &["image-upload", "--file", file.to_str().unwrap(), &id],
        )
        .await;
    assert!(up.ok, "{}\n{}", up.stdout, up.stderr);
    let out = data.join("download.raw");
    let save = ca
        .as_user("openstack", "admin", ADMIN_PASSWORD, "admin")
        .run(&["image", "save", "--file", out.to_str().unwrap(), &id])
        .await;
    assert!(save.ok, "{}", save.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let shown = cb
        .run_env(
            "openstack",
            &with_token_on_b,
            &["image", "show", "-f", "json", &id],
        )
        .await
        .json();
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["checksum"].as_str().unwrap(), {
        use md5::{Digest, Md5};
        format!("{:x}", Md5::digest(&bytes))
    });

    // The dashboard's session cookie from A works on B.
    let cookie = admin_session(&a.addr).await;
    let (status, _, body) = http(
        &b.addr,
        "POST",
        CurrentSession::PATH,
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    let session: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(session["user_name"], "admin", "{session}");

    // A lockout earned on A holds on B.
    let wrong = ca.as_user("openstack", "admin", "not-the-password", "admin");
    for _ in 0..5 {
        assert!(!wrong.run(&["token", "issue"]).await.ok);
    }
    let locked = cb
        .as_user("openstack", "admin", ADMIN_PASSWORD, "admin")
        .run(&["token", "issue"])
        .await;
    assert!(!locked.ok);
    assert!(
        locked.stderr.contains("Too many failed login attempts"),
        "{}",
        locked.stderr
    );
}

/// The dashboard's live stream on one node carries what is done through the other (relayed
/// through the shared database), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_on_one_node_sees_what_is_done_through_the_other() {
    use glimpse::domain::image::ImageStatus;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let (a, _) = spawn_node(data, "node-a", 60, Some(ADMIN_PASSWORD)).await;
    let (b, _) = spawn_node(data, "node-b", 60, Some(ADMIN_PASSWORD)).await;
    let cookie = admin_session(&b.addr).await;
    let mut stream = reqwest::Client::new()
        .get(format!("http://{}/events", b.addr))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    let auth =
        serde_json::to_vec(&crate::support::auth_body("admin", ADMIN_PASSWORD, "admin")).unwrap();
    let (status, head, _) = http(
        &a.addr,
        "POST",
        "/identity/v3/auth/tokens",
        &[("Content-Type", "application/json")],
        &auth,
    )
    .await;
    assert_eq!(status, 201);
    let token = head
        .lines()
        .find_map(|l| l.strip_prefix("x-subject-token: "))
        .unwrap()
        .trim()
        .to_string();
    let create = |addr: String, name: &'static str| {
        let token = token.clone();
        async move {
            let body = format!(
                r#"{{"name": "{name}", "disk_format": "raw", "container_format": "bare"}}"#
            );
            let (status, _, created) = http(
                &addr,
                "POST",
                "/image/v2/images",
                &[
                    ("X-Auth-Token", &token),
                    ("Content-Type", "application/json"),
                ],
                body.as_bytes(),
            )
            .await;
            assert_eq!(status, 201);
            serde_json::from_slice::<Value>(&created).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // One made through B itself, then one through A.
    let on_b = create(b.addr.clone(), "made-on-b").await;
    let on_a = create(a.addr.clone(), "made-on-a").await;
    let mut buf = String::new();
    let seen = crate::events::read_until(&mut stream, &mut buf, |e| {
        e.image_id.to_string() == on_a && e.event_type == "image.create"
    })
    .await;
    let from_b = seen
        .iter()
        .filter(|e| e.image_id.to_string() == on_b)
        .count();
    assert_eq!(
        from_b, 1,
        "B's own event once, not again from the relay: {seen:?}"
    );
    // Its upload through A turns it active in B's stream.
    let (status, _, _) = http(
        &a.addr,
        "PUT",
        &format!("/image/v2/images/{on_a}/file"),
        &[
            ("X-Auth-Token", &token),
            ("Content-Type", "application/octet-stream"),
        ],
        &[9u8; 10_000],
    )
    .await;
    assert_eq!(status, 204);
    let seen = crate::events::read_until(&mut stream, &mut buf, |e| {
        e.image_id.to_string() == on_a && e.event_type == "image.activate"
    })
    .await;
    let types: Vec<_> = seen.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["image.prepare", "image.upload", "image.activate"]);
    assert_eq!(seen[2].status, ImageStatus::Active);
}
