//! A bounded load test: two real `glimpse serve` nodes on one database and one data directory,
//! driven for a fixed time (`GLIMPSE_LOAD_SECONDS`, default 60) by several concurrent clients:
//! eight 64 MiB uploads, then downloads and list calls on both nodes. Afterwards every checksum
//! matches, no request got a 5xx, and nothing is left in `saving`. Prints requests/s and p95 per
//! call kind.

use crate::interrupted::{create, http, spawn_node, token};
use crate::support::ADMIN_PASSWORD;
use md5::{Digest, Md5};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const UPLOADS: usize = 8;
const IMAGE_SIZE: usize = 64 << 20;
const CHUNK: usize = 1 << 20;
const DOWNLOADERS: usize = 3;
const LISTERS: usize = 3;

/// What every client records: per call kind, each request's status and time.
#[derive(Default)]
struct Record {
    calls: BTreeMap<&'static str, Vec<(u16, Duration)>>,
    /// Uploaded images, the MD5 of what was sent, and how often each was downloaded whole.
    uploaded: Vec<(String, String, usize)>,
    bad_checksums: Vec<String>,
}

type Shared = Arc<Mutex<Record>>;

fn note(rec: &Shared, kind: &'static str, status: u16, took: Duration) {
    rec.lock()
        .unwrap()
        .calls
        .entry(kind)
        .or_default()
        .push((status, took));
}

/// Image `n`'s bytes, chunk `c`: a shared random block, rotated differently per image and chunk,
/// so that no two images are alike and nothing is held whole in memory.
fn chunk_of(block: &[u8], n: usize, c: usize) -> Vec<u8> {
    let at = (n * 7919 + c * 104_729) % block.len();
    let mut out = Vec::with_capacity(CHUNK);
    out.extend_from_slice(&block[at..]);
    out.extend_from_slice(&block[..at]);
    out
}

/// PUT the image's data with a Content-Length body written chunk by chunk; returns the status
/// and the MD5 of what was sent.
async fn upload(addr: &str, token: &str, id: &str, n: usize, block: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /image/v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Auth-Token: {token}\r\nContent-Type: application/octet-stream\r\nContent-Length: {IMAGE_SIZE}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut md5 = Md5::new();
    for c in 0..IMAGE_SIZE / CHUNK {
        let chunk = chunk_of(block, n, c);
        md5.update(&chunk);
        s.write_all(&chunk).await.unwrap();
    }
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    (status_of(&raw), hex::encode(md5.finalize()))
}

