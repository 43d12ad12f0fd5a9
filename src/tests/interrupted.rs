//! Nothing is lost when an upload is interrupted: the real `glimpse` binary on 127.0.0.1:0, a raw
//! HTTP/1.1 client that sends part of a chunked body, then either the client goes away or the
//! server is killed (SIGKILL) and restarted; and two nodes on one database and data directory,
//! where one never takes back the other's live upload but does take it back once its lease is
//! stale (also under the real `glance` client, uploading from a pipe that stops half-way).

use crate::support::{auth_body, ADMIN_PASSWORD};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

pub struct Server {
    pub child: Child,
    pub addr: String,
}

async fn start(data: &Path) -> Server {
    start_node(data, "node-a", 60).await
}

/// A server on `data` named `node` in upload leases, which last `lease` seconds.
async fn start_node(data: &Path, node: &str, lease: u64) -> Server {
    spawn_node(data, node, lease, Some(ADMIN_PASSWORD)).await.0
}

/// Starts `glimpse serve` and waits until it listens; also returns what it printed before
/// (where a first start announces a generated admin password).
pub async fn spawn_node(
    data: &Path,
    node: &str,
    lease: u64,
    admin_password: Option<&str>,
) -> (Server, Vec<String>) {
    spawn_configured(data, node, lease, admin_password, None, &[]).await
}

