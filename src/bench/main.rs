//! `make bench`: upload and download speed of a 1 GiB image through the API (median of 3) beside
//! sha512sum, md5sum and cat on the same file, the server's peak RSS, and list latency (p50/p95)
//! with 10,000 and 100,000 images. It starts the release `glimpse` binary on 127.0.0.1:0 with a
//! fresh data dir, and prints figures; it asserts nothing.

use glimpse::domain::ids::ImageId;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const PASSWORD: &str = "bench-password";
const GIB: u64 = 1 << 30;

struct Server {
    child: Child,
    addr: String,
}

async fn start(data: &Path) -> Server {
    start_with(data, &[]).await
}

async fn start_with(data: &Path, env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_glimpse"))
        .envs(env.iter().copied())
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .arg("--site-root")
        .arg(data.join("site"))
        .env("GLIMPSE_ADMIN_PASSWORD", PASSWORD)
        .env("GLIMPSE_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start glimpse");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next_line().await.unwrap().expect("server address");
        if let Some(rest) = line.strip_prefix("Glimpse is serving http://") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, addr }
}

impl Server {
    fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }
    fn rss_mb(&self) -> f64 {
        self.status_kib("VmRSS:") as f64 / 1024.0
    }
    fn status_kib(&self, field: &str) -> u64 {
        let pid = self.child.id().unwrap();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// A request on a fresh connection; returns (status, head, body).
async fn request(addr: &str, head: String, body: &[u8]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let h = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = h.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, h, raw[split + 4..].to_vec())
}

fn head(
    method: &str,
    addr: &str,
    path: &str,
    token: Option<&str>,
    extra: &str,
    len: u64,
) -> String {
    let auth = token
        .map(|t| format!("X-Auth-Token: {t}\r\n"))
        .unwrap_or_default();
    format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n{auth}{extra}Content-Length: {len}\r\n\r\n")
}

async fn token(addr: &str, user: &str, project: &str) -> String {
    let (status, token) = login(addr, user, PASSWORD, project).await;
    assert_eq!(status, 201, "login");
    token
}

/// A password login; returns the status and the token (empty when refused).
async fn login(addr: &str, user: &str, password: &str, project: &str) -> (u16, String) {
    let body = serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"name": user, "domain": {"name": "Default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": "Default"}}}}})
    .to_string();
    let h = head(
        "POST",
        addr,
        "/identity/v3/auth/tokens",
        None,
        "Content-Type: application/json\r\n",
        body.len() as u64,
    );
    let (status, h, _) = request(addr, h, body.as_bytes()).await;
    let token = h
        .lines()
        .find_map(|l| l.strip_prefix("x-subject-token: "))
        .unwrap_or_default()
        .trim()
        .to_string();
    (status, token)
}

/// Memory under logins: RSS at rest when fresh, after three password operations, and after a
/// storm of 200 concurrent wrong-password logins, with list latency measured during the storm.
async fn logins(root: &Path) {
    println!("\n== memory under logins (argon2id, default parameters) ==");
    let data = root.join("logins");
    // Lockouts off for the storm: every attempt runs argon2.
    let server = start_with(&data, &[("GLIMPSE_LOGIN_MAX_FAILURES", "100000")]).await;
    let addr = server.addr.clone();
    let settle = || tokio::time::sleep(Duration::from_millis(500));
    settle().await;
    let fresh = server.rss_mb();
    let admin = token(&addr, "admin", "admin").await;
    let body =
        serde_json::json!({"user": {"name": "bench-user", "password": PASSWORD}}).to_string();
    let h = head(
        "POST",
        &addr,
        "/identity/v3/users",
        Some(&admin),
        "Content-Type: application/json\r\n",
        body.len() as u64,
    );
    assert_eq!(request(&addr, h, body.as_bytes()).await.0, 201);
    token(&addr, "admin", "admin").await;
    settle().await;
    let after_three = server.rss_mb();
    let storm_start = Instant::now();
    let storm: Vec<_> = (0..200)
        .map(|i| {
            let addr = addr.clone();
            tokio::spawn(async move {
                login(&addr, &format!("nobody-{i}"), "wrong-password", "admin")
                    .await
                    .0
            })
        })
        .collect();
    let (p50, p95) = latencies(&addr, &admin, "/image/v2/images?limit=25", 40).await;
    let mut refused = 0;
    for s in storm {
        if s.await.unwrap() == 401 {
            refused += 1;
        }
    }
    let storm_time = storm_start.elapsed();
    settle().await;
    println!(
        "RSS at rest: fresh {fresh:.1} MB, after a login, a user create and a login {after_three:.1} MB"
    );
    println!(
        "200 concurrent wrong-password logins: {refused} refused (401) in {:.1} s; list p50/p95 meanwhile {p50:.2}/{p95:.2} ms",
        storm_time.as_secs_f64()
    );
    println!(
        "RSS at rest after the storm {:.1} MB ({:+.1} MB from fresh, target within 40), peak {:.1} MB",
        server.rss_mb(),
        server.rss_mb() - fresh,
        server.peak_rss_kib() as f64 / 1024.0
    );
}