fn status_of(raw: &[u8]) -> u16 {
    String::from_utf8_lossy(&raw[..raw.len().min(16)])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// GET the image's data, hashing it as it arrives; returns the status, bytes and MD5.
async fn download(addr: &str, token: &str, id: &str) -> (u16, usize, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "GET /image/v2/images/{id}/file HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nX-Auth-Token: {token}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let (mut md5, mut bytes) = (Md5::new(), 0);
    let mut in_body = false;
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        if in_body {
            md5.update(&buf[..n]);
            bytes += n;
            continue;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            md5.update(&head[end + 4..]);
            bytes += head.len() - end - 4;
            head.truncate(end);
            in_body = true;
        }
    }
    (status_of(&head), bytes, hex::encode(md5.finalize()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_under_load_lose_nothing_and_never_fail() {
    let seconds: u64 = std::env::var("GLIMPSE_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = spawn_node(dir.path(), "node-a", 60, Some(ADMIN_PASSWORD)).await;
    let (b, _) = spawn_node(dir.path(), "node-b", 60, Some(ADMIN_PASSWORD)).await;
    let nodes = Arc::new([a.addr.clone(), b.addr.clone()]);
    let t = Arc::new(token(&a.addr).await);
    let rec: Shared = Arc::default();
    let block: Arc<Vec<u8>> = Arc::new({
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        (0..CHUNK)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut tasks = vec![];

    // Uploaders: create on one node, upload on the other.
    for n in 0..UPLOADS {
        let (nodes, t, rec, block) = (nodes.clone(), t.clone(), rec.clone(), block.clone());
        tasks.push(tokio::spawn(async move {
            let (on, other) = (&nodes[n % 2], &nodes[(n + 1) % 2]);
            let at = Instant::now();
            let id = create(on, &t).await;
            note(&rec, "create", 201, at.elapsed());
            let at = Instant::now();
            let (status, md5) = upload(other, &t, &id, n, &block).await;
            note(&rec, "upload 64 MiB", status, at.elapsed());
            rec.lock().unwrap().uploaded.push((id, md5, 0));
        }));
    }
    // Downloaders: any uploaded image, from either node, checked against what was sent.
    for d in 0..DOWNLOADERS {
        let (nodes, t, rec) = (nodes.clone(), t.clone(), rec.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = d;
            // Until the time is up and every upload has been downloaded at least once.
            loop {
                let pick = {
                    let r = rec.lock().unwrap();
                    let all_seen =
                        r.uploaded.len() == UPLOADS && r.uploaded.iter().all(|u| u.2 > 0);
                    // (A download that keeps failing ends it too, later: the checks then fail.)
                    let late = Instant::now() >= deadline + Duration::from_secs(300);
                    if (Instant::now() >= deadline && all_seen) || late {
                        break;
                    }
                    // An image not yet downloaded first, else any.
                    let unseen = r.uploaded.iter().position(|u| u.2 == 0);
                    let at = unseen.or((!r.uploaded.is_empty()).then(|| k % r.uploaded.len()));
                    at.map(|i| (i, r.uploaded[i].0.clone(), r.uploaded[i].1.clone()))
                };
                let addr = &nodes[k % 2];
                k += 1;
                let Some((at_index, id, sent)) = pick else {
                    // Nothing uploaded yet: a list call meanwhile.
                    let at = Instant::now();
                    let (status, _, _) = http(
                        addr,
                        "GET",
                        "/image/v2/images?limit=25",
                        &[("X-Auth-Token", &t)],
                        b"",
                    )
                    .await;
                    note(&rec, "list", status, at.elapsed());
                    continue;
                };
                let at = Instant::now();
                let (status, bytes, md5) = download(addr, &t, &id).await;
                note(&rec, "download 64 MiB", status, at.elapsed());
                let mut r = rec.lock().unwrap();
                if status == 200 && (bytes != IMAGE_SIZE || md5 != sent) {
                    r.bad_checksums
                        .push(format!("{id} from {addr}: {bytes} bytes, md5 {md5}"));
                } else if status == 200 {
                    r.uploaded[at_index].2 += 1;
                }
            }
        }));
    }
    // Listers: the first page, a name filter and a detail call, alternating nodes.
    for l in 0..LISTERS {
        let (nodes, t, rec) = (nodes.clone(), t.clone(), rec.clone());
        tasks.push(tokio::spawn(async move {
            let mut k = l;
            while Instant::now() < deadline {
                let addr = &nodes[k % 2];
                k += 1;
                let (kind, path) = if k % 2 == 0 {
                    ("list", "/image/v2/images?limit=25".to_string())
                } else {
                    (
                        "list by status",
                        "/image/v2/images?status=active&limit=25".to_string(),
                    )
                };
                let at = Instant::now();
                let (status, _, _) = http(addr, "GET", &path, &[("X-Auth-Token", &t)], b"").await;
                note(&rec, kind, status, at.elapsed());
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed();

    let rec = std::mem::take(&mut *rec.lock().unwrap());
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\nload: 2 nodes, {UPLOADS} x 64 MiB uploads, {DOWNLOADERS} downloaders, {LISTERS} listers, {:.1} s",
        elapsed.as_secs_f64()
    )
    .unwrap();
    let mut failed = vec![];
    for (kind, calls) in &rec.calls {
        let mut times: Vec<f64> = calls.iter().map(|c| c.1.as_secs_f64() * 1e3).collect();
        times.sort_by(f64::total_cmp);
        let p95 = times[((times.len() * 95).div_ceil(100)).saturating_sub(1)];
        writeln!(
            out,
            "load: {kind:<16} {:6} requests  {:8.1} req/s  p95 {p95:9.1} ms",
            calls.len(),
            calls.len() as f64 / elapsed.as_secs_f64()
        )
        .unwrap();
        failed.extend(
            calls
                .iter()
                .filter(|c| !(200..300).contains(&c.0))
                .map(|c| format!("{kind}: {}", c.0)),
        );
    }
    drop(out);
    assert!(failed.is_empty(), "requests failed: {failed:?}");
    assert!(rec.bad_checksums.is_empty(), "{:?}", rec.bad_checksums);
    assert_eq!(rec.uploaded.len(), UPLOADS);
    assert!(
        rec.uploaded.iter().all(|u| u.2 > 0),
        "every upload was downloaded"
    );

    // Nothing is left in saving, and every upload is active with the checksum of what was sent.
    let (status, _, body) = http(
        &a.addr,
        "GET",
        "/image/v2/images?limit=100",
        &[("X-Auth-Token", &t)],
        b"",
    )
    .await;
    assert_eq!(status, 200);
    let listed: Value = serde_json::from_slice(&body).unwrap();
    let images = listed["images"].as_array().unwrap();
    assert!(images.iter().all(|i| i["status"] != "saving"), "{listed}");
    for (id, md5, _) in &rec.uploaded {
        let img = images.iter().find(|i| i["id"] == id.as_str()).unwrap();
        assert_eq!(img["status"], "active", "{img}");
        assert_eq!(img["checksum"], md5.as_str(), "{img}");
        assert_eq!(img["size"], IMAGE_SIZE);
    }
}