/// `spawn_node` with a settings file and more environment.
pub async fn spawn_configured(
    data: &Path,
    node: &str,
    lease: u64,
    admin_password: Option<&str>,
    config: Option<&Path>,
    env: &[(&str, &str)],
) -> (Server, Vec<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_glimpse"));
    if let Some(config) = config {
        cmd.arg("--config").arg(config);
    }
    cmd.envs(env.iter().copied());
    if let Some(url) = crate::support::database_url(data) {
        cmd.env("GLIMPSE_DATABASE_URL", url);
    }
    match admin_password {
        Some(pw) => cmd.env("GLIMPSE_ADMIN_PASSWORD", pw),
        None => cmd.env_remove("GLIMPSE_ADMIN_PASSWORD"),
    };
    let mut child = cmd
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .arg("--site-root")
        .arg(data.join("site"))
        .env("GLIMPSE_NODE_NAME", node)
        .env("GLIMPSE_UPLOAD_LEASE", lease.to_string())
        .env("GLIMPSE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = vec![];
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("server printed its address");
        if let Some(rest) = line
            .strip_prefix("Glimpse is serving http://")
            .or_else(|| line.strip_prefix("Glimpse is serving https://"))
        {
            break rest.split_whitespace().next().unwrap().to_string();
        }
        banner.push(line);
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (Server { child, addr }, banner)
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, headers, body).
pub async fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

pub async fn token(addr: &str) -> String {
    token_for(addr, ADMIN_PASSWORD).await
}

async fn token_for(addr: &str, password: &str) -> String {
    let body = auth_body("admin", password, "admin").to_string();
    let (status, head, _) = http(
        addr,
        "POST",
        "/identity/v3/auth/tokens",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 201);
    head.lines()
        .find_map(|l| l.strip_prefix("x-subject-token: "))
        .unwrap()
        .trim()
        .to_string()
}

pub async fn image(addr: &str, token: &str, id: &str) -> Value {
    let (status, _, body) = http(
        addr,
        "GET",
        &format!("/image/v2/images/{id}"),
        &[("X-Auth-Token", token)],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

pub async fn create(addr: &str, token: &str) -> String {
    let body = br#"{"name": "big", "disk_format": "raw", "container_format": "bare"}"#;
    let (status, _, body) = http(
        addr,
        "POST",
        "/image/v2/images",
        &[
            ("X-Auth-Token", token),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await;
    assert_eq!(status, 201);
    serde_json::from_slice::<Value>(&body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Starts a chunked upload, sends `bytes` of it, and returns the still-open connection.
async fn partial_upload(addr: &str, token: &str, id: &str, bytes: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /image/v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nX-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0;
    while sent < bytes {
        s.write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        s.write_all(&chunk).await.unwrap();
        s.write_all(b"\r\n").await.unwrap();
        sent += chunk.len();
    }
    s.flush().await.unwrap();
    s
}

/// Waits (bounded) until `cond` holds; the server works asynchronously, so the test polls.
async fn eventually<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn temp_files(data: &Path) -> usize {
    std::fs::read_dir(data.join("images/.tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_leaves_the_image_queued_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path()).await;
    let t = token(&server.addr).await;
    let id = create(&server.addr, &t).await;
    let conn = partial_upload(&server.addr, &t, &id, 3 << 20).await;
    eventually("the upload is saving", || async {
        image(&server.addr, &t, &id).await["status"] == "saving"
    })
    .await;
    eventually("a partial file exists", || async {
        temp_files(dir.path()) == 1
    })
    .await;
    drop(conn);
    eventually("the image is queued again", || async {
        image(&server.addr, &t, &id).await["status"] == "queued"
    })
    .await;
    eventually("the partial file is gone", || async {
        temp_files(dir.path()) == 0
    })
    .await;
    assert!(!dir.path().join("images").join(&id).exists());
    // The next upload works.
    let (status, _, _) = http(
        &server.addr,
        "PUT",
        &format!("/image/v2/images/{id}/file"),
        &[
            ("X-Auth-Token", &t),
            ("Content-Type", "application/octet-stream"),
        ],
        b"complete data",
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(image(&server.addr, &t, &id).await["size"], 13);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_upload_recovers_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let t = token(&server.addr).await;
    let id = create(&server.addr, &t).await;
    let _conn = partial_upload(&server.addr, &t, &id, 3 << 20).await;
    eventually("the upload is saving", || async {
        image(&server.addr, &t, &id).await["status"] == "saving"
    })
    .await;
    eventually("a partial file exists", || async {
        temp_files(dir.path()) == 1
    })
    .await;

    server.child.start_kill().unwrap(); // SIGKILL: no cleanup code runs
    server.child.wait().await.unwrap();
    assert_eq!(temp_files(dir.path()), 1, "the crash left a partial file");

    let server = start(dir.path()).await;
    let t = token(&server.addr).await;
    let img = image(&server.addr, &t, &id).await;
    assert_eq!(img["status"], "queued", "{img}");
    assert!(img["size"].is_null());
    assert_eq!(temp_files(dir.path()), 0, "leftovers removed at start");
    assert!(!dir.path().join("images").join(&id).exists());
    let (status, _, _) = http(
        &server.addr,
        "PUT",
        &format!("/image/v2/images/{id}/file"),
        &[
            ("X-Auth-Token", &t),
            ("Content-Type", "application/octet-stream"),
        ],
        b"after the crash",
    )
    .await;
    assert_eq!(status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_upload_in_flight_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let t = token(&server.addr).await;
    let id = create(&server.addr, &t).await;
    let mut conn = partial_upload(&server.addr, &t, &id, 1 << 20).await;
    eventually("the upload is saving", || async {
        image(&server.addr, &t, &id).await["status"] == "saving"
    })
    .await;

    let pid = server.child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    // The server stops taking new connections but finishes this request.
    conn.write_all(b"0\r\n\r\n").await.unwrap();
    let mut resp = Vec::new();
    conn.read_to_end(&mut resp).await.unwrap();
    assert!(
        resp.starts_with(b"HTTP/1.1 204"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    let status = tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .expect("server exits")
        .unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");

    let server = start(dir.path()).await;
    let t = token(&server.addr).await;
    let img = image(&server.addr, &t, &id).await;
    assert_eq!(img["status"], "active", "the upload completed: {img}");
    assert_eq!(img["size"], 1 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_leaves_a_live_upload_alone_and_takes_back_a_dead_nodes() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = start_node(dir.path(), "node-a", 6).await;
    let t = token(&a.addr).await;
    let id = create(&a.addr, &t).await;
    let mut conn = partial_upload(&a.addr, &t, &id, 2 << 20).await;
    eventually("the upload is saving", || async {
        image(&a.addr, &t, &id).await["status"] == "saving"
    })
    .await;
    eventually("a partial file exists", || async {
        temp_files(dir.path()) == 1
    })
    .await;

    // A second node starts on the same database and data directory: its recovery must not
    // touch node-a's upload, whose lease node-a keeps renewing.
    let b = start_node(dir.path(), "node-b", 6).await;
    let tb = token(&b.addr).await;
    assert_eq!(image(&b.addr, &tb, &id).await["status"], "saving");
    assert_eq!(
        temp_files(dir.path()),
        1,
        "node-b left node-a's partial data alone"
    );
    // Longer than a lease: node-a renews it, so node-b's sweeps still leave it alone, and the
    // upload completes on node-a.
    let renewed = Instant::now() + Duration::from_secs(8);
    while Instant::now() < renewed {
        conn.write_all(b"1\r\nx\r\n").await.unwrap();
        assert_eq!(image(&b.addr, &tb, &id).await["status"], "saving");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    conn.write_all(b"0\r\n\r\n").await.unwrap();
    // The connection stays open (keep-alive): read the status line.
    let mut resp = vec![0u8; 64];
    let n = conn.read(&mut resp).await.unwrap();
    assert!(
        resp[..n].starts_with(b"HTTP/1.1 204"),
        "{}",
        String::from_utf8_lossy(&resp[..n])
    );
    assert_eq!(image(&b.addr, &tb, &id).await["status"], "active");

    // A second upload on node-a, then node-a dies: node-b takes it back once the lease is stale,
    // with its partial data removed.
    let id2 = create(&a.addr, &t).await;
    let _conn = partial_upload(&a.addr, &t, &id2, 2 << 20).await;
    kill_mid_upload_then_taken_back(&mut a, &b, &tb, &id2, dir.path()).await;
    // The first image's data was never touched.
    assert_eq!(image(&b.addr, &tb, &id).await["status"], "active");
    assert!(dir.path().join("images").join(&id).exists());
}

/// Two first starts at once on one empty database: one admin is created (one node prints its
/// generated password, which then works on both) and the catalog is seeded once.
#[tokio::test]
async fn two_first_starts_at_once_make_one_admin_and_one_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let ((a, banner_a), (b, banner_b)) = tokio::join!(
        spawn_node(data, "node-a", 60, None),
        spawn_node(data, "node-b", 60, None)
    );
    let created: Vec<&String> = banner_a
        .iter()
        .chain(&banner_b)
        .filter(|l| l.contains("Created user 'admin'"))
        .collect();
    assert_eq!(created.len(), 1, "{banner_a:?} {banner_b:?}");
    let password = created[0].rsplit(' ').next().unwrap();
    let namespaces = |addr: String, token: String| async move {
        let (status, _, body) = http(
            &addr,
            "GET",
            "/image/v2/metadefs/namespaces?limit=1000",
            &[("X-Auth-Token", &token)],
            b"",
        )
        .await;
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["namespaces"].as_array().unwrap().len()
    };
    let (ta, tb) = (
        token_for(&a.addr, password).await,
        token_for(&b.addr, password).await,
    );
    let (na, nb) = (
        namespaces(a.addr.clone(), ta).await,
        namespaces(b.addr.clone(), tb).await,
    );
    assert_eq!(na, glimpse::server::metadefs::catalog().len());
    assert_eq!(na, nb);
}

/// The real `glance` client uploads from a pipe that stops half-way; the receiving node is killed
/// (SIGKILL). The other node leaves the upload alone while its lease is fresh, then requeues it
/// and removes the partial data once the lease is stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_the_real_client_is_taken_back_by_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = start_node(dir.path(), "node-a", 4).await;
    let b = start_node(dir.path(), "node-b", 4).await;
    let t = token(&a.addr).await;
    let id = create(&a.addr, &t).await;
    let fifo = dir.path().join("upload.pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let clients = crate::clients::Clients::new(&format!("http://{}", a.addr));
    let image_a = format!("http://{}/image", a.addr);
    let upload = {
        let (t, fifo, id) = (t.clone(), fifo.clone(), id.clone());
        tokio::spawn(async move {
            let env = [
                ("OS_AUTH_TOKEN", t.as_str()),
                ("OS_IMAGE_URL", image_a.as_str()),
            ];
            let args = [
                "image-upload",
                "--file",
                fifo.to_str().unwrap(),
                id.as_str(),
            ];
            clients.run_env("glance", &env, &args).await
        })
    };
    // 3 MiB into the pipe, which then stays open: the client waits for more.
    let writer = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut w = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        w.write_all(&vec![9u8; 3 << 20]).unwrap();
        w
    })
    .await
    .unwrap();
    let tb = token(&b.addr).await;
    kill_mid_upload_then_taken_back(&mut a, &b, &tb, &id, dir.path()).await;
    drop(writer);
    let run = upload.await.unwrap();
    assert!(!run.ok, "the client saw its upload fail: {}", run.stdout);
}

/// Once `id`'s upload to node `a` is saving with a partial file, kills `a` (SIGKILL): right after,
/// the lease is still fresh and node `b` leaves the upload alone; once stale, `b` requeues it and
/// removes the partial data.
async fn kill_mid_upload_then_taken_back(
    a: &mut Server,
    b: &Server,
    tb: &str,
    id: &str,
    data: &Path,
) {
    eventually("the upload is saving", || async {
        image(&b.addr, tb, id).await["status"] == "saving"
    })
    .await;
    eventually("its partial file exists", || async {
        temp_files(data) == 1
    })
    .await;
    a.child.start_kill().unwrap();
    a.child.wait().await.unwrap();
    assert_eq!(image(&b.addr, tb, id).await["status"], "saving");
    eventually("node-b requeued the dead node's upload", || async {
        image(&b.addr, tb, id).await["status"] == "queued"
    })
    .await;
    eventually("and removed its partial data", || async {
        temp_files(data) == 0
    })
    .await;
}