/// Creates a raw image; Glance (and Glimpse) inspect the data of `bare` containers only.
async fn create(addr: &str, token: &str, container: &str) -> String {
    let body =
        format!(r#"{{"name": "bench", "disk_format": "raw", "container_format": "{container}"}}"#);
    let body = body.as_bytes();
    let h = head(
        "POST",
        addr,
        "/image/v2/images",
        Some(token),
        "Content-Type: application/json\r\n",
        body.len() as u64,
    );
    let (status, _, b) = request(addr, h, body).await;
    assert_eq!(status, 201);
    serde_json::from_slice::<Value>(&b).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Sends the file with sendfile(2) from a plain thread, so the client takes as little as possible
/// of the CPU the server needs: the figure is the server's.
async fn upload(addr: &str, token: &str, id: &str, file: &Path) -> Duration {
    let len = std::fs::metadata(file).unwrap().len();
    let h = head(
        "PUT",
        addr,
        &format!("/image/v2/images/{id}/file"),
        Some(token),
        "Content-Type: application/octet-stream\r\n",
        len,
    );
    let (addr, file) = (addr.to_string(), file.to_path_buf());
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let f = std::fs::File::open(&file).unwrap();
        let start = Instant::now();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(h.as_bytes()).unwrap();
        let mut offset = 0u64;
        while offset < len {
            let want = (len - offset) as usize;
            let n = rustix::fs::sendfile(&s, &f, Some(&mut offset), want).unwrap();
            assert!(n > 0, "sendfile made progress");
        }
        let mut resp = Vec::new();
        s.read_to_end(&mut resp).unwrap();
        assert!(
            resp.starts_with(b"HTTP/1.1 204"),
            "{}",
            String::from_utf8_lossy(&resp)
        );
        start.elapsed()
    })
    .await
    .unwrap()
}

/// Reads the whole response into a 1 MiB buffer from a plain thread.
async fn download(addr: &str, token: &str, id: &str) -> Duration {
    let h = head(
        "GET",
        addr,
        &format!("/image/v2/images/{id}/file"),
        Some(token),
        "",
        0,
    );
    let addr = addr.to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let start = Instant::now();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(h.as_bytes()).unwrap();
        let total = drain(&mut s);
        assert!(total > GIB, "whole image received");
        start.elapsed()
    })
    .await
    .unwrap()
}

fn drain(s: &mut std::net::TcpStream) -> u64 {
    use std::io::Read;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            return total;
        }
        total += n as u64;
    }
}

/// Times one loopback TCP transfer of 1 GiB with no HTTP: `send` writes it into the accepted
/// socket from its own thread, and a plain reader drains it into a 1 MiB buffer.
fn loopback(send: impl FnOnce(std::net::TcpStream) + Send + 'static) -> Duration {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = std::thread::spawn(move || send(listener.accept().unwrap().0));
    let start = Instant::now();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let total = drain(&mut s);
    let took = start.elapsed();
    sender.join().unwrap();
    assert_eq!(total, GIB);
    took
}

/// Memory to memory, the reference for downloads: written from one 1 MiB buffer, with no file
/// and no server in between.
fn from_memory(mut s: std::net::TcpStream) {
    use std::io::Write;
    let block = vec![7u8; 1 << 20];
    for _ in 0..GIB / block.len() as u64 {
        s.write_all(&block).unwrap();
    }
}

