//! Format inspection through the API: images made by `qemu-img` (and an ISO by xorriso) are
//! uploaded with `PUT /file` and get qemu's own virtual size, or a 415 that says what was found,
//! with the image left queued and nothing kept.

use crate::support;
use crate::support::{Api, TestApp};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

fn run(cmd: &str, args: &[&str], dir: &Path) {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} must be installed (make test installs it): {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `qemu-img create` in `dir`, returning the file's path.
fn qemu_create(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let mut all = vec!["create", "-q"];
    all.extend_from_slice(args);
    all.push(name);
    if !args.contains(&"-b") {
        all.push("64M");
    }
    run("qemu-img", &all, dir);
    dir.join(name)
}

/// The virtual size `qemu-img info` reports.
fn qemu_virtual_size(path: &Path) -> u64 {
    let out = Command::new("qemu-img")
        .args(["info", "--output=json"])
        .arg(path)
        .output()
        .unwrap();
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    info["virtual-size"].as_u64().unwrap()
}

async fn image(api: &Api<'_>, disk: &str, container: &str) -> String {
    api.create(json!({"name": format!("{disk} image"), "disk_format": disk, "container_format": container}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Uploads `data` as a new image declared `disk` in a `container`; the answer and the image.
async fn upload(api: &Api<'_>, disk: &str, container: &str, data: &[u8]) -> (u16, Value) {
    let id = image(api, disk, container).await;
    let a = api.upload(&id, data, None).await;
    let shown = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    let body = if a.status == StatusCode::NO_CONTENT {
        shown
    } else {
        let mut err = a.json();
        err["image"] = shown;
        err
    };
    (a.status.as_u16(), body)
}

/// Uploads a file that must be accepted and get `virtual_size`.
async fn accepted(api: &Api<'_>, disk: &str, path: &Path, virtual_size: u64) {
    let data = std::fs::read(path).unwrap();
    let (status, img) = upload(api, disk, "bare", &data).await;
    assert_eq!(status, 204, "{disk} {}: {img}", path.display());
    assert_eq!(img["status"], "active");
    assert_eq!(img["size"], data.len() as u64);
    assert_eq!(img["virtual_size"], virtual_size, "{}", path.display());
}

/// Uploads data that must be refused with 415 and a message containing `why`; the image stays
/// queued with no data and no file.
async fn refused(app: &TestApp, api: &Api<'_>, disk: &str, data: &[u8], why: &str) {
    let (status, body) = upload(api, disk, "bare", data).await;
    assert_eq!(status, 415, "{disk}: {body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(why), "{message:?} lacks {why:?}");
    assert_eq!(body["code"], "415 Unsupported Media Type");
    // Beside Glance's keys, the typed reason the dashboard words in the user's language.
    let reason: glimpse::domain::reason::Reason =
        serde_json::from_value(body["reason"].clone()).expect("a typed reason");
    assert!(
        matches!(reason, glimpse::domain::reason::Reason::DataRefused { .. }),
        "{reason:?}"
    );
    assert_eq!(
        reason.to_string(),
        message.split("<br").next().unwrap().trim()
    );
    let img = &body["image"];
    assert_eq!(img["status"], "queued");
    assert_eq!(img["size"], Value::Null);
    assert_eq!(img["virtual_size"], Value::Null);
    let id = img["id"].as_str().unwrap();
    assert!(!support::has_data(app, id).await, "data kept for {id}");
    assert_eq!(support::leftovers(app).await, 0);
}

#[tokio::test]
async fn qemu_made_images_get_their_virtual_size() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();

    for (disk, name, args) in [
        (
            "qcow2",
            "v2.qcow2",
            &["-f", "qcow2", "-o", "compat=0.10"][..],
        ),
        ("qcow2", "v3.qcow2", &["-f", "qcow2", "-o", "compat=1.1"]),
        (
            "vmdk",
            "sparse.vmdk",
            &["-f", "vmdk", "-o", "subformat=monolithicSparse"],
        ),
        (
            "vmdk",
            "stream.vmdk",
            &["-f", "vmdk", "-o", "subformat=streamOptimized"],
        ),
        ("vhd", "disk.vhd", &["-f", "vpc"]),
        ("vhdx", "disk.vhdx", &["-f", "vhdx"]),
        ("vdi", "disk.vdi", &["-f", "vdi"]),
    ] {
        let path = qemu_create(d, name, args);
        accepted(&api, disk, &path, qemu_virtual_size(&path)).await;
    }

    // A stream-optimized VMDK with data in it, converted from random bytes.
    let random: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(d.join("random.raw"), &random).unwrap();
    run(
        "qemu-img",
        &[
            "convert",
            "-f",
            "raw",
            "-O",
            "vmdk",
            "-o",
            "subformat=streamOptimized",
            "random.raw",
            "full.vmdk",
        ],
        d,
    );
    accepted(
        &api,
        "vmdk",
        &d.join("full.vmdk"),
        qemu_virtual_size(&d.join("full.vmdk")),
    )
    .await;

    // Raw: the virtual size is the byte count.
    accepted(&api, "raw", &d.join("random.raw"), 3_000_000).await;

    // An ISO 9660 image made by xorriso: volume blocks times block size.
    std::fs::create_dir(d.join("iso")).unwrap();
    std::fs::write(d.join("iso/readme.txt"), "glimpse").unwrap();
    run(
        "xorriso",
        &["-as", "mkisofs", "-quiet", "-o", "disk.iso", "iso"],
        d,
    );
    let iso = d.join("disk.iso");
    accepted(&api, "iso", &iso, std::fs::metadata(&iso).unwrap().len()).await;
}

#[tokio::test]
async fn unsafe_and_damaged_images_are_refused_and_nothing_is_kept() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    let base = qemu_create(d, "base.qcow2", &["-f", "qcow2"]);
    let read = |p: PathBuf| std::fs::read(p).unwrap();

    let backed = qemu_create(
        d,
        "backed.qcow2",
        &["-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2"],
    );
    refused(&app, &api, "qcow2", &read(backed), "backing_file").await;

    let with_data_file = qemu_create(d, "df.qcow2", &["-f", "qcow2", "-o", "data_file=df.raw"]);
    refused(&app, &api, "qcow2", &read(with_data_file), "data_file").await;

    let flat = qemu_create(
        d,
        "flat.vmdk",
        &["-f", "vmdk", "-o", "subformat=monolithicFlat"],
    );
    refused(
        &app,
        &api,
        "vmdk",
        &read(flat),
        "createType monolithicFlat is not allowed",
    )
    .await;

    let qed = qemu_create(d, "disk.qed", &["-f", "qed"]);
    refused(&app, &api, "raw", &read(qed), "QED images are not accepted").await;

    // Truncated and corrupted headers.
    let good = read(base.clone());
    refused(&app, &api, "qcow2", &good[..60], "cut short: its header").await;
    let mut version = good.clone();
    version[7] = 9;
    refused(&app, &api, "qcow2", &version, "version 9 is not 2 or 3").await;
    let vhdx = read(qemu_create(d, "disk.vhdx", &["-f", "vhdx"]));
    let mut clobbered = vhdx.clone();
    clobbered[0x30000..0x30004].copy_from_slice(b"xxxx");
    refused(
        &app,
        &api,
        "vhdx",
        &clobbered,
        "region table has no signature",
    )
    .await;
    refused(
        &app,
        &api,
        "vhdx",
        &vhdx[..0x31000],
        "region table is incomplete",
    )
    .await;

    // Declared one format, sent another.
    refused(
        &app,
        &api,
        "vmdk",
        &good,
        "The data is a qcow2 image, not the declared vmdk.",
    )
    .await;
    refused(
        &app,
        &api,
        "qcow2",
        &[0u8; 4096],
        "The data is a raw image, not the declared qcow2.",
    )
    .await;
}

#[tokio::test]
async fn a_refused_image_takes_the_right_data_next_and_glance_exceptions_hold() {
    let app = TestApp::new().await;
    let api = Api::admin(&app).await;
    let tmp = TempDir::new().unwrap();
    let qcow2 = std::fs::read(qemu_create(tmp.path(), "d.qcow2", &["-f", "qcow2"])).unwrap();
    let vmdk = std::fs::read(qemu_create(tmp.path(), "d.vmdk", &["-f", "vmdk"])).unwrap();

    let id = image(&api, "vmdk", "bare").await;
    assert_eq!(api.upload(&id, &qcow2, None).await.status, 415);
    assert_eq!(api.upload(&id, &vmdk, None).await.status, 204);
    let img = api
        .call(Method::GET, &format!("/v2/images/{id}"), None)
        .await
        .json();
    assert_eq!(
        (img["status"].as_str(), img["virtual_size"].as_u64()),
        (Some("active"), Some(64 << 20))
    );

    // raw may hold a richer format (warned): virtual size is then the byte count.
    let (status, img) = upload(&api, "raw", "bare", &qcow2).await;
    assert_eq!(
        (status, img["virtual_size"].as_u64()),
        (204, Some(qcow2.len() as u64))
    );
    // Raw bytes pass for the formats without a header.
    let (status, img) = upload(&api, "aki", "bare", &[1u8; 5000]).await;
    assert_eq!((status, img["virtual_size"].clone()), (204, Value::Null));
    // Only bare containers are inspected.
    let (status, img) = upload(&api, "vmdk", "ovf", &qcow2).await;
    assert_eq!((status, img["virtual_size"].clone()), (204, Value::Null));
}

#[tokio::test]
async fn a_mismatch_can_be_made_non_fatal_but_safety_checks_cannot() {
    let app = TestApp::with(|s| s.require_format_match = Some(false)).await;
    let api = Api::admin(&app).await;
    let tmp = TempDir::new().unwrap();
    let d = tmp.path();
    let qcow2 = std::fs::read(qemu_create(d, "d.qcow2", &["-f", "qcow2"])).unwrap();
    let (status, img) = upload(&api, "vmdk", "bare", &qcow2).await;
    assert_eq!((status, img["status"].as_str()), (204, Some("active")));
    assert_eq!(img["virtual_size"], Value::Null);

    let backed = qemu_create(
        d,
        "b.qcow2",
        &["-f", "qcow2", "-b", "d.qcow2", "-F", "qcow2"],
    );
    refused(
        &app,
        &api,
        "qcow2",
        &std::fs::read(backed).unwrap(),
        "backing_file",
    )
    .await;
}