/// From the cached file with sendfile(2) (no copy on the sending side): what the fastest
/// possible server could send.
fn from_file(file: &Path) -> impl FnOnce(std::net::TcpStream) + Send + 'static {
    let f = std::fs::File::open(file).unwrap();
    move |s| {
        let mut offset = 0u64;
        while offset < GIB {
            let want = (GIB - offset) as usize;
            let n = rustix::fs::sendfile(&s, &f, Some(&mut offset), want).unwrap();
            assert!(n > 0, "sendfile made progress");
        }
    }
}

/// From the cached file with read(2) and write(2) through a 1 MiB buffer: what any server that
/// reads the file and writes it to the socket does (one copy more than memory to memory).
fn from_file_copy(file: &Path) -> impl FnOnce(std::net::TcpStream) + Send + 'static {
    let mut f = std::fs::File::open(file).unwrap();
    move |mut s| {
        use std::io::{Read, Write};
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            s.write_all(&buf[..n]).unwrap();
        }
    }
}

/// The list figures on one database (`url`, already created and holding the admin): p50/p95 at
/// 10k and 100k images, the dashboard's pages, and create calls per second. Returns
/// (images, call, p95 ms).
async fn list_figures(data: &Path, url: &str, backend: &str) -> Vec<(usize, &'static str, f64)> {
    println!(
        "\n== GET /image/v2/images?limit=25 as a project member, 300 requests each, {backend} =="
    );
    let db = glimpse::server::db::Db::connect(url).await.unwrap();
    let (owner,): (String,) = glimpse::server::db::db_run!(&db, pool => {
        sqlx::query_as("SELECT id FROM projects WHERE name = 'admin'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    db.close().await;
    let mut results = vec![];
    let mut have = 0;
    for total in [10_000usize, 100_000] {
        seed(url, &owner, have, total).await;
        have = total;
        let server = start_with(data, &[("GLIMPSE_DATABASE_URL", url)]).await;
        if total == 10_000 {
            creates(&server.addr, backend).await;
        }
        let t = token(&server.addr, "admin", "admin").await;
        for (label, path) in [
            ("no filter", "/image/v2/images?limit=25".to_string()),
            (
                "name filter",
                format!("/image/v2/images?limit=25&name=image-{}", total / 2),
            ),
            (
                "property filter",
                "/image/v2/images?limit=25&os_distro=ubuntu".to_string(),
            ),
        ] {
            let (p50, p95) = latencies(&server.addr, &t, &path, 300).await;
            println!("{total:>7} images  {label:<16} p50 {p50:6.2} ms  p95 {p95:6.2} ms");
            results.push((total, label, p95));
        }
        // The dashboard's name search (any part of the name, any case) through the rendered
        // Images page, beside the same page unfiltered.
        let cookie = dashboard_cookie(&server.addr).await;
        for (label, path) in [
            ("page, no search", "/project/images?limit=20".to_string()),
            (
                "page, name search",
                format!("/project/images?limit=20&search=GE-{}", total / 2 / 10),
            ),
        ] {
            let (p50, p95) = latencies(&server.addr, &cookie, &path, 200).await;
            println!("{total:>7} images  {label:<16} p50 {p50:6.2} ms  p95 {p95:6.2} ms");
            results.push((total, label, p95));
        }
        if total == 10_000 {
            let (_, api) = latencies(
                &server.addr,
                &t,
                "/image/v2/images?limit=20&sort_key=name&sort_dir=asc",
                200,
            )
            .await;
            let (p50, page) = latencies(
                &server.addr,
                &cookie,
                "/project/images?limit=20&sort_key=name&sort_dir=asc",
                200,
            )
            .await;
            println!(
                "{total:>7} images  rendered Images page p50 {p50:6.2} ms  p95 {page:6.2} ms = {:.2} x the API list p95 {api:.2} ms (target <= 2)",
                page / api
            );
        }
    }
    let p95 = |n: usize, label: &str| results.iter().find(|r| r.0 == n && r.1 == label).unwrap().2;
    for n in [10_000, 100_000] {
        println!(
            "{n:>7} images  name search page p95 / unfiltered page p95 = {:.2}",
            p95(n, "page, name search") / p95(n, "page, no search")
        );
    }
    for label in [
        "no filter",
        "name filter",
        "property filter",
        "page, name search",
    ] {
        println!(
            "{label:<16} p95 at 100k / p95 at 10k = {:.2} (target <= 1.5)",
            p95(100_000, label) / p95(10_000, label)
        );
    }
    results
}

/// POST /v2/images, one after another, for a few seconds: create calls per second.
async fn creates(addr: &str, backend: &str) {
    let t = token(addr, "admin", "admin").await;
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(3) {
        create(addr, &t, "bare").await;
        n += 1;
    }
    println!(
        "create image ({backend}): {:.0} calls/s, one client",
        n as f64 / start.elapsed().as_secs_f64()
    );
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / (1 << 20) as f64 / d.as_secs_f64()
}

fn timed(cmd: &str, file: &Path) -> Duration {
    let start = Instant::now();
    let out = std::process::Command::new(cmd)
        .arg(file)
        .stdout(Stdio::null())
        .status()
        .expect(cmd);
    assert!(out.success());
    start.elapsed()
}

fn random_file(path: &Path, len: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..len / block.len() as u64 {
        for chunk in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
}

/// Adds images straight into the database until there are `total`; one in ten has os_distro=ubuntu.
async fn seed(url: &str, owner: &str, from: usize, total: usize) {
    let db = glimpse::server::db::Db::connect(url).await.unwrap();
    glimpse::server::db::db_run!(&db, pool => {
    let mut tx = pool.begin().await.unwrap();
    for i in from..total {
        let id = ImageId::random();
        let ts = format!("2026-01-01T00:00:00.{:06}Z", i % 1_000_000);
        let ts = if i >= 1_000_000 {
            ts
        } else {
            format!(
                "2026-01-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                1 + i / 86_400 % 28,
                i / 3600 % 24,
                i / 60 % 60,
                i % 60,
                i
            )
        };
        sqlx::query(
            "INSERT INTO images (id, name, status, visibility, owner, disk_format, container_format, size, created_at, updated_at)
             VALUES ($1, $2, 'active', 'shared', $3, 'qcow2', 'bare', $4, $5, $6)",
        )
        .bind(id.as_str())
        .bind(format!("image-{i}"))
        .bind(owner)
        .bind((i * 1000) as i64)
        .bind(&ts)
        .bind(&ts)
        .execute(&mut *tx)
        .await
        .unwrap();
        if i % 10 == 0 {
            sqlx::query("INSERT INTO image_properties (image_id, name, value) VALUES ($1, 'os_distro', 'ubuntu')")
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(pool).await.unwrap();
    });
    db.close().await;
}

/// Logs in through the dashboard's login server function; returns the session cookie.
async fn dashboard_cookie(addr: &str) -> String {
    use leptos::server_fn::ServerFn;
    let body = format!("username=admin&password={PASSWORD}");
    let h = head(
        "POST",
        addr,
        glimpse::server_fns::auth::Login::PATH,
        None,
        "Content-Type: application/x-www-form-urlencoded\r\n",
        body.len() as u64,
    );
    let (status, h, _) = request(addr, h, body.as_bytes()).await;
    assert_eq!(status, 200, "dashboard login");
    h.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_string()
}

async fn latencies(addr: &str, token: &str, path: &str, n: usize) -> (f64, f64) {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let auth = if path.starts_with("/image") {
            format!("X-Auth-Token: {token}\r\n")
        } else {
            format!("Cookie: {token}\r\n")
        };
        let h = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: text/html\r\n{auth}\r\n");
        let (status, _, _) = request(addr, h, b"").await;
        assert_eq!(status, 200, "{path}");
        v.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[n / 2], v[n * 95 / 100])
}

/// 1 GiB up and down through the API beside the tools and loopback TCP, and the server's RSS.
async fn transfers(root: &Path, data: &Path) {
    let file = root.join("random-1GiB.bin");
    random_file(&file, GIB);

    println!("== Transfer of a 1 GiB random file (median of 3) ==");
    let _ = timed("cat", &file); // warm the page cache
    let tools: Vec<(&str, f64)> = ["sha512sum", "md5sum", "cat"]
        .iter()
        .map(|c| {
            (
                *c,
                mbps(GIB, median((0..3).map(|_| timed(c, &file)).collect())),
            )
        })
        .collect();
    for (c, v) in &tools {
        println!("{c:<10} {v:8.1} MB/s");
    }
    let tcp = mbps(GIB, median((0..3).map(|_| loopback(from_memory)).collect()));
    println!(
        "loopback TCP alone (memory to memory, no HTTP) {tcp:8.1} MB/s = {:.2} x cat",
        tcp / tools[2].1
    );
    let tcp_file = mbps(
        GIB,
        median((0..3).map(|_| loopback(from_file(&file))).collect()),
    );
    println!(
        "loopback TCP from the cached file by sendfile, no HTTP {tcp_file:8.1} MB/s = {:.2} x cat",
        tcp_file / tools[2].1
    );

    let server = start(data).await;
    let t = token(&server.addr, "admin", "admin").await;
    let mut ups = vec![];
    let mut ids = vec![];
    let mut uninspected = vec![];
    // Interleaved, so that both see the same machine: bare (inspected) and ovf (not inspected),
    // each going first in turn (the second upload of a pair meets the first one's writeback).
    for round in 0..3 {
        for container in if round % 2 == 0 {
            ["bare", "ovf"]
        } else {
            ["ovf", "bare"]
        } {
            let id = create(&server.addr, &t, container).await;
            let took = upload(&server.addr, &t, &id, &file).await;
            if container == "bare" {
                ups.push(took);
                ids.push(id);
            } else {
                uninspected.push(took);
                let _ = std::fs::remove_file(data.join("images").join(&id));
            }
        }
    }
    // The store writes with direct I/O, so an image's first download reads the disk (cold) and
    // the next one the page cache (warm), like `cat` of the cached source file.
    // Each warm download is paired with a loopback TCP reference taken just before it, so that
    // the ratio compares the two on the same machine at the same moment (the host is shared and
    // its loopback throughput moves by a third between minutes).
    let (mut colds, mut downs, mut paired, mut paired_copy) = (vec![], vec![], vec![], vec![]);
    for id in &ids {
        colds.push(download(&server.addr, &t, id).await);
        for _ in 0..3 {
            let reference = tokio::task::spawn_blocking(|| loopback(from_memory))
                .await
                .unwrap();
            let f = file.clone();
            let copying = tokio::task::spawn_blocking(move || loopback(from_file_copy(&f)))
                .await
                .unwrap();
            let took = download(&server.addr, &t, id).await;
            downs.push(took);
            paired.push(reference.as_secs_f64() / took.as_secs_f64());
            paired_copy.push(copying.as_secs_f64() / took.as_secs_f64());
        }
    }
    paired.sort_by(f64::total_cmp);
    paired_copy.sort_by(f64::total_cmp);
    let cold = mbps(GIB, median(colds));
    let up = mbps(GIB, median(ups));
    let up_off = mbps(GIB, median(uninspected));
    let down = mbps(GIB, median(downs));
    let sha = tools[0].1;
    let cat = tools[2].1;
    println!(
        "upload     {up:8.1} MB/s  ({:.2} x sha512sum; target >= 0.9)",
        up / sha
    );
    println!(
        "upload without format inspection {up_off:8.1} MB/s: inspection costs {:.1} % (target < 5 %)",
        (up_off - up) / up_off * 100.0
    );
    println!(
        "download, first read (from the disk: the store writes with direct I/O) {cold:8.1} MB/s"
    );
    println!(
        "download   {down:8.1} MB/s  ({:.2} x cat; target >= 0.7; {:.2} x loopback TCP alone)",
        down / cat,
        down / tcp
    );
    // A download is an HTTP response over loopback TCP, so set the target beside what loopback
    // TCP alone carries on this machine.
    let carried = tcp.max(tcp_file);
    println!(
        "download target 0.7 x cat = {:.1} MB/s = {:.2} x the faster loopback TCP reference ({carried:.1} MB/s, no HTTP); the download reaches {:.2} x that reference",
        0.7 * cat,
        0.7 * cat / carried,
        down / carried
    );
    println!(
        "download beside a loopback TCP reference taken just before it, 9 pairs: median {:.2} x, \
         worst {:.2} x, best {:.2} x (target >= 0.9)",
        paired[paired.len() / 2],
        paired[0],
        paired[paired.len() - 1]
    );
    println!(
        "download beside loopback TCP from the cached file by read() and write() (a server's copies, \
         no HTTP) taken just before it, 9 pairs: median {:.2} x, worst {:.2} x, best {:.2} x",
        paired_copy[paired_copy.len() / 2],
        paired_copy[0],
        paired_copy[paired_copy.len() - 1]
    );
    println!(
        "server peak RSS {:.1} MB (target < 100 MB)",
        server.peak_rss_kib() as f64 / 1024.0
    );
    drop(server);
    for id in &ids {
        let _ = std::fs::remove_file(data.join("images").join(id));
    }
    s3_transfers(root, &file, Some((up, down))).await;
    let _ = std::fs::remove_file(&file);
}

/// web-download of a 1 GiB file from a local HTTP server (tower-http's `ServeDir`, in this
/// process) beside the same file's plain upload through the API, in pairs on one server, and
/// the server's peak RSS.
async fn imports(root: &Path) {
    let file = root.join("random-1GiB.bin");
    if !file.exists() {
        random_file(&file, GIB);
    }
    let served = root.join("served");
    std::fs::create_dir_all(&served).unwrap();
    std::fs::hard_link(&file, served.join("image.raw")).unwrap_or_else(|_| {
        std::fs::copy(&file, served.join("image.raw")).unwrap();
    });
    let _ = timed("cat", &file); // warm the page cache
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let source = format!("http://{}/image.raw", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback_service(tower_http::services::ServeDir::new(&served));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config = root.join("import.toml");
    std::fs::write(
        &config,
        "[import_filtering]\nallowed_hosts = [\"127.0.0.1\"]\nallowed_ports = []\n",
    )
    .unwrap();
    let data = root.join("import-data");
    let server = start_with(&data, &[("GLIMPSE_CONFIG", config.to_str().unwrap())]).await;
    let t = token(&server.addr, "admin", "admin").await;
    println!("== web-download of a 1 GiB file from a local HTTP server (3 pairs) ==");
    let (mut ups, mut webs, mut ratios) = (vec![], vec![], vec![]);
    for _ in 0..3 {
        let id = create(&server.addr, &t, "bare").await;
        let up = upload(&server.addr, &t, &id, &file).await;
        let _ = std::fs::remove_file(data.join("images").join(&id));
        let id = create(&server.addr, &t, "bare").await;
        let web = web_download(&server.addr, &t, &id, &source).await;
        let _ = std::fs::remove_file(data.join("images").join(&id));
        ratios.push(up.as_secs_f64() / web.as_secs_f64());
        ups.push(up);
        webs.push(web);
    }
    ratios.sort_by(f64::total_cmp);
    let (up, web) = (mbps(GIB, median(ups)), mbps(GIB, median(webs)));
    println!("plain upload      {up:8.1} MB/s");
    println!(
        "web-download      {web:8.1} MB/s  (median {:.2} x the upload of its pair, worst {:.2} x; target >= 0.8)",
        ratios[1], ratios[0]
    );
    println!(
        "server peak RSS {:.1} MB (target < 100 MB)",
        server.peak_rss_kib() as f64 / 1024.0
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&served);
}

/// Starts a web-download of `uri` into image `id` and times it until the image is active.
async fn web_download(addr: &str, token: &str, id: &str, uri: &str) -> Duration {
    let body = format!(r#"{{"method": {{"name": "web-download", "uri": "{uri}"}}}}"#);
    let h = head(
        "POST",
        addr,
        &format!("/image/v2/images/{id}/import"),
        Some(token),
        "Content-Type: application/json\r\n",
        body.len() as u64,
    );
    let start = Instant::now();
    let (status, _, _) = request(addr, h, body.as_bytes()).await;
    assert_eq!(status, 202);
    loop {
        let h = format!("GET /image/v2/images/{id} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Auth-Token: {token}\r\n\r\n");
        let (_, _, b) = request(addr, h, b"").await;
        let img: Value = serde_json::from_slice(&b).unwrap();
        match img["status"].as_str() {
            Some("active") => return start.elapsed(),
            Some("importing") => tokio::time::sleep(Duration::from_millis(20)).await,
            other => panic!("the import failed: {other:?} {img}"),
        }
    }
}

/// 1 GiB up and down through the S3 store on the signature-checking server `.ci/with-s3-signed`
/// starts (`make bench` does), beside the file store's figures from the same run when given.
async fn s3_transfers(root: &Path, file: &Path, file_store: Option<(f64, f64)>) {
    let Ok(endpoint) = std::env::var("GLIMPSE_TEST_S3_SIGNED_ENDPOINT") else {
        println!(
            "(no signature-checking S3 server: run under .ci/with-s3-signed for the S3 figures)"
        );
        return;
    };
    let var = |k: &str| std::env::var(format!("GLIMPSE_TEST_S3_SIGNED_{k}")).unwrap();
    let config = root.join("s3-bench.toml");
    std::fs::write(
        &config,
        format!(
            "[[stores]]\nid = \"s3\"\nkind = \"s3\"\ndefault = true\nendpoint = \"{endpoint}\"\nbucket = \"{}\"\naccess_key_id = \"{}\"\nsecret_access_key = \"{}\"\n",
            var("BUCKET"),
            var("ACCESS_KEY"),
            var("SECRET")
        ),
    )
    .unwrap();
    let data = root.join("s3-data");
    let server = start_with(&data, &[("GLIMPSE_CONFIG", config.to_str().unwrap())]).await;
    let t = token(&server.addr, "admin", "admin").await;
    println!("\n== 1 GiB through the S3 store (s3s-fs, signatures checked; median of 2) ==");
    let (mut ups, mut downs) = (vec![], vec![]);
    for _ in 0..2 {
        let id = create(&server.addr, &t, "bare").await;
        ups.push(upload(&server.addr, &t, &id, file).await);
        downs.push(download(&server.addr, &t, &id).await);
    }
    let (up, down) = (mbps(GIB, median(ups)), mbps(GIB, median(downs)));
    match file_store {
        Some((fu, fd)) => {
            println!(
                "S3 upload   {up:8.1} MB/s = {:.2} x the file store's in this run",
                up / fu
            );
            println!(
                "S3 download {down:8.1} MB/s = {:.2} x the file store's in this run",
                down / fd
            );
        }
        None => {
            println!("S3 upload   {up:8.1} MB/s");
            println!("S3 download {down:8.1} MB/s");
        }
    }
    println!(
        "server peak RSS with the S3 store {:.1} MB (target < 100 MB plus two 8 MiB parts in flight)",
        server.peak_rss_kib() as f64 / 1024.0
    );
}

#[tokio::main]
async fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    // BENCH_ONLY=import runs only the web-download figures;
    // BENCH_ONLY=transfer stops after the transfers (the S3 store's included); BENCH_ONLY=list
    // runs only the list figures, BENCH_ONLY=logins only the memory under logins, BENCH_ONLY=s3
    // only the S3 store's transfers.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only == "import" {
        imports(&root).await;
        return;
    }
    if only == "s3" {
        let file = root.join("random-1GiB.bin");
        random_file(&file, GIB);
        s3_transfers(&root, &file, None).await;
        return;
    }
    if only.is_empty() || only == "logins" {
        logins(&root).await;
        if only == "logins" {
            return;
        }
    }
    let data = root.join("data");
    if only == "list" {
        drop(start(&data).await); // creates the database and the admin
    } else {
        transfers(&root, &data).await;
        if only == "transfer" {
            return;
        }
        imports(&root).await;
    }

    let url = format!("sqlite://{}", data.join("glimpse.db").display());
    let lite = list_figures(&data, &url, "SQLite").await;
    // PostgreSQL beside it when a server is given (`make bench` starts one).
    if let Ok(server) = std::env::var("GLIMPSE_TEST_DATABASE_URL") {
        let name = "glimpse_bench";
        let (base, _) = server.rsplit_once('/').unwrap();
        {
            use sqlx::{Connection, Executor};
            let mut c = sqlx::PgConnection::connect(&server).await.unwrap();
            c.execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
                .await
                .unwrap();
            c.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
        }
        let url = format!("{base}/{name}");
        let pg_data = root.join("pg");
        drop(start_with(&pg_data, &[("GLIMPSE_DATABASE_URL", &url)]).await);
        let pg = list_figures(&pg_data, &url, "PostgreSQL").await;
        let at = |r: &[(usize, &str, f64)], label: &str| {
            r.iter().find(|x| x.0 == 100_000 && x.1 == label).unwrap().2
        };
        for label in ["no filter", "name filter", "property filter"] {
            println!(
                "{label:<16} p95 at 100k: PostgreSQL / SQLite = {:.2} (target <= 2)",
                at(&pg, label) / at(&lite, label)
            );
        }
    }
    let wasm = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/site/pkg/glimpse.wasm");
    if let Ok(bytes) = std::fs::read(&wasm) {
        let gz = std::process::Command::new("gzip")
            .args(["-9", "-c"])
            .arg(&wasm)
            .output()
            .unwrap()
            .stdout
            .len();
        println!(
            "\nrelease wasm bundle: {} bytes, {} bytes gzip -9",
            bytes.len(),
            gz
        );
    }
}
